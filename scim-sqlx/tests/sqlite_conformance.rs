//! The store conformance suite on SQLite, over multi-tenant tables with UUID ids, child
//! tables and a JSON column; each case on a fresh database file.

mod common;

scim_core::scim_store_tests!(common::sqlite_tenant_store());
