//! The store conformance suite against `SqlStore` on PostgreSQL.
//!
//! The database is `SCIM_TEST_POSTGRES_URL`, by default the one these machines run
//! (`postgres://postgres@127.0.0.1:5432/test`). Without one, the tests say (once) that they were
//! skipped and why; with `SCIM_REQUIRE_POSTGRES=1` (as `.ci/run` sets) a missing database fails them.
//! Every test works in a tenant of its own, so they share the database.

use std::sync::Arc;

use reference_server::SqlStore;
use scim_core::SchemaRegistry;

/// Says once, on the terminal (past the test harness's capture), that these tests were
/// skipped and why.
fn skip(reason: &str) {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipped: the PostgreSQL store conformance tests pass without running: {reason}; \
             set SCIM_TEST_POSTGRES_URL, or SCIM_REQUIRE_POSTGRES=1 to fail instead"
        );
    });
}

/// The store, or `None` (with the reason printed) when PostgreSQL is not there.
async fn store() -> Option<SqlStore> {
    let url = std::env::var("SCIM_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let required = std::env::var("SCIM_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
    // A quick look first, so a machine without PostgreSQL skips in a second, not after the
    // pool's timeout.
    let address = url
        .split_once('@')
        .map_or(url.as_str(), |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let reachable = std::net::ToSocketAddrs::to_socket_addrs(&address)
        .ok()
        .and_then(|mut addrs| addrs.next())
        .is_some_and(|addr| {
            std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(1)).is_ok()
        });
    if !reachable && !required {
        skip(&format!(
            "PostgreSQL is not reachable at {address} (from {url})"
        ));
        return None;
    }
    match SqlStore::connect(&url, Arc::new(SchemaRegistry::new())).await {
        Ok(store) => Some(store),
        Err(err) if required => {
            panic!("PostgreSQL is required (SCIM_REQUIRE_POSTGRES=1) but {url} failed: {err}")
        }
        Err(err) => {
            skip(&format!("PostgreSQL at {url} failed: {err}"));
            None
        }
    }
}

scim_core::scim_store_tests!(optional: store());
