//! [`RequestContext`]: who is asking, for which tenant, and whether anything may be
//! persisted; and the request ids that tie a request's log lines together.

use crate::engine::Event;

/// Who is asking, on whose behalf, and whether anything may be persisted. Every store call
/// gets one.
///
/// ```
/// use scim_core::RequestContext;
///
/// let ctx = RequestContext::new("acme").with_client("entra").with_dry_run(true);
/// assert_eq!(ctx.tenant(), "acme");
/// assert!(ctx.dry_run());
/// assert!(!ctx.request_id().is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    tenant: String,
    client: Option<String>,
    request_id: String,
    dry_run: bool,
    /// For a store with durable events: what the write it is handed publishes.
    events: Vec<Event>,
}

impl RequestContext {
    /// A context for `tenant` with a fresh request id: unique in this process, and unlikely
    /// to repeat across processes.
    pub fn new(tenant: impl Into<String>) -> Self {
        Self::with_id(tenant.into(), next_request_id())
    }

    /// A context for `tenant` with the request id `request_id`.
    pub(crate) fn with_id(tenant: String, request_id: String) -> Self {
        Self {
            tenant,
            client: None,
            request_id,
            dry_run: false,
            events: Vec::new(),
        }
    }

    /// This context with the authenticated client's name (never its secret).
    #[must_use]
    pub fn with_client(mut self, client: impl Into<String>) -> Self {
        self.client = Some(client.into());
        self
    }

    /// This context with a request id (from a tracing header, say).
    #[must_use]
    pub fn with_request_id(mut self, id: impl Into<String>) -> Self {
        self.request_id = id.into();
        self
    }

    /// This context in dry-run mode: a store checks and answers as if it wrote, and persists
    /// nothing.
    #[must_use]
    pub fn with_dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// The tenant every read and write is confined to.
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// The authenticated client, if known.
    pub fn client(&self) -> Option<&str> {
        self.client.as_deref()
    }

    /// The request id, for logs.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// Whether nothing may be persisted.
    pub fn dry_run(&self) -> bool {
        self.dry_run
    }

    /// For a store with durable events
    /// ([`StoreCapabilities::with_durable_events`](crate::StoreCapabilities::with_durable_events)):
    /// the events the write it is handed (`create`, `replace`, `delete`) publishes if it
    /// changes anything, to keep in the same transaction. A create's events carry no id yet:
    /// [`RequestContext::events_for`] fills it in. Empty for every other store, and for
    /// `modify_members`, whose events the store makes from what it did
    /// ([`Event::membership`]).
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// [`RequestContext::events`] with the id of those that have none (a create's) set to
    /// `id`.
    pub fn events_for(&self, id: &str) -> Vec<Event> {
        let mut events = self.events.clone();
        for event in events.iter_mut().filter(|e| e.id.is_empty()) {
            event.id = id.to_owned();
        }
        events
    }

    /// This context carrying the events of the write it is handed.
    pub(crate) fn with_events(mut self, events: Vec<Event>) -> Self {
        self.events = events;
        self
    }
}

/// A request id unique to this process and unlikely to repeat across processes: a random
/// prefix drawn once, and a counter (no system call per request).
pub(crate) fn next_request_id() -> String {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static PREFIX: OnceLock<String> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| uuid::Uuid::new_v4().simple().to_string()[..12].to_owned());
    request_id(prefix, COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// `format!("{prefix}-{n:x}")`, without the formatting machinery on every request.
fn request_id(prefix: &str, n: u64) -> String {
    let mut id = String::with_capacity(prefix.len() + 17);
    id.push_str(prefix);
    id.push('-');
    let digits = (64 - n.leading_zeros()).div_ceil(4).max(1);
    for i in (0..digits).rev() {
        id.push(char::from(
            b"0123456789abcdef"[((n >> (4 * i)) & 0xf) as usize],
        ));
    }
    id
}

#[cfg(test)]
mod tests {
    #[test]
    fn request_ids_are_prefix_and_hex_counter() {
        for n in [0, 1, 0xf, 0x10, 0xabc, u64::from(u32::MAX) + 1, u64::MAX] {
            assert_eq!(super::request_id("3f2a", n), format!("3f2a-{n:x}"));
        }
        let (a, b) = (super::next_request_id(), super::next_request_id());
        assert_ne!(a, b);
        assert_eq!(
            a.split_once('-').map(|p| p.0),
            b.split_once('-').map(|p| p.0)
        );
    }
}
