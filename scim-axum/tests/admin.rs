//! The admin suite through scim-axum: the admin router nested at `/admin` beside the SCIM
//! router at `/scim`, as an app mounts them, driven through the router as a tower service.

use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::BodyExt;
use scim_core::MemoryStore;
use scim_core::admin::AdminService;
use scim_core::engine::Engine;
use scim_core::testing::admin::AdminHarness;
use scim_core::testing::http::HttpClient;
use tower::ServiceExt;

struct App(Router);

impl HttpClient for App {
    async fn send(&self, request: Request<Bytes>) -> Response<Bytes> {
        let (parts, body) = request.into_parts();
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

struct Axum;

impl AdminHarness for Axum {
    type Client = App;

    async fn serve(&self, engine: Engine<MemoryStore>, admin: AdminService<MemoryStore>) -> App {
        App(Router::new()
            .nest("/scim", scim_axum::router(engine))
            .nest("/admin", scim_axum::admin_router(admin)))
    }
}

scim_core::scim_admin_tests!(Axum);
