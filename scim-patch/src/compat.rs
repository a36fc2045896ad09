//! The request shapes of Microsoft Entra ID and Okta that depart from RFC 7644, each behind a
//! switch. scim-core's compatibility guide (`scim-core/docs/compatibility.md`) lists what Entra and
//! Okta send, with the sources.
//!
//! Forms that cannot be confused with anything else are always accepted and have no switch:
//! `op` in any case, attribute names in any case, dotted and URN-qualified keys in a path-less
//! value, `null` sub-attributes such as `"$ref": null` (RFC 7643 §2.5: null means unassigned),
//! and `replace members []`.

/// Which non-RFC PATCH forms are accepted. [`PatchCompat::entra`] is the default: it accepts
/// every form listed here, Okta's included, so that any provisioning client works unconfigured.
///
/// ```
/// use scim_patch::PatchCompat;
///
/// assert_eq!(PatchCompat::default(), PatchCompat::entra());
/// let strict = PatchCompat::strict();
/// assert!(!strict.string_booleans && !strict.create_missing_elements);
/// let custom = PatchCompat::strict().with_string_booleans(true);
/// assert!(custom.string_booleans && !custom.complex_from_string);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct PatchCompat {
    /// `"True"` / `"False"` (any case) for a boolean attribute or sub-attribute, stored as a
    /// boolean, and matched as one in value filters (`roles[primary eq "True"]`). Entra's
    /// default disable request is `{"op": "Replace", "path": "active", "value": "False"}`.
    pub string_booleans: bool,
    /// A bare string for a complex attribute, stored as `{"value": ...}`: Entra sends the
    /// manager as `"value": "<manager id>"`. An empty string removes the attribute.
    pub complex_from_string: bool,
    /// `remove` of a multi-valued attribute with a `value` list removes just the listed
    /// elements (matched by their `value`), as Entra removes group members. Without it the
    /// value is ignored and the whole attribute is removed, as RFC 7644 reads.
    pub remove_by_value_list: bool,
    /// `add` / `replace` through a value filter that matches nothing creates the element from
    /// the filter's `eq` terms (`emails[type eq "work"].value` creates a work email). Several
    /// operations on the same missing element then land in one new element. Without it such an
    /// operation fails with `noTarget` (RFC 7644 §3.5.2.3).
    pub create_missing_elements: bool,
    /// An `id` inside a path-less `replace` value is ignored: Okta renames a group with
    /// `{"op": "replace", "value": {"id": "<group id>", "displayName": "..."}}`.
    pub ignore_id_in_value: bool,
}

impl PatchCompat {
    /// RFC 7644 as written: every switch off.
    pub const fn strict() -> Self {
        Self {
            string_booleans: false,
            complex_from_string: false,
            remove_by_value_list: false,
            create_missing_elements: false,
            ignore_id_in_value: false,
        }
    }

    /// Every switch on: all of Entra's request shapes, old and new, and Okta's. The default.
    pub const fn entra() -> Self {
        Self {
            string_booleans: true,
            complex_from_string: true,
            remove_by_value_list: true,
            create_missing_elements: true,
            ignore_id_in_value: true,
        }
    }

    /// What Okta needs beyond the RFC: the stray `id` in a rename.
    pub const fn okta() -> Self {
        Self {
            ignore_id_in_value: true,
            ..Self::strict()
        }
    }

    /// These switches with [`string_booleans`](Self::string_booleans) set.
    #[must_use]
    pub const fn with_string_booleans(mut self, on: bool) -> Self {
        self.string_booleans = on;
        self
    }

    /// These switches with [`complex_from_string`](Self::complex_from_string) set.
    #[must_use]
    pub const fn with_complex_from_string(mut self, on: bool) -> Self {
        self.complex_from_string = on;
        self
    }

    /// These switches with [`remove_by_value_list`](Self::remove_by_value_list) set.
    #[must_use]
    pub const fn with_remove_by_value_list(mut self, on: bool) -> Self {
        self.remove_by_value_list = on;
        self
    }

    /// These switches with [`create_missing_elements`](Self::create_missing_elements) set.
    #[must_use]
    pub const fn with_create_missing_elements(mut self, on: bool) -> Self {
        self.create_missing_elements = on;
        self
    }

    /// These switches with [`ignore_id_in_value`](Self::ignore_id_in_value) set.
    #[must_use]
    pub const fn with_ignore_id_in_value(mut self, on: bool) -> Self {
        self.ignore_id_in_value = on;
        self
    }
}

impl Default for PatchCompat {
    fn default() -> Self {
        Self::entra()
    }
}
