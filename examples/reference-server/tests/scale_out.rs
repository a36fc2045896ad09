//! Two reference-server processes on one PostgreSQL database, driven at once through both:
//! racing creates of one name, PATCHes of one user, and membership changes of one group
//! arrive through either process. Nothing is lost, uniqueness holds, and both processes
//! answer the same versions.
//!
//! Each run gets a database of its own (created and dropped here). Without PostgreSQL the
//! test says it was skipped and why; `SCIM_REQUIRE_POSTGRES=1` (as `.ci/run` sets) makes it
//! fail instead.

mod postgres;
#[allow(dead_code)]
#[path = "../../start_test.rs"]
mod start_test;

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use start_test::{Server, send, start};

const BINARY: &str = env!("CARGO_BIN_EXE_reference-server");
const TOKEN: &str = "scale-out-token";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn call(server: &Server, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let text = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let (status, body) = send(&server.base_url, method, path, TOKEN, &text);
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn patch(operations: &Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": operations})
}

/// Runs `work(i)` for `i` in `0..n` on `n` threads at once; the results in order.
fn at_once<T: Send>(n: usize, work: impl Fn(usize) -> T + Sync) -> Vec<T> {
    std::thread::scope(|scope| {
        let work = &work;
        let handles: Vec<_> = (0..n).map(|i| scope.spawn(move || work(i))).collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a worker"))
            .collect()
    })
}

fn members(group: &Value) -> BTreeSet<String> {
    group["members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["value"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn two_processes_on_one_database_lose_nothing() {
    const WHAT: &str = "the two-process PostgreSQL test";
    let Some(admin_url) = postgres::url(WHAT) else {
        return;
    };
    let database = match postgres::Database::create(&admin_url, "scim_scale") {
        Ok(database) => database,
        Err(err) if postgres::required() => panic!("creating its database: {err}"),
        Err(err) => {
            postgres::skip(
                WHAT,
                &format!("it cannot create a database at {admin_url}: {err}"),
            );
            return;
        }
    };
    // Both start at once: the schema is created by whichever gets the lock first.
    let servers: Vec<Server> = at_once(2, |_| {
        start(Command::new(BINARY).args([
            "--bind",
            "127.0.0.1:0",
            "--token",
            TOKEN,
            "--database-url",
            &database.url,
        ]))
    });
    let server = |i: usize| &servers[i % 2];
    let operations = AtomicUsize::new(0);
    let counted = |server: &Server, method: &str, path: &str, body: &Value| {
        operations.fetch_add(1, Ordering::Relaxed);
        call(server, method, path, body)
    };

    // 1. Racing creates of one userName, in two spellings, through both: one wins.
    let race = at_once(16, |i| {
        let name = if i % 2 == 0 { "racer" } else { "RACER" };
        counted(server(i), "POST", "/Users", &json!({"userName": name})).0
    });
    assert_eq!(race.iter().filter(|&&s| s == 201).count(), 1, "{race:?}");
    assert!(race.iter().all(|&s| s == 201 || s == 409), "{race:?}");

    // 2. Forty distinct users, created through both at once.
    let ids: Vec<String> = at_once(40, |i| {
        let (status, body) = counted(
            server(i),
            "POST",
            "/Users",
            &json!({"userName": format!("worker-{i}"), "emails": [{"value": format!("w{i}@example.com")}]}),
        );
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().expect("id").to_owned()
    });
    let (status, group) = counted(
        server(0),
        "POST",
        "/Groups",
        &json!({"displayName": "crowd"}),
    );
    assert_eq!(status, 201, "{group}");
    let group = format!("/Groups/{}", group["id"].as_str().expect("id"));

    // 3. Everyone joins the one group through either process at once; then half leave.
    let joined = at_once(40, |i| {
        let add = patch(&json!([{"op": "add", "path": "members", "value": [{"value": ids[i]}]}]));
        counted(server(i + 1), "PATCH", &group, &add).0
    });
    assert!(joined.iter().all(|s| (200..300).contains(s)), "{joined:?}");
    let (_, read) = counted(server(0), "GET", &group, &Value::Null);
    assert_eq!(
        members(&read),
        ids.iter().cloned().collect(),
        "every join is kept"
    );
    let left = at_once(20, |i| {
        let remove =
            patch(&json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", ids[i])}]));
        counted(server(i), "PATCH", &group, &remove).0
    });
    assert!(left.iter().all(|s| (200..300).contains(s)), "{left:?}");
    let (_, read) = counted(server(1), "GET", &group, &Value::Null);
    assert_eq!(
        members(&read),
        ids[20..].iter().cloned().collect(),
        "every leave is kept"
    );

    // 4. Twenty-four PATCHes of one user through both at once, without If-Match: each is
    //    applied (the engine retries a lost version race) or answered 412; none is lost.
    let target = format!("/Users/{}", ids[0]);
    let patched = at_once(24, |i| {
        let add = patch(
            &json!([{"op": "add", "path": "emails", "value": [{"value": format!("p{i}@example.com")}]}]),
        );
        (i, counted(server(i), "PATCH", &target, &add).0)
    });
    let applied: BTreeSet<String> = patched
        .iter()
        .filter(|(_, s)| *s == 200)
        .map(|(i, _)| format!("p{i}@example.com"))
        .collect();
    assert!(
        patched.iter().all(|(_, s)| *s == 200 || *s == 412),
        "{patched:?}"
    );
    let (_, user) = counted(server(1), "GET", &target, &Value::Null);
    let held: BTreeSet<String> = user["emails"]
        .as_array()
        .expect("emails")
        .iter()
        .filter_map(|e| e["value"].as_str())
        .filter(|e| e.starts_with('p'))
        .map(str::to_owned)
        .collect();
    assert_eq!(held, applied, "exactly the applied PATCHes are kept");
    // The engine retries a write that lost a version race (up to 32 times): all but the
    // unluckiest get through.
    assert!(applied.len() >= 20, "writers get through: {patched:?}");
    eprintln!(
        "one user, 24 unconditional PATCHes through two processes: {} applied, {} answered 412",
        applied.len(),
        patched.len() - applied.len()
    );

    // 5. Both processes answer the same thing, versions included (each locates resources
    //    under its own address).
    for path in [target.as_str(), group.as_str()] {
        let read = |i| {
            let (_, mut body) = counted(server(i), "GET", path, &Value::Null);
            body["meta"]["location"].take();
            body
        };
        let (a, b) = (read(0), read(1));
        assert_eq!(a, b, "{path}");
        assert!(a["meta"]["version"].is_string(), "{a}");
    }
    let (_, all) = counted(server(0), "GET", "/Users?count=200", &Value::Null);
    assert_eq!(all["totalResults"], json!(41), "40 workers and one racer");
    eprintln!(
        "two processes: {} concurrent operations",
        operations.load(Ordering::Relaxed)
    );
}
