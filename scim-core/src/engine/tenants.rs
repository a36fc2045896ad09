//! Tenants: where a request's tenant comes from, and each tenant's settings.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use percent_encoding::percent_decode_str;

use crate::{Compat, ResourceKind};

/// One tenant's settings. Anything left `None` takes the engine's value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TenantSettings {
    /// Whether the tenant may provision. A disabled tenant's requests are `403`.
    pub enabled: bool,
    /// What a disabled tenant's admin reads in the `403` (their plan lacks provisioning...).
    pub disabled_detail: Option<String>,
    /// The compatibility policy.
    pub compat: Option<Compat>,
    /// The most resources one list response returns (never above the engine's).
    pub max_results: Option<usize>,
    /// The largest request body, in bytes (never above the engine's).
    pub max_payload_size: Option<usize>,
    /// How many requests the tenant may send (instead of the engine's limit, if any).
    pub rate_limit: Option<super::RateLimit>,
    /// Resource types the tenant may not provision (its plan lacks them), with what its
    /// admin reads in the `403`.
    pub withheld: Vec<(ResourceKind, String)>,
}

impl Default for TenantSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            disabled_detail: None,
            compat: None,
            max_results: None,
            max_payload_size: None,
            rate_limit: None,
            withheld: Vec::new(),
        }
    }
}

impl TenantSettings {
    /// Enabled, with the engine's policy and limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// Disabled: every request is `403` with `detail`.
    #[must_use]
    pub fn disabled(mut self, detail: impl Into<String>) -> Self {
        self.enabled = false;
        self.disabled_detail = Some(detail.into());
        self
    }

    /// With its own compatibility policy.
    #[must_use]
    pub fn compat(mut self, compat: Compat) -> Self {
        self.compat = Some(compat);
        self
    }

    /// With a lower `maxResults`.
    #[must_use]
    pub fn max_results(mut self, max: usize) -> Self {
        self.max_results = Some(max);
        self
    }

    /// With a lower body limit.
    #[must_use]
    pub fn max_payload_size(mut self, max: usize) -> Self {
        self.max_payload_size = Some(max);
        self
    }

    /// With its own rate limit, in place of the engine's.
    #[must_use]
    pub fn rate_limit(mut self, limit: super::RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Without `kind` (group provisioning sold as an add-on): its endpoint answers `403`
    /// with `detail`, discovery (`/ResourceTypes`, `/Schemas`, the root `/.search`) leaves
    /// it out, and bulk operations on it are refused one by one. The tenant's other
    /// resource types work as before.
    ///
    /// ```
    /// use scim_core::ResourceKind;
    /// use scim_core::engine::{TenantSettings, Tenants};
    ///
    /// let tenants = Tenants::new();
    /// tenants.set(
    ///     "acme",
    ///     TenantSettings::new().without(ResourceKind::Group, "Group provisioning is an add-on."),
    /// );
    /// assert!(tenants.withheld("acme", ResourceKind::Group).is_some());
    /// assert!(tenants.withheld("acme", ResourceKind::User).is_none());
    /// ```
    #[must_use]
    pub fn without(mut self, kind: ResourceKind, detail: impl Into<String>) -> Self {
        self.withheld.retain(|(k, _)| *k != kind);
        self.withheld.push((kind, detail.into()));
        self
    }
}

/// Every tenant's settings, shared by clones: the app keeps one and changes a tenant's
/// settings while the engine runs (a customer's plan changes). Tenants without settings
/// get [`TenantSettings::default`].
///
/// ```
/// use scim_core::engine::{TenantSettings, Tenants};
///
/// let tenants = Tenants::new();
/// tenants.set("acme", TenantSettings::new().disabled("Provisioning needs the Enterprise plan."));
/// assert!(!tenants.get("acme").enabled);
/// assert!(tenants.get("globex").enabled);
/// ```
#[derive(Clone, Default)]
pub struct Tenants {
    inner: Arc<RwLock<HashMap<String, TenantSettings>>>,
}

impl fmt::Debug for Tenants {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self
            .inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("Tenants")
            .field("configured", &count)
            .finish()
    }
}

impl Tenants {
    /// No tenant configured: every tenant has the defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `tenant`'s settings.
    pub fn set(&self, tenant: impl Into<String>, settings: TenantSettings) {
        self.inner
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(tenant.into(), settings);
    }

    /// What `tenant`'s admin reads when its plan lacks `kind`; `None` if it has it.
    pub fn withheld(&self, tenant: &str, kind: ResourceKind) -> Option<String> {
        let settings = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        let withheld = &settings.get(tenant)?.withheld;
        withheld
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, detail)| detail.clone())
    }

    /// `tenant`'s settings.
    pub fn get(&self, tenant: &str) -> TenantSettings {
        self.inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(tenant)
            .cloned()
            .unwrap_or_default()
    }
}

/// Where in the path the tenant is: a template such as `/{tenant}/v2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TenantPath {
    segments: Vec<String>,
}

/// What the front of a path says: the tenant it names, whether it is a dry run, the prefix
/// those took, and the rest.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Located<'a> {
    pub(super) tenant: Option<String>,
    pub(super) dry_run: bool,
    pub(super) prefix: &'a str,
    pub(super) rest: &'a str,
}

/// The segment after the tenant prefix that makes a request a dry run.
const DRY_RUN: &str = "dry-run";

impl TenantPath {
    /// `None` if the template has no `{tenant}` segment.
    pub(super) fn new(template: &str) -> Option<Self> {
        let segments: Vec<String> = template
            .trim_matches('/')
            .split('/')
            .map(str::to_owned)
            .collect();
        segments
            .iter()
            .any(|s| s == "{tenant}")
            .then_some(Self { segments })
    }
}

/// Splits `path` into its tenant prefix (per `template`, if any), the `/dry-run` marker and
/// the rest; `None` if the path does not fit the template.
pub(super) fn locate<'a>(template: Option<&TenantPath>, path: &'a str) -> Option<Located<'a>> {
    let mut rest = path;
    let mut tenant = None;
    let take = |rest: &mut &'a str| -> Option<&'a str> {
        let trimmed = rest.strip_prefix('/')?;
        let end = trimmed.find('/').unwrap_or(trimmed.len());
        let (segment, after) = trimmed.split_at(end);
        *rest = after;
        Some(segment)
    };
    if let Some(template) = template {
        for expected in &template.segments {
            let segment = take(&mut rest)?;
            if expected == "{tenant}" {
                let name = percent_decode_str(segment).decode_utf8().ok()?;
                if name.is_empty() {
                    return None;
                }
                tenant = Some(name.into_owned());
            } else if segment != expected {
                return None;
            }
        }
    }
    let prefix = &path[..path.len() - rest.len()];
    let mut after = rest;
    let dry_run = take(&mut after) == Some(DRY_RUN);
    if dry_run {
        rest = after;
    }
    Some(Located {
        tenant,
        dry_run,
        prefix,
        rest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_tenants_and_dry_runs() {
        let template = TenantPath::new("/{tenant}/v2").unwrap();
        let found = locate(Some(&template), "/acme%20corp/v2/dry-run/Users/1").unwrap();
        assert_eq!(found.tenant.as_deref(), Some("acme corp"));
        assert!(found.dry_run);
        assert_eq!(found.prefix, "/acme%20corp/v2");
        assert_eq!(found.rest, "/Users/1");
        let plain = locate(Some(&template), "/acme/v2/Users").unwrap();
        assert!(!plain.dry_run);
        assert_eq!(plain.rest, "/Users");
        assert_eq!(locate(Some(&template), "/acme/v3/Users"), None);
        assert_eq!(locate(Some(&template), "/acme"), None);
        assert_eq!(locate(Some(&template), "//v2/Users"), None);
        let tokens_only = locate(None, "/dry-run/Groups").unwrap();
        assert_eq!(
            (tokens_only.tenant, tokens_only.dry_run, tokens_only.rest),
            (None, true, "/Groups")
        );
        assert!(TenantPath::new("/v2").is_none());
    }
}
