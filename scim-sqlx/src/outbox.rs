//! The transactional outbox: each write's events are kept in the write's own transaction,
//! and a delivery task hands them to the app's sink, at least once, in order, across
//! crashes and restarts.

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use scim_core::engine::{Event, EventSink};
use scim_filter::sql::Dialect;
use tokio::sync::Notify;

use crate::db::{Database, Q, Tx};

/// How long the delivery task sleeps when nothing tells it of new events: the bound on
/// how late an event written by another process (or before a restart) arrives.
const POLL: Duration = Duration::from_millis(500);

/// How many events one delivery round hands over.
const BATCH: i64 = 100;

/// The outbox of one store.
pub(crate) struct Outbox {
    table: String,
    /// The store's SQLite writers' turns (see `Database::begin`).
    writers: Arc<tokio::sync::Mutex<()>>,
    sink: OnceLock<Arc<dyn EventSink>>,
    notify: Arc<Notify>,
    started: AtomicBool,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("attached", &self.attached())
            .finish_non_exhaustive()
    }
}

impl Outbox {
    /// The table the events wait in.
    pub(crate) fn table(&self) -> &str {
        &self.table
    }

    /// The outbox table `table`.
    pub(crate) fn new(table: String, writers: Arc<tokio::sync::Mutex<()>>) -> Self {
        Self {
            table,
            writers,
            sink: OnceLock::new(),
            notify: Arc::default(),
            started: AtomicBool::new(false),
        }
    }

    /// Whether events are kept: only once a sink will receive them.
    pub(crate) fn attached(&self) -> bool {
        self.sink.get().is_some()
    }

    /// Keeps `sink`; the first sink counts.
    pub(crate) fn attach(&self, sink: Arc<dyn EventSink>) {
        let _ = self.sink.set(sink);
    }

    /// Keeps `events` in `tx`.
    pub(crate) async fn keep(
        &self,
        tx: &mut Tx,
        dialect: Dialect,
        events: &[Event],
    ) -> Result<(), sqlx::Error> {
        let created = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        for event in events {
            let text = serde_json::to_string(event).unwrap_or_default();
            let mut q = Q::new(dialect);
            let sql = format!(
                "INSERT INTO {} (event, created) VALUES ({}, {})",
                self.table,
                q.p(crate::db::Arg::Json(Some(text))),
                q.p(created.clone())
            );
            q.execute(tx, &sql).await?;
        }
        Ok(())
    }

    /// Wakes the delivery task after a commit that kept events.
    pub(crate) fn kept(&self) {
        self.notify.notify_one();
    }

    /// Starts the delivery task, once, if a sink is attached and a runtime is running. The
    /// task ends when the outbox is dropped (with the last clone of its store).
    pub(crate) fn start(self: &Arc<Self>, db: &Database) {
        let Some(sink) = self.sink.get().cloned() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.started.swap(true, Ordering::SeqCst) {
            return;
        }
        let (outbox, db) = (Arc::downgrade(self), db.clone());
        let (notify, table) = (Arc::clone(&self.notify), self.table.clone());
        let writers = Arc::clone(&self.writers);
        runtime.spawn(async move {
            while outbox.strong_count() > 0 {
                match deliver(&db, &table, &*sink, &writers).await {
                    Ok(n) if n >= BATCH => continue,
                    Ok(_) => {}
                    Err(err) => tracing::warn!(error = %err, "delivering events failed; retrying"),
                }
                let _ = tokio::time::timeout(POLL, notify.notified()).await;
            }
        });
    }
}

/// One delivery round: the oldest events, handed to `sink` in order (each delivered to its
/// end), then forgotten; how many. A crash before they are forgotten, or a failed delivery,
/// hands them over again on a later round.
///
/// On PostgreSQL the round is one transaction holding an advisory lock (on MySQL, locks on
/// the round's rows), so one process delivers at a time and events stay in order. On SQLite the events are read outside a
/// transaction and forgotten in a short one afterwards: the sink never runs while the
/// database's write lock is held (it would stop every writer).
async fn deliver(
    db: &Database,
    table: &str,
    sink: &dyn EventSink,
    writers: &Arc<tokio::sync::Mutex<()>>,
) -> Result<i64, sqlx::Error> {
    let dialect = db.dialect();
    // A cheap look first: most rounds find nothing, and need no write lock.
    let waiting = Q::new(dialect)
        .fetch(db, &format!("SELECT seq FROM {table} LIMIT 1"))
        .await?;
    if waiting.is_empty() {
        return Ok(0);
    }
    let event = match dialect {
        Dialect::Postgres => "event::text AS event",
        _ => "event",
    };
    let select = format!("SELECT seq, {event} FROM {table} ORDER BY seq LIMIT {BATCH}");
    let (rows, mut tx) = if dialect == Dialect::Postgres {
        let mut tx = db.begin(writers).await?;
        Q::new(dialect)
            .execute(&mut tx, "SELECT pg_advisory_xact_lock(7645)")
            .await?;
        (Q::new(dialect).fetch_in(&mut tx, &select).await?, Some(tx))
    } else if dialect == Dialect::Mysql {
        // The first event's row locked to the end of the round: another process's round
        // waits for it, so that one delivers at a time and in order.
        let mut tx = db.begin(writers).await?;
        let rows = Q::new(dialect)
            .fetch_in(&mut tx, &format!("{select} FOR UPDATE"))
            .await?;
        (rows, Some(tx))
    } else {
        (Q::new(dialect).fetch(db, &select).await?, None)
    };
    let (mut last, mut handled) = (None, 0);
    for row in &rows {
        let Some(seq) = row.int("seq") else { continue };
        match row.text("event").map(|t| serde_json::from_str::<Event>(&t)) {
            Some(Ok(event)) => {
                // Inside the block, so that a panic in a synchronous `publish` is caught too.
                let delivery = AssertUnwindSafe(async { sink.deliver(&event).await });
                match delivery.catch_unwind().await {
                    Ok(Ok(())) => {}
                    Ok(Err(err)) => {
                        // Kept for the next round: nothing after it overtakes it.
                        tracing::warn!(seq, error = %err, "the event sink failed; the event will be retried");
                        break;
                    }
                    Err(_) => {
                        tracing::error!(seq, "the event sink panicked; the event will be retried");
                        break;
                    }
                }
            }
            _ => tracing::error!(seq, "an outbox event does not parse; dropping it"),
        }
        last = Some(seq);
        handled += 1;
    }
    let Some(last) = last else {
        if let Some(tx) = tx {
            tx.rollback().await?;
        }
        return Ok(0);
    };
    let mut tx = match tx.take() {
        Some(tx) => tx,
        None => db.begin(writers).await?,
    };
    let mut q = Q::new(dialect);
    let sql = format!("DELETE FROM {table} WHERE seq <= {}", q.p(last));
    q.execute(&mut tx, &sql).await?;
    tx.commit().await?;
    // Fewer than a whole batch when the sink failed: the caller waits before the next round.
    Ok(handled)
}
