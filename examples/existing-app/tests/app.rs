//! The app over real HTTP on 127.0.0.1: its own sign-up and login keep working, and what a
//! directory provisions through SCIM lands in its accounts table (created, linked to an
//! account that signed up before, renamed, deactivated so that logins are refused, deleted).
//! And the README's "add it to your app" lines are the ones this app runs.

#[allow(dead_code)]
#[path = "../../start_test.rs"]
mod start_test;

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use start_test::{Server, send, start};

const TOKEN: &str = "existing-app-token";

fn server() -> Server {
    let db =
        std::env::temp_dir().join(format!("existing-app-{}.db", uuid::Uuid::new_v4().simple()));
    start(Command::new(env!("CARGO_BIN_EXE_existing-app")).args([
        "--bind",
        "127.0.0.1:0",
        "--token",
        TOKEN,
        "--database-url",
        &format!("sqlite://{}", db.display()),
    ]))
}

/// The app's root URL.
fn root(server: &Server) -> String {
    server
        .base_url
        .strip_suffix("/scim/v2")
        .expect("mounted at /scim/v2")
        .to_owned()
}

/// One of the app's own routes (no token).
fn app(server: &Server, method: &str, route: &str, body: &Value) -> (u16, Value) {
    let text = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let (status, body) = send(&format!("{}{route}", root(server)), method, "", "", &text);
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// A SCIM request, as Entra sends it.
fn scim(server: &Server, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let text = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let (status, body) = send(&server.base_url, method, path, TOKEN, &text);
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// The app's accounts once `ready` holds of them (the copy runs after the SCIM answer).
fn accounts_once(server: &Server, ready: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, list) = app(server, "GET", "/accounts", &Value::Null);
        assert_eq!(status, 200, "{list}");
        let list = list.as_array().cloned().unwrap_or_default();
        if ready(&list) {
            return list;
        }
        assert!(
            Instant::now() < deadline,
            "accounts never got there: {list:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn account<'a>(list: &'a [Value], email: &str) -> Option<&'a Value> {
    list.iter().find(|a| a["email"] == email)
}

#[test]
fn provisioned_users_live_in_the_apps_own_table() {
    let s = server();
    // The app as it was.
    let (status, body) = app(&s, "GET", "/accounts", &Value::Null);
    assert_eq!((status, body), (200, json!([])));
    let old =
        json!({"email": "old@example.com", "password": "Old-Password-1", "name": "Old Timer"});
    assert_eq!(app(&s, "POST", "/signup", &old).0, 201);
    assert_eq!(app(&s, "POST", "/login", &old).0, 200);
    let wrong = json!({"email": "old@example.com", "password": "nope"});
    assert_eq!(app(&s, "POST", "/login", &wrong).0, 401);

    // Entra creates a user: an account appears.
    let (status, babs) = scim(
        &s,
        "POST",
        "/Users",
        &json!({"userName": "bjensen@example.com", "displayName": "Babs Jensen", "active": true,
                "emails": [{"value": "babs@example.com", "type": "work", "primary": true}]}),
    );
    assert_eq!(status, 201, "{babs}");
    let babs_id = babs["id"].as_str().expect("id").to_owned();
    let list = accounts_once(&s, |l| account(l, "babs@example.com").is_some());
    let babs_account = account(&list, "babs@example.com").expect("Babs");
    assert_eq!(babs_account["name"], "Babs Jensen");
    assert_eq!(babs_account["active"], true);
    assert_eq!(babs_account["scim_id"], babs_id.as_str());
    // Provisioned without a password: she sets one as she accepts the invitation.
    let babs_login = json!({"email": "babs@example.com", "password": "Babs-Password-1"});
    assert_eq!(app(&s, "POST", "/login", &babs_login).0, 401);
    assert_eq!(app(&s, "POST", "/signup", &babs_login).0, 201);
    assert_eq!(app(&s, "POST", "/login", &babs_login).0, 200);

    // Entra provisions someone who had signed up already: the account is linked, not doubled.
    let (status, linked) = scim(
        &s,
        "POST",
        "/Users",
        &json!({"userName": "old@corp.example", "displayName": "Old Timer",
                "emails": [{"value": "old@example.com", "primary": true}]}),
    );
    assert_eq!(status, 201, "{linked}");
    let old_id = linked["id"].as_str().expect("id").to_owned();
    let list = accounts_once(&s, |l| {
        account(l, "old@example.com").is_some_and(|a| a["scim_id"] == old_id.as_str())
    });
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(
        app(&s, "POST", "/login", &old).0,
        200,
        "the password is kept"
    );

    // Deactivated in the directory: the app refuses the login, whatever the password.
    let patch = |ops: Value| json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
    let (status, body) = scim(
        &s,
        "PATCH",
        &format!("/Users/{old_id}"),
        &patch(json!([{"op": "replace", "path": "active", "value": "False"}])),
    );
    assert!(status == 200 || status == 204, "{body}");
    accounts_once(&s, |l| {
        account(l, "old@example.com").is_some_and(|a| a["active"] == false)
    });
    assert_eq!(app(&s, "POST", "/login", &old).0, 403);

    // Renamed, then deleted.
    let (status, body) = scim(
        &s,
        "PATCH",
        &format!("/Users/{babs_id}"),
        &patch(json!([{"op": "replace", "path": "displayName", "value": "Barbara Jensen"}])),
    );
    assert!(status == 200 || status == 204, "{body}");
    accounts_once(&s, |l| {
        account(l, "babs@example.com").is_some_and(|a| a["name"] == "Barbara Jensen")
    });
    assert_eq!(
        scim(&s, "DELETE", &format!("/Users/{babs_id}"), &Value::Null).0,
        204
    );
    let list = accounts_once(&s, |l| account(l, "babs@example.com").is_none());
    assert_eq!(list.len(), 1, "{list:?}");
}

/// The README's "Add it to your app" snippet is the SCIM part of this app, line for line.
#[test]
fn the_readme_snippet_is_this_apps_code() {
    let readme = include_str!("../../../README.md");
    let main = include_str!("../src/main.rs");
    let section = readme
        .split("## Add it to your app")
        .nth(1)
        .expect("the README's section");
    let snippet = section
        .split("```rust")
        .nth(1)
        .and_then(|s| s.split_once('\n'))
        .and_then(|(_, s)| s.split("```").next())
        .expect("a rust block in the section");
    let code: Vec<&str> = snippet
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .collect();
    assert!(code.len() >= 4, "{snippet}");
    let app_lines: Vec<&str> = main.lines().map(str::trim).collect();
    let start = app_lines
        .iter()
        .position(|l| *l == code[0])
        .unwrap_or_else(|| panic!("{:?} is not in src/main.rs", code[0]));
    assert_eq!(
        &app_lines[start..start + code.len()],
        &code[..],
        "the README's snippet and src/main.rs differ"
    );
}
