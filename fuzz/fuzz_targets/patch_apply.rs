//! Any bytes as a PATCH body, applied to a user and to a group under each compatibility
//! preset: never a panic; a refused request leaves the resource byte for byte unchanged; an
//! accepted one reports no change only when there was none, and reports exactly the members
//! it added and removed.

#![no_main]

use std::collections::BTreeSet;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use scim_patch::{PatchCompat, PatchRequest, Patcher};
use serde_json::{Value, json};

static RESOURCES: LazyLock<[Value; 2]> = LazyLock::new(|| {
    let user: Value = serde_json::from_str(include_str!("../../bench/user.json")).expect("JSON");
    let group = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "g1",
        "displayName": "Tour Guides",
        "members": [
            {"value": "u1", "display": "One", "$ref": "https://example.com/Users/u1"},
            {"value": "u2", "display": "Two"},
            {"value": "U3"}
        ]
    });
    [user, group]
});

/// The member `key` of `value`, matched in any case as attribute names are.
fn get_ci<'v>(value: &'v Value, key: &str) -> Option<&'v Value> {
    let object = value.as_object()?;
    object.get(key).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// The member ids.
fn member_ids(resource: &Value) -> BTreeSet<String> {
    get_ci(resource, "members")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| get_ci(m, "value")?.as_str().map(str::to_owned))
        .collect()
}

fuzz_target!(|body: &[u8]| {
    let Ok(request) = PatchRequest::from_slice(body) else {
        return;
    };
    for compat in [
        PatchCompat::entra(),
        PatchCompat::strict(),
        PatchCompat::okta(),
    ] {
        let patcher = Patcher::default().with_compat(compat);
        for original in RESOURCES.iter() {
            let mut resource = original.clone();
            match patcher.apply(request.clone(), &mut resource) {
                Err(_) => assert_eq!(
                    serde_json::to_string(&resource).unwrap(),
                    serde_json::to_string(original).unwrap(),
                    "a refused request changed the resource"
                ),
                Ok(outcome) => {
                    if !outcome.changed() {
                        assert_eq!(&resource, original, "unreported change: {outcome:?}");
                    }
                    let (before, after) = (member_ids(original), member_ids(&resource));
                    let (added, removed) = outcome.members_delta();
                    let added: BTreeSet<String> = added.into_iter().map(str::to_owned).collect();
                    let removed: BTreeSet<String> =
                        removed.into_iter().map(str::to_owned).collect();
                    assert_eq!(added, &after - &before, "{outcome:?}");
                    assert_eq!(removed, &before - &after, "{outcome:?}");
                }
            }
        }
    }
});
