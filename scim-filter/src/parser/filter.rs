//! `FILTER`, `valFilter`, `attrExp` and `logExp` (RFC 7644 §3.4.2.2 with errata 4690, 7319 and
//! 7322), as a precedence-climbing parser:
//!
//! ```text
//! or_expr   = and_expr *(SP "or" SP and_expr)           ; n-ary
//! and_expr  = unary *(SP "and" SP unary)                ; n-ary
//! unary     = "not" *SP "(" or_expr ")"                  ; erratum 7319: a space may follow "not"
//!           / "(" or_expr ")"
//!           / attrExp / valuePath
//! attrExp   = attrPath SP "pr" / attrPath SP compareOp SP compValue
//! valuePath = attrPath "[" or_expr "]"                   ; no valuePath inside (erratum 4690),
//!                                                        ; full logic inside (erratum 7322)
//!           / attrPath "[" or_expr "]" "." ATTRNAME SP (compareOp SP compValue / "pr")
//!                                                        ; Entra's form, = attrPath "[" or_expr
//!                                                        ;   "and" ATTRNAME ... "]"
//! ```
//!
//! Keywords and operators are case-insensitive; whitespace is any run of spaces, tabs or line
//! breaks, and may be omitted next to parentheses and brackets.

use nom::Parser;
use nom::bytes::complete::take_while;

use super::attr_path::{attr_path, is_path_char, sub_attr_after_bracket};
use super::comp_value::{comp_value, lenient_comp_value};
use super::{Ctx, PResult, excerpt, fail, is_ws, skip_ws, starts_with_ci};
use crate::ast::{AttrPath, CompareOp, Filter, ValuePath};

/// `and` or `or`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Logical {
    And,
    Or,
}

impl Ctx<'_> {
    /// `or_expr`. `in_value_path` is set inside `[...]`, where value paths may not nest.
    pub(crate) fn or_expr<'a>(&self, i: &'a str, in_value_path: bool) -> PResult<'a, Filter> {
        self.chain(i, Logical::Or, in_value_path)
    }

    /// An n-ary chain of `op`: `or_expr` over `and_expr`, or `and_expr` over `unary`.
    fn chain<'a>(&self, i: &'a str, op: Logical, in_value_path: bool) -> PResult<'a, Filter> {
        let operand = |i: &'a str| match op {
            Logical::Or => self.chain(i, Logical::And, in_value_path),
            Logical::And => self.unary(i, in_value_path),
        };
        let (mut i, first) = operand(i)?;
        let Some(mut rest) = self.logical(i, op) else {
            return Ok((i, first));
        };
        let mut parts = vec![first];
        loop {
            let (after, next) = operand(rest)?;
            parts.push(next);
            i = after;
            match self.logical(i, op) {
                Some(after_keyword) => rest = after_keyword,
                None => break,
            }
        }
        Ok((
            i,
            match op {
                Logical::And => Filter::And(parts),
                Logical::Or => Filter::Or(parts),
            },
        ))
    }

    /// If `i` (what follows a complete operand) continues with the keyword `op`, the input after
    /// the keyword and its whitespace.
    ///
    /// The keyword must be separated from the operand before it by whitespace (or follow a
    /// closing parenthesis, bracket or quote) and be followed by whitespace or `(`.
    fn logical<'a>(&self, i: &'a str, op: Logical) -> Option<&'a str> {
        let after_ws = skip_ws(i);
        let separated =
            after_ws.len() != i.len() || matches!(self.byte_before(i), Some(b')' | b']' | b'"'));
        let keyword = match op {
            Logical::And => "and",
            Logical::Or => "or",
        };
        if !separated || !starts_with_ci(after_ws, keyword) {
            return None;
        }
        let rest = &after_ws[keyword.len()..];
        // A keyword at the end, or before a closing bracket, lacks its operand: take it as the
        // keyword, so that the error says so.
        match rest.as_bytes().first() {
            None => Some(rest),
            Some(&b) if is_ws(b) || matches!(b, b'(' | b')' | b']') => Some(skip_ws(rest)),
            _ => None,
        }
    }

    /// `unary`: a negation, a parenthesised group, or a single expression.
    fn unary<'a>(&self, i: &'a str, in_value_path: bool) -> PResult<'a, Filter> {
        match i.as_bytes().first() {
            Some(b'(') => self.group(i, in_value_path),
            Some(b'n' | b'N')
                if starts_with_ci(i, "not") && !i[3..].starts_with(|c: char| is_path_char(c)) =>
            {
                let after = skip_ws(&i[3..]);
                if after.starts_with('(') {
                    let (rest, inner) = self.group(after, in_value_path)?;
                    return Ok((rest, Filter::Not(Box::new(inner))));
                }
                // `not` is also a valid attribute name: `not pr`, `not eq 1`, `not[...]`.
                if after.starts_with('[') || is_operator(after) {
                    return self.expression(i, in_value_path);
                }
                fail(
                    after,
                    "expected \"(\" after \"not\": negation applies to a parenthesised filter, as in not (title pr)",
                )
            }
            Some(b')' | b']') | None => fail(i, "expected a filter expression"),
            Some(_) => self.expression(i, in_value_path),
        }
    }

    /// `"(" or_expr ")"` at the parenthesis of `i`.
    fn group<'a>(&self, i: &'a str, in_value_path: bool) -> PResult<'a, Filter> {
        self.enclosed(i, ')', in_value_path)
    }

    /// `attrExp` or `valuePath`: everything that starts with an attribute path.
    fn expression<'a>(&self, i: &'a str, in_value_path: bool) -> PResult<'a, Filter> {
        let (rest, attr) = attr_path(i)?;
        let attr_text = &i[..i.len() - rest.len()];
        if rest.starts_with('[') {
            if in_value_path {
                return fail(rest, "value paths cannot be nested: \"[\" inside \"[...]\"");
            }
            return self.value_path(i, rest, attr);
        }
        self.attr_exp(rest, attr, attr_text)
    }

    /// What follows the attribute path of an `attrExp`: `SP "pr"` or `SP compareOp SP compValue`.
    fn attr_exp<'a>(&self, i: &'a str, attr: AttrPath, attr_text: &str) -> PResult<'a, Filter> {
        let at = skip_ws(i);
        let expected_operator = || {
            fail(
                at,
                format!("expected a comparison operator after \"{attr_text}\""),
            )
        };
        if at.len() == i.len() {
            return expected_operator();
        }
        let (rest, word) = take_while(|c: char| c.is_ascii_alphabetic()).parse(at)?;
        if word.eq_ignore_ascii_case("pr") {
            self.count_term(at)?;
            return Ok((rest, Filter::Present(attr)));
        }
        let Some(op) = compare_op(word) else {
            return expected_operator();
        };
        let value_at = skip_ws(rest);
        if value_at.len() == rest.len() {
            return fail(
                rest,
                format!("expected a space and a value after \"{word}\""),
            );
        }
        self.count_term(at)?;
        let (rest, value) = if self.limits.unquoted_strings {
            lenient_comp_value(value_at)?
        } else {
            comp_value(value_at)?
        };
        Ok((rest, Filter::Compare { attr, op, value }))
    }

    /// `"[" or_expr "]"` at the bracket of `i`, and Entra's `"." ATTRNAME` comparison after it;
    /// `start` is where the attribute path began.
    fn value_path<'a>(&self, start: &str, i: &'a str, attr: AttrPath) -> PResult<'a, Filter> {
        let (rest, filter) = self.bracketed(i)?;
        let Some(sub_at) = rest.strip_prefix('.') else {
            return Ok((
                rest,
                Filter::ValuePath(ValuePath {
                    attr,
                    filter: Box::new(filter),
                }),
            ));
        };
        // emails[type eq "work"].value eq "x"  means  emails[type eq "work" and value eq "x"]
        let (after, name) = sub_attr_after_bracket(sub_at)?;
        let text = &start[..start.len() - after.len()];
        let (rest, condition) = self.attr_exp(after, AttrPath::new(name), text)?;
        let filter = match filter {
            Filter::And(mut parts) => {
                parts.push(condition);
                Filter::And(parts)
            }
            other => Filter::And(vec![other, condition]),
        };
        Ok((
            rest,
            Filter::ValuePath(ValuePath {
                attr,
                filter: Box::new(filter),
            }),
        ))
    }

    /// `"[" or_expr "]"` at the bracket of `i`.
    pub(crate) fn bracketed<'a>(&self, i: &'a str) -> PResult<'a, Filter> {
        self.enclosed(i, ']', true)
    }

    /// An `or_expr` enclosed by the bracket or parenthesis at the start of `i` and `close`.
    fn enclosed<'a>(&self, i: &'a str, close: char, in_value_path: bool) -> PResult<'a, Filter> {
        self.enter(i)?;
        let (rest, inner) = self.or_expr(skip_ws(&i[1..]), in_value_path)?;
        let rest = skip_ws(rest);
        let Some(after) = rest.strip_prefix(close) else {
            return fail(
                rest,
                format!(
                    "expected \"{close}\" to close the \"{}\" at {}{}",
                    &i[..1],
                    self.offset(i),
                    found(rest)
                ),
            );
        };
        self.leave();
        Ok((after, inner))
    }
}

/// `compareOp`, in any case.
fn compare_op(word: &str) -> Option<CompareOp> {
    if word.len() != 2 {
        return None;
    }
    CompareOp::ALL
        .into_iter()
        .find(|op| op.as_str().eq_ignore_ascii_case(word))
}

/// Whether `i` starts with a comparison operator or `pr` as a whole word.
fn is_operator(i: &str) -> bool {
    let word_len = i.bytes().take_while(u8::is_ascii_alphabetic).count();
    let word = &i[..word_len];
    word.eq_ignore_ascii_case("pr") || compare_op(word).is_some()
}

/// `, found "..."` describing the input at `i`, for "expected" messages.
fn found(i: &str) -> String {
    if i.is_empty() {
        ", found the end of the input".to_owned()
    } else {
        format!(", found \"{}\"", excerpt(i))
    }
}
