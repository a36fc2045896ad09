//! Running in production: logs that never block a request, health probes, the metrics
//! listener, and the signals that stop the server gracefully.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use reference_server::metrics::{Metered, Metrics};
use scim_core::engine::Tokens;
use scim_sqlx::{Database, SqlStore};
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};

use reference_server::Error;

/// How many log lines wait for the output at most; past that, lines are dropped (and
/// counted) rather than stall the request that logs them.
const LOG_BUFFER: usize = 16_384;

/// How long `/readyz` waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// How the log is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogFormat {
    /// A line of text per event (colored only on a terminal).
    Text,
    /// A JSON object per line, its fields at the top level.
    Json,
}

impl LogFormat {
    pub(crate) fn parse(name: Option<&str>) -> Result<Self, Error> {
        match name {
            None | Some("text") => Ok(Self::Text),
            Some("json") => Ok(Self::Json),
            Some(other) => Err(format!("--log-format takes text or json, not {other:?}").into()),
        }
    }
}

/// Starts the log on standard error through a bounded buffer written by a thread of its
/// own: a reader that stops reading (a supervisor's pipe nobody drains) costs dropped lines,
/// never a stalled request. Every ten seconds, a count of what was dropped is logged (and is
/// `scim_log_lines_dropped_total` in the metrics). Keep the guard until the process ends:
/// dropping it writes what waits.
pub(crate) fn start_logging(format: LogFormat) -> WorkerGuard {
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(LOG_BUFFER)
        .thread_name("scim-log")
        .finish(std::io::stderr());
    let dropped = writer.error_counter();
    let filter =
        std::env::var("RUST_LOG").unwrap_or_else(|_| "info,sqlx::postgres::notice=warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init(),
    }
    tokio::spawn(async move {
        let mut reported = 0;
        loop {
            tokio::time::sleep(Duration::from_secs(10)).await;
            let now = dropped.dropped_lines();
            if now > reported {
                metrics::counter!("scim_log_lines_dropped_total")
                    .increment(u64::try_from(now - reported).unwrap_or(u64::MAX));
                tracing::warn!(
                    dropped = now - reported,
                    "log lines dropped: nothing reads the server's output fast enough"
                );
                reported = now;
            }
        }
    });
    guard
}

/// `GET /healthz` (the process answers) and `GET /readyz` (the database answers `SELECT 1`
/// within two seconds, and the server is not stopping), outside SCIM's authentication.
pub(crate) fn health(db: Database, stopping: Arc<AtomicBool>) -> Router {
    let ready = move || {
        let (db, stopping) = (db.clone(), Arc::clone(&stopping));
        async move {
            if stopping.load(Ordering::Relaxed) {
                return (StatusCode::SERVICE_UNAVAILABLE, "stopping\n");
            }
            match tokio::time::timeout(READY_TIMEOUT, db.ping()).await {
                Ok(Ok(())) => (StatusCode::OK, "ready\n"),
                Ok(Err(err)) => {
                    tracing::warn!(error = %err, "readiness: the database refused");
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        "the database does not answer\n",
                    )
                }
                Err(_) => {
                    tracing::warn!("readiness: the database did not answer within 2 s");
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        "the database does not answer\n",
                    )
                }
            }
        }
    };
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
}

/// How many days before its expiry a token counts as expiring soon.
const EXPIRING_DAYS: i64 = 14;

/// Serves `GET /metrics` on `listener`: what [`Metrics`] recorded, and gauges read at each
/// scrape (the outbox's backlog, tokens expiring within two weeks per tenant).
pub(crate) async fn serve_metrics(
    listener: tokio::net::TcpListener,
    metrics: Metrics,
    store: Metered<SqlStore>,
    tokens: Tokens,
) -> Result<(), Error> {
    let scrape = move || {
        let (metrics, store, tokens) = (metrics.clone(), store.clone(), tokens.clone());
        async move {
            match store.inner().outbox_backlog().await {
                Ok(n) => metrics::gauge!("scim_outbox_backlog").set(n as f64),
                Err(err) => tracing::warn!(error = %err, "metrics: the outbox's backlog"),
            }
            let now = chrono::Utc::now();
            let soon = now + chrono::Duration::days(EXPIRING_DAYS);
            let mut expiring: std::collections::BTreeMap<String, u32> = Default::default();
            for record in tokens.records() {
                let count = expiring.entry(record.tenant.clone()).or_default();
                if record.is_active(now) && record.expires_at.is_some_and(|at| at <= soon) {
                    *count += 1;
                }
            }
            for (tenant, count) in expiring {
                metrics::gauge!("scim_tokens_expiring_soon", "tenant" => tenant).set(count);
            }
            (
                [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                metrics.render(),
            )
                .into_response()
        }
    };
    let app = Router::new().route("/metrics", get(scrape));
    axum::serve(listener, app).await?;
    Ok(())
}

/// Installs the handlers for SIGTERM (what a supervisor, systemd or Kubernetes sends) and
/// Ctrl-C, and returns what resolves on either. Call it before the server binds or prints
/// anything: a signal that comes before its handler is installed kills the process at
/// once (the default action), which is the ungraceful stop this exists to prevent.
pub(crate) fn stop_signal() -> Result<impl std::future::Future<Output = ()>, Error> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = interrupt.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
