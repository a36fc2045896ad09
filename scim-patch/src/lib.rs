//! SCIM 2.0 PATCH requests (RFC 7644 §3.5.2) parsed and applied to JSON resources.
//!
//! **Placeholder.** Nothing is implemented here yet and the crate exports nothing; it exists so
//! that the workspace has its final shape. Its work is tracked by issue #3.
