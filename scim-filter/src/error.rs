//! The parse error: a position, a message a person can act on, and a kind a program can match.

use std::fmt;

/// Why a filter or path failed to parse.
///
/// The position is a byte offset into the input. [`Display`](fmt::Display) prints the message
/// followed by ` at {position}`, e.g. `expected a comparison operator after "userName" at 9`.
///
/// ```
/// use scim_filter::{ErrorKind, Filter};
///
/// let err = Filter::parse("userName = \"bjensen\"").unwrap_err();
/// assert_eq!(err.position(), 9);
/// assert_eq!(err.kind(), &ErrorKind::Syntax);
/// assert_eq!(err.to_string(), r#"expected a comparison operator after "userName" at 9"#);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ParseError {
    inner: Box<Inner>,
}

#[derive(Clone, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    position: usize,
    message: Box<str>,
}

/// The class of a [`ParseError`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input does not follow the grammar.
    Syntax,
    /// The input is longer than [`Limits::max_length`](crate::Limits::max_length) bytes (the
    /// limit is given).
    LengthLimitExceeded(usize),
    /// Parentheses and brackets nest deeper than
    /// [`Limits::max_depth`](crate::Limits::max_depth) (the limit is given).
    NestLimitExceeded(u32),
    /// The filter has more comparisons than [`Limits::max_terms`](crate::Limits::max_terms)
    /// (the limit is given).
    TermLimitExceeded(u32),
}

impl ParseError {
    pub(crate) fn new(kind: ErrorKind, position: usize, message: impl Into<Box<str>>) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                position,
                message: message.into(),
            }),
        }
    }

    /// The byte offset in the input where the problem was found.
    pub fn position(&self) -> usize {
        self.inner.position
    }

    /// What is wrong, without the position.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The class of the error.
    pub fn kind(&self) -> &ErrorKind {
        &self.inner.kind
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.inner.message, self.inner.position)
    }
}

impl fmt::Debug for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParseError")
            .field("kind", &self.inner.kind)
            .field("position", &self.inner.position)
            .field("message", &self.inner.message)
            .finish()
    }
}

impl std::error::Error for ParseError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_error_is_send_sync_and_small() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<ParseError>();
        assert_eq!(size_of::<ParseError>(), size_of::<usize>());
    }
}
