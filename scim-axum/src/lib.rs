//! Mount a SCIM 2.0 endpoint in an axum application.
//!
//! **Placeholder.** Nothing is implemented here yet and the crate exports nothing; it exists so
//! that the workspace has its final shape. Its work is tracked by issue #5.
