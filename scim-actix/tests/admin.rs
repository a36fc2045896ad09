//! The admin suite through scim-actix: the admin scope at `/admin` beside the SCIM scope at
//! `/scim`, served by actix-web's own test service on a thread of its own (actix services
//! are `Rc`), reached through a channel from the suite's runtime.

use std::rc::Rc;

use actix_web::App;
use actix_web::http::Method;
use actix_web::test as actix_test;
use bytes::Bytes;
use http::{Request, Response};
use scim_core::MemoryStore;
use scim_core::admin::AdminService;
use scim_core::engine::Engine;
use scim_core::testing::admin::AdminHarness;
use scim_core::testing::http::HttpClient;
use tokio::sync::{mpsc, oneshot};

type Exchange = (Request<Bytes>, oneshot::Sender<Response<Bytes>>);

struct ActixApp {
    requests: mpsc::UnboundedSender<Exchange>,
}

impl HttpClient for ActixApp {
    async fn send(&self, request: Request<Bytes>) -> Response<Bytes> {
        let (reply, response) = oneshot::channel();
        self.requests
            .send((request, reply))
            .expect("the actix thread is running");
        response.await.expect("the actix thread answers")
    }
}

fn to_actix(request: Request<Bytes>) -> actix_http::Request {
    let (parts, body) = request.into_parts();
    let mut test_request = actix_test::TestRequest::default()
        .method(Method::from_bytes(parts.method.as_str().as_bytes()).expect("a method"))
        .uri(&parts.uri.to_string());
    for (name, value) in &parts.headers {
        test_request = test_request.append_header((name.as_str(), value.as_bytes()));
    }
    test_request.set_payload(body).to_request()
}

async fn from_actix(response: actix_web::dev::ServiceResponse) -> Response<Bytes> {
    let mut builder = Response::builder().status(response.status().as_u16());
    for (name, value) in response.headers() {
        builder = builder.header(name.as_str(), value.as_bytes());
    }
    let body = actix_test::read_body(response).await;
    builder.body(body).expect("a valid response")
}

struct Actix;

impl AdminHarness for Actix {
    type Client = ActixApp;

    async fn serve(
        &self,
        engine: Engine<MemoryStore>,
        admin: AdminService<MemoryStore>,
    ) -> ActixApp {
        let (requests, mut incoming) = mpsc::unbounded_channel::<Exchange>();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let app = Rc::new(
                    actix_test::init_service(
                        App::new()
                            .service(scim_actix::scope("/scim", engine))
                            .service(scim_actix::admin_scope("/admin", admin)),
                    )
                    .await,
                );
                while let Some((request, reply)) = incoming.recv().await {
                    let app = Rc::clone(&app);
                    actix_web::rt::spawn(async move {
                        let response = actix_test::call_service(&*app, to_actix(request)).await;
                        let _ = reply.send(from_actix(response).await);
                    });
                }
            });
        });
        ActixApp { requests }
    }
}

scim_core::scim_admin_tests!(Actix);
