//! An actix-web app served by actix's own test service for the suites, which send from a
//! multi-threaded runtime: actix-web services live on one thread (`Rc`), so the app runs on
//! a thread of its own, in an actix system, and requests reach it through a channel. They
//! are served concurrently there, as a worker does.

use std::rc::Rc;

use actix_web::http::Method;
use actix_web::test as actix_test;
use actix_web::{App, web};
use bytes::Bytes;
use http::{Request, Response};
use scim_core::testing::http::HttpClient;
use tokio::sync::{mpsc, oneshot};

type Exchange = (Request<Bytes>, oneshot::Sender<Response<Bytes>>);

/// The served app.
pub(crate) struct ActixApp {
    requests: mpsc::UnboundedSender<Exchange>,
}

impl ActixApp {
    /// Serves the app `configure` builds; each request's path is prefixed with `prefix`
    /// (where the suite's paths are relative to), except a bare `/`.
    pub(crate) fn start(
        prefix: &'static str,
        configure: impl FnOnce(&mut web::ServiceConfig) + Send + 'static,
    ) -> Self {
        let (requests, mut incoming) = mpsc::unbounded_channel::<Exchange>();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let app = Rc::new(actix_test::init_service(App::new().configure(configure)).await);
                while let Some((request, reply)) = incoming.recv().await {
                    let app = Rc::clone(&app);
                    actix_web::rt::spawn(async move {
                        let request = to_actix(prefix, request);
                        let response = actix_test::call_service(&*app, request).await;
                        let _ = reply.send(from_actix(response).await);
                    });
                }
            });
        });
        Self { requests }
    }
}

fn to_actix(prefix: &str, request: Request<Bytes>) -> actix_http::Request {
    let (parts, body) = request.into_parts();
    let uri = if parts.uri.path() == "/" && parts.uri.query().is_none() {
        "/".to_owned()
    } else {
        format!("{prefix}{}", parts.uri)
    };
    let mut test_request = actix_test::TestRequest::default()
        .method(Method::from_bytes(parts.method.as_str().as_bytes()).expect("a method"))
        .uri(&uri);
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

impl HttpClient for ActixApp {
    async fn send(&self, request: Request<Bytes>) -> Response<Bytes> {
        let (reply, response) = oneshot::channel();
        self.requests
            .send((request, reply))
            .expect("the actix thread is running");
        response.await.expect("the actix thread answers")
    }
}
