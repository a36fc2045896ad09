//! A schema for the tests: the User, EnterpriseUser and Group attributes of RFC 7643 §4 and a
//! custom extension, answering `AttributeLookup` the way scim-core's registry will.

#![allow(dead_code, unreachable_pub, reason = "each test file uses part of it")]

use scim_filter::{AttrInfo, AttrType, AttributeLookup, SchemaKind};
use scim_patch::{PatchError, PatchRequest, Patcher};
use serde_json::{Value, json};

pub const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const CORE_GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const CUSTOM: &str = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User";
/// The same extension name in the other spelling seen in the field.
pub const CUSTOM2: &str = "urn:ietf:params:scim:schemas:extension:2.0:CustomExtensionName";
/// A free-form namespace: every key is a string attribute.
pub const METADATA: &str = "urn:ietf:params:scim:schemas:extension:2.0:Metadata";
const EXTENSIONS: [&str; 4] = [ENTERPRISE, CUSTOM, CUSTOM2, METADATA];

use AttrType::{Boolean, Complex, Reference, String as Str};

/// (name, type, multi-valued, case-exact)
type Attr = (&'static str, AttrType, bool, bool);

const MULTI_SUBS: &[Attr] = &[
    ("value", Str, false, false),
    ("display", Str, false, false),
    ("type", Str, false, false),
    ("primary", Boolean, false, false),
];

fn core_attributes() -> &'static [Attr] {
    &[
        ("id", Str, false, true),
        ("externalId", Str, false, true),
        ("userName", Str, false, false),
        ("name", Complex, false, false),
        ("displayName", Str, false, false),
        ("nickName", Str, false, false),
        ("profileUrl", Reference, false, false),
        ("title", Str, false, false),
        ("userType", Str, false, false),
        ("preferredLanguage", Str, false, false),
        ("locale", Str, false, false),
        ("timezone", Str, false, false),
        ("active", Boolean, false, false),
        ("password", Str, false, false),
        ("emails", Complex, true, false),
        ("phoneNumbers", Complex, true, false),
        ("ims", Complex, true, false),
        ("photos", Complex, true, false),
        ("addresses", Complex, true, false),
        ("groups", Complex, true, false),
        ("entitlements", Complex, true, false),
        ("roles", Complex, true, false),
        ("x509Certificates", Complex, true, false),
        // Group
        ("members", Complex, true, false),
    ]
}

fn sub_attributes(parent: &str) -> &'static [Attr] {
    match parent.to_ascii_lowercase().as_str() {
        "name" => &[
            ("formatted", Str, false, false),
            ("familyName", Str, false, false),
            ("givenName", Str, false, false),
            ("middleName", Str, false, false),
            ("honorificPrefix", Str, false, false),
            ("honorificSuffix", Str, false, false),
        ],
        "addresses" => &[
            ("formatted", Str, false, false),
            ("streetAddress", Str, false, false),
            ("locality", Str, false, false),
            ("region", Str, false, false),
            ("postalCode", Str, false, false),
            ("country", Str, false, false),
            ("type", Str, false, false),
            ("primary", Boolean, false, false),
        ],
        "members" | "manager" => &[
            ("value", Str, false, true),
            ("$ref", Reference, false, false),
            ("display", Str, false, false),
            ("displayName", Str, false, false),
            ("type", Str, false, false),
        ],
        "emails" | "phonenumbers" | "ims" | "photos" | "groups" | "entitlements" | "roles"
        | "x509certificates" => MULTI_SUBS,
        _ => &[],
    }
}

fn extension_attributes(urn: &str) -> &'static [Attr] {
    if urn.eq_ignore_ascii_case(ENTERPRISE) {
        &[
            ("employeeNumber", Str, false, false),
            ("costCenter", Str, false, false),
            ("organization", Str, false, false),
            ("division", Str, false, false),
            ("department", Str, false, false),
            ("manager", Complex, false, false),
        ]
    } else if urn.eq_ignore_ascii_case(CUSTOM) || urn.eq_ignore_ascii_case(CUSTOM2) {
        &[("tag", Str, false, false), ("folders", Str, true, false)]
    } else {
        &[]
    }
}

fn info((name, kind, multi, exact): &'static Attr) -> AttrInfo<'static> {
    AttrInfo::new(name, *kind)
        .multi_valued(*multi)
        .case_exact(*exact)
}

fn find(list: &'static [Attr], name: &str) -> Option<&'static Attr> {
    list.iter().find(|(n, ..)| n.eq_ignore_ascii_case(name))
}

/// The test schema.
pub struct Schema;

impl AttributeLookup for Schema {
    fn attribute<'a>(&'a self, schema: Option<&'a str>, name: &'a str) -> Option<AttrInfo<'a>> {
        let core =
            |s: &str| s.eq_ignore_ascii_case(CORE_USER) || s.eq_ignore_ascii_case(CORE_GROUP);
        match schema {
            None => find(core_attributes(), name).map(info).or_else(|| {
                [ENTERPRISE, CUSTOM].into_iter().find_map(|urn| {
                    find(extension_attributes(urn), name).map(|a| info(a).extension(urn))
                })
            }),
            Some(s) if core(s) => find(core_attributes(), name).map(info),
            Some(s) if s.eq_ignore_ascii_case(METADATA) => {
                let valid = name.starts_with(|c: char| c.is_ascii_alphabetic());
                valid.then(|| AttrInfo::new(name, Str).extension(METADATA))
            }
            Some(s) => {
                let urn = EXTENSIONS.into_iter().find(|u| u.eq_ignore_ascii_case(s))?;
                find(extension_attributes(urn), name).map(|a| info(a).extension(urn))
            }
        }
    }

    fn sub_attribute<'a>(
        &'a self,
        _schema: Option<&'a str>,
        parent: &'a str,
        sub: &'a str,
    ) -> Option<AttrInfo<'a>> {
        find(sub_attributes(parent), sub).map(info)
    }

    fn schema_kind(&self, urn: &str) -> Option<SchemaKind> {
        if urn.eq_ignore_ascii_case(CORE_USER) || urn.eq_ignore_ascii_case(CORE_GROUP) {
            Some(SchemaKind::Core)
        } else if EXTENSIONS.iter().any(|u| u.eq_ignore_ascii_case(urn)) {
            Some(SchemaKind::Extension)
        } else {
            None
        }
    }
}

/// A PatchOp body with these operations.
pub fn body(operations: Value) -> Value {
    let mut body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]});
    body["Operations"] = operations;
    body
}

/// Applies `operations` to `resource` with the test schema and the default (Entra) policy.
pub fn patch(resource: &mut Value, operations: Value) -> Result<scim_patch::Outcome, PatchError> {
    patch_with(&Patcher::new(Schema), resource, operations)
}

/// Applies `operations` to `resource` with `patcher`.
pub fn patch_with<L: AttributeLookup>(
    patcher: &Patcher<L>,
    resource: &mut Value,
    operations: Value,
) -> Result<scim_patch::Outcome, PatchError> {
    let request = PatchRequest::from_value(body(operations))?;
    patcher.apply(request, resource)
}

/// The RFC 7643 §8.3 enterprise user, as in `bench/user.json`.
pub fn babs() -> Value {
    serde_json::from_str(include_str!("../../../bench/user.json")).unwrap()
}

/// A group with three members.
pub fn group() -> Value {
    json!({
        "schemas": [CORE_GROUP],
        "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
        "displayName": "Tour Guides",
        "members": [
            {"value": "2819c223-7f76-453a-919d-413861904646", "$ref": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646", "display": "Babs Jensen"},
            {"value": "902c246b-6245-4190-8e05-00816be7344a", "$ref": "https://example.com/v2/Users/902c246b-6245-4190-8e05-00816be7344a", "display": "Mandy Pepperidge"},
            {"value": "b2b2b2b2-0000-4000-8000-000000000002", "display": "Kim Lee"}
        ]
    })
}

/// The members' ids, in order.
pub fn member_ids(group: &Value) -> Vec<&str> {
    group["members"]
        .as_array()
        .map(|m| m.iter().map(|m| m["value"].as_str().unwrap()).collect())
        .unwrap_or_default()
}
