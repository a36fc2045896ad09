//! Inputs found by `fuzz/fuzz_targets/patch_apply.rs`, each kept with what it taught.

use scim_patch::{PatchRequest, Patcher};
use serde_json::{Value, json};

/// Members added through a path spelled `membeRs`, to a resource that had no members, on a
/// patcher without schema information: the attribute is created under the client's spelling,
/// and, attribute names being case-insensitive, the members are reported as added. The fuzz
/// target's own check first read only the key `members` and called this a bug; the library
/// was right, and this pins its behaviour.
#[test]
fn members_in_another_case() {
    let body = include_bytes!("fuzz/members-in-another-case.json");
    let mut user = json!({"userName": "u"});
    let outcome = Patcher::default()
        .apply(PatchRequest::from_slice(body).unwrap(), &mut user)
        .unwrap();
    let stored: Vec<&str> = user["membeRs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m.get("value").and_then(Value::as_str))
        .collect();
    assert_eq!(outcome.members_added(), stored);
    assert_eq!(stored.len(), 7); // the element without a "value" is kept, not counted
    assert_eq!(outcome.changed_attributes, ["membeRs"]);
}

/// A member written `{"Value": ...}`: its id is read case-insensitively like every attribute
/// name, so it counts as added (and would count as a duplicate of a `{"value": ...}` member).
/// The fuzz target's check read only `"value"`; again the library was right.
#[test]
fn member_value_in_another_case() {
    let body = include_bytes!("fuzz/member-value-in-another-case.json");
    let mut group =
        json!({"displayName": "g", "members": [{"value": "00001773-0000-4000-8000-000000001773"}]});
    let outcome = Patcher::default()
        .apply(PatchRequest::from_slice(body).unwrap(), &mut group)
        .unwrap();
    // The "Value" member was already there as "value": not added again.
    assert!(
        !outcome
            .members_added()
            .contains(&"00001773-0000-4000-8000-000000001773")
    );
    assert_eq!(outcome.members_added().len(), 5);
    assert_eq!(group["members"].as_array().unwrap().len(), 6);
}

/// A `replace` of `members` whose list names a member twice, one of them already in the
/// group (`u1`): the outcome reported `u1` as added, though it was a member before and after.
/// With a short list, the check for "was it there before" marked only the first of the two
/// entries. A member is now counted once, however often a list names it.
#[test]
fn member_named_twice_in_a_replace() {
    let body = include_bytes!("fuzz/member-named-twice-in-a-replace.json");
    let mut group = json!({"displayName": "g", "members": [
        {"value": "u1"}, {"value": "u2"}, {"value": "U3"}]});
    let outcome = Patcher::default()
        .apply(PatchRequest::from_slice(body).unwrap(), &mut group)
        .unwrap();
    let (added, removed) = outcome.members_delta();
    assert!(!added.contains(&"u1"), "{added:?}");
    assert_eq!(removed, ["u2", "U3"]);
    let mut unique = added.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), added.len(), "each member once: {added:?}");
}
