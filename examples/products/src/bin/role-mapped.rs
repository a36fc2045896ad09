//! A document-signing product: its Entra guide documents the singular
//! `email[type eq "work"].value` and `phoneNumber[type eq "work"].value` (aliases); an
//! email is required; `roles[primary eq "True"].value` is the user's enterprise role,
//! `DefaultEnterprise` when none is sent; the enterprise extension's `organization` and
//! `title` are columns. Tokens expire (`--token-expiry-days N`), an admin can switch SCIM
//! off (`--disabled`), and accounts created in the app (`--manual-user EMAIL`) are found
//! by Entra but never deleted by it.
//!
//! ```sh
//! cargo run -p products --bin role-mapped -- --token s3cret --manual-user ceo@example.com
//! ```

use products::{Args, Error, execute};
use scim_core::engine::{
    Amend, Engine, KeepAppCreated, TenantSettings, Tenants, TokenOptions, Tokens, Write,
};
use scim_core::{ResourceKind, SchemaRegistry, ScimError};
use scim_sqlx::{Child, Dialect, IdKind, Mapping, SqlStore, Table};
use serde_json::{Value, json};

const ORGANIZATION: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization";
const DEFAULT_ROLE: &str = "DefaultEnterprise";
const SWITCHED_OFF: &str = "SCIM provisioning is switched off for this account. An \
    administrator can switch it on under Settings > Provisioning.";

fn migration(dialect: Dialect) -> String {
    let boolean = if dialect == Dialect::Postgres {
        "BOOLEAN"
    } else {
        "INTEGER"
    };
    let child = |table: &str| {
        format!(
            "CREATE TABLE IF NOT EXISTS {table} (
                user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                position INTEGER NOT NULL,
                value TEXT,
                type TEXT,
                is_primary {boolean},
                PRIMARY KEY (user_id, position)
            );"
        )
    };
    format!(
        "CREATE TABLE IF NOT EXISTS users (
            id TEXT PRIMARY KEY,
            email TEXT NOT NULL,
            full_name TEXT,
            title TEXT,
            organization TEXT,
            active {boolean} NOT NULL,
            extra TEXT
        );
        CREATE UNIQUE INDEX IF NOT EXISTS users_email ON users (lower(email));
        {}{}{}
        CREATE INDEX IF NOT EXISTS user_emails_value ON user_emails (lower(value));",
        child("user_emails"),
        child("user_phones"),
        child("user_roles"),
    )
}

/// The enterprise role: the primary role sent, else the first, else `DefaultEnterprise`;
/// kept as the one primary role.
fn enterprise_role(write: &mut Write<'_>) -> Result<(), ScimError> {
    let Some(user) = write
        .resource_mut()
        .filter(|u| u.kind() == ResourceKind::User)
    else {
        return Ok(());
    };
    let mut roles = match user.get("roles") {
        Some(Value::Array(roles)) if !roles.is_empty() => roles.clone(),
        _ => vec![json!({"value": DEFAULT_ROLE})],
    };
    let primary = roles.iter().position(|r| r["primary"] == true).unwrap_or(0);
    for (i, role) in roles.iter_mut().enumerate() {
        role["primary"] = Value::Bool(i == primary);
    }
    user.as_json_mut()
        .insert("roles".into(), Value::Array(roles));
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    products::log();
    let args = Args::from_env();
    let db = products::database(&args, "role-mapped", migration).await?;
    let registry = SchemaRegistry::new()
        .with_alias(ResourceKind::User, "email", "emails")?
        .with_alias(ResourceKind::User, "phoneNumber", "phoneNumbers")?
        .with_attribute_change(ResourceKind::User, "emails", |a| a.required = true)?;
    let child = |table| {
        Child::new(table, "user_id")
            .value("value")
            .kind("type")
            .primary("is_primary")
            .ordered_by("position")
    };
    let users = Table::new("users")
        .id("id", IdKind::Text)
        .column("userName", "email")
        .column("displayName", "full_name")
        .column("title", "title")
        .column(ORGANIZATION, "organization")
        .column("active", "active")
        .child("emails", child("user_emails"))
        .child("phoneNumbers", child("user_phones"))
        .child("roles", child("user_roles"))
        .json("extra")
        .default("active", true);
    let store = SqlStore::open(db.clone(), Mapping::new(users), registry.into()).await?;

    // An account made in the app itself: Entra's `userName eq` lookup finds it.
    for email in args.values("--manual-user") {
        let id = uuid::Uuid::new_v4().to_string();
        let made = "INSERT INTO users (id, email, full_name, active) VALUES ($1, $2, $3, TRUE)
            ON CONFLICT DO NOTHING";
        if execute(&db, made, &[&id, &email, &email]).await? == 1 {
            let work = "INSERT INTO user_emails (user_id, position, value, type, is_primary)
                VALUES ($1, 0, $2, 'work', TRUE)";
            execute(&db, work, &[&id, &email]).await?;
        }
    }

    let tokens = Tokens::new();
    let mut options = TokenOptions::default();
    if let Some(days) = args.value("--token-expiry-days") {
        options = options.expires_in_days(days.parse()?);
    }
    let secrets = products::tokens(&args, &tokens, "default", options)?;
    let tenants = Tenants::new();
    if args.flag("--disabled") {
        tenants.set("default", TenantSettings::new().disabled(SWITCHED_OFF));
    }
    let engine = Engine::builder(store, tokens)
        .tenants(tenants)
        .rule(Amend(enterprise_role))
        .rule(KeepAppCreated::new().detail("this account was created in the app; remove it there"))
        .build();
    let app = axum::Router::new().nest("/scim/v2", scim_axum::router(engine));
    products::serve(&args, "/scim/v2", &secrets, app).await
}
