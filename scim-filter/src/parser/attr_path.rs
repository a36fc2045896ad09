//! `attrPath = [URI ":"] ATTRNAME *1subAttr` (RFC 7644 §3.4.2.2, RFC 7643 §2.1).
//!
//! ```text
//! ATTRNAME = ALPHA *(nameChar)     ; and "$ref", which RFC 7643 uses though the ABNF omits "$"
//! nameChar = "-" / "_" / DIGIT / ALPHA
//! subAttr  = "." ATTRNAME
//! ```
//!
//! A URI contains colons and dots (`...:enterprise:2.0:User:manager.value`), so the path is read
//! as one token, the schema is everything before its last colon, and the rest is split at dots.

use nom::Parser;
use nom::bytes::complete::take_while;

use super::{PResult, excerpt, fail};
use crate::ast::AttrPath;

/// Characters that may appear in an attribute path token, URN prefix included.
pub(crate) fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '$')
}

/// Whether `b` may continue an attribute name.
pub(crate) fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_')
}

/// The whole of `input` as a plain `ATTRNAME [subAttr]` (no schema URN, no filter), if it is
/// one: the common case (`displayName`, `name.givenName`), read without the general grammar.
pub(crate) fn simple_attr_path(input: &str) -> Option<AttrPath> {
    let (name, sub_attr) = match input.split_once('.') {
        Some((name, sub)) => (name, Some(sub)),
        None => (input, None),
    };
    let plain = |part: &str| {
        let bytes = part.as_bytes();
        bytes
            .first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'$')
            && bytes[1..].iter().all(|&b| is_name_byte(b))
    };
    if !plain(name) || !sub_attr.is_none_or(plain) {
        return None;
    }
    Some(AttrPath {
        schema: None,
        name: name.to_owned(),
        sub_attr: sub_attr.map(str::to_owned),
    })
}

/// `attrPath`.
pub(crate) fn attr_path(i: &str) -> PResult<'_, AttrPath> {
    let (rest, token) = take_while(is_path_char).parse(i)?;
    if token.is_empty() {
        return fail(i, expected_name_message(i));
    }
    let (schema, names_at) = match token.rfind(':') {
        Some(0) => return fail(i, "expected a schema URN before \":\""),
        Some(colon) => (Some(&token[..colon]), colon + 1),
        None => (None, 0),
    };
    let names = &token[names_at..];
    let (name, sub_attr) = match names.find('.') {
        Some(dot) => (&names[..dot], Some(&names[dot + 1..])),
        None => (names, None),
    };
    attr_name(&i[names_at..], name, "an attribute name")?;
    if let Some(sub) = sub_attr {
        let sub_at = &i[names_at + name.len() + 1..];
        if let Some(dot) = sub.find('.') {
            return fail(
                &sub_at[dot..],
                "an attribute path has at most one sub-attribute",
            );
        }
        attr_name(sub_at, sub, "a sub-attribute name after \".\"")?;
    }
    Ok((
        rest,
        AttrPath {
            schema: schema.map(str::to_owned),
            name: name.to_owned(),
            sub_attr: sub_attr.map(str::to_owned),
        },
    ))
}

/// `ATTRNAME`, `name` being the candidate text found at `at`.
pub(crate) fn attr_name<'a>(at: &'a str, name: &str, what: &'static str) -> PResult<'a, ()> {
    let bytes = name.as_bytes();
    match bytes.first() {
        None => return fail(at, format!("expected {what}")),
        Some(b) if b.is_ascii_alphabetic() || *b == b'$' => {}
        Some(_) => {
            return fail(
                at,
                format!("{what} must start with a letter, found \"{}\"", excerpt(at)),
            );
        }
    }
    if let Some(bad) = bytes[1..].iter().position(|&b| !is_name_byte(b)) {
        let at = &at[bad + 1..];
        return fail(at, format!("unexpected \"{}\" in {what}", &at[..1]));
    }
    Ok((at, ()))
}

/// `ATTRNAME` after the `.` of a `subAttr` that follows a value filter's `]`.
pub(crate) fn sub_attr_after_bracket(i: &str) -> PResult<'_, &str> {
    let (rest, name) =
        take_while(|c: char| c.is_ascii() && (is_name_byte(c as u8) || c == '$')).parse(i)?;
    attr_name(i, name, "a sub-attribute name after \".\"")?;
    Ok((rest, name))
}

/// The message for input where an attribute path should start but none does.
fn expected_name_message(i: &str) -> String {
    match i.chars().next() {
        None => "expected an attribute name, found the end of the input".to_owned(),
        Some('"') => "expected an attribute name, found a string".to_owned(),
        Some(_) => format!("expected an attribute name, found \"{}\"", excerpt(i)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(i: &str) -> (Option<String>, String, Option<String>, &str) {
        let (rest, p) = attr_path(i).unwrap();
        (p.schema, p.name, p.sub_attr, rest)
    }

    #[test]
    fn simple_names_sub_attributes_and_urns() {
        assert_eq!(ok("userName eq"), (None, "userName".into(), None, " eq"));
        assert_eq!(
            ok("name.familyName co"),
            (None, "name".into(), Some("familyName".into()), " co")
        );
        assert_eq!(
            ok("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq"),
            (
                Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".into()),
                "manager".into(),
                Some("value".into()),
                " eq"
            )
        );
        assert_eq!(
            ok("members.$ref pr"),
            (None, "members".into(), Some("$ref".into()), " pr")
        );
        assert_eq!(ok("emails[type"), (None, "emails".into(), None, "[type"));
        assert_eq!(ok("x-y_z9)"), (None, "x-y_z9".into(), None, ")"));
    }

    #[test]
    fn bad_names_point_at_the_problem() {
        let at = |i: &'static str| match attr_path(i) {
            Err(nom::Err::Failure(e)) => (i.len() - e.at.len(), e.message.into_owned()),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            at("9lives"),
            (
                0,
                "an attribute name must start with a letter, found \"9lives\"".into()
            )
        );
        assert_eq!(
            at("a.b.c"),
            (3, "an attribute path has at most one sub-attribute".into())
        );
        assert_eq!(
            at("name."),
            (5, "expected a sub-attribute name after \".\"".into())
        );
        assert_eq!(at("urn:x:"), (6, "expected an attribute name".into()));
        assert_eq!(at(":x"), (0, "expected a schema URN before \":\"".into()));
        assert_eq!(
            at("=x"),
            (0, "expected an attribute name, found \"=x\"".into())
        );
        assert_eq!(
            at("a$b"),
            (1, "unexpected \"$\" in an attribute name".into())
        );
    }
}
