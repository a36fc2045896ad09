//! The store conformance suite's cases, by topic, and what they share.

mod cursors;
mod groups;
mod isolation;
mod queries;
mod writes;

use std::collections::BTreeSet;

use scim_filter::Filter;
use serde_json::{Value, json};

use crate::{
    Compat, ListQuery, RequestContext, Resource, ResourceKind, SchemaRegistry, ScimStore,
    StoreCapabilities,
};

pub use cursors::cursor_paging;
pub use groups::{
    deleted_users_leave_groups, filter_group_membership, groups_without_display_name, large_group,
};
pub use isolation::{dry_run_persists_nothing, tenants_are_isolated};
pub use queries::{filter_logic_and_value_paths, filter_operators, paging, sorting};
pub use writes::{
    attributes_round_trip, concurrent_writers, create_assigns_id_and_meta, delete_removes,
    get_unknown_id_is_not_found, replace_moves_lookups, replace_versions_only_real_changes,
    stale_versions_are_refused, uniqueness_is_enforced,
};

/// What a case needs of a store beyond users in the tenant it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// Groups ([`StoreCapabilities::groups`]).
    Groups,
    /// Sorting ([`StoreCapabilities::sorting`]).
    Sorting,
    /// Any number of tenants ([`StoreCapabilities::tenant`] is `None`).
    Tenants,
    /// Cursor paging ([`StoreCapabilities::cursor_paging`]).
    CursorPaging,
}

impl Need {
    fn met_by(self, caps: &StoreCapabilities) -> bool {
        match self {
            Self::Groups => caps.groups(),
            Self::Sorting => caps.sorting(),
            Self::Tenants => caps.tenant().is_none(),
            Self::CursorPaging => caps.cursor_paging(),
        }
    }

    fn missing(self) -> &'static str {
        match self {
            Self::Groups => "keeps no groups (StoreCapabilities::without_groups)",
            Self::Sorting => "does not sort (StoreCapabilities::without_sorting)",
            Self::Tenants => "serves a single tenant (StoreCapabilities::single_tenant)",
            Self::CursorPaging => "does not page by cursor (StoreCapabilities::with_cursor_paging)",
        }
    }
}

/// The context a case runs in ([`context_for`]), or `None`, with the reason printed, when the
/// store's [`ScimStore::capabilities`] (what the engine serves from it) do not include what
/// the case checks.
fn begin<S: ScimStore>(store: &S, case: &str, needs: &[Need]) -> Option<RequestContext> {
    let caps = store.capabilities();
    if let Some(need) = needs.iter().find(|n| !n.met_by(&caps)) {
        eprintln!(
            "scim_store_tests: {case} skipped: the store {}",
            need.missing()
        );
        return None;
    }
    Some(context_in(&caps))
}

/// The context a case works in: a tenant no other case uses (a random name), so cases can
/// share one database; for a single-tenant store, its one tenant.
pub fn context_for<S: ScimStore>(store: &S) -> RequestContext {
    context_in(&store.capabilities())
}

fn context_in(caps: &StoreCapabilities) -> RequestContext {
    match caps.tenant() {
        Some(tenant) => RequestContext::new(tenant),
        None => RequestContext::new(format!("conformance-{}", uuid::Uuid::new_v4().simple())),
    }
}

fn registry() -> SchemaRegistry {
    SchemaRegistry::new()
}

/// A validated user, ready for `create`.
pub fn user(body: Value) -> Resource {
    registry()
        .resource(ResourceKind::User)
        .validate_create(body, &Compat::entra())
        .expect("suite users are valid")
}

/// A validated group, ready for `create`.
pub fn group(body: Value) -> Resource {
    registry()
        .resource(ResourceKind::Group)
        .validate_create(body, &Compat::entra())
        .expect("suite groups are valid")
}

/// `body` validated as the replacement of `existing` (the engine's PUT).
fn replaced(existing: &Resource, body: Value) -> Resource {
    let mut body = body;
    body["id"] = json!(existing.id());
    registry()
        .resource(existing.kind())
        .validate_replace(body, existing, &Compat::entra())
        .expect("suite replacements are valid")
}

async fn names<S: ScimStore>(store: &S, ctx: &RequestContext, query: &ListQuery) -> Vec<String> {
    let page = store
        .list(ctx, ResourceKind::User, query)
        .await
        .unwrap_or_else(|e| panic!("list failed: {e}"));
    page.resources
        .iter()
        .map(|r| r.user_name().unwrap_or_default().to_owned())
        .collect()
}

async fn filtered<S: ScimStore>(store: &S, ctx: &RequestContext, filter: &str) -> BTreeSet<String> {
    let filter = Filter::parse(filter).expect("suite filters parse");
    let query = ListQuery::new().with_filter(filter);
    names(store, ctx, &query).await.into_iter().collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}
