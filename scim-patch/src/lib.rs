#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod apply;
mod compat;
mod error;
mod journal;
mod request;

use serde_json::Value;

pub use apply::Patcher;
pub use compat::PatchCompat;
pub use error::{PatchError, PatchErrorKind};
pub use request::{OpKind, PATCH_OP_URN, PatchOperation, PatchRequest};

/// What an applied request changed.
///
/// The engine uses it to skip writes that change nothing (Entra re-sends identical values on
/// every cycle), to report events, and to let a store apply membership changes natively
/// instead of rewriting a large group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outcome {
    /// The attributes whose value changed, in the order they were first touched: core
    /// attributes by their key (`displayName`), extension attributes qualified by their URN
    /// (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`), a whole
    /// extension by its URN.
    pub changed_attributes: Vec<String>,
    /// The ids (`value`) of the group members the request added, in order.
    pub members_added: Vec<String>,
    /// The ids of the group members the request removed, in order.
    pub members_removed: Vec<String>,
}

impl Outcome {
    /// Whether the request changed anything.
    pub fn changed(&self) -> bool {
        !self.changed_attributes.is_empty()
    }
}

/// The `value` of a complex value (a group member's id), if it is a string.
pub(crate) fn member_id(element: &Value) -> Option<&str> {
    // Members have a handful of keys: scanning them beats hashing "value".
    let object = element.as_object()?;
    object
        .iter()
        .find(|(k, _)| k.as_str() == "value")
        .or_else(|| object.iter().find(|(k, _)| k.eq_ignore_ascii_case("value")))?
        .1
        .as_str()
}
