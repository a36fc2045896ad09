//! Shared by the products' tests: a new SQLite file per test, the binary started as a
//! newcomer starts it, HTTP/1.1 exchanges on 127.0.0.1 with any `Authorization`, and a look
//! into the product's own tables.

#![allow(dead_code)]

#[path = "../../../start_test.rs"]
mod start_test;

use std::process::Command;

use serde_json::Value;
use sqlx::Row;
use sqlx::sqlite::SqlitePool;
pub(crate) use start_test::Server;

pub(crate) const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A new database file's URL.
pub(crate) fn database(product: &str) -> String {
    let file = std::env::temp_dir().join(format!("{product}-{}.db", uuid::Uuid::new_v4().simple()));
    format!("sqlite://{}", file.display())
}

/// Starts `binary` with `args`, and waits for its `SCIM base URL:` line.
pub(crate) fn start(binary: &str, args: &[&str]) -> Server {
    start_test::start(Command::new(binary).args(args))
}

/// Starts `binary` with `args`, expecting it to refuse to start: what it printed on stderr.
pub(crate) fn refused_start(binary: &str, args: &[&str]) -> String {
    let out = Command::new(binary)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs");
    assert!(!out.status.success(), "it started: {out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The bearer `Authorization` header's value.
pub(crate) fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// One exchange with `Authorization: {auth}`: the status and the body as JSON (`Null`
/// when empty).
pub(crate) fn call(
    base_url: &str,
    method: &str,
    path: &str,
    auth: &str,
    body: &Value,
) -> (u16, Value) {
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let (status, text) = start_test::exchange(base_url, method, path, auth, &body);
    let json = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    };
    (status, json)
}

/// Starts `binary` on a free port with token `t` and `database`, and `extra` arguments.
pub(crate) fn serve(binary: &str, database: &str, extra: &[&str]) -> Server {
    let mut args = vec![
        "--bind",
        "127.0.0.1:0",
        "--token",
        "t",
        "--database-url",
        database,
    ];
    args.extend_from_slice(extra);
    start(binary, &args)
}

/// The product's own table, as text: each row's columns, by `sql`.
pub(crate) async fn rows(database: &str, sql: &str) -> Vec<Vec<String>> {
    let pool = SqlitePool::connect(database)
        .await
        .expect("the database opens");
    let rows = sqlx::query(sql).fetch_all(&pool).await.expect(sql);
    rows.iter()
        .map(|row| {
            (0..row.len())
                .map(|i| {
                    row.try_get::<Option<String>, _>(i)
                        .map(Option::unwrap_or_default)
                        .or_else(|_| row.try_get::<i64, _>(i).map(|n| n.to_string()))
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect()
}

/// Runs `sql` on the product's database, as the app's own code would.
pub(crate) async fn execute(database: &str, sql: &str) {
    let pool = SqlitePool::connect(database)
        .await
        .expect("the database opens");
    sqlx::query(sql).execute(&pool).await.expect(sql);
}

/// Waits (up to 10 s) until `sql` returns `expected`.
pub(crate) async fn eventually(database: &str, sql: &str, expected: Vec<Vec<String>>) {
    let start = std::time::Instant::now();
    loop {
        let found = rows(database, sql).await;
        if found == expected {
            return;
        }
        assert!(
            start.elapsed().as_secs() < 10,
            "{sql}: {found:?}, expected {expected:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A user as Entra creates it.
pub(crate) fn entra_user(user_name: &str) -> Value {
    serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "externalId": user_name.split('@').next().unwrap_or_default(),
        "userName": user_name,
        "active": true,
        "displayName": user_name,
        "emails": [{"primary": true, "type": "work", "value": user_name}],
    })
}
