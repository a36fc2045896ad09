//! The framework-neutral HTTP suite through scim-axum's `Router`, nested under `/scim/v2`
//! as an app mounts it (the suite checks `Location` under that prefix), plus what only the
//! adapter decides: the app keeps its routes, and bodies are read within the limit.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::BodyExt;
use scim_core::engine::{BearerToken, Engine};
use scim_core::testing::http::{Harness, HttpClient, TOKEN};
use scim_core::{MemoryStore, SchemaRegistry};
use tower::ServiceExt;

const MOUNT: &str = "/scim/v2";

/// An app with the SCIM router nested under [`MOUNT`] next to its own routes.
struct AxumApp(Router);

impl HttpClient for AxumApp {
    async fn send(&self, request: Request<Bytes>) -> Response<Bytes> {
        let (mut parts, body) = request.into_parts();
        parts.uri = format!("{MOUNT}{}", parts.uri)
            .parse()
            .expect("a valid URI");
        let response = self
            .0
            .clone()
            .oneshot(Request::from_parts(parts, Body::from(body)))
            .await
            .expect("infallible");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("a readable body").to_bytes();
        Response::from_parts(parts, body)
    }
}

fn app(engine: Engine<MemoryStore>) -> Router {
    Router::new()
        .route("/", axum::routing::get(|| async { "the app's own page" }))
        .nest(MOUNT, scim_axum::router(engine))
}

struct Axum;

impl Harness for Axum {
    type Client = AxumApp;
    type Store = MemoryStore;

    async fn store(&self, registry: Arc<SchemaRegistry>) -> MemoryStore {
        MemoryStore::with_registry(registry)
    }

    async fn serve(&self, engine: Engine<MemoryStore>) -> AxumApp {
        AxumApp(app(engine))
    }

    fn mount(&self) -> &str {
        MOUNT
    }
}

scim_core::scim_http_tests!(Axum);

/// The app's own routes stay the app's; SCIM answers only below its prefix.
#[tokio::test]
async fn the_app_keeps_its_routes() {
    let engine = Engine::new(MemoryStore::new(), BearerToken::new(TOKEN));
    let page = app(engine)
        .oneshot(Request::get("/").body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    assert_eq!(page.status(), 200);
    let body = page.into_body().collect().await.expect("body").to_bytes();
    assert_eq!(&body[..], b"the app's own page");
}

/// A body longer than the limit is refused while it is read, with the engine's `413`.
#[tokio::test]
async fn bodies_are_read_within_the_limit() {
    let engine = Engine::new(MemoryStore::new(), BearerToken::new(TOKEN));
    let body = Body::from(vec![b' '; engine.body_limit() + 1]);
    let request = Request::post("/scim/v2/Users")
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/scim+json")
        .body(body)
        .expect("request");
    let response = app(engine).oneshot(request).await.expect("infallible");
    assert_eq!(response.status(), 413);
    assert_eq!(response.headers()["content-type"], "application/scim+json");
}
