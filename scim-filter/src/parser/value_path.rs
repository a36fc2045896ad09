//! The PATCH `path` (RFC 7644 §3.5.2): `PATH = attrPath / valuePath [subAttr]`.
//!
//! A bare schema URN (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`) is an
//! `attrPath` here, split at its last colon; the caller decides from its schemas whether the
//! whole text names an extension (see [`AttrPath::urn`](crate::AttrPath::urn)).

use super::attr_path::{attr_path, sub_attr_after_bracket};
use super::{Ctx, PResult, fail};
use crate::ast::PatchPath;

impl Ctx<'_> {
    /// `PATH`.
    pub(crate) fn patch_path<'a>(&self, i: &'a str) -> PResult<'a, PatchPath> {
        let (rest, attr) = attr_path(i)?;
        if !rest.starts_with('[') {
            return Ok((
                rest,
                PatchPath {
                    attr,
                    filter: None,
                    sub_attr: None,
                },
            ));
        }
        if attr.sub_attr.is_some() {
            return fail(
                rest,
                "a value filter applies to a multi-valued attribute, not to a sub-attribute",
            );
        }
        let (rest, filter) = self.bracketed(rest)?;
        let (rest, sub_attr) = match rest.strip_prefix('.') {
            Some(sub_at) => {
                let (rest, name) = sub_attr_after_bracket(sub_at)?;
                (rest, Some(name.to_owned()))
            }
            None => (rest, None),
        };
        Ok((
            rest,
            PatchPath {
                attr,
                filter: Some(filter),
                sub_attr,
            },
        ))
    }
}
