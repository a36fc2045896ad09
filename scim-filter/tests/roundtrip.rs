//! Properties: printing is the inverse of parsing, for every AST the parser can produce, and no
//! input makes the parser panic.

use proptest::prelude::*;
use scim_filter::{AttrPath, CompValue, CompareOp, Filter, PatchPath, ValuePath};
use serde_json::Number;

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z][a-zA-Z0-9_-]{0,8}",
        // Names that are also keywords, operators or literals.
        prop::sample::select(vec![
            "not", "and", "or", "pr", "eq", "true", "null", "NOT", "$ref", "value"
        ])
        .prop_map(str::to_owned),
    ]
}

fn schema() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "urn:ietf:params:scim:schemas:extension:2.0:CustomExtensionName",
        ])
        .prop_map(str::to_owned),
        "urn:[a-zA-Z0-9.:_-]{1,20}",
    ]
}

fn attr_path() -> impl Strategy<Value = AttrPath> {
    (prop::option::of(schema()), name(), prop::option::of(name())).prop_map(
        |(schema, name, sub_attr)| AttrPath {
            schema,
            name,
            sub_attr,
        },
    )
}

fn number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from),
        any::<u64>().prop_map(Number::from),
        any::<f64>().prop_filter_map("finite", Number::from_f64),
        (-1000i32..1000).prop_map(|n| Number::from_f64(f64::from(n) / 8.0).unwrap()),
    ]
}

fn comp_value() -> impl Strategy<Value = CompValue> {
    prop_oneof![
        Just(CompValue::Null),
        any::<bool>().prop_map(CompValue::Bool),
        number().prop_map(CompValue::Number),
        any::<String>().prop_map(CompValue::String),
        "[a-z\"\\\\ ()\\[\\]]{0,6}".prop_map(CompValue::String),
    ]
}

fn leaf() -> impl Strategy<Value = Filter> {
    prop_oneof![
        4 => (attr_path(), prop::sample::select(CompareOp::ALL.to_vec()), comp_value())
            .prop_map(|(attr, op, value)| Filter::Compare { attr, op, value }),
        1 => attr_path().prop_map(Filter::Present),
    ]
}

/// Filters without value paths: what may appear inside brackets.
fn value_filter() -> impl Strategy<Value = Filter> {
    leaf().prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|f| Filter::Not(Box::new(f))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Filter::And),
            prop::collection::vec(inner, 2..4).prop_map(Filter::Or),
        ]
    })
}

fn filter() -> impl Strategy<Value = Filter> {
    let base = prop_oneof![
        3 => leaf(),
        1 => (attr_path(), value_filter()).prop_map(|(attr, filter)| {
            Filter::ValuePath(ValuePath { attr, filter: Box::new(filter) })
        }),
    ];
    base.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|f| Filter::Not(Box::new(f))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Filter::And),
            prop::collection::vec(inner, 2..4).prop_map(Filter::Or),
        ]
    })
}

fn patch_path() -> impl Strategy<Value = PatchPath> {
    prop_oneof![
        attr_path().prop_map(|attr| PatchPath {
            attr,
            filter: None,
            sub_attr: None
        }),
        (attr_path(), value_filter(), prop::option::of(name())).prop_map(
            |(mut attr, filter, sub_attr)| {
                attr.sub_attr = None;
                PatchPath {
                    attr,
                    filter: Some(filter),
                    sub_attr,
                }
            }
        ),
    ]
}

/// `PROPTEST_CASES` when set (for long local runs), else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(1000)))]

    #[test]
    fn filters_print_and_parse_back(ast in filter()) {
        let text = ast.to_string();
        prop_assert_eq!(Filter::parse(&text), Ok(ast), "{}", text);
    }

    #[test]
    fn patch_paths_print_and_parse_back(ast in patch_path()) {
        let text = ast.to_string();
        prop_assert_eq!(PatchPath::parse(&text), Ok(ast), "{}", text);
    }

    #[test]
    fn any_input_parses_or_fails_cleanly(input in "\\PC{0,64}") {
        if let Ok(ast) = Filter::parse(&input) {
            prop_assert_eq!(Filter::parse(&ast.to_string()), Ok(ast));
        }
        if let Ok(ast) = PatchPath::parse(&input) {
            prop_assert_eq!(PatchPath::parse(&ast.to_string()), Ok(ast));
        }
    }

    #[test]
    fn plain_paths_parse_the_same_with_and_without_the_fast_path(input in "[a-zA-Z$][a-zA-Z0-9_.$-]{0,12}") {
        // PatchPath::parse takes a shortcut for plain names; in a filter (`path pr`) the same
        // text goes through the general grammar.
        let fast = PatchPath::parse(&input);
        let general = Filter::parse(&format!("{input} pr"));
        match (fast, general) {
            (Ok(fast), Ok(Filter::Present(general))) => prop_assert_eq!(fast.attr, general),
            (Err(fast), Err(general)) => prop_assert_eq!(fast.position(), general.position()),
            (fast, general) => prop_assert!(false, "{:?} vs {:?}", fast, general),
        }
    }

    #[test]
    fn filter_like_input_parses_or_fails_cleanly(
        input in r#"(not ?|\(|\)|\[|\]|[a-z]{1,3}|\.|:| |"[a-z]*"|-?[0-9]{1,3}| (and|or|eq|pr|co) ){0,24}"#
    ) {
        if let Ok(ast) = Filter::parse(&input) {
            prop_assert_eq!(Filter::parse(&ast.to_string()), Ok(ast));
        }
    }
}
