//! The provisioning log in a table (`scim_log`): requests are queued without waiting and
//! written in batches by a task of their own, so that keeping the log never slows or fails
//! a SCIM request; when the queue is full (the database is down or far behind), entries
//! are dropped and counted rather than held.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use scim_core::{LogPage, LogQuery, LogRetention, LogStatus, RequestRecord};
use scim_filter::sql::Dialect;
use tokio::sync::mpsc;

use crate::db::{Database, Q};

/// How many entries wait for the writer at most.
const QUEUE: usize = 4096;

/// How many entries one batch writes at most.
const BATCH: usize = 256;

/// How often retention runs, in batches written.
const PRUNE_EVERY: u64 = 64;

/// What waits for the writer: an entry, or someone waiting for every entry before it to be
/// written.
enum Queued {
    Record(Box<RequestRecord>),
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// The log of one store: the queue's sending end, and the retention the writer applies.
pub(crate) struct RequestLog {
    table: String,
    queue: mpsc::Sender<Queued>,
    retention: Arc<Mutex<LogRetention>>,
    dropped: AtomicU64,
}

impl std::fmt::Debug for RequestLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestLog")
            .field("table", &self.table)
            .field("dropped", &self.dropped.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl RequestLog {
    /// The log in `table`, its writer started on the current runtime (if there is none, as in
    /// a synchronous test, entries stay queued until the queue is full, then are dropped).
    pub(crate) fn start(
        db: &Database,
        table: String,
        writers: &Arc<tokio::sync::Mutex<()>>,
    ) -> Self {
        let (queue, received) = mpsc::channel(QUEUE);
        let retention = Arc::new(Mutex::new(LogRetention::default()));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let writer = Writer {
                db: db.clone(),
                table: table.clone(),
                writers: Arc::clone(writers),
                retention: Arc::clone(&retention),
            };
            runtime.spawn(writer.run(received));
        }
        Self {
            table,
            queue,
            retention,
            dropped: AtomicU64::new(0),
        }
    }

    /// Queues `record`; drops it (and says so, now and then) when the queue is full.
    pub(crate) fn record(&self, record: RequestRecord) {
        if self
            .queue
            .try_send(Queued::Record(Box::new(record)))
            .is_err()
        {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed);
            if dropped.is_multiple_of(1000) {
                tracing::warn!(
                    dropped = dropped + 1,
                    "the provisioning log is behind; entries are being dropped"
                );
            }
        }
    }

    /// Waits until every entry queued before this call is written (or failed to be): for a
    /// server that stops. Returns at once if no writer runs.
    pub(crate) async fn flush(&self) {
        let (done, written) = tokio::sync::oneshot::channel();
        if self.queue.send(Queued::Flush(done)).await.is_ok() {
            let _ = written.await;
        }
    }

    /// Applies `retention` from the next pruning on.
    pub(crate) fn set_retention(&self, retention: LogRetention) {
        *self
            .retention
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = retention;
    }

    /// A page of `tenant`'s log, latest first.
    pub(crate) async fn page(
        &self,
        db: &Database,
        tenant: &str,
        query: &LogQuery,
    ) -> Result<LogPage, sqlx::Error> {
        let dialect = db.dialect();
        let mut q = Q::new(dialect);
        let mut sql = format!(
            "SELECT {} AS entry FROM {} WHERE tenant = {}",
            json_text(dialect),
            self.table,
            q.p(tenant)
        );
        match query.status {
            Some(LogStatus::Exactly(status)) => {
                sql.push_str(&format!(" AND status = {}", q.p(i64::from(status))));
            }
            Some(LogStatus::Refused) => sql.push_str(" AND status >= 400"),
            _ => {}
        }
        if let Some(id) = &query.resource_id {
            sql.push_str(&format!(" AND resource_id = {}", q.p(id.as_str())));
        }
        let limit = i64::try_from(query.count).unwrap_or(i64::MAX);
        let skip = i64::try_from(query.skip).unwrap_or(i64::MAX);
        sql.push_str(&format!(
            " ORDER BY seq DESC LIMIT {} OFFSET {}",
            q.p(limit.saturating_add(1)),
            q.p(skip)
        ));
        let rows = q.fetch(db, &sql).await?;
        let mut entries: Vec<RequestRecord> = rows
            .iter()
            .filter_map(|row| row.text("entry"))
            .filter_map(|text| serde_json::from_str(&text).ok())
            .collect();
        let more = entries.len() > query.count;
        entries.truncate(query.count);
        Ok(LogPage::new(entries, more))
    }
}

/// The JSON column read as text.
fn json_text(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "entry::text",
        _ => "entry",
    }
}

/// The task writing queued entries.
struct Writer {
    db: Database,
    table: String,
    writers: Arc<tokio::sync::Mutex<()>>,
    retention: Arc<Mutex<LogRetention>>,
}

impl Writer {
    /// Writes batches until the store (every sender) is gone.
    async fn run(self, mut received: mpsc::Receiver<Queued>) {
        let mut batches = 0u64;
        let mut queued = Vec::with_capacity(BATCH);
        let mut batch = Vec::with_capacity(BATCH);
        let mut flushes = Vec::new();
        while received.recv_many(&mut queued, BATCH).await > 0 {
            for item in queued.drain(..) {
                match item {
                    Queued::Record(record) => batch.push(*record),
                    Queued::Flush(done) => flushes.push(done),
                }
            }
            if !batch.is_empty()
                && let Err(err) = self.write(&batch).await
            {
                tracing::warn!(error = %err, entries = batch.len(), "the provisioning log could not be written");
                // The database is down: wait rather than spin; the queue bounds what waits.
                if flushes.is_empty() {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
            for done in flushes.drain(..) {
                let _ = done.send(());
            }
            batch.clear();
            batches += 1;
            if batches.is_multiple_of(PRUNE_EVERY)
                && let Err(err) = self.prune().await
            {
                tracing::warn!(error = %err, "pruning the provisioning log failed");
            }
        }
    }

    /// One transaction for the batch.
    async fn write(&self, batch: &[RequestRecord]) -> Result<(), sqlx::Error> {
        let dialect = self.db.dialect();
        let mut tx = self.db.begin(&self.writers).await?;
        for record in batch {
            let mut q = Q::new(dialect);
            let sql = format!(
                "INSERT INTO {} (tenant, time, status, resource_id, entry) VALUES ({}, {}, {}, {}, {})",
                self.table,
                q.p(record.tenant.as_str()),
                q.p(record
                    .time
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
                q.p(i64::from(record.status)),
                q.p(record.resource_id.clone()),
                q.p(crate::db::Arg::Json(serde_json::to_string(record).ok())),
            );
            q.execute(&mut tx, &sql).await?;
        }
        tx.commit().await
    }

    /// Drops what falls outside the retention.
    async fn prune(&self) -> Result<(), sqlx::Error> {
        let retention = *self
            .retention
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let dialect = self.db.dialect();
        let oldest = chrono::Duration::from_std(retention.max_age)
            .ok()
            .and_then(|age| chrono::Utc::now().checked_sub_signed(age))
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        let mut tx = self.db.begin(&self.writers).await?;
        let keep = i64::try_from(retention.max_entries).unwrap_or(i64::MAX);
        let mut q = Q::new(dialect);
        let table = &self.table;
        let sql = format!(
            // The maximum through a derived table: MySQL refuses a subquery on the table a
            // DELETE deletes from (error 1093), but not on a materialized copy.
            "DELETE FROM {table} WHERE seq <= (SELECT m FROM (SELECT MAX(seq) AS m FROM {table}) AS newest) - {}",
            q.p(keep)
        );
        q.execute(&mut tx, &sql).await?;
        if let Some(oldest) = oldest {
            let mut q = Q::new(dialect);
            let sql = format!("DELETE FROM {table} WHERE time < {}", q.p(oldest));
            q.execute(&mut tx, &sql).await?;
        }
        tx.commit().await
    }
}
