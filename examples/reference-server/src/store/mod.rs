//! `SqlStore`: a `ScimStore` over ordinary tables, on SQLite or PostgreSQL.
//!
//! This is the module to copy from when you implement `ScimStore` against your own database:
//! each SCIM operation is one short transaction, filters are translated to SQL by
//! `scim_filter::sql` through the column map below, and every write is guarded by the row's
//! `version` column, so concurrent writers (and several server processes) cannot lose an
//! update.

mod columns;
mod rows;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use scim_core::{
    ListPage, ListQuery, MemberChange, MembersChanged, Meta, Projection, RequestContext, Resource,
    ResourceKind, SchemaRegistry, ScimStore, SortOrder, StoreError, Version,
};
use scim_filter::sql::to_sql_from;
use serde_json::Value;
use sqlx::{AnyPool, Row};

use crate::db::{self, Arg, Dialect, Q};
use columns::{Columns, sort_expression, table};

/// A `ScimStore` on SQLite or PostgreSQL. Cheap to clone (a pool handle).
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
    dialect: Dialect,
    registry: Arc<SchemaRegistry>,
}

/// The single-valued text columns of `users`, by attribute name.
const USER_TEXT: [(&str, &str); 10] = [
    ("externalId", "external_id"),
    ("userName", "user_name"),
    ("displayName", "display_name"),
    ("nickName", "nick_name"),
    ("profileUrl", "profile_url"),
    ("title", "title"),
    ("userType", "user_type"),
    ("preferredLanguage", "preferred_language"),
    ("locale", "locale"),
    ("timezone", "timezone"),
];

/// The `name` sub-attributes' columns.
const NAME: [(&str, &str); 6] = [
    ("formatted", "formatted_name"),
    ("familyName", "family_name"),
    ("givenName", "given_name"),
    ("middleName", "middle_name"),
    ("honorificPrefix", "honorific_prefix"),
    ("honorificSuffix", "honorific_suffix"),
];

/// The multi-valued attributes kept in child tables: attribute, table, whether `value` has
/// a lower-cased copy.
const USER_CHILDREN: [(&str, &str, bool); 2] = [
    ("emails", "user_emails", true),
    ("phoneNumbers", "user_phone_numbers", false),
];

fn now() -> String {
    stamp(&Utc::now())
}

fn stamp(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn backend(err: sqlx::Error) -> StoreError {
    StoreError::backend(err)
}

/// A write's error: a unique index means the name is taken.
fn write_error(err: sqlx::Error, kind: ResourceKind, name: Option<&str>) -> StoreError {
    if let sqlx::Error::Database(db) = &err
        && db.is_unique_violation()
    {
        return StoreError::Conflict(format!(
            "{kind} {} \"{}\" is already taken",
            kind.unique_attribute(),
            name.unwrap_or_default()
        ));
    }
    backend(err)
}

fn not_found(kind: ResourceKind, id: &str) -> StoreError {
    StoreError::NotFound {
        kind,
        id: id.to_owned(),
    }
}

impl SqlStore {
    /// Connects to `url` (`sqlite://scim.db?mode=rwc`, `postgres://user@host/db`) and
    /// creates the tables that are missing. `registry` holds the app's extensions.
    pub async fn connect(url: &str, registry: Arc<SchemaRegistry>) -> Result<Self, sqlx::Error> {
        let (pool, dialect) = db::connect(url).await?;
        Ok(Self {
            pool,
            dialect,
            registry,
        })
    }

    /// The pool, for the app's own queries (tenants, tokens).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which database this is.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    fn columns(&self, kind: ResourceKind) -> Columns<'_> {
        Columns {
            kind,
            registry: &self.registry,
            dialect: self.dialect,
        }
    }

    fn q(&self) -> Q {
        Q::new(self.dialect)
    }

    async fn fetch(
        &self,
        tenant: &str,
        kind: ResourceKind,
        id: &str,
        with_members: bool,
    ) -> Result<Option<Resource>, StoreError> {
        let mut q = self.q();
        let sql = format!(
            "SELECT * FROM {} r WHERE r.tenant = {} AND r.id = {}",
            table(kind),
            q.p(tenant),
            q.p(id)
        );
        let rows = q.query(&sql).fetch_all(&self.pool).await.map_err(backend)?;
        Ok(self.assemble(tenant, kind, rows, with_members).await?.pop())
    }

    /// Commits, or for a dry run rolls back: the request ran fully, nothing stays.
    async fn finish(
        tx: sqlx::Transaction<'_, sqlx::Any>,
        ctx: &RequestContext,
    ) -> Result<(), StoreError> {
        if ctx.dry_run() {
            tx.rollback().await.map_err(backend)
        } else {
            tx.commit().await.map_err(backend)
        }
    }

    /// Why a guarded write touched no row: the resource is gone, or (when a version was
    /// expected) its version moved on.
    async fn refused(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        expected: Option<&Version>,
    ) -> StoreError {
        let Some(expected) = expected else {
            return not_found(kind, id);
        };
        match self.fetch(ctx.tenant(), kind, id, false).await {
            Ok(Some(_)) => StoreError::PreconditionFailed {
                kind,
                id: id.to_owned(),
                expected: expected.clone(),
            },
            Ok(None) => not_found(kind, id),
            Err(err) => err,
        }
    }
}

fn version_number(version: &Version) -> i64 {
    version.as_str().parse().unwrap_or(-1)
}

impl ScimStore for SqlStore {
    async fn create(
        &self,
        ctx: &RequestContext,
        mut resource: Resource,
    ) -> Result<Resource, StoreError> {
        let kind = resource.kind();
        let id = uuid::Uuid::new_v4().to_string();
        let created = Utc::now();
        resource.set_id(&id);
        resource.set_meta(&Meta::new(created, Version::new("1")));
        let parts = Self::split(&resource);
        let mut q = self.q();
        let mut names = vec![
            "tenant",
            "id",
            "extra",
            "created",
            "last_modified",
            "version",
        ];
        let mut values = vec![
            q.p(ctx.tenant()),
            q.p(id.as_str()),
            q.p(Value::Object(parts.extra.clone()).to_string()),
            q.p(stamp(&created)),
            q.p(stamp(&created)),
            q.p(1i64),
        ];
        for (column, arg) in &parts.columns {
            names.push(column);
            values.push(q.p(arg.clone()));
        }
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            table(kind),
            names.join(", "),
            values.join(", ")
        );
        let mut tx = self.pool.begin().await.map_err(backend)?;
        q.query(&sql)
            .execute(&mut *tx)
            .await
            .map_err(|e| write_error(e, kind, resource.unique_value()))?;
        self.insert_children(&mut tx, ctx.tenant(), &id, &parts.children, 1)
            .await
            .map_err(backend)?;
        Self::finish(tx, ctx).await?;
        Ok(resource)
    }

    async fn get(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Resource, StoreError> {
        self.fetch(ctx.tenant(), kind, id, true)
            .await?
            .ok_or_else(|| not_found(kind, id))
    }

    async fn get_projected(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        projection: &Projection,
    ) -> Result<Resource, StoreError> {
        let with_members = projection.wants(self.registry.resource(kind), "members");
        self.fetch(ctx.tenant(), kind, id, with_members)
            .await?
            .ok_or_else(|| not_found(kind, id))
    }

    async fn list(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        query: &ListQuery,
    ) -> Result<ListPage, StoreError> {
        let mut q = self.q();
        let mut clause = format!("r.tenant = {}", q.p(ctx.tenant()));
        if let Some(filter) = &query.filter {
            let sql = to_sql_from(filter, &self.columns(kind), self.dialect, q.args.len())
                .map_err(|e| StoreError::InvalidFilter(e.to_string()))?;
            clause = format!("{clause} AND {}", sql.clause);
            q.args.extend(sql.params.into_iter().map(Arg::from));
        }
        let count_sql = format!("SELECT COUNT(*) AS n FROM {} r WHERE {clause}", table(kind));
        let counted = |q: Q| async move {
            let n: i64 = q
                .query(&count_sql)
                .fetch_one(&self.pool)
                .await
                .map_err(backend)?
                .try_get("n")
                .map_err(backend)?;
            Ok::<usize, StoreError>(usize::try_from(n).unwrap_or_default())
        };
        let count = query.count.unwrap_or(usize::MAX);
        if count == 0 {
            return Ok(ListPage::new(counted(q).await?, Vec::new()));
        }
        let order = match &query.sort {
            Some(sort) => {
                let expr = sort_expression(&self.columns(kind), &sort.by).ok_or_else(|| {
                    StoreError::InvalidFilter(format!(
                        "sorting by \"{}\" is not supported by this service",
                        sort.by
                    ))
                })?;
                let direction = if sort.order == SortOrder::Descending {
                    "DESC"
                } else {
                    "ASC"
                };
                format!("{expr} {direction} NULLS LAST, r.seq")
            }
            None => "r.seq".to_owned(),
        };
        let limit = i64::try_from(count).unwrap_or(i64::MAX);
        let offset = i64::try_from(query.offset()).unwrap_or(i64::MAX);
        let count_q = q.clone();
        let page_sql = format!(
            "SELECT * FROM {} r WHERE {clause} ORDER BY {order} LIMIT {} OFFSET {}",
            table(kind),
            q.p(limit),
            q.p(offset)
        );
        let rows = q
            .query(&page_sql)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        // A first page that is not full holds every match: no need to count them (Entra's
        // lookups by userName or externalId find one user or none).
        let total = if query.offset() == 0 && rows.len() < count {
            rows.len()
        } else {
            counted(count_q).await?
        };
        let with_members = query
            .projection
            .wants(self.registry.resource(kind), "members");
        let resources = self
            .assemble(ctx.tenant(), kind, rows, with_members)
            .await?;
        Ok(ListPage::new(total, resources))
    }

    async fn replace(
        &self,
        ctx: &RequestContext,
        mut resource: Resource,
        expected: &Version,
    ) -> Result<Resource, StoreError> {
        let kind = resource.kind();
        let id = resource.id().unwrap_or_default().to_owned();
        let current = self.get(ctx, kind, &id).await?;
        if current.version().as_ref() != Some(expected) {
            return Err(StoreError::PreconditionFailed {
                kind,
                id,
                expected: expected.clone(),
            });
        }
        if current.same_content(&resource) {
            return Ok(current);
        }
        let parts = Self::split(&resource);
        let modified = Utc::now();
        let version = version_number(expected) + 1;
        let mut q = self.q();
        let mut sets = vec![
            format!(
                "extra = {}",
                q.p(Value::Object(parts.extra.clone()).to_string())
            ),
            format!("last_modified = {}", q.p(stamp(&modified))),
            format!("version = {}", q.p(version)),
        ];
        for (column, arg) in &parts.columns {
            sets.push(format!("{column} = {}", q.p(arg.clone())));
        }
        let sql = format!(
            "UPDATE {} SET {} WHERE tenant = {} AND id = {} AND version = {}",
            table(kind),
            sets.join(", "),
            q.p(ctx.tenant()),
            q.p(id.as_str()),
            q.p(version_number(expected))
        );
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let updated = q
            .query(&sql)
            .execute(&mut *tx)
            .await
            .map_err(|e| write_error(e, kind, resource.unique_value()))?
            .rows_affected();
        if updated == 0 {
            drop(tx);
            return Err(self.refused(ctx, kind, &id, Some(expected)).await);
        }
        for (child, _) in &parts.children {
            let owner = if *child == "group_members" {
                "group_id"
            } else {
                "user_id"
            };
            let mut q = self.q();
            let sql = format!(
                "DELETE FROM {child} WHERE tenant = {} AND {owner} = {}",
                q.p(ctx.tenant()),
                q.p(id.as_str())
            );
            q.query(&sql).execute(&mut *tx).await.map_err(backend)?;
        }
        self.insert_children(&mut tx, ctx.tenant(), &id, &parts.children, 1)
            .await
            .map_err(backend)?;
        Self::finish(tx, ctx).await?;
        let mut meta = current
            .meta()
            .unwrap_or_else(|| Meta::new(modified, Version::new("1")));
        meta.last_modified = modified;
        meta.version = Version::new(version.to_string());
        resource.set_meta(&meta);
        Ok(resource)
    }

    async fn delete(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        expected: Option<&Version>,
    ) -> Result<(), StoreError> {
        let tenant = ctx.tenant();
        let mut q = self.q();
        let mut sql = format!(
            "DELETE FROM {} WHERE tenant = {} AND id = {}",
            table(kind),
            q.p(tenant),
            q.p(id)
        );
        if let Some(expected) = expected {
            sql = format!("{sql} AND version = {}", q.p(version_number(expected)));
        }
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let deleted = q
            .query(&sql)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
        if deleted == 0 {
            drop(tx);
            return Err(self.refused(ctx, kind, id, expected).await);
        }
        let children: &[(&str, &str)] = if kind == ResourceKind::Group {
            &[("group_members", "group_id")]
        } else {
            &[
                ("user_emails", "user_id"),
                ("user_phone_numbers", "user_id"),
            ]
        };
        for (child, owner) in children {
            let mut q = self.q();
            let sql = format!(
                "DELETE FROM {child} WHERE tenant = {} AND {owner} = {}",
                q.p(tenant),
                q.p(id)
            );
            q.query(&sql).execute(&mut *tx).await.map_err(backend)?;
        }
        if kind == ResourceKind::User {
            // A deleted user leaves its groups, which get a new version.
            let mut q = self.q();
            let sql = format!(
                "UPDATE groups SET version = version + 1, last_modified = {} WHERE tenant = {} AND id IN \
                 (SELECT group_id FROM group_members WHERE tenant = {} AND member_id = {})",
                q.p(now()),
                q.p(tenant),
                q.p(tenant),
                q.p(id)
            );
            q.query(&sql).execute(&mut *tx).await.map_err(backend)?;
            let mut q = self.q();
            let sql = format!(
                "DELETE FROM group_members WHERE tenant = {} AND member_id = {}",
                q.p(tenant),
                q.p(id)
            );
            q.query(&sql).execute(&mut *tx).await.map_err(backend)?;
        }
        Self::finish(tx, ctx).await
    }

    /// Adds and removes membership rows only: the cost does not depend on the group's size.
    async fn modify_members(
        &self,
        ctx: &RequestContext,
        group_id: &str,
        change: &MemberChange,
        expected: Option<&Version>,
    ) -> Result<MembersChanged, StoreError> {
        let tenant = ctx.tenant();
        let kind = ResourceKind::Group;
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // The guarded version bump comes first: it takes the write lock (SQLite) and fails
        // fast when another writer got in first. It is rolled back if nothing changes.
        let mut q = self.q();
        let mut sql = format!(
            "UPDATE groups SET version = version + 1, last_modified = {} WHERE tenant = {} AND id = {}",
            q.p(now()),
            q.p(tenant),
            q.p(group_id)
        );
        if let Some(expected) = expected {
            sql = format!("{sql} AND version = {}", q.p(version_number(expected)));
        }
        if q.query(&sql)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected()
            == 0
        {
            drop(tx);
            return Err(self.refused(ctx, kind, group_id, expected).await);
        }
        let mut q = self.q();
        let sql = format!(
            "SELECT version FROM groups WHERE tenant = {} AND id = {}",
            q.p(tenant),
            q.p(group_id)
        );
        let version: i64 = q
            .query(&sql)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?
            .try_get("version")
            .map_err(backend)?;
        let mut removed = Vec::new();
        for member in &change.remove {
            let mut q = self.q();
            let sql = format!(
                "DELETE FROM group_members WHERE tenant = {} AND group_id = {} AND member_id = {}",
                q.p(tenant),
                q.p(group_id),
                q.p(member.as_str())
            );
            let gone = q
                .query(&sql)
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected();
            if gone > 0 {
                removed.push(member.clone());
            }
        }
        let mut added = Vec::new();
        if !change.add.is_empty() {
            let mut q = self.q();
            let sql = format!(
                "SELECT COALESCE(MAX(position), 0) AS p FROM group_members WHERE tenant = {} AND group_id = {}",
                q.p(tenant),
                q.p(group_id)
            );
            let mut next: i64 = q
                .query(&sql)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?
                .try_get("p")
                .map_err(backend)?;
            // One row at a time: an id already a member inserts nothing, and is not added.
            for member in &change.add {
                next += 1;
                let rows = [("group_members", vec![member.clone()])];
                let inserted = self
                    .insert_children(&mut tx, tenant, group_id, &rows, next)
                    .await
                    .map_err(backend)?;
                if let Some(id) = member.get("value").and_then(Value::as_str)
                    && inserted > 0
                {
                    added.push(id.to_owned());
                }
            }
        }
        if added.is_empty() && removed.is_empty() {
            tx.rollback().await.map_err(backend)?;
            let version = Version::new((version - 1).to_string());
            return Ok(MembersChanged::new(version, added, removed));
        }
        Self::finish(tx, ctx).await?;
        let version = Version::new(version.to_string());
        Ok(MembersChanged::new(version, added, removed))
    }
}
