//! SCIM 2.0 schemas, resources, validation, the ScimStore trait and the framework-neutral protocol engine.
//!
//! **Placeholder.** Nothing is implemented here yet and the crate exports nothing; it exists so
//! that the workspace has its final shape. Its work is tracked by issue #4.
