//! SCIM 2.0 (RFC 7643 / RFC 7644) resources for Rust services: schemas, validation,
//! projection, errors, the [`ScimStore`] trait an app implements against its own database,
//! an indexed [`MemoryStore`], and the store conformance suite.
//!
//! - [`SchemaRegistry`] holds RFC 7643's User, Group and Enterprise User schemas exactly as
//!   §8.7.1 gives them, plus the extensions an app declares (in code or JSON, under any URN,
//!   including free-form namespaces). It answers scim-filter's
//!   [`AttributeLookup`](scim_filter::AttributeLookup), so filters and PATCH see real
//!   attribute characteristics.
//! - [`ResourceSchemas::validate_create`], [`validate_replace`](ResourceSchemas::validate_replace)
//!   and [`apply_patch`](ResourceSchemas::apply_patch) turn what clients send into a
//!   [`Resource`]: one schema-checked JSON object, with typed views ([`User`], [`Group`],
//!   [`EnterpriseUser`]) that keep every attribute they do not model.
//! - [`Compat`] names each Entra and Okta deviation the library tolerates, with `strict`,
//!   `entra` (the default) and `okta` presets.
//! - [`Projection`] applies `attributes`, `excludedAttributes` and `returned`.
//! - [`ScimError`] renders RFC 7644 §3.12 error bodies.
//!
//! # Testing
//!
//! With the `testing` feature, the `testing` module holds the store conformance suite: one
//! public async function per behaviour, and the `scim_store_tests!` macro to expand them into
//! one `#[test]` each for your store:
//!
//! ```ignore
//! scim_core::scim_store_tests!(async { my_store::connect("postgres://...").await });
//! ```

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
