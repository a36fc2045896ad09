//! Hostile input: every limit has its own error, is checked before the parser recurses, and
//! holds even when the other limits are lifted. None of these inputs may overflow the stack:
//! each would, several times over, in a parser without a nesting limit.

use scim_filter::{ErrorKind, Filter, Limits, PatchPath};

/// Limits with no length bound, so that only the limit under test can stop the parser.
fn unbounded_length() -> Limits {
    Limits::default().with_max_length(usize::MAX)
}

#[test]
fn defaults_are_documented_values() {
    let limits = Limits::default();
    assert_eq!(
        (limits.max_length, limits.max_depth, limits.max_terms),
        (16 * 1024, 32, 256)
    );
}

#[test]
fn long_input_is_rejected_before_parsing() {
    let input = format!(r#"userName eq "{}""#, "x".repeat(20_000));
    let err = Filter::parse(&input).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::LengthLimitExceeded(16 * 1024));
    assert_eq!(err.position(), 16 * 1024);
    assert_eq!(
        err.message(),
        "the filter is 20014 bytes long, more than the limit of 16384"
    );
    // The same input is fine within a larger limit.
    assert!(Filter::parse_with(&input, &Limits::default().with_max_length(32 * 1024)).is_ok());
    let err = PatchPath::parse(&format!("a{}", "b".repeat(20_000))).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::LengthLimitExceeded(16 * 1024));
}

#[test]
fn deep_parentheses_stop_at_the_depth_limit() {
    // Ten million open parentheses: the limit is met after 33 of them.
    let input = "(".repeat(10_000_000);
    let err = Filter::parse_with(&input, &unbounded_length()).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NestLimitExceeded(32));
    assert_eq!(err.position(), 32);
    assert_eq!(
        err.message(),
        "parentheses and brackets nest deeper than 32 levels"
    );
}

#[test]
fn deep_negations_stop_at_the_depth_limit() {
    let input = "not (".repeat(1_000_000) + "a pr" + &")".repeat(1_000_000);
    let err = Filter::parse_with(&input, &unbounded_length()).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NestLimitExceeded(32));
    assert_eq!(err.position(), 32 * 5 + 4);
}

#[test]
fn brackets_count_towards_depth() {
    let limits = Limits::default().with_max_depth(3);
    assert!(Filter::parse_with(r#"((emails[(type eq "work")]))"#, &limits).is_err());
    assert!(Filter::parse_with(r#"(emails[(type eq "work")])"#, &limits).is_ok());
    let err = PatchPath::parse_with(r#"emails[(((type eq "work")))]"#, &limits).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NestLimitExceeded(3));
    assert_eq!(err.position(), 9);
}

#[test]
fn nesting_within_the_limit_parses() {
    let depth = 32;
    let input = "(".repeat(depth) + "a pr" + &")".repeat(depth);
    assert_eq!(
        Filter::parse(&input),
        Ok(Filter::Present(scim_filter::AttrPath::new("a")))
    );
}

#[test]
fn the_deepest_default_filter_fits_a_small_stack() {
    // Parse, print, evaluate and drop a filter nested to the default limit on a thread with a
    // 1 MiB stack, half of Tokio's default (debug builds use about 8 KiB per level).
    let input = "not (".repeat(31) + r#"emails[type eq "work"]"# + &")".repeat(31);
    let printed = std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(move || {
            let filter = Filter::parse(&input).unwrap();
            let user = serde_json::json!({"emails": [{"type": "work"}]});
            assert!(!filter.matches(&user)); // 31 negations
            filter.to_string()
        })
        .unwrap()
        .join()
        .unwrap();
    assert!(printed.starts_with("not (not ("));
}

#[test]
fn long_chains_stop_at_the_term_limit() {
    // A million terms in one chain: chains are loops, not recursion, and stop at the limit.
    let input = vec!["a pr"; 1_000_000].join(" or ");
    let err = Filter::parse_with(&input, &unbounded_length()).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::TermLimitExceeded(256));
    assert_eq!(err.position(), 256 * 8 + 2);
    assert_eq!(err.message(), "the filter has more than 256 comparisons");
    // Exactly at the limit is fine.
    let input = vec![r#"id eq "x""#; 256].join(" or ");
    let Filter::Or(parts) = Filter::parse_with(&input, &unbounded_length()).unwrap() else {
        panic!("an or-chain")
    };
    assert_eq!(parts.len(), 256);
}

#[test]
fn terms_inside_value_paths_count() {
    let limits = Limits::default().with_max_terms(3);
    assert!(Filter::parse_with(r#"emails[type eq "a" and value pr] and x pr"#, &limits).is_ok());
    let err = Filter::parse_with(
        r#"emails[type eq "a" and value pr].display pr and x pr"#,
        &limits,
    )
    .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::TermLimitExceeded(3));
}

#[test]
fn long_literals_and_names_parse_in_one_pass() {
    // Large but legal input: a million-byte string, and a million-byte attribute name.
    let limits = unbounded_length();
    let input = format!(r#"userName eq "{}""#, "\\\"".repeat(500_000));
    let Filter::Compare { value, .. } = Filter::parse_with(&input, &limits).unwrap() else {
        panic!("a comparison")
    };
    assert_eq!(value, scim_filter::CompValue::String("\"".repeat(500_000)));
    let input = format!("a{} pr", "b".repeat(1_000_000));
    assert!(Filter::parse_with(&input, &limits).is_ok());
    let input = format!("a eq {}", "9".repeat(1_000_000));
    let err = Filter::parse_with(&input, &limits).unwrap_err();
    assert_eq!(
        (err.position(), err.message()),
        (5, "this number is out of range")
    );
}
