//! The server `bench/load.sh` drives: the SCIM endpoint (scim-axum) on a store preloaded with
//! `--users` users (`user0`, `user1`...) and one group of `--group-members` members, and at
//! `/bare` a bare axum handler answering a fixed body as large as a user: the ceiling.
//!
//! Options: `--bind ADDR` (default `127.0.0.1:0`), `--store memory|sqlite|postgres|mysql`,
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
use scim_core::engine::{BearerToken, Engine, PatchResponse};
use scim_core::{
    Compat, MemberChange, MemoryStore, RequestContext, ResourceKind, SchemaRegistry, ScimStore,
};
use scim_sqlx::{Database, Dialect, SqlStore};
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
    // Warnings and errors only (a failing store says why); RUST_LOG for more.
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let registry = Arc::new(SchemaRegistry::new());
    match option("--store").as_deref().unwrap_or("memory") {
        "memory" => {
            let store = MemoryStore::with_registry(Arc::clone(&registry));
            run(store, registry, None::<fn(String, usize) -> Preload>, None).await
        }
        "sqlite" | "postgres" | "mysql" => {
            let url = option("--database-url").ok_or("--database-url is needed for SQL stores")?;
            let (store, _) = reference_server::open(&url, Arc::clone(&registry)).await?;
            let copier = store.clone();
            let copy = move |template: String, n: usize| bulk_copy(copier.clone(), template, n);
            let db = store.database().clone();
            run(store, registry, Some(copy), Some(db)).await
        }
        other => Err(format!("unknown store {other}").into()),
    }
}

type Preload = std::pin::Pin<Box<dyn Future<Output = Result<Vec<String>, Error>> + Send>>;

/// The id of the `n`th copied user: a UUID, as the reference server's tables take.
fn copy_id(dialect: Dialect, n: &str) -> String {
    match dialect {
        Dialect::Postgres => {
            format!("('00000000-0000-4000-8000-' || lpad({n}::text, 12, '0'))::uuid")
        }
        Dialect::Mysql => format!("CONCAT('00000000-0000-4000-8000-', LPAD({n}, 12, '0'))"),
        _ => format!("printf('00000000-0000-4000-8000-%012d', {n})"),
    }
}

/// `parts` concatenated: `||` in SQLite and PostgreSQL, `CONCAT` in MySQL (where `||` is
/// `OR`).
fn concat(dialect: Dialect, parts: &[&str]) -> String {
    match dialect {
        Dialect::Mysql => format!("CONCAT({})", parts.join(", ")),
        _ => parts.join(" || "),
    }
}

/// Runs `sql` on the store's database.
async fn execute(db: &Database, sql: &str) -> Result<(), Error> {
    match db {
        Database::Sqlite(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop)?,
        Database::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop)?,
        Database::Mysql(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop)?,
        _ => return Err("an unknown database".into()),
    }
    Ok(())
}

/// Fills a SQL store with users 1 to `n - 1` by copying the rows of user 0 (`template`, as
/// the store wrote them) in one statement per table: creating a million users one request
/// at a time would take an hour on PostgreSQL. Each copy gets its own id, `userName`,
/// `externalId`, `displayName` and emails, as `user(N)` would have. Returns the new ids.
/// The tables are the reference server's (examples/reference-server/src/tables.rs) and the
/// side table scim-sqlx keeps next to them.
fn bulk_copy(store: SqlStore, template: String, n: usize) -> Preload {
    Box::pin(async move {
        let db = store.database();
        let dialect = db.dialect();
        let last = n.saturating_sub(1);
        if last == 0 {
            return Ok(Vec::new());
        }
        // MySQL puts the series after `INSERT INTO ... (...)`, the others before it;
        // MariaDB stops a recursion at 1,000 rows unless told otherwise.
        let series = format!(
            "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {last})"
        );
        let insert = |into: &str, select: &str| match dialect {
            Dialect::Mysql => format!(
                "SET SESSION max_recursive_iterations = 100000000; \
                 INSERT INTO {into} {series} {select}"
            ),
            _ => format!("{series} INSERT INTO {into} {select}"),
        };
        let id = copy_id(dialect, "s.n");
        let rest = "given_name, family_name, middle_name, formatted_name, honorific_prefix, \
                    honorific_suffix, nick_name, profile_url, title, user_type, preferred_language, \
                    locale, timezone, active, extra";
        let from_template = rest
            .split(", ")
            .map(|c| format!("u.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let template = template.replace('\'', "''");
        let email = format!(
            "CASE WHEN e.type = 'work' THEN {} ELSE {} END",
            concat(dialect, &["'user'", "s.n", "'@example.com'"]),
            concat(dialect, &["'babs'", "s.n", "'@jensen.org'"])
        );
        let analyze = match dialect {
            Dialect::Mysql => "ANALYZE TABLE users, users_scim, user_emails, user_phone_numbers",
            _ => "ANALYZE",
        };
        let statements = [
            insert(
                &format!("users (id, tenant, user_name, display_name, {rest})"),
                &format!(
                    "SELECT {id}, u.tenant, {}, {}, {from_template} \
                     FROM users u, s WHERE u.id = '{template}'",
                    concat(dialect, &["'user'", "s.n"]),
                    concat(dialect, &["'Babs Jensen '", "s.n"])
                ),
            ),
            insert(
                "users_scim (id, external_id, version, created, last_modified, origin, extra)",
                &format!(
                    "SELECT {id}, {}, x.version, x.created, x.last_modified, x.origin, \
                     x.extra FROM users_scim x, s WHERE x.id = '{template}'",
                    concat(dialect, &["'ext-'", "s.n"])
                ),
            ),
            insert(
                "user_emails (user_id, position, value, type, is_primary, display)",
                &format!(
                    "SELECT {id}, e.position, {email}, e.type, e.is_primary, e.display \
                     FROM user_emails e, s WHERE e.user_id = '{template}'"
                ),
            ),
            insert(
                "user_phone_numbers (user_id, position, value, type, is_primary, display)",
                &format!(
                    "SELECT {id}, p.position, p.value, p.type, p.is_primary, p.display \
                     FROM user_phone_numbers p, s WHERE p.user_id = '{template}'"
                ),
            ),
            analyze.to_owned(),
        ];
        for statement in statements {
            execute(db, &statement).await?;
        }
        Ok((1..n)
            .map(|i| format!("00000000-0000-4000-8000-{i:012}"))
            .collect())
    })
}

async fn run<S, F>(
    store: S,
    registry: Arc<SchemaRegistry>,
    copy: Option<F>,
    sql: Option<Database>,
) -> Result<(), Error>
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

    // The same engine over the same store with the provisioning log off, at /nolog/scim/v2:
    // what keeping the log costs, measured in the same run (scenario `nolog`).
    let unlogged = Engine::builder(store.clone(), BearerToken::new("bench"))
        .registry(Arc::clone(&registry))
        .provisioning_log(false)
        .build();
    // And with the reference server's metrics (a recorder installed, every request and
    // store call recorded), at /metered/scim/v2: what they cost (scenario `metered`).
    let metrics = reference_server::metrics::Metrics::install()?;
    let metered = Engine::builder(
        reference_server::metrics::Metered(store.clone()),
        BearerToken::new("bench"),
    )
    .registry(Arc::clone(&registry))
    .build();
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
    let mut app = Router::new().route("/bare", axum::routing::get(bare));
    if let Some(db) = sql {
        let ceiling = Arc::new((ceiling_statement(db.dialect()), db));
        app = app.route(
            "/sql/{id}",
            axum::routing::get(sql_ceiling).with_state(ceiling),
        );
    }
    let app = app
        .nest("/scim/v2", scim_axum::router(engine))
        .nest("/nolog/scim/v2", scim_axum::router(unlogged))
        .nest(
            "/metered/scim/v2",
            scim_axum::router(metered)
                .layer(axum::middleware::from_fn(reference_server::metrics::record)),
        )
        .route(
            "/metrics",
            axum::routing::get(move || {
                let metrics = metrics.clone();
                async move { metrics.render() }
            }),
        );
    let listener =
        tokio::net::TcpListener::bind(option("--bind").unwrap_or_else(|| "127.0.0.1:0".into()))
            .await?;
    println!("SCIM base URL: http://{}/scim/v2", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// The SQL ceiling (`GET /sql/{id}`): what a bare handler on the same database costs. It
/// runs one primary-key `SELECT` over the same rows the store reads for a user (the row,
/// its side row, its emails and phone numbers, aggregated by the database), has the database
/// write it as JSON, and answers that text: no authentication, no SCIM work.
fn ceiling_statement(dialect: Dialect) -> String {
    let columns = [
        ("userName", "user_name"),
        ("displayName", "display_name"),
        ("givenName", "given_name"),
        ("familyName", "family_name"),
        ("middleName", "middle_name"),
        ("formatted", "formatted_name"),
        ("nickName", "nick_name"),
        ("title", "title"),
        ("userType", "user_type"),
        ("preferredLanguage", "preferred_language"),
        ("locale", "locale"),
        ("timezone", "timezone"),
        ("active", "active"),
    ];
    let (object, array, id_text, json) = match dialect {
        Dialect::Postgres => ("jsonb_build_object", "jsonb_agg", "r.id::text", "r.extra"),
        Dialect::Mysql => ("JSON_OBJECT", "", "r.id", "JSON_EXTRACT(r.extra, '$')"),
        _ => ("json_object", "json_group_array", "r.id", "json(r.extra)"),
    };
    let fields: Vec<String> = columns
        .iter()
        .map(|(key, column)| format!("'{key}', r.{column}"))
        .collect();
    let child = |table: &str| {
        let element = format!(
            "{object}('value', c.value, 'type', c.type, 'primary', c.is_primary, \
             'display', c.display)"
        );
        match dialect {
            // As the store reads them (GROUP_CONCAT takes an ORDER BY), as JSON.
            Dialect::Mysql => format!(
                "JSON_EXTRACT((SELECT CONCAT('[', GROUP_CONCAT({element} ORDER BY c.position \
                 SEPARATOR ','), ']') FROM {table} c WHERE c.user_id = r.id), '$')"
            ),
            _ => format!(
                "(SELECT {array}({element} ORDER BY c.position) FROM {table} c WHERE c.user_id = r.id)"
            ),
        }
    };
    format!(
        "SELECT {object}('id', {id_text}, {}, 'externalId', s.external_id, 'version', s.version, \
         'created', s.created, 'lastModified', s.last_modified, 'extra', {json}, \
         'emails', {}, 'phoneNumbers', {}){} AS body \
         FROM users r LEFT JOIN users_scim s ON s.id = r.id WHERE r.id = {} AND r.tenant = 'default'",
        fields.join(", "),
        child("user_emails"),
        child("user_phone_numbers"),
        if dialect == Dialect::Postgres {
            "::text"
        } else {
            ""
        },
        match dialect {
            Dialect::Postgres => "$1::uuid",
            Dialect::Mysql => "?",
            _ => "$1",
        },
    )
}

/// Answers `GET /sql/{id}` with [`ceiling_statement`]'s JSON.
async fn sql_ceiling(
    axum::extract::State(ceiling): axum::extract::State<Arc<(String, Database)>>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (select, db) = &*ceiling;
    let body: Result<Option<String>, sqlx::Error> = match db {
        Database::Sqlite(pool) => {
            sqlx::query_scalar(select)
                .bind(&id)
                .fetch_optional(pool)
                .await
        }
        Database::Postgres(pool) => {
            sqlx::query_scalar(select)
                .bind(&id)
                .fetch_optional(pool)
                .await
        }
        // MariaDB's JSON functions answer binary strings.
        Database::Mysql(pool) => sqlx::query_scalar::<_, Vec<u8>>(select)
            .bind(&id)
            .fetch_optional(pool)
            .await
            .map(|body| body.map(|b| String::from_utf8_lossy(&b).into_owned())),
        _ => Ok(None),
    };
    match body {
        Ok(Some(body)) => ([(CONTENT_TYPE, "application/scim+json")], body).into_response(),
        Ok(None) => axum::http::StatusCode::NOT_FOUND.into_response(),
        Err(err) => (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            err.to_string(),
        )
            .into_response(),
    }
}
