//! The SCIM 2.0 reference server: axum, scim-axum and scim-sqlx.
//!
//! ```sh
//! cargo run -p reference-server                 # SQLite in ./scim.db, prints a tenant URL and token
//! cargo run -p reference-server -- --database-url postgres://postgres@127.0.0.1/test
//! cargo run -p reference-server -- tenants create acme   # prints acme's URL path and token
//! ```
//!
//! Options (also as environment variables): `--bind ADDR` (`SCIM_BIND`), `--token TOKEN`
//! (`SCIM_TOKEN`, a fixed token for the default tenant), `--database-url URL`
//! (`SCIM_DATABASE_URL` or `DATABASE_URL`), `--public-url URL` (`SCIM_PUBLIC_URL`, the URL
//! clients reach the server at, behind a proxy), `--extension FILE` (repeatable, or
//! `SCIM_EXTENSIONS` separated by commas: an RFC 7643 §7 schema for a User or Group
//! extension), `--rate-limit N` (`SCIM_RATE_LIMIT`: at most N requests a minute per tenant,
//! in bursts of as many; above it, `429` with `Retry-After`), `--admin-password PASSWORD`
//! (`SCIM_ADMIN_PASSWORD`: the password of the admin page at `/admin`; without it a
//! one-time password is printed at each start), `--compat PROFILE` (`SCIM_COMPAT`: `entra`,
//! the default, `okta`, `strict` or `lenient`, what Microsoft's reference server accepts;
//! see the compatibility guide), `--log-format text|json` (`SCIM_LOG_FORMAT`),
//! `--metrics-bind ADDR` (`SCIM_METRICS_BIND`: Prometheus metrics at `http://ADDR/metrics`,
//! a listener of its own; none without it), `--shutdown-grace SECS`
//! (`SCIM_SHUTDOWN_GRACE`, default 30: how long requests in flight may finish after
//! SIGTERM), `--shutdown-delay SECS` (`SCIM_SHUTDOWN_DELAY`, default 0: how long `/readyz`
//! answers 503 before the listener closes, for a load balancer to stop sending).
//!
//! `GET /healthz` answers 200 while the process runs; `GET /readyz` 200 while the database
//! answers and the server is not stopping, else 503. Neither takes a token.
//!
//! Commands on the same database: `tenants create NAME`, `tenants list`,
//! `tenants disable NAME [DETAIL]`, `tenants enable NAME`, `tokens list TENANT`,
//! `tokens rotate TENANT [DAYS]`, `tokens revoke ID`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use reference_server::metrics::{Metered, Metrics};
use reference_server::{Admin, DEFAULT_TENANT};
use scim_core::cursor::CursorKey;
use scim_core::engine::{Engine, RateLimit, Tenants, TokenOptions, Tokens};
use scim_core::{Compat, ResourceKind, Schema, SchemaRegistry, ServiceProviderConfig};
use scim_sqlx::SqlStore;

use reference_server::Error;

mod ops;
mod web;

/// mimalloc, as a server that writes much should allocate: under a steady write load glibc's
/// allocator fragments its heap (the production guide, "Memory and allocator").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The command line: options anywhere, the rest positional.
struct Args {
    options: Vec<(String, String)>,
    positional: Vec<String>,
}

impl Args {
    fn parse() -> Self {
        let mut options = Vec::new();
        let mut positional = Vec::new();
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.strip_prefix("--") {
                Some(flag) => match flag.split_once('=') {
                    Some((name, value)) => options.push((name.to_owned(), value.to_owned())),
                    None => options.push((flag.to_owned(), args.next().unwrap_or_default())),
                },
                None => positional.push(arg),
            }
        }
        Self {
            options,
            positional,
        }
    }

    /// `--name`, else the first of `env` that is set.
    fn get(&self, name: &str, env: &[&str]) -> Option<String> {
        self.options
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .or_else(|| env.iter().find_map(|e| std::env::var(e).ok()))
    }

    fn all(&self, name: &str, env: &str) -> Vec<String> {
        let given: Vec<String> = self
            .options
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect();
        if !given.is_empty() {
            return given;
        }
        std::env::var(env)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            // As a sentence, not as `Debug` output with escaped quotes.
            eprintln!("error: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Error> {
    let args = Args::parse();
    let format = ops::LogFormat::parse(args.get("log-format", &["SCIM_LOG_FORMAT"]).as_deref())?;
    // Held to the end: dropping it writes the lines still waiting.
    let _log = ops::start_logging(format);
    let url = args
        .get("database-url", &["SCIM_DATABASE_URL", "DATABASE_URL"])
        .unwrap_or_else(|| "sqlite://scim.db".into());
    let registry = Arc::new(registry(&args.all("extension", "SCIM_EXTENSIONS"))?);
    let (store, admin) = reference_server::open(&url, Arc::clone(&registry)).await?;
    if !args.positional.is_empty() {
        return command(&admin, &args.positional).await;
    }
    serve(&args, store, admin, registry).await
}

/// The registry with the extensions given as files: a schema whose id ends in `:Group`
/// extends groups, any other extends users.
fn registry(files: &[String]) -> Result<SchemaRegistry, Error> {
    let mut registry = SchemaRegistry::new();
    for file in files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("--extension {file}: {e}"))?;
        let schema = Schema::from_json(&text).map_err(|e| format!("--extension {file}: {e}"))?;
        let kind = if schema.id.ends_with(":Group") {
            ResourceKind::Group
        } else {
            ResourceKind::User
        };
        registry = registry
            .with_extension(kind, schema, false)
            .map_err(|e| format!("--extension {file}: {e}"))?;
    }
    Ok(registry)
}

async fn serve(
    args: &Args,
    store: SqlStore,
    admin: Admin,
    registry: Arc<SchemaRegistry>,
) -> Result<(), Error> {
    let bind = args
        .get("bind", &["SCIM_BIND"])
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    // Before anything says the server is up: a SIGTERM from then on stops it gracefully.
    let stop_signal = ops::stop_signal()?;
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    let addr = listener.local_addr()?;
    let public = args
        .get("public-url", &["SCIM_PUBLIC_URL"])
        .unwrap_or_else(|| format!("http://{addr}"));
    let public = public.trim_end_matches('/');

    // The default tenant and its token: given, kept from an earlier start, or new (printed once).
    admin.create_tenant(DEFAULT_TENANT).await?;
    let token = match args.get("token", &["SCIM_TOKEN"]) {
        Some(token) => {
            admin.import_token(DEFAULT_TENANT, &token).await?;
            Some(token)
        }
        None => {
            let records = admin.token_records().await?;
            let now = chrono::Utc::now();
            let active = records
                .iter()
                .any(|r| r.tenant == DEFAULT_TENANT && r.is_active(now));
            if active {
                None
            } else {
                Some(
                    admin
                        .issue_token(DEFAULT_TENANT, TokenOptions::default().label("first start"))
                        .await?,
                )
            }
        }
    };

    let tokens = Tokens::new();
    let tenants = Tenants::new();
    admin.load(&tokens, &tenants).await?;
    let mut config = ServiceProviderConfig::default();
    config.bulk = true;
    let store = Metered(store);
    // Every process on this database signs paging cursors with the same key: a cursor one
    // gave is good at another behind the same load balancer.
    let cursor_key = CursorKey::from_secret(admin.shared_secret("cursor-key").await?.as_bytes());
    let mut engine = Engine::builder(store.clone(), tokens.clone())
        .cursor_key(cursor_key)
        .registry(registry)
        .tenants(tenants)
        .service_provider_config(config)
        .tenant_path("/{tenant}/v2")
        .base_url(format!("{public}/scim/{{tenant}}/v2"));
    if let Some(limit) = args.get("rate-limit", &["SCIM_RATE_LIMIT"]) {
        let per_minute = limit
            .parse()
            .map_err(|_| format!("--rate-limit takes requests per minute, not {limit:?}"))?;
        engine = engine.rate_limit(RateLimit::per_minute(per_minute));
    }
    if let Some(name) = args.get("compat", &["SCIM_COMPAT"]) {
        let compat = Compat::named(&name).ok_or_else(|| {
            format!("--compat takes strict, entra, okta or lenient, not {name:?}")
        })?;
        engine = engine.compat(compat);
    }
    let engine = engine.build();

    // The admin page's operations, saving into the same tables as the commands.
    let settings =
        scim_core::admin::Admin::new(engine.clone(), tokens.clone()).with_store(admin.clone());
    settings.load_policies(admin.policies().await?);
    // Admin commands run in another process: pick up their changes every two seconds.
    let reload = (tokens.clone(), settings.clone(), admin);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            if let Err(err) = refresh(&reload.0, &reload.1, &reload.2).await {
                tracing::warn!(error = %err, "reloading tenants and tokens failed");
            }
        }
    });
    let secure = public.starts_with("https://");
    let password = args.get("admin-password", &["SCIM_ADMIN_PASSWORD"]);
    let (logins, one_time) = web::Logins::new(password, secure);
    let metrics_bind = args.get("metrics-bind", &["SCIM_METRICS_BIND"]);
    let mut scim = scim_axum::router(engine);
    if metrics_bind.is_some() {
        scim = scim.layer(axum::middleware::from_fn(reference_server::metrics::record));
    }
    let stopping = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let app = Router::new()
        .nest("/scim", scim)
        .nest("/admin", web::routes(settings, logins))
        .merge(ops::health(
            store.inner().database().clone(),
            Arc::clone(&stopping),
        ));
    let metrics = match metrics_bind {
        Some(bind) => {
            let listener = tokio::net::TcpListener::bind(&bind)
                .await
                .map_err(|e| format!("--metrics-bind {bind}: {e}"))?;
            let at = listener.local_addr()?;
            let serving = ops::serve_metrics(listener, Metrics::install()?, store.clone(), tokens);
            let task = tokio::spawn(serving);
            Some((at, task))
        }
        None => None,
    };

    println!("SCIM base URL: {public}/scim/{DEFAULT_TENANT}/v2");
    match token {
        Some(token) => println!("Secret token: {token}"),
        None => println!(
            "Secret token: as printed on the first start (or run `tokens rotate {DEFAULT_TENANT}`)"
        ),
    }
    match one_time {
        Some(password) => println!("Admin page: {public}/admin (one-time password: {password})"),
        None => println!("Admin page: {public}/admin (the --admin-password)"),
    }
    if let Some((at, _)) = &metrics {
        println!("Metrics: http://{at}/metrics");
    }
    let grace = seconds(args, "shutdown-grace", "SCIM_SHUTDOWN_GRACE", 30)?;
    let delay = seconds(args, "shutdown-delay", "SCIM_SHUTDOWN_DELAY", 0)?;

    // Stopping: on SIGTERM or Ctrl-C, `/readyz` answers 503 at once; after `delay` (for a
    // load balancer to notice) the listener closes, the requests in flight finish (for
    // `grace` at most), the provisioning log is written out and the pool closed.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .into_future(),
    );
    stop_signal.await;
    stopping.store(true, std::sync::atomic::Ordering::Relaxed);
    tracing::info!(?delay, ?grace, "stopping: finishing the requests in flight");
    tokio::time::sleep(delay).await;
    let _ = stop.send(());
    match tokio::time::timeout(grace, server).await {
        Ok(Ok(Ok(()))) => tracing::info!("every request in flight was answered"),
        Ok(Ok(Err(err))) => tracing::error!(error = %err, "the server failed while stopping"),
        Ok(Err(err)) => tracing::error!(error = %err, "the server task failed"),
        Err(_) => tracing::warn!(
            ?grace,
            "the grace period ended with requests still in flight: they are cut off"
        ),
    }
    if let Some((_, task)) = metrics {
        task.abort();
    }
    store.inner().close().await;
    tracing::info!("stopped");
    Ok(())
}

/// `--name SECS` (or `env`) as a duration; `default` seconds if neither is given.
fn seconds(args: &Args, name: &str, env: &str, default: u64) -> Result<Duration, Error> {
    match args.get(name, &[env]) {
        None => Ok(Duration::from_secs(default)),
        Some(text) => text
            .parse()
            .map(Duration::from_secs)
            .map_err(|_| format!("--{name} takes whole seconds, not {text:?}").into()),
    }
}

/// Picks up what the commands changed: every token record (keeping a token the page issued
/// in the last minute whose record is being saved), and every tenant's policy.
async fn refresh(
    tokens: &Tokens,
    settings: &scim_core::admin::Admin<Metered<SqlStore>>,
    admin: &Admin,
) -> Result<(), Error> {
    let mut records = admin.token_records().await?;
    let now = chrono::Utc::now();
    let saving: Vec<_> = tokens
        .records()
        .into_iter()
        .filter(|r| now - r.created_at < chrono::Duration::minutes(1))
        .filter(|r| !records.iter().any(|saved| saved.id == r.id))
        .collect();
    records.extend(saving);
    tokens.reload(records);
    settings.load_policies(admin.policies().await?);
    Ok(())
}

async fn command(admin: &Admin, words: &[String]) -> Result<(), Error> {
    let word = |i: usize| words.get(i).map(String::as_str);
    match (word(0), word(1)) {
        (Some("tenants"), Some("create")) => {
            let name = word(2).ok_or("usage: tenants create NAME")?;
            if !admin.create_tenant(name).await? {
                return Err(format!("tenant \"{name}\" exists already").into());
            }
            let token = admin
                .issue_token(
                    name,
                    TokenOptions::default().label("created with the tenant"),
                )
                .await?;
            println!("Tenant URL path: /scim/{name}/v2");
            println!("Secret token: {token}");
        }
        (Some("tenants"), Some("list")) => {
            for tenant in admin.tenants().await? {
                let state = if tenant.enabled {
                    "enabled"
                } else {
                    "disabled"
                };
                println!("{}\t{state}", tenant.name);
            }
        }
        (Some("tenants"), Some("disable")) => {
            let name = word(2).ok_or("usage: tenants disable NAME [DETAIL]")?;
            let detail = word(3).unwrap_or("provisioning is disabled for this tenant");
            if !admin.set_enabled(name, Some(detail)).await? {
                return Err(format!("no tenant \"{name}\" (tenants list)").into());
            }
            println!("Tenant {name} disabled: its requests are answered 403 \"{detail}\"");
        }
        (Some("tenants"), Some("enable")) => {
            let name = word(2).ok_or("usage: tenants enable NAME")?;
            if !admin.set_enabled(name, None).await? {
                return Err(format!("no tenant \"{name}\" (tenants list)").into());
            }
            println!("Tenant {name} enabled");
        }
        (Some("tokens"), Some("list")) => {
            let tenant = word(2).ok_or("usage: tokens list TENANT")?;
            let now = chrono::Utc::now();
            for record in admin
                .token_records()
                .await?
                .into_iter()
                .filter(|r| r.tenant == tenant)
            {
                let state = if record.is_active(now) {
                    "active"
                } else {
                    "inactive"
                };
                let label = record.label.as_deref().unwrap_or("");
                println!("{}\t{}\t{state}\t{label}", record.id, record.hint);
            }
        }
        (Some("tokens"), Some("rotate")) => {
            let tenant = word(2).ok_or("usage: tokens rotate TENANT [DAYS]")?;
            let mut options = TokenOptions::default().label("rotated");
            if let Some(days) = word(3) {
                options =
                    options.expires_in_days(days.parse().map_err(|_| "DAYS must be a number")?);
            }
            let token = admin.issue_token(tenant, options).await?;
            println!("Secret token: {token}");
            println!("The previous tokens stay valid until revoked: tokens revoke ID");
        }
        (Some("tokens"), Some("revoke")) => {
            let id = word(2).ok_or("usage: tokens revoke ID")?;
            if !admin.revoke_token(id).await? {
                return Err(format!("no token \"{id}\" (tokens list TENANT)").into());
            }
            println!("Token {id} revoked: it is refused from now on");
        }
        _ => {
            return Err(format!(
                "unknown command \"{}\"; the commands are: tenants create NAME, tenants list, \
                 tenants disable NAME [DETAIL], tenants enable NAME, tokens list TENANT, \
                 tokens rotate TENANT [DAYS], tokens revoke ID",
                words.join(" ")
            )
            .into());
        }
    }
    Ok(())
}
