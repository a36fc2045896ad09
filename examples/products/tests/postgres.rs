//! Every product on PostgreSQL (`SCIM_TEST_POSTGRES_URL`; skipped, saying why, when it is
//! not there, unless `SCIM_REQUIRE_POSTGRES=1`): its migration runs, Entra's create and
//! lookup work, and the app's own statements (invitations) run with PostgreSQL's
//! placeholders. Each product gets a database of its own, made afresh.

mod common;

use std::time::{Duration, Instant};

use common::{bearer, call, entra_user};
use serde_json::Value;
use sqlx::postgres::PgPool;

const WHAT: &str = "the products on PostgreSQL";

/// A fresh database `name` on the test server: its URL.
async fn fresh(admin_url: &str, name: &str) -> String {
    let admin = PgPool::connect(admin_url)
        .await
        .expect("PostgreSQL answers");
    let reset = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    sqlx::raw_sql(&reset).execute(&admin).await.expect("drop");
    let create = format!("CREATE DATABASE {name}");
    sqlx::raw_sql(&create)
        .execute(&admin)
        .await
        .expect("create");
    let (server, _) = admin_url.rsplit_once('/').expect("a database in the URL");
    format!("{server}/{name}")
}

#[tokio::test]
async fn every_product_provisions_on_postgres() {
    let Some(admin_url) = scim_core::testing::postgres::url(WHAT) else {
        return;
    };
    for (bin, name) in [
        (env!("CARGO_BIN_EXE_invitations"), "invitations"),
        (env!("CARGO_BIN_EXE_dry-run-org"), "dry_run_org"),
        (env!("CARGO_BIN_EXE_role-mapped"), "role_mapped"),
        (env!("CARGO_BIN_EXE_groups-addon"), "groups_addon"),
        (env!("CARGO_BIN_EXE_folders-metadata"), "folders_metadata"),
    ] {
        let url = fresh(&admin_url, &format!("products_{name}")).await;
        let server = common::serve(bin, &url, &[]);
        let base = &server.base_url;
        let (status, user) = call(
            base,
            "POST",
            "/Users",
            &bearer("t"),
            &entra_user("babs@example.com"),
        );
        assert_eq!(status, 201, "{name}: {user}");
        let lookup = "/Users?filter=userName%20eq%20%22BABS@example.com%22";
        let (status, page) = call(base, "GET", lookup, &bearer("t"), &Value::Null);
        assert_eq!(status, 200, "{name}: {page}");
        assert_eq!(page["Resources"][0]["id"], user["id"], "{name}: {page}");

        if name == "invitations" {
            let pool = PgPool::connect(&url).await.expect("the product's database");
            let start = Instant::now();
            loop {
                let invited: Vec<(String, String)> =
                    sqlx::query_as("SELECT user_id, email FROM invitations")
                        .fetch_all(&pool)
                        .await
                        .expect("the invitations table");
                if !invited.is_empty() {
                    let id = user["id"].as_str().unwrap_or_default().to_owned();
                    assert_eq!(invited, [(id, "babs@example.com".to_owned())]);
                    break;
                }
                assert!(start.elapsed() < Duration::from_secs(10), "no invitation");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}
