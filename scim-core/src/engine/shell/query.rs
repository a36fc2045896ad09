//! Query strings, decoded in one place, and the list parameters (RFC 7644 §3.4.2) from a
//! query string or a `.search` body.

use scim_filter::{AttrPath, Filter, Limits};
use serde_json::Value;

use crate::{Compat, ListQuery, Projection, ScimError, ScimType, SortOrder};

/// `attributes` and `excludedAttributes`, as given.
#[derive(Debug, Default)]
pub(super) struct Attributes {
    pub(super) attributes: Option<String>,
    pub(super) excluded: Option<String>,
}

impl Attributes {
    pub(super) fn projection(&self, compat: &Compat) -> Result<Projection, ScimError> {
        if compat.filters_in_attributes {
            let attributes = self.attributes.as_deref().map(without_value_filters);
            let excluded = self.excluded.as_deref().map(without_value_filters);
            return Projection::new(attributes.as_deref(), excluded.as_deref());
        }
        Projection::new(self.attributes.as_deref(), self.excluded.as_deref())
    }
}

/// `list` with each value filter removed (`emails[type eq "work"].value` becomes
/// `emails.value`), for [`Compat::filters_in_attributes`]. A bracket or comma inside a quoted
/// string does not count: this runs before the list is split at its commas, which is why it
/// scans the text rather than parse each item as a PATCH path.
fn without_value_filters(list: &str) -> String {
    let mut out = String::with_capacity(list.len());
    let (mut depth, mut quoted, mut escaped) = (0u32, false, false);
    for c in list.chars() {
        if depth == 0 {
            if c == '[' {
                depth = 1;
            } else {
                out.push(c);
            }
            continue;
        }
        match (quoted, c) {
            (true, _) if escaped => escaped = false,
            (true, '\\') => escaped = true,
            (_, '"') => quoted = !quoted,
            (false, '[') => depth += 1,
            (false, ']') => depth -= 1,
            _ => {}
        }
    }
    out
}

/// Every list parameter, as given.
#[derive(Debug, Default)]
pub(super) struct Search {
    pub(super) attrs: Attributes,
    filter: Option<String>,
    sort_by: Option<String>,
    sort_order: Option<String>,
    start_index: Option<i64>,
    count: Option<i64>,
    /// RFC 9865's `cursor`: `Some("")` for the first page.
    cursor: Option<String>,
}

/// A list request, checked: the store query and how it pages.
pub(super) struct Listing {
    pub(super) query: ListQuery,
    pub(super) projection: Projection,
    pub(super) paging: Paging,
}

/// How a list pages.
pub(super) enum Paging {
    /// By `startIndex` (RFC 7644 §3.4.2.4).
    Index(usize),
    /// By cursor (RFC 9865): the cursor given (empty for the first page), the page size, and
    /// the query's filter and sort as canonical text, which a cursor is bound to.
    Cursor {
        token: String,
        count: usize,
        query: String,
    },
}

impl Search {
    /// From a query string. Parameter names are matched without regard to case.
    ///
    /// Stricter than form decoding: a known parameter whose value is not UTF-8 once
    /// percent-decoded, or that is given twice, is refused rather than read one way or another
    /// (`invalidFilter` for `filter`, `invalidValue` otherwise).
    pub(super) fn from_query(query: &str) -> Result<Self, ScimError> {
        let mut search = Self::default();
        let mut seen: Vec<String> = Vec::new();
        for (key, value) in params(query) {
            if !KNOWN.contains(&key.as_str()) {
                continue;
            }
            let refuse = |detail: String| {
                if key == "filter" {
                    ScimError::bad_request(ScimType::InvalidFilter, detail)
                } else {
                    ScimError::invalid_value(detail)
                }
            };
            if seen.contains(&key) {
                return Err(refuse(format!(
                    "the query parameter \"{key}\" is given twice"
                )));
            }
            let value = decode(value).ok_or_else(|| {
                refuse(format!(
                    "the query parameter \"{key}\" is not UTF-8 once percent-decoded"
                ))
            })?;
            seen.push(key.clone());
            match key.as_str() {
                "filter" => search.filter = Some(value),
                "sortby" => search.sort_by = Some(value),
                "sortorder" => search.sort_order = Some(value),
                "startindex" => search.start_index = Some(integer("startIndex", &value)?),
                "count" => search.count = Some(integer("count", &value)?),
                "cursor" => search.cursor = Some(value),
                "attributes" => search.attrs.attributes = Some(value),
                "excludedattributes" => search.attrs.excluded = Some(value),
                _ => {}
            }
        }
        Ok(search)
    }

    /// From a `POST .search` body (RFC 7644 §3.4.3).
    pub(super) fn from_body(body: Value) -> Result<Self, ScimError> {
        let Value::Object(body) = body else {
            return Err(ScimError::invalid_syntax(
                "a search request must be a JSON object",
            ));
        };
        let mut search = Self::default();
        for (key, value) in body {
            let text = |value: Value| {
                match value {
                    Value::String(s) => Ok(Some(s)),
                    Value::Null => Ok(None),
                    Value::Array(items) => items
                        .into_iter()
                        .map(|v| match v {
                            Value::String(s) => Ok(s),
                            _ => Err(()),
                        })
                        .collect::<Result<Vec<_>, _>>()
                        .map(|l| Some(l.join(","))),
                    _ => Err(()),
                }
                .map_err(|()| ScimError::invalid_value(format!("\"{key}\" must be a string")))
            };
            let number = |value: Value| match value {
                Value::Number(n) => Ok(n.as_i64().unwrap_or(i64::MAX)),
                Value::String(s) => integer(&key, &s),
                _ => Err(ScimError::invalid_value(format!(
                    "\"{key}\" must be an integer"
                ))),
            };
            match key.to_ascii_lowercase().as_str() {
                "filter" => search.filter = text(value)?,
                "sortby" => search.sort_by = text(value)?,
                "sortorder" => search.sort_order = text(value)?,
                "startindex" => search.start_index = Some(number(value)?),
                "count" => search.count = Some(number(value)?),
                "cursor" => search.cursor = Some(text(value)?.unwrap_or_default()),
                "attributes" => search.attrs.attributes = text(value)?,
                "excludedattributes" => search.attrs.excluded = text(value)?,
                _ => {}
            }
        }
        Ok(search)
    }

    /// Checks the parameters. `startIndex` below 1 counts as 1 and a negative `count` as 0
    /// (RFC 7644 §3.4.2.4); `count` is clamped to `max_results`.
    pub(super) fn into_listing(
        self,
        max_results: usize,
        compat: &Compat,
    ) -> Result<Listing, ScimError> {
        let mut query = ListQuery::new();
        if let Some(filter) = self.filter.as_deref().filter(|f| !f.trim().is_empty()) {
            let limits = Limits::default().with_unquoted_strings(compat.unquoted_filter_literals);
            query = query.with_filter(Filter::parse_with(filter, &limits)?);
        }
        if let Some(by) = self.sort_by.as_deref().filter(|s| !s.trim().is_empty()) {
            let by = AttrPath::parse(by.trim()).map_err(|e| {
                ScimError::bad_request(ScimType::InvalidPath, format!("sortBy: {e}"))
            })?;
            let order = match self.sort_order.as_deref().map(str::trim) {
                None | Some("") => SortOrder::Ascending,
                Some(o) if o.eq_ignore_ascii_case("ascending") => SortOrder::Ascending,
                Some(o) if o.eq_ignore_ascii_case("descending") => SortOrder::Descending,
                Some(o) => {
                    return Err(ScimError::invalid_value(format!(
                        "sortOrder must be \"ascending\" or \"descending\", not \"{o}\""
                    )));
                }
            };
            query = query.with_sort(by, order);
        }
        let projection = self.attrs.projection(compat)?;
        query = query.with_projection(projection.clone());
        if let Some(token) = self.cursor {
            let paging =
                Self::cursor_paging(&query, token, self.start_index, self.count, max_results)?;
            return Ok(Listing {
                query,
                projection,
                paging,
            });
        }
        let start_index = usize::try_from(self.start_index.unwrap_or(1).max(1)).unwrap_or(1);
        let count = self.count.map_or(max_results, |c| {
            usize::try_from(c.max(0)).map_or(max_results, |c| c.min(max_results))
        });
        query = query.with_page(start_index, Some(count));
        Ok(Listing {
            query,
            projection,
            paging: Paging::Index(start_index),
        })
    }

    /// Cursor paging's parameters (RFC 9865 §2): not beside `startIndex`, and a `count`
    /// from 0 to `max_results` (refused beyond it, where index paging clamps).
    fn cursor_paging(
        query: &ListQuery,
        token: String,
        start_index: Option<i64>,
        count: Option<i64>,
        max_results: usize,
    ) -> Result<Paging, ScimError> {
        if start_index.is_some() {
            return Err(ScimError::bad_request(
                ScimType::InvalidCursor,
                "cursor and startIndex are two ways of paging: give one of them",
            ));
        }
        let count = match count {
            None => max_results,
            Some(c) => usize::try_from(c)
                .ok()
                .filter(|c| *c <= max_results)
                .ok_or_else(|| {
                    ScimError::bad_request(
                        ScimType::InvalidCount,
                        format!(
                            "count must be from 0 to {max_results} when paging by cursor, not {c}"
                        ),
                    )
                })?,
        };
        // What the cursor is bound to: the filter and sort as canonical text.
        let filter = query
            .filter
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        let sort = query
            .sort
            .as_ref()
            .map(|s| format!("{} {}", s.by, s.order))
            .unwrap_or_default();
        Ok(Paging::Cursor {
            token,
            count,
            query: format!("{filter}\n{sort}"),
        })
    }
}

/// An integer parameter. Digits beyond `i64` saturate (a `count` of 10^30 is "as many as
/// allowed"), anything else is `400 invalidValue`.
fn integer(name: &str, value: &str) -> Result<i64, ScimError> {
    let value = value.trim();
    let digits = value.strip_prefix('-').unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ScimError::invalid_value(format!(
            "{name} must be an integer, not \"{value}\""
        )));
    }
    Ok(value.parse().unwrap_or(if value.starts_with('-') {
        i64::MIN
    } else {
        i64::MAX
    }))
}

/// The query parameters [`Search::from_query`] reads, lowercased.
const KNOWN: [&str; 8] = [
    "cursor",
    "filter",
    "sortby",
    "sortorder",
    "startindex",
    "count",
    "attributes",
    "excludedattributes",
];

/// A query string's parameters, in order: each name decoded ([`decode`]; a name that is not
/// UTF-8 becomes empty) and lower-cased, with its value as given. Every endpoint reads its
/// parameters through this.
pub(super) fn params(query: &str) -> impl Iterator<Item = (String, &str)> {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(key).unwrap_or_default().to_ascii_lowercase(), value)
    })
}

/// A query component, `+` as a space and percent-decoded; `None` if that is not UTF-8.
fn decode(component: &str) -> Option<String> {
    let spaced = component.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned)
}
