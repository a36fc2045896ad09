//! `groups-addon` over HTTP: the SCIM token is the app's API key, and without the add-on
//! `/Groups` is refused and absent from discovery while users keep working.

mod common;

use common::{bearer, call, database, entra_user, start};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_groups-addon");
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

fn group(name: &str, member: &Value) -> Value {
    json!({"schemas": [GROUP], "displayName": name, "members": [{"value": member}]})
}

fn names(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| r["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn the_scim_token_is_the_apps_api_key() {
    let db = database("groups-addon");
    let server = start(
        BIN,
        &[
            "--bind",
            "127.0.0.1:0",
            "--token",
            "key-1",
            "--database-url",
            &db,
        ],
    );
    let base = &server.base_url;
    let (status, babs) = call(
        base,
        "POST",
        "/Users",
        &bearer("key-1"),
        &entra_user("babs@example.com"),
    );
    assert_eq!(status, 201, "{babs}");
    let (status, legal) = call(
        base,
        "POST",
        "/Groups",
        &bearer("key-1"),
        &group("Legal", &babs["id"]),
    );
    assert_eq!(status, 201, "{legal}");
    assert_eq!(legal["members"][0]["value"], babs["id"]);
    let (_, types) = call(
        base,
        "GET",
        "/ResourceTypes",
        &bearer("key-1"),
        &Value::Null,
    );
    assert_eq!(names(&types), ["User", "Group"]);

    // The app's REST API, same key.
    let api = base.replace("/scim/v2", "/api");
    let (status, people) = call(&api, "GET", "/people", &bearer("key-1"), &Value::Null);
    assert_eq!(status, 200, "{people}");
    assert_eq!(people, json!(["babs@example.com"]));
    let (status, _) = call(&api, "GET", "/people", &bearer("key-2"), &Value::Null);
    assert_eq!(status, 401);
}

#[tokio::test]
async fn without_the_add_on_groups_are_refused_and_users_work() {
    let db = database("groups-addon");
    let server = start(
        BIN,
        &[
            "--bind",
            "127.0.0.1:0",
            "--token",
            "k",
            "--database-url",
            &db,
            "--without-groups",
        ],
    );
    let base = &server.base_url;
    let (status, babs) = call(
        base,
        "POST",
        "/Users",
        &bearer("k"),
        &entra_user("babs@example.com"),
    );
    assert_eq!(status, 201, "{babs}");
    for (method, path, body) in [
        (
            "GET",
            "/Groups?filter=displayName%20eq%20%22Legal%22",
            Value::Null,
        ),
        ("POST", "/Groups", group("Legal", &babs["id"])),
    ] {
        let (status, answer) = call(base, method, path, &bearer("k"), &body);
        assert_eq!(status, 403, "{method} {path}: {answer}");
        assert!(
            answer["detail"]
                .as_str()
                .unwrap_or_default()
                .starts_with("Group provisioning is an add-on"),
            "{answer}"
        );
    }
    let (_, types) = call(base, "GET", "/ResourceTypes", &bearer("k"), &Value::Null);
    assert_eq!(names(&types), ["User"]);
    let (_, schemas) = call(base, "GET", "/Schemas", &bearer("k"), &Value::Null);
    assert!(!names(&schemas).contains(&"Group".to_owned()), "{schemas}");

    let (_, users) = call(base, "GET", "/Users", &bearer("k"), &Value::Null);
    assert_eq!(users["totalResults"], 1);
}
