//! Tenants and their tokens, kept in the same database as the resources.

use scim_core::admin::{AdminStore, PersistFuture, TenantPolicy};
use scim_core::engine::{TenantSettings, Tenants, TokenOptions, TokenRecord, Tokens};
use scim_sqlx::Database;
use serde_json::json;
use sqlx::Row;

/// The tenant created on the first start.
pub const DEFAULT_TENANT: &str = "default";

/// Tenants and tokens in the database; the running server's `Tokens` and `Tenants` are
/// loaded from here (and reloaded, so the admin commands take effect while it runs).
#[derive(Debug, Clone)]
pub struct Admin {
    db: Database,
}

/// A tenant, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRow {
    /// Its name, which is its URL segment.
    pub name: String,
    /// Whether it may provision.
    pub enabled: bool,
    /// What a disabled tenant's admin reads.
    pub disabled_detail: Option<String>,
}

/// The admin tables. Every column is text, so one statement serves every database
/// (placeholders `$1`, `$2`... are understood by SQLite and PostgreSQL, and rewritten for
/// MySQL by [`for_dialect`], as are the keys' `TEXT`).
pub(crate) const TABLES: &str = "CREATE TABLE IF NOT EXISTS tenants (
        name TEXT PRIMARY KEY,
        enabled_flag TEXT NOT NULL DEFAULT 'yes',
        disabled_detail TEXT,
        created TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS tokens (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL REFERENCES tenants (name),
        label TEXT,
        digest TEXT NOT NULL UNIQUE,
        hint TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT,
        revoked_at TEXT
    )";

/// What the settings page decides beyond the switch (resource types, token expiry and cap),
/// as the policy's JSON; the switch stays in `tenants`, where the commands set it too.
pub(crate) const POLICIES: &str = "CREATE TABLE IF NOT EXISTS tenant_policies (
        tenant TEXT PRIMARY KEY REFERENCES tenants (name),
        policy TEXT NOT NULL
    )";

/// `sql`, written for SQLite and PostgreSQL, as `db` takes it. MySQL numbers no
/// placeholders (`$1` becomes `?`: every statement here uses them in order), keys no `TEXT`
/// (`VARCHAR(255)`), and says `INSERT IGNORE` and `ON DUPLICATE KEY UPDATE a = VALUES(a)`
/// for `ON CONFLICT ... DO NOTHING` and `ON CONFLICT ... DO UPDATE SET a = excluded.a`.
pub(crate) fn for_dialect(db: &Database, sql: &str) -> String {
    if db.dialect() != scim_sqlx::Dialect::Mysql {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
            out.push('?');
        } else {
            out.push(c);
        }
    }
    let mut sql = out
        .replace("TEXT PRIMARY KEY", "VARCHAR(255) PRIMARY KEY")
        .replace("TEXT NOT NULL UNIQUE", "VARCHAR(255) NOT NULL UNIQUE")
        .replace(
            "tenant TEXT NOT NULL REFERENCES",
            "tenant VARCHAR(255) NOT NULL REFERENCES",
        );
    if let Some((head, conflict)) = sql.split_once(" ON CONFLICT ") {
        sql = match conflict.split_once(" DO UPDATE SET ") {
            None => head.replacen("INSERT INTO", "INSERT IGNORE INTO", 1),
            Some((_, sets)) => {
                let sets: Vec<String> = sets
                    .split(',')
                    .map(|set| {
                        let column = set.split('=').next().unwrap_or_default().trim();
                        format!("{column} = VALUES({column})")
                    })
                    .collect();
                format!("{head} ON DUPLICATE KEY UPDATE {}", sets.join(", "))
            }
        };
    }
    sql
}

/// Secrets every process on the database shares (the key paging cursors are signed with),
/// made by the first process that needs one.
pub(crate) const SECRETS: &str = "CREATE TABLE IF NOT EXISTS server_secrets (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )";

/// Runs `sql` with text arguments; the rows it changed.
async fn execute(db: &Database, sql: &str, args: &[Option<&str>]) -> Result<u64, sqlx::Error> {
    let sql = &for_dialect(db, sql);
    Ok(match db {
        Database::Sqlite(pool) => {
            let mut query = sqlx::query(sql);
            for arg in args {
                query = query.bind(*arg);
            }
            query.execute(pool).await?.rows_affected()
        }
        Database::Postgres(pool) => {
            let mut query = sqlx::query(sql);
            for arg in args {
                query = query.bind(*arg);
            }
            query.execute(pool).await?.rows_affected()
        }
        Database::Mysql(pool) => {
            let mut query = sqlx::query(sql);
            for arg in args {
                query = query.bind(*arg);
            }
            query.execute(pool).await?.rows_affected()
        }
        _ => return Err(sqlx::Error::Configuration("an unknown database".into())),
    })
}

/// The text columns `columns` of every row `sql` returns.
async fn rows(
    db: &Database,
    sql: &str,
    columns: &[&str],
) -> Result<Vec<Vec<Option<String>>>, sqlx::Error> {
    fn texts<R: Row>(row: &R, columns: &[&str]) -> Vec<Option<String>>
    where
        for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        for<'c> &'c str: sqlx::ColumnIndex<R>,
    {
        columns
            .iter()
            .map(|c| row.try_get(*c).ok().flatten())
            .collect()
    }
    let sql = &for_dialect(db, sql);
    Ok(match db {
        Database::Sqlite(pool) => sqlx::query(sql)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| texts(r, columns))
            .collect(),
        Database::Postgres(pool) => sqlx::query(sql)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| texts(r, columns))
            .collect(),
        Database::Mysql(pool) => sqlx::query(sql)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| texts(r, columns))
            .collect(),
        _ => return Err(sqlx::Error::Configuration("an unknown database".into())),
    })
}

impl Admin {
    /// Over `db`, whose admin tables exist ([`crate::open`] creates them).
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Creates `name` if it does not exist; whether it was created.
    pub async fn create_tenant(&self, name: &str) -> Result<bool, sqlx::Error> {
        let created = chrono::Utc::now().to_rfc3339();
        let sql =
            "INSERT INTO tenants (name, created) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING";
        Ok(execute(&self.db, sql, &[Some(name), Some(&created)]).await? == 1)
    }

    /// The secret `name` every process on this database shares: made (random, 32 bytes) by
    /// the first process that asks, read by the others.
    pub async fn shared_secret(&self, name: &str) -> Result<String, sqlx::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|e| sqlx::Error::Configuration(format!("no random source: {e}").into()))?;
        let fresh: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let sql = "INSERT INTO server_secrets (name, value) VALUES ($1, $2) \
                   ON CONFLICT (name) DO NOTHING";
        execute(&self.db, sql, &[Some(name), Some(&fresh)]).await?;
        let sql = format!(
            "SELECT value FROM server_secrets WHERE name = '{}'",
            name.replace('\'', "''")
        );
        rows(&self.db, &sql, &["value"])
            .await?
            .into_iter()
            .find_map(|mut row| row[0].take())
            .ok_or_else(|| sqlx::Error::RowNotFound)
    }

    /// Every tenant, by name.
    pub async fn tenants(&self) -> Result<Vec<TenantRow>, sqlx::Error> {
        let sql = "SELECT name, enabled_flag, disabled_detail FROM tenants ORDER BY name";
        let rows = rows(&self.db, sql, &["name", "enabled_flag", "disabled_detail"]).await?;
        Ok(rows
            .into_iter()
            .map(|mut row| TenantRow {
                disabled_detail: row[2].take(),
                enabled: row[1].as_deref() != Some("no"),
                name: row[0].take().unwrap_or_default(),
            })
            .collect())
    }

    /// Enables `name`, or disables it with `detail` (its requests are then `403`).
    pub async fn set_enabled(&self, name: &str, detail: Option<&str>) -> Result<bool, sqlx::Error> {
        let flag = if detail.is_some() { "no" } else { "yes" };
        let sql = "UPDATE tenants SET enabled_flag = $1, disabled_detail = $2 WHERE name = $3";
        Ok(execute(&self.db, sql, &[Some(flag), detail, Some(name)]).await? == 1)
    }

    /// Stores a token record (new, or revoked).
    pub async fn save_token(&self, record: &TokenRecord) -> Result<(), sqlx::Error> {
        self.write_token(
            record,
            "ON CONFLICT (id) DO UPDATE SET revoked_at = excluded.revoked_at, \
             expires_at = excluded.expires_at",
        )
        .await
        .map(drop)
    }

    /// Writes `record`, `on_conflict` deciding what happens when it is there already;
    /// whether a row was written.
    async fn write_token(
        &self,
        record: &TokenRecord,
        on_conflict: &str,
    ) -> Result<bool, sqlx::Error> {
        let sql = format!(
            "INSERT INTO tokens (id, tenant, label, digest, hint, created_at, expires_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) {on_conflict}"
        );
        let (created, expires, revoked) = (
            record.created_at.to_rfc3339(),
            record.expires_at.map(|t| t.to_rfc3339()),
            record.revoked_at.map(|t| t.to_rfc3339()),
        );
        let args = [
            Some(record.id.as_str()),
            Some(record.tenant.as_str()),
            record.label.as_deref(),
            Some(record.digest.as_str()),
            Some(record.hint.as_str()),
            Some(created.as_str()),
            expires.as_deref(),
            revoked.as_deref(),
        ];
        Ok(execute(&self.db, &sql, &args).await? == 1)
    }

    /// Every token record.
    pub async fn token_records(&self) -> Result<Vec<TokenRecord>, sqlx::Error> {
        let columns = [
            "id",
            "tenant",
            "label",
            "digest",
            "hint",
            "created_at",
            "expires_at",
            "revoked_at",
        ];
        let sql = format!(
            "SELECT {} FROM tokens ORDER BY created_at",
            columns.join(", ")
        );
        Ok(rows(&self.db, &sql, &columns)
            .await?
            .into_iter()
            .filter_map(|row| {
                let record = json!({
                    "id": row[0],
                    "tenant": row[1],
                    "label": row[2],
                    "digest": row[3],
                    "hint": row[4],
                    "createdAt": row[5],
                    "expiresAt": row[6],
                    "revokedAt": row[7],
                });
                serde_json::from_value(record).ok()
            })
            .collect())
    }

    /// Issues a token for `tenant`, stores its record, and returns the secret (shown once).
    pub async fn issue_token(
        &self,
        tenant: &str,
        options: TokenOptions,
    ) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
        let tokens = Tokens::from_records(self.token_records().await?);
        let issued = tokens.issue(tenant, options)?;
        self.save_token(&issued.record).await?;
        Ok(issued.secret.expose().to_owned())
    }

    /// Stores `secret` as a token of `tenant` unless it is one already (`--token`). Several
    /// processes starting at once with the same `--token` each try: one stores it, the others
    /// find it stored.
    pub async fn import_token(
        &self,
        tenant: &str,
        secret: &str,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let tokens = Tokens::from_records(self.token_records().await?);
        if tokens.verify(secret).is_ok_and(|p| p.tenant == tenant) {
            return Ok(());
        }
        let record = tokens.import(tenant, secret, TokenOptions::default().label("--token"))?;
        if !self
            .write_token(&record, "ON CONFLICT (digest) DO NOTHING")
            .await?
        {
            // Stored meanwhile, by another process: for this tenant, or it is not ours.
            let tokens = Tokens::from_records(self.token_records().await?);
            if !tokens.verify(secret).is_ok_and(|p| p.tenant == tenant) {
                return Err(format!(
                    "the token given is already a token of another tenant than {tenant}"
                )
                .into());
            }
        }
        Ok(())
    }

    /// Revokes token `id`; whether it existed.
    pub async fn revoke_token(&self, id: &str) -> Result<bool, sqlx::Error> {
        let tokens = Tokens::from_records(self.token_records().await?);
        match tokens.revoke(id) {
            Some(record) => {
                self.save_token(&record).await?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Every tenant's policy: the switch from `tenants`, the rest from `tenant_policies`.
    pub async fn policies(&self) -> Result<Vec<(String, TenantPolicy)>, sqlx::Error> {
        let saved = rows(
            &self.db,
            "SELECT tenant, policy FROM tenant_policies",
            &["tenant", "policy"],
        )
        .await?;
        let saved: std::collections::HashMap<String, TenantPolicy> = saved
            .into_iter()
            .filter_map(|mut row| {
                let policy = serde_json::from_str(row[1].as_deref()?).ok()?;
                Some((row[0].take()?, policy))
            })
            .collect();
        Ok(self
            .tenants()
            .await?
            .into_iter()
            .map(|tenant| {
                let mut policy = saved.get(&tenant.name).cloned().unwrap_or_default();
                policy.enabled = tenant.enabled;
                policy.disabled_detail = tenant.disabled_detail;
                (tenant.name, policy)
            })
            .collect())
    }

    /// Saves `tenant`'s policy (the tenant created if new).
    pub async fn save_policy(
        &self,
        tenant: &str,
        policy: &TenantPolicy,
    ) -> Result<(), sqlx::Error> {
        self.create_tenant(tenant).await?;
        let detail = match (&policy.disabled_detail, policy.enabled) {
            (_, true) => None,
            (Some(detail), false) => Some(detail.as_str()),
            (None, false) => Some("provisioning is disabled for this tenant"),
        };
        self.set_enabled(tenant, detail).await?;
        let json = serde_json::to_string(policy).unwrap_or_default();
        let sql = "INSERT INTO tenant_policies (tenant, policy) VALUES ($1, $2) \
                   ON CONFLICT (tenant) DO UPDATE SET policy = excluded.policy";
        execute(&self.db, sql, &[Some(tenant), Some(&json)])
            .await
            .map(drop)
    }

    /// Loads every token into `tokens` and every tenant's settings into `tenants`,
    /// replacing what they held.
    pub async fn load(&self, tokens: &Tokens, tenants: &Tenants) -> Result<(), sqlx::Error> {
        tokens.reload(self.token_records().await?);
        for tenant in self.tenants().await? {
            let settings = match tenant.disabled_detail {
                Some(detail) if !tenant.enabled => TenantSettings::new().disabled(detail),
                None if !tenant.enabled => {
                    TenantSettings::new().disabled("provisioning is disabled for this tenant")
                }
                _ => TenantSettings::new(),
            };
            tenants.set(tenant.name, settings);
        }
        Ok(())
    }
}

/// The settings page saves into the same tables as the commands.
impl AdminStore for Admin {
    fn save_token<'a>(&'a self, record: &'a TokenRecord) -> PersistFuture<'a> {
        Box::pin(async move {
            self.create_tenant(&record.tenant).await?;
            Ok(Self::save_token(self, record).await?)
        })
    }

    fn save_policy<'a>(&'a self, tenant: &'a str, policy: &'a TenantPolicy) -> PersistFuture<'a> {
        Box::pin(async move { Ok(Self::save_policy(self, tenant, policy).await?) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rewriting for MySQL, on the statements this file runs.
    #[tokio::test]
    async fn statements_for_mysql() {
        // A lazy pool: nothing connects.
        let db = Database::Mysql(sqlx::MySqlPool::connect_lazy("mysql://x@127.0.0.1/x").unwrap());
        assert_eq!(
            for_dialect(
                &db,
                "INSERT INTO tenants (name, created) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING"
            ),
            "INSERT IGNORE INTO tenants (name, created) VALUES (?, ?)"
        );
        assert_eq!(
            for_dialect(
                &db,
                "INSERT INTO t (id, a, b) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET \
                 a = excluded.a, b = excluded.b"
            ),
            "INSERT INTO t (id, a, b) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE a = VALUES(a), b = VALUES(b)"
        );
        assert_eq!(
            for_dialect(&db, "UPDATE tenants SET enabled_flag = $1 WHERE name = $10"),
            "UPDATE tenants SET enabled_flag = ? WHERE name = ?"
        );
        let tables = for_dialect(&db, TABLES);
        assert!(tables.contains("name VARCHAR(255) PRIMARY KEY"), "{tables}");
        assert!(
            tables.contains("digest VARCHAR(255) NOT NULL UNIQUE"),
            "{tables}"
        );
        assert!(!tables.contains("TEXT PRIMARY KEY"), "{tables}");
    }
}
