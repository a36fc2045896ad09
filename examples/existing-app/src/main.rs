//! An app that existed before SCIM: axum, its own `accounts` table (SQLite), sign-up and
//! login. SCIM is added in the handful of lines marked below: `scim-sqlx` maps the
//! `accounts` table, so the users Entra provisions *are* the app's accounts (created,
//! renamed, deactivated so that their logins are refused, deleted), and the accounts the
//! app had before are the users Entra finds when it looks them up.
//!
//! ```sh
//! cargo run -p existing-app -- --bind 127.0.0.1:8080 --token s3cret
//! curl -s http://127.0.0.1:8080/accounts                       # the app's own page
//! curl -s -H 'Authorization: Bearer s3cret' -H 'Content-Type: application/scim+json' \
//!   -d '{"userName": "bjensen@example.com", "displayName": "Babs Jensen"}' \
//!   http://127.0.0.1:8080/scim/v2/Users                        # what Entra sends
//! curl -s http://127.0.0.1:8080/accounts                       # Babs has an account
//! ```
//!
//! Options (also as environment variables): `--bind ADDR` (`APP_BIND`), `--token TOKEN`
//! (`SCIM_TOKEN`; one is generated and printed without it), `--database-url URL`
//! (`APP_DATABASE_URL`, default `sqlite://app.db`). It prints `SCIM base URL: ...` once it
//! accepts connections.

mod accounts;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use scim_core::engine::{BearerToken, Engine};
use scim_sqlx::{Database, IdKind, Mapping, SqlStore, Table};
use serde::Deserialize;
use serde_json::json;

use accounts::{Accounts, Login};

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let bind = option("--bind", "APP_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
    let database =
        option("--database-url", "APP_DATABASE_URL").unwrap_or_else(|| "sqlite://app.db".into());
    let token = option("--token", "SCIM_TOKEN")
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());

    // The app as it was: its pages, its table, its login.
    let accounts = Accounts::open(&database).await?;
    let app = Router::new()
        .route("/", get(|| async { "The app's home page." }))
        .route("/signup", post(sign_up))
        .route("/login", post(log_in))
        .route("/accounts", get(list))
        .with_state(accounts.clone());

    // SCIM, added to the app: Entra provisions into the accounts table.
    let accounts_table = Table::new("accounts")
        .id("id", IdKind::Integer)
        .column("userName", "email")
        .column("displayName", "name")
        .column("active", "active")
        .default("name", "")
        .default("active", true);
    let database = Database::Sqlite(accounts.pool());
    let store = SqlStore::open(database, Mapping::new(accounts_table), Default::default()).await?;
    let engine = Engine::new(store, BearerToken::new(&token));
    let app = app.nest("/scim/v2", scim_axum::router(engine));
    // (End of SCIM.)

    let listener = tokio::net::TcpListener::bind(&bind).await?;
    println!("SCIM base URL: http://{}/scim/v2", listener.local_addr()?);
    println!("Secret token: {token}");
    axum::serve(listener, app).await?;
    Ok(())
}

#[derive(Deserialize)]
struct Credentials {
    email: String,
    password: String,
    #[serde(default)]
    name: String,
}

/// `POST /signup`: a new account, or a password for an account the directory provisioned
/// (the user accepting the invitation).
async fn sign_up(
    State(accounts): State<Accounts>,
    Json(c): Json<Credentials>,
) -> impl IntoResponse {
    match accounts.sign_up(&c.email, &c.name, &c.password).await {
        Ok(true) => (StatusCode::CREATED, Json(json!({"signedUp": c.email}))),
        Ok(false) => (
            StatusCode::CONFLICT,
            Json(json!({"error": "that account has a password already"})),
        ),
        Err(err) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": err.to_string()})),
        ),
    }
}

/// `POST /login`: refused for a deactivated account, whatever its password.
async fn log_in(State(accounts): State<Accounts>, Json(c): Json<Credentials>) -> impl IntoResponse {
    match accounts.log_in(&c.email, &c.password).await {
        Ok(Login::Welcome(account)) => (StatusCode::OK, Json(json!({"welcome": account.name}))),
        Ok(Login::Deactivated) => (
            StatusCode::FORBIDDEN,
            Json(json!({"error": "your organisation has deactivated this account"})),
        ),
        Ok(Login::Refused) => (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "wrong email or password"})),
        ),
        Err(err) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": err.to_string()})),
        ),
    }
}

/// `GET /accounts`: the app's own table, provisioned accounts included.
async fn list(State(accounts): State<Accounts>) -> impl IntoResponse {
    match accounts.list().await {
        Ok(list) => (StatusCode::OK, Json(json!(list))),
        Err(err) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": err.to_string()})),
        ),
    }
}

/// `--name VALUE` or `--name=VALUE` from the command line, else the environment variable.
fn option(name: &str, env: &str) -> Option<String> {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == name {
            return args.next();
        }
        if let Some(value) = arg.strip_prefix(name).and_then(|v| v.strip_prefix('=')) {
            return Some(value.to_owned());
        }
    }
    std::env::var(env).ok()
}
