//! The SCIM 2.0 reference server's parts: [`SqlStore`] (a `ScimStore` over ordinary tables
//! on SQLite or PostgreSQL) and [`Admin`] (tenants and tokens in the same database).
//!
//! `main.rs` puts them behind axum; `store/` is the module to read when you implement
//! `ScimStore` for your own tables.

mod admin;
mod db;
mod store;

pub use admin::{Admin, DEFAULT_TENANT, TenantRow};
pub use db::Dialect;
pub use store::SqlStore;
