//! The framework-neutral HTTP suite through actix-web's own test service, with the endpoint
//! mounted under `/scim/v2` as an app mounts it (served as `common` does), plus what only
//! the adapter decides.

use std::sync::Arc;

use actix_web::http::Method;
use actix_web::test as actix_test;
use actix_web::{App, web};
use bytes::Bytes;
use common::ActixApp;
use http::Request;
use scim_core::engine::{BearerToken, Engine};
use scim_core::testing::http::{Harness, HttpClient, TOKEN};
use scim_core::{MemoryStore, SchemaRegistry};

mod common;

const MOUNT: &str = "/scim/v2";

/// An actix-web app with the SCIM scope next to its own routes.
fn start(engine: Engine<MemoryStore>) -> ActixApp {
    ActixApp::start(MOUNT, move |config| {
        config
            .route("/", web::get().to(|| async { "the app's own page" }))
            .service(scim_actix::scope(MOUNT, engine));
    })
}

struct Actix;

impl Harness for Actix {
    type Client = ActixApp;
    type Store = MemoryStore;

    async fn store(&self, registry: Arc<SchemaRegistry>) -> MemoryStore {
        MemoryStore::with_registry(registry)
    }

    async fn serve(&self, engine: Engine<MemoryStore>) -> ActixApp {
        start(engine)
    }

    fn mount(&self) -> &str {
        MOUNT
    }
}

scim_core::scim_http_tests!(Actix);

fn run(test: impl Future<Output = ()>) {
    scim_core::testing::run(test);
}

/// The app's own routes stay the app's; SCIM answers only below its prefix.
#[test]
fn the_app_keeps_its_routes() {
    run(async {
        let engine = Engine::new(MemoryStore::new(), BearerToken::new(TOKEN));
        let app = start(engine);
        let page = app
            .send(Request::get("/").body(Bytes::new()).expect("request"))
            .await;
        assert_eq!(page.status(), 200);
        assert_eq!(&page.body()[..], b"the app's own page");
    });
}

/// A body longer than the limit is refused while it is read, with the engine's `413`.
#[test]
fn bodies_are_read_within_the_limit() {
    run(async {
        let engine = Engine::new(MemoryStore::new(), BearerToken::new(TOKEN));
        let limit = engine.body_limit();
        let app = start(engine);
        let request = Request::post("/Users")
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("content-type", "application/scim+json")
            .body(Bytes::from(vec![b' '; limit + 1]))
            .expect("request");
        let response = app.send(request).await;
        assert_eq!(response.status(), 413);
        assert_eq!(response.headers()["content-type"], "application/scim+json");
    });
}

/// The engine sees the path as the client sent it, below wherever the scope matched: a
/// scope with a dynamic segment, an encoded one in it, and ids with `%00` or `%2F` (which
/// actix decodes for its own matching) reach the engine still encoded.
#[test]
fn the_engine_gets_the_raw_path_below_the_scope() {
    actix_web::rt::System::new().block_on(async {
        let engine = Engine::new(MemoryStore::new(), BearerToken::new(TOKEN));
        let app = actix_test::init_service(
            App::new().service(scim_actix::scope("/t/{tenant}/scim", engine)),
        )
        .await;
        let send = |method: Method, path: &str, body: &'static str| {
            actix_test::TestRequest::default()
                .method(method)
                .uri(path)
                .insert_header(("authorization", format!("Bearer {TOKEN}")))
                .insert_header(("content-type", "application/scim+json"))
                .insert_header(("host", "app.example"))
                .set_payload(body)
                .to_request()
        };
        let created = actix_test::call_service(
            &app,
            send(
                Method::POST,
                "/t/a%20b/scim/Users",
                r#"{"userName": "raw"}"#,
            ),
        )
        .await;
        assert_eq!(created.status(), 201);
        let location = created
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .expect("Location")
            .to_owned();
        assert!(
            location.starts_with("http://app.example/t/a%20b/scim/Users/"),
            "{location}"
        );
        for id in ["%00", "a%2Fb", "..%2F..%2Fetc"] {
            let path = format!("/t/x/scim/Users/{id}");
            let response = actix_test::call_service(&app, send(Method::GET, &path, "")).await;
            assert_eq!(response.status(), 404, "{path}");
        }
    });
}
