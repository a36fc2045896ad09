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
    /// Unquoted filter literals where they cannot be read two ways:
    /// `name.familyName eq Employee`, `meta.created gt 2015-10-10T14:38:21-07:00`. A bare
    /// `true`, `false`, `null` or JSON number keeps its JSON meaning; any other word up to the
    /// next space or bracket is a string. Microsoft's reference server accepts them; RFC 7644
    /// §3.4.2.2 requires quotes.
    pub unquoted_filter_literals: bool,
    /// A value filter inside `attributes` or `excludedAttributes` is read as the attribute it
    /// filters (`emails[type eq "work"]` as `emails`), as Microsoft's reference server does;
    /// RFC 7644 §3.4.2.5 takes attribute paths only (`400 invalidPath`).
    pub filters_in_attributes: bool,
    /// A successful PATCH answers `204 No Content` whatever
    /// [`EngineBuilder::patch_response`](crate::engine::EngineBuilder::patch_response) says,
    /// as Microsoft's reference server does (scim-sanity expects `200`).
    pub patch_no_content: bool,
    /// Where a group member's `display` comes from when the group is read.
    pub member_display: MemberDisplay,
}

/// Where a group member's `display` comes from when a group is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MemberDisplay {
    /// The member's current `displayName` (of the user or group it references), supplied by
    /// the server as RFC 7643 §4.2 has it (a member's sub-attributes are the server's); what
    /// the client sent only for a member without one. The default.
    Referenced,
    /// What the client sent, as Microsoft's reference server keeps it (a member's
    /// `displayName` read as its `display`); the referenced `displayName` only for a member
    /// sent without one.
    AsSent,
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
            unquoted_filter_literals: false,
            filters_in_attributes: false,
            patch_no_content: false,
            member_display: MemberDisplay::Referenced,
        }
    }

    /// Every Entra request shape, old and new (and Okta's). The default.
    pub const fn entra() -> Self {
        Self {
            patch: PatchCompat::entra(),
            missing_extension_schemas: true,
            legacy_group_schema: true,
            ..Self::strict()
        }
    }

    /// What Microsoft's reference server (AzureAD/SCIMReferenceCode) accepts, for clients
    /// written against it: [`Compat::entra`] plus unquoted filter literals, value filters in
    /// `attributes`, unknown attributes ignored, PATCH answered `204` and members' `display`
    /// kept as sent. Each is a deviation from RFC 7644 that hides client mistakes, so this is
    /// never a default.
    pub const fn lenient() -> Self {
        Self {
            unknown_attributes: UnknownAttributes::Ignore,
            unquoted_filter_literals: true,
            filters_in_attributes: true,
            patch_no_content: true,
            member_display: MemberDisplay::AsSent,
            ..Self::entra()
        }
    }

    /// The preset called `name`: `strict`, `entra`, `okta` or `lenient` (any case).
    ///
    /// ```
    /// use scim_core::Compat;
    ///
    /// assert_eq!(Compat::named("Lenient"), Some(Compat::lenient()));
    /// assert_eq!(Compat::named("loose"), None);
    /// ```
    pub fn named(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "strict" => Self::strict(),
            "entra" => Self::entra(),
            "okta" => Self::okta(),
            "lenient" => Self::lenient(),
            _ => return None,
        })
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

    /// This policy with [`unquoted_filter_literals`](Self::unquoted_filter_literals) set.
    #[must_use]
    pub const fn with_unquoted_filter_literals(mut self, on: bool) -> Self {
        self.unquoted_filter_literals = on;
        self
    }

    /// This policy with [`filters_in_attributes`](Self::filters_in_attributes) set.
    #[must_use]
    pub const fn with_filters_in_attributes(mut self, on: bool) -> Self {
        self.filters_in_attributes = on;
        self
    }

    /// This policy with [`patch_no_content`](Self::patch_no_content) set.
    #[must_use]
    pub const fn with_patch_no_content(mut self, on: bool) -> Self {
        self.patch_no_content = on;
        self
    }

    /// This policy with another source of members' `display`.
    #[must_use]
    pub const fn with_member_display(mut self, display: MemberDisplay) -> Self {
        self.member_display = display;
        self
    }
}

impl Default for Compat {
    fn default() -> Self {
        Self::entra()
    }
}
