//! `folders-metadata` over HTTP: Basic beside bearer, `userType` and roles exactly the
//! product's, a multi-valued extension attribute PATCHed by its full path, and a free-form
//! extension whose numbers and booleans are kept as strings.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{PATCH_OP, bearer, call, database, entra_user, rows};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_folders-metadata");
const FOLDERS: &str = "urn:ietf:params:scim:schemas:extension:2.0:CustomExtensionName";
const METADATA: &str = "urn:ietf:params:scim:schemas:extension:2.0:Metadata";

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

fn serve(db: &str) -> common::Server {
    let basic = ["--username", "forms", "--password", "a long passphrase"];
    common::serve(BIN, db, &basic)
}

#[tokio::test]
async fn basic_authentication_beside_the_token() {
    let db = database("folders-metadata");
    let server = serve(&db);
    let base = &server.base_url;
    let (status, _) = call(
        base,
        "GET",
        "/Users",
        &basic("forms", "a long passphrase"),
        &Value::Null,
    );
    assert_eq!(status, 200);
    let (status, _) = call(base, "GET", "/Users", &bearer("t"), &Value::Null);
    assert_eq!(status, 200);
    let (status, body) = call(
        base,
        "GET",
        "/Users",
        &basic("forms", "a wrong one"),
        &Value::Null,
    );
    assert_eq!(status, 401, "{body}");
    let (_, config) = call(
        base,
        "GET",
        "/ServiceProviderConfig",
        &bearer("t"),
        &Value::Null,
    );
    let schemes: Vec<&str> = config["authenticationSchemes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["type"].as_str())
        .collect();
    assert_eq!(schemes, ["oauthbearertoken", "httpbasic"], "{config}");
}

#[tokio::test]
async fn user_type_and_roles_are_exactly_the_products() {
    let db = database("folders-metadata");
    let server = serve(&db);
    let base = &server.base_url;
    for (field, value, refused) in [
        (
            "userType",
            json!("premium"),
            "attribute \"userType\": \"premium\" is not one of Premium, Standard",
        ),
        (
            "roles",
            json!([{"value": "Owner"}]),
            "attribute \"roles.value\": \"Owner\" is not one of ReadOnly, User, Admin, EnterpriseAdmin",
        ),
    ] {
        let mut user = entra_user("babs@example.com");
        user[field] = value;
        let (status, body) = call(base, "POST", "/Users", &bearer("t"), &user);
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["detail"], refused);
    }
    let mut user = entra_user("babs@example.com");
    user["userType"] = json!("Premium");
    user["roles"] = json!([{"value": "EnterpriseAdmin", "primary": true}]);
    let (status, body) = call(base, "POST", "/Users", &bearer("t"), &user);
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        rows(&db, "SELECT license FROM respondents").await,
        vec![vec!["Premium".to_owned()]]
    );
}

#[tokio::test]
async fn folders_and_free_form_metadata() {
    let db = database("folders-metadata");
    let server = serve(&db);
    let base = &server.base_url;
    let mut user = entra_user("babs@example.com");
    user[FOLDERS] = json!({"folders": ["Sales", "HR"]});
    user[METADATA] = json!({"Level": 7, "Remote": true, "Site": "Oslo"});
    let (status, created) = call(base, "POST", "/Users", &bearer("t"), &user);
    assert_eq!(status, 201, "{created}");
    assert_eq!(created[FOLDERS]["folders"], json!(["Sales", "HR"]));
    assert_eq!(
        created[METADATA],
        json!({"Level": "7", "Remote": "true", "Site": "Oslo"})
    );

    // Entra's PATCHes, by the full paths.
    let id = created["id"].as_str().expect("an id");
    let patch = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": format!("{FOLDERS}:folders"), "value": ["Legal", "Finance"]},
        {"op": "add", "path": format!("{METADATA}:CostCenter"), "value": 4130},
        {"op": "replace", "path": format!("{METADATA}:Level"), "value": 8}]});
    let (status, patched) = call(base, "PATCH", &format!("/Users/{id}"), &bearer("t"), &patch);
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched[FOLDERS]["folders"], json!(["Legal", "Finance"]));
    assert_eq!(patched[METADATA]["Level"], "8");
    assert_eq!(patched[METADATA]["CostCenter"], "4130");

    // Kept as strings in the app's JSON column, and found by a filter.
    let kept = rows(&db, "SELECT attributes FROM respondents").await;
    let kept: Value = serde_json::from_str(&kept[0][0]).expect("JSON");
    assert_eq!(kept[METADATA]["CostCenter"], "4130", "{kept}");
    let lookup = format!("/Users?filter={METADATA}:Level%20eq%20%228%22");
    let (status, page) = call(base, "GET", &lookup, &bearer("t"), &Value::Null);
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["totalResults"], 1, "{page}");
}
