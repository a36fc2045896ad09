//! `dry-run-org` over HTTP: a dry run checks everything and keeps nothing, roles are the
//! product's six and at most one global one besides `RegularUser`, users are found by
//! `externalId` and by `displayName`, groups by `displayName`.

mod common;

use common::{PATCH_OP, bearer, call, database, entra_user, rows, serve};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_dry-run-org");

fn filter(expression: &str) -> String {
    let encoded: String = expression
        .chars()
        .map(|c| match c {
            ' ' => "%20".to_owned(),
            '"' => "%22".to_owned(),
            c => c.to_string(),
        })
        .collect();
    format!("?filter={encoded}")
}

fn with_roles(user_name: &str, roles: &[&str]) -> Value {
    let mut user = entra_user(user_name);
    user["roles"] = roles
        .iter()
        .map(|r| json!({"primary": false, "type": "WindowsAzureActiveDirectoryRole", "value": r}))
        .collect();
    user
}

#[tokio::test]
async fn a_dry_run_answers_as_the_real_run_and_keeps_nothing() {
    let db = database("dry-run-org");
    let server = serve(BIN, &db, &[]);
    let base = &server.base_url;
    let dry = format!("{base}/dry-run");
    let user = with_roles("babs@example.com", &["GlobalReader", "RegularUser"]);
    let (status, body) = call(&dry, "POST", "/Users", &bearer("t"), &user);
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["userName"], "babs@example.com");
    // Refused in a dry run as it would be for real.
    let two = with_roles("two@example.com", &["GlobalAdministrator", "GlobalReader"]);
    let (status, body) = call(&dry, "POST", "/Users", &bearer("t"), &two);
    assert_eq!(status, 400, "{body}");
    assert!(rows(&db, "SELECT id FROM members").await.is_empty());
    let (_, page) = call(base, "GET", "/Users", &bearer("t"), &Value::Null);
    assert_eq!(page["totalResults"], 0);
}

#[tokio::test]
async fn one_global_role_besides_regular_user() {
    let db = database("dry-run-org");
    let server = serve(BIN, &db, &[]);
    let base = &server.base_url;
    let two = with_roles(
        "two@example.com",
        &["GlobalAdministrator", "RegularUser", "GlobalReader"],
    );
    let (status, body) = call(base, "POST", "/Users", &bearer("t"), &two);
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["scimType"], "invalidValue");
    assert_eq!(
        body["detail"],
        "attribute \"roles\": a user holds at most one global role other than RegularUser; \
         got GlobalAdministrator, GlobalReader"
    );
    let unknown = with_roles("x@example.com", &["Owner"]);
    let (status, body) = call(base, "POST", "/Users", &bearer("t"), &unknown);
    assert_eq!(status, 400, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("\"Owner\" is not one of"),
        "{body}"
    );

    // One role is fine; a PATCH adding a second global role is refused, and nothing changes.
    let one = with_roles("one@example.com", &["ProjectAdministrator", "RegularUser"]);
    let (status, user) = call(base, "POST", "/Users", &bearer("t"), &one);
    assert_eq!(status, 201, "{user}");
    let id = user["id"].as_str().expect("an id");
    let add = json!({"schemas": [PATCH_OP], "Operations": [{"op": "Add", "path": "roles",
        "value": [{"value": "CertificateAdministrator"}]}]});
    let (status, body) = call(base, "PATCH", &format!("/Users/{id}"), &bearer("t"), &add);
    assert_eq!(status, 400, "{body}");
    let kept = rows(&db, "SELECT role FROM member_roles ORDER BY position").await;
    assert_eq!(
        kept,
        vec![
            vec!["ProjectAdministrator".to_owned()],
            vec!["RegularUser".to_owned()]
        ]
    );
}

#[tokio::test]
async fn users_and_groups_are_found_as_entra_matches_them() {
    let db = database("dry-run-org");
    let server = serve(BIN, &db, &[]);
    let base = &server.base_url;
    let (status, user) = call(
        base,
        "POST",
        "/Users",
        &bearer("t"),
        &entra_user("babs@example.com"),
    );
    assert_eq!(status, 201, "{user}");
    for lookup in [
        "externalId eq \"babs\"",
        "displayName eq \"BABS@example.com\"",
    ] {
        let (status, page) = call(
            base,
            "GET",
            &format!("/Users{}", filter(lookup)),
            &bearer("t"),
            &Value::Null,
        );
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["totalResults"], 1, "{lookup}: {page}");
        assert_eq!(page["Resources"][0]["id"], user["id"]);
    }

    // A group on first sight: not found, created, then found by its name with its member.
    let lookup = format!("/Groups{}", filter("displayName eq \"Signers\""));
    let (_, page) = call(base, "GET", &lookup, &bearer("t"), &Value::Null);
    assert_eq!(page["totalResults"], 0);
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Signers", "members": [{"value": user["id"]}]});
    let (status, created) = call(base, "POST", "/Groups", &bearer("t"), &group);
    assert_eq!(status, 201, "{created}");
    let (_, page) = call(base, "GET", &lookup, &bearer("t"), &Value::Null);
    assert_eq!(page["totalResults"], 1);
    assert_eq!(page["Resources"][0]["members"][0]["value"], user["id"]);
    // The same name again is the same group: a conflict, not a second one.
    let (status, body) = call(base, "POST", "/Groups", &bearer("t"), &group);
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        rows(&db, "SELECT name FROM teams").await,
        vec![vec!["Signers".to_owned()]]
    );
}
