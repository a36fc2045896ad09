//! An e-signature product: each account provisions at its own URL (`/scim/{account}/v2`),
//! with at most two active tokens (the old and the new one while rotating); the free plan
//! has no provisioning; every user created gets an invitation, written to the app's
//! `invitations` table durably (after a crash too); a user deactivated loses their sessions.
//!
//! ```sh
//! cargo run -p products --bin invitations -- --token s3cret [--token next] [--plan free]
//! ```

use std::sync::Arc;

use products::{Args, Error, execute};
use scim_core::engine::{
    DeliveryFuture, Engine, Event, EventKind, EventSink, TenantSettings, TokenOptions, Tokens,
};
use scim_core::{ResourceKind, SchemaRegistry};
use scim_sqlx::{Database, Dialect, IdKind, Mapping, SqlStore, Table};

const FREE_PLAN: &str = "Provisioning needs the Business plan or higher.";

/// The product's tables: accounts, their users, invitations, sessions.
fn migration(dialect: Dialect) -> String {
    let boolean = if dialect == Dialect::Postgres {
        "BOOLEAN"
    } else {
        "INTEGER"
    };
    format!(
        "CREATE TABLE IF NOT EXISTS accounts (id TEXT PRIMARY KEY, name TEXT NOT NULL);
        INSERT INTO accounts (id, name) VALUES ('default', 'Default') ON CONFLICT DO NOTHING;
        CREATE TABLE IF NOT EXISTS users (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts (id),
            email TEXT NOT NULL,
            full_name TEXT,
            active {boolean} NOT NULL,
            profile TEXT
        );
        CREATE UNIQUE INDEX IF NOT EXISTS users_email ON users (account_id, lower(email));
        CREATE TABLE IF NOT EXISTS invitations (
            user_id TEXT PRIMARY KEY,
            email TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS sessions (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL
        );"
    )
}

/// What the app does after the directory's writes, each finished before the outbox
/// forgets the event: at least once, so each statement is idempotent.
struct AfterWrites(Database);

impl EventSink for AfterWrites {
    fn deliver<'a>(&'a self, event: &'a Event) -> DeliveryFuture<'a> {
        Box::pin(async move {
            if event.resource_type != ResourceKind::User {
                return Ok(());
            }
            let id = event.id.as_str();
            match event.kind {
                EventKind::Created => {
                    let invite = "INSERT INTO invitations (user_id, email)
                        SELECT id, email FROM users WHERE id = $1 ON CONFLICT DO NOTHING";
                    execute(&self.0, invite, &[id]).await?;
                    tracing::info!(user = id, "invitation written");
                }
                EventKind::Deactivated | EventKind::Deleted => {
                    let end = "DELETE FROM sessions WHERE user_id = $1";
                    let ended = execute(&self.0, end, &[id]).await?;
                    tracing::info!(user = id, sessions = ended, "sessions ended");
                }
                _ => {}
            }
            Ok(())
        })
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    products::log();
    let args = Args::from_env();
    let db = products::database(&args, "invitations", migration).await?;
    let users = Table::new("users")
        .id("id", IdKind::Text)
        .tenant("account_id")
        .column("userName", "email")
        .column("displayName", "full_name")
        .column("active", "active")
        .json("profile")
        .default("active", true);
    let registry = Arc::new(SchemaRegistry::new());
    let store = SqlStore::open(db.clone(), Mapping::new(users), registry).await?;

    // Two tokens at most: rotation without downtime.
    let tokens = Tokens::new().with_cap(2);
    let secrets = products::tokens(&args, &tokens, "default", TokenOptions::default())?;
    let tenants = scim_core::engine::Tenants::new();
    if args.value("--plan").as_deref() == Some("free") {
        tenants.set("default", TenantSettings::new().disabled(FREE_PLAN));
    }
    let engine = Engine::builder(store, tokens)
        .tenant_path("/{tenant}/v2")
        .tenants(tenants)
        .events(AfterWrites(db))
        .build();
    let app = axum::Router::new().nest("/scim", scim_axum::router(engine));
    products::serve(&args, "/scim/default/v2", &secrets, app).await
}
