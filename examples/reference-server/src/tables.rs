//! The server's tables, as an app's own would look, and their mapping for `scim-sqlx`: the
//! whole store is these two functions.

use scim_sqlx::{Child, Dialect, IdKind, Mapping, Members, Table};

/// The users' and groups' tables: real columns for what apps query, child tables for
/// emails, phone numbers and memberships, a JSON column for everything else (extensions
/// included). Created if missing.
pub(crate) fn tables(dialect: Dialect) -> String {
    if dialect == Dialect::Mysql {
        return mysql_tables();
    }
    let (id, boolean, json) = match dialect {
        Dialect::Postgres => ("UUID", "BOOLEAN", "JSONB"),
        _ => ("TEXT", "INTEGER", "TEXT"),
    };
    format!(
        "CREATE TABLE IF NOT EXISTS users (
            id {id} PRIMARY KEY,
            tenant TEXT NOT NULL,
            user_name TEXT NOT NULL,
            display_name TEXT,
            given_name TEXT,
            family_name TEXT,
            middle_name TEXT,
            formatted_name TEXT,
            honorific_prefix TEXT,
            honorific_suffix TEXT,
            nick_name TEXT,
            profile_url TEXT,
            title TEXT,
            user_type TEXT,
            preferred_language TEXT,
            locale TEXT,
            timezone TEXT,
            active {boolean},
            extra {json}
        );
        CREATE UNIQUE INDEX IF NOT EXISTS users_user_name ON users (tenant, lower(user_name));
        CREATE INDEX IF NOT EXISTS users_display_name ON users (tenant, lower(display_name));
        CREATE TABLE IF NOT EXISTS user_emails (
            user_id {id} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            value TEXT,
            type TEXT,
            is_primary {boolean},
            display TEXT,
            PRIMARY KEY (user_id, position)
        );
        CREATE INDEX IF NOT EXISTS user_emails_value ON user_emails (lower(value));
        CREATE TABLE IF NOT EXISTS user_phone_numbers (
            user_id {id} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            value TEXT,
            type TEXT,
            is_primary {boolean},
            display TEXT,
            PRIMARY KEY (user_id, position)
        );
        CREATE TABLE IF NOT EXISTS groups (
            id {id} PRIMARY KEY,
            tenant TEXT NOT NULL,
            display_name TEXT,
            extra {json}
        );
        CREATE UNIQUE INDEX IF NOT EXISTS groups_display_name
            ON groups (tenant, lower(display_name));
        CREATE TABLE IF NOT EXISTS group_members (
            group_id {id} NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
            member_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            type TEXT,
            display TEXT,
            ref TEXT,
            PRIMARY KEY (group_id, member_id)
        );
        CREATE INDEX IF NOT EXISTS group_members_member ON group_members (member_id);"
    )
}

/// The groups' table: `groups`, except on MySQL, where `groups` is a reserved word (8.0.2
/// and later) that every statement would have to quote.
pub(crate) fn groups_table(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Mysql => "user_groups",
        _ => "groups",
    }
}

/// The same tables on MySQL and MariaDB: `VARCHAR` where a key or an index is (a `TEXT`
/// column takes none; `VARCHAR(255)` holds any `userName` Entra sends), unique names
/// through the columns' case-insensitive collation (`utf8mb4`'s default; MariaDB has no
/// index on `lower(...)`), indexes inline (MySQL has no `CREATE INDEX IF NOT EXISTS`).
fn mysql_tables() -> String {
    let groups = groups_table(Dialect::Mysql);
    format!(
        "CREATE TABLE IF NOT EXISTS users (
            id CHAR(36) PRIMARY KEY,
            tenant VARCHAR(255) NOT NULL,
            user_name VARCHAR(255) NOT NULL,
            display_name VARCHAR(255),
            given_name TEXT,
            family_name TEXT,
            middle_name TEXT,
            formatted_name TEXT,
            honorific_prefix TEXT,
            honorific_suffix TEXT,
            nick_name TEXT,
            profile_url TEXT,
            title TEXT,
            user_type TEXT,
            preferred_language TEXT,
            locale TEXT,
            timezone TEXT,
            active BOOLEAN,
            extra LONGTEXT,
            UNIQUE KEY users_user_name (tenant, user_name),
            INDEX users_display_name (tenant, display_name)
        ) DEFAULT CHARACTER SET utf8mb4;
        CREATE TABLE IF NOT EXISTS user_emails (
            user_id CHAR(36) NOT NULL,
            position INTEGER NOT NULL,
            value VARCHAR(255),
            type TEXT,
            is_primary BOOLEAN,
            display TEXT,
            PRIMARY KEY (user_id, position),
            INDEX user_emails_value (value),
            FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
        ) DEFAULT CHARACTER SET utf8mb4;
        CREATE TABLE IF NOT EXISTS user_phone_numbers (
            user_id CHAR(36) NOT NULL,
            position INTEGER NOT NULL,
            value TEXT,
            type TEXT,
            is_primary BOOLEAN,
            display TEXT,
            PRIMARY KEY (user_id, position),
            FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
        ) DEFAULT CHARACTER SET utf8mb4;
        CREATE TABLE IF NOT EXISTS {groups} (
            id CHAR(36) PRIMARY KEY,
            tenant VARCHAR(255) NOT NULL,
            display_name VARCHAR(255),
            extra LONGTEXT,
            UNIQUE KEY groups_display_name (tenant, display_name)
        ) DEFAULT CHARACTER SET utf8mb4;
        CREATE TABLE IF NOT EXISTS group_members (
            group_id CHAR(36) NOT NULL,
            member_id VARCHAR(64) NOT NULL,
            position INTEGER NOT NULL,
            type TEXT,
            display TEXT,
            ref TEXT,
            PRIMARY KEY (group_id, member_id),
            INDEX group_members_member (member_id),
            FOREIGN KEY (group_id) REFERENCES {groups} (id) ON DELETE CASCADE
        ) DEFAULT CHARACTER SET utf8mb4"
    )
}

/// Which SCIM attribute is which column.
pub(crate) fn mapping(dialect: Dialect) -> Mapping {
    let multi_valued = |table: &str, parent: &str| {
        Child::new(table, parent)
            .value("value")
            .kind("type")
            .primary("is_primary")
            .display("display")
            .ordered_by("position")
    };
    let users = [
        ("userName", "user_name"),
        ("displayName", "display_name"),
        ("name.givenName", "given_name"),
        ("name.familyName", "family_name"),
        ("name.middleName", "middle_name"),
        ("name.formatted", "formatted_name"),
        ("name.honorificPrefix", "honorific_prefix"),
        ("name.honorificSuffix", "honorific_suffix"),
        ("nickName", "nick_name"),
        ("profileUrl", "profile_url"),
        ("title", "title"),
        ("userType", "user_type"),
        ("preferredLanguage", "preferred_language"),
        ("locale", "locale"),
        ("timezone", "timezone"),
        ("active", "active"),
    ]
    .into_iter()
    .fold(Table::new("users").tenant("tenant"), |t, (a, c)| {
        t.column(a, c)
    })
    .child("emails", multi_valued("user_emails", "user_id"))
    .child(
        "phoneNumbers",
        multi_valued("user_phone_numbers", "user_id"),
    )
    .json("extra");
    let groups = Table::new(groups_table(dialect))
        .id("id", IdKind::Uuid)
        .tenant("tenant")
        .column("displayName", "display_name")
        .json("extra");
    let members = Members::new("group_members", "group_id", "member_id")
        .kind("type")
        .display("display")
        .reference("ref")
        .ordered_by("position");
    Mapping::new(users).groups(groups, members)
}
