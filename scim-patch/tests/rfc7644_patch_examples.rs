//! Every PATCH example of RFC 7644 §3.5.2, applied to the RFC's own resources, with the
//! resource expected afterwards.

mod common;

use common::{babs, group, member_ids, patch};
use serde_json::json;

const BABS: &str = "2819c223-7f76-453a-919d-413861904646";
const JAMES: &str = "08e1d05d-121c-4561-8b96-473d93df9210";

fn babs_member() -> serde_json::Value {
    json!({"display": "Babs Jensen", "$ref": format!("https://example.com/v2/Users/{BABS}"), "value": BABS})
}

fn james_member() -> serde_json::Value {
    json!({"display": "James Smith", "$ref": format!("https://example.com/v2/Users/{JAMES}"), "value": JAMES})
}

#[test]
fn rfc7644_3_5_2_1_add_member() {
    let mut g = group();
    g["members"].as_array_mut().unwrap().remove(0); // Babs is not a member yet
    let outcome = patch(
        &mut g,
        json!([{"op": "add", "path": "members", "value": [babs_member()]}]),
    )
    .unwrap();
    assert_eq!(g["members"][2], babs_member());
    assert_eq!(member_ids(&g).len(), 3);
    assert_eq!(outcome.members_added(), [BABS]);
    assert_eq!(outcome.changed_attributes, ["members"]);
}

#[test]
fn rfc7644_3_5_2_1_add_member_already_present_changes_nothing() {
    let mut g = group();
    let before = g.clone();
    let outcome = patch(
        &mut g,
        json!([{"op": "add", "path": "members", "value": [babs_member()]}]),
    )
    .unwrap();
    assert_eq!(g, before);
    assert!(!outcome.changed());
    assert!(outcome.members_added().is_empty());
}

#[test]
fn rfc7644_3_5_2_1_add_without_path() {
    let mut u = babs();
    u["emails"].as_array_mut().unwrap().pop(); // drop the home email so it can be added
    let outcome = patch(
        &mut u,
        json!([{"op": "add", "value": {
            "emails": [{"value": "babs@jensen.org", "type": "home"}],
            "nickname": "Babs J"
        }}]),
    )
    .unwrap();
    assert_eq!(
        u["emails"],
        json!([
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ])
    );
    // "nickname" as the RFC spells it lands on the schema's nickName.
    assert_eq!(u["nickName"], "Babs J");
    assert!(u.get("nickname").is_none());
    assert_eq!(outcome.changed_attributes, ["emails", "nickName"]);
}

#[test]
fn rfc7644_3_5_2_2_remove_all_members() {
    let mut g = group();
    let outcome = patch(&mut g, json!([{"op": "remove", "path": "members"}])).unwrap();
    assert!(g.get("members").is_none());
    assert_eq!(outcome.members_removed().len(), 3);
}

#[test]
fn rfc7644_3_5_2_2_remove_single_member() {
    let mut g = group();
    let outcome = patch(
        &mut g,
        json!([{"op": "remove", "path": format!("members[value eq \"{BABS}\"]")}]),
    )
    .unwrap();
    assert_eq!(
        member_ids(&g),
        [
            "902c246b-6245-4190-8e05-00816be7344a",
            "b2b2b2b2-0000-4000-8000-000000000002"
        ]
    );
    assert_eq!(outcome.members_removed(), [BABS]);
}

#[test]
fn rfc7644_3_5_2_2_remove_all_members_and_add_new_ones() {
    let mut g = group();
    let outcome = patch(
        &mut g,
        json!([
            {"op": "remove", "path": "members"},
            {"op": "add", "path": "members", "value": [babs_member(), james_member()]}
        ]),
    )
    .unwrap();
    assert_eq!(g["members"], json!([babs_member(), james_member()]));
    assert_eq!(outcome.members_added(), [JAMES]);
    assert_eq!(
        outcome.members_removed(),
        [
            "902c246b-6245-4190-8e05-00816be7344a",
            "b2b2b2b2-0000-4000-8000-000000000002"
        ]
    );
}

#[test]
fn rfc7644_3_5_2_2_remove_filtered_values() {
    let mut u = babs();
    patch(
        &mut u,
        json!([{"op": "remove", "path": "emails[type eq \"work\" and value ew \"example.com\"]"}]),
    )
    .unwrap();
    assert_eq!(
        u["emails"],
        json!([{"value": "babs@jensen.org", "type": "home"}])
    );
}

#[test]
fn rfc7644_3_5_2_3_replace_all_members() {
    let mut g = group();
    let outcome = patch(
        &mut g,
        json!([{"op": "replace", "path": "members", "value": [babs_member(), james_member()]}]),
    )
    .unwrap();
    assert_eq!(g["members"], json!([babs_member(), james_member()]));
    assert_eq!(outcome.members_added(), [JAMES]);
    assert_eq!(outcome.members_removed().len(), 2);
}

#[test]
fn rfc7644_3_5_2_3_replace_filtered_complex_value() {
    let mut u = babs();
    let work = json!({
        "type": "work",
        "streetAddress": "911 Universal City Plaza",
        "locality": "Hollywood",
        "region": "CA",
        "postalCode": "91608",
        "country": "US",
        "formatted": "911 Universal City Plaza\nHollywood, CA 91608 US",
        "primary": true
    });
    patch(
        &mut u,
        json!([{"op": "replace", "path": "addresses[type eq \"work\"]", "value": work}]),
    )
    .unwrap();
    assert_eq!(u["addresses"][0], work);
    assert_eq!(u["addresses"][1]["type"], "home");
}

#[test]
fn rfc7644_3_5_2_3_replace_sub_attribute_of_filtered_value() {
    let mut u = babs();
    let before = u["addresses"][0].clone();
    patch(
        &mut u,
        json!([{"op": "replace", "path": "addresses[type eq \"work\"].streetAddress", "value": "1010 Broadway Ave"}]),
    )
    .unwrap();
    let mut expected = before;
    expected["streetAddress"] = json!("1010 Broadway Ave");
    assert_eq!(u["addresses"][0], expected);
}

#[test]
fn rfc7644_3_5_2_3_replace_without_path() {
    let mut u = babs();
    let outcome = patch(
        &mut u,
        json!([{"op": "replace", "value": {
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "nickname": "Babs"
        }}]),
    )
    .unwrap();
    // Both values are what the user already had: nothing changed.
    assert_eq!(u, babs());
    assert!(!outcome.changed(), "{outcome:?}");
}
