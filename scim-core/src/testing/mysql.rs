//! Where a store's MySQL or MariaDB tests find their server: `SCIM_TEST_MYSQL_URL`, by
//! default `mysql://root@127.0.0.1:3306/test`. Without one, the tests say (once) that they
//! were skipped and why; with `SCIM_REQUIRE_MYSQL=1` (as a CI sets) a missing server fails
//! them.

use super::server::Server;

const SERVER: Server = Server {
    name: "MySQL",
    url_var: "SCIM_TEST_MYSQL_URL",
    require_var: "SCIM_REQUIRE_MYSQL",
    default_url: "mysql://root@127.0.0.1:3306/test",
};

/// Whether a missing server must fail the tests instead of skipping them.
pub fn required() -> bool {
    SERVER.required()
}

/// The database URL, if MySQL answers there; `None` (said once) if it does not and it is
/// not required.
pub fn url(what: &str) -> Option<String> {
    SERVER.url(what)
}
