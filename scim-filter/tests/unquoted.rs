//! Unquoted string literals (`Limits::with_unquoted_strings`), as Microsoft's reference
//! Postman collection sends them: accepted only when asked for, and never read two ways.

use scim_filter::{CompValue, Filter, Limits};

fn lenient(input: &str) -> Filter {
    let limits = Limits::default().with_unquoted_strings(true);
    Filter::parse_with(input, &limits).unwrap_or_else(|e| panic!("{input}: {e}"))
}

#[test]
fn microsofts_three_filters_parse_as_their_quoted_forms() {
    for (unquoted, quoted) in [
        (
            "name.FamilyName eq Employee",
            r#"name.FamilyName eq "Employee""#,
        ),
        ("userName sw O", r#"userName sw "O""#),
        (
            "meta.Created gt 2015-10-10T14:38:21.8617979-07:00",
            r#"meta.Created gt "2015-10-10T14:38:21.8617979-07:00""#,
        ),
    ] {
        assert_eq!(
            lenient(unquoted),
            Filter::parse(quoted).unwrap(),
            "{unquoted}"
        );
        // Without the leniency each is the RFC's syntax error.
        assert!(Filter::parse(unquoted).is_err(), "{unquoted}");
    }
}

#[test]
fn keywords_and_numbers_keep_their_json_meaning() {
    let value = |input: &str| match lenient(input) {
        Filter::Compare { value, .. } => value,
        other => panic!("{input}: {other:?}"),
    };
    assert_eq!(value("active eq True"), CompValue::Bool(true));
    assert_eq!(value("manager eq null"), CompValue::Null);
    assert!(matches!(value("age gt 42"), CompValue::Number(_)));
    assert_eq!(value("title eq 42nd"), CompValue::String("42nd".into()));
    assert_eq!(
        value(r#"title eq "quoted still works""#),
        CompValue::String("quoted still works".into())
    );
}

#[test]
fn an_unquoted_word_ends_at_spaces_and_brackets() {
    assert_eq!(
        lenient("(userName eq bjensen) and emails[type eq work]"),
        Filter::parse(r#"(userName eq "bjensen") and emails[type eq "work"]"#).unwrap()
    );
    assert_eq!(
        lenient("userName eq bjensen or userName eq jsmith"),
        Filter::parse(r#"userName eq "bjensen" or userName eq "jsmith""#).unwrap()
    );
    // A value is still required.
    assert!(
        Filter::parse_with(
            "userName eq ",
            &Limits::default().with_unquoted_strings(true)
        )
        .is_err()
    );
}
