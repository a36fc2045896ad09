//! Reads by id, answered together: the GETs that arrive while others are being read wait
//! for the next statement, which reads all of them at once (`WHERE id IN (...)`).
//!
//! Each statement costs a round trip (to PostgreSQL, or to the thread sqlx runs a SQLite
//! connection on) far larger than reading one more row, so under load this answers many
//! GETs for the price of one; alone, a GET is read at once, as before. A read never joins
//! a statement already running: it sees every write that finished before it arrived.
//!
//! A group read with its members is read on its own: ten thousand members take long
//! enough to hold up the reads queued behind them.

use std::collections::HashMap;
use std::sync::Mutex;

use scim_core::{RequestContext, Resource, ResourceKind, StoreError};
use serde_json::Value;
use tokio::sync::oneshot;

use super::{SqlStore, backend, not_found};
use crate::db::{Arg, Dialect, Q};
use crate::layout::Layout;
use crate::mapping::IdKind;
use uuid::Uuid;

/// How many statements of reads may run at once (the rest of the pool is for writes and
/// lists).
const RUNNING: usize = 4;

/// The most ids one statement reads.
const MOST: usize = 64;

/// What reads share a statement: the same resource type, tenant and projection.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Shape {
    kind: ResourceKind,
    tenant: String,
    with_members: bool,
}

type Reply = oneshot::Sender<Result<Option<Resource>, StoreError>>;

#[derive(Debug, Default)]
struct State {
    waiting: Vec<(Shape, String, Reply)>,
    running: usize,
}

/// The reads waiting for a statement, and how many statements run.
#[derive(Debug, Default)]
pub(crate) struct Reads {
    state: Mutex<State>,
}

impl Reads {
    /// Takes the next statement's reads: the oldest waiting read and those of the same
    /// shape, up to [`MOST`]; `None` (and one statement fewer running) if none wait.
    fn next(&self) -> Option<(Shape, Vec<(String, Reply)>)> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let Some((shape, _, _)) = state.waiting.first() else {
            state.running -= 1;
            return None;
        };
        let shape = shape.clone();
        let mut taken = Vec::new();
        let mut kept = Vec::with_capacity(state.waiting.len());
        for (s, id, reply) in state.waiting.drain(..) {
            if s == shape && taken.len() < MOST {
                taken.push((id, reply));
            } else {
                kept.push((s, id, reply));
            }
        }
        state.waiting = kept;
        Some((shape, taken))
    }
}

/// A runner of reads, which the reads waiting must never outlive: if it stops before it is
/// done (a panic), it is counted out and another takes over the reads still waiting (those
/// of the statement that failed get an error, their answers being dropped).
struct Runner<'a> {
    store: &'a SqlStore,
    done: bool,
}

impl Drop for Runner<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let reads = &self.store.inner.reads;
        let mut state = reads.state.lock().unwrap_or_else(|e| e.into_inner());
        state.running -= 1;
        if !state.waiting.is_empty()
            && state.running < RUNNING
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            state.running += 1;
            let store = self.store.clone();
            runtime.spawn(async move { store.run_reads().await });
        }
    }
}

impl SqlStore {
    /// The resource `id` as a statement starting after this call reads it, or `None`.
    pub(super) async fn read_by_id(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        with_members: bool,
    ) -> Result<Resource, StoreError> {
        let layout = self.layout(kind)?;
        if with_members && layout.members.is_some() {
            return self.read_one(ctx, kind, id, with_members).await;
        }
        // As the id column gives it back (`7` for `007`, a UUID in lower case).
        let normal = match Self::id_arg(layout.id_kind, id) {
            Some(Arg::Int(Some(n))) => n.to_string(),
            Some(Arg::Uuid(Some(uuid))) => uuid.hyphenated().to_string(),
            Some(_) => id.to_owned(),
            None => return Err(not_found(kind, id)),
        };
        let shape = Shape {
            kind,
            tenant: ctx.tenant().to_owned(),
            with_members,
        };
        let (reply, answer) = oneshot::channel();
        let start = {
            let reads = &self.inner.reads;
            let mut state = reads.state.lock().unwrap_or_else(|e| e.into_inner());
            state.waiting.push((shape, normal, reply));
            let start = state.running < RUNNING;
            if start {
                state.running += 1;
            }
            start
        };
        if start {
            // On a task of its own: a client that goes away does not stop the others' reads.
            let store = self.clone();
            tokio::spawn(async move { store.run_reads().await });
        }
        match answer.await {
            Ok(Ok(Some(resource))) => Ok(resource),
            Ok(Ok(None)) => Err(not_found(kind, id)),
            Ok(Err(err)) => Err(err),
            Err(_) => Err(StoreError::backend("the read was abandoned")),
        }
    }

    /// Runs statements of waiting reads until none wait.
    async fn run_reads(&self) {
        let mut guard = Runner {
            store: self,
            done: false,
        };
        while let Some((shape, reads)) = self.inner.reads.next() {
            let ids: Vec<&str> = reads.iter().map(|(id, _)| id.as_str()).collect();
            match self.read_many(&shape, &ids).await {
                Ok(found) => {
                    for (id, reply) in reads {
                        let _ = reply.send(Ok(found.get(&id).cloned()));
                    }
                }
                Err(err) => {
                    for (_, reply) in reads {
                        let _ = reply.send(Err(StoreError::backend(err.to_string())));
                    }
                }
            }
        }
        // `next` counted this runner out.
        guard.done = true;
    }

    /// `SELECT` of the ids among `ids` that can be ids of `layout` (integers for an integer
    /// id, UUIDs for a UUID id), bound as one JSON list: `r.id IN (...)` with one
    /// placeholder, whatever the number of ids.
    pub(super) fn ids_within(&self, layout: &Layout, ids: &[&str], q: &mut Q) -> String {
        let list: Vec<Value> = ids
            .iter()
            .filter_map(|id| match layout.id_kind {
                IdKind::Integer => id.parse::<i64>().ok().map(Value::from),
                IdKind::Uuid => Uuid::parse_str(id)
                    .ok()
                    .map(|u| Value::from(u.hyphenated().to_string())),
                _ => Some(Value::from(*id)),
            })
            .collect();
        let list = q.p(Arg::Json(Some(Value::Array(list).to_string())));
        match (self.dialect(), layout.id_kind) {
            (Dialect::Postgres, IdKind::Uuid) => {
                format!("SELECT jsonb_array_elements_text({list})::uuid")
            }
            (Dialect::Postgres, IdKind::Integer) => {
                format!("SELECT jsonb_array_elements_text({list})::bigint")
            }
            (Dialect::Postgres, _) => format!("SELECT jsonb_array_elements_text({list})"),
            (Dialect::Mysql, IdKind::Integer) => format!(
                "SELECT k FROM JSON_TABLE({list}, '$[*]' COLUMNS (k BIGINT PATH '$')) AS ids"
            ),
            (Dialect::Mysql, IdKind::Uuid) => format!(
                "SELECT k FROM JSON_TABLE({list}, '$[*]' COLUMNS (k CHAR(36) PATH '$')) AS ids"
            ),
            (Dialect::Mysql, _) => format!(
                "SELECT k FROM JSON_TABLE({list}, '$[*]' COLUMNS (k VARCHAR(255) PATH '$')) AS ids"
            ),
            _ => format!("SELECT value FROM json_each({list})"),
        }
    }

    /// The resources `ids` of `shape`, by id, in one statement.
    async fn read_many(
        &self,
        shape: &Shape,
        ids: &[&str],
    ) -> Result<HashMap<String, Resource>, StoreError> {
        let layout = self.layout(shape.kind)?;
        let mut q = self.q();
        let within = self.ids_within(layout, ids, &mut q);
        let ctx = RequestContext::new(&shape.tenant);
        let sql = format!(
            "{} WHERE r.{} IN ({within}){}",
            self.select(layout, shape.with_members),
            layout.id,
            Self::tenant_clause(layout, &ctx, &mut q)
        );
        let rows = q.fetch(&self.inner.db, &sql).await.map_err(backend)?;
        Ok(rows
            .iter()
            .map(|row| Self::resource(layout, row, shape.with_members))
            .filter_map(|r| Some((r.id()?.to_owned(), r)))
            .collect())
    }
}
