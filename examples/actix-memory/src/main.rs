//! The smallest complete SCIM 2.0 server on actix-web: scim-actix and the in-memory store.
//!
//! ```sh
//! cargo run -p actix-memory -- --bind 127.0.0.1:8080 --token s3cret
//! ```
//!
//! `--bind` and `--token` may also be given as `SCIM_BIND` and `SCIM_TOKEN`; without a token
//! one is generated. Once it accepts connections it prints `SCIM base URL: http://...`.

use actix_web::{App, HttpServer};
use scim_core::MemoryStore;
use scim_core::engine::{BearerToken, Engine};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let bind = option("--bind", "SCIM_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
    let token = option("--token", "SCIM_TOKEN")
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());

    let listener = std::net::TcpListener::bind(&bind)?;
    let base_url = format!("http://{}/scim/v2", listener.local_addr()?);
    let engine = Engine::builder(MemoryStore::new(), BearerToken::new(&token))
        .base_url(&base_url)
        .build();
    let server =
        HttpServer::new(move || App::new().service(scim_actix::scope("/scim/v2", engine.clone())))
            .listen(listener)?
            .run();

    println!("SCIM base URL: {base_url}");
    println!("Secret token: {token}");
    server.await
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
