//! Every PATCH request shape Entra sends (the catalogue of `scim-core/docs/compatibility.md`:
//! users, groups, the `aadOptscim062020` flag, and Microsoft's validator), named by its row, applied
//! with the default (Entra) policy, with the resource expected afterwards.

mod common;

use common::{
    CUSTOM, CUSTOM2, ENTERPRISE, METADATA, Schema, babs, group, member_ids, patch, patch_with,
};
use scim_patch::{PatchErrorKind, Patcher};
use serde_json::{Value, json};

fn user() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "u1",
        "userName": "Test_User_1",
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "active": true,
        "name": {"formatted": "Ann Smith", "familyName": "Smith", "givenName": "Ann"},
        "emails": [{"primary": true, "type": "work", "value": "ann@contoso.com"}],
        "roles": []
    })
}

#[test]
fn u6_replace_filtered_email_value_and_family_name() {
    let mut u = user();
    let outcome = patch(
        &mut u,
        json!([
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "ann.smith@contoso.com"},
            {"op": "Replace", "path": "name.familyName", "value": "Smith-Jones"}
        ]),
    )
    .unwrap();
    // The matched entry keeps its type and primary.
    assert_eq!(
        u["emails"],
        json!([{"primary": true, "type": "work", "value": "ann.smith@contoso.com"}])
    );
    assert_eq!(
        u["name"],
        json!({"formatted": "Ann Smith", "familyName": "Smith-Jones", "givenName": "Ann"})
    );
    assert_eq!(outcome.changed_attributes, ["emails", "name"]);
}

#[test]
fn u7_replace_user_name() {
    let mut u = user();
    patch(
        &mut u,
        json!([{"op": "Replace", "path": "userName", "value": "ann@contoso.com"}]),
    )
    .unwrap();
    assert_eq!(u["userName"], "ann@contoso.com");
}

#[test]
fn u8_disable_with_a_string_boolean() {
    let mut u = user();
    let outcome = patch(
        &mut u,
        json!([{"op": "Replace", "path": "active", "value": "False"}]),
    )
    .unwrap();
    assert_eq!(u["active"], json!(false));
    assert_eq!(outcome.changed_attributes, ["active"]);
    // And back, in any case.
    patch(
        &mut u,
        json!([{"op": "Replace", "path": "active", "value": "TRUE"}]),
    )
    .unwrap();
    assert_eq!(u["active"], json!(true));
}

#[test]
fn u9_disable_with_the_flag() {
    let mut u = user();
    patch(
        &mut u,
        json!([{"op": "replace", "path": "active", "value": false}]),
    )
    .unwrap();
    assert_eq!(u["active"], json!(false));
}

#[test]
fn u10_add_a_string_both_spellings() {
    let mut u = user();
    patch(
        &mut u,
        json!([{"op": "Add", "path": "nickName", "value": "Babs"}]),
    )
    .unwrap();
    assert_eq!(u["nickName"], "Babs");
    patch(
        &mut u,
        json!([{"op": "add", "path": "title", "value": "Tour Guide"}]),
    )
    .unwrap();
    assert_eq!(u["title"], "Tour Guide");
}

#[test]
fn u11_replace_several_one_op_per_path() {
    let mut u = user();
    let outcome = patch(
        &mut u,
        json!([
            {"op": "Replace", "path": "displayName", "value": "Bjfe"},
            {"op": "Replace", "path": "name.givenName", "value": "Kkom"},
            {"op": "Replace", "path": "name.familyName", "value": "Unua"},
            {"op": "Replace", "path": format!("{ENTERPRISE}:employeeNumber"), "value": "Aklq"}
        ]),
    )
    .unwrap();
    assert_eq!(u["displayName"], "Bjfe");
    assert_eq!(u["name"]["givenName"], "Kkom");
    assert_eq!(u["name"]["familyName"], "Unua");
    assert_eq!(u[ENTERPRISE], json!({"employeeNumber": "Aklq"}));
    assert_eq!(
        outcome.changed_attributes,
        [
            "displayName".to_owned(),
            "name".to_owned(),
            format!("{ENTERPRISE}:employeeNumber")
        ]
    );
}

#[test]
fn u12_replace_several_without_path_dotted_and_urn_keys() {
    let mut u = user();
    patch(
        &mut u,
        json!([{"op": "replace", "value": {
            "displayName": "Bjfe",
            "name.givenName": "Kkom",
            "name.familyName": "Unua",
            format!("{ENTERPRISE}:employeeNumber"): "Aklq"
        }}]),
    )
    .unwrap();
    assert_eq!(u["displayName"], "Bjfe");
    assert_eq!(
        u["name"],
        json!({"formatted": "Ann Smith", "familyName": "Unua", "givenName": "Kkom"})
    );
    assert_eq!(u[ENTERPRISE]["employeeNumber"], "Aklq");
}

#[test]
fn u13_typed_adds_for_an_absent_entry_land_in_one_element() {
    let mut u = user();
    let outcome = patch(
        &mut u,
        json!([
            {"op": "add", "path": "emails[type eq \"home\"].value", "value": "ann@home.example.org"},
            {"op": "add", "path": "emails[type eq \"home\"].display", "value": "Ann at home"},
            {"op": "add", "path": "emails[type eq \"home\"].primary", "value": "False"}
        ]),
    )
    .unwrap();
    assert_eq!(
        u["emails"],
        json!([
            {"primary": true, "type": "work", "value": "ann@contoso.com"},
            {"type": "home", "value": "ann@home.example.org", "display": "Ann at home", "primary": false}
        ])
    );
    assert_eq!(outcome.changed_attributes, ["emails"]);
    // A phone number where there were none.
    patch(&mut u, json!([{"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "555-0100"}])).unwrap();
    assert_eq!(
        u["phoneNumbers"],
        json!([{"type": "mobile", "value": "555-0100"}])
    );
}

#[test]
fn u14_manager_as_a_bare_id() {
    let mut u = user();
    let path = format!("{ENTERPRISE}:manager");
    patch(
        &mut u,
        json!([{"op": "Add", "path": path, "value": "26118915-6090-4610-87e4-49d8ca9f808d"}]),
    )
    .unwrap();
    assert_eq!(
        u[ENTERPRISE],
        json!({"manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}})
    );
    // The same id on the next cycle changes nothing, even where the manager has more fields.
    let mut b = babs();
    let outcome = patch(
        &mut b,
        json!([{"op": "Add", "path": path, "value": "26118915-6090-4610-87e4-49d8ca9f808d"}]),
    )
    .unwrap();
    assert_eq!(b, babs());
    assert!(!outcome.changed());
    // Another id replaces the manager whole: no stale displayName.
    let outcome = patch(
        &mut b,
        json!([{"op": "Replace", "path": path, "value": "new-manager"}]),
    )
    .unwrap();
    assert_eq!(b[ENTERPRISE]["manager"], json!({"value": "new-manager"}));
    assert_eq!(outcome.changed_attributes, [path]);
}

#[test]
fn u15_manager_in_the_older_list_form() {
    let mut u = user();
    patch(
        &mut u,
        json!([{"op": "Add", "path": "manager", "value": [{"$ref": "http://example.com/Users/m1", "value": "m1"}]}]),
    )
    .unwrap();
    assert_eq!(
        u[ENTERPRISE]["manager"],
        json!({"$ref": "http://example.com/Users/m1", "value": "m1"})
    );
}

#[test]
fn u16_manager_removal_three_ways() {
    let path = format!("{ENTERPRISE}:manager");
    // Remove with a value filter on the single-valued manager.
    let mut b = babs();
    let filtered =
        format!("{ENTERPRISE}:manager[value eq \"26118915-6090-4610-87e4-49d8ca9f808d\"]");
    patch(&mut b, json!([{"op": "remove", "path": filtered}])).unwrap();
    assert!(b[ENTERPRISE].get("manager").is_none());
    assert_eq!(b[ENTERPRISE]["department"], "Tour Operations");
    // A filter naming another manager removes nothing (and is no error).
    let mut b = babs();
    let other = format!("{ENTERPRISE}:manager[value eq \"someone-else\"]");
    let outcome = patch(&mut b, json!([{"op": "remove", "path": other}])).unwrap();
    assert_eq!(b, babs());
    assert!(!outcome.changed());
    // The validator's "remove": replace with an empty value.
    for empty in [json!(""), json!(null)] {
        let mut b = babs();
        patch(
            &mut b,
            json!([{"op": "Replace", "path": path, "value": empty}]),
        )
        .unwrap();
        assert!(b[ENTERPRISE].get("manager").is_none(), "{empty}");
    }
}

#[test]
fn u17_roles_through_primary_eq_true() {
    let mut u = user();
    u["roles"] =
        json!([{"primary": true, "type": "WindowsAzureActiveDirectoryRole", "value": "User"}]);
    patch(
        &mut u,
        json!([{"op": "Replace", "path": "roles[primary eq \"True\"].value", "value": "Admin"}]),
    )
    .unwrap();
    assert_eq!(
        u["roles"],
        json!([{"primary": true, "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}])
    );
    // With no primary role yet, the role is created, its primary a boolean.
    let mut u = user();
    patch(
        &mut u,
        json!([
            {"op": "Add", "path": "roles[primary eq \"True\"].value", "value": "Admin"},
            {"op": "Add", "path": "roles[primary eq \"True\"].display", "value": "Administrator"}
        ]),
    )
    .unwrap();
    assert_eq!(
        u["roles"],
        json!([{"primary": true, "value": "Admin", "display": "Administrator"}])
    );
}

#[test]
fn u18_role_value_holding_a_json_string() {
    let mut u = user();
    let value = r#"{"id":"06b0","value":"25","displayName":"Role1234"}"#;
    patch(
        &mut u,
        json!([{"op": "Add", "path": "roles", "value": [{"value": value}]}]),
    )
    .unwrap();
    assert_eq!(u["roles"], json!([{"value": value}]));
}

#[test]
fn u19_app_role_assignments_complex() {
    let mut u = user();
    // AppRoleAssignmentsComplex: adds only.
    patch(
        &mut u,
        json!([{"op": "Add", "path": "roles", "value": [
            {"primary": false, "type": "WindowsAzureActiveDirectoryRole", "display": "Reader", "value": "ReadOnly"}
        ]}]),
    )
    .unwrap();
    assert_eq!(u["roles"].as_array().unwrap().len(), 1);
    // AssertiveAppRoleAssignmentsComplex: the whole list.
    let roles = json!([
        {"primary": true, "type": "WindowsAzureActiveDirectoryRole", "display": "Admin", "value": "Admin"},
        {"primary": false, "type": "WindowsAzureActiveDirectoryRole", "display": "Enterprise admin", "value": "EnterpriseAdmin"}
    ]);
    patch(
        &mut u,
        json!([{"op": "replace", "path": "roles", "value": roles}]),
    )
    .unwrap();
    assert_eq!(u["roles"], roles);
}

#[test]
fn u20_custom_extension_attribute() {
    let mut u = user();
    let outcome = patch(
        &mut u,
        json!([{"op": "Add", "path": format!("{CUSTOM}:tag"), "value": "701984"}]),
    )
    .unwrap();
    assert_eq!(u[CUSTOM], json!({"tag": "701984"}));
    assert_eq!(outcome.changed_attributes, [format!("{CUSTOM}:tag")]);
}

#[test]
fn custom_multi_valued_strings_in_the_other_spelling() {
    let mut u = user();
    let path = format!("{CUSTOM2}:folders");
    patch(
        &mut u,
        json!([{"op": "Add", "path": path, "value": ["Inbox", "Archive"]}]),
    )
    .unwrap();
    assert_eq!(u[CUSTOM2], json!({"folders": ["Inbox", "Archive"]}));
    // Adding again adds only what is new.
    patch(
        &mut u,
        json!([{"op": "Add", "path": path, "value": ["Archive", "Sent"]}]),
    )
    .unwrap();
    assert_eq!(u[CUSTOM2]["folders"], json!(["Inbox", "Archive", "Sent"]));
    patch(
        &mut u,
        json!([{"op": "Replace", "path": path, "value": "Only"}]),
    )
    .unwrap();
    assert_eq!(u[CUSTOM2]["folders"], json!(["Only"]));
}

#[test]
fn free_form_metadata_keys() {
    let mut u = user();
    patch(
        &mut u,
        json!([
            {"op": "Add", "path": format!("{METADATA}:costCenterCode"), "value": "CC-42"},
            {"op": "replace", "value": {format!("{METADATA}:region"): "EMEA"}}
        ]),
    )
    .unwrap();
    assert_eq!(
        u[METADATA],
        json!({"costCenterCode": "CC-42", "region": "EMEA"})
    );
}

#[test]
fn whole_extension_as_a_key_of_a_path_less_value() {
    let mut u = user();
    patch(
        &mut u,
        json!([{"op": "add", "value": {ENTERPRISE: {"department": "Sales", "manager": "m1"}}}]),
    )
    .unwrap();
    assert_eq!(
        u[ENTERPRISE],
        json!({"department": "Sales", "manager": {"value": "m1"}})
    );
}

#[test]
fn singular_attribute_names_are_refused_with_a_schema() {
    // SigningHub's mapping: "email" and "phoneNumber" are not attributes.
    let patcher = Patcher::new(Schema).reject_unknown_attributes(true);
    let mut u = user();
    let err = patch_with(
        &patcher,
        &mut u,
        json!([{"op": "Add", "path": "email[type eq \"work\"].value", "value": "a@b.c"}]),
    )
    .unwrap_err();
    assert_eq!(err.kind(), PatchErrorKind::InvalidPath);
    assert_eq!(
        err.to_string(),
        "Operations[0]: \"email\" is not an attribute of this resource"
    );
    assert_eq!(u, user());
    let err = patch_with(
        &patcher,
        &mut u,
        json!([{"op": "Add", "path": "emails[type eq \"work\"].valeu", "value": "a@b.c"}]),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Operations[0]: \"valeu\" is not a sub-attribute of \"emails\""
    );
}

#[test]
fn g4_replace_group_display_name() {
    let mut g = group();
    let outcome = patch(
        &mut g,
        json!([{"op": "Replace", "path": "displayName", "value": "Guides"}]),
    )
    .unwrap();
    assert_eq!(g["displayName"], "Guides");
    assert_eq!(outcome.changed_attributes, ["displayName"]);
    assert!(outcome.members_added().is_empty() && outcome.members_removed().is_empty());
}

#[test]
fn g5_add_several_members_with_null_refs() {
    let mut g = json!({"displayName": "New group"});
    let outcome = patch(
        &mut g,
        json!([{"op": "Add", "path": "members", "value": [
            {"$ref": null, "value": "u1"},
            {"$ref": null, "value": "u2"},
            {"$ref": null, "value": "u1"}
        ]}]),
    )
    .unwrap();
    assert_eq!(g["members"], json!([{"value": "u1"}, {"value": "u2"}]));
    assert_eq!(outcome.members_added(), ["u1", "u2"]);
}

#[test]
fn g6_remove_listed_members_only() {
    let mut g = group();
    let outcome = patch(
        &mut g,
        json!([{"op": "Remove", "path": "members", "value": [
            {"$ref": null, "value": "902c246b-6245-4190-8e05-00816be7344a"},
            {"$ref": null, "value": "not-a-member"}
        ]}]),
    )
    .unwrap();
    assert_eq!(
        member_ids(&g),
        [
            "2819c223-7f76-453a-919d-413861904646",
            "b2b2b2b2-0000-4000-8000-000000000002"
        ]
    );
    assert_eq!(
        outcome.members_removed(),
        ["902c246b-6245-4190-8e05-00816be7344a"]
    );
}

#[test]
fn g7_remove_member_by_filter() {
    let mut g = group();
    let outcome = patch(
        &mut g,
        json!([{"op": "remove", "path": "members[value eq \"b2b2b2b2-0000-4000-8000-000000000002\"]"}]),
    )
    .unwrap();
    assert_eq!(member_ids(&g).len(), 2);
    assert_eq!(
        outcome.members_removed(),
        ["b2b2b2b2-0000-4000-8000-000000000002"]
    );
    // Removing someone who is not a member is no error and no change.
    let outcome = patch(
        &mut g,
        json!([{"op": "remove", "path": "members[value eq \"nobody\"]"}]),
    )
    .unwrap();
    assert!(!outcome.changed());
}

#[test]
fn removing_the_last_member_leaves_no_members() {
    let mut g = json!({"displayName": "Solo", "members": [{"value": "u1"}]});
    patch(
        &mut g,
        json!([{"op": "Remove", "path": "members", "value": [{"value": "u1"}]}]),
    )
    .unwrap();
    assert_eq!(g, json!({"displayName": "Solo"}));
}

#[test]
fn null_update_test_empty_then_null() {
    // The Logic App validation's SCIM_Null_Update_Test.
    let mut u = user();
    patch(
        &mut u,
        json!([{"op": "Replace", "path": "title", "value": ""}]),
    )
    .unwrap();
    assert_eq!(u["title"], "");
    patch(
        &mut u,
        json!([{"op": "Replace", "path": "title", "value": null}]),
    )
    .unwrap();
    assert!(u.get("title").is_none());
    patch(
        &mut u,
        json!([{"op": "Replace", "path": "nickName", "value": null}]),
    )
    .unwrap();
    assert_eq!(u, user());
}

#[test]
fn entra_resends_identical_values_every_cycle() {
    let mut b = babs();
    let outcome = patch(
        &mut b,
        json!([
            {"op": "Replace", "path": "userName", "value": "bjensen@example.com"},
            {"op": "Replace", "path": "active", "value": "True"},
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "bjensen@example.com"},
            {"op": "Replace", "path": "name.givenName", "value": "Barbara"},
            {"op": "Replace", "path": format!("{ENTERPRISE}:department"), "value": "Tour Operations"},
            {"op": "Add", "path": "emails", "value": [{"value": "babs@jensen.org", "type": "home"}]}
        ]),
    )
    .unwrap();
    assert_eq!(b, babs());
    assert!(!outcome.changed(), "{outcome:?}");
}
