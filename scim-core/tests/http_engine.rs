//! The HTTP suite straight through `Engine::handle`, with no web framework in between: the
//! engine's own behaviour, which every adapter must reproduce exactly.

use std::sync::Arc;

use scim_core::engine::Engine;
use scim_core::testing::http::Harness;
use scim_core::{MemoryStore, SchemaRegistry};

struct Direct;

impl Harness for Direct {
    type Client = Engine<MemoryStore>;
    type Store = MemoryStore;

    async fn store(&self, registry: Arc<SchemaRegistry>) -> MemoryStore {
        MemoryStore::with_registry(registry)
    }

    async fn serve(&self, engine: Engine<MemoryStore>) -> Engine<MemoryStore> {
        engine
    }
}

scim_core::scim_http_tests!(Direct);
