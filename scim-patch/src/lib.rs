#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod apply;
mod compat;
mod error;
mod journal;
pub mod json;
mod membership;
mod request;

use serde_json::Value;

pub use apply::Patcher;
pub use compat::PatchCompat;
pub use error::{PatchError, PatchErrorKind};
pub use membership::Membership;
pub use request::{OpKind, PATCH_OP_URN, PatchOperation, PatchRequest};

/// What an applied request changed, and what it displaced.
///
/// The engine uses it to skip writes that change nothing (Entra re-sends identical values on
/// every cycle), to report events, and to let a store apply membership changes natively
/// instead of rewriting a large group.
///
/// The outcome owns the values the request displaced (old values, removed elements), so the
/// caller chooses when they are freed: removing every member of a group of 100,000 displaces
/// them all, and dropping the outcome after answering keeps that work off the response.
#[derive(Default)]
#[non_exhaustive]
pub struct Outcome {
    /// The attributes whose value changed, in the order they were first touched: core
    /// attributes by their key (`displayName`), extension attributes qualified by their URN
    /// (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`), a whole
    /// extension by its URN.
    pub changed_attributes: Vec<String>,
    members: membership::MemberLog,
    displaced: Vec<Value>,
}

impl Outcome {
    /// Whether the request changed anything.
    pub fn changed(&self) -> bool {
        !self.changed_attributes.is_empty()
    }

    /// The ids (`value`) of the group members the request added and removed, each in the
    /// order of its first mention; an id added then removed in the same request is in
    /// neither.
    ///
    /// Applying a request only records where these ids are (in the request, in the values it
    /// displaced); they are worked out here, when asked, at a cost proportional to the
    /// members the request touched (all of them, for a request replacing the whole list).
    pub fn members_delta(&self) -> (Vec<&str>, Vec<&str>) {
        self.members.delta(&self.displaced)
    }

    /// The ids of the group members the request added (see
    /// [`members_delta`](Self::members_delta)).
    pub fn members_added(&self) -> Vec<&str> {
        self.members_delta().0
    }

    /// The ids of the group members the request removed (see
    /// [`members_delta`](Self::members_delta)).
    pub fn members_removed(&self) -> Vec<&str> {
        self.members_delta().1
    }
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (added, removed) = self.members_delta();
        f.debug_struct("Outcome")
            .field("changed_attributes", &self.changed_attributes)
            .field("members_added", &added)
            .field("members_removed", &removed)
            .finish_non_exhaustive()
    }
}

/// A handful of ids (at most 16) to look up many others in: each candidate is first compared
/// by its length and last 8 bytes, read as one integer, and only on a match as a string. For
/// ids, which differ in their last bytes, that is one integer comparison per wanted id.
pub(crate) struct FewIds<'a> {
    keys: Vec<u64>,
    ids: Vec<&'a str>,
}

impl<'a> FewIds<'a> {
    pub(crate) fn new(ids: impl IntoIterator<Item = &'a str>) -> Self {
        let ids: Vec<&str> = ids.into_iter().collect();
        Self {
            keys: ids.iter().map(|id| Self::key(id)).collect(),
            ids,
        }
    }

    fn key(id: &str) -> u64 {
        let bytes = id.as_bytes();
        let tail = &bytes[bytes.len().saturating_sub(8)..];
        let mut key = [0u8; 8];
        key[..tail.len()].copy_from_slice(tail);
        u64::from_le_bytes(key) ^ (bytes.len() as u64).rotate_left(56)
    }

    /// The index of `id` among the wanted ids, if it is one.
    pub(crate) fn position(&self, id: &str) -> Option<usize> {
        let key = Self::key(id);
        self.keys
            .iter()
            .enumerate()
            .find(|&(i, &k)| k == key && self.ids[i] == id)
            .map(|(i, _)| i)
    }

    pub(crate) fn contains(&self, id: &str) -> bool {
        self.position(id).is_some()
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
