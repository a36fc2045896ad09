//! Where a store's PostgreSQL tests find their database: `SCIM_TEST_POSTGRES_URL`, by
//! default `postgres://postgres@127.0.0.1:5432/test`. Without one, the tests say (once) that
//! they were skipped and why; with `SCIM_REQUIRE_POSTGRES=1` (as a CI sets) a missing
//! database fails them.

/// Whether a missing database must fail the tests instead of skipping them.
pub fn required() -> bool {
    std::env::var("SCIM_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// Says once, on the terminal (past the test harness's capture), that `what` was skipped
/// and why.
pub fn skip(what: &str, reason: &str) {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipped: {what}, passed without running: {reason}; set SCIM_TEST_POSTGRES_URL, or \
             SCIM_REQUIRE_POSTGRES=1 to fail instead"
        );
    });
}

/// The database URL, if PostgreSQL answers there; `None` (said once) if it does not and it
/// is not required. A quick TCP look first, so a machine without PostgreSQL skips in a
/// second, not after a pool's timeout.
pub fn url(what: &str) -> Option<String> {
    let url = std::env::var("SCIM_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
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
    if reachable {
        return Some(url);
    }
    assert!(
        !required(),
        "PostgreSQL is required (SCIM_REQUIRE_POSTGRES=1) but not reachable at {address}"
    );
    skip(
        what,
        &format!("PostgreSQL is not reachable at {address} (from {url})"),
    );
    None
}
