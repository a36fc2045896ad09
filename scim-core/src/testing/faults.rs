//! A store that fails on purpose: [`FaultyStore`] wraps any [`ScimStore`] and fails one
//! chosen call with a [`StoreError::Backend`] whose message is full of internals (a host, a
//! password), so a test can check that a failing write leaves nothing behind and that the
//! client sees a plain `500` without any of them.
//!
//! ```
//! use scim_core::testing::faults::{FaultyStore, INTERNALS};
//! use scim_core::{MemoryStore, RequestContext, ScimStore, StoreError};
//!
//! # scim_core::testing::run(async {
//! let store = FaultyStore::new(MemoryStore::new());
//! store.fail_call(1); // the next call fails
//! let ctx = RequestContext::new("t");
//! let err = store.get(&ctx, scim_core::ResourceKind::User, "x").await.unwrap_err();
//! assert!(matches!(err, StoreError::Backend(e) if e.to_string().contains(INTERNALS)));
//! assert_eq!(store.calls(), 1);
//! # });
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::{
    ListPage, ListQuery, MemberChange, MembersChanged, Projection, RequestContext, Resource,
    ResourceKind, ScimStore, StoreError, Version,
};

/// What an injected failure's message holds: what a database error might say, and what must
/// never reach a client.
pub const INTERNALS: &str =
    "connection to db-7.internal:5432 reset (user=scim password=hunter2) in pg_sock.c:4412";

/// A store that passes every call to `inner`, except the one chosen to fail.
#[derive(Debug, Clone)]
pub struct FaultyStore<S> {
    inner: S,
    state: Arc<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Calls made since the last [`FaultyStore::fail_call`] or [`FaultyStore::reset`].
    calls: AtomicUsize,
    /// Which call fails (1-based); 0 for none.
    fail_at: AtomicUsize,
    /// Failures injected so far.
    injected: AtomicUsize,
    /// Whether `modify_members` answers `NotImplemented`, as a store without the optional
    /// native membership change does.
    no_native_members: std::sync::atomic::AtomicBool,
}

impl<S: ScimStore> FaultyStore<S> {
    /// `inner`, failing nothing yet.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            state: Arc::default(),
        }
    }

    /// The wrapped store, to look at what it holds.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Starts counting calls again, and fails the `n`-th from now (1-based).
    pub fn fail_call(&self, n: usize) {
        self.state.calls.store(0, Ordering::SeqCst);
        self.state.fail_at.store(n, Ordering::SeqCst);
    }

    /// Starts counting calls again, failing none.
    pub fn reset(&self) {
        self.fail_call(0);
    }

    /// Calls made since the last [`fail_call`](Self::fail_call) or [`reset`](Self::reset).
    pub fn calls(&self) -> usize {
        self.state.calls.load(Ordering::SeqCst)
    }

    /// From now on, `modify_members` answers [`StoreError::NotImplemented`], as a store
    /// without the optional native membership change does: the engine's fallback runs.
    pub fn without_native_members(&self) {
        self.state.no_native_members.store(true, Ordering::SeqCst);
    }

    /// Failures injected since the store was made.
    pub fn injected(&self) -> usize {
        self.state.injected.load(Ordering::SeqCst)
    }

    /// Counts a call; the error it must fail with, if it is the chosen one.
    fn enter(&self, operation: &str) -> Result<(), StoreError> {
        let n = self.state.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if n == self.state.fail_at.load(Ordering::SeqCst) {
            self.state.injected.fetch_add(1, Ordering::SeqCst);
            return Err(StoreError::backend(format!(
                "{operation} failed: {INTERNALS}"
            )));
        }
        Ok(())
    }
}

impl<S: ScimStore> ScimStore for FaultyStore<S> {
    async fn create(
        &self,
        ctx: &RequestContext,
        resource: Resource,
    ) -> Result<Resource, StoreError> {
        self.enter("create")?;
        self.inner.create(ctx, resource).await
    }

    async fn get(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Resource, StoreError> {
        self.enter("get")?;
        self.inner.get(ctx, kind, id).await
    }

    async fn list(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        query: &ListQuery,
    ) -> Result<ListPage, StoreError> {
        self.enter("list")?;
        self.inner.list(ctx, kind, query).await
    }

    async fn replace(
        &self,
        ctx: &RequestContext,
        resource: Resource,
        expected: &Version,
    ) -> Result<Resource, StoreError> {
        self.enter("replace")?;
        self.inner.replace(ctx, resource, expected).await
    }

    async fn delete(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        expected: Option<&Version>,
    ) -> Result<(), StoreError> {
        self.enter("delete")?;
        self.inner.delete(ctx, kind, id, expected).await
    }

    async fn get_projected(
        &self,
        ctx: &RequestContext,
        kind: ResourceKind,
        id: &str,
        projection: &Projection,
    ) -> Result<Resource, StoreError> {
        self.enter("get_projected")?;
        self.inner.get_projected(ctx, kind, id, projection).await
    }

    async fn modify_members(
        &self,
        ctx: &RequestContext,
        group_id: &str,
        change: &MemberChange,
        expected: Option<&Version>,
    ) -> Result<MembersChanged, StoreError> {
        self.enter("modify_members")?;
        if self.state.no_native_members.load(Ordering::SeqCst) {
            return Err(StoreError::NotImplemented {
                operation: "modify_members",
            });
        }
        self.inner
            .modify_members(ctx, group_id, change, expected)
            .await
    }
}
