//! Refused requests: each with its `scimType` and the exact detail a client sees, and the
//! resource untouched.

mod common;

use common::{Schema, babs, body, patch};
use scim_patch::{PatchCompat, PatchErrorKind, PatchRequest, Patcher};
use serde_json::{Value, json};

use PatchErrorKind::{InvalidPath, InvalidSyntax, InvalidValue, NoTarget};

/// Asserts each `(body, kind, message)` row, collecting every failure.
fn parse_table(rows: &[(&[u8], PatchErrorKind, &str)]) {
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|&(raw, kind, message)| {
            let text = String::from_utf8_lossy(raw);
            // Parsing from a JSON tree must agree with parsing from bytes.
            if let Ok(tree) = serde_json::from_slice::<Value>(raw) {
                let from_tree = PatchRequest::from_value(tree)
                    .map(|_| ())
                    .map_err(|e| e.to_string());
                let from_bytes = PatchRequest::from_slice(raw)
                    .map(|_| ())
                    .map_err(|e| e.to_string());
                if from_tree != from_bytes {
                    return Some(format!(
                        "  {text}: from_value {from_tree:?}, from_slice {from_bytes:?}"
                    ));
                }
            }
            match PatchRequest::from_slice(raw) {
                Ok(_) => Some(format!("  {text}: parsed")),
                Err(e) if e.kind() != kind || e.to_string() != message => Some(format!(
                    "  {text}: {} {:?}, expected {} {message:?}",
                    e.scim_type(),
                    e.to_string(),
                    kind.scim_type()
                )),
                Err(_) => None,
            }
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn malformed_bodies() {
    let urn = r#""schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]"#;
    let with_ops = |ops: &str| format!("{{{urn},\"Operations\":{ops}}}").into_bytes();
    let cases = [
        (
            b"{".to_vec(),
            InvalidSyntax,
            "the body is not valid JSON: EOF while parsing an object at line 1 column 1",
        ),
        (
            b"[]".to_vec(),
            InvalidSyntax,
            "the body must be a JSON object with \"schemas\" and \"Operations\"",
        ),
        (
            br#"{"Operations":[{"op":"add","path":"a","value":1}]}"#.to_vec(),
            InvalidSyntax,
            "\"schemas\" must list \"urn:ietf:params:scim:api:messages:2.0:PatchOp\"",
        ),
        (
            br#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"Operations":[]}"#
                .to_vec(),
            InvalidSyntax,
            "\"schemas\" must list \"urn:ietf:params:scim:api:messages:2.0:PatchOp\"",
        ),
        (
            format!("{{{urn}}}").into_bytes(),
            InvalidSyntax,
            "the body has no \"Operations\"",
        ),
        (
            with_ops("{}"),
            InvalidSyntax,
            "\"Operations\" must be an array",
        ),
        (with_ops("[]"), InvalidSyntax, "\"Operations\" is empty"),
        (
            with_ops("[1]"),
            InvalidSyntax,
            "Operations[0]: each operation must be a JSON object",
        ),
        (
            with_ops(r#"[{"path":"a","value":1}]"#),
            InvalidSyntax,
            "Operations[0]: the operation has no \"op\"",
        ),
        (
            with_ops(r#"[{"op":1}]"#),
            InvalidSyntax,
            "Operations[0]: \"op\" must be a string",
        ),
        (
            with_ops(r#"[{"op":"add","path":"a","value":1},{"op":"move","path":"a"}]"#),
            InvalidSyntax,
            "Operations[1]: \"op\" is \"move\"; expected add, replace or remove",
        ),
        (
            with_ops(r#"[{"op":"remove"}]"#),
            NoTarget,
            "Operations[0]: remove needs a path",
        ),
        (
            with_ops(r#"[{"op":"remove","path":""}]"#),
            NoTarget,
            "Operations[0]: remove needs a path",
        ),
        (
            with_ops(r#"[{"op":"add","path":"nickName"}]"#),
            InvalidValue,
            "Operations[0]: add needs a value",
        ),
        (
            with_ops(r#"[{"op":"replace","path":"nickName"}]"#),
            InvalidValue,
            "Operations[0]: replace needs a value",
        ),
        (
            with_ops(r#"[{"op":"replace","value":"x"}]"#),
            InvalidValue,
            "Operations[0]: replace without a path needs an object value, whose keys are the attributes to replace",
        ),
        (
            with_ops(r#"[{"op":"add","path":7,"value":1}]"#),
            InvalidPath,
            "Operations[0]: \"path\" must be a string",
        ),
        (
            with_ops(r#"[{"op":"add","path":"emails[type eq \"work\"","value":1}]"#),
            InvalidPath,
            "Operations[0]: the path \"emails[type eq \"work\"\" is invalid: expected \"]\" to close the \"[\" at 6, found the end of the input at 21",
        ),
        (
            with_ops(r#"[{"op":"add","path":"name.givenName.x","value":1}]"#),
            InvalidPath,
            "Operations[0]: the path \"name.givenName.x\" is invalid: an attribute path has at most one sub-attribute at 14",
        ),
        (
            with_ops(r#"[{"op":"add","path":"emails[type eq work]","value":1}]"#),
            InvalidPath,
            "Operations[0]: the path \"emails[type eq work]\" is invalid: expected a value, found \"work\": strings must be in double quotes at 15",
        ),
    ];
    let rows: Vec<(&[u8], PatchErrorKind, &str)> = cases
        .iter()
        .map(|(b, k, m)| (b.as_slice(), *k, *m))
        .collect();
    parse_table(&rows);
}

#[test]
fn member_names_and_ops_are_matched_in_any_case() {
    let request = PatchRequest::from_value(json!({
        "SCHEMAS": ["URN:IETF:PARAMS:SCIM:API:MESSAGES:2.0:PATCHOP"],
        "operations": [{"OP": "REPLACE", "Path": "nickName", "Value": "x"}]
    }))
    .unwrap();
    assert_eq!(request.operations.len(), 1);
}

/// Applies `operations` to Babs and asserts the error and that Babs is unchanged.
fn refused(operations: Value, kind: PatchErrorKind, message: &str) {
    let shown = operations.to_string();
    let mut u = babs();
    let err = patch(&mut u, operations).unwrap_err();
    assert_eq!(
        (err.kind(), err.to_string().as_str()),
        (kind, message),
        "{shown}"
    );
    assert_eq!(u, babs(), "{shown} changed the resource");
}

#[test]
fn paths_that_do_not_fit_the_resource() {
    refused(
        json!([{"op": "add", "path": "userName.first", "value": "x"}]),
        InvalidPath,
        "Operations[0]: \"userName.first\" names a sub-attribute, but \"userName\" is a string",
    );
    refused(
        json!([{"op": "replace", "path": "userName[value eq \"x\"]", "value": "y"}]),
        InvalidPath,
        "Operations[0]: \"userName[value eq \"x\"]\" filters the values of \"userName\", but it is a string",
    );
    refused(
        json!([{"op": "remove", "path": "urn:ietf:params:scim:schemas:core:2.0:User"}]),
        InvalidPath,
        "Operations[0]: \"urn:ietf:params:scim:schemas:core:2.0:User\" names the whole resource, which cannot be removed",
    );
    refused(
        json!([{"op": "add", "value": {"emails[type eq": "x"}}]),
        InvalidPath,
        "Operations[0]: the path \"emails[type eq\" is invalid: expected a space and a value after \"eq\" at 14",
    );
}

#[test]
fn values_of_the_wrong_shape() {
    refused(
        json!([{"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "value": "x"}]),
        InvalidValue,
        "Operations[0]: the value for the extension \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\" must be an object of its attributes",
    );
    let strict = Patcher::new(Schema).with_compat(PatchCompat::strict());
    let mut u = babs();
    let err = common::patch_with(
        &strict,
        &mut u,
        json!([{"op": "replace", "path": "emails[type eq \"work\"]", "value": "x@example.com"}]),
    )
    .unwrap_err();
    assert_eq!(err.kind(), InvalidValue);
    assert_eq!(
        err.to_string(),
        "Operations[0]: a value of \"emails\" must be an object of its sub-attributes, not a string"
    );
    assert_eq!(u, babs());
    let err = Patcher::default()
        .apply(
            PatchRequest::from_value(body(json!([{"op": "add", "path": "a", "value": 1}])))
                .unwrap(),
            &mut json!([]),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the resource to patch is not a JSON object"
    );
}

#[test]
fn filters_that_cannot_describe_a_new_element() {
    refused(
        json!([{"op": "add", "path": "emails[type ne \"work\" and value co \"@\"].display", "value": "x"}, {"op": "add", "path": "phoneNumbers[type sw \"fax\"].value", "value": "555"}]),
        NoTarget,
        "Operations[1]: no value of \"phoneNumbers\" matches type sw \"fax\", and a new one cannot be made from the filter: only \"eq\" conditions joined by \"and\" describe one",
    );
}

#[test]
fn a_failing_operation_undoes_the_ones_before_it() {
    // Five operations touching every kind of change, then one that fails.
    refused(
        json!([
            {"op": "replace", "path": "userName", "value": "changed"},
            {"op": "remove", "path": "title"},
            {"op": "add", "path": "emails", "value": [{"value": "new@example.com", "type": "other", "primary": true}]},
            {"op": "remove", "path": "phoneNumbers[type eq \"work\"]"},
            {"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "m2"},
            {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:tag", "value": "t"},
            {"op": "replace", "path": "userName[value eq \"x\"]", "value": "y"}
        ]),
        InvalidPath,
        "Operations[6]: \"userName[value eq \"x\"]\" filters the values of \"userName\", but it is a string",
    );
}

/// A body that says two things is refused, not read one way: a member named twice (the
/// envelope's and an operation's in any case, a value's exactly), and a NUL character, which
/// many stores cannot hold.
#[test]
fn bodies_that_say_two_things() {
    let rows: &[(&[u8], &str)] = &[
        (
            br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[],"operations":[{"op":"add","path":"title","value":"x"}]}"#,
            "\"Operations\" is given twice",
        ),
        (
            br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","OP":"remove","path":"title","value":"x"}]}"#,
            "\"op\" is given twice",
        ),
        (
            br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":true,"active":false}}]}"#,
            "the member \"active\" is given twice in one object",
        ),
        (
            br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"a\u0000b"}]}"#,
            "U+0000",
        ),
    ];
    for &(raw, needle) in rows {
        let err = PatchRequest::from_slice(raw).unwrap_err();
        assert_eq!(err.kind(), InvalidSyntax, "{err}");
        assert!(err.to_string().contains(needle), "{err}");
        assert!(err.to_string().starts_with("the body is refused"), "{err}");
    }
}
