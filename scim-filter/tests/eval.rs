//! The evaluator's rules, one table per rule: each row is a filter and whether it matches the
//! resource under test, with and without schema information.

use scim_filter::{AttrInfo, AttrPath, AttrType, AttributeLookup, Evaluator, Filter, NoSchema};
use serde_json::{Value, json};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

/// A small User schema: enough to exercise every piece of information the evaluator uses.
struct UserSchema;

impl AttributeLookup for UserSchema {
    fn attribute<'a>(&'a self, schema: Option<&'a str>, name: &'a str) -> Option<AttrInfo<'a>> {
        let in_enterprise = schema.is_none_or(|s| s.eq_ignore_ascii_case(ENTERPRISE));
        let in_core = schema.is_none_or(|s| s.eq_ignore_ascii_case(CORE));
        let name = name.to_ascii_lowercase();
        if name == "employeenumber" {
            return in_enterprise
                .then(|| AttrInfo::new("employeeNumber", AttrType::String).extension(ENTERPRISE));
        }
        if !in_core {
            return None;
        }
        let info = match name.as_str() {
            "id" => AttrInfo::new("id", AttrType::String).case_exact(true),
            "username" => AttrInfo::new("userName", AttrType::String),
            "externalid" => AttrInfo::new("externalId", AttrType::String).case_exact(true),
            "active" => AttrInfo::new("active", AttrType::Boolean),
            "logincount" => AttrInfo::new("loginCount", AttrType::Integer),
            "birthday" => AttrInfo::new("birthday", AttrType::DateTime),
            "meta" => AttrInfo::new("meta", AttrType::Complex),
            "emails" => AttrInfo::new("emails", AttrType::Complex).multi_valued(true),
            "members" => AttrInfo::new("members", AttrType::Complex).multi_valued(true),
            "certificates" => AttrInfo::new("certificates", AttrType::Binary).multi_valued(true),
            _ => return None,
        };
        Some(info)
    }

    fn sub_attribute<'a>(
        &'a self,
        _: Option<&'a str>,
        parent: &'a str,
        sub: &'a str,
    ) -> Option<AttrInfo<'a>> {
        let info = match (
            parent.to_ascii_lowercase().as_str(),
            sub.to_ascii_lowercase().as_str(),
        ) {
            ("meta", "lastmodified") => AttrInfo::new("lastModified", AttrType::DateTime),
            ("emails", "value") => AttrInfo::new("value", AttrType::String),
            ("emails", "type") => AttrInfo::new("type", AttrType::String),
            ("emails", "primary") => AttrInfo::new("primary", AttrType::Boolean),
            ("members", "value") => AttrInfo::new("value", AttrType::String).case_exact(true),
            _ => return None,
        };
        Some(info)
    }
}

fn user() -> Value {
    json!({
        "id": "2819c223-7F76",
        "userName": "BJensen",
        "externalId": "Ext-1",
        "displayName": "Élodie Jensen",
        "nickName": "",
        "title": null,
        "active": true,
        "loginCount": 10,
        "score": 2.5,
        "birthday": "1990-01-02T10:00:00+02:00",
        "roles": [],
        "name": {"givenName": "Barbara", "familyName": ""},
        "x509Certificates": [],
        "certificates": ["QUJD"],
        "folders": ["Inbox", "Archive"],
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home", "primary": "False"}
        ],
        "members": [{"value": "AbC"}],
        "meta": {"lastModified": "2011-05-13T04:42:34Z", "created": "2010-01-23T04:56:22Z"},
        ENTERPRISE: {"employeeNumber": "701984", "manager": {"value": "boss"}},
        "UPPERCASE": "shout"
    })
}

/// Asserts each `(filter, expected)` row against `resource` with `evaluator`, collecting all
/// failures.
fn table<L: AttributeLookup>(evaluator: &Evaluator<L>, resource: &Value, rows: &[(&str, bool)]) {
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|&(text, expected)| {
            let filter = Filter::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            let got = evaluator.matches(&filter, resource);
            (got != expected).then(|| format!("  {text}: got {got}, expected {expected}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn no_schema() -> Evaluator<NoSchema> {
    Evaluator::new(NoSchema)
}

fn with_schema() -> Evaluator<UserSchema> {
    Evaluator::new(UserSchema)
}

#[test]
fn attribute_names_are_case_insensitive() {
    let rows = [
        (r#"username eq "bjensen""#, true),
        (r#"USERNAME eq "bjensen""#, true),
        (r#"NAME.GIVENNAME eq "barbara""#, true),
        (r#"uppercase eq "SHOUT""#, true),
        (r#"Emails[TYPE eq "work"]"#, true),
        (
            r#"urn:ietf:params:scim:schemas:extension:ENTERPRISE:2.0:User:EMPLOYEENUMBER eq "701984""#,
            true,
        ),
    ];
    table(&no_schema(), &user(), &rows);
    table(&with_schema(), &user(), &rows);
}

#[test]
fn strings_compare_case_insensitively_unless_case_exact() {
    let common = [
        (r#"userName eq "bjensen""#, true),
        (r#"userName ne "BJENSEN""#, false),
        (r#"userName sw "bj""#, true),
        (r#"userName ew "SEN""#, true),
        (r#"userName co "JEN""#, true),
        (r#"userName co """#, true),
        (r#"userName gt "a""#, true),
        (r#"userName gt "C""#, false),
        (r#"userName lt "c""#, true),
        (r#"userName ge "BJENSEN""#, true),
        (r#"displayName eq "élodie jensen""#, true),
        (r#"displayName sw "ÉLO""#, true),
        (r#"displayName co "DIE J""#, true),
    ];
    table(&no_schema(), &user(), &common);
    table(&with_schema(), &user(), &common);
    // id, externalId and members.value are caseExact in this schema.
    let exact = [
        (r#"id eq "2819c223-7f76""#, false),
        (r#"id eq "2819c223-7F76""#, true),
        (r#"id sw "2819C""#, false),
        (r#"externalId eq "ext-1""#, false),
        (r#"externalId ne "ext-1""#, true),
        (r#"members[value eq "abc"]"#, false),
        (r#"members[value eq "AbC"]"#, true),
        (r#"members eq "abc""#, false),
        (r#"members eq "AbC""#, true),
    ];
    table(&with_schema(), &user(), &exact);
    // Without a schema every string is case-insensitive.
    let inexact = [
        (r#"id eq "2819c223-7f76""#, true),
        (r#"externalId eq "ext-1""#, true),
        (r#"members[value eq "abc"]"#, true),
    ];
    table(&no_schema(), &user(), &inexact);
}

#[test]
fn binary_attributes_are_always_case_exact() {
    let rows = [
        (r#"certificates eq "QUJD""#, true),
        (r#"certificates eq "qujd""#, false),
    ];
    table(&with_schema(), &user(), &rows);
}

#[test]
fn date_times_compare_as_instants() {
    let common = [
        // The same instant written three ways.
        (r#"meta.lastModified eq "2011-05-13T04:42:34Z""#, true),
        (r#"meta.lastModified eq "2011-05-13T06:42:34+02:00""#, true),
        (r#"meta.lastModified eq "2011-05-12T23:42:34-05:00""#, true),
        (r#"meta.lastModified eq "2011-05-13T04:42:34.000Z""#, true),
        (r#"meta.lastModified ne "2011-05-13T06:42:34+02:00""#, false),
        // 04:42:34Z is after 05:00:00+02:00 (03:00:00Z), though it sorts before it as text.
        (r#"meta.lastModified gt "2011-05-13T05:00:00+02:00""#, true),
        (r#"meta.lastModified lt "2011-05-13T05:00:00+02:00""#, false),
        (r#"meta.lastModified ge "2011-05-13T04:42:34Z""#, true),
        (r#"meta.lastModified le "2011-05-13T04:42:33Z""#, false),
        // Without an offset, xsd:dateTime is read as UTC.
        (r#"meta.lastModified eq "2011-05-13T04:42:34""#, true),
        (r#"birthday lt "1990-01-02T09:00:00Z""#, true),
        (r#"meta.created lt "2011-01-01T00:00:00Z""#, true),
        // Substring operators stay textual.
        (r#"meta.lastModified sw "2011-05""#, true),
    ];
    table(&no_schema(), &user(), &common);
    table(&with_schema(), &user(), &common);
    // A dateTime attribute compared with something that is not a date-time never matches;
    // without a schema the comparison falls back to text.
    let resource =
        json!({"birthday": "1990-01-02T10:00:00+02:00", "meta": {"lastModified": "not a date"}});
    table(
        &with_schema(),
        &resource,
        &[
            (r#"birthday gt "tomorrow""#, false),
            (r#"birthday lt "tomorrow""#, false),
            (r#"meta.lastModified eq "not a date""#, false),
        ],
    );
    table(
        &no_schema(),
        &resource,
        &[(r#"meta.lastModified eq "NOT A DATE""#, true)],
    );
}

#[test]
fn numbers_compare_numerically() {
    let rows = [
        ("loginCount eq 10", true),
        ("loginCount eq 10.0", true),
        ("loginCount eq 1e1", true),
        ("loginCount gt 9.5", true),
        ("loginCount gt 10", false),
        ("loginCount ge 10", true),
        ("loginCount lt 100", true),
        ("loginCount le -1", false),
        ("loginCount ne 11", true),
        ("score gt 2", true),
        ("score lt 2.51", true),
        ("score eq 2.5", true),
        ("loginCount gt 10 and loginCount le 100.5", false),
        ("loginCount gt 9 and loginCount le 100.5", true),
        // Numbers are not strings, and substring operators don't apply.
        (r#"loginCount eq "10""#, false),
        (r#"loginCount co "1""#, false),
        ("loginCount co 1", false),
    ];
    table(&no_schema(), &user(), &rows);
    table(&with_schema(), &user(), &rows);
    let big = json!({"n": u64::MAX, "m": i64::MIN});
    table(
        &no_schema(),
        &big,
        &[
            ("n eq 18446744073709551615", true),
            ("n gt 18446744073709551614", true),
            ("m lt -9223372036854775807", true),
            ("m lt 0.5", true),
        ],
    );
}

#[test]
fn booleans_compare_only_with_eq_and_ne() {
    let rows = [
        ("active eq true", true),
        ("active eq TRUE", true),
        ("active ne false", true),
        ("active eq false", false),
        ("active gt false", false),
        ("active ge true", false),
        ("active lt true", false),
        (r#"active co "t""#, false),
        // In RFC terms a string never equals a boolean.
        (r#"active eq "true""#, false),
        (r#"emails[type eq "work" and primary eq "True"]"#, false),
    ];
    table(&no_schema(), &user(), &rows);
    table(&with_schema(), &user(), &rows);
}

#[test]
fn string_booleans_when_switched_on() {
    let rows = [
        (r#"active eq "True""#, true),
        (r#"active eq "FALSE""#, false),
        (r#"active ne "false""#, true),
        (r#"active eq "yes""#, false),
        (r#"emails[type eq "work" and primary eq "True"]"#, true),
        (r#"emails[type eq "home" and primary eq "True"]"#, false),
        // A boolean stored as a string by an older write also compares.
        (r#"emails[type eq "home" and primary eq false]"#, true),
        (r#"active gt "false""#, false),
    ];
    table(&no_schema().string_booleans(true), &user(), &rows);
    table(&with_schema().string_booleans(true), &user(), &rows);
}

#[test]
fn present_means_a_non_empty_value() {
    let rows = [
        ("userName pr", true),
        ("nickName pr", false), // ""
        ("title pr", false),    // null
        ("roles pr", false),    // []
        ("x509Certificates pr", false),
        ("missing pr", false),
        ("name pr", true), // has a non-empty sub-attribute
        ("name.familyName pr", false),
        ("name.givenName pr", true),
        ("active pr", true),
        ("loginCount pr", true),
        ("emails pr", true),
        ("emails.value pr", true),
        ("emails.display pr", false),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager pr",
            true,
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department pr",
            false,
        ),
        ("not (title pr)", true),
    ];
    table(&no_schema(), &user(), &rows);
    table(&with_schema(), &user(), &rows);
    let hollow = json!({"name": {"givenName": "", "familyName": null}, "emails": [{"value": ""}], "zero": 0, "no": false});
    table(
        &no_schema(),
        &hollow,
        &[
            ("name pr", false),
            ("emails pr", false),
            ("zero pr", true),
            ("no pr", true),
        ],
    );
}

#[test]
fn multi_valued_attributes_match_if_any_value_does() {
    let rows = [
        (r#"emails.type eq "home""#, true),
        (r#"emails.type eq "work""#, true),
        (r#"emails.type eq "other""#, false),
        // ne: some value differs.
        (r#"emails.type ne "work""#, true),
        (r#"emails.value ew ".org""#, true),
        (r#"folders eq "archive""#, true),
        (r#"folders sw "in""#, true),
        (r#"folders eq "sent""#, false),
        (r#"schemas eq "x""#, false),
    ];
    table(&no_schema(), &user(), &rows);
    table(&with_schema(), &user(), &rows);
}

#[test]
fn complex_values_compare_through_their_value_sub_attribute() {
    let rows = [
        (r#"emails co "example.com""#, true),
        (r#"emails eq "babs@jensen.org""#, true),
        (r#"emails eq "work""#, false),
        (r#"members eq "abc""#, true),
        (
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq "BOSS""#,
            true,
        ),
        // A complex attribute without a `value` sub-attribute equals no literal.
        (r#"name eq "Barbara""#, false),
    ];
    table(&no_schema(), &user(), &rows);
}

#[test]
fn value_path_conditions_hold_on_one_element() {
    let rows = [
        (r#"emails[type eq "work" and value co "example.com"]"#, true),
        (
            r#"emails[type eq "home" and value co "example.com"]"#,
            false,
        ),
        (r#"emails[type eq "home" or value co "example.com"]"#, true),
        (r#"emails[not (type eq "work")]"#, true),
        (r#"emails[not (type eq "work" or type eq "home")]"#, false),
        (r#"emails[type eq "work" and primary eq true]"#, true),
        (r#"emails[type eq "home" and primary eq true]"#, false),
        (r#"emails[display pr]"#, false),
        // Entra's form: the trailing comparison joins the bracket's conditions.
        (
            r#"emails[type eq "work"].value eq "bjensen@example.com""#,
            true,
        ),
        (
            r#"emails[type eq "home"].value eq "bjensen@example.com""#,
            false,
        ),
        // The elements of a multi-valued simple attribute are their own `value`.
        (r#"folders[value eq "inbox"]"#, true),
        (r#"folders[value sw "x"]"#, false),
        // A value path over a single complex attribute treats it as one element.
        (r#"name[givenName eq "barbara" and familyName pr]"#, false),
        (
            r#"name[givenName eq "barbara" and not (familyName pr)]"#,
            true,
        ),
        (r#"missing[value pr]"#, false),
        (r#"userName[value eq "x"]"#, false),
    ];
    table(&no_schema(), &user(), &rows);
    table(&with_schema(), &user(), &rows);
}

#[test]
fn null_absent_and_mismatched_types() {
    let rows = [
        ("title eq null", true),
        ("missing eq null", true),
        ("userName eq null", false),
        ("title ne null", false),
        ("userName ne null", true),
        ("userName gt null", false),
        // Any other comparison with an absent attribute is false, so its negation is true.
        (r#"missing eq "x""#, false),
        (r#"missing ne "x""#, false),
        (r#"not (missing eq "x")"#, true),
        // Mismatched types never match, whatever the operator.
        ("userName eq 5", false),
        ("userName gt 5", false),
        ("userName eq true", false),
        (r#"name eq "x""#, false),
        ("emails eq 1", false),
    ];
    table(&no_schema(), &user(), &rows);
    table(&with_schema(), &user(), &rows);
    // A resource that is not an object matches nothing but negations.
    for resource in [json!(null), json!([1, 2]), json!("userName")] {
        table(
            &no_schema(),
            &resource,
            &[("userName pr", false), ("not (userName pr)", true)],
        );
    }
}

#[test]
fn schema_urns_select_extension_objects_or_the_top_level() {
    let rows = [
        (
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#,
            true,
        ),
        (
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "boss""#,
            true,
        ),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bjensen""#,
            true,
        ),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "barbara""#,
            true,
        ),
        // An attribute is looked for in the schema the path names, not elsewhere.
        (
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName eq "bjensen""#,
            false,
        ),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:employeeNumber eq "701984""#,
            false,
        ),
    ];
    table(&no_schema(), &user(), &rows);
    table(&with_schema(), &user(), &rows);
    // With a schema, an unqualified extension attribute is found in its extension.
    table(
        &with_schema(),
        &user(),
        &[(r#"employeeNumber eq "701984""#, true)],
    );
    table(
        &no_schema(),
        &user(),
        &[(r#"employeeNumber eq "701984""#, false)],
    );
}

#[test]
fn the_benchmark_filters_evaluate_without_panicking() {
    // Every benchmark filter, against resources of every JSON shape.
    let resources = [
        user(),
        json!({}),
        json!(null),
        json!({"emails": "x", "name": [1, {"a": []}]}),
    ];
    for line in include_str!("../../bench/filters.txt").lines() {
        let filter = Filter::parse(line).unwrap();
        for resource in &resources {
            let _ = filter.matches(resource);
            let _ = filter.matches_with(resource, &UserSchema);
        }
    }
}

#[test]
fn elements_are_matched_for_patch_paths() {
    let evaluator = no_schema().string_booleans(true);
    let roles = AttrPath::new("roles");
    let filter = Filter::parse(r#"primary eq "True""#).unwrap();
    assert!(evaluator.matches_element(
        &roles,
        &filter,
        &json!({"primary": true, "value": "Admin"})
    ));
    assert!(!evaluator.matches_element(
        &roles,
        &filter,
        &json!({"primary": false, "value": "User"})
    ));
    assert!(!evaluator.matches_element(&roles, &filter, &json!({"value": "User"})));
    let folders = AttrPath::new("folders");
    let filter = Filter::parse(r#"value eq "inbox""#).unwrap();
    assert!(evaluator.matches_element(&folders, &filter, &json!("Inbox")));
}
