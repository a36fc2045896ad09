//! A code-signing product: each organisation provisions at `/scim/{org}/v2` and can try its
//! Entra configuration first at `/scim/{org}/v2/dry-run` (everything checked, nothing
//! kept). App roles arrive as `roles` values; a user holds at most one global role other
//! than `RegularUser`. Groups are created on first sight and matched by `displayName`;
//! users by `externalId`, then `displayName` (each lookup an index search).
//!
//! ```sh
//! cargo run -p products --bin dry-run-org -- --token s3cret
//! ```

use std::sync::Arc;

use products::{Args, Error};
use scim_core::engine::{Engine, TokenOptions, Tokens, Write};
use scim_core::{CanonicalMatch, ResourceKind, SchemaRegistry, ScimError};
use scim_sqlx::{Child, Dialect, IdKind, Mapping, Members, SqlStore, Table};

const ROLES: [&str; 6] = [
    "GlobalAdministrator",
    "CertificateAdministrator",
    "UserAdministrator",
    "ProjectAdministrator",
    "GlobalReader",
    "RegularUser",
];

fn migration(dialect: Dialect) -> String {
    let boolean = if dialect == Dialect::Postgres {
        "BOOLEAN"
    } else {
        "INTEGER"
    };
    format!(
        "CREATE TABLE IF NOT EXISTS members (
            id TEXT PRIMARY KEY,
            org TEXT NOT NULL,
            login TEXT NOT NULL,
            display_name TEXT,
            external_id TEXT,
            enabled {boolean} NOT NULL
        );
        CREATE UNIQUE INDEX IF NOT EXISTS members_login ON members (org, lower(login));
        CREATE INDEX IF NOT EXISTS members_external_id ON members (org, external_id);
        CREATE INDEX IF NOT EXISTS members_display_name ON members (org, lower(display_name));
        CREATE TABLE IF NOT EXISTS member_roles (
            member_id TEXT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            role TEXT NOT NULL,
            is_primary {boolean},
            PRIMARY KEY (member_id, position)
        );
        CREATE TABLE IF NOT EXISTS teams (id TEXT PRIMARY KEY, org TEXT NOT NULL, name TEXT NOT NULL);
        CREATE UNIQUE INDEX IF NOT EXISTS teams_name ON teams (org, lower(name));
        CREATE TABLE IF NOT EXISTS team_members (
            team_id TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
            member_id TEXT NOT NULL,
            PRIMARY KEY (team_id, member_id)
        );
        CREATE INDEX IF NOT EXISTS team_members_member ON team_members (member_id);"
    )
}

/// At most one global role other than `RegularUser`; the detail names the ones sent.
fn one_global_role(write: &Write<'_>) -> Result<(), ScimError> {
    let Some(user) = write
        .resource()
        .filter(|_| write.kind == ResourceKind::User)
    else {
        return Ok(());
    };
    let global: Vec<&str> = user
        .get("roles")
        .and_then(|roles| roles.as_array())
        .into_iter()
        .flatten()
        .filter_map(|role| role["value"].as_str())
        .filter(|role| *role != "RegularUser")
        .collect();
    if global.len() > 1 {
        return Err(ScimError::invalid_value(format!(
            "attribute \"roles\": a user holds at most one global role other than \
             RegularUser; got {}",
            global.join(", ")
        )));
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    products::log();
    let args = Args::from_env();
    let db = products::database(&args, "dry-run-org", migration).await?;
    let registry =
        SchemaRegistry::new().with_attribute_change(ResourceKind::User, "roles.value", |a| {
            a.canonical_values = ROLES.map(String::from).to_vec();
            a.canonical_match = Some(CanonicalMatch::Exact);
        })?;
    let users = Table::new("members")
        .id("id", IdKind::Text)
        .tenant("org")
        .column("userName", "login")
        .column("displayName", "display_name")
        .column("externalId", "external_id")
        .column("active", "enabled")
        .child(
            "roles",
            Child::new("member_roles", "member_id")
                .value("role")
                .primary("is_primary")
                .ordered_by("position"),
        )
        .default("enabled", true);
    let teams = Table::new("teams")
        .id("id", IdKind::Text)
        .tenant("org")
        .column("displayName", "name");
    let mapping =
        Mapping::new(users).groups(teams, Members::new("team_members", "team_id", "member_id"));
    let store = SqlStore::open(db, mapping, Arc::new(registry)).await?;

    let tokens = Tokens::new();
    let secrets = products::tokens(&args, &tokens, "default", TokenOptions::default())?;
    let engine = Engine::builder(store, tokens)
        .tenant_path("/{tenant}/v2")
        .rule(one_global_role)
        .build();
    let app = axum::Router::new().nest("/scim", scim_axum::router(engine));
    products::serve(&args, "/scim/default/v2", &secrets, app).await
}
