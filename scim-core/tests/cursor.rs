//! Paging cursors (RFC 9865): a cursor reads back as the position it was given for, and
//! only in the scope it was given for; anything altered, forged, foreign or stale is
//! refused with the RFC's error type.

use chrono::{Duration, Utc};
use scim_core::cursor::{CursorError, CursorKey, CursorScope, Position};
use scim_core::{ScimError, ScimType};
use serde_json::json;

const QUERY: &str = r#"userName sw "j" | userName ascending"#;
const TIMEOUT: Duration = Duration::minutes(10);

fn scope(tenant: &str) -> CursorScope<'_> {
    CursorScope::new(tenant, "Users", QUERY, 10)
}

#[test]
fn a_cursor_reads_back_as_its_position() {
    let key = CursorKey::random();
    let now = Utc::now();
    for position in [
        Position::after(
            Some(json!("jsmith")),
            "2819c223-7f76-453a-919d-413861904646",
        ),
        Position::before(None, "42"),
        Position::after(Some(json!(12.5)), "x"),
        Position::after(
            Some(json!("with / + = ? & # and ünïcode")),
            "id with spaces",
        ),
    ] {
        let token = key.encode(&scope("acme"), &position, now);
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "only RFC 3986's unreserved characters: {token}"
        );
        assert_eq!(
            key.decode(&scope("acme"), &token, now, TIMEOUT),
            Ok(position)
        );
    }
}

#[test]
fn a_cursor_out_of_its_scope_reads_nothing() {
    let key = CursorKey::random();
    let now = Utc::now();
    let token = key.encode(&scope("acme"), &Position::after(None, "7"), now);
    let refused = [
        (
            "another tenant",
            CursorScope::new("globex", "Users", QUERY, 10),
        ),
        (
            "another endpoint",
            CursorScope::new("acme", "Groups", QUERY, 10),
        ),
        (
            "another filter",
            CursorScope::new(
                "acme",
                "Users",
                r#"userName sw "k" | userName ascending"#,
                10,
            ),
        ),
        // Length-prefixed parts: moving bytes between tenant and endpoint changes the tag.
        (
            "a shifted boundary",
            CursorScope::new("acmeU", "sers", QUERY, 10),
        ),
    ];
    for (what, other) in refused {
        assert_eq!(
            key.decode(&other, &token, now, TIMEOUT),
            Err(CursorError::Invalid),
            "{what}"
        );
    }
    assert_eq!(
        CursorKey::random().decode(&scope("acme"), &token, now, TIMEOUT),
        Err(CursorError::Invalid),
        "another server's key"
    );
}

#[test]
fn altered_and_forged_cursors_are_invalid() {
    let key = CursorKey::from_secret(b"shared by every instance");
    let now = Utc::now();
    let token = key.encode(&scope("acme"), &Position::after(Some(json!("a")), "1"), now);
    let mut bytes = token.clone().into_bytes();
    for i in 0..bytes.len() {
        let original = bytes[i];
        bytes[i] = if original == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(bytes.clone()).expect("ASCII");
        assert_eq!(
            key.decode(&scope("acme"), &altered, now, TIMEOUT),
            Err(CursorError::Invalid),
            "byte {i} altered"
        );
        bytes[i] = original;
    }
    for garbage in [
        "",
        "x",
        "%%%",
        "e30",
        &"A".repeat(5000),
        &token[..token.len() - 1],
    ] {
        assert_eq!(
            key.decode(&scope("acme"), garbage, now, TIMEOUT),
            Err(CursorError::Invalid),
            "{garbage:.40}"
        );
    }
    // The same secret in another process reads it.
    let again = CursorKey::from_secret(b"shared by every instance");
    assert!(again.decode(&scope("acme"), &token, now, TIMEOUT).is_ok());
}

#[test]
fn a_stale_cursor_or_another_page_size_is_refused_as_the_rfc_names_it() {
    let key = CursorKey::random();
    let issued = Utc::now();
    let token = key.encode(&scope("acme"), &Position::after(None, "7"), issued);
    let later = issued + TIMEOUT + Duration::seconds(1);
    let expired = key.decode(&scope("acme"), &token, later, TIMEOUT);
    assert_eq!(expired, Err(CursorError::Expired));
    let bigger = CursorScope::new("acme", "Users", QUERY, 50);
    let count = key.decode(&bigger, &token, issued, TIMEOUT);
    assert_eq!(count, Err(CursorError::CountChanged { given: 10 }));

    let as_scim = |err: CursorError| {
        let err = ScimError::from(err);
        (err.status(), err.scim_type(), err.detail().to_owned())
    };
    assert_eq!(
        as_scim(CursorError::Invalid).1,
        Some(ScimType::InvalidCursor)
    );
    assert_eq!(
        as_scim(CursorError::Expired).1,
        Some(ScimType::ExpiredCursor)
    );
    let (status, kind, detail) = as_scim(CursorError::CountChanged { given: 10 });
    assert_eq!((status, kind), (400, Some(ScimType::InvalidCount)));
    assert!(detail.contains("10"), "{detail}");
    assert_eq!(
        ScimType::from_keyword("expiredCursor"),
        Some(ScimType::ExpiredCursor)
    );
}

#[test]
fn the_key_never_shows() {
    let key = CursorKey::from_secret(b"s3cret");
    assert_eq!(format!("{key:?}"), "CursorKey(..)");
}
