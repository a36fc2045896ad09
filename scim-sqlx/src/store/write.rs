//! Writing: each operation one transaction, guarded by the side table's `version`, with its
//! events kept in the same transaction.

use scim_core::engine::Event;
use scim_core::{
    MemberChange, MembersChanged, Meta, RequestContext, Resource, ResourceKind, StoreError, Version,
};
use serde_json::Value;
use uuid::Uuid;

use super::{SqlStore, backend, not_found, now, version, version_number};
use crate::db::{Arg, Dialect, Tx, is_unique_violation, refused_column, too_long_column};
use crate::layout::Layout;
use crate::mapping::IdKind;
use crate::parts::{self, Parts};

/// `409` for a unique index refusing `resource`.
fn conflict(resource: &Resource) -> StoreError {
    let kind = resource.kind();
    let attribute = kind.unique_attribute();
    match resource.unique_value() {
        Some(value) => StoreError::Conflict(format!(
            "{attribute} \"{value}\" is already taken by another {kind}"
        )),
        None => StoreError::Conflict(format!("another {kind} has the same unique values")),
    }
}

/// `400` for a value longer than the app's column holds, naming the attribute; `None` if
/// `err` is not that.
pub(super) fn too_long(err: &sqlx::Error, layout: &Layout) -> Option<StoreError> {
    let column = too_long_column(err)?;
    let slot = layout.slots.iter().find(|s| s.column == column);
    let child = layout.children.iter().find(|c| {
        [
            Some(&c.child.value),
            c.child.kind.as_ref(),
            c.child.display.as_ref(),
        ]
        .into_iter()
        .flatten()
        .any(|name| *name == column)
    });
    Some(StoreError::InvalidValue(match (slot, child) {
        (Some(slot), _) => format!(
            "attribute \"{}\" is longer than the app's table holds",
            slot.loc.keys().join(".")
        ),
        (None, Some(child)) => format!(
            "a value of \"{}\" is longer than the app's table holds",
            child.name
        ),
        (None, None) if column.is_empty() => "a value is longer than the app's table holds".into(),
        (None, None) => format!("a value is longer than the app's column \"{column}\" holds"),
    }))
}

/// A write refused by the database: a unique index (`409`), a required column, a check or
/// a value too long (`400`, naming the attribute), else a backend failure.
fn write_error(err: sqlx::Error, layout: &Layout, resource: &Resource) -> StoreError {
    if is_unique_violation(&err) {
        return conflict(resource);
    }
    if let Some(refused) = too_long(&err, layout) {
        return refused;
    }
    if let Some(column) = refused_column(&err) {
        let slot = layout.slots.iter().find(|s| s.column == column);
        return StoreError::InvalidValue(match slot {
            Some(slot) => format!(
                "attribute \"{}\" is required here: the app's table needs a value for it",
                slot.loc.keys().join(".")
            ),
            None if column.is_empty() => "the app's table refused a value".to_owned(),
            None => {
                format!("the app's table needs a value for \"{column}\", which SCIM does not set")
            }
        });
    }
    backend(err)
}

/// A value of a default column, bound as its JSON type.
fn default_arg(value: &Value) -> Arg {
    match value {
        Value::Bool(b) => Arg::Bool(Some(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Arg::Int(Some(i)),
            None => Arg::Float(n.as_f64()),
        },
        Value::String(s) => Arg::Text(Some(s.clone())),
        Value::Null => Arg::Text(None),
        other => Arg::Text(Some(other.to_string())),
    }
}

impl SqlStore {
    /// `(column, value)` pairs of the app's row for `parts`; a column left empty takes its
    /// default, if the mapping gives one.
    fn row_values(layout: &Layout, parts: &Parts) -> Vec<(String, Arg)> {
        let default = |column: &str| {
            layout
                .defaults
                .iter()
                .find(|(c, _)| c == column)
                .map(|(_, v)| default_arg(v))
        };
        let mut values: Vec<(String, Arg)> = layout
            .slots
            .iter()
            .zip(&parts.slots)
            .map(|(slot, value)| {
                let arg = match value {
                    Some(value) => parts::arg(Some(value), slot.value),
                    // A default SCIM reads as empty (""), kept as the app wants it.
                    None => default(&slot.column).unwrap_or_else(|| parts::arg(None, slot.value)),
                };
                (slot.column.clone(), arg)
            })
            .collect();
        if let Some(json) = &layout.json {
            values.push((json.clone(), Arg::Json(Some(parts.document()))));
        }
        values
    }

    /// The side table's `extra`: the document, unless the app's row keeps it.
    fn side_document(layout: &Layout, parts: &Parts) -> Arg {
        Arg::Json(layout.json.is_none().then(|| parts.document()))
    }

    /// Keeps the events of a write, if a sink waits for them; whether any were kept.
    async fn keep(&self, tx: &mut Tx, events: &[Event]) -> Result<bool, StoreError> {
        if events.is_empty() || !self.inner.outbox.attached() {
            return Ok(false);
        }
        self.inner
            .outbox
            .keep(tx, self.dialect(), events)
            .await
            .map_err(backend)?;
        Ok(true)
    }

    pub(super) async fn create_row(
        &self,
        ctx: &RequestContext,
        resource: Resource,
    ) -> Result<Resource, StoreError> {
        let layout = self.layout(resource.kind())?;
        let parts = Parts::split(layout, &resource);
        let (created, stamp) = now();
        let mut tx = self.begin().await?;
        let mut q = self.q();
        let mut columns = Vec::new();
        let mut values = Vec::new();
        if let Some(tenant) = &layout.tenant {
            columns.push(tenant.clone());
            values.push(q.p(ctx.tenant()));
        }
        let generated = match layout.id_kind {
            IdKind::Integer => None,
            IdKind::Uuid => Some(Arg::Uuid(Some(Uuid::new_v4()))),
            _ => Some(Arg::Text(Some(Uuid::new_v4().hyphenated().to_string()))),
        };
        if let Some(key) = &generated {
            columns.push(layout.id.clone());
            values.push(q.p(key.clone()));
        }
        // A column SCIM leaves empty is left out: the app's own default fills it, and is
        // read back below.
        for (column, value) in Self::row_values(layout, &parts) {
            if !value.is_null() {
                columns.push(column);
                values.push(q.p(value));
            }
        }
        for (column, value) in &layout.defaults {
            if !columns.contains(column) {
                columns.push(column.clone());
                values.push(q.p(default_arg(value)));
            }
        }
        let mut returning = format!(
            "{} AS scim_id",
            self.columns(layout).id_text().replacen("r.", "", 1)
        );
        let unset: Vec<usize> = (0..layout.slots.len())
            .filter(|&i| parts.slots[i].is_none())
            .collect();
        for &i in &unset {
            let read = Layout::slot_read(&layout.slots[i], "");
            returning.push_str(&format!(", {read} AS scim_s{i}"));
        }
        let insert = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            layout.table,
            columns.join(", "),
            values.join(", "),
        );
        let rows = if self.dialect() == Dialect::Mysql {
            // No `RETURNING`: the row is read back by its key, or the one it was given.
            q.execute(&mut tx, &insert)
                .await
                .map_err(|e| write_error(e, layout, &resource))?;
            let mut q = self.q();
            let key = match &generated {
                Some(key) => q.p(key.clone()),
                None => "LAST_INSERT_ID()".to_owned(),
            };
            let sql = format!(
                "SELECT {returning} FROM {} WHERE {} = {key}",
                layout.table, layout.id
            );
            q.fetch_in(&mut tx, &sql).await.map_err(backend)?
        } else {
            q.fetch_in(&mut tx, &format!("{insert} RETURNING {returning}"))
                .await
                .map_err(|e| write_error(e, layout, &resource))?
        };
        let row = rows
            .first()
            .ok_or_else(|| StoreError::backend("the insert gave no row back"))?;
        let id = row
            .text("scim_id")
            .ok_or_else(|| StoreError::backend("the insert gave no id back"))?;
        let mut parts = parts;
        for i in unset {
            parts.slots[i] = parts::read(row, &format!("scim_s{i}"), layout.slots[i].value);
        }
        let key = Self::id_arg(layout.id_kind, &id)
            .ok_or_else(|| StoreError::backend("the insert gave an id of the wrong type"))?;
        let mut q = self.q();
        let sql = format!(
            "INSERT INTO {} (id, external_id, version, created, last_modified, origin, extra) \
             VALUES ({}, {}, 1, {}, {}, 'directory', {})",
            layout.side,
            q.p(key.clone()),
            q.p(parts.external_id.clone()),
            q.p(stamp.clone()),
            q.p(stamp),
            q.p(Self::side_document(layout, &parts))
        );
        q.execute(&mut tx, &sql).await.map_err(backend)?;
        self.insert_children(&mut tx, layout, &key, &parts, |_| true)
            .await?;
        if let Some(members) = &parts.members {
            self.insert_members(&mut tx, layout, &key, members).await?;
        }
        let kept = self.keep(&mut tx, &ctx.events_for(&id)).await?;
        self.finish(tx, ctx, kept).await?;
        Ok(parts.assemble(layout, &id, &Meta::new(created, version(1))))
    }

    /// Takes the next version of the row `key` in `tx`, if its version is `expected` (when
    /// given) and it is in the context's tenant, setting the side table's columns `sets`
    /// with it: the write lock, taken first. A row the app created has no side row yet: it
    /// is at version `0`, and gets one. The new version, or why not.
    #[allow(clippy::too_many_arguments, reason = "one statement's parts")]
    async fn next_version(
        &self,
        tx: &mut Tx,
        ctx: &RequestContext,
        layout: &Layout,
        (id, key): (&str, &Arg),
        expected: Option<&Version>,
        stamp: &str,
        sets: &[(&str, Arg)],
    ) -> Result<i64, StoreError> {
        let kind = layout.kind;
        let expected_number = match expected {
            Some(v) => Some(version_number(v).ok_or_else(|| precondition(kind, id, v))?),
            None => None,
        };
        // Placeholders are bound in the order the text has them (SQLite numbers `?` so).
        let mut q = self.q();
        let mut assignments = format!(
            "version = version + 1, last_modified = {}",
            q.p(stamp.to_owned())
        );
        for (column, value) in sets {
            assignments.push_str(&format!(", {column} = {}", q.p(value.clone())));
        }
        let mut sql = format!(
            "UPDATE {} SET {assignments} WHERE id = {} \
             AND EXISTS (SELECT 1 FROM {} r WHERE r.{} = {}.id{})",
            layout.side,
            q.p(key.clone()),
            layout.table,
            layout.id,
            layout.side,
            Self::tenant_clause(layout, ctx, &mut q)
        );
        if let Some(n) = expected_number {
            sql = format!("{sql} AND version = {}", q.p(n));
        }
        let taken = if self.dialect() == Dialect::Mysql {
            // No `RETURNING`: the row is locked by the update; its version is read after.
            if q.execute(tx, &sql).await.map_err(backend)? == 1 {
                let mut q = self.q();
                let sql = format!(
                    "SELECT version FROM {} WHERE id = {}",
                    layout.side,
                    q.p(key.clone())
                );
                q.fetch_in(tx, &sql).await.map_err(backend)?
            } else {
                Vec::new()
            }
        } else {
            sql.push_str(" RETURNING version");
            q.fetch_in(tx, &sql).await.map_err(backend)?
        };
        if let Some(n) = taken.first().and_then(|r| r.int("version")) {
            return Ok(n);
        }
        // No side row (a row the app created), or a stale version, or no such row.
        let current = self.fetch_in(tx, ctx, layout, key.clone()).await?;
        let Some(current) = current else {
            return Err(not_found(kind, id));
        };
        let at = current
            .version()
            .and_then(|v| version_number(&v))
            .unwrap_or(0);
        if at != 0 || expected_number.is_some_and(|n| n != 0) {
            return Err(precondition(kind, id, expected.unwrap_or(&version(at))));
        }
        let mut q = self.q();
        let mut columns = "id, version, created, last_modified, origin".to_owned();
        let mut values = format!(
            "{}, 1, {}, {}, 'app'",
            q.p(key.clone()),
            q.p(stamp.to_owned()),
            q.p(stamp.to_owned())
        );
        for (column, value) in sets {
            columns.push_str(&format!(", {column}"));
            values.push_str(&format!(", {}", q.p(value.clone())));
        }
        let sql = format!("INSERT INTO {} ({columns}) VALUES ({values})", layout.side);
        q.execute(tx, &sql).await.map_err(backend)?;
        Ok(1)
    }

    /// Replaces the resource with `resource`, writing only what changed: the columns whose
    /// values differ, the child tables whose elements differ, the document if it differs.
    /// A `PATCH` of `active` is a version bump and one column.
    /// Replaces the row by `resource`, writing only what differs from `previous` (what the
    /// engine read at `expected`) or, without it, from the row as read in the transaction.
    /// With `previous`, the row is not read again: the version guard of the side table's
    /// update refuses a row that moved on, and writing only what the client changed keeps
    /// what the app changed meanwhile in columns the client did not touch.
    pub(super) async fn replace_row(
        &self,
        ctx: &RequestContext,
        previous: Option<Resource>,
        resource: Resource,
        expected: &Version,
    ) -> Result<Resource, StoreError> {
        let kind = resource.kind();
        let layout = self.layout(kind)?;
        let id = resource.id().unwrap_or_default().to_owned();
        let key = Self::id_arg(layout.id_kind, &id).ok_or_else(|| not_found(kind, &id))?;
        let (modified, stamp) = now();
        let known = previous
            .filter(|p| p.version().as_ref() == Some(expected) && p.id() == Some(id.as_str()));
        // What the engine read, or the row read under the write lock (then checked).
        let (current, tx) = match known {
            Some(current) => (current, None),
            None => {
                let mut tx = self.begin().await?;
                let current = self
                    .fetch_in(&mut tx, ctx, layout, key.clone())
                    .await?
                    .ok_or_else(|| not_found(kind, &id))?;
                if current.version().as_ref() != Some(expected) {
                    tx.rollback().await.map_err(backend)?;
                    return Err(precondition(kind, &id, expected));
                }
                (current, Some(tx))
            }
        };
        // Compared as the tables hold it (defaults taken, '' read as unassigned).
        let (old, new) = (
            Parts::split(layout, &current),
            Parts::split(layout, &resource),
        );
        let slots: Vec<usize> = (0..layout.slots.len())
            .filter(|&i| old.slots[i] != new.slots[i])
            .collect();
        let children: Vec<bool> = (0..layout.children.len())
            .map(|i| old.children[i] != new.children[i])
            .collect();
        let document = old.rest != new.rest;
        let external = old.external_id != new.external_id;
        let members = old.members != new.members;
        if slots.is_empty() && !children.contains(&true) && !document && !external && !members {
            // Nothing a client can see changes: no new version (and, for what the engine
            // read, no transaction at all).
            if let Some(tx) = tx {
                tx.rollback().await.map_err(backend)?;
            }
            return Ok(current);
        }
        let mut tx = match tx {
            Some(tx) => tx,
            None => self.begin().await?,
        };
        let mut sets = Vec::new();
        if external {
            sets.push(("external_id", Arg::Text(new.external_id.clone())));
        }
        if document && layout.json.is_none() {
            sets.push(("extra", Self::side_document(layout, &new)));
        }
        let n = self
            .next_version(
                &mut tx,
                ctx,
                layout,
                (&id, &key),
                Some(expected),
                &stamp,
                &sets,
            )
            .await?;
        let mut q = self.q();
        let values = Self::row_values(layout, &new);
        let assignments: Vec<String> = values
            .into_iter()
            .enumerate()
            .filter(|(i, _)| slots.contains(i) || (*i == layout.slots.len() && document))
            .map(|(_, (column, value))| format!("{column} = {}", q.p(value)))
            .collect();
        if !assignments.is_empty() {
            let sql = format!(
                "UPDATE {} SET {} WHERE {} = {}",
                layout.table,
                assignments.join(", "),
                layout.id,
                q.p(key.clone())
            );
            q.execute(&mut tx, &sql)
                .await
                .map_err(|e| write_error(e, layout, &resource))?;
        }
        if children.contains(&true) {
            self.delete_children(&mut tx, layout, &key, |i| children[i])
                .await?;
            self.insert_children(&mut tx, layout, &key, &new, |i| children[i])
                .await?;
        }
        if members {
            self.delete_members(&mut tx, layout, &key).await?;
            if let Some(members) = &new.members {
                self.insert_members(&mut tx, layout, &key, members).await?;
            }
        }
        let kept = self.keep(&mut tx, ctx.events()).await?;
        self.finish(tx, ctx, kept).await?;
        let mut meta = current
            .meta()
            .unwrap_or_else(|| Meta::new(modified, version(n)));
        meta.version = version(n);
        meta.last_modified = modified;
        Ok(new.assemble(layout, &id, &meta))
    }

    pub(super) async fn delete_row(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        expected: Option<&Version>,
    ) -> Result<(), StoreError> {
        let layout = self.layout(kind)?;
        let key = Self::id_arg(layout.id_kind, id).ok_or_else(|| not_found(kind, id))?;
        let (_, stamp) = now();
        let mut tx = self.begin().await?;
        if expected.is_some() {
            self.next_version(&mut tx, ctx, layout, (id, &key), expected, &stamp, &[])
                .await?;
        } else {
            let mut q = self.q();
            let sql = format!(
                "SELECT 1 AS present FROM {} r WHERE r.{} = {}{}",
                layout.table,
                layout.id,
                q.p(key.clone()),
                Self::tenant_clause(layout, ctx, &mut q)
            );
            if q.fetch_in(&mut tx, &sql).await.map_err(backend)?.is_empty() {
                return Err(not_found(kind, id));
            }
        }
        // It leaves every group it was in: their versions move on.
        if let Some(groups) = &self.inner.groups
            && let Some(m) = &groups.members
            && let Some(member_key) = Self::id_arg(m.member_kind, id)
        {
            let mut q = self.q();
            let sql = format!(
                "UPDATE {} SET version = version + 1, last_modified = {} \
                 WHERE id IN (SELECT {} FROM {} WHERE {} = {})",
                groups.side,
                q.p(stamp.clone()),
                m.group,
                m.table,
                m.member,
                q.p(member_key.clone())
            );
            q.execute(&mut tx, &sql).await.map_err(backend)?;
            let mut q = self.q();
            let sql = format!(
                "DELETE FROM {} WHERE {} = {}",
                m.table,
                m.member,
                q.p(member_key)
            );
            q.execute(&mut tx, &sql).await.map_err(backend)?;
        }
        self.delete_children(&mut tx, layout, &key, |_| true)
            .await?;
        self.delete_members(&mut tx, layout, &key).await?;
        let mut q = self.q();
        let sql = format!(
            "DELETE FROM {} WHERE id = {}",
            layout.side,
            q.p(key.clone())
        );
        q.execute(&mut tx, &sql).await.map_err(backend)?;
        let mut q = self.q();
        let sql = format!(
            "DELETE FROM {} WHERE {} = {}",
            layout.table,
            layout.id,
            q.p(key)
        );
        q.execute(&mut tx, &sql).await.map_err(backend)?;
        let kept = self.keep(&mut tx, ctx.events()).await?;
        self.finish(tx, ctx, kept).await
    }

    pub(super) async fn change_members(
        &self,
        ctx: &RequestContext,
        group_id: &str,
        change: &MemberChange,
        expected: Option<&Version>,
    ) -> Result<MembersChanged, StoreError> {
        let layout = self.layout(ResourceKind::Group)?;
        let Some(m) = &layout.members else {
            return Err(StoreError::NotImplemented {
                operation: "modify_members",
            });
        };
        let key = Self::id_arg(layout.id_kind, group_id)
            .ok_or_else(|| not_found(ResourceKind::Group, group_id))?;
        let (_, stamp) = now();
        let mut tx = self.begin().await?;
        let n = self
            .next_version(
                &mut tx,
                ctx,
                layout,
                (group_id, &key),
                expected,
                &stamp,
                &[],
            )
            .await?;
        let mut removed = Vec::new();
        for id in &change.remove {
            let Some(member_key) = Self::id_arg(m.member_kind, id) else {
                continue;
            };
            let mut q = self.q();
            let sql = format!(
                "DELETE FROM {} WHERE {} = {} AND {} = {}",
                m.table,
                m.group,
                q.p(key.clone()),
                m.member,
                q.p(member_key)
            );
            if q.execute(&mut tx, &sql).await.map_err(backend)? > 0 && !removed.contains(id) {
                removed.push(id.clone());
            }
        }
        let mut added = Vec::new();
        let mut next = match &m.position {
            Some(order) if !change.add.is_empty() => {
                let mut q = self.q();
                let sql = format!(
                    "SELECT COALESCE(MAX({order}), -1) + 1 AS next FROM {} WHERE {} = {}",
                    m.table,
                    m.group,
                    q.p(key.clone())
                );
                let rows = q.fetch_in(&mut tx, &sql).await.map_err(backend)?;
                rows.first().and_then(|r| r.int("next")).unwrap_or(0)
            }
            _ => 0,
        };
        for member in &change.add {
            if self.add_member(&mut tx, layout, &key, member, next).await? {
                next += 1;
                if let Some(id) = member.get("value").and_then(Value::as_str) {
                    added.push(id.to_owned());
                }
            }
        }
        if added.is_empty() && removed.is_empty() {
            tx.rollback().await.map_err(backend)?;
            return Ok(MembersChanged::new(version(n - 1), added, removed));
        }
        let done = MembersChanged::new(version(n), added, removed);
        let kept = self
            .keep(&mut tx, &Event::membership(ctx, group_id, &done))
            .await?;
        self.finish(tx, ctx, kept).await?;
        Ok(done)
    }
}

fn precondition(kind: ResourceKind, id: &str, expected: &Version) -> StoreError {
    StoreError::PreconditionFailed {
        kind,
        id: id.to_owned(),
        expected: expected.clone(),
    }
}
