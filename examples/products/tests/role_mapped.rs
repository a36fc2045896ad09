//! `role-mapped` over HTTP: the product's singular attribute names, a required email, the
//! enterprise role from `roles[primary eq "True"].value` with a default, enterprise
//! columns, expiring tokens, SCIM switched off, and an account the app made that Entra finds
//! but cannot delete.

mod common;

use common::{PATCH_OP, bearer, call, database, rows};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_role-mapped");
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A user as this product's Entra guide maps it: singular names.
fn user(user_name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": user_name,
        "active": true,
        "displayName": "Babs Jensen",
        "title": "Counsel",
        "email": [{"type": "work", "value": user_name, "primary": true}],
        "phoneNumber": [{"type": "work", "value": "+1 555 0100"}],
        ENTERPRISE: {"organization": "Legal"},
    })
}

fn serve(db: &str, extra: &[&str]) -> common::Server {
    common::serve(BIN, db, extra)
}

#[tokio::test]
async fn singular_names_a_required_email_and_the_enterprise_role() {
    let db = database("role-mapped");
    let server = serve(&db, &[]);
    let base = &server.base_url;
    let (status, babs) = call(
        base,
        "POST",
        "/Users",
        &bearer("t"),
        &user("babs@example.com"),
    );
    assert_eq!(status, 201, "{babs}");
    assert_eq!(babs["emails"][0]["value"], "babs@example.com");
    assert_eq!(babs["phoneNumbers"][0]["value"], "+1 555 0100");
    assert!(babs.get("email").is_none(), "{babs}");
    assert_eq!(
        babs["roles"],
        json!([{"value": "DefaultEnterprise", "primary": true}])
    );
    let columns = "SELECT title, organization FROM users";
    assert_eq!(
        rows(&db, columns).await,
        vec![vec!["Counsel".to_owned(), "Legal".to_owned()]]
    );
    assert_eq!(
        rows(&db, "SELECT value, type FROM user_phones").await,
        vec![vec!["+1 555 0100".to_owned(), "work".to_owned()]]
    );

    // Entra's role assignment, by the product's documented path.
    let id = babs["id"].as_str().expect("an id");
    let assign = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "Replace", "path": "roles[primary eq \"True\"].value", "value": "Signer"},
        {"op": "Replace", "path": "email[type eq \"work\"].value", "value": "babs@example.org"}]});
    let (status, patched) = call(
        base,
        "PATCH",
        &format!("/Users/{id}"),
        &bearer("t"),
        &assign,
    );
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["emails"][0]["value"], "babs@example.org");
    let primary = "SELECT value FROM user_roles WHERE is_primary = 1";
    assert_eq!(rows(&db, primary).await, vec![vec!["Signer".to_owned()]]);

    // No email: refused, naming it.
    let mut no_email = user("nomail@example.com");
    no_email.as_object_mut().expect("an object").remove("email");
    let (status, body) = call(base, "POST", "/Users", &bearer("t"), &no_email);
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["scimType"], "invalidValue");
    assert_eq!(body["detail"], "attribute \"emails\" is required");
    assert_eq!(
        rows(&db, "SELECT count(*) FROM users").await,
        vec![vec!["1".to_owned()]]
    );
}

#[tokio::test]
async fn an_account_made_in_the_app_is_found_but_not_deleted() {
    let db = database("role-mapped");
    let server = serve(&db, &["--manual-user", "ceo@example.com"]);
    let base = &server.base_url;
    let lookup = "/Users?filter=userName%20eq%20%22CEO@example.com%22";
    let (status, page) = call(base, "GET", lookup, &bearer("t"), &Value::Null);
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["totalResults"], 1, "{page}");
    let id = page["Resources"][0]["id"]
        .as_str()
        .expect("an id")
        .to_owned();

    // Entra updates it like any user it matched...
    let rename = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "Replace", "path": "displayName", "value": "The CEO"}]});
    let (status, body) = call(
        base,
        "PATCH",
        &format!("/Users/{id}"),
        &bearer("t"),
        &rename,
    );
    assert_eq!(status, 200, "{body}");
    // ...but cannot delete it.
    let (status, body) = call(
        base,
        "DELETE",
        &format!("/Users/{id}"),
        &bearer("t"),
        &Value::Null,
    );
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        body["detail"],
        "this account was created in the app; remove it there"
    );
    assert_eq!(
        rows(&db, "SELECT full_name FROM users").await,
        vec![vec!["The CEO".to_owned()]]
    );

    // What the directory created, it may delete.
    let (_, made) = call(
        base,
        "POST",
        "/Users",
        &bearer("t"),
        &user("babs@example.com"),
    );
    let made = made["id"].as_str().expect("an id");
    let (status, _) = call(
        base,
        "DELETE",
        &format!("/Users/{made}"),
        &bearer("t"),
        &Value::Null,
    );
    assert_eq!(status, 204);
}

#[tokio::test]
async fn switched_off_and_expired_tokens() {
    let db = database("role-mapped");
    let off = serve(&db, &["--disabled"]);
    let (status, body) = call(&off.base_url, "GET", "/Users", &bearer("t"), &Value::Null);
    assert_eq!(status, 403, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("SCIM provisioning is switched off"),
        "{body}"
    );
    drop(off);

    let expired = serve(&db, &["--token-expiry-days", "0"]);
    let (status, body) = call(
        &expired.base_url,
        "GET",
        "/Users",
        &bearer("t"),
        &Value::Null,
    );
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["detail"], "the bearer token has expired");
    drop(expired);

    let valid = serve(&db, &["--token-expiry-days", "90"]);
    let (status, body) = call(&valid.base_url, "GET", "/Users", &bearer("t"), &Value::Null);
    assert_eq!(status, 200, "{body}");
}
