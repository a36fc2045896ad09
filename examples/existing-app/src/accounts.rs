//! The app's own users table, as it was before SCIM: accounts with an email, a name, a
//! password hash and an `active` flag. SCIM adds no column to it: `scim-sqlx` maps it, and
//! keeps what SCIM needs beyond it (`externalId`, versions) in a side table of its own.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::Serialize;
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
};

/// One account, as the app's pages show it (never its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Account {
    /// The app's own id.
    pub(crate) id: i64,
    /// The login name.
    pub(crate) email: String,
    /// The name shown in the app.
    pub(crate) name: String,
    /// Whether the account may log in.
    pub(crate) active: bool,
}

/// What a login attempt found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Login {
    /// The password is right.
    Welcome(Account),
    /// The identity provider deactivated the account.
    Deactivated,
    /// No such account, or the wrong password.
    Refused,
}

/// The accounts table.
#[derive(Clone)]
pub(crate) struct Accounts {
    pool: SqlitePool,
}

impl Accounts {
    /// Opens (and creates) the database at `url`.
    pub(crate) async fn open(url: &str) -> Result<Self, sqlx::Error> {
        let options: SqliteConnectOptions = url.parse()?;
        let pool = SqlitePoolOptions::new()
            .connect_with(
                options
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .busy_timeout(std::time::Duration::from_secs(5)),
            )
            .await?;
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS accounts (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                email TEXT NOT NULL UNIQUE COLLATE NOCASE,
                name TEXT NOT NULL DEFAULT '',
                active INTEGER NOT NULL DEFAULT 1,
                password_hash TEXT
            );
            -- Added with SCIM: Entra looks users up by userName (the email), compared
            -- without case as lower(email).
            CREATE INDEX IF NOT EXISTS accounts_email_lower ON accounts (lower(email));",
        )
        .execute(&pool)
        .await?;
        Ok(Self { pool })
    }

    /// The app's pool, which SCIM shares.
    pub(crate) fn pool(&self) -> SqlitePool {
        self.pool.clone()
    }

    /// Every account, by id.
    pub(crate) async fn list(&self) -> Result<Vec<Account>, sqlx::Error> {
        let rows = sqlx::query("SELECT id, email, name, active FROM accounts ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(account).collect()
    }

    /// Signs up `email` with `password`; an account the directory provisioned without a
    /// password gets this one (the user accepting the invitation). `false` if the email has
    /// a password already.
    pub(crate) async fn sign_up(
        &self,
        email: &str,
        name: &str,
        password: &str,
    ) -> Result<bool, sqlx::Error> {
        // 16 random bytes from the operating system's CSPRNG (what a v4 UUID is made of).
        let salt = SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes())
            .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| sqlx::Error::Protocol(e.to_string()))?
            .to_string();
        let done = sqlx::query(
            "INSERT INTO accounts (email, name, password_hash) VALUES (?, ?, ?)
             ON CONFLICT (email) DO UPDATE SET password_hash = excluded.password_hash
             WHERE accounts.password_hash IS NULL",
        )
        .bind(email)
        .bind(name)
        .bind(hash)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Checks a login.
    pub(crate) async fn log_in(&self, email: &str, password: &str) -> Result<Login, sqlx::Error> {
        let row = sqlx::query(
            "SELECT id, email, name, active, password_hash FROM accounts WHERE email = ?",
        )
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(Login::Refused);
        };
        let hash: Option<String> = row.try_get("password_hash")?;
        let right = hash
            .as_deref()
            .and_then(|h| PasswordHash::new(h).ok())
            .is_some_and(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            });
        if !right {
            return Ok(Login::Refused);
        }
        let account = account(&row)?;
        Ok(if account.active {
            Login::Welcome(account)
        } else {
            Login::Deactivated
        })
    }
}

/// The account a row of `accounts` holds.
fn account(row: &SqliteRow) -> Result<Account, sqlx::Error> {
    Ok(Account {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        active: row.try_get("active")?,
    })
}
