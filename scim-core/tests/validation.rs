//! Validation of create, replace and patch results under each compatibility preset, with the
//! request shapes Entra and Okta send (the compatibility guide's U1, U8, U12, U14, U20, G1...).

use scim_core::{
    AttrType, Attribute, Compat, Mutability, Resource, ResourceKind, Schema, SchemaRegistry,
    ScimError, ScimType, UnknownAttributes,
};
use scim_patch::PatchRequest;
use serde_json::{Value, json};

const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const CUSTOM: &str = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User";
const CUSTOM2: &str = "urn:ietf:params:scim:schemas:extension:2.0:CustomExtensionName";
const METADATA: &str = "urn:ietf:params:scim:schemas:extension:2.0:Metadata";

fn registry() -> SchemaRegistry {
    SchemaRegistry::new()
        .with_extension(
            ResourceKind::User,
            Schema::new(CUSTOM, "Custom")
                .with_attribute(Attribute::new("tag", AttrType::String))
                .with_attribute(Attribute::new("hired", AttrType::DateTime))
                .with_attribute(
                    Attribute::new("badge", AttrType::Integer).mutability(Mutability::Immutable),
                )
                .with_attribute(
                    Attribute::new("tier", AttrType::String)
                        .canonical_values(["Premium", "Standard"]),
                ),
            false,
        )
        .unwrap()
        .with_extension(
            ResourceKind::User,
            Schema::new(CUSTOM2, "Custom2")
                .with_attribute(Attribute::new("folders", AttrType::String).multi_valued()),
            false,
        )
        .unwrap()
        .with_extension(
            ResourceKind::User,
            Schema::free_form(METADATA, "Metadata"),
            false,
        )
        .unwrap()
}

fn create(kind: ResourceKind, body: Value, compat: &Compat) -> Result<Value, ScimError> {
    registry()
        .resource(kind)
        .validate_create(body, compat)
        .map(Resource::into_json)
}

fn user(body: Value) -> Result<Value, ScimError> {
    create(ResourceKind::User, body, &Compat::entra())
}

fn refused(result: Result<Value, ScimError>, scim_type: ScimType, detail: &str) {
    let err = result.expect_err("should be refused");
    assert_eq!(
        (err.status(), err.scim_type()),
        (400, Some(scim_type)),
        "{err}"
    );
    assert_eq!(err.detail(), detail);
}

#[test]
fn entra_create_user_u1() {
    let body = json!({
        "schemas": [CORE, ENTERPRISE],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@testuser.com",
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b@testuser.com"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "roles": []
    });
    let out = user(body).unwrap();
    assert_eq!(
        out["schemas"],
        json!([CORE]),
        "no enterprise object, so only the core URN"
    );
    assert!(out.get("meta").is_none(), "meta is readOnly");
    assert_eq!(out["name"]["givenName"], "givenName");
    assert_eq!(out["roles"], json!([]));
}

#[test]
fn nulls_are_unassigned() {
    let out = user(
        json!({"userName": "a", "addresses": null, "phoneNumbers": null, "title": null,
                          "name": {"givenName": null}}),
    )
    .unwrap();
    assert_eq!(out, json!({"schemas": [CORE], "userName": "a"}));
}

#[test]
fn names_take_schema_spelling_and_urn_keys_land_in_extensions() {
    let out = user(json!({
        "USERNAME": "a",
        "Name": {"GIVENNAME": "B"},
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "701984",
        "urn:ietf:params:scim:schemas:core:2.0:User:title": "Boss",
    }))
    .unwrap();
    assert_eq!(
        out,
        json!({
            "schemas": [CORE, ENTERPRISE],
            "userName": "a",
            "name": {"givenName": "B"},
            "title": "Boss",
            ENTERPRISE: {"employeeNumber": "701984"},
        })
    );
    refused(
        user(json!({"userName": "a", "USERNAME": "b"})),
        ScimType::InvalidSyntax,
        r#"attribute "userName" is given twice"#,
    );
}

#[test]
fn entra_omits_custom_extension_urns() {
    let body = json!({"schemas": [CORE], "userName": "a", CUSTOM: {"tag": "701984"}, CUSTOM2: {"folders": ["x", "y"]}});
    let out = user(body.clone()).unwrap();
    assert_eq!(out["schemas"], json!([CORE, CUSTOM, CUSTOM2]));
    assert_eq!(out[CUSTOM2]["folders"], json!(["x", "y"]));
    refused(
        create(ResourceKind::User, body, &Compat::strict()),
        ScimType::InvalidValue,
        &format!(r#"attributes of "{CUSTOM}" are present but "schemas" does not list it"#),
    );
    refused(
        create(
            ResourceKind::User,
            json!({"userName": "a"}),
            &Compat::strict(),
        ),
        ScimType::InvalidValue,
        &format!(r#""schemas" must contain "{CORE}""#),
    );
}

#[test]
fn legacy_adscim_group_urn_g1() {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group",
                    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "displayName": "displayName",
        "meta": {"resourceType": "Group"}
    });
    let out = create(ResourceKind::Group, body.clone(), &Compat::entra()).unwrap();
    assert_eq!(
        out["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:Group"])
    );
    refused(
        create(ResourceKind::Group, body, &Compat::strict()),
        ScimType::InvalidValue,
        r#"unknown schema "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group""#,
    );
}

#[test]
fn types_and_coercions() {
    let out =
        user(json!({"userName": "a", "active": "False", ENTERPRISE: {"manager": "m-1"}})).unwrap();
    assert_eq!(out["active"], false);
    assert_eq!(out[ENTERPRISE]["manager"], json!({"value": "m-1"}));
    let strict = |body| create(ResourceKind::User, body, &Compat::strict());
    refused(
        strict(json!({"schemas": [CORE], "userName": "a", "active": "False"})),
        ScimType::InvalidValue,
        r#"attribute "active": expected a boolean, got a string"#,
    );
    refused(
        strict(
            json!({"schemas": [CORE, ENTERPRISE], "userName": "a", ENTERPRISE: {"manager": "m-1"}}),
        ),
        ScimType::InvalidValue,
        r#"attribute "manager": expected an object, got a string"#,
    );
    let cases = [
        (
            json!({"userName": 7}),
            r#"attribute "userName": expected a string, got a number"#,
        ),
        (
            json!({"userName": "a", "emails": {"value": "x"}}),
            r#"attribute "emails" is multi-valued: expected an array, got an object"#,
        ),
        (
            json!({"userName": "a", "name": "Barbara"}),
            r#"attribute "name": expected an object, got a string"#,
        ),
        (
            json!({"userName": "a", "emails": [{"value": "x", "primary": "yes"}]}),
            r#"attribute "emails.primary": expected a boolean, got a string"#,
        ),
        (
            json!({"userName": "a", CUSTOM: {"badge": 1.5}}),
            r#"attribute "badge": expected an integer, got a number"#,
        ),
        (
            json!({"userName": "a", CUSTOM2: {"folders": "x"}}),
            r#"attribute "folders" is multi-valued: expected an array, got a string"#,
        ),
        (
            json!({"userName": "a", METADATA: {"costCode": 42}}),
            &format!(r#"attribute "{METADATA}:costCode": expected a string, got a number"#),
        ),
        (
            json!({"userName": "a", ENTERPRISE: "x"}),
            &format!(r#"extension "{ENTERPRISE}" must be an object, not a string"#),
        ),
        (
            json!({"userName": "a", "emails": [{"value": "x", "primary": true}, {"value": "y", "primary": true}]}),
            r#"attribute "emails": at most one value may be primary, 2 are"#,
        ),
        (
            json!({"userName": "a", "schemas": "x"}),
            r#""schemas" must be an array of schema URNs"#,
        ),
    ];
    for (body, detail) in cases {
        refused(user(body), ScimType::InvalidValue, detail);
    }
    refused(
        user(json!({"userName": "a", CUSTOM: {"hired": "yesterday"}})),
        ScimType::InvalidValue,
        r#"attribute "hired": "yesterday" is not an xsd:dateTime such as 2011-05-13T04:42:34Z"#,
    );
    assert!(user(json!({"userName": "a", CUSTOM: {"hired": "2011-05-13T04:42:34Z"}})).is_ok());
    refused(
        user(json!("text")),
        ScimType::InvalidSyntax,
        "a User must be a JSON object, not a string",
    );
}

#[test]
fn required_attributes() {
    refused(
        user(json!({"displayName": "x"})),
        ScimType::InvalidValue,
        r#"attribute "userName" is required"#,
    );
    refused(
        user(json!({"userName": ""})),
        ScimType::InvalidValue,
        r#"attribute "userName" is required"#,
    );
    let group = create(
        ResourceKind::Group,
        json!({"members": []}),
        &Compat::entra(),
    )
    .unwrap();
    assert_eq!(
        group["members"],
        json!([]),
        "RFC 7643 §8.7.1: a group's displayName is optional"
    );
}

#[test]
fn read_only_attributes_are_ignored_on_input() {
    let out = user(json!({"userName": "a", "id": "mine", "meta": {"version": "W/\"9\""},
                          "groups": [{"value": "g"}], ENTERPRISE: {"manager": {"value": "m", "displayName": "Boss"}}}))
        .unwrap();
    assert_eq!(
        out,
        json!({"schemas": [CORE, ENTERPRISE], "userName": "a", ENTERPRISE: {"manager": {"value": "m"}}})
    );
}

#[test]
fn unknown_attributes_follow_the_policy() {
    let body = json!({"userName": "a", "email": "a@example.com", "emails": [{"value": "x", "label": "y"}]});
    refused(
        user(body.clone()),
        ScimType::InvalidValue,
        r#"unknown attribute "email""#,
    );
    let ignore = Compat::entra().with_unknown_attributes(UnknownAttributes::Ignore);
    assert_eq!(
        create(ResourceKind::User, body.clone(), &ignore).unwrap(),
        json!({"schemas": [CORE], "userName": "a", "emails": [{"value": "x"}]})
    );
    let keep = Compat::entra().with_unknown_attributes(UnknownAttributes::Keep);
    let kept = create(ResourceKind::User, body, &keep).unwrap();
    assert_eq!(kept["email"], "a@example.com");
    assert_eq!(kept["emails"], json!([{"value": "x", "label": "y"}]));
    refused(
        user(json!({"userName": "a", "emails": [{"value": "x", "label": "y"}]})),
        ScimType::InvalidValue,
        r#"unknown attribute "emails.label""#,
    );
    refused(
        user(json!({"userName": "a", CUSTOM: {"nope": "x"}})),
        ScimType::InvalidValue,
        &format!(r#"unknown attribute "{CUSTOM}:nope""#),
    );
}

#[test]
fn canonical_values_when_asked() {
    let body = json!({"userName": "a", "emails": [{"value": "x", "type": "office"}], CUSTOM: {"tier": "premium"}});
    assert!(
        user(body.clone()).is_ok(),
        "canonical values are suggestions by default"
    );
    let strict = Compat::entra().with_enforce_canonical_values(true);
    refused(
        create(ResourceKind::User, body, &strict),
        ScimType::InvalidValue,
        r#"attribute "emails.type": "office" is not one of work, home, other"#,
    );
    assert!(
        create(
            ResourceKind::User,
            json!({"userName": "a", CUSTOM: {"tier": "premium"}}),
            &strict
        )
        .is_ok(),
        "case-insensitive unless caseExact"
    );
}

fn stored(body: Value) -> Resource {
    let mut r = registry()
        .resource(ResourceKind::User)
        .validate_create(body, &Compat::entra())
        .unwrap();
    r.set_id("u-1");
    r.set_meta(&scim_core::Meta::new(
        chrono::Utc::now(),
        scim_core::Version::new("1"),
    ));
    r
}

#[test]
fn replace_keeps_id_meta_and_immutables() {
    let existing = stored(json!({"userName": "a", "title": "T", CUSTOM: {"badge": 7}}));
    let users = registry();
    let users = users.resource(ResourceKind::User);
    let out = users
        .validate_replace(
            json!({"id": "other", "userName": "b", "meta": {}}),
            &existing,
            &Compat::entra(),
        )
        .unwrap()
        .into_json();
    assert_eq!(out["id"], "u-1");
    assert_eq!(out["meta"], existing.as_json()["meta"]);
    assert!(
        out.get("title").is_none(),
        "PUT replaces: omitted readWrite attributes are cleared"
    );
    assert_eq!(
        out[CUSTOM]["badge"], 7,
        "an omitted immutable attribute keeps its value"
    );
    assert_eq!(out["schemas"], json!([CORE, CUSTOM]));
    let err = users
        .validate_replace(
            json!({"userName": "b", CUSTOM: {"badge": 8}}),
            &existing,
            &Compat::entra(),
        )
        .unwrap_err();
    assert_eq!(
        (err.scim_type(), err.detail()),
        (
            Some(ScimType::Mutability),
            &*format!(r#"attribute "{CUSTOM}:badge" is immutable and already set"#)
        )
    );
    // Unset, it may be set once.
    let fresh = stored(json!({"userName": "a"}));
    assert!(
        users
            .validate_replace(
                json!({"userName": "a", CUSTOM: {"badge": 8}}),
                &fresh,
                &Compat::entra()
            )
            .is_ok()
    );
}

fn patch(existing: &Resource, ops: Value, compat: &Compat) -> Result<Value, ScimError> {
    let mut body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]});
    body["Operations"] = ops;
    let request = PatchRequest::from_value(body)?;
    let registry = registry();
    let (resource, _) = registry
        .resource(ResourceKind::User)
        .apply_patch(existing, request, compat)?;
    Ok(resource.into_json())
}

#[test]
fn patch_results_are_validated() {
    let existing = stored(json!({"userName": "a", "active": true, CUSTOM: {"badge": 7}}));
    // U8, U14, U20: string boolean, bare manager id, custom extension attribute by URN path.
    let out = patch(&existing, json!([
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "m-1"},
        {"op": "Add", "path": format!("{CUSTOM}:tag"), "value": "701984"},
        {"op": "add", "path": format!("{METADATA}:costCode"), "value": "42"},
    ]), &Compat::entra()).unwrap();
    assert_eq!(out["active"], false);
    assert_eq!(out[ENTERPRISE]["manager"], json!({"value": "m-1"}));
    assert_eq!(out[CUSTOM]["tag"], "701984");
    assert_eq!(out[METADATA]["costCode"], "42");
    assert_eq!(out["schemas"], json!([CORE, ENTERPRISE, CUSTOM, METADATA]));
    assert_eq!(out["id"], "u-1");

    let err = patch(
        &existing,
        json!([{"op": "replace", "path": format!("{CUSTOM}:badge"), "value": 8}]),
        &Compat::entra(),
    )
    .unwrap_err();
    assert_eq!(err.scim_type(), Some(ScimType::Mutability));
    let err = patch(
        &existing,
        json!([{"op": "remove", "path": "userName"}]),
        &Compat::entra(),
    )
    .unwrap_err();
    assert_eq!(
        (err.scim_type(), err.detail()),
        (
            Some(ScimType::InvalidValue),
            r#"attribute "userName" is required"#
        )
    );
    let err = patch(
        &existing,
        json!([{"op": "replace", "value": {"id": "x"}}]),
        &Compat::strict(),
    )
    .unwrap_err();
    assert_eq!(
        (err.scim_type(), err.detail()),
        (Some(ScimType::Mutability), r#"attribute "id" is readOnly"#)
    );
    let ok = patch(
        &existing,
        json!([{"op": "replace", "value": {"id": "u-1", "displayName": "Okta"}}]),
        &Compat::okta(),
    )
    .unwrap();
    assert_eq!(ok["displayName"], "Okta");
    let err = patch(
        &existing,
        json!([{"op": "add", "path": "groups", "value": [{"value": "g"}]}]),
        &Compat::entra(),
    )
    .unwrap_err();
    assert_eq!(err.scim_type(), Some(ScimType::Mutability));
    let err = patch(
        &existing,
        json!([{"op": "add", "path": "email[type eq \"work\"].value", "value": "x"}]),
        &Compat::entra(),
    )
    .unwrap_err();
    assert_eq!(
        err.scim_type(),
        Some(ScimType::InvalidPath),
        "an unknown attribute path is a clear 400: {err}"
    );
    let err = patch(
        &existing,
        json!([{"op": "replace", "path": "active", "value": "maybe"}]),
        &Compat::entra(),
    )
    .unwrap_err();
    assert_eq!(err.scim_type(), Some(ScimType::InvalidValue), "{err}");
}

#[test]
fn errors_render_rfc_7644() {
    let err = ScimError::not_found("User \"x\" not found");
    assert_eq!(
        err.to_json(),
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "404", "detail": "User \"x\" not found"})
    );
    let from_filter: ScimError = scim_filter::Filter::parse("userName eq")
        .unwrap_err()
        .into();
    assert_eq!(
        (from_filter.status(), from_filter.scim_type()),
        (400, Some(ScimType::InvalidFilter))
    );
    let cases = [
        (
            scim_core::StoreError::NotFound {
                kind: ResourceKind::User,
                id: "x".into(),
            },
            404,
            None,
        ),
        (
            scim_core::StoreError::Conflict("taken".into()),
            409,
            Some(ScimType::Uniqueness),
        ),
        (
            scim_core::StoreError::PreconditionFailed {
                kind: ResourceKind::User,
                id: "x".into(),
                expected: scim_core::Version::new("1"),
            },
            412,
            None,
        ),
        (
            scim_core::StoreError::InvalidFilter("no".into()),
            400,
            Some(ScimType::InvalidFilter),
        ),
        (
            scim_core::StoreError::NotImplemented {
                operation: "modify_members",
            },
            501,
            None,
        ),
        (
            scim_core::StoreError::backend("password=hunter2 connection refused"),
            500,
            None,
        ),
    ];
    for (store_err, status, scim_type) in cases {
        let err = ScimError::from(store_err);
        assert_eq!(
            (err.status(), err.scim_type()),
            (status, scim_type),
            "{err}"
        );
        assert!(
            !err.detail().contains("hunter2"),
            "backend details never reach clients"
        );
    }
}
