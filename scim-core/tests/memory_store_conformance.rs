//! The store conformance suite, run against `MemoryStore`.

scim_core::scim_store_tests!(async { scim_core::MemoryStore::new() });
