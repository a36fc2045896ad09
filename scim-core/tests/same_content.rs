//! `Resource::same_content` is "equal once `meta` is removed from both": a store that skips a
//! write because the new content is the same must never skip a real change, whichever side
//! carries `meta`.

use proptest::prelude::*;
use scim_core::{Resource, ResourceKind};
use serde_json::{Map, Value, json};

/// Attribute names, few so that random pairs often share them; `meta` among them.
const KEYS: [&str; 5] = ["userName", "title", "active", "emails", "meta"];

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("A")),
        Just(json!("B")),
        Just(json!(true)),
        Just(json!([{"value": "a@example.com"}])),
        Just(json!({"version": "W/\"1\"", "created": "2026-01-01T00:00:00Z"})),
    ]
}

fn body() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((prop::sample::select(&KEYS[..]), value()), 0..5)
        .prop_map(|pairs| pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// `a`, changed by one of: nothing, `meta` added or removed, one attribute changed, added or
/// removed, the keys reversed. Pairs built this way are equal about half the time, where two
/// independent bodies rarely are.
fn pair() -> impl Strategy<Value = (Map<String, Value>, Map<String, Value>)> {
    (body(), 0..6usize, prop::sample::select(&KEYS[..4]), value()).prop_map(|(a, edit, key, v)| {
        let mut b = a.clone();
        match edit {
            0 => {}
            1 => {
                b.insert("meta".into(), json!({"version": "W/\"9\""}));
            }
            2 => {
                b.shift_remove("meta");
            }
            3 => {
                b.insert(key.into(), v);
            }
            4 => {
                b.shift_remove(key);
            }
            _ => {
                b = a
                    .iter()
                    .rev()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
            }
        }
        (a, b)
    })
}

fn without_meta(body: &Map<String, Value>) -> Map<String, Value> {
    let mut body = body.clone();
    body.shift_remove("meta");
    body
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn same_content_is_equality_without_meta((a, b) in pair()) {
        let expected = without_meta(&a) == without_meta(&b);
        let (ra, rb) = (
            Resource::from_json(ResourceKind::User, Value::Object(a.clone())).unwrap(),
            Resource::from_json(ResourceKind::User, Value::Object(b.clone())).unwrap(),
        );
        prop_assert_eq!(ra.same_content(&rb), expected, "a = {:?}, b = {:?}", a, b);
        prop_assert_eq!(rb.same_content(&ra), expected, "b = {:?}, a = {:?}", b, a);
    }
}

/// The case that lost every update in the store suite's `concurrent_writers`: the stored
/// resource carries `meta`, the replacement has another attribute instead.
#[test]
fn meta_is_no_stand_in_for_another_attribute() {
    let stored = json!({"userName": "bjensen", "meta": {"version": "W/\"1\""}});
    let changed = json!({"userName": "bjensen", "title": "writer 3"});
    let stored = Resource::from_json(ResourceKind::User, stored).unwrap();
    let changed = Resource::from_json(ResourceKind::User, changed).unwrap();
    assert!(!stored.same_content(&changed));
    assert!(!changed.same_content(&stored));
}

/// A user and a group with the same attributes are not the same content.
#[test]
fn kinds_differ() {
    let body = json!({"displayName": "Admins"});
    let user = Resource::from_json(ResourceKind::User, body.clone()).unwrap();
    let group = Resource::from_json(ResourceKind::Group, body).unwrap();
    assert!(!user.same_content(&group));
}
