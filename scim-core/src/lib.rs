#![doc = include_str!("../README.md")]

mod compat;
pub mod engine;
mod error;
mod memory;
mod projection;
mod registry;
mod resource;
mod schema;
mod store;
mod validate;

#[cfg(feature = "testing")]
pub mod testing;

pub use compat::{Compat, UnknownAttributes};
pub use error::{ERROR_URN, ScimError, ScimType};
pub use memory::MemoryStore;
pub use projection::Projection;
pub use registry::{ResourceKind, ResourceSchemas, SchemaRegistry, ServiceProviderConfig};
pub use resource::{
    EnterpriseUser, Group, Meta, MultiValue, Name, Password, Resource, User, Version,
};
pub use schema::{
    Attribute, ENTERPRISE_USER_URN, GROUP_URN, LEGACY_ADSCIM_GROUP_URN, Mutability, Returned,
    SCHEMA_URN, Schema, SchemaError, USER_URN, Uniqueness,
};
/// An attribute's data type (RFC 7643 §2.3), shared with scim-filter.
pub use scim_filter::AttrType;
pub use store::{
    ListPage, ListQuery, MemberChange, RequestContext, ScimStore, Sort, SortOrder, StoreError,
};
