//! The server `bench/load.sh` drives: the SCIM endpoint (scim-axum) on a store preloaded with
//! `--users` users (`user0`, `user1`...) and one group of `--group-members` members, and at
//! `/bare` a bare axum handler answering a fixed body as large as a user: the ceiling.
//!
//! Options: `--bind ADDR` (default `127.0.0.1:0`), `--store memory|sqlite|postgres`,
//! `--database-url URL`, `--users N` (10,000), `--group-members N` (10,000), `--ids FILE`
//! (where the group's id and then every user's id are written, one per line),
//! `--patch-response resource|none`. It prints `SCIM base URL: ...` once it accepts
//! connections. The token is `bench`.
//!
//! It allocates with mimalloc, as a production server should: under write load glibc's
//! allocator fragments (a PATCH run right after a POST run spent 28% of its time in
//! `_int_malloc`). The `system-allocator` feature measures glibc's.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use reference_server::SqlStore;
use scim_core::engine::{BearerToken, Engine, PatchResponse};
use scim_core::{
    Compat, MemberChange, MemoryStore, RequestContext, ResourceKind, SchemaRegistry, ScimStore,
};
use serde_json::{Value, json};

#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

type Error = Box<dyn std::error::Error + Send + Sync>;

fn option(name: &str) -> Option<String> {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == name {
            return args.next();
        }
    }
    None
}

fn number(name: &str, default: usize) -> Result<usize, Error> {
    Ok(option(name)
        .map(|v| v.parse())
        .transpose()?
        .unwrap_or(default))
}

/// A user like the shared benchmark's (`bench/user.json`), numbered.
fn user(i: usize) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": format!("ext-{i}"),
        "userName": format!("user{i}"),
        "name": {"formatted": "Ms. Barbara J Jensen, III", "familyName": "Jensen", "givenName": "Barbara", "middleName": "Jane"},
        "displayName": format!("Babs Jensen {i}"),
        "nickName": "Babs",
        "emails": [
            {"value": format!("user{i}@example.com"), "type": "work", "primary": true},
            {"value": format!("babs{i}@jensen.org"), "type": "home"}
        ],
        "phoneNumbers": [{"value": "555-555-5555", "type": "work"}],
        "title": "Tour Guide",
        "userType": "Employee",
        "preferredLanguage": "en-US",
        "locale": "en-US",
        "timezone": "America/Los_Angeles",
        "active": true,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": format!("{i}"),
            "costCenter": "4130",
            "organization": "Universal Studios",
            "division": "Theme Park",
            "department": "Tour Operations"
        }
    })
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let registry = Arc::new(SchemaRegistry::new());
    match option("--store").as_deref().unwrap_or("memory") {
        "memory" => {
            let store = MemoryStore::with_registry(Arc::clone(&registry));
            run(store, registry, None::<fn(String, usize) -> Preload>).await
        }
        "sqlite" | "postgres" => {
            let url = option("--database-url").ok_or("--database-url is needed for SQL stores")?;
            let store = SqlStore::connect(&url, Arc::clone(&registry)).await?;
            let copier = store.clone();
            let copy = move |template: String, n: usize| bulk_copy(copier.clone(), template, n);
            run(store, registry, Some(copy)).await
        }
        other => Err(format!("unknown store {other}").into()),
    }
}

type Preload = std::pin::Pin<Box<dyn Future<Output = Result<Vec<String>, Error>> + Send>>;

/// Fills a SQL store with users 1 to `n - 1` by copying the rows of user 0 (`template`, as
/// the store wrote them) in one statement per table: creating a million users one request
/// at a time would take an hour on PostgreSQL. Each copy gets its own id (`load-N`),
/// `userName`, `externalId`, `displayName` and emails, as `user(N)` would have. Returns the
/// new ids. The column lists are the reference server's schema (examples/reference-server).
fn bulk_copy(store: SqlStore, template: String, n: usize) -> Preload {
    Box::pin(async move {
        let pool = store.pool();
        let last = n.saturating_sub(1);
        if last == 0 {
            return Ok(Vec::new());
        }
        let series = format!(
            "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {last})"
        );
        let rest = "given_name, family_name, middle_name, formatted_name, honorific_prefix, \
                    honorific_suffix, nick_name, profile_url, title, user_type, preferred_language, \
                    locale, timezone, active, extra, created, last_modified, version";
        let template = template.replace('\'', "''");
        let statements = [
            format!(
                "{series} INSERT INTO users (tenant, id, user_name, user_name_ci, external_id, \
                 display_name, display_name_ci, {rest}) \
                 SELECT u.tenant, 'load-' || s.n, 'user' || s.n, 'user' || s.n, 'ext-' || s.n, \
                 'Babs Jensen ' || s.n, 'babs jensen ' || s.n, {} FROM users u, s WHERE u.id = '{template}'",
                rest.split(", ")
                    .map(|c| format!("u.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!(
                "{series} INSERT INTO user_emails (tenant, user_id, position, value, value_ci, type, \
                 is_primary, display, extra) \
                 SELECT e.tenant, 'load-' || s.n, e.position, \
                 CASE WHEN e.type = 'work' THEN 'user' || s.n || '@example.com' ELSE 'babs' || s.n || '@jensen.org' END, \
                 CASE WHEN e.type = 'work' THEN 'user' || s.n || '@example.com' ELSE 'babs' || s.n || '@jensen.org' END, \
                 e.type, e.is_primary, e.display, e.extra FROM user_emails e, s WHERE e.user_id = '{template}'"
            ),
            format!(
                "{series} INSERT INTO user_phone_numbers (tenant, user_id, position, value, type, \
                 is_primary, display, extra) \
                 SELECT p.tenant, 'load-' || s.n, p.position, p.value, p.type, p.is_primary, \
                 p.display, p.extra FROM user_phone_numbers p, s WHERE p.user_id = '{template}'"
            ),
            "ANALYZE".to_owned(),
        ];
        for statement in statements {
            sqlx::query(&statement).execute(pool).await?;
        }
        Ok((1..n).map(|i| format!("load-{i}")).collect())
    })
}

async fn run<S, F>(store: S, registry: Arc<SchemaRegistry>, copy: Option<F>) -> Result<(), Error>
where
    S: ScimStore + Clone,
    F: Fn(String, usize) -> Preload,
{
    let users = number("--users", 10_000)?;
    let members = number("--group-members", 10_000)?;
    let ctx = RequestContext::new(scim_core::engine::DEFAULT_TENANT);
    let schemas = registry.resource(ResourceKind::User);
    let started = Instant::now();
    let mut ids = Vec::with_capacity(users);
    let one_by_one = if copy.is_some() { users.min(1) } else { users };
    for i in 0..one_by_one {
        let resource = schemas.validate_create(user(i), &Compat::entra())?;
        let created = store.create(&ctx, resource).await?;
        ids.push(created.id().unwrap_or_default().to_owned());
    }
    if let (Some(copy), Some(template)) = (copy, ids.first().cloned()) {
        ids.extend(copy(template, users).await?);
    }
    let group = registry
        .resource(ResourceKind::Group)
        .validate_create(json!({"displayName": "Everyone"}), &Compat::entra())?;
    let group = store.create(&ctx, group).await?;
    let group_id = group.id().unwrap_or_default().to_owned();
    let add: Vec<Value> = (0..members)
        .map(|i| json!({"value": ids.get(i).cloned().unwrap_or_else(|| format!("member-{i}"))}))
        .collect();
    store
        .modify_members(&ctx, &group_id, &MemberChange::new(add, Vec::new()), None)
        .await?;
    eprintln!(
        "preloaded {users} users and a group of {members} members in {:.1?}",
        started.elapsed()
    );
    if let Some(file) = option("--ids") {
        let mut text = format!("{group_id}\n");
        for id in &ids {
            text.push_str(id);
            text.push('\n');
        }
        std::fs::write(file, text)?;
    }

    let mut builder = Engine::builder(store, BearerToken::new("bench")).registry(registry);
    if option("--patch-response").as_deref() == Some("none") {
        builder = builder.patch_response(PatchResponse::NoContent);
    }
    let engine = builder.build();

    // The ceiling's body: exactly what GET /Users/{id} answers for the first user.
    let probe = axum::http::Request::get(format!(
        "/Users/{}",
        ids.first().cloned().unwrap_or_default()
    ))
    .header("authorization", "Bearer bench")
    .body(Bytes::new())?;
    let body = engine.handle(probe).await.into_body();
    let bare = move || {
        let body = body.clone();
        async move { ([(CONTENT_TYPE, "application/scim+json")], body) }
    };
    let app = Router::new()
        .route("/bare", axum::routing::get(bare))
        .nest("/scim/v2", scim_axum::router(engine));
    let listener =
        tokio::net::TcpListener::bind(option("--bind").unwrap_or_else(|| "127.0.0.1:0".into()))
            .await?;
    println!("SCIM base URL: http://{}/scim/v2", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
