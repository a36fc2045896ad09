//! The app's own users table, as it was before SCIM: accounts with an email, a name, a
//! password hash and an `active` flag. SCIM adds one column, `scim_id`, linking an account to
//! the directory user it mirrors.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::Serialize;
use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteRow};

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
    /// The directory user this account mirrors, for provisioned accounts.
    pub(crate) scim_id: Option<String>,
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
            .connect_with(options.create_if_missing(true))
            .await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS accounts (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                email TEXT NOT NULL UNIQUE COLLATE NOCASE,
                name TEXT NOT NULL DEFAULT '',
                active INTEGER NOT NULL DEFAULT 1,
                password_hash TEXT,
                scim_id TEXT UNIQUE
            )",
        )
        .execute(&pool)
        .await?;
        Ok(Self { pool })
    }

    /// Every account, by id.
    pub(crate) async fn list(&self) -> Result<Vec<Account>, sqlx::Error> {
        let rows = sqlx::query("SELECT id, email, name, active, scim_id FROM accounts ORDER BY id")
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
            "SELECT id, email, name, active, scim_id, password_hash FROM accounts WHERE email = ?",
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

    /// Makes the account of directory user `scim_id` say what the directory says: linked to
    /// an account with the same email if there is one (a user who signed up before SCIM),
    /// created otherwise.
    pub(crate) async fn mirror(
        &self,
        scim_id: &str,
        email: &str,
        name: &str,
        active: bool,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let linked =
            sqlx::query("UPDATE accounts SET email = ?, name = ?, active = ? WHERE scim_id = ?")
                .bind(email)
                .bind(name)
                .bind(active)
                .bind(scim_id)
                .execute(&mut *tx)
                .await?;
        if linked.rows_affected() == 0 {
            sqlx::query(
                "INSERT INTO accounts (email, name, active, scim_id) VALUES (?, ?, ?, ?)
                 ON CONFLICT (email) DO UPDATE SET name = excluded.name,
                     active = excluded.active, scim_id = excluded.scim_id",
            )
            .bind(email)
            .bind(name)
            .bind(active)
            .bind(scim_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    /// Removes the account of directory user `scim_id`, if there is one.
    pub(crate) async fn remove(&self, scim_id: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM accounts WHERE scim_id = ?")
            .bind(scim_id)
            .execute(&self.pool)
            .await
            .map(drop)
    }
}

/// The account a row of `accounts` holds.
fn account(row: &SqliteRow) -> Result<Account, sqlx::Error> {
    Ok(Account {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        active: row.try_get("active")?,
        scim_id: row.try_get("scim_id")?,
    })
}
