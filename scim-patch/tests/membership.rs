//! The membership questions a server asks of a group PATCH: is it a membership-only change
//! that can be applied without loading the group (and which members), and what did an applied
//! request do to membership.

use scim_patch::{Membership, PatchCompat, PatchRequest, Patcher};
use serde_json::{Value, json};

fn request(operations: Value) -> PatchRequest {
    let mut body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]});
    body["Operations"] = operations;
    PatchRequest::from_value(body).expect("the request parses")
}

fn change(operations: Value, compat: &PatchCompat) -> Option<(Vec<Value>, Vec<String>)> {
    request(operations)
        .membership_change(compat)
        .map(|Membership { add, remove, .. }| (add, remove))
}

#[test]
fn entra_and_okta_membership_requests_need_no_group() {
    let entra = PatchCompat::entra();
    let cases = [
        // Entra: an array with "$ref": null, sub-attribute names in any case.
        (
            json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "Value": "u1"}, {"value": "u2", "display": "Bob"}]}]),
            (
                vec![
                    json!({"value": "u1"}),
                    json!({"value": "u2", "display": "Bob"}),
                ],
                vec![],
            ),
        ),
        // One member as an object.
        (
            json!([{"op": "add", "path": "members", "value": {"value": "u1"}}]),
            (vec![json!({"value": "u1"})], vec![]),
        ),
        // A value filter, and Entra's value list.
        (
            json!([
                {"op": "Remove", "path": "members[value eq \"u1\"]"},
                {"op": "Remove", "path": "members", "value": [{"value": "u2"}, {"value": "u3"}]},
            ]),
            (
                vec![],
                vec!["u1".to_owned(), "u2".to_owned(), "u3".to_owned()],
            ),
        ),
        // Qualified by the Group URN, and a bare id string (complex_from_string).
        (
            json!([{"op": "add", "path": "urn:ietf:params:scim:schemas:core:2.0:Group:members", "value": ["u9"]}]),
            (vec![json!({"value": "u9"})], vec![]),
        ),
    ];
    for (operations, expected) in cases {
        assert_eq!(
            change(operations.clone(), &entra),
            Some(expected),
            "{operations}"
        );
    }
}

#[test]
fn anything_else_is_for_the_general_path() {
    let entra = PatchCompat::entra();
    for operations in [
        json!([{"op": "replace", "path": "displayName", "value": "Ops"}]),
        json!([{"op": "replace", "path": "members", "value": [{"value": "u1"}]}]),
        json!([{"op": "add", "path": "members.value", "value": "u1"}]),
        json!([{"op": "add", "path": "urn:ietf:params:scim:schemas:core:2.0:User:members", "value": [{"value": "u1"}]}]),
        json!([{"op": "add", "path": "members", "value": [{"value": "u1", "nickname": "x"}]}]),
        json!([{"op": "add", "path": "members", "value": [{"value": 7}]}]),
        json!([{"op": "add", "path": "members", "value": [{"value": ""}]}]),
        json!([{"op": "add", "path": "members", "value": [{"display": "no id"}]}]),
        json!([{"op": "remove", "path": "members[display eq \"Bob\"]"}]),
        json!([{"op": "remove", "path": "members[value ne \"u1\"]"}]),
        json!([{"op": "remove", "path": "members"}]),
        // The same id added and removed: the order decides, so the general path does.
        json!([
            {"op": "add", "path": "members", "value": [{"value": "u1"}]},
            {"op": "remove", "path": "members[value eq \"u1\"]"},
        ]),
        // A membership change next to another change.
        json!([
            {"op": "add", "path": "members", "value": [{"value": "u1"}]},
            {"op": "replace", "path": "displayName", "value": "Ops"},
        ]),
    ] {
        assert_eq!(change(operations.clone(), &entra), None, "{operations}");
    }
}

#[test]
fn the_policy_decides_entra_only_forms() {
    let strict = PatchCompat::strict();
    let by_list = json!([{"op": "Remove", "path": "members", "value": [{"value": "u2"}]}]);
    let by_string = json!([{"op": "add", "path": "members", "value": ["u9"]}]);
    assert_eq!(change(by_list.clone(), &strict), None);
    assert_eq!(change(by_string.clone(), &strict), None);
    assert!(change(by_list, &PatchCompat::entra()).is_some());
    assert!(change(by_string, &PatchCompat::entra()).is_some());
}

#[test]
fn an_applied_request_reports_its_membership_change() {
    let group = json!({"displayName": "Ops", "members": [{"value": "u1"}, {"value": "u2"}]});
    let applied = |operations: Value| {
        let mut doc = group.clone();
        let outcome = Patcher::default()
            .apply(request(operations), &mut doc)
            .expect("applies");
        outcome
            .membership_change(doc.as_object().expect("an object"))
            .map(|m| (m.add, m.remove))
    };
    assert_eq!(
        applied(
            json!([{"op": "add", "path": "members", "value": [{"value": "u3", "display": "Cy"}, {"value": "u1"}]}])
        ),
        Some((vec![json!({"value": "u3", "display": "Cy"})], vec![])),
        "an existing member is not added again"
    );
    assert_eq!(
        applied(
            json!([{"op": "replace", "path": "members", "value": [{"value": "u2"}, {"value": "u4"}]}])
        ),
        Some((vec![json!({"value": "u4"})], vec!["u1".to_owned()]))
    );
    assert_eq!(
        applied(json!([{"op": "add", "path": "members", "value": [{"value": "u1"}]}])),
        None,
        "nothing changed"
    );
    assert_eq!(
        applied(json!([
            {"op": "add", "path": "members", "value": [{"value": "u3"}]},
            {"op": "replace", "path": "displayName", "value": "Dev"},
        ])),
        None,
        "more than membership changed"
    );
}
