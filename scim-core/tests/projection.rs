//! `attributes`, `excludedAttributes` and `returned`, and the typed views' round trips.

use scim_core::{
    AttrType, Attribute, Group, Projection, Resource, ResourceKind, Returned, Schema,
    SchemaRegistry, ScimType,
};
use serde_json::{Value, json};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const SECRET: &str = "urn:example:params:scim:schemas:extension:2.0:Secret";

fn registry() -> SchemaRegistry {
    SchemaRegistry::new()
        .with_extension(
            ResourceKind::User,
            Schema::new(SECRET, "Secret").with_attribute(
                Attribute::new("hint", AttrType::String).returned(Returned::Request),
            ),
            false,
        )
        .unwrap()
}

fn user() -> Resource {
    Resource::from_json(ResourceKind::User, json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE, SECRET],
        "id": "u-1",
        "userName": "bjensen",
        "password": "t1meMa$heen",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [{"value": "b@example.com", "type": "work"}, {"value": "b@home.org", "type": "home"}],
        ENTERPRISE: {"employeeNumber": "701984", "department": "Tour"},
        SECRET: {"hint": "blue"},
        "meta": {"resourceType": "User", "version": "W/\"1\""}
    }))
    .unwrap()
}

fn project(attributes: Option<&str>, excluded: Option<&str>) -> Value {
    let registry = registry();
    Projection::new(attributes, excluded)
        .unwrap()
        .apply(registry.resource(ResourceKind::User), &user())
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[test]
fn default_returns_default_attributes_only() {
    let out = project(None, None);
    assert_eq!(
        keys(&out),
        [
            "schemas", "id", "userName", "name", "emails", ENTERPRISE, "meta"
        ]
    );
    assert!(out.get("password").is_none(), "returned: never");
    assert!(
        out.get(SECRET).is_none(),
        "returned: request, not requested"
    );
}

#[test]
fn attributes_select_and_always_stays() {
    assert_eq!(
        project(Some("userName"), None),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE, SECRET],
            "id": "u-1", "userName": "bjensen"
        })
    );
    let out = project(Some("emails.value, name.familyName"), None);
    assert_eq!(
        out["emails"],
        json!([{"value": "b@example.com"}, {"value": "b@home.org"}])
    );
    assert_eq!(out["name"], json!({"familyName": "Jensen"}));
    let out = project(Some(&format!("{ENTERPRISE}:department")), None);
    assert_eq!(out[ENTERPRISE], json!({"department": "Tour"}));
    let out = project(Some(ENTERPRISE), None);
    assert_eq!(
        out[ENTERPRISE],
        json!({"employeeNumber": "701984", "department": "Tour"}),
        "a bare URN names the whole extension"
    );
    let out = project(Some(&format!("{SECRET}:hint,password")), None);
    assert_eq!(
        out[SECRET],
        json!({"hint": "blue"}),
        "returned: request, requested"
    );
    assert!(out.get("password").is_none(), "never, even when asked");
    assert_eq!(project(Some("USERNAME"), None)["userName"], "bjensen");
}

#[test]
fn excluded_attributes() {
    let out = project(None, Some("emails,name.givenName,id"));
    assert!(out.get("emails").is_none());
    assert_eq!(out["name"], json!({"familyName": "Jensen"}));
    assert_eq!(out["id"], "u-1", "returned: always cannot be excluded");
    let out = project(None, Some(&format!("{ENTERPRISE}:employeeNumber")));
    assert_eq!(out[ENTERPRISE], json!({"department": "Tour"}));

    let registry = SchemaRegistry::new();
    let groups = registry.resource(ResourceKind::Group);
    let group = Resource::from(Group::new("Admins"));
    let no_members = Projection::new(None, Some("members")).unwrap();
    assert!(!no_members.wants(groups, "members"));
    assert!(no_members.wants(groups, "displayName"));
    assert!(Projection::default().wants(groups, "members"));
    assert_eq!(no_members.apply(groups, &group)["displayName"], "Admins");
}

#[test]
fn bad_paths_are_invalid_path() {
    let err = Projection::new(Some("emails[type eq \"work\"]"), None).unwrap_err();
    assert_eq!(
        (err.status(), err.scim_type()),
        (400, Some(ScimType::InvalidPath))
    );
}

#[test]
fn typed_views_keep_everything() {
    let resource = user();
    let typed = resource.to_user().unwrap();
    assert_eq!(typed.user_name, "bjensen");
    assert_eq!(
        typed.emails.as_ref().unwrap()[1].kind.as_deref(),
        Some("home")
    );
    assert!(
        !format!("{typed:?}").contains("t1meMa$heen"),
        "Debug redacts the password"
    );
    assert_eq!(
        typed.enterprise().unwrap().department.as_deref(),
        Some("Tour")
    );
    assert_eq!(Resource::from(typed).into_json(), resource.into_json());

    let group = Resource::from_json(ResourceKind::Group, json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g", "displayName": "Admins",
        "members": [{"value": "u-1", "$ref": "https://x/Users/u-1", "display": "Babs", "type": "User"}],
        "urn:example:ext": {"k": 1}
    }))
    .unwrap();
    let typed = group.to_group().unwrap();
    let member = &typed.members.as_ref().unwrap()[0];
    assert_eq!(
        (member.reference.as_deref(), member.display.as_deref()),
        (Some("https://x/Users/u-1"), Some("Babs"))
    );
    assert_eq!(Resource::from(typed).into_json(), group.clone().into_json());
    assert!(group.to_user().is_err(), "a group is not a user");
}
