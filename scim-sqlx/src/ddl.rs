//! The tables the store adds next to the app's: one side table per mapped table, and the
//! outbox. Created if missing when the store opens; the app's own tables are never touched.

use scim_filter::sql::Dialect;

use crate::db::Database;
use crate::layout::Layout;
use crate::mapping::IdKind;

/// The statements creating `layout`'s side table.
fn side_table(layout: &Layout, dialect: Dialect) -> Vec<String> {
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
            "CREATE INDEX IF NOT EXISTS {}_external_id ON {side} (external_id)",
            unqualified(side)
        ),
    ]
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
        _ => format!(
            "CREATE TABLE IF NOT EXISTS {table} (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                event TEXT NOT NULL,
                created TEXT NOT NULL
            )"
        ),
    }
}

/// Creates what is missing. On PostgreSQL an advisory lock keeps several processes
/// starting at once from racing on the catalog.
pub(crate) async fn migrate(
    db: &Database,
    layouts: &[&Layout],
    outbox_table: &str,
) -> Result<(), sqlx::Error> {
    let dialect = db.dialect();
    let mut statements = Vec::new();
    for layout in layouts {
        statements.extend(side_table(layout, dialect));
    }
    statements.push(outbox(outbox_table, dialect));
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
