//! The compatibility policy: one switch per known client deviation from RFC 7643/7644, with
//! presets for RFC-literal servers, Entra and Okta.

use scim_patch::PatchCompat;

/// What to do with an attribute no registered schema defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UnknownAttributes {
    /// Refuse the request: `400 invalidValue` (`invalidPath` in a PATCH) naming the attribute.
    /// A typo such as `email[type eq "work"].value` then fails loudly instead of vanishing.
    Reject,
    /// Drop it silently and store the rest.
    Ignore,
    /// Store it as sent and return it, unchecked: nothing a client sends is lost.
    Keep,
}

/// The compatibility policy, settable per tenant. Forms that cannot be mistaken for anything
/// else (capitalised `op`, attribute names in any case, dotted keys in a path-less PATCH
/// value) are accepted under every preset.
///
/// ```
/// use scim_core::{Compat, UnknownAttributes};
///
/// assert_eq!(Compat::default(), Compat::entra());
/// let strict = Compat::strict();
/// assert!(!strict.patch.string_booleans && !strict.missing_extension_schemas);
/// let mine = Compat::entra().with_unknown_attributes(UnknownAttributes::Keep);
/// assert_eq!(mine.unknown_attributes, UnknownAttributes::Keep);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Compat {
    /// PATCH dialects. Its `string_booleans` (`"True"` for a boolean) and
    /// `complex_from_string` (a bare manager id) switches apply to POST and PUT bodies and to
    /// filters too.
    pub patch: PatchCompat,
    /// An extension's attributes may arrive without its URN in `schemas`, and `schemas` may
    /// lack the core URN: Entra omits custom extension URNs. The server rebuilds `schemas`.
    pub missing_extension_schemas: bool,
    /// Entra's pre-2018 group schema URI
    /// (`http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group`) is
    /// accepted in `schemas` and dropped.
    pub legacy_group_schema: bool,
    /// What happens to attributes no schema defines.
    pub unknown_attributes: UnknownAttributes,
    /// Values of attributes with `canonicalValues` must be one of them (case-insensitively
    /// unless the attribute is caseExact). RFC 7643 only suggests them, so this is off in every
    /// preset; an app that wants strictness turns it on.
    pub enforce_canonical_values: bool,
}

impl Compat {
    /// RFC 7643/7644 as written.
    pub const fn strict() -> Self {
        Self {
            patch: PatchCompat::strict(),
            missing_extension_schemas: false,
            legacy_group_schema: false,
            unknown_attributes: UnknownAttributes::Reject,
            enforce_canonical_values: false,
        }
    }

    /// Every Entra request shape, old and new (and Okta's). The default.
    pub const fn entra() -> Self {
        Self {
            patch: PatchCompat::entra(),
            missing_extension_schemas: true,
            legacy_group_schema: true,
            unknown_attributes: UnknownAttributes::Reject,
            enforce_canonical_values: false,
        }
    }

    /// What Okta needs beyond the RFC.
    pub const fn okta() -> Self {
        Self {
            patch: PatchCompat::okta(),
            ..Self::strict()
        }
    }

    /// This policy with other PATCH switches.
    #[must_use]
    pub const fn with_patch(mut self, patch: PatchCompat) -> Self {
        self.patch = patch;
        self
    }

    /// This policy with [`missing_extension_schemas`](Self::missing_extension_schemas) set.
    #[must_use]
    pub const fn with_missing_extension_schemas(mut self, on: bool) -> Self {
        self.missing_extension_schemas = on;
        self
    }

    /// This policy with [`legacy_group_schema`](Self::legacy_group_schema) set.
    #[must_use]
    pub const fn with_legacy_group_schema(mut self, on: bool) -> Self {
        self.legacy_group_schema = on;
        self
    }

    /// This policy with another treatment of unknown attributes.
    #[must_use]
    pub const fn with_unknown_attributes(mut self, unknown: UnknownAttributes) -> Self {
        self.unknown_attributes = unknown;
        self
    }

    /// This policy with [`enforce_canonical_values`](Self::enforce_canonical_values) set.
    #[must_use]
    pub const fn with_enforce_canonical_values(mut self, on: bool) -> Self {
        self.enforce_canonical_values = on;
        self
    }
}

impl Default for Compat {
    fn default() -> Self {
        Self::entra()
    }
}
