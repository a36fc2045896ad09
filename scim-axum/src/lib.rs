#![doc = include_str!("../README.md")]

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use axum::body::HttpBody as _;
use axum::extract::OriginalUri;
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use scim_core::ScimStore;
use scim_core::engine::{Engine, MountPath};

/// A [`Router`] serving the SCIM endpoint, to [`nest`](Router::nest) anywhere: every path
/// below the nesting point goes to `engine`, and what the engine does not know (a wrong
/// path, a wrong method) gets a SCIM error from it, not axum's default.
pub fn router<S: ScimStore, St: Clone + Send + Sync + 'static>(engine: Engine<S>) -> Router<St> {
    Router::new().fallback_service(ScimService::new(engine))
}

/// The SCIM endpoint as a [`tower_service::Service`], for apps that compose services
/// themselves. It never fails: errors are SCIM responses.
#[derive(Debug)]
pub struct ScimService<S> {
    engine: Engine<S>,
}

impl<S> Clone for ScimService<S> {
    fn clone(&self) -> Self {
        Self {
            engine: self.engine.clone(),
        }
    }
}

impl<S: ScimStore> ScimService<S> {
    /// The service answering with `engine`.
    pub fn new(engine: Engine<S>) -> Self {
        Self { engine }
    }
}

impl<S: ScimStore> tower_service::Service<Request<Body>> for ScimService<S> {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let engine = self.engine.clone();
        Box::pin(async move { Ok(handle(&engine, request).await.map(Body::from)) })
    }
}

async fn handle<S: ScimStore>(engine: &Engine<S>, request: Request<Body>) -> Response<Bytes> {
    let (mut parts, body) = request.into_parts();
    note_mount(&mut parts);
    // A GET or DELETE has no body: nothing to collect.
    let body = if body.size_hint().exact() == Some(0) {
        Bytes::new()
    } else {
        match Limited::new(body, engine.body_limit()).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(err) if err.is::<LengthLimitError>() => return engine.payload_too_large(),
            Err(err) => return engine.unreadable_body(&err),
        }
    };
    engine.handle(Request::from_parts(parts, body)).await
}

/// The admin service ([`scim_core::admin::AdminService`]: the JSON API and the settings
/// page) as a `Router` to nest under the app's own path, behind the authorizer the service
/// was built with.
///
/// ```
/// use axum::Router;
/// use scim_core::MemoryStore;
/// use scim_core::admin::{Admin, AdminAccess, AdminService};
/// use scim_core::engine::{Engine, Tokens};
///
/// let tokens = Tokens::new();
/// let engine = Engine::builder(MemoryStore::new(), tokens.clone())
///     .tenant_path("/{tenant}/v2")
///     .build();
/// // The app's own check: here, a header its login proxy sets.
/// let authorize = |parts: &http::request::Parts| match parts.headers.get("x-org-admin") {
///     Some(org) => AdminAccess::Tenant(org.to_str().unwrap_or_default().to_owned()),
///     None => AdminAccess::Denied,
/// };
/// let admin = AdminService::new(Admin::new(engine.clone(), tokens), authorize);
/// let app: Router = Router::new()
///     .nest("/scim", scim_axum::router(engine))
///     .nest("/settings/provisioning", scim_axum::admin_router(admin));
/// # let _ = app;
/// ```
pub fn admin_router<S: ScimStore, St: Clone + Send + Sync + 'static>(
    service: scim_core::admin::AdminService<S>,
) -> Router<St> {
    Router::new().fallback(move |request: Request<Body>| {
        let service = service.clone();
        async move {
            let (mut parts, body) = request.into_parts();
            note_mount(&mut parts);
            let body = match Limited::new(body, service.body_limit()).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(err) if err.is::<LengthLimitError>() => {
                    return service.payload_too_large().map(Body::from);
                }
                Err(err) => return service.unreadable_body(&err).map(Body::from),
            };
            service
                .handle(Request::from_parts(parts, body))
                .await
                .map(Body::from)
        }
    })
}

/// Notes where the request's router is mounted ([`MountPath`]): under `nest`, axum strips the
/// prefix from the URI and keeps the original, and the difference is the mount point. The
/// mount point itself (`/admin`) arrives as `/`: all of it is the mount.
fn note_mount(parts: &mut http::request::Parts) {
    if let Some(OriginalUri(original)) = parts.extensions.get::<OriginalUri>() {
        let (path, inner) = (original.path(), parts.uri.path());
        let mount = path
            .strip_suffix(inner)
            .or_else(|| (inner == "/").then_some(path))
            .unwrap_or_default()
            .to_owned();
        parts.extensions.insert(MountPath(mount));
    }
}
