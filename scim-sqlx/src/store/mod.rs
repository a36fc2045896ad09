//! [`SqlStore`]: the `ScimStore` over the mapped tables.

mod batch;
mod children;
mod cursor;
mod read;
mod write;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use scim_core::engine::{DEFAULT_TENANT, EventSink};
use scim_core::{
    ListPage, ListQuery, LogPage, LogQuery, LogRetention, MemberChange, MembersChanged, Projection,
    Provenance, RequestContext, RequestRecord, Resource, ResourceKind, SchemaRegistry, ScimStore,
    StoreCapabilities, StoreError, Version,
};
use uuid::Uuid;

use crate::db::{Arg, Database, Dialect, Q, Tx};
use crate::layout::{Layout, MappingError};
use crate::log::RequestLog;
use crate::mapping::{IdKind, Mapping};
use crate::outbox::Outbox;
use crate::query::Columns;

/// Why a store could not open.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The mapping does not fit the schemas, or names something SQL cannot hold.
    #[error("mapping: {0}")]
    Mapping(#[from] MappingError),
    /// The database refused.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// A [`ScimStore`] over the app's own tables, as a [`Mapping`] describes them, on SQLite,
/// PostgreSQL or MySQL/MariaDB. Cheap to clone (a pool handle).
///
/// - Users and groups are the app's rows: a SCIM create inserts a row, a SCIM lookup finds
///   the rows the app already had.
/// - Every filter the grammar accepts runs in SQL, on columns, child tables and the JSON
///   document alike; sorting on any attribute, paging with `LIMIT`/`OFFSET`.
/// - Every write is one transaction guarded by the side table's `version`: concurrent
///   writers, in one process or several, lose nothing. Uniqueness comes from the app's
///   unique indexes (a violation is `409`).
/// - Events are kept in each write's transaction (a transactional outbox) and delivered to
///   the engine's event sink at least once, in order, even across a crash.
#[derive(Debug, Clone)]
pub struct SqlStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: Database,
    registry: Arc<SchemaRegistry>,
    users: Layout,
    groups: Option<Layout>,
    outbox: Arc<Outbox>,
    /// The provisioning log.
    log: RequestLog,
    /// This process's SQLite writers, taking turns (see `Database::begin`).
    writers: Arc<tokio::sync::Mutex<()>>,
    /// Reads by id waiting to be read together.
    reads: batch::Reads,
    /// The select lists of users, groups with members and groups without.
    selects: [std::sync::OnceLock<String>; 3],
}

/// Now, as `meta` shows it and the side table keeps it (RFC 3339, UTC, milliseconds).
fn now() -> (DateTime<Utc>, String) {
    let now = Utc::now();
    let text = now.to_rfc3339_opts(SecondsFormat::Millis, true);
    let now = DateTime::parse_from_rfc3339(&text).map_or(now, |t| t.with_timezone(&Utc));
    (now, text)
}

pub(crate) fn backend(err: sqlx::Error) -> StoreError {
    StoreError::backend(err)
}

fn not_found(kind: ResourceKind, id: &str) -> StoreError {
    StoreError::NotFound {
        kind,
        id: id.to_owned(),
    }
}

/// Runs a write to its end on a task of its own, whatever becomes of the request: a
/// request dropped halfway (its client gone) would drop the write between `BEGIN` and
/// `COMMIT`, and sqlx can then hand back a connection still in the transaction, holding
/// SQLite's write lock until the process ends.
async fn to_the_end<T: Send + 'static>(
    write: impl Future<Output = Result<T, StoreError>> + Send + 'static,
) -> Result<T, StoreError> {
    match tokio::spawn(write).await {
        Ok(result) => result,
        Err(err) => Err(StoreError::backend(format!(
            "the write did not finish: {err}"
        ))),
    }
}

/// The version a side table's number stands for.
fn version(n: i64) -> Version {
    Version::new(n.to_string())
}

/// Refuses a MySQL pool whose connections cut `GROUP_CONCAT` short (1,024 bytes unless
/// raised): a user's emails or a group's members, read as one text, would lose their end.
#[cfg(feature = "mysql")]
async fn check_group_concat(pool: &sqlx::MySqlPool) -> Result<(), Error> {
    const AT_LEAST: u64 = 1 << 20;
    let length: u64 = sqlx::query_scalar("SELECT @@SESSION.group_concat_max_len")
        .fetch_one(pool)
        .await?;
    if length < AT_LEAST {
        return Err(Error::Database(sqlx::Error::Configuration(
            format!(
                "MySQL's group_concat_max_len is {length} on this pool's connections: it cuts \
                 a group's members short. Raise it to at least {AT_LEAST} in the pool's \
                 after_connect (SET SESSION group_concat_max_len = 16777216), or open the \
                 pool with Database::connect, which does"
            )
            .into(),
        )));
    }
    Ok(())
}

/// The number a version stands for; `None` for a version this store never gives.
fn version_number(version: &Version) -> Option<i64> {
    version.as_str().parse().ok()
}

impl SqlStore {
    /// A store over `db`'s tables as `mapping` describes them, checked against `registry`
    /// (the schemas the engine validates with). Creates the side tables and the outbox if
    /// they are missing; never touches the app's own tables.
    pub async fn open(
        db: Database,
        mapping: Mapping,
        registry: Arc<SchemaRegistry>,
    ) -> Result<Self, Error> {
        let users = Layout::resolve(&mapping.users, None, registry.resource(ResourceKind::User))?;
        let groups = match &mapping.groups {
            Some((table, members)) => Some(Layout::resolve(
                table,
                Some(members),
                registry.resource(ResourceKind::Group),
            )?),
            None => None,
        };
        if let Some(groups) = &groups
            && groups.tenant.is_some() != users.tenant.is_some()
        {
            return Err(MappingError(
                "users and groups must both have a tenant column, or neither".into(),
            )
            .into());
        }
        let layouts: Vec<&Layout> = std::iter::once(&users).chain(groups.as_ref()).collect();
        let outbox = crate::ddl::outbox_table(&users);
        crate::ddl::migrate(&db, &layouts, &outbox).await?;
        if let Database::Sqlite(pool) = &db {
            // Statistics for the tables that lack them or have grown, bounded in time
            // (SQLite's advice for connections that live long): the planner needs them to
            // choose between an app's indexes.
            sqlx::query("PRAGMA optimize=0x10002").execute(pool).await?;
        }
        #[cfg(feature = "mysql")]
        if let Database::Mysql(pool) = &db {
            check_group_concat(pool).await?;
        }
        let writers = Arc::default();
        let log = RequestLog::start(&db, crate::ddl::log_table(&outbox), &writers);
        Ok(Self {
            inner: Arc::new(Inner {
                log,
                db,
                registry,
                users,
                groups,
                outbox: Arc::new(Outbox::new(outbox, Arc::clone(&writers))),
                writers,
                reads: batch::Reads::default(),
                selects: Default::default(),
            }),
        })
    }

    /// Keeps the provisioning log within `retention` (by default the latest 10,000
    /// requests of every tenant, none older than 30 days), from its next pruning on.
    pub fn set_log_retention(&self, retention: LogRetention) {
        self.inner.log.set_retention(retention);
    }

    /// For a server that stops: writes what the provisioning log has queued, then closes
    /// the pool. Events kept in the outbox stay there and are delivered after the next start.
    /// Call it once the server answers no more requests; the store is closed afterwards.
    pub async fn close(&self) {
        self.inner.log.flush().await;
        self.inner.db.close().await;
    }

    /// How many events wait in the outbox for delivery: for monitoring (a backlog that grows
    /// is a sink that fails or is too slow).
    pub async fn outbox_backlog(&self) -> Result<u64, StoreError> {
        let sql = format!("SELECT COUNT(*) AS n FROM {}", self.inner.outbox.table());
        let rows = self
            .q()
            .fetch(&self.inner.db, &sql)
            .await
            .map_err(backend)?;
        let n = rows.first().and_then(|r| r.int("n")).unwrap_or(0);
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The database, for the app's own queries.
    pub fn database(&self) -> &Database {
        &self.inner.db
    }

    /// The schemas the store maps.
    pub fn registry(&self) -> &SchemaRegistry {
        &self.inner.registry
    }

    fn dialect(&self) -> Dialect {
        self.inner.db.dialect()
    }

    fn q(&self) -> Q {
        Q::new(self.dialect())
    }

    fn layout(&self, kind: ResourceKind) -> Result<&Layout, StoreError> {
        match kind {
            ResourceKind::User => Ok(&self.inner.users),
            _ => self
                .inner
                .groups
                .as_ref()
                .ok_or(StoreError::NotImplemented {
                    operation: "groups",
                }),
        }
    }

    fn columns<'a>(&'a self, layout: &'a Layout) -> Columns<'a> {
        Columns {
            layout,
            schemas: self.inner.registry.resource(layout.kind),
            dialect: self.dialect(),
        }
    }

    /// `id` as the id column takes it; `None` if it cannot be one of its ids.
    fn id_arg(kind: IdKind, id: &str) -> Option<Arg> {
        match kind {
            IdKind::Integer => id.parse().ok().map(|i| Arg::Int(Some(i))),
            IdKind::Uuid => Uuid::parse_str(id).ok().map(|u| Arg::Uuid(Some(u))),
            _ => Some(Arg::Text(Some(id.to_owned()))),
        }
    }

    /// `AND r.{tenant} = ?` for a store with a tenant column.
    fn tenant_clause(layout: &Layout, ctx: &RequestContext, q: &mut Q) -> String {
        match Self::tenant_condition(layout, ctx, q) {
            Some(condition) => format!(" AND {condition}"),
            None => String::new(),
        }
    }

    /// `r.{tenant} = ?`, for a store with a tenant column. On SQLite it says the condition
    /// is nearly always true (`likely`, which does not stop an index using it): most apps
    /// have few tenants, and without the hint SQLite may search a tenant's users by the
    /// tenant's index and test each one, rather than go straight to the one an `externalId`
    /// or an email asks for.
    fn tenant_condition(layout: &Layout, ctx: &RequestContext, q: &mut Q) -> Option<String> {
        let column = layout.tenant.as_ref()?;
        let condition = format!("r.{column} = {}", q.p(ctx.tenant()));
        Some(match q.dialect() {
            Dialect::Sqlite => format!("likely({condition})"),
            _ => condition,
        })
    }

    /// A write's transaction (on SQLite, with this process's turn to write).
    async fn begin(&self) -> Result<Tx, StoreError> {
        self.inner
            .db
            .begin(&self.inner.writers)
            .await
            .map_err(backend)
    }

    /// Commits, or for a dry run rolls back; wakes the delivery task if events were kept.
    async fn finish(
        &self,
        tx: Tx,
        ctx: &RequestContext,
        kept_events: bool,
    ) -> Result<(), StoreError> {
        if ctx.dry_run() {
            return tx.rollback().await.map_err(backend);
        }
        tx.commit().await.map_err(backend)?;
        if kept_events {
            self.inner.outbox.kept();
        }
        Ok(())
    }

    /// Starts the delivery of kept events, if a sink waits for them and it has not started.
    fn deliver(&self) {
        self.inner.outbox.start(&self.inner.db);
    }
}

impl ScimStore for SqlStore {
    fn record_request(&self, record: RequestRecord) {
        self.inner.log.record(record);
    }

    async fn request_log(&self, tenant: &str, query: &LogQuery) -> Result<LogPage, StoreError> {
        self.inner
            .log
            .page(&self.inner.db, tenant, query)
            .await
            .map_err(|e| StoreError::Backend(Box::new(e)))
    }

    fn schema_registry(&self) -> Option<Arc<SchemaRegistry>> {
        Some(Arc::clone(&self.inner.registry))
    }

    fn capabilities(&self) -> StoreCapabilities {
        let mut caps = StoreCapabilities::new()
            .with_durable_events()
            .with_cursor_paging();
        if self.inner.users.tenant.is_none() {
            caps = caps.single_tenant(DEFAULT_TENANT);
        }
        if self.inner.groups.is_none() {
            caps = caps.without_groups();
        }
        caps
    }

    fn deliver_events(&self, sink: Arc<dyn EventSink>) {
        self.inner.outbox.attach(sink);
        self.deliver();
    }

    async fn create(
        &self,
        ctx: &RequestContext,
        resource: Resource,
    ) -> Result<Resource, StoreError> {
        self.deliver();
        let (store, ctx) = (self.clone(), ctx.clone());
        to_the_end(async move { store.create_row(&ctx, resource).await }).await
    }

    async fn get(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Resource, StoreError> {
        self.read_by_id(ctx, kind, id, true).await
    }

    async fn display_names(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        ids: &[&str],
    ) -> Result<HashMap<String, String>, StoreError> {
        self.names(ctx, kind, ids).await
    }

    async fn get_projected(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        projection: &Projection,
    ) -> Result<Resource, StoreError> {
        let schemas = self.inner.registry.resource(kind);
        let members = kind != ResourceKind::Group || projection.wants(schemas, "members");
        self.read_by_id(ctx, kind, id, members).await
    }

    async fn list(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        query: &ListQuery,
    ) -> Result<ListPage, StoreError> {
        match &query.cursor {
            Some(position) => self.list_by_cursor(ctx, kind, query, position).await,
            None => self.list_rows(ctx, kind, query).await,
        }
    }

    async fn replace(
        &self,
        ctx: &RequestContext,
        resource: Resource,
        expected: &Version,
    ) -> Result<Resource, StoreError> {
        self.deliver();
        let (store, ctx, expected) = (self.clone(), ctx.clone(), expected.clone());
        to_the_end(async move { store.replace_row(&ctx, None, resource, &expected).await }).await
    }

    async fn replace_from(
        &self,
        ctx: &RequestContext,
        previous: &Resource,
        resource: Resource,
        expected: &Version,
    ) -> Result<Resource, StoreError> {
        self.deliver();
        let (store, ctx, expected) = (self.clone(), ctx.clone(), expected.clone());
        let previous = previous.clone();
        to_the_end(async move {
            store
                .replace_row(&ctx, Some(previous), resource, &expected)
                .await
        })
        .await
    }

    async fn delete(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        expected: Option<&Version>,
    ) -> Result<(), StoreError> {
        self.deliver();
        let (store, ctx, id, expected) =
            (self.clone(), ctx.clone(), id.to_owned(), expected.cloned());
        to_the_end(async move { store.delete_row(&ctx, kind, &id, expected.as_ref()).await }).await
    }

    async fn provenance(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Provenance, StoreError> {
        self.origin(ctx, kind, id).await
    }

    async fn modify_members(
        &self,
        ctx: &RequestContext,
        group_id: &str,
        change: &MemberChange,
        expected: Option<&Version>,
    ) -> Result<MembersChanged, StoreError> {
        self.deliver();
        let (store, ctx, group_id) = (self.clone(), ctx.clone(), group_id.to_owned());
        let (change, expected) = (change.clone(), expected.cloned());
        to_the_end(async move {
            store
                .change_members(&ctx, &group_id, &change, expected.as_ref())
                .await
        })
        .await
    }
}
