#![doc = include_str!("../README.md")]

mod db;
mod ddl;
mod layout;
mod log;
mod mapping;
mod outbox;
mod parts;
mod query;
mod store;

pub use db::{Database, Dialect};
pub use layout::MappingError;
pub use mapping::{Child, IdKind, Mapping, Members, Table};
pub use store::{Error, SqlStore};
