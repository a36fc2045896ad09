#![doc = include_str!("../README.md")]

pub mod admin;
mod compat;
mod context;
pub mod cursor;
mod custom;
mod document;
pub mod engine;
mod error;
mod log;
mod memory;
mod projection;
mod registry;
mod resource;
mod schema;
mod store;
mod validate;
mod write;

#[cfg(feature = "testing")]
pub mod testing;

/// Guides, from an empty project to Entra provisioning: the same pages as the repository's
/// `scim-core/docs/` folder, with their examples compiled as tests.
pub mod guide {
    /// Add SCIM to an existing axum app.
    pub mod existing_app {
        #![doc = include_str!("../docs/existing-app.md")]
    }
    /// Implementing `ScimStore` for your own tables.
    pub mod store {
        #![doc = include_str!("../docs/store.md")]
    }
    /// Entra and Okta compatibility: every accepted deviation, its switch and its default.
    pub mod compatibility {
        #![doc = include_str!("../docs/compatibility.md")]
    }
    /// Tokens, tenants and dry runs.
    pub mod tenants {
        #![doc = include_str!("../docs/tenants.md")]
    }
    /// Events: invitations and deactivation.
    pub mod events {
        #![doc = include_str!("../docs/events.md")]
    }
    /// The settings page: tokens, the switch, the provisioning log.
    pub mod admin {
        #![doc = include_str!("../docs/admin.md")]
    }
    /// Going to production.
    pub mod production {
        #![doc = include_str!("../docs/production.md")]
    }
}

pub use compat::{Compat, MemberDisplay, UnknownAttributes};
pub use context::RequestContext;
pub use document::StoredDocument;
pub use error::{ERROR_URN, ScimError, ScimType};
pub use log::{LogPage, LogQuery, LogRetention, LogRing, LogStatus, MAX_LOG_PAGE, RequestRecord};
pub use memory::MemoryStore;
pub use projection::Projection;
pub use registry::{ResourceKind, ResourceSchemas, SchemaRegistry, ServiceProviderConfig};
pub use resource::{
    EnterpriseUser, Group, Meta, MultiValue, Name, Password, Resource, User, Version,
};
pub use schema::{
    Attribute, CanonicalMatch, ENTERPRISE_USER_URN, GROUP_URN, LEGACY_ADSCIM_GROUP_URN, Mutability,
    Returned, SCHEMA_URN, Schema, SchemaError, USER_URN, Uniqueness,
};
/// An attribute's data type (RFC 7643 §2.3), shared with scim-filter.
pub use scim_filter::AttrType;
pub use store::{
    ListPage, ListQuery, MemberChange, MembersChanged, Provenance, ScimStore, Sort, SortOrder,
    StoreCapabilities, StoreError,
};
