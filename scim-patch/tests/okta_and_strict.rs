//! Okta's request shapes (the compatibility guide, `scim-core/docs/compatibility.md`: Okta), and what each compatibility switch does when it
//! is off: the RFC-literal behaviour a strict tenant gets.

mod common;

use common::{ENTERPRISE, Schema, group, member_ids, patch_with};
use scim_patch::{PatchCompat, PatchErrorKind, Patcher};
use serde_json::{Value, json};

fn okta() -> Patcher<Schema> {
    Patcher::new(Schema).with_compat(PatchCompat::okta())
}

fn strict() -> Patcher<Schema> {
    Patcher::new(Schema).with_compat(PatchCompat::strict())
}

fn user() -> Value {
    json!({
        "id": "u1",
        "userName": "ann@example.com",
        "active": true,
        "emails": [{"type": "work", "value": "ann@example.com", "primary": true}],
        ENTERPRISE: {"manager": {"value": "m1", "displayName": "Boss"}}
    })
}

#[test]
fn okta_deactivates_and_reactivates_without_path() {
    let mut u = user();
    let outcome = patch_with(
        &okta(),
        &mut u,
        json!([{"op": "replace", "value": {"active": false}}]),
    )
    .unwrap();
    assert_eq!(u["active"], json!(false));
    assert_eq!(outcome.changed_attributes, ["active"]);
    patch_with(
        &okta(),
        &mut u,
        json!([{"op": "replace", "value": {"active": true}}]),
    )
    .unwrap();
    assert_eq!(u, user());
}

#[test]
fn okta_renames_a_group_with_its_own_id_in_the_value() {
    let mut g = group();
    let id = g["id"].clone();
    let outcome = patch_with(
        &okta(),
        &mut g,
        json!([{"op": "replace", "value": {"id": "some-other-id", "displayName": "Eng Renamed"}}]),
    )
    .unwrap();
    assert_eq!(g["id"], id);
    assert_eq!(g["displayName"], "Eng Renamed");
    assert_eq!(outcome.changed_attributes, ["displayName"]);
}

#[test]
fn okta_membership_update_removes_and_adds_in_one_request() {
    let mut g = group();
    let outcome = patch_with(
        &okta(),
        &mut g,
        json!([
            {"op": "remove", "path": "members[value eq \"902c246b-6245-4190-8e05-00816be7344a\"]"},
            {"op": "add", "path": "members", "value": [{"value": "u9", "display": "Nine"}]}
        ]),
    )
    .unwrap();
    assert_eq!(
        member_ids(&g),
        [
            "2819c223-7f76-453a-919d-413861904646",
            "b2b2b2b2-0000-4000-8000-000000000002",
            "u9"
        ]
    );
    assert_eq!(outcome.members_added(), ["u9"]);
    assert_eq!(
        outcome.members_removed(),
        ["902c246b-6245-4190-8e05-00816be7344a"]
    );
}

#[test]
fn okta_full_push_replaces_members() {
    let mut g = group();
    let outcome = patch_with(
        &okta(),
        &mut g,
        json!([{"op": "replace", "path": "members", "value": [
            {"value": "2819c223-7f76-453a-919d-413861904646", "display": "Babs Jensen"},
            {"value": "u9", "display": "Nine"}
        ]}]),
    )
    .unwrap();
    assert_eq!(
        member_ids(&g),
        ["2819c223-7f76-453a-919d-413861904646", "u9"]
    );
    assert_eq!(outcome.members_added(), ["u9"]);
    assert_eq!(
        outcome.members_removed(),
        [
            "902c246b-6245-4190-8e05-00816be7344a",
            "b2b2b2b2-0000-4000-8000-000000000002"
        ]
    );
}

#[test]
fn replace_members_with_an_empty_list_empties_the_group_in_every_policy() {
    for patcher in [strict(), okta(), Patcher::new(Schema)] {
        let mut g = group();
        let outcome = patch_with(
            &patcher,
            &mut g,
            json!([{"op": "replace", "path": "members", "value": []}]),
        )
        .unwrap();
        assert!(g.get("members").is_none());
        assert_eq!(outcome.members_removed().len(), 3);
    }
}

#[test]
fn null_refs_are_dropped_in_every_policy() {
    for patcher in [strict(), okta()] {
        let mut g = json!({"displayName": "g"});
        patch_with(
            &patcher,
            &mut g,
            json!([{"op": "add", "path": "members", "value": [{"$ref": null, "value": "u1"}]}]),
        )
        .unwrap();
        assert_eq!(g["members"], json!([{"value": "u1"}]));
    }
}

#[test]
fn strict_keeps_string_booleans_as_sent() {
    // Validation (scim-core) then refuses the string for a boolean attribute.
    let mut u = user();
    patch_with(
        &strict(),
        &mut u,
        json!([{"op": "Replace", "path": "active", "value": "False"}]),
    )
    .unwrap();
    assert_eq!(u["active"], "False");
    // And a string never matches a boolean in a value filter.
    let err = patch_with(
        &strict(),
        &mut u,
        json!([{"op": "replace", "path": "emails[primary eq \"True\"].value", "value": "x"}]),
    )
    .unwrap_err();
    assert_eq!(err.kind(), PatchErrorKind::NoTarget);
}

#[test]
fn strict_keeps_a_bare_manager_id_as_sent() {
    let mut u = user();
    patch_with(
        &strict(),
        &mut u,
        json!([{"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": "m2"}]),
    )
    .unwrap();
    assert_eq!(u[ENTERPRISE]["manager"], "m2");
}

#[test]
fn strict_remove_with_a_value_list_removes_the_whole_attribute() {
    // RFC 7644 §3.5.2.2 reads the value of a remove as meaningless (azure-docs#30826).
    let mut g = group();
    let outcome = patch_with(
        &strict(),
        &mut g,
        json!([{"op": "Remove", "path": "members", "value": [{"value": "902c246b-6245-4190-8e05-00816be7344a"}]}]),
    )
    .unwrap();
    assert!(g.get("members").is_none());
    assert_eq!(outcome.members_removed().len(), 3);
}

#[test]
fn strict_refuses_to_create_through_an_unmatched_filter() {
    let mut u = user();
    let err = patch_with(
        &strict(),
        &mut u,
        json!([{"op": "Add", "path": "emails[type eq \"home\"].value", "value": "ann@home.org"}]),
    )
    .unwrap_err();
    assert_eq!(err.kind(), PatchErrorKind::NoTarget);
    assert_eq!(
        err.to_string(),
        "Operations[0]: no value of \"emails\" matches type eq \"home\""
    );
    assert_eq!(u, user());
}

#[test]
fn strict_applies_an_id_in_a_path_less_value() {
    // Whether `id` may change is the engine's call (it is readOnly); the patch applies it.
    let mut g = group();
    patch_with(
        &strict(),
        &mut g,
        json!([{"op": "replace", "value": {"id": "other"}}]),
    )
    .unwrap();
    assert_eq!(g["id"], "other");
}

#[test]
fn each_switch_alone() {
    let only = |compat: PatchCompat| Patcher::new(Schema).with_compat(compat);
    let base = PatchCompat::strict();
    let mut u = user();
    patch_with(
        &only(base.with_string_booleans(true)),
        &mut u,
        json!([{"op": "Replace", "path": "active", "value": "false"}]),
    )
    .unwrap();
    assert_eq!(u["active"], json!(false));
    patch_with(
        &only(base.with_complex_from_string(true)),
        &mut u,
        json!([{"op": "Replace", "path": format!("{ENTERPRISE}:manager"), "value": "m2"}]),
    )
    .unwrap();
    assert_eq!(u[ENTERPRISE]["manager"], json!({"value": "m2"}));
    patch_with(
        &only(base.with_create_missing_elements(true)),
        &mut u,
        json!([{"op": "Add", "path": "emails[type eq \"home\"].value", "value": "h@x.org"}]),
    )
    .unwrap();
    assert_eq!(u["emails"][1], json!({"type": "home", "value": "h@x.org"}));
    let mut g = group();
    patch_with(
        &only(base.with_remove_by_value_list(true)),
        &mut g,
        json!([{"op": "Remove", "path": "members", "value": [{"value": "b2b2b2b2-0000-4000-8000-000000000002"}]}]),
    )
    .unwrap();
    assert_eq!(member_ids(&g).len(), 2);
    patch_with(
        &only(base.with_ignore_id_in_value(true)),
        &mut g,
        json!([{"op": "replace", "value": {"id": "x"}}]),
    )
    .unwrap();
    assert_eq!(g["id"], "e9e30dba-f08f-4109-8486-d5c6a331660a");
}
