//! Any request against the whole engine over a MemoryStore holding a user and a group:
//! never a panic, never a 5xx but `501` (for `/Me`, which this engine does not serve), and
//! every answer a SCIM body: an error with the ERROR schema, its status and a known
//! `scimType`, or a success that is a JSON object naming its schemas (or empty, for `204` and
//! `304`), labelled `application/scim+json`.
//!
//! Input: one byte picking the method and whether the request carries the right bearer
//! token, then the request target (path and query) up to a newline, then header lines up to
//! an empty line, then the body. `{user}` and `{group}` in the target and the body stand for
//! the ids of the stored user and group, which the store draws at random.

#![no_main]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use scim_core::engine::{BearerToken, Engine};
use scim_core::{
    Compat, ERROR_URN, MemoryStore, RequestContext, ResourceKind, SchemaRegistry, ScimStore,
    ScimType,
};
use serde_json::{Value, json};

const METHODS: [&str; 8] = [
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE",
];

/// Runs a future that never waits on anything but the MemoryStore (which never waits).
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
    }
}

/// A fresh engine for each input, so that a crash replays alone, and the ids of its user and
/// group.
fn engine() -> (Engine<MemoryStore>, String, String) {
    let store = MemoryStore::new();
    let registry = SchemaRegistry::new();
    let ctx = RequestContext::new(scim_core::engine::DEFAULT_TENANT);
    let user = registry
        .resource(ResourceKind::User)
        .validate_create(
            json!({"userName": "bjensen", "externalId": "e1",
                   "emails": [{"value": "b@example.com", "type": "work"}]}),
            &Compat::entra(),
        )
        .expect("valid user");
    let group = registry
        .resource(ResourceKind::Group)
        .validate_create(json!({"displayName": "Admins"}), &Compat::entra())
        .expect("valid group");
    let (user, group) = block_on(async {
        let user = store.create(&ctx, user).await.expect("create user");
        let group = store.create(&ctx, group).await.expect("create group");
        (user, group)
    });
    let id = |r: &scim_core::Resource| r.id().expect("an id").to_owned();
    let engine = Engine::builder(store, BearerToken::new("t"))
        .base_url("https://example.com/scim/v2")
        .build();
    (engine, id(&user), id(&group))
}

/// `input` with `{user}` and `{group}` replaced by the ids.
fn with_ids(input: &[u8], user: &str, group: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut rest = input;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix(b"{user}") {
            out.extend_from_slice(user.as_bytes());
            rest = after;
        } else if let Some(after) = rest.strip_prefix(b"{group}") {
            out.extend_from_slice(group.as_bytes());
            rest = after;
        } else {
            out.push(rest[0]);
            rest = &rest[1..];
        }
    }
    out
}

fn split_line(input: &[u8]) -> (&[u8], &[u8]) {
    match input.iter().position(|&b| b == b'\n') {
        Some(i) => (&input[..i], &input[i + 1..]),
        None => (input, &[]),
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&first, rest)) = input.split_first() else {
        return;
    };
    let (engine, user, group) = engine();
    let rest = with_ids(rest, &user, &group);
    let (target, mut rest) = split_line(&rest);
    let Ok(target) = std::str::from_utf8(target) else {
        return;
    };
    let mut request = http::Request::builder()
        .method(METHODS[usize::from(first) % METHODS.len()])
        .uri(target);
    if first & 0x80 == 0 {
        request = request.header("authorization", "Bearer t");
    }
    loop {
        let (line, after) = split_line(rest);
        rest = after;
        if line.is_empty() {
            break;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let value = line[colon + 1..].trim_ascii_start();
        request = request.header(&line[..colon], value);
    }
    // What http itself refuses (a bad URI or header) never reaches an engine.
    let Ok(request) = request.body(Bytes::copy_from_slice(rest)) else {
        return;
    };
    let response = block_on(engine.handle(request));
    let status = response.status().as_u16();
    assert!(status < 500 || status == 501, "status {status}");
    let body = response.body();
    if body.is_empty() {
        assert!(
            matches!(status, 204 | 304),
            "status {status} with an empty body"
        );
        return;
    }
    assert_eq!(
        response.headers()["content-type"],
        "application/scim+json",
        "status {status}"
    );
    let body: Value = serde_json::from_slice(body).expect("a JSON body");
    if status >= 400 {
        assert_eq!(body["schemas"], json!([ERROR_URN]), "{body}");
        assert_eq!(body["status"], json!(status.to_string()), "{body}");
        if let Some(kind) = body.get("scimType") {
            let kind = kind.as_str().expect("scimType is a string");
            assert!(ScimType::from_keyword(kind).is_some(), "{body}");
        }
    } else {
        let schemas = body["schemas"]
            .as_array()
            .expect("a success names its schemas");
        assert!(!schemas.is_empty(), "{body}");
    }
});
