//! The HTTP suite straight through `Engine::handle`, with no web framework in between: the
//! engine's own behaviour, which every adapter must reproduce exactly.

use scim_core::MemoryStore;
use scim_core::engine::Engine;
use scim_core::testing::http::Harness;

struct Direct;

impl Harness for Direct {
    type Client = Engine<MemoryStore>;

    async fn serve(&self, engine: Engine<MemoryStore>) -> Engine<MemoryStore> {
        engine
    }
}

scim_core::scim_http_tests!(Direct);
