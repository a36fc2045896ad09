//! A multi-tenant SCIM 2.0 server, as a SaaS product runs one: each customer (tenant) has its
//! own URL and secret tokens, can test its Entra configuration under `/dry-run`, and the app
//! reacts to provisioning events and enforces its own rule.
//!
//! ```sh
//! cargo run -p multi-tenant -- --bind 127.0.0.1:8080 --token s3cret
//! ```
//!
//! Tenant `acme` gets the `--token` (or `SCIM_TOKEN`, or a generated one), tenant `globex` a
//! generated one; both are printed once. `acme`'s URL is printed as `SCIM base URL: ...`.

use axum::Router;
use scim_core::engine::{Engine, Event, EventKind, RoleMapping, TokenOptions, Tokens, Write};
use scim_core::{MemoryStore, ScimError};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let bind = option("--bind", "SCIM_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());

    // Tokens: only digests are kept. A real app persists the records in its database.
    let tokens = Tokens::new();
    let acme = match option("--token", "SCIM_TOKEN") {
        Some(token) => fixed_token(&tokens, "acme", &token),
        None => issue(&tokens, "acme"),
    };
    let globex = issue(&tokens, "globex");

    let roles = RoleMapping::new()
        .with("Admin", "admin")
        .with("User", "member");
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    let addr = listener.local_addr()?;
    let engine = Engine::builder(MemoryStore::new(), tokens)
        .tenant_path("/{tenant}/v2")
        .base_url(format!("http://{addr}/scim/{{tenant}}/v2"))
        .events(on_event)
        .rule(move |write: &Write<'_>| {
            if write
                .resource()
                .is_some_and(|user| roles.all(user).len() > 1)
            {
                return Err(ScimError::invalid_value(
                    "a user can hold only one global role",
                ));
            }
            Ok(())
        })
        .build();
    let app = Router::new().nest("/scim", scim_axum::router(engine));

    println!("SCIM base URL: http://{addr}/scim/acme/v2");
    println!("Secret token: {acme}");
    println!("Tenant globex: http://{addr}/scim/globex/v2 with token {globex}");
    println!("Dry runs: append /dry-run to a tenant URL");
    axum::serve(listener, app).await
}

/// What the app does when Entra provisions: logging stands in for the real work.
fn on_event(event: &Event) {
    match &event.kind {
        EventKind::Created if event.resource_type.as_str() == "User" => {
            tracing::info!(tenant = %event.tenant, user = %event.id, "sending an invitation");
        }
        EventKind::Deactivated => {
            tracing::info!(tenant = %event.tenant, user = %event.id, "ending the user's sessions");
        }
        EventKind::MembersAdded { ids } => {
            tracing::info!(tenant = %event.tenant, group = %event.id, ?ids, "granting group access");
        }
        _ => {}
    }
}

fn issue(tokens: &Tokens, tenant: &str) -> String {
    let token = tokens
        .issue(tenant, TokenOptions::default().label("printed at start"))
        .expect("the operating system's random source works");
    token.secret.expose().to_owned()
}

/// A token given on the command line, for scripts: stored like any other, as a digest.
fn fixed_token(tokens: &Tokens, tenant: &str, secret: &str) -> String {
    tokens
        .import(
            tenant,
            secret,
            TokenOptions::default().label("given at start"),
        )
        .expect("a new tenant has room for a token");
    secret.to_owned()
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
