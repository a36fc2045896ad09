//! Tenants and their tokens, kept in the same database as the resources.

use scim_core::engine::{TenantSettings, Tenants, TokenOptions, TokenRecord, Tokens};
use serde_json::json;
use sqlx::{AnyPool, Row};

use crate::db::{Dialect, Q};

/// The tenant created on the first start.
pub const DEFAULT_TENANT: &str = "default";

/// Tenants and tokens in the database; the running server's `Tokens` and `Tenants` are
/// loaded from here (and reloaded, so the admin commands take effect while it runs).
#[derive(Debug, Clone)]
pub struct Admin {
    pool: AnyPool,
    dialect: Dialect,
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

fn text(row: &sqlx::any::AnyRow, column: &str) -> Option<String> {
    row.try_get::<Option<String>, _>(column).ok().flatten()
}

impl Admin {
    /// Over the store's pool.
    pub fn new(pool: AnyPool, dialect: Dialect) -> Self {
        Self { pool, dialect }
    }

    /// Creates `name` if it does not exist; whether it was created.
    pub async fn create_tenant(&self, name: &str) -> Result<bool, sqlx::Error> {
        let mut q = Q::new(self.dialect);
        let sql = format!(
            "INSERT INTO tenants (name, created) VALUES ({}, {}) ON CONFLICT (name) DO NOTHING",
            q.p(name),
            q.p(chrono::Utc::now().to_rfc3339())
        );
        Ok(q.query(&sql).execute(&self.pool).await?.rows_affected() == 1)
    }

    /// Every tenant, by name.
    pub async fn tenants(&self) -> Result<Vec<TenantRow>, sqlx::Error> {
        let rows =
            sqlx::query("SELECT name, enabled_flag, disabled_detail FROM tenants ORDER BY name")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .iter()
            .map(|row| TenantRow {
                name: text(row, "name").unwrap_or_default(),
                enabled: text(row, "enabled_flag").as_deref() != Some("no"),
                disabled_detail: text(row, "disabled_detail"),
            })
            .collect())
    }

    /// Enables `name`, or disables it with `detail` (its requests are then `403`).
    pub async fn set_enabled(&self, name: &str, detail: Option<&str>) -> Result<bool, sqlx::Error> {
        let mut q = Q::new(self.dialect);
        let flag = if detail.is_some() { "no" } else { "yes" };
        let sql = format!(
            "UPDATE tenants SET enabled_flag = {}, disabled_detail = {} WHERE name = {}",
            q.p(flag),
            q.p(detail),
            q.p(name)
        );
        Ok(q.query(&sql).execute(&self.pool).await?.rows_affected() == 1)
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
        let mut q = Q::new(self.dialect);
        let sql = format!(
            "INSERT INTO tokens (id, tenant, label, digest, hint, created_at, expires_at, revoked_at) \
             VALUES ({}, {}, {}, {}, {}, {}, {}, {}) {on_conflict}",
            q.p(record.id.as_str()),
            q.p(record.tenant.as_str()),
            q.p(record.label.clone()),
            q.p(record.digest.as_str()),
            q.p(record.hint.as_str()),
            q.p(record.created_at.to_rfc3339()),
            q.p(record.expires_at.map(|t| t.to_rfc3339())),
            q.p(record.revoked_at.map(|t| t.to_rfc3339())),
        );
        Ok(q.query(&sql).execute(&self.pool).await?.rows_affected() == 1)
    }

    /// Every token record.
    pub async fn token_records(&self) -> Result<Vec<TokenRecord>, sqlx::Error> {
        let rows = sqlx::query("SELECT * FROM tokens ORDER BY created_at")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                let record = json!({
                    "id": text(row, "id"),
                    "tenant": text(row, "tenant"),
                    "label": text(row, "label"),
                    "digest": text(row, "digest"),
                    "hint": text(row, "hint"),
                    "createdAt": text(row, "created_at"),
                    "expiresAt": text(row, "expires_at"),
                    "revokedAt": text(row, "revoked_at"),
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
