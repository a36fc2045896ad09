//! A forms platform: admins connect with a SCIM user name and password (HTTP Basic) or a
//! bearer token; `userType` is exactly `Premium` or `Standard`; roles are the product's
//! four; a multi-valued `folders` extension attribute (which Entra fills from
//! `Split([attr], ",")` and PATCHes by its full path); and a free-form `Metadata` extension
//! keeping any key, numbers and booleans as strings. Both extensions are declared in JSON
//! schema files (`schemas/`).
//!
//! ```sh
//! cargo run -p products --bin folders-metadata -- --token s3cret --username forms --password 'a long one'
//! ```

use products::{Args, Error};
use scim_core::engine::{Engine, TokenOptions, Tokens};
use scim_core::{CanonicalMatch, ResourceKind, SchemaRegistry};
use scim_sqlx::{Dialect, IdKind, Mapping, SqlStore, Table};

const FOLDERS: &str = include_str!("../../schemas/folders.json");
const METADATA: &str = include_str!("../../schemas/metadata.json");

fn migration(dialect: Dialect) -> String {
    let (boolean, json) = match dialect {
        Dialect::Postgres => ("BOOLEAN", "JSONB"),
        _ => ("INTEGER", "TEXT"),
    };
    format!(
        "CREATE TABLE IF NOT EXISTS respondents (
            id TEXT PRIMARY KEY,
            login TEXT NOT NULL,
            display_name TEXT,
            license TEXT,
            active {boolean} NOT NULL,
            attributes {json}
        );
        CREATE UNIQUE INDEX IF NOT EXISTS respondents_login ON respondents (lower(login));"
    )
}

/// `attribute`'s values are exactly `values`.
fn exactly(values: &[&str]) -> impl FnOnce(&mut scim_core::Attribute) {
    let values: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
    move |attribute| {
        attribute.canonical_values = values;
        attribute.canonical_match = Some(CanonicalMatch::Exact);
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    products::log();
    let args = Args::from_env();
    let db = products::database(&args, "folders-metadata", migration).await?;
    let user = ResourceKind::User;
    let registry = SchemaRegistry::new()
        .with_attribute_change(user, "userType", exactly(&["Premium", "Standard"]))?
        .with_attribute_change(
            user,
            "roles.value",
            exactly(&["ReadOnly", "User", "Admin", "EnterpriseAdmin"]),
        )?
        .with_extension_json(user, FOLDERS, false)?
        .with_extension_json(user, METADATA, false)?;
    // Extensions, roles and whatever else Entra sends live in the JSON column.
    let users = Table::new("respondents")
        .id("id", IdKind::Text)
        .column("userName", "login")
        .column("displayName", "display_name")
        .column("userType", "license")
        .column("active", "active")
        .json("attributes")
        .default("active", true);
    let store = SqlStore::open(db, Mapping::new(users), registry.into()).await?;

    let tokens = Tokens::new();
    let secrets = products::tokens(&args, &tokens, "default", TokenOptions::default())?;
    match (args.value("--username"), args.value("--password")) {
        // Kept as an Argon2id hash, compared in constant time.
        (Some(user), Some(password)) => drop(tokens.set_password("default", &user, &password)?),
        (None, None) => {}
        _ => return Err("give --username and --password together, for HTTP Basic".into()),
    }
    let engine = Engine::builder(store, tokens).build();
    let app = axum::Router::new().nest("/scim/v2", scim_axum::router(engine));
    products::serve(&args, "/scim/v2", &secrets, app).await
}
