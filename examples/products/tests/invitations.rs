//! `invitations` over HTTP: a URL per account, two tokens for rotation and no third, the
//! free plan refused, an invitation row per user created, sessions ended on deactivation.

mod common;

use common::{
    PATCH_OP, bearer, call, database, entra_user, eventually, execute, rows, serve, start,
};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_invitations");

#[tokio::test]
async fn users_are_invited_and_deactivation_ends_their_sessions() {
    let db = database("invitations");
    let server = start(
        BIN,
        &[
            "--bind",
            "127.0.0.1:0",
            "--token",
            "old",
            "--token",
            "new",
            "--database-url",
            &db,
        ],
    );
    let base = &server.base_url;
    assert!(base.ends_with("/scim/default/v2"), "{base}");

    // Rotation: both tokens work.
    let (status, babs) = call(
        base,
        "POST",
        "/Users",
        &bearer("old"),
        &entra_user("babs@example.com"),
    );
    assert_eq!(status, 201, "{babs}");
    let (status, _) = call(base, "GET", "/Users", &bearer("new"), &Value::Null);
    assert_eq!(status, 200);
    let id = babs["id"].as_str().expect("an id").to_owned();

    // The invitation is the app's row, written once the create committed.
    let invitations = "SELECT user_id, email FROM invitations";
    eventually(
        &db,
        invitations,
        vec![vec![id.clone(), "babs@example.com".into()]],
    )
    .await;

    // Entra's disable: the user's sessions end; another user's stay.
    execute(
        &db,
        &format!("INSERT INTO sessions (id, user_id) VALUES ('s1', '{id}'), ('s2', 'other')"),
    )
    .await;
    let disable = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "Replace", "path": "active", "value": "False"}]});
    let (status, body) = call(
        base,
        "PATCH",
        &format!("/Users/{id}"),
        &bearer("new"),
        &disable,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["active"], false);
    eventually(&db, "SELECT id FROM sessions", vec![vec!["s2".into()]]).await;
    assert_eq!(
        rows(&db, "SELECT active FROM users").await,
        vec![vec!["0".to_owned()]]
    );

    // One invitation per user, however often the directory writes it.
    assert_eq!(rows(&db, invitations).await.len(), 1);
}

#[tokio::test]
async fn each_account_has_its_own_url_and_tokens() {
    let db = database("invitations");
    let server = serve(BIN, &db, &[]);
    let other = server
        .base_url
        .replace("/scim/default/v2", "/scim/other/v2");
    let (status, body) = call(&other, "GET", "/Users", &bearer("t"), &Value::Null);
    assert_eq!(status, 401, "{body}");
    let (status, _) = call(
        &server.base_url,
        "GET",
        "/Users",
        &bearer("t"),
        &Value::Null,
    );
    assert_eq!(status, 200);
}

#[test]
fn a_third_token_is_refused_with_what_to_do() {
    let db = database("invitations");
    let args = [
        "--bind",
        "127.0.0.1:0",
        "--database-url",
        &db,
        "--token",
        "a",
        "--token",
        "b",
        "--token",
        "c",
    ];
    let stderr = common::refused_start(BIN, &args);
    assert!(stderr.contains("revoke one"), "{stderr}");
}

#[tokio::test]
async fn the_free_plan_has_no_provisioning() {
    let db = database("invitations");
    let server = serve(BIN, &db, &["--plan", "free"]);
    for (method, path, body) in [
        ("GET", "/Users", Value::Null),
        ("POST", "/Users", entra_user("babs@example.com")),
        ("GET", "/ServiceProviderConfig", Value::Null),
    ] {
        let (status, answer) = call(&server.base_url, method, path, &bearer("t"), &body);
        assert_eq!(status, 403, "{method} {path}: {answer}");
        assert_eq!(
            answer["detail"],
            "Provisioning needs the Business plan or higher."
        );
    }
    assert!(rows(&db, "SELECT id FROM users").await.is_empty());
}
