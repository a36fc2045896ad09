//! App rules: checks an app runs on every write, and mapping Entra's roles to the app's.

use serde_json::Value;

use crate::{MemberChange, RequestContext, Resource, ResourceKind, ScimError};

/// A write about to happen: on which resource type, and what it changes.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Write<'a> {
    /// The request.
    pub ctx: &'a RequestContext,
    /// The resource type written.
    pub kind: ResourceKind,
    /// What the write does.
    pub change: WriteChange<'a>,
}

/// What a write does.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum WriteChange<'a> {
    /// A resource created (`POST`, a bulk `POST`).
    Create {
        /// The resource as it will be stored, without `id` and `meta`.
        resource: &'a Resource,
    },
    /// A resource replaced (`PUT`) or patched (`PATCH`).
    Replace {
        /// The resource as it will be stored.
        resource: &'a Resource,
        /// The stored resource it replaces.
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
    ) -> Self {
        Self { ctx, kind, change }
    }

    /// The resource as it will be stored, for a create or a replace; `None` for a
    /// membership change.
    pub fn resource(&self) -> Option<&'a Resource> {
        match self.change {
            WriteChange::Create { resource } | WriteChange::Replace { resource, .. } => {
                Some(resource)
            }
            WriteChange::Members { .. } => None,
        }
    }

    /// The stored resource a replace replaces.
    pub fn previous(&self) -> Option<&'a Resource> {
        match self.change {
            WriteChange::Replace { previous, .. } => Some(previous),
            _ => None,
        }
    }
}

/// A check the engine runs before every create, replace, patch and membership change (dry
/// runs included). An error answers the request as it is; its `detail` is what the admin
/// reads in Entra's provisioning log, so say what to fix.
///
/// A membership change Entra or Okta sends as a PATCH reaches the rules as
/// [`WriteChange::Members`], without the group (it is not read); if the store cannot apply
/// it natively, the rules then see the patched group as a [`WriteChange::Replace`] too.
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
pub trait WriteRule: Send + Sync + 'static {
    /// `Ok` to let the write happen.
    fn check(&self, write: &Write<'_>) -> Result<(), ScimError>;
}

impl<F> WriteRule for F
where
    F: Fn(&Write<'_>) -> Result<(), ScimError> + Send + Sync + 'static,
{
    fn check(&self, write: &Write<'_>) -> Result<(), ScimError> {
        self(write)
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
