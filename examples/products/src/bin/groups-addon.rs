//! A contract product: one SCIM endpoint at `/scim/v2` for the whole installation, where
//! the SCIM token *is* the app's API key (its REST API, `/api/people`, takes the same key).
//! Group provisioning is a paid add-on: `--without-groups` answers `403` on `/Groups` and
//! leaves Groups out of discovery, while users keep working.
//!
//! ```sh
//! cargo run -p products --bin groups-addon -- --token s3cret [--without-groups]
//! ```

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use products::{Args, Error};
use scim_core::engine::{DEFAULT_TENANT, Engine, TenantSettings, Tenants, TokenOptions, Tokens};
use scim_core::{ResourceKind, SchemaRegistry};
use scim_sqlx::{Database, Dialect, IdKind, Mapping, Members, SqlStore, Table};
use serde_json::{Value, json};

const ADD_ON: &str = "Group provisioning is an add-on to your plan: ask your account \
    manager to enable it. Users are provisioned as usual.";

fn migration(dialect: Dialect) -> String {
    let boolean = if dialect == Dialect::Postgres {
        "BOOLEAN"
    } else {
        "INTEGER"
    };
    format!(
        "CREATE TABLE IF NOT EXISTS people (
            id TEXT PRIMARY KEY,
            email TEXT NOT NULL,
            given_name TEXT,
            family_name TEXT,
            active {boolean} NOT NULL
        );
        CREATE UNIQUE INDEX IF NOT EXISTS people_email ON people (lower(email));
        CREATE TABLE IF NOT EXISTS departments (id TEXT PRIMARY KEY, name TEXT NOT NULL);
        CREATE UNIQUE INDEX IF NOT EXISTS departments_name ON departments (lower(name));
        CREATE TABLE IF NOT EXISTS department_people (
            department_id TEXT NOT NULL REFERENCES departments (id) ON DELETE CASCADE,
            person_id TEXT NOT NULL,
            PRIMARY KEY (department_id, person_id)
        );
        CREATE INDEX IF NOT EXISTS department_people_person ON department_people (person_id);"
    )
}

/// The app's own REST API, behind the same API key: the people SCIM provisioned.
async fn people(
    State((tokens, db)): State<(Tokens, Database)>,
    headers: HeaderMap,
) -> Result<Json<Value>, StatusCode> {
    let key = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    key.and_then(|key| tokens.verify(key).ok())
        .ok_or(StatusCode::UNAUTHORIZED)?;
    let emails = products::texts(&db, "SELECT email FROM people ORDER BY email").await;
    Ok(Json(json!(
        emails.map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
    )))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    products::log();
    let args = Args::from_env();
    let db = products::database(&args, "groups-addon", migration).await?;
    let users = Table::new("people")
        .id("id", IdKind::Text)
        .column("userName", "email")
        .column("name.givenName", "given_name")
        .column("name.familyName", "family_name")
        .column("active", "active")
        .default("active", true);
    let departments = Table::new("departments")
        .id("id", IdKind::Text)
        .column("displayName", "name");
    let members = Members::new("department_people", "department_id", "person_id");
    let mapping = Mapping::new(users).groups(departments, members);
    let store = SqlStore::open(db.clone(), mapping, Arc::new(SchemaRegistry::new())).await?;

    // The installation's API keys; one store, so one tenant.
    let keys = Tokens::new();
    let secrets = products::tokens(&args, &keys, DEFAULT_TENANT, TokenOptions::default())?;
    let tenants = Tenants::new();
    if args.flag("--without-groups") {
        let settings = TenantSettings::new().without(ResourceKind::Group, ADD_ON);
        tenants.set(DEFAULT_TENANT, settings);
    }
    let engine = Engine::builder(store, keys.clone())
        .tenants(tenants)
        .build();
    let app = axum::Router::new()
        .route("/api/people", get(people).with_state((keys, db)))
        .nest("/scim/v2", scim_axum::router(engine));
    products::serve(&args, "/scim/v2", &secrets, app).await
}
