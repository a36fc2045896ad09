//! Child rows: the elements of multi-valued attributes in the app's child tables, and a
//! group's members in its membership table.

use scim_core::{ResourceKind, StoreError};
use serde_json::Value;

use super::{SqlStore, backend, not_found};
use crate::db::{Arg, Dialect, Tx, is_foreign_key_violation};
use crate::layout::Layout;
use crate::parts::Parts;

/// How many elements one `INSERT` carries (SQLite binds at most 32,766 values).
const CHUNK: usize = 200;

fn text(element: &Value, key: &str) -> Arg {
    Arg::Text(element.get(key).and_then(Value::as_str).map(str::to_owned))
}

impl SqlStore {
    /// Inserts the elements of `parts`' child tables for which `which(i)` holds, for the
    /// row `key`: one statement per table (per 200 elements).
    pub(super) async fn insert_children(
        &self,
        tx: &mut Tx,
        layout: &Layout,
        key: &Arg,
        parts: &Parts,
        which: impl Fn(usize) -> bool,
    ) -> Result<(), StoreError> {
        for (i, (slot, elements)) in layout.children.iter().zip(&parts.children).enumerate() {
            if !which(i) || elements.is_empty() {
                continue;
            }
            let c = &slot.child;
            let mut columns = vec![c.parent.as_str(), c.value.as_str()];
            columns.extend(c.kind.as_deref());
            columns.extend(c.primary.as_deref());
            columns.extend(c.display.as_deref());
            columns.extend(c.position.as_deref());
            for (chunk_index, chunk) in elements.chunks(CHUNK).enumerate() {
                let mut q = self.q();
                let mut rows = Vec::with_capacity(chunk.len());
                for (offset, element) in chunk.iter().enumerate() {
                    let mut values = vec![q.p(key.clone()), q.p(text(element, "value"))];
                    if c.kind.is_some() {
                        values.push(q.p(text(element, "type")));
                    }
                    if c.primary.is_some() {
                        let primary = element.get("primary").and_then(Value::as_bool);
                        values.push(q.p(Arg::Bool(primary)));
                    }
                    if c.display.is_some() {
                        values.push(q.p(text(element, "display")));
                    }
                    if c.position.is_some() {
                        let position = chunk_index * CHUNK + offset;
                        values.push(q.p(i64::try_from(position).unwrap_or(i64::MAX)));
                    }
                    rows.push(format!("({})", values.join(", ")));
                }
                let sql = format!(
                    "INSERT INTO {} ({}) VALUES {}",
                    c.table,
                    columns.join(", "),
                    rows.join(", ")
                );
                q.execute(tx, &sql).await.map_err(|e| {
                    super::write::too_long(&e, layout).unwrap_or_else(|| backend(e))
                })?;
            }
        }
        Ok(())
    }

    /// Deletes the rows of the child tables for which `which(i)` holds, of the row `key`.
    pub(super) async fn delete_children(
        &self,
        tx: &mut Tx,
        layout: &Layout,
        key: &Arg,
        which: impl Fn(usize) -> bool,
    ) -> Result<(), StoreError> {
        for (i, slot) in layout.children.iter().enumerate() {
            if which(i) {
                let c = &slot.child;
                let mut q = self.q();
                let sql = format!(
                    "DELETE FROM {} WHERE {} = {}",
                    c.table,
                    c.parent,
                    q.p(key.clone())
                );
                q.execute(tx, &sql).await.map_err(backend)?;
            }
        }
        Ok(())
    }

    /// Deletes every member of the group `key`.
    pub(super) async fn delete_members(
        &self,
        tx: &mut Tx,
        layout: &Layout,
        key: &Arg,
    ) -> Result<(), StoreError> {
        if let Some(m) = &layout.members {
            let mut q = self.q();
            let sql = format!(
                "DELETE FROM {} WHERE {} = {}",
                m.table,
                m.group,
                q.p(key.clone())
            );
            q.execute(tx, &sql).await.map_err(backend)?;
        }
        Ok(())
    }

    /// Makes `members` the members of the group `key`, which has none: each once, in order.
    pub(super) async fn insert_members(
        &self,
        tx: &mut Tx,
        layout: &Layout,
        key: &Arg,
        members: &[Value],
    ) -> Result<(), StoreError> {
        let mut next = 0;
        for member in members {
            if self.add_member(tx, layout, key, member, next).await? {
                next += 1;
            }
        }
        Ok(())
    }

    /// Adds `member` to the group `key` unless it is a member already, at `position` if
    /// the table keeps one; whether it was added. One statement.
    pub(super) async fn add_member(
        &self,
        tx: &mut Tx,
        layout: &Layout,
        key: &Arg,
        member: &Value,
        position: i64,
    ) -> Result<bool, StoreError> {
        let Some(m) = &layout.members else {
            return Ok(false);
        };
        let Some(value) = member.get("value").and_then(Value::as_str) else {
            return Ok(false);
        };
        let Some(member_key) = Self::id_arg(m.member_kind, value) else {
            return Err(not_found(ResourceKind::User, value));
        };
        let mut q = self.q();
        let mut columns = vec![m.group.as_str(), m.member.as_str()];
        let mut values = vec![q.p(key.clone()), q.p(member_key.clone())];
        if let Some(display) = &m.display {
            columns.push(display);
            values.push(q.p(text(member, "display")));
        }
        if let Some(kind) = &m.kind {
            columns.push(kind);
            values.push(q.p(text(member, "type")));
        }
        if let Some(reference) = &m.reference {
            columns.push(reference);
            values.push(q.p(text(member, "$ref")));
        }
        if let Some(order) = &m.position {
            columns.push(order);
            values.push(q.p(position));
        }
        // MySQL 5.7 and 8.0 want a FROM before a WHERE.
        let dual = if q.dialect() == Dialect::Mysql {
            " FROM DUAL"
        } else {
            ""
        };
        let sql = format!(
            "INSERT INTO {table} ({}) SELECT {}{dual} WHERE NOT EXISTS \
             (SELECT 1 FROM {table} WHERE {group} = {} AND {member} = {})",
            columns.join(", "),
            values.join(", "),
            q.p(key.clone()),
            q.p(member_key),
            table = m.table,
            group = m.group,
            member = m.member,
        );
        match q.execute(tx, &sql).await {
            Ok(n) => Ok(n > 0),
            // The app's membership table refers to its users: no such user.
            Err(err) if is_foreign_key_violation(&err) => Err(not_found(ResourceKind::User, value)),
            Err(err) => Err(backend(err)),
        }
    }
}
