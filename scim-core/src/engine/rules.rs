//! App rules: checks an app runs on every write, and mapping Entra's roles to the app's.

use serde_json::Value;

use crate::{RequestContext, Resource, ScimError};

/// A write about to happen: the resource as it will be stored, and what it replaces.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Write<'a> {
    /// The request.
    pub ctx: &'a RequestContext,
    /// The resource as it will be stored (without `id` and `meta` on a create).
    pub resource: &'a Resource,
    /// The stored resource it replaces; `None` on a create.
    pub previous: Option<&'a Resource>,
}

/// A check the engine runs before every create, replace and patch (dry runs included). An
/// error answers the request as it is; its `detail` is what the admin reads in Entra's
/// provisioning log, so say what to fix.
///
/// ```
/// use scim_core::ScimError;
/// use scim_core::engine::{RoleMapping, Write};
///
/// let roles = RoleMapping::new().with("Admin", "admin").with("User", "member");
/// let one_global_role = move |write: &Write<'_>| {
///     if roles.all(write.resource).len() > 1 {
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
