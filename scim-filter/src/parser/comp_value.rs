//! `compValue = false / null / true / number / string`, with JSON's rules (RFC 8259).
//!
//! The keywords are accepted in any case (`True`), as the rest of the filter's keywords are;
//! they print back in lower case.

use nom::Parser;
use nom::bytes::complete::take_while;
use serde_json::Number;

use super::{PResult, excerpt, fail};
use crate::ast::CompValue;

/// `compValue`.
pub(crate) fn comp_value(i: &str) -> PResult<'_, CompValue> {
    match i.as_bytes().first() {
        Some(b'"') => {
            let (rest, s) = string(i)?;
            Ok((rest, CompValue::String(s)))
        }
        Some(b'-' | b'0'..=b'9') => {
            let (rest, n) = number(i)?;
            Ok((rest, CompValue::Number(n)))
        }
        Some(b) if b.is_ascii_alphabetic() => {
            let (rest, word) =
                take_while(|c: char| c.is_ascii_alphanumeric() || c == '_').parse(i)?;
            let value = if word.eq_ignore_ascii_case("true") {
                CompValue::Bool(true)
            } else if word.eq_ignore_ascii_case("false") {
                CompValue::Bool(false)
            } else if word.eq_ignore_ascii_case("null") {
                CompValue::Null
            } else {
                return fail(
                    i,
                    format!(
                        "expected a value, found \"{}\": strings must be in double quotes",
                        excerpt(i)
                    ),
                );
            };
            Ok((rest, value))
        }
        None => fail(
            i,
            "expected a value (a \"string\", a number, true, false or null), found the end of the input",
        ),
        Some(_) => fail(
            i,
            format!(
                "expected a value (a \"string\", a number, true, false or null), found \"{}\"",
                excerpt(i)
            ),
        ),
    }
}

/// `compValue`, or an unquoted string: a run of characters up to a space, `(`, `)`, `[` or
/// `]` that is not `true`, `false`, `null` or a JSON number.
pub(crate) fn lenient_comp_value(i: &str) -> PResult<'_, CompValue> {
    if i.starts_with('"') {
        return comp_value(i);
    }
    let end = i
        .find(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']'))
        .unwrap_or(i.len());
    let (word, rest) = i.split_at(end);
    if word.is_empty() {
        return comp_value(i);
    }
    // What the strict grammar reads as exactly this word keeps its meaning.
    if let Ok((after, value)) = comp_value(word)
        && after.is_empty()
    {
        return Ok((rest, value));
    }
    Ok((rest, CompValue::String(word.to_owned())))
}

/// A JSON string starting at the opening quote of `i`, unescaped.
pub(crate) fn string(i: &str) -> PResult<'_, String> {
    let body = &i[1..];
    // The common case: no escape, so the value is a plain copy of the body.
    let Some(stop) = body.find(|c: char| c == '"' || c == '\\' || c < ' ') else {
        return fail(i, "this string has no closing quote");
    };
    match body.as_bytes()[stop] {
        b'"' => return Ok((&body[stop + 1..], body[..stop].to_owned())),
        b'\\' => {}
        _ => {
            return fail(
                &body[stop..],
                "control characters must be escaped in strings",
            );
        }
    }
    let mut out = String::with_capacity(body.len());
    out.push_str(&body[..stop]);
    let mut rest = &body[stop..];
    loop {
        let mut chars = rest.chars();
        match chars.next() {
            None => return fail(i, "this string has no closing quote"),
            Some('"') => return Ok((chars.as_str(), out)),
            Some('\\') => {
                let escaped = match chars.next() {
                    Some('"') => '"',
                    Some('\\') => '\\',
                    Some('/') => '/',
                    Some('b') => '\u{8}',
                    Some('f') => '\u{c}',
                    Some('n') => '\n',
                    Some('r') => '\r',
                    Some('t') => '\t',
                    Some('u') => {
                        let (after, c) = unicode_escape(rest)?;
                        out.push(c);
                        rest = after;
                        continue;
                    }
                    None => return fail(i, "this string has no closing quote"),
                    Some(other) => {
                        return fail(rest, format!("invalid escape \"\\{other}\" in a string"));
                    }
                };
                out.push(escaped);
                rest = chars.as_str();
            }
            Some(c) if c < ' ' => {
                return fail(rest, "control characters must be escaped in strings");
            }
            Some(c) => {
                out.push(c);
                rest = chars.as_str();
            }
        }
    }
}

/// `\uXXXX`, or a surrogate pair `\uD83D\uDE00`, at the backslash of `at`.
fn unicode_escape(at: &str) -> PResult<'_, char> {
    let hex4 = |s: &str| -> Option<u32> {
        let digits = s.get(2..6)?;
        if !s.starts_with("\\u") || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(digits, 16).ok()
    };
    let Some(first) = hex4(at) else {
        return fail(at, "\"\\u\" must be followed by four hexadecimal digits");
    };
    if let Some(c) = char::from_u32(first) {
        return Ok((&at[6..], c));
    }
    // A high surrogate must be followed by a low one.
    let low = if (0xD800..0xDC00).contains(&first) {
        hex4(&at[6..]).filter(|low| (0xDC00..0xE000).contains(low))
    } else {
        None
    };
    let Some(low) = low else {
        return fail(at, "\"\\u\" escapes an unpaired surrogate");
    };
    let c = char::from_u32(0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00))
        .expect("a surrogate pair always encodes a valid char");
    Ok((&at[12..], c))
}

/// A JSON number. Integers stay exact when they fit `i64` or `u64`.
pub(crate) fn number(i: &str) -> PResult<'_, Number> {
    let b = i.as_bytes();
    let digits_from = |mut j: usize| {
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        j
    };
    let mut j = usize::from(b[0] == b'-');
    match b.get(j) {
        Some(b'0') => {
            j += 1;
            if b.get(j).is_some_and(u8::is_ascii_digit) {
                return fail(&i[j - 1..], "numbers cannot have leading zeros");
            }
        }
        Some(b'1'..=b'9') => j = digits_from(j),
        _ => return fail(&i[j..], "expected a digit after \"-\""),
    }
    let mut integer = true;
    if b.get(j) == Some(&b'.') {
        integer = false;
        let start = j + 1;
        j = digits_from(start);
        if j == start {
            return fail(&i[start..], "expected a digit after the decimal point");
        }
    }
    if matches!(b.get(j), Some(b'e' | b'E')) {
        integer = false;
        j += 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let start = j;
        j = digits_from(start);
        if j == start {
            return fail(&i[start..], "expected a digit in the exponent");
        }
    }
    let (text, rest) = i.split_at(j);
    if integer {
        if let Ok(n) = text.parse::<i64>() {
            return Ok((rest, n.into()));
        }
        if let Ok(n) = text.parse::<u64>() {
            return Ok((rest, n.into()));
        }
    }
    match text.parse::<f64>().ok().and_then(Number::from_f64) {
        Some(n) if n.as_f64().is_some_and(f64::is_finite) => Ok((rest, n)),
        _ => fail(i, "this number is out of range"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(i: &str) -> (CompValue, &str) {
        let (rest, v) = comp_value(i).unwrap();
        (v, rest)
    }

    fn error(i: &str) -> (usize, String) {
        match comp_value(i) {
            Err(nom::Err::Failure(e)) => (i.len() - e.at.len(), e.message.into_owned()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn strings_with_and_without_escapes() {
        assert_eq!(value(r#""bjensen")"#), ("bjensen".into(), ")"));
        assert_eq!(value(r#""""#), ("".into(), ""));
        assert_eq!(value(r#""O'Malley""#), ("O'Malley".into(), ""));
        assert_eq!(
            value(r#""a\"b\\c\/d\n\t\b\f\r""#),
            ("a\"b\\c/d\n\t\u{8}\u{c}\r".into(), "")
        );
        assert_eq!(value(r#""\u00e9\u20AC""#), ("é€".into(), ""));
        assert_eq!(value(r#""\ud83d\ude00!""#), ("😀!".into(), ""));
        assert_eq!(value("\"naïve\""), ("naïve".into(), ""));
    }

    #[test]
    fn numbers_follow_json() {
        assert_eq!(value("42 "), (CompValue::Number(42.into()), " "));
        assert_eq!(value("-7"), (CompValue::Number((-7).into()), ""));
        assert_eq!(value("0"), (CompValue::Number(0.into()), ""));
        assert_eq!(
            value("18446744073709551615"),
            (CompValue::Number(u64::MAX.into()), "")
        );
        assert_eq!(
            value("100.5"),
            (CompValue::Number(Number::from_f64(100.5).unwrap()), "")
        );
        assert_eq!(
            value("-1.5e3"),
            (CompValue::Number(Number::from_f64(-1500.0).unwrap()), "")
        );
        assert_eq!(
            value("2E-2)"),
            (CompValue::Number(Number::from_f64(0.02).unwrap()), ")")
        );
        assert_eq!(
            value("123456789012345678901234"),
            (
                CompValue::Number(Number::from_f64(1.2345678901234568e23).unwrap()),
                ""
            )
        );
    }

    #[test]
    fn keywords_in_any_case() {
        assert_eq!(value("true"), (CompValue::Bool(true), ""));
        assert_eq!(value("False)"), (CompValue::Bool(false), ")"));
        assert_eq!(value("NULL"), (CompValue::Null, ""));
    }

    #[test]
    fn bad_literals_point_at_the_problem() {
        assert_eq!(
            error(r#""abc"#),
            (0, "this string has no closing quote".into())
        );
        assert_eq!(
            error(r#""a\qb""#),
            (2, "invalid escape \"\\q\" in a string".into())
        );
        assert_eq!(
            error(r#""\u12G4""#),
            (
                1,
                "\"\\u\" must be followed by four hexadecimal digits".into()
            )
        );
        assert_eq!(
            error(r#""\ud83d""#),
            (1, "\"\\u\" escapes an unpaired surrogate".into())
        );
        assert_eq!(
            error("\"a\u{1}\""),
            (2, "control characters must be escaped in strings".into())
        );
        assert_eq!(error("01"), (0, "numbers cannot have leading zeros".into()));
        assert_eq!(error("-x"), (1, "expected a digit after \"-\"".into()));
        assert_eq!(
            error("1."),
            (2, "expected a digit after the decimal point".into())
        );
        assert_eq!(error("1e+"), (3, "expected a digit in the exponent".into()));
        assert_eq!(error("1e999"), (0, "this number is out of range".into()));
        assert_eq!(
            error("jyoung"),
            (
                0,
                "expected a value, found \"jyoung\": strings must be in double quotes".into()
            )
        );
        assert_eq!(
            error("'x'"),
            (
                0,
                "expected a value (a \"string\", a number, true, false or null), found \"'x'\""
                    .into()
            )
        );
    }
}
