//! Properties over random requests drawn from a pool of valid and invalid operations:
//!
//! - a refused request leaves the resource byte for byte as it was (keys in their order);
//! - an accepted one reports every attribute it changed, and reports no change only when
//!   there was none;
//! - replace is idempotent: applying a replace-only request twice changes nothing the second
//!   time.

mod common;

use std::collections::BTreeSet;
use std::sync::LazyLock;

use common::{CUSTOM, ENTERPRISE, Schema, babs, body, group};
use proptest::prelude::*;
use scim_patch::{Outcome, PatchCompat, PatchRequest, Patcher};
use serde_json::{Map, Value, json};

/// Babs, who also has a group's members, so that every operation finds something to touch.
fn resource() -> Value {
    let mut r = babs();
    r["members"] = group()["members"].clone();
    r["roles"] = json!([{"value": "User", "primary": true}, {"value": "Reader"}]);
    r
}

/// Replace operations that succeed under every policy.
static REPLACES: LazyLock<Vec<Value>> = LazyLock::new(|| {
    vec![
        json!({"op": "replace", "path": "userName", "value": "other@example.com"}),
        json!({"op": "Replace", "path": "active", "value": false}),
        json!({"op": "replace", "path": "name.givenName", "value": "Barb"}),
        json!({"op": "replace", "path": "emails[type eq \"work\"].value", "value": "w@example.com"}),
        json!({"op": "replace", "path": "addresses[type eq \"work\"].streetAddress", "value": "1 Main St"}),
        json!({"op": "replace", "path": "roles", "value": [{"value": "Admin", "primary": true}]}),
        json!({"op": "replace", "path": "title", "value": null}),
        json!({"op": "replace", "path": "members", "value": [{"value": "n1"}, {"value": "2819c223-7f76-453a-919d-413861904646"}]}),
        json!({"op": "replace", "value": {"displayName": "D", "name.familyName": "F", "nickName": "Babs"}}),
        json!({"op": "replace", "value": {ENTERPRISE: {"department": "Sales", "costCenter": "4130"}}}),
        json!({"op": "replace", "path": format!("{ENTERPRISE}:manager"), "value": {"value": "m9"}}),
        json!({"op": "replace", "path": "emails", "value": [{"value": "only@example.com", "type": "work", "primary": true}]}),
    ]
});

/// Every kind of operation, some of which fail under some or all policies.
static POOL: LazyLock<Vec<Value>> = LazyLock::new(|| {
    let mut pool = REPLACES.clone();
    pool.extend([
        json!({"op": "Replace", "path": "active", "value": "False"}),
        json!({"op": "add", "path": "nickName", "value": "n"}),
        json!({"op": "remove", "path": "title"}),
        json!({"op": "add", "path": "emails", "value": [{"value": "a@example.com", "type": "other"}]}),
        json!({"op": "add", "path": "emails", "value": [{"value": "p@example.com", "type": "x", "primary": true}]}),
        json!({"op": "add", "path": "emails[type eq \"home\"].value", "value": "h@example.com"}),
        json!({"op": "add", "path": "emails[type eq \"other\"].primary", "value": "True"}),
        json!({"op": "remove", "path": "emails[type eq \"home\"]"}),
        json!({"op": "remove", "path": "emails[type eq \"work\"].primary"}),
        json!({"op": "remove", "path": "emails[value eq \"nobody\"]"}),
        json!({"op": "add", "path": format!("{ENTERPRISE}:manager"), "value": "m9"}),
        json!({"op": "replace", "path": format!("{ENTERPRISE}:manager"), "value": ""}),
        json!({"op": "remove", "path": format!("{ENTERPRISE}:manager[value eq \"26118915-6090-4610-87e4-49d8ca9f808d\"]")}),
        json!({"op": "remove", "path": ENTERPRISE}),
        json!({"op": "add", "path": format!("{CUSTOM}:tag"), "value": "t"}),
        json!({"op": "add", "path": format!("{CUSTOM}:folders"), "value": ["a", "b"]}),
        json!({"op": "add", "value": {ENTERPRISE: {"department": "X"}, "profileUrl": "https://x"}}),
        json!({"op": "add", "path": "members", "value": [{"value": "n1"}, {"value": "n2", "$ref": null}]}),
        json!({"op": "remove", "path": "members[value eq \"902c246b-6245-4190-8e05-00816be7344a\"]"}),
        json!({"op": "remove", "path": "members", "value": [{"value": "2819c223-7f76-453a-919d-413861904646"}]}),
        json!({"op": "remove", "path": "members"}),
        json!({"op": "replace", "value": {"id": "x", "displayName": "Y"}}),
        json!({"op": "replace", "path": "roles[primary eq \"True\"].value", "value": "Owner"}),
        // These fail under every policy.
        json!({"op": "replace", "path": "userName[value eq \"x\"]", "value": "y"}),
        json!({"op": "add", "path": "userName.first", "value": "x"}),
        json!({"op": "add", "path": ENTERPRISE, "value": "not an object"}),
        json!({"op": "add", "path": "phoneNumbers[type sw \"z\"].value", "value": "555"}),
        json!({"op": "remove", "path": "urn:ietf:params:scim:schemas:core:2.0:User"}),
        // These fail under the strict policy only.
        json!({"op": "replace", "path": "emails[type eq \"none\"].value", "value": "x"}),
        json!({"op": "add", "path": "ims[type eq \"xmpp\"].value", "value": "x@jabber"}),
    ]);
    pool
});

fn patcher(policy: usize) -> Patcher<Schema> {
    let compat = [
        PatchCompat::entra(),
        PatchCompat::strict(),
        PatchCompat::okta(),
    ][policy];
    Patcher::new(Schema).with_compat(compat)
}

fn apply(
    policy: usize,
    resource: &mut Value,
    ops: &[Value],
) -> Result<Outcome, scim_patch::PatchError> {
    let request = PatchRequest::from_value(body(Value::Array(ops.to_vec())))?;
    patcher(policy).apply(request, resource)
}

/// The names of the attributes that differ between two resources, as `Outcome` names them.
fn differing(before: &Value, after: &Value) -> Vec<String> {
    let empty = Map::new();
    let (b, a) = (before.as_object().unwrap(), after.as_object().unwrap());
    let mut names = Vec::new();
    for key in b.keys().chain(a.keys().filter(|k| !b.contains_key(*k))) {
        let (old, new) = (b.get(key), a.get(key));
        if old == new {
            continue;
        }
        if key.starts_with("urn:") {
            let (old, new) = (
                old.and_then(Value::as_object).unwrap_or(&empty),
                new.and_then(Value::as_object).unwrap_or(&empty),
            );
            for sub in old.keys().chain(new.keys()) {
                if old.get(sub) != new.get(sub) {
                    names.push(format!("{key}:{sub}"));
                }
            }
        } else {
            names.push(key.clone());
        }
    }
    names
}

/// `PROPTEST_CASES` when set (for long local runs), else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(2000)))]

    #[test]
    fn refused_requests_change_nothing_and_accepted_ones_say_what_they_changed(
        picks in prop::collection::vec(0..POOL.len(), 1..7),
        policy in 0..3usize,
    ) {
        let ops: Vec<Value> = picks.iter().map(|&i| POOL[i].clone()).collect();
        let before = resource();
        let bytes_before = serde_json::to_string(&before).unwrap();
        let mut r = before.clone();
        match apply(policy, &mut r, &ops) {
            Err(_) => prop_assert_eq!(serde_json::to_string(&r).unwrap(), bytes_before),
            Ok(outcome) => {
                let changed = differing(&before, &r);
                if !outcome.changed() {
                    prop_assert_eq!(&r, &before);
                }
                // Members added and removed are exactly the difference of the id sets.
                let get_ci = |v: &'_ Value, key: &str| -> Option<Value> {
                    v.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.clone())
                };
                let ids = |r: &Value| -> BTreeSet<String> {
                    get_ci(r, "members").and_then(|m| m.as_array().cloned()).into_iter().flatten()
                        .filter_map(|m| get_ci(&m, "value")?.as_str().map(str::to_owned)).collect()
                };
                let (old_ids, new_ids) = (ids(&before), ids(&r));
                let (added, removed) = outcome.members_delta();
                let added: Vec<String> = added.into_iter().map(str::to_owned).collect();
                let removed: Vec<String> = removed.into_iter().map(str::to_owned).collect();
                prop_assert_eq!(added.iter().cloned().collect::<BTreeSet<_>>(), &new_ids - &old_ids);
                prop_assert_eq!(removed.iter().cloned().collect::<BTreeSet<_>>(), &old_ids - &new_ids);
                prop_assert_eq!(added.len() + removed.len(), (&new_ids - &old_ids).len() + (&old_ids - &new_ids).len(), "duplicates in {:?}", outcome);
                for name in &changed {
                    let reported = outcome.changed_attributes.iter().any(|a| a == name || name.starts_with(&format!("{a}:")));
                    prop_assert!(reported, "{} changed but the outcome says {:?}", name, outcome.changed_attributes);
                }
            }
        }
    }

    #[test]
    fn parsing_bytes_and_parsing_a_tree_agree(picks in prop::collection::vec(0..POOL.len(), 1..7)) {
        let ops: Vec<Value> = picks.iter().map(|&i| POOL[i].clone()).collect();
        let tree = body(Value::Array(ops));
        let bytes = serde_json::to_vec(&tree).unwrap();
        prop_assert_eq!(PatchRequest::from_slice(&bytes), PatchRequest::from_value(tree));
    }

    #[test]
    fn replace_is_idempotent(
        picks in prop::collection::vec(0..REPLACES.len(), 1..5),
        policy in 0..3usize,
    ) {
        let ops: Vec<Value> = picks.iter().map(|&i| REPLACES[i].clone()).collect();
        let mut once = resource();
        apply(policy, &mut once, &ops).unwrap();
        let mut twice = once.clone();
        let outcome = apply(policy, &mut twice, &ops).unwrap();
        prop_assert_eq!(&twice, &once);
        prop_assert!(!outcome.changed(), "{:?}", outcome);
    }
}
