//! The store conformance suite (feature `testing`): what every [`ScimStore`](crate::ScimStore) must do, one
//! public async function per behaviour, and [`scim_store_tests!`](crate::scim_store_tests) to
//! run them all as `#[test]`s.
//!
//! ```ignore
//! // tests/conformance.rs of a store crate
//! scim_core::scim_store_tests!(async { MyStore::connect("postgres://...").await.unwrap() });
//! ```
//!
//! The suite checks what the store serves, as its [`ScimStore::capabilities`](crate::ScimStore::capabilities) say (the same
//! value the engine serves from): a users-only store skips the group cases, one without
//! sorting skips `sorting`, a single-tenant one skips `tenants_are_isolated`. Each skipped
//! case passes and prints why (`cargo test -- --nocapture` shows it).
//!
//! Each case works in a tenant of its own (a random name), so a suite can share one database.
//! A single-tenant store has one tenant for every case: its `$make` must give each case an
//! empty store (a fresh database file, a schema of its own), since cases run in parallel.
//! The store must be `Clone` (a cheap handle, as a server shares it): the concurrency tests
//! spawn writers on a multi-threaded runtime.
//!
//! Not API-stable: cases are added as the store contract is pinned down.

pub mod admin;
pub mod faults;
pub mod http;
pub mod mysql;
pub mod postgres;
mod server;
mod store;

use std::future::Future;

pub use store::*;

/// Runs a suite function on a fresh two-thread tokio runtime. The macro's tests call it.
pub fn run<F: Future<Output = ()>>(future: F) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future);
}

/// Expands to one `#[test]` per conformance case for the store that `$make` (an async
/// block) builds. Each test builds its own store and runs on its own runtime. With
/// `optional:`, `$make` yields an `Option` and a `None` (a database that is not there, which
/// the block should say) passes the case without running it.
///
/// ```ignore
/// scim_core::scim_store_tests!(async { scim_core::MemoryStore::new() });
/// ```
#[macro_export]
macro_rules! scim_store_tests {
    (@list $mode:ident $make:expr) => {
        $crate::scim_store_tests!(@cases $mode $make;
            create_assigns_id_and_meta,
            get_unknown_id_is_not_found,
            replace_versions_only_real_changes,
            stale_versions_are_refused,
            delete_removes,
            uniqueness_is_enforced,
            replace_moves_lookups,
            filter_operators,
            filter_logic_and_value_paths,
            filter_group_membership,
            sorting,
            paging,
            cursor_paging,
            concurrent_writers,
            tenants_are_isolated,
            dry_run_persists_nothing,
            attributes_round_trip,
            large_group,
            deleted_users_leave_groups,
            groups_without_display_name,
        );
    };
    (@cases required $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::testing::run(async {
                    let store = $make.await;
                    $crate::testing::$case(&store).await;
                });
            }
        )*
    };
    (@cases optional $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::testing::run(async {
                    if let Some(store) = $make.await {
                        $crate::testing::$case(&store).await;
                    }
                });
            }
        )*
    };
    (optional: $make:expr) => {
        $crate::scim_store_tests!(@list optional $make);
    };
    ($make:expr) => {
        $crate::scim_store_tests!(@list required $make);
    };
}
