//! The tables the store adds next to the app's: one side table per mapped table, and the
//! outbox. Created if missing when the store opens; the app's own tables are never touched.

use scim_filter::sql::Dialect;

use crate::db::{Database, Q};
use crate::layout::Layout;
use crate::mapping::IdKind;

/// The statements creating `layout`'s side table.
fn side_table(layout: &Layout, dialect: Dialect) -> Vec<String> {
    if dialect == Dialect::Mysql {
        return vec![mysql_side_table(layout)];
    }
    let id_type = match (dialect, layout.id_kind) {
        (Dialect::Postgres, IdKind::Uuid) => "UUID",
        (Dialect::Postgres, IdKind::Integer) => "BIGINT",
        (_, IdKind::Integer) => "INTEGER",
        _ => "TEXT",
    };
    let json = match dialect {
        Dialect::Postgres => "JSONB",
        _ => "TEXT",
    };
    let (side, table, id) = (&layout.side, &layout.table, &layout.id);
    vec![
        format!(
            "CREATE TABLE IF NOT EXISTS {side} (
                id {id_type} PRIMARY KEY REFERENCES {table} ({id}) ON DELETE CASCADE,
                external_id TEXT,
                version BIGINT NOT NULL DEFAULT 1,
                created TEXT NOT NULL,
                last_modified TEXT NOT NULL,
                origin TEXT NOT NULL DEFAULT 'directory',
                extra {json}
            )"
        ),
        format!(
            "CREATE INDEX IF NOT EXISTS {} ON {side} (external_id)",
            unqualified(&index_name(side))
        ),
    ]
}

/// MySQL's side table: keys and `externalId` as binary-collated `VARCHAR` (a `TEXT`
/// column takes no key, and ids and `externalId` are case-exact), its index inline (MySQL
/// has no `CREATE INDEX IF NOT EXISTS`).
fn mysql_side_table(layout: &Layout) -> String {
    let id_type = match layout.id_kind {
        IdKind::Integer => "BIGINT",
        IdKind::Uuid => "CHAR(36)",
        _ => "VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
    };
    let (side, table, id) = (&layout.side, &layout.table, &layout.id);
    format!(
        "CREATE TABLE IF NOT EXISTS {side} (
            id {id_type} NOT NULL PRIMARY KEY,
            external_id VARCHAR(512) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
            version BIGINT NOT NULL DEFAULT 1,
            created VARCHAR(32) NOT NULL,
            last_modified VARCHAR(32) NOT NULL,
            origin VARCHAR(16) NOT NULL DEFAULT 'directory',
            extra LONGTEXT,
            INDEX {} (external_id),
            FOREIGN KEY (id) REFERENCES {table} ({id}) ON DELETE CASCADE
        ) DEFAULT CHARACTER SET utf8mb4",
        unqualified(&index_name(side))
    )
}

/// The side table's index of `externalId`, in the side table's schema.
fn index_name(side: &str) -> String {
    format!("{side}_external_id")
}

/// A name without its schema (`scim.users` to `users`): index names take none.
fn unqualified(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// The outbox's name: `scim_outbox`, in the schema of `users` if that is qualified.
pub(crate) fn outbox_table(users: &Layout) -> String {
    match users.table.rsplit_once('.') {
        Some((schema, _)) => format!("{schema}.scim_outbox"),
        None => "scim_outbox".to_owned(),
    }
}

/// The provisioning log's name: `scim_log`, beside the outbox.
pub(crate) fn log_table(outbox_table: &str) -> String {
    outbox_table.replace("scim_outbox", "scim_log")
}

/// The provisioning log: one row per request of a tenant, the entry as JSON.
fn log(table: &str, dialect: Dialect) -> Vec<String> {
    if dialect == Dialect::Mysql {
        return vec![format!(
            "CREATE TABLE IF NOT EXISTS {table} (
                seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
                tenant VARCHAR(255) NOT NULL,
                time VARCHAR(32) NOT NULL,
                status INTEGER NOT NULL,
                resource_id VARCHAR(255),
                entry LONGTEXT NOT NULL,
                INDEX {}_tenant (tenant, seq)
            ) DEFAULT CHARACTER SET utf8mb4",
            unqualified(table)
        )];
    }
    let (seq, json) = match dialect {
        Dialect::Postgres => ("BIGSERIAL PRIMARY KEY", "JSONB"),
        _ => ("INTEGER PRIMARY KEY AUTOINCREMENT", "TEXT"),
    };
    vec![
        format!(
            "CREATE TABLE IF NOT EXISTS {table} (
                seq {seq},
                tenant TEXT NOT NULL,
                time TEXT NOT NULL,
                status INTEGER NOT NULL,
                resource_id TEXT,
                entry {json} NOT NULL
            )"
        ),
        format!(
            "CREATE INDEX IF NOT EXISTS {}_tenant ON {table} (tenant, seq)",
            unqualified(table)
        ),
    ]
}

/// The outbox: each write's events, kept in the write's transaction until delivered.
fn outbox(table: &str, dialect: Dialect) -> String {
    match dialect {
        Dialect::Postgres => format!(
            "CREATE TABLE IF NOT EXISTS {table} (
                seq BIGSERIAL PRIMARY KEY,
                event JSONB NOT NULL,
                created TEXT NOT NULL
            )"
        ),
        Dialect::Mysql => format!(
            "CREATE TABLE IF NOT EXISTS {table} (
                seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
                event LONGTEXT NOT NULL,
                created VARCHAR(32) NOT NULL
            ) DEFAULT CHARACTER SET utf8mb4"
        ),
        _ => format!(
            "CREATE TABLE IF NOT EXISTS {table} (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                event TEXT NOT NULL,
                created TEXT NOT NULL
            )"
        ),
    }
}

/// Whether every relation named in `names` (tables and indexes, schema-qualified where
/// given) exists.
async fn all_exist(db: &Database, names: &[String]) -> Result<bool, sqlx::Error> {
    let dialect = db.dialect();
    for name in names {
        let mut q = Q::new(dialect);
        let sql = match dialect {
            Dialect::Postgres => {
                format!("SELECT to_regclass({})::text AS found", q.p(name.clone()))
            }
            // Tables only: MySQL's indexes are made with their tables.
            Dialect::Mysql if name.ends_with("_external_id") => continue,
            Dialect::Mysql => {
                let (schema, table) = match name.rsplit_once('.') {
                    Some((schema, table)) => (q.p(schema.to_owned()), table),
                    None => ("DATABASE()".to_owned(), name.as_str()),
                };
                format!(
                    "SELECT table_name AS found FROM information_schema.tables \
                     WHERE table_schema = {schema} AND table_name = {}",
                    q.p(table.to_owned())
                )
            }
            _ => format!(
                "SELECT name AS found FROM sqlite_master WHERE name = {}",
                q.p(unqualified(name).to_owned())
            ),
        };
        let rows = q.fetch(db, &sql).await?;
        if rows.first().and_then(|r| r.text("found")).is_none() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Creates what is missing. Nothing at all when everything is there: DDL, even `IF NOT
/// EXISTS`, takes locks on PostgreSQL that can deadlock with writes of other processes.
/// When something is missing, an advisory lock keeps several processes starting at once
/// from racing on the catalog (PostgreSQL; MySQL's `CREATE TABLE IF NOT EXISTS` needs none).
pub(crate) async fn migrate(
    db: &Database,
    layouts: &[&Layout],
    outbox_table: &str,
) -> Result<(), sqlx::Error> {
    let dialect = db.dialect();
    let mut names = Vec::new();
    let mut statements = Vec::new();
    for layout in layouts {
        names.push(layout.side.clone());
        names.push(index_name(&layout.side));
        statements.extend(side_table(layout, dialect));
    }
    let log_table = log_table(outbox_table);
    names.push(outbox_table.to_owned());
    names.push(log_table.clone());
    if all_exist(db, &names).await? {
        return Ok(());
    }
    statements.push(outbox(outbox_table, dialect));
    statements.extend(log(&log_table, dialect));
    let script = statements.join(";\n");
    match dialect {
        Dialect::Postgres => {
            db.run(&format!(
                "BEGIN; SELECT pg_advisory_xact_lock(7644); {script}; COMMIT"
            ))
            .await
        }
        _ => db.run(&script).await,
    }
}
