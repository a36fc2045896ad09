//! App rules: checks (and amendments) an app runs on every write, with the store to read,
//! and mapping Entra's roles to the app's.

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

use crate::{
    ListPage, ListQuery, MemberChange, Provenance, RequestContext, Resource, ResourceKind,
    ScimError, ScimStore, StoreError,
};

/// What a rule's check returns: a boxed future, so that rules of any type can sit in one
/// list (`Box::pin(async move { ... })`).
pub type RuleFuture<'a> = Pin<Box<dyn Future<Output = Result<(), ScimError>> + Send + 'a>>;

/// A boxed future of what a [`StoreView`] reads.
pub type ViewFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ScimError>> + Send + 'a>>;

/// A write about to happen: on which resource type, what it changes, and the store to read
/// (the request's tenant only).
#[non_exhaustive]
pub struct Write<'a> {
    /// The request.
    pub ctx: &'a RequestContext,
    /// The resource type written.
    pub kind: ResourceKind,
    /// What the write does.
    pub change: WriteChange<'a>,
    store: &'a dyn StoreView,
}

impl std::fmt::Debug for Write<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Write")
            .field("ctx", &self.ctx)
            .field("kind", &self.kind)
            .field("change", &self.change)
            .finish_non_exhaustive()
    }
}

/// What a write does.
#[derive(Debug)]
#[non_exhaustive]
pub enum WriteChange<'a> {
    /// A resource created (`POST`, a bulk `POST`). A rule may amend it.
    Create {
        /// The resource as it will be stored, without `id` and `meta`.
        resource: &'a mut Resource,
    },
    /// A resource replaced (`PUT`) or patched (`PATCH`). A rule may amend it.
    Replace {
        /// The resource as it will be stored.
        resource: &'a mut Resource,
        /// The stored resource it replaces.
        previous: &'a Resource,
    },
    /// A resource deleted (`DELETE`, a bulk `DELETE`).
    Delete {
        /// The stored resource about to go.
        previous: &'a Resource,
    },
    /// Group members added and removed without the group being read (how Entra and Okta
    /// change membership, whatever the group's size).
    Members {
        /// The group's id.
        group_id: &'a str,
        /// The members to add and the ids to remove.
        change: &'a MemberChange,
    },
}

impl<'a> Write<'a> {
    pub(super) fn new(
        ctx: &'a RequestContext,
        kind: ResourceKind,
        change: WriteChange<'a>,
        store: &'a dyn StoreView,
    ) -> Self {
        Self {
            ctx,
            kind,
            change,
            store,
        }
    }

    /// The resource as it will be stored, for a create or a replace; `None` for a delete or
    /// a membership change.
    pub fn resource(&self) -> Option<&Resource> {
        match &self.change {
            WriteChange::Create { resource } | WriteChange::Replace { resource, .. } => {
                Some(resource)
            }
            _ => None,
        }
    }

    /// The resource as it will be stored, to amend (a default role, a normalised value).
    /// It is stored as the rules leave it: keep it valid for its schemas.
    pub fn resource_mut(&mut self) -> Option<&mut Resource> {
        match &mut self.change {
            WriteChange::Create { resource } | WriteChange::Replace { resource, .. } => {
                Some(resource)
            }
            _ => None,
        }
    }

    /// The stored resource a replace replaces or a delete removes.
    pub fn previous(&self) -> Option<&'a Resource> {
        match self.change {
            WriteChange::Replace { previous, .. } | WriteChange::Delete { previous } => {
                Some(previous)
            }
            _ => None,
        }
    }

    /// The id of the resource written (`None` for a create: it has none yet).
    pub fn id(&self) -> Option<&str> {
        match &self.change {
            WriteChange::Create { .. } => None,
            WriteChange::Replace { previous, .. } | WriteChange::Delete { previous } => {
                previous.id()
            }
            WriteChange::Members { group_id, .. } => Some(group_id),
        }
    }

    /// The store, to read in the request's tenant (another user with the same email, the
    /// groups a user is in, who created a resource).
    pub fn store(&self) -> &'a dyn StoreView {
        self.store
    }
}

/// The store as a rule reads it: the request's tenant only, errors as the request would
/// answer them.
pub trait StoreView: Send + Sync {
    /// The resource `id` of type `kind`, or `None` if there is none.
    fn get<'a>(&'a self, kind: ResourceKind, id: &'a str) -> ViewFuture<'a, Option<Resource>>;
    /// A page of the resources of type `kind` that `query` selects.
    fn list<'a>(&'a self, kind: ResourceKind, query: &'a ListQuery) -> ViewFuture<'a, ListPage>;
    /// Who created the resource `id`: the directory, or the app.
    fn provenance<'a>(&'a self, kind: ResourceKind, id: &'a str) -> ViewFuture<'a, Provenance>;
}

/// A store seen from one request.
pub(super) struct View<'a, S> {
    pub(super) store: &'a S,
    pub(super) ctx: &'a RequestContext,
}

impl<S: ScimStore> StoreView for View<'_, S> {
    fn get<'a>(&'a self, kind: ResourceKind, id: &'a str) -> ViewFuture<'a, Option<Resource>> {
        Box::pin(async move {
            match self.store.get(self.ctx, kind, id).await {
                Ok(resource) => Ok(Some(resource)),
                Err(StoreError::NotFound { .. }) => Ok(None),
                Err(err) => Err(super::ops::store_error(err)),
            }
        })
    }

    fn list<'a>(&'a self, kind: ResourceKind, query: &'a ListQuery) -> ViewFuture<'a, ListPage> {
        Box::pin(async move {
            self.store
                .list(self.ctx, kind, query)
                .await
                .map_err(super::ops::store_error)
        })
    }

    fn provenance<'a>(&'a self, kind: ResourceKind, id: &'a str) -> ViewFuture<'a, Provenance> {
        Box::pin(async move {
            self.store
                .provenance(self.ctx, kind, id)
                .await
                .map_err(super::ops::store_error)
        })
    }
}

/// A check the engine runs before every create, replace, patch, delete and membership change
/// (bulk operations and dry runs included). An error answers the request as it is; its
/// `detail` is what the admin reads in Entra's provisioning log, so say what to fix. A rule
/// may also amend the resource about to be stored ([`Write::resource_mut`]), and read the
/// store ([`Write::store`]).
///
/// A membership change Entra or Okta sends as a PATCH reaches the rules as
/// [`WriteChange::Members`], without the group (it is not read); if the store cannot apply
/// it natively, the rules then see the patched group as a [`WriteChange::Replace`] too.
///
/// A plain function is a rule:
///
/// ```
/// use scim_core::ScimError;
/// use scim_core::engine::{RoleMapping, Write};
///
/// let roles = RoleMapping::new().with("Admin", "admin").with("User", "member");
/// let one_global_role = move |write: &Write<'_>| {
///     if write.resource().is_some_and(|user| roles.all(user).len() > 1) {
///         return Err(ScimError::invalid_value("a user can hold only one global role"));
///     }
///     Ok(())
/// };
/// # let _: &dyn scim_core::engine::WriteRule = &one_global_role;
/// ```
///
/// A rule that reads the store, or amends, implements the trait:
///
/// ```
/// use scim_core::{ListQuery, ResourceKind, ScimError};
/// use scim_core::engine::{RuleFuture, Write, WriteRule};
/// use scim_filter::Filter;
/// use serde_json::json;
///
/// /// No two users share a work email; a user without roles gets `member`.
/// struct Accounts;
///
/// impl WriteRule for Accounts {
///     fn check<'a>(&'a self, write: &'a mut Write<'_>) -> RuleFuture<'a> {
///         Box::pin(async move {
///             let Some(user) = write.resource().filter(|_| write.kind == ResourceKind::User)
///             else {
///                 return Ok(());
///             };
///             if let Some(email) = user.get("emails").and_then(|e| e[0]["value"].as_str()) {
///                 let filter = Filter::parse(&format!("emails.value eq {}", json!(email)))
///                     .map_err(|e| ScimError::invalid_value(e.to_string()))?;
///                 let query = ListQuery::new().with_filter(filter);
///                 let taken = write.store().list(ResourceKind::User, &query).await?;
///                 if taken.resources.iter().any(|other| other.id() != write.id()) {
///                     return Err(ScimError::uniqueness(format!("{email} is another user's email")));
///                 }
///             }
///             if let Some(user) = write.resource_mut().filter(|u| u.get("roles").is_none()) {
///                 user.as_json_mut().insert("roles".into(), json!([{"value": "member"}]));
///             }
///             Ok(())
///         })
///     }
/// }
/// # let _: &dyn WriteRule = &Accounts;
/// ```
pub trait WriteRule: Send + Sync + 'static {
    /// `Ok` to let the write happen (as the rule may have amended it).
    fn check<'a>(&'a self, write: &'a mut Write<'_>) -> RuleFuture<'a>;
}

impl<F> WriteRule for F
where
    F: Fn(&Write<'_>) -> Result<(), ScimError> + Send + Sync + 'static,
{
    fn check<'a>(&'a self, write: &'a mut Write<'_>) -> RuleFuture<'a> {
        Box::pin(std::future::ready(self(write)))
    }
}

/// A synchronous rule that may amend the write: fill in a default, normalise a value. (A
/// plain `Fn(&Write)` closure is a rule that only checks.)
///
/// ```
/// use scim_core::engine::{Amend, BearerToken, Engine, Write};
/// use scim_core::{MemoryStore, ResourceKind, ScimError};
/// use serde_json::json;
///
/// /// Users without a role get the default one.
/// fn default_role(write: &mut Write<'_>) -> Result<(), ScimError> {
///     if write.kind == ResourceKind::User
///         && let Some(user) = write.resource_mut().filter(|u| u.get("roles").is_none())
///     {
///         user.as_json_mut().insert("roles".into(), json!([{"value": "member"}]));
///     }
///     Ok(())
/// }
///
/// let engine = Engine::builder(MemoryStore::new(), BearerToken::new("s3cret"))
///     .rule(Amend(default_role))
///     .build();
/// # let _ = engine;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Amend<F>(pub F);

impl<F> WriteRule for Amend<F>
where
    F: Fn(&mut Write<'_>) -> Result<(), ScimError> + Send + Sync + 'static,
{
    fn check<'a>(&'a self, write: &'a mut Write<'_>) -> RuleFuture<'a> {
        Box::pin(std::future::ready((self.0)(write)))
    }
}

/// The rule that keeps what the app created out of the directory's reach: a `DELETE` of a
/// resource the app made itself (an account that signed up, or existed before SCIM) is
/// refused with `403` and `detail`, and the resource stays. What the directory created it
/// may delete. Stores that do not know who created a resource ([`Provenance::Unknown`]) let
/// every delete through.
///
/// ```
/// use scim_core::engine::{BearerToken, Engine, KeepAppCreated};
/// use scim_core::MemoryStore;
///
/// let engine = Engine::builder(MemoryStore::new(), BearerToken::new("s3cret"))
///     .rule(KeepAppCreated::new())
///     .build();
/// # let _ = engine;
/// ```
#[derive(Debug, Clone)]
pub struct KeepAppCreated {
    detail: String,
}

impl Default for KeepAppCreated {
    fn default() -> Self {
        Self::new()
    }
}

impl KeepAppCreated {
    /// With the default detail.
    pub fn new() -> Self {
        Self {
            detail: "this account was created in the app, not by the directory: remove it in \
                     the app"
                .to_owned(),
        }
    }

    /// With the app's own detail.
    #[must_use]
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
}

impl WriteRule for KeepAppCreated {
    fn check<'a>(&'a self, write: &'a mut Write<'_>) -> RuleFuture<'a> {
        Box::pin(async move {
            let WriteChange::Delete { previous } = write.change else {
                return Ok(());
            };
            let Some(id) = previous.id() else {
                return Ok(());
            };
            match write.store().provenance(write.kind, id).await? {
                Provenance::App => Err(ScimError::new(403, self.detail.clone())),
                _ => Ok(()),
            }
        })
    }
}

/// Maps the `roles` values Entra sends (`Admin`, `ReadOnly`... from app-role assignments) to
/// the app's own roles. Values match without regard to case.
///
/// ```
/// use scim_core::{Compat, ResourceKind, SchemaRegistry};
/// use scim_core::engine::RoleMapping;
/// use serde_json::json;
///
/// #[derive(Debug, PartialEq)]
/// enum Role { Admin, Member }
///
/// let roles = RoleMapping::new().with("Admin", Role::Admin).with("User", Role::Member);
/// let user = SchemaRegistry::new().resource(ResourceKind::User).validate_create(json!({
///     "userName": "bjensen",
///     "roles": [{"value": "User"}, {"value": "admin", "primary": "True"}],
/// }), &Compat::entra())?;
/// assert_eq!(roles.primary(&user), Some(&Role::Admin), "roles[primary eq \"True\"].value");
/// assert_eq!(roles.all(&user), [&Role::Member, &Role::Admin]);
/// # Ok::<(), scim_core::ScimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct RoleMapping<T> {
    roles: Vec<(String, T)>,
}

impl<T> Default for RoleMapping<T> {
    fn default() -> Self {
        Self { roles: Vec::new() }
    }
}

impl<T> RoleMapping<T> {
    /// No mappings.
    pub fn new() -> Self {
        Self::default()
    }

    /// Maps the SCIM role `value` to `role`.
    #[must_use]
    pub fn with(mut self, value: impl Into<String>, role: T) -> Self {
        self.roles.push((value.into(), role));
        self
    }

    fn lookup(&self, value: &str) -> Option<&T> {
        self.roles
            .iter()
            .find(|(v, _)| v.eq_ignore_ascii_case(value))
            .map(|(_, role)| role)
    }

    fn entries(resource: &Resource) -> impl Iterator<Item = &Value> {
        resource
            .get("roles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
    }

    /// The app role of `roles[primary eq "True"].value`; with no primary role, of the only
    /// role. Unmapped values are ignored.
    pub fn primary(&self, resource: &Resource) -> Option<&T> {
        let primary = Self::entries(resource).find(|r| {
            r.get("primary").is_some_and(|p| {
                p.as_bool() == Some(true)
                    || p.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true"))
            })
        });
        let chosen = primary.or_else(|| {
            let mut all = Self::entries(resource);
            all.next().filter(|_| all.next().is_none())
        });
        chosen
            .and_then(|r| r.get("value"))
            .and_then(Value::as_str)
            .and_then(|v| self.lookup(v))
    }

    /// The app roles of every mapped `roles` value, in the order they are listed.
    pub fn all(&self, resource: &Resource) -> Vec<&T> {
        Self::entries(resource)
            .filter_map(|r| r.get("value").and_then(Value::as_str))
            .filter_map(|v| self.lookup(v))
            .collect()
    }
}
