//! The provisioning log: one entry per SCIM request of a tenant, with what an admin needs to
//! understand a refusal (the `scimType` and the `detail`), kept by the store.
//!
//! The engine hands each entry to [`ScimStore::record_request`](crate::ScimStore::record_request)
//! after answering; a store keeps it without making the request wait (`MemoryStore` in a
//! [`LogRing`], `scim-sqlx` in a table written in the background) and answers
//! [`ScimStore::request_log`](crate::ScimStore::request_log) for the admin page.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ResourceKind;

/// One SCIM request, as its tenant's admin reads it. Never holds a secret: no header, no
/// body, and the query string without parameters that could carry one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RequestRecord {
    /// When the request arrived.
    pub time: DateTime<Utc>,
    /// The tenant.
    pub tenant: String,
    /// Who sent it: the token's label or the Basic user, when the authenticator says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// `GET`, `POST`...
    pub method: String,
    /// The path below the tenant URL (the whole path when the request did not reach one),
    /// with its query (`/Users?filter=...`).
    pub path: String,
    /// The resource type it addressed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<ResourceKind>,
    /// The resource it addressed or created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// The answer's status.
    pub status: u16,
    /// The error's `scimType`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scim_type: Option<String>,
    /// The error's `detail`: why it was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// How long the answer took, in microseconds.
    pub duration_us: u64,
    /// The request id (as in the server's log line).
    pub request_id: String,
    /// Whether it was a dry run.
    #[serde(default)]
    pub dry_run: bool,
}

impl RequestRecord {
    /// Whether the request was refused (`4xx`) or failed (`5xx`).
    pub fn refused(&self) -> bool {
        self.status >= 400
    }
}

/// Which entries a page of the log holds: latest first, optionally only refusals or one
/// status, or one resource's.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogQuery {
    /// Only this status (`404`), or with [`LogStatus::Refused`] every `4xx` and `5xx`.
    pub status: Option<LogStatus>,
    /// Only requests about this resource id.
    pub resource_id: Option<String>,
    /// How many of the latest matching entries to skip.
    pub skip: usize,
    /// How many to answer (at most 500).
    pub count: usize,
}

/// A status filter of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogStatus {
    /// Exactly this status.
    Exactly(u16),
    /// Every refusal or failure (`4xx`, `5xx`).
    Refused,
}

impl LogStatus {
    /// Whether `status` matches.
    pub fn matches(self, status: u16) -> bool {
        match self {
            Self::Exactly(wanted) => status == wanted,
            Self::Refused => status >= 400,
        }
    }
}

/// The most entries one page answers.
pub const MAX_LOG_PAGE: usize = 500;

impl Default for LogQuery {
    /// The latest 50 entries.
    fn default() -> Self {
        Self {
            status: None,
            resource_id: None,
            skip: 0,
            count: 50,
        }
    }
}

impl LogQuery {
    /// The latest 50 entries.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only `status`.
    #[must_use]
    pub fn status(mut self, status: LogStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Only requests about `id`.
    #[must_use]
    pub fn resource_id(mut self, id: impl Into<String>) -> Self {
        self.resource_id = Some(id.into());
        self
    }

    /// Skips the latest `skip`, then answers `count` (at most [`MAX_LOG_PAGE`]).
    #[must_use]
    pub fn page(mut self, skip: usize, count: usize) -> Self {
        self.skip = skip;
        self.count = count.min(MAX_LOG_PAGE);
        self
    }

    /// Whether `record` is one this query asks for (tenant aside).
    pub fn matches(&self, record: &RequestRecord) -> bool {
        self.status.is_none_or(|s| s.matches(record.status))
            && self
                .resource_id
                .as_deref()
                .is_none_or(|id| record.resource_id.as_deref() == Some(id))
    }
}

/// One page of a tenant's log, latest first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LogPage {
    /// The entries.
    pub entries: Vec<RequestRecord>,
    /// Whether older matching entries follow.
    pub more: bool,
}

impl LogPage {
    /// A page of `entries`, `more` if older ones follow.
    pub fn new(entries: Vec<RequestRecord>, more: bool) -> Self {
        Self { entries, more }
    }
}

/// How long the log keeps entries: the latest `max_entries` of the store (every tenant's),
/// none older than `max_age`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogRetention {
    /// The most entries kept.
    pub max_entries: usize,
    /// The oldest entry kept.
    pub max_age: Duration,
}

impl Default for LogRetention {
    /// 10,000 entries, 30 days.
    fn default() -> Self {
        Self {
            max_entries: 10_000,
            max_age: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

impl LogRetention {
    /// The latest `max_entries`, none older than `max_age`.
    pub fn new(max_entries: usize, max_age: Duration) -> Self {
        Self {
            max_entries,
            max_age,
        }
    }
}

/// A bounded in-memory log: the latest entries within a [`LogRetention`]. Recording is a
/// short lock and a push; what falls out of the retention is dropped as new entries come.
///
/// ```
/// use scim_core::{LogQuery, LogRetention, LogRing, LogStatus};
/// # use scim_core::RequestRecord;
/// # fn entry(status: u16) -> RequestRecord {
/// #     serde_json::from_value(serde_json::json!({"time": chrono::Utc::now(), "tenant": "acme",
/// #         "method": "GET", "path": "/Users", "status": status, "durationUs": 10,
/// #         "requestId": "r"})).unwrap()
/// # }
///
/// let ring = LogRing::new(LogRetention::default());
/// ring.push(entry(200));
/// ring.push(entry(400));
/// let refused = ring.page("acme", &LogQuery::new().status(LogStatus::Refused));
/// assert_eq!(refused.entries.len(), 1);
/// assert_eq!(refused.entries[0].status, 400);
/// ```
#[derive(Debug)]
pub struct LogRing {
    retention: LogRetention,
    entries: Mutex<VecDeque<RequestRecord>>,
}

impl LogRing {
    /// An empty log keeping what `retention` says.
    pub fn new(retention: LogRetention) -> Self {
        Self {
            retention,
            entries: Mutex::new(VecDeque::new()),
        }
    }

    /// Keeps `record`, dropping the oldest entries beyond the retention.
    pub fn push(&self, record: RequestRecord) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let oldest = chrono::Duration::from_std(self.retention.max_age)
            .ok()
            .and_then(|age| record.time.checked_sub_signed(age));
        entries.push_back(record);
        while entries.len() > self.retention.max_entries.max(1) {
            entries.pop_front();
        }
        if let Some(oldest) = oldest {
            while entries.front().is_some_and(|e| e.time < oldest) {
                entries.pop_front();
            }
        }
    }

    /// A page of `tenant`'s entries, latest first.
    pub fn page(&self, tenant: &str, query: &LogQuery) -> LogPage {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let mut matching = entries
            .iter()
            .rev()
            .filter(|e| e.tenant == tenant && query.matches(e))
            .skip(query.skip);
        let page: Vec<RequestRecord> = matching.by_ref().take(query.count).cloned().collect();
        let more = matching.next().is_some();
        LogPage::new(page, more)
    }
}
