//! Where a store's PostgreSQL tests find their database: `SCIM_TEST_POSTGRES_URL`, by
//! default `postgres://postgres@127.0.0.1:5432/test`. Without one, the tests say (once) that
//! they were skipped and why; with `SCIM_REQUIRE_POSTGRES=1` (as a CI sets) a missing
//! database fails them.

use super::server::Server;

const SERVER: Server = Server {
    name: "PostgreSQL",
    url_var: "SCIM_TEST_POSTGRES_URL",
    require_var: "SCIM_REQUIRE_POSTGRES",
    default_url: "postgres://postgres@127.0.0.1:5432/test",
};

/// Whether a missing database must fail the tests instead of skipping them.
pub fn required() -> bool {
    SERVER.required()
}

/// Says once, on the terminal (past the test harness's capture), that `what` was skipped
/// and why.
pub fn skip(what: &str, reason: &str) {
    SERVER.skip(what, reason);
}

/// The database URL, if PostgreSQL answers there; `None` (said once) if it does not and it
/// is not required. A quick TCP look first, so a machine without PostgreSQL skips in a
/// second, not after a pool's timeout.
pub fn url(what: &str) -> Option<String> {
    SERVER.url(what)
}
