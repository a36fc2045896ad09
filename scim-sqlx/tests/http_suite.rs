//! The framework-neutral HTTP suite over `SqlStore`, on SQLite, PostgreSQL and MySQL: every
//! request shape Entra and Okta send, every rule of the engine, answered by the engine over
//! the multi-tenant mapping (columns, child tables, a JSON column, groups), each case on a
//! fresh database (a SQLite file; a PostgreSQL schema or a MySQL database of its own).

use std::sync::{Arc, OnceLock};

use scim_core::SchemaRegistry;
use scim_core::engine::Engine;
use scim_core::testing::http::Harness;
use scim_sqlx::{Database, Dialect, SqlStore};

mod common;

/// Cases on SQLite.
struct Sqlite;

impl Harness for Sqlite {
    type Client = Engine<SqlStore>;
    type Store = SqlStore;

    async fn store(&self, registry: Arc<SchemaRegistry>) -> SqlStore {
        let db = common::sqlite(&common::tenant_tables(Dialect::Sqlite, "")).await;
        SqlStore::open(db, common::tenant_mapping(""), registry)
            .await
            .expect("the store opens")
    }

    async fn serve(&self, engine: Engine<SqlStore>) -> Engine<SqlStore> {
        engine
    }
}

mod sqlite {
    scim_core::scim_http_tests!(super::Sqlite);
}

/// Cases on PostgreSQL, each in a schema of its own of the database `scim_sqlx_http`.
struct Postgres {
    url: String,
}

/// The harness, or `None` (said once) without PostgreSQL. The database is made afresh by
/// the first case that asks, in each run.
fn postgres() -> Option<Postgres> {
    static URL: OnceLock<String> = OnceLock::new();
    let admin = scim_core::testing::postgres::url("the HTTP suite on PostgreSQL")?;
    let url = URL.get_or_init(|| {
        let (base, _) = admin.rsplit_once('/').expect("a database URL");
        let admin = admin.clone();
        // On a thread of its own: the cases run inside a runtime.
        std::thread::spawn(move || {
            tokio::runtime::Runtime::new()
                .expect("a runtime")
                .block_on(async {
                    let Database::Postgres(pool) =
                        Database::connect(&admin).await.expect("PostgreSQL answers")
                    else {
                        unreachable!("a postgres URL")
                    };
                    for statement in [
                        "DROP DATABASE IF EXISTS scim_sqlx_http WITH (FORCE)",
                        "CREATE DATABASE scim_sqlx_http",
                    ] {
                        sqlx::raw_sql(statement)
                            .execute(&pool)
                            .await
                            .expect("a database for the run");
                    }
                });
        })
        .join()
        .expect("the database is made");
        format!("{base}/scim_sqlx_http")
    });
    Some(Postgres { url: url.clone() })
}

impl Harness for Postgres {
    type Client = Engine<SqlStore>;
    type Store = SqlStore;

    async fn store(&self, registry: Arc<SchemaRegistry>) -> SqlStore {
        let db = Database::connect(&self.url)
            .await
            .expect("PostgreSQL answers");
        let schema = format!("h_{}", uuid::Uuid::new_v4().simple());
        let Database::Postgres(pool) = &db else {
            unreachable!("a postgres URL")
        };
        let tables = common::tenant_tables(Dialect::Postgres, &format!("{schema}."));
        sqlx::raw_sql(&format!("CREATE SCHEMA {schema}; {tables}"))
            .execute(pool)
            .await
            .expect("the case's schema");
        SqlStore::open(db, common::tenant_mapping(&format!("{schema}.")), registry)
            .await
            .expect("the store opens")
    }

    async fn serve(&self, engine: Engine<SqlStore>) -> Engine<SqlStore> {
        engine
    }
}

mod postgres {
    scim_core::scim_http_tests!(optional: super::postgres());
}

/// Cases on MySQL/MariaDB, each in a database of its own (`scimh_...`); the first case of a
/// run drops those an earlier run left.
struct Mysql {
    url: String,
}

fn mysql() -> Option<Mysql> {
    static URL: OnceLock<String> = OnceLock::new();
    let url = scim_core::testing::mysql::url("the HTTP suite on MySQL")?;
    let url = URL.get_or_init(|| {
        let admin = url.clone();
        // On a thread of its own: the cases run inside a runtime.
        std::thread::spawn(move || {
            tokio::runtime::Runtime::new()
                .expect("a runtime")
                .block_on(async {
                    let Database::Mysql(pool) =
                        Database::connect(&admin).await.expect("MySQL answers")
                    else {
                        unreachable!("a mysql URL")
                    };
                    let old: Vec<String> = sqlx::query_scalar(
                        "SELECT CAST(schema_name AS CHAR) FROM information_schema.schemata \
                         WHERE schema_name LIKE 'scimh!_%' ESCAPE '!'",
                    )
                    .fetch_all(&pool)
                    .await
                    .expect("the databases of an earlier run");
                    for name in old {
                        sqlx::raw_sql(&format!("DROP DATABASE {name}"))
                            .execute(&pool)
                            .await
                            .expect("an earlier run's database dropped");
                    }
                });
        })
        .join()
        .expect("earlier runs cleared");
        url
    });
    Some(Mysql { url: url.clone() })
}

impl Harness for Mysql {
    type Client = Engine<SqlStore>;
    type Store = SqlStore;

    async fn store(&self, registry: Arc<SchemaRegistry>) -> SqlStore {
        let db = Database::connect(&self.url).await.expect("MySQL answers");
        let schema = format!("scimh_{}", uuid::Uuid::new_v4().simple());
        let tables = common::tenant_tables(Dialect::Mysql, &format!("{schema}."));
        common::mysql_run(
            &db,
            &format!("CREATE DATABASE {schema} DEFAULT CHARACTER SET utf8mb4; {tables}"),
        )
        .await;
        SqlStore::open(db, common::tenant_mapping(&format!("{schema}.")), registry)
            .await
            .expect("the store opens")
    }

    async fn serve(&self, engine: Engine<SqlStore>) -> Engine<SqlStore> {
        engine
    }
}

mod mysql {
    scim_core::scim_http_tests!(optional: super::mysql());
}
