//! The app over real HTTP on 127.0.0.1: its own sign-up and login keep working, and its
//! accounts table is the SCIM users table. Entra's first lookup finds an account the app
//! had before SCIM and its PATCH updates it (no second account); a provisioned user is an
//! account at once; a deactivated one cannot log in; everything survives a restart. And
//! the README's "add it to your app" lines are the ones this app runs.

#[allow(dead_code)]
#[path = "../../start_test.rs"]
mod start_test;

use std::process::Command;

use serde_json::{Value, json};
use start_test::{Server, send, start};

const TOKEN: &str = "existing-app-token";

/// A new database file.
fn database() -> String {
    let db =
        std::env::temp_dir().join(format!("existing-app-{}.db", uuid::Uuid::new_v4().simple()));
    format!("sqlite://{}", db.display())
}

fn server(database: &str) -> Server {
    start(Command::new(env!("CARGO_BIN_EXE_existing-app")).args([
        "--bind",
        "127.0.0.1:0",
        "--token",
        TOKEN,
        "--database-url",
        database,
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

/// The app's accounts, from its own page.
fn accounts(server: &Server) -> Vec<Value> {
    let (status, list) = app(server, "GET", "/accounts", &Value::Null);
    assert_eq!(status, 200, "{list}");
    list.as_array().cloned().unwrap_or_default()
}

fn account<'a>(list: &'a [Value], email: &str) -> Option<&'a Value> {
    list.iter().find(|a| a["email"] == email)
}

fn patch(ops: &Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

/// `userName eq`, as Entra's first request about a user asks it.
fn lookup(server: &Server, user_name: &str) -> Value {
    let path = format!("/Users?filter=userName%20eq%20%22{user_name}%22");
    let (status, page) = scim(server, "GET", &path, &Value::Null);
    assert_eq!(status, 200, "{page}");
    page
}

#[test]
fn the_apps_accounts_are_the_scim_users() {
    let db = database();
    let s = server(&db);
    // The app as it was: an account signed up before SCIM was switched on.
    assert_eq!(accounts(&s), Vec::<Value>::new());
    let old =
        json!({"email": "old@example.com", "password": "Old-Password-1", "name": "Old Timer"});
    assert_eq!(app(&s, "POST", "/signup", &old).0, 201);
    assert_eq!(app(&s, "POST", "/login", &old).0, 200);
    let wrong = json!({"email": "old@example.com", "password": "nope"});
    assert_eq!(app(&s, "POST", "/login", &wrong).0, 401);
    let old_id = accounts(&s)[0]["id"].to_string();

    // Entra's first lookup finds it (in any case), and its PATCH updates it: no duplicate.
    let page = lookup(&s, "Old@Example.com");
    assert_eq!(page["totalResults"], 1, "{page}");
    assert_eq!(page["Resources"][0]["id"], old_id.as_str());
    assert_eq!(page["Resources"][0]["displayName"], "Old Timer");
    let (status, body) = scim(
        &s,
        "PATCH",
        &format!("/Users/{old_id}"),
        &patch(&json!([
            {"op": "Replace", "path": "displayName", "value": "Old Timer (Sales)"},
            {"op": "Add", "path": "externalId", "value": "8e6b-entra"}
        ])),
    );
    assert_eq!(status, 200, "{body}");
    let list = accounts(&s);
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["name"], "Old Timer (Sales)");
    assert_eq!(
        app(&s, "POST", "/login", &old).0,
        200,
        "the password is kept"
    );
    // A create of the same name is refused, not doubled.
    let (status, body) = scim(
        &s,
        "POST",
        "/Users",
        &json!({"userName": "OLD@example.com"}),
    );
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["scimType"], "uniqueness");

    // Entra creates a user: the account is there when the answer is.
    let (status, babs) = scim(
        &s,
        "POST",
        "/Users",
        &json!({"userName": "babs@example.com", "displayName": "Babs Jensen", "active": true}),
    );
    assert_eq!(status, 201, "{babs}");
    let babs_id = babs["id"].as_str().expect("id").to_owned();
    let list = accounts(&s);
    let babs_account = account(&list, "babs@example.com").expect("Babs");
    assert_eq!(babs_account["id"].to_string(), babs_id);
    assert_eq!(babs_account["name"], "Babs Jensen");
    assert_eq!(babs_account["active"], true);
    // Provisioned without a password: she sets one as she accepts the invitation.
    let babs_login = json!({"email": "babs@example.com", "password": "Babs-Password-1"});
    assert_eq!(app(&s, "POST", "/login", &babs_login).0, 401);
    assert_eq!(app(&s, "POST", "/signup", &babs_login).0, 201);
    assert_eq!(app(&s, "POST", "/login", &babs_login).0, 200);

    // Deactivated in the directory, as Entra says it: the app refuses the login.
    let (status, body) = scim(
        &s,
        "PATCH",
        &format!("/Users/{old_id}"),
        &patch(&json!([{"op": "Replace", "path": "active", "value": "False"}])),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        account(&accounts(&s), "old@example.com").expect("old")["active"],
        false
    );
    assert_eq!(app(&s, "POST", "/login", &old).0, 403);

    // A restart forgets nothing: the accounts, what SCIM keeps beside them, the lookup.
    drop(s);
    let s = server(&db);
    let (status, user) = scim(&s, "GET", &format!("/Users/{old_id}"), &Value::Null);
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["externalId"], "8e6b-entra");
    assert_eq!(user["active"], false);
    assert_eq!(user["meta"]["version"], "W/\"2\"");
    assert_eq!(
        lookup(&s, "babs@example.com")["Resources"][0]["id"],
        babs_id.as_str()
    );
    assert_eq!(app(&s, "POST", "/login", &old).0, 403);
    assert_eq!(app(&s, "POST", "/login", &babs_login).0, 200);

    // Renamed, then deleted.
    let (status, body) = scim(
        &s,
        "PATCH",
        &format!("/Users/{babs_id}"),
        &patch(&json!([{"op": "replace", "path": "displayName", "value": "Barbara Jensen"}])),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        account(&accounts(&s), "babs@example.com").expect("Babs")["name"],
        "Barbara Jensen"
    );
    assert_eq!(
        scim(&s, "DELETE", &format!("/Users/{babs_id}"), &Value::Null).0,
        204
    );
    let list = accounts(&s);
    assert_eq!(list.len(), 1, "{list:?}");
    assert!(account(&list, "babs@example.com").is_none());
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
