//! The grammar of RFC 7644 §3.4.2.2 (filters) and §3.5.2 (PATCH paths), with its errata.
//!
//! Each production is a small function returning [`PResult`]; the module tree follows the ABNF
//! (`attr_path`, `comp_value`, `filter`, `value_path`). nom types never leave this module: the
//! entry points return [`ParseError`].
//!
//! The parser is linear in the input: every production decides its branch from at most one
//! token of lookahead, so no input is scanned twice except a few bytes of keyword lookahead.
//! Recursion only happens on `(` and `[`, and the nesting limit is checked before each level
//! is entered, so hostile input fails fast without touching the stack limit.

mod attr_path;
mod comp_value;
mod filter;
mod value_path;

use std::borrow::Cow;
use std::cell::Cell;

use nom::IResult;

use crate::ast::{AttrPath, Filter, PatchPath};
use crate::error::{ErrorKind, ParseError};

/// Bounds on the input a parser accepts, each reported with its own [`ErrorKind`], and the
/// one leniency it can be asked for ([`Limits::with_unquoted_strings`]).
///
/// ```
/// use scim_filter::{ErrorKind, Filter, Limits};
///
/// let limits = Limits::default().with_max_depth(2);
/// let err = Filter::parse_with("((((a pr))))", &limits).unwrap_err();
/// assert_eq!(err.kind(), &ErrorKind::NestLimitExceeded(2));
/// assert_eq!(err.position(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The longest input accepted, in bytes. Default 16,384.
    pub max_length: usize,
    /// How deeply parentheses and brackets may nest. Default 32.
    ///
    /// Parsing, printing, evaluating and dropping a filter recurse once per level, at about
    /// 2 KiB of stack per level in release builds (8 KiB in debug builds): the default fits
    /// easily in the 2 MiB stack of a Tokio worker thread. Raise it with that cost in mind.
    pub max_depth: u32,
    /// How many comparisons and presence tests a filter may hold. Default 256.
    pub max_terms: u32,
    /// Whether a comparison value may be an unquoted string (`userName sw O`), as some
    /// clients send: see [`Limits::with_unquoted_strings`]. Default `false`: RFC 7644
    /// §3.4.2.2 requires quotes.
    pub unquoted_strings: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_length: 16 * 1024,
            max_depth: 32,
            max_terms: 256,
            unquoted_strings: false,
        }
    }
}

impl Limits {
    /// These limits with another maximum length, in bytes.
    #[must_use]
    pub fn with_max_length(mut self, max_length: usize) -> Self {
        self.max_length = max_length;
        self
    }

    /// These limits with another maximum nesting depth.
    #[must_use]
    pub fn with_max_depth(mut self, max_depth: u32) -> Self {
        self.max_depth = max_depth;
        self
    }

    /// These limits with another maximum number of terms.
    #[must_use]
    pub fn with_max_terms(mut self, max_terms: u32) -> Self {
        self.max_terms = max_terms;
        self
    }

    /// These limits, accepting unquoted string values where they cannot be read two ways:
    /// a bare `true`, `false`, `null` or JSON number keeps its meaning, and any other run of
    /// characters up to the next space or bracket is a string.
    ///
    /// ```
    /// use scim_filter::{CompValue, Filter, Limits};
    ///
    /// let lenient = Limits::default().with_unquoted_strings(true);
    /// let filter = Filter::parse_with("meta.created gt 2015-10-10T14:38:21-07:00", &lenient)?;
    /// assert_eq!(filter.to_string(), r#"meta.created gt "2015-10-10T14:38:21-07:00""#);
    /// assert!(Filter::parse("userName sw O").is_err());
    /// # Ok::<(), scim_filter::ParseError>(())
    /// ```
    #[must_use]
    pub fn with_unquoted_strings(mut self, on: bool) -> Self {
        self.unquoted_strings = on;
        self
    }
}

/// The result of one production.
pub(crate) type PResult<'a, O> = IResult<&'a str, O, PErr<'a>>;

/// A production's error: where (the remaining input) and what.
#[derive(Debug)]
pub(crate) struct PErr<'a> {
    at: &'a str,
    kind: ErrorKind,
    message: Cow<'static, str>,
}

impl<'a> nom::error::ParseError<&'a str> for PErr<'a> {
    fn from_error_kind(at: &'a str, _: nom::error::ErrorKind) -> Self {
        Self {
            at,
            kind: ErrorKind::Syntax,
            message: Cow::Borrowed("unexpected input"),
        }
    }

    fn append(_: &'a str, _: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

/// A committed syntax error at `at`: the parse stops here.
pub(crate) fn fail<'a, O>(at: &'a str, message: impl Into<Cow<'static, str>>) -> PResult<'a, O> {
    Err(nom::Err::Failure(PErr {
        at,
        kind: ErrorKind::Syntax,
        message: message.into(),
    }))
}

/// Whether `b` separates tokens.
pub(crate) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// `i` without its leading whitespace.
pub(crate) fn skip_ws(i: &str) -> &str {
    i.trim_start_matches([' ', '\t', '\n', '\r'])
}

/// Whether `i` starts with the ASCII keyword `kw`, in any case.
pub(crate) fn starts_with_ci(i: &str, kw: &str) -> bool {
    i.len() >= kw.len() && i.as_bytes()[..kw.len()].eq_ignore_ascii_case(kw.as_bytes())
}

/// A short, printable excerpt of the input at `i`, for messages.
pub(crate) fn excerpt(i: &str) -> &str {
    let end = i
        .char_indices()
        .find(|&(n, c)| n >= 24 || c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']'))
        .map_or(i.len(), |(n, _)| n);
    &i[..end.max(i.chars().next().map_or(0, char::len_utf8))]
}

/// Parsing state shared by the recursive productions: the source, the limits and the counters
/// they bound.
pub(crate) struct Ctx<'s> {
    src: &'s str,
    limits: Limits,
    depth: Cell<u32>,
    terms: Cell<u32>,
}

impl<'s> Ctx<'s> {
    fn new(src: &'s str, limits: &Limits) -> Self {
        Self {
            src,
            limits: *limits,
            depth: Cell::new(0),
            terms: Cell::new(0),
        }
    }

    /// The byte offset of `at`, a suffix of the source.
    pub(crate) fn offset(&self, at: &str) -> usize {
        self.src.len() - at.len()
    }

    /// The byte just before `at`, if any.
    pub(crate) fn byte_before(&self, at: &str) -> Option<u8> {
        self.offset(at)
            .checked_sub(1)
            .map(|n| self.src.as_bytes()[n])
    }

    /// Enters one level of `(` or `[` found at `at`, or fails if that is one level too many.
    pub(crate) fn enter<'a>(&self, at: &'a str) -> PResult<'a, ()> {
        let max = self.limits.max_depth;
        bump(&self.depth, max, at, || {
            (
                ErrorKind::NestLimitExceeded(max),
                format!("parentheses and brackets nest deeper than {max} levels"),
            )
        })
    }

    /// Leaves the level entered last.
    pub(crate) fn leave(&self) {
        self.depth.set(self.depth.get() - 1);
    }

    /// Counts one comparison or presence test starting at `at`, or fails past the limit.
    pub(crate) fn count_term<'a>(&self, at: &'a str) -> PResult<'a, ()> {
        let max = self.limits.max_terms;
        bump(&self.terms, max, at, || {
            (
                ErrorKind::TermLimitExceeded(max),
                format!("the filter has more than {max} comparisons"),
            )
        })
    }

    fn error(&self, err: nom::Err<PErr<'_>>) -> ParseError {
        match err {
            nom::Err::Error(e) | nom::Err::Failure(e) => {
                ParseError::new(e.kind, self.offset(e.at), e.message)
            }
            // Only `complete` parsers are used.
            nom::Err::Incomplete(_) => {
                ParseError::new(ErrorKind::Syntax, self.src.len(), "unexpected end of input")
            }
        }
    }
}

/// Adds one to `counter`, or fails at `at` with `error()` if that would pass `max`.
fn bump<'a>(
    counter: &Cell<u32>,
    max: u32,
    at: &'a str,
    error: impl FnOnce() -> (ErrorKind, String),
) -> PResult<'a, ()> {
    let next = counter.get() + 1;
    if next > max {
        let (kind, message) = error();
        return Err(nom::Err::Failure(PErr {
            at,
            kind,
            message: message.into(),
        }));
    }
    counter.set(next);
    Ok((at, ()))
}

/// Checks the length limit, the one check made before any parsing.
fn check_length(src: &str, limits: &Limits, what: &str) -> Result<(), ParseError> {
    if src.len() > limits.max_length {
        let max = limits.max_length;
        return Err(ParseError::new(
            ErrorKind::LengthLimitExceeded(max),
            max,
            format!(
                "the {what} is {} bytes long, more than the limit of {max}",
                src.len()
            ),
        ));
    }
    Ok(())
}

/// Parses a whole filter.
pub(crate) fn parse_filter(src: &str, limits: &Limits) -> Result<Filter, ParseError> {
    check_length(src, limits, "filter")?;
    let ctx = Ctx::new(src, limits);
    let i = skip_ws(src);
    if i.is_empty() {
        return Err(ParseError::new(
            ErrorKind::Syntax,
            src.len(),
            "the filter is empty",
        ));
    }
    let (rest, filter) = ctx.or_expr(i, false).map_err(|e| ctx.error(e))?;
    let rest = skip_ws(rest);
    if rest.is_empty() {
        return Ok(filter);
    }
    let message = match rest.as_bytes()[0] {
        b')' => Cow::Borrowed("this \")\" closes no \"(\""),
        b']' => Cow::Borrowed("this \"]\" closes no \"[\""),
        _ => Cow::Owned(format!(
            "expected \"and\", \"or\" or the end of the filter, found \"{}\"",
            excerpt(rest)
        )),
    };
    Err(ParseError::new(
        ErrorKind::Syntax,
        ctx.offset(rest),
        message,
    ))
}

/// Parses a whole PATCH path.
pub(crate) fn parse_patch_path(src: &str, limits: &Limits) -> Result<PatchPath, ParseError> {
    check_length(src, limits, "path")?;
    if let Some(attr) = attr_path::simple_attr_path(src) {
        return Ok(PatchPath {
            attr,
            filter: None,
            sub_attr: None,
        });
    }
    let ctx = Ctx::new(src, limits);
    let i = skip_ws(src);
    if i.is_empty() {
        return Err(ParseError::new(
            ErrorKind::Syntax,
            src.len(),
            "the path is empty",
        ));
    }
    let (rest, path) = ctx.patch_path(i).map_err(|e| ctx.error(e))?;
    expect_end(&ctx, rest, "path")?;
    Ok(path)
}

/// Parses a whole attribute path.
pub(crate) fn parse_attr_path(src: &str, limits: &Limits) -> Result<AttrPath, ParseError> {
    check_length(src, limits, "attribute path")?;
    if let Some(attr) = attr_path::simple_attr_path(src) {
        return Ok(attr);
    }
    let ctx = Ctx::new(src, limits);
    let i = skip_ws(src);
    let (rest, path) = attr_path::attr_path(i).map_err(|e| ctx.error(e))?;
    expect_end(&ctx, rest, "attribute path")?;
    Ok(path)
}

fn expect_end(ctx: &Ctx<'_>, rest: &str, what: &str) -> Result<(), ParseError> {
    let rest = skip_ws(rest);
    if rest.is_empty() {
        return Ok(());
    }
    Err(ParseError::new(
        ErrorKind::Syntax,
        ctx.offset(rest),
        format!("unexpected \"{}\" after the {what}", excerpt(rest)),
    ))
}
