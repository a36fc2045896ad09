//! The built-in schemas match RFC 7643 §8.7.1, extensions load from code and JSON, and the
//! registry answers attribute lookups with the schemas' characteristics.

use scim_core::{
    AttrType, Attribute, Mutability, ResourceKind, Returned, Schema, SchemaRegistry,
    ServiceProviderConfig, Uniqueness,
};
use scim_filter::{AttributeLookup, SchemaKind};
use serde_json::json;

const METADATA: &str = "urn:ietf:params:scim:schemas:extension:2.0:Metadata";
const CUSTOM: &str = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User";
const CUSTOM2: &str = "urn:ietf:params:scim:schemas:extension:2.0:CustomExtensionName";

#[test]
fn user_schema_is_rfc_7643() {
    let user = Schema::user();
    assert_eq!(user.id, "urn:ietf:params:scim:schemas:core:2.0:User");
    assert_eq!(
        (user.name.as_str(), user.description.as_str()),
        ("User", "User Account")
    );
    let names: Vec<&str> = user.attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "userName",
            "name",
            "displayName",
            "nickName",
            "profileUrl",
            "title",
            "userType",
            "preferredLanguage",
            "locale",
            "timezone",
            "active",
            "password",
            "emails",
            "phoneNumbers",
            "ims",
            "photos",
            "addresses",
            "groups",
            "entitlements",
            "roles",
            "x509Certificates"
        ]
    );
    let user_name = user.attribute("username").unwrap();
    assert!(user_name.required && !user_name.case_exact);
    assert_eq!(user_name.uniqueness, Uniqueness::Server);
    let password = user.attribute("password").unwrap();
    assert_eq!(
        (password.mutability, password.returned),
        (Mutability::WriteOnly, Returned::Never)
    );
    let groups = user.attribute("groups").unwrap();
    assert_eq!(groups.mutability, Mutability::ReadOnly);
    assert!(groups.multi_valued);
    let emails = user.attribute("emails").unwrap();
    assert_eq!(
        emails.sub_attribute("type").unwrap().canonical_values,
        ["work", "home", "other"]
    );
    let photo = user
        .attribute("photos")
        .unwrap()
        .sub_attribute("value")
        .unwrap();
    assert_eq!(
        (photo.kind, photo.reference_types.as_slice()),
        (AttrType::Reference, &["external".to_owned()][..])
    );
    let cert = user
        .attribute("x509Certificates")
        .unwrap()
        .sub_attribute("value")
        .unwrap();
    assert_eq!(cert.kind, AttrType::Binary);
    assert!(
        user.attribute("name")
            .unwrap()
            .description
            .starts_with("The components of the user's real name.")
    );
}

#[test]
fn group_and_enterprise_schemas_are_rfc_7643() {
    let group = Schema::group();
    assert_eq!(
        (group.name.as_str(), group.description.as_str()),
        ("Group", "Group")
    );
    let display = group.attribute("displayName").unwrap();
    assert!(!display.required, "RFC 7643 §8.7.1 says required: false");
    assert_eq!(
        display.description,
        "A human-readable name for the Group. REQUIRED."
    );
    let members = group.attribute("members").unwrap();
    let subs: Vec<&str> = members
        .sub_attributes
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(subs, ["value", "$ref", "type"]);
    assert!(
        members
            .sub_attributes
            .iter()
            .all(|s| s.mutability == Mutability::Immutable)
    );

    let ent = Schema::enterprise_user();
    assert_eq!(
        ent.id,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    );
    assert_eq!(
        (ent.name.as_str(), ent.description.as_str()),
        ("EnterpriseUser", "Enterprise User")
    );
    let names: Vec<&str> = ent.attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "employeeNumber",
            "costCenter",
            "organization",
            "division",
            "department",
            "manager"
        ]
    );
    let manager = ent.attribute("manager").unwrap();
    assert_eq!(
        manager.sub_attribute("displayName").unwrap().mutability,
        Mutability::ReadOnly
    );
    assert_eq!(
        manager.sub_attribute("$ref").unwrap().reference_types,
        ["User"]
    );
}

#[test]
fn discovery_documents() {
    let registry = SchemaRegistry::new();
    let base = "https://example.com/scim/v2";
    let doc = Schema::user().to_json(base);
    assert_eq!(
        doc["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:Schema"])
    );
    assert_eq!(
        doc["meta"]["location"],
        "https://example.com/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"
    );
    assert_eq!(doc["attributes"][0]["name"], "userName");
    assert_eq!(doc["attributes"][0]["uniqueness"], "server");
    assert_eq!(doc["attributes"][0]["multiValued"], false);
    // The JSON form reads back to the same schema.
    let back = Schema::from_json(&doc.to_string()).unwrap();
    assert_eq!(back.attributes, Schema::user().attributes);

    let rt = registry
        .resource(ResourceKind::User)
        .resource_type_json(base);
    assert_eq!(rt["endpoint"], "/Users");
    assert_eq!(
        rt["schemaExtensions"],
        json!([{"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": false}])
    );
    let spc = ServiceProviderConfig::default().to_json(base);
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(spc["filter"]["maxResults"], 1000);
    assert_eq!(registry.schemas().len(), 3);
}

#[test]
fn extensions_in_both_spellings_from_code_and_json() {
    let registry = SchemaRegistry::new()
        .with_extension(
            ResourceKind::User,
            Schema::new(CUSTOM, "Custom").with_attribute(Attribute::new("tag", AttrType::String)),
            false,
        )
        .unwrap()
        .with_extension_json(
            ResourceKind::User,
            &json!({
                "id": CUSTOM2, "name": "Custom2",
                "attributes": [{"name": "folders", "type": "string", "multiValued": true}]
            })
            .to_string(),
            false,
        )
        .unwrap()
        .with_extension(
            ResourceKind::User,
            Schema::free_form(METADATA, "Metadata"),
            false,
        )
        .unwrap();
    let users = registry.resource(ResourceKind::User);
    let tag = users.attribute(Some(CUSTOM), "TAG").unwrap();
    assert_eq!((tag.name, tag.extension), ("tag", Some(CUSTOM)));
    let folders = users.attribute(None, "folders").unwrap();
    assert!(folders.multi_valued);
    assert_eq!(folders.extension, Some(CUSTOM2));
    let key = users.attribute(Some(METADATA), "anyKey").unwrap();
    assert_eq!(
        (key.kind, key.extension),
        (AttrType::String, Some(METADATA))
    );
    assert_eq!(users.schema_kind(METADATA), Some(SchemaKind::Extension));
    assert_eq!(
        users.schema_kind("urn:ietf:params:scim:schemas:core:2.0:User"),
        Some(SchemaKind::Core)
    );
    // Groups do not see user extensions.
    assert!(
        registry
            .resource(ResourceKind::Group)
            .attribute(Some(CUSTOM), "tag")
            .is_none()
    );
}

#[test]
fn lookup_characteristics() {
    let registry = SchemaRegistry::new();
    let users = registry.resource(ResourceKind::User);
    assert!(users.attribute(None, "id").unwrap().case_exact);
    assert!(users.attribute(None, "externalid").unwrap().case_exact);
    assert!(!users.attribute(None, "userName").unwrap().case_exact);
    assert!(users.attribute(None, "emails").unwrap().multi_valued);
    assert_eq!(
        users.sub_attribute(None, "meta", "created").unwrap().kind,
        AttrType::DateTime
    );
    assert_eq!(
        users.sub_attribute(None, "emails", "PRIMARY").unwrap().kind,
        AttrType::Boolean
    );
    // RFC 7643 §2.4's defaults for multi-valued attributes: addresses have no `primary` in
    // §8.7.1, yet they may carry one.
    assert_eq!(
        users
            .sub_attribute(None, "addresses", "primary")
            .unwrap()
            .kind,
        AttrType::Boolean
    );
    let manager = users.attribute(None, "manager").unwrap();
    assert_eq!(
        manager.extension,
        Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
    );
    assert!(users.attribute(None, "email").is_none());
    let groups = registry.resource(ResourceKind::Group);
    assert_eq!(
        groups
            .sub_attribute(None, "members", "display")
            .unwrap()
            .kind,
        AttrType::String
    );
}

/// `id`, `externalId` and `meta.*` are definitions like any other, with their mutability,
/// so a store asks the registry about every attribute the same way.
#[test]
fn common_attributes_are_definitions() {
    use scim_filter::AttrPath;
    let registry = SchemaRegistry::new();
    for kind in ResourceKind::ALL {
        let schemas = registry.resource(kind);
        let def = |path: &str| {
            schemas
                .definition(&AttrPath::parse(path).unwrap())
                .unwrap_or_else(|| panic!("{kind}: no definition of {path}"))
        };
        let id = def("ID");
        assert_eq!((id.name.as_str(), id.kind), ("id", AttrType::String));
        assert!(id.case_exact);
        assert_eq!(id.mutability, Mutability::ReadOnly);
        assert_eq!(id.returned, Returned::Always);
        assert_eq!(id.uniqueness, Uniqueness::Server);
        let external = def("externalId");
        assert!(external.case_exact);
        assert_eq!(external.mutability, Mutability::ReadWrite);
        for (sub, kind) in [
            ("created", AttrType::DateTime),
            ("lastModified", AttrType::DateTime),
            ("resourceType", AttrType::String),
            ("version", AttrType::String),
            ("location", AttrType::Reference),
        ] {
            let meta = def(&format!("meta.{sub}"));
            assert_eq!((meta.name.as_str(), meta.kind), (sub, kind));
            assert_eq!(meta.mutability, Mutability::ReadOnly);
        }
        // The same with the core schema's URN in front.
        let urn = format!("{}:externalId", kind.core_urn());
        assert!(def(&urn).case_exact);
        let listed: Vec<&str> = schemas
            .all_attributes()
            .map(|(_, a)| a.name.as_str())
            .take(3)
            .collect();
        assert_eq!(listed, ["id", "externalId", "meta"]);
    }
    let users = registry.resource(ResourceKind::User);
    let def = |path: &str| users.definition(&AttrPath::parse(path).unwrap());
    assert_eq!(def("emails.value").map(|a| a.kind), Some(AttrType::String));
    assert_eq!(
        def("addresses.primary").map(|a| a.kind),
        Some(AttrType::Boolean)
    );
    assert_eq!(
        def("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value")
            .map(|a| a.name.as_str()),
        Some("value")
    );
    assert!(def("email").is_none() && def("meta.nothing").is_none());
    let enterprise = users
        .all_attributes()
        .find(|(_, a)| a.name == "employeeNumber")
        .map(|(urn, _)| urn);
    assert_eq!(
        enterprise,
        Some(Some(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ))
    );
}

#[test]
fn bad_schemas_are_refused() {
    let cases = [
        (json!({"id": "not-a-urn", "attributes": []}), "is not a URN"),
        (
            json!({"id": "urn:x:y", "attributes": [{"name": "1st", "type": "string"}]}),
            "not a valid attribute name",
        ),
        (
            json!({"id": "urn:x:y", "attributes": [{"name": "a", "type": "string"}, {"name": "A", "type": "string"}]}),
            "defined twice",
        ),
        (
            json!({"id": "urn:x:y", "attributes": [{"name": "c", "type": "complex"}]}),
            "no sub-attributes",
        ),
        (
            json!({"id": "urn:x:y", "attributes": [{"name": "c", "type": "complex", "subAttributes": [
            {"name": "d", "type": "complex", "subAttributes": [{"name": "e", "type": "string"}]}]}]}),
            "forbids nesting",
        ),
        (
            json!({"id": "urn:x:y", "attributes": [{"name": "a", "type": "text"}]}),
            "invalid schema JSON",
        ),
    ];
    for (json, expected) in cases {
        let err = Schema::from_json(&json.to_string()).unwrap_err();
        assert!(err.to_string().contains(expected), "{json}: {err}");
    }
    let err = SchemaRegistry::new()
        .with_extension(ResourceKind::User, Schema::enterprise_user(), false)
        .unwrap_err();
    assert!(err.to_string().contains("already registered"), "{err}");
}
