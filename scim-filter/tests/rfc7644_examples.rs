//! Every filter example of RFC 7644 §3.4.2.2 and every path example of §3.5.2: the AST it
//! parses to, the canonical text it prints back as, and which users of a small directory it
//! selects (the RFC 7643 §8.3 enterprise user plus two others, in `fixtures/users.json`).

use scim_filter::{AttrPath, CompValue, CompareOp, Filter, PatchPath, ValuePath};
use serde_json::Value;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const BABS: &str = "2819c223-7f76-453a-919d-413861904646";
const OMALLEY: &str = "omalley";
const JOHN: &str = "john";

fn users() -> Vec<Value> {
    serde_json::from_str(include_str!("fixtures/users.json")).unwrap()
}

fn path(name: &str) -> AttrPath {
    AttrPath::new(name)
}

fn sub(name: &str, sub: &str) -> AttrPath {
    AttrPath::new(name).with_sub_attr(sub)
}

fn cmp(attr: AttrPath, op: CompareOp, value: &str) -> Filter {
    Filter::compare(attr, op, value)
}

fn value_path(attr: &str, filter: Filter) -> Filter {
    Filter::ValuePath(ValuePath {
        attr: path(attr),
        filter: Box::new(filter),
    })
}

/// Parses `text`, checks the AST and the canonical text, and returns the ids of the users the
/// filter selects.
fn check(text: &str, ast: &Filter, canonical: &str) -> Vec<String> {
    let parsed = Filter::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert_eq!(&parsed, ast, "AST of {text}");
    assert_eq!(parsed.to_string(), canonical, "canonical text of {text}");
    assert_eq!(
        Filter::parse(canonical).as_ref(),
        Ok(ast),
        "reparse of {canonical}"
    );
    users()
        .iter()
        .filter(|u| parsed.matches(u))
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn rfc7644_3_4_2_2_attribute_names_and_operators_are_case_insensitive() {
    let ast = cmp(path("userName"), CompareOp::Eq, "john");
    assert_eq!(
        check(r#"userName Eq "john""#, &ast, r#"userName eq "john""#),
        [JOHN]
    );
    let ast = cmp(path("Username"), CompareOp::Eq, "john");
    assert_eq!(
        check(r#"Username eq "john""#, &ast, r#"Username eq "john""#),
        [JOHN]
    );
}

#[test]
fn rfc7644_3_4_2_2_example_01_user_name_eq() {
    let ast = cmp(path("userName"), CompareOp::Eq, "bjensen");
    assert_eq!(
        check(r#"userName eq "bjensen""#, &ast, r#"userName eq "bjensen""#),
        [OMALLEY]
    );
}

#[test]
fn rfc7644_3_4_2_2_example_02_sub_attribute_co() {
    let ast = cmp(sub("name", "familyName"), CompareOp::Co, "O'Malley");
    let text = r#"name.familyName co "O'Malley""#;
    assert_eq!(check(text, &ast, text), [OMALLEY]);
}

#[test]
fn rfc7644_3_4_2_2_example_03_sw() {
    let ast = cmp(path("userName"), CompareOp::Sw, "J");
    assert_eq!(
        check(r#"userName sw "J""#, &ast, r#"userName sw "J""#),
        [JOHN]
    );
}

#[test]
fn rfc7644_3_4_2_2_example_04_urn_qualified_core_attribute() {
    let attr = path("userName").with_schema("urn:ietf:params:scim:schemas:core:2.0:User");
    let ast = cmp(attr, CompareOp::Sw, "J");
    let text = r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#;
    assert_eq!(check(text, &ast, text), [JOHN]);
}

#[test]
fn rfc7644_3_4_2_2_example_05_pr() {
    // John's title is "", which is not present.
    assert_eq!(
        check("title pr", &Filter::Present(path("title")), "title pr"),
        [BABS]
    );
}

#[test]
fn rfc7644_3_4_2_2_example_06_to_09_date_time_comparisons() {
    // Babs was modified at exactly 04:42:34Z, O'Malley a second later, John at the same
    // instant as Babs but written with a +02:00 offset.
    let cases = [
        (CompareOp::Gt, vec![OMALLEY]),
        (CompareOp::Ge, vec![BABS, OMALLEY, JOHN]),
        (CompareOp::Lt, vec![]),
        (CompareOp::Le, vec![BABS, JOHN]),
    ];
    for (op, expected) in cases {
        let text = format!(r#"meta.lastModified {op} "2011-05-13T04:42:34Z""#);
        let ast = cmp(sub("meta", "lastModified"), op, "2011-05-13T04:42:34Z");
        assert_eq!(check(&text, &ast, &text), expected, "{text}");
    }
}

#[test]
fn rfc7644_3_4_2_2_example_10_and() {
    let ast = Filter::And(vec![
        Filter::Present(path("title")),
        cmp(path("userType"), CompareOp::Eq, "Employee"),
    ]);
    let text = r#"title pr and userType eq "Employee""#;
    assert_eq!(check(text, &ast, text), [BABS]);
}

#[test]
fn rfc7644_3_4_2_2_example_11_or() {
    let ast = Filter::Or(vec![
        Filter::Present(path("title")),
        cmp(path("userType"), CompareOp::Eq, "Intern"),
    ]);
    let text = r#"title pr or userType eq "Intern""#;
    assert_eq!(check(text, &ast, text), [BABS, OMALLEY]);
}

#[test]
fn rfc7644_3_4_2_2_example_12_multi_valued_simple_attribute() {
    let ast = cmp(path("schemas"), CompareOp::Eq, ENTERPRISE);
    let text = format!(r#"schemas eq "{ENTERPRISE}""#);
    assert_eq!(check(&text, &ast, &text), [BABS]);
}

#[test]
fn rfc7644_3_4_2_2_example_13_grouping() {
    let ast = Filter::And(vec![
        cmp(path("userType"), CompareOp::Eq, "Employee"),
        Filter::Or(vec![
            cmp(path("emails"), CompareOp::Co, "example.com"),
            cmp(sub("emails", "value"), CompareOp::Co, "example.org"),
        ]),
    ]);
    let text =
        r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#;
    assert_eq!(check(text, &ast, text), [BABS]);
}

#[test]
fn rfc7644_3_4_2_2_example_14_not() {
    let ast = Filter::And(vec![
        cmp(path("userType"), CompareOp::Ne, "Employee"),
        Filter::Not(Box::new(Filter::Or(vec![
            cmp(path("emails"), CompareOp::Co, "example.com"),
            cmp(sub("emails", "value"), CompareOp::Co, "example.org"),
        ]))),
    ]);
    let text = r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#;
    // O'Malley's address is at example.org; John's at example.net.
    assert_eq!(check(text, &ast, text), [JOHN]);
}

#[test]
fn rfc7644_3_4_2_2_example_15_parenthesised_single_expression() {
    let ast = Filter::And(vec![
        cmp(path("userType"), CompareOp::Eq, "Employee"),
        cmp(sub("emails", "type"), CompareOp::Eq, "work"),
    ]);
    assert_eq!(
        check(
            r#"userType eq "Employee" and (emails.type eq "work")"#,
            &ast,
            r#"userType eq "Employee" and emails.type eq "work""#
        ),
        [BABS]
    );
}

#[test]
fn rfc7644_3_4_2_2_example_16_value_path() {
    let ast = Filter::And(vec![
        cmp(path("userType"), CompareOp::Eq, "Employee"),
        value_path(
            "emails",
            Filter::And(vec![
                cmp(path("type"), CompareOp::Eq, "work"),
                cmp(path("value"), CompareOp::Co, "@example.com"),
            ]),
        ),
    ]);
    let text = r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#;
    assert_eq!(check(text, &ast, text), [BABS]);
}

#[test]
fn rfc7644_3_4_2_2_example_17_value_paths_or() {
    let ast = Filter::Or(vec![
        value_path(
            "emails",
            Filter::And(vec![
                cmp(path("type"), CompareOp::Eq, "work"),
                cmp(path("value"), CompareOp::Co, "@example.com"),
            ]),
        ),
        value_path(
            "ims",
            Filter::And(vec![
                cmp(path("type"), CompareOp::Eq, "xmpp"),
                cmp(path("value"), CompareOp::Co, "@foo.com"),
            ]),
        ),
    ]);
    let text = r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#;
    assert_eq!(check(text, &ast, text), [BABS, JOHN]);
}

#[test]
fn rfc7644_3_4_2_2_enterprise_extension_attribute() {
    // Not an RFC example, but the form Entra and every enterprise app uses.
    let attr = sub("manager", "value").with_schema(ENTERPRISE);
    let ast = cmp(attr, CompareOp::Eq, "26118915-6090-4610-87e4-49d8ca9f808d");
    let text = format!(r#"{ENTERPRISE}:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d""#);
    assert_eq!(check(&text, &ast, &text), [BABS]);
}

fn patch_path(text: &str, attr: AttrPath, filter: Option<Filter>, sub_attr: Option<&str>) {
    let parsed = PatchPath::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let expected = PatchPath {
        attr,
        filter,
        sub_attr: sub_attr.map(str::to_owned),
    };
    assert_eq!(parsed, expected, "{text}");
    assert_eq!(parsed.to_string(), text);
}

#[test]
fn rfc7644_3_5_2_path_attribute() {
    patch_path("members", path("members"), None, None);
}

#[test]
fn rfc7644_3_5_2_path_sub_attribute() {
    patch_path("name.familyName", sub("name", "familyName"), None, None);
}

#[test]
fn rfc7644_3_5_2_path_value_filter() {
    let filter = cmp(path("type"), CompareOp::Eq, "work");
    patch_path(
        r#"addresses[type eq "work"]"#,
        path("addresses"),
        Some(filter),
        None,
    );
}

#[test]
fn rfc7644_3_5_2_path_value_filter_on_members() {
    let filter = cmp(path("value"), CompareOp::Eq, BABS);
    let text = format!(r#"members[value eq "{BABS}"]"#);
    patch_path(&text, path("members"), Some(filter), None);
}

#[test]
fn rfc7644_3_5_2_path_value_filter_and_sub_attribute() {
    let filter = cmp(path("value"), CompareOp::Eq, BABS);
    let text = format!(r#"members[value eq "{BABS}"].displayName"#);
    patch_path(&text, path("members"), Some(filter), Some("displayName"));
}

#[test]
fn rfc7644_3_5_2_2_remove_with_logical_value_filter() {
    let filter = Filter::And(vec![
        cmp(path("type"), CompareOp::Eq, "work"),
        cmp(path("value"), CompareOp::Ew, "example.com"),
    ]);
    let text = r#"emails[type eq "work" and value ew "example.com"]"#;
    patch_path(text, path("emails"), Some(filter), None);
}

#[test]
fn rfc7644_3_5_2_3_replace_street_address() {
    let filter = cmp(path("type"), CompareOp::Eq, "work");
    let text = r#"addresses[type eq "work"].streetAddress"#;
    patch_path(text, path("addresses"), Some(filter), Some("streetAddress"));
}

#[test]
fn entra_patch_paths() {
    // Entra's role mapping writes the boolean as a string.
    let filter = Filter::compare(path("primary"), CompareOp::Eq, CompValue::from("True"));
    patch_path(
        r#"roles[primary eq "True"].value"#,
        path("roles"),
        Some(filter),
        Some("value"),
    );
    // A whole extension, and one of its attributes.
    let parsed = PatchPath::parse(ENTERPRISE).unwrap();
    assert_eq!(parsed.attr.urn().as_deref(), Some(ENTERPRISE));
    assert_eq!(parsed.to_string(), ENTERPRISE);
    patch_path(
        &format!("{ENTERPRISE}:manager"),
        path("manager").with_schema(ENTERPRISE),
        None,
        None,
    );
    // Custom extensions in both spellings.
    patch_path(
        "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:tag",
        path("tag")
            .with_schema("urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"),
        None,
        None,
    );
    patch_path(
        "urn:ietf:params:scim:schemas:extension:2.0:CustomExtensionName:folders",
        path("folders")
            .with_schema("urn:ietf:params:scim:schemas:extension:2.0:CustomExtensionName"),
        None,
        None,
    );
}
