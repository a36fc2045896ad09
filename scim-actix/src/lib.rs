#![doc = include_str!("../README.md")]

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use scim_core::ScimStore;
use scim_core::engine::{Engine, MountPath};

/// Mounts the SCIM endpoint in a [`web::ServiceConfig`]: for
/// [`Scope::configure`](actix_web::Scope::configure) (usually, under `/scim/v2`) or
/// [`App::configure`](actix_web::App::configure). Every request the scope does not route
/// elsewhere goes to `engine`, so unknown paths and methods get SCIM errors.
pub fn configure<S: ScimStore>(engine: Engine<S>) -> impl Fn(&mut web::ServiceConfig) + Clone {
    move |config| {
        config
            .app_data(web::Data::new(engine.clone()))
            .default_service(web::to(handle::<S>));
    }
}

/// `web::scope(prefix).configure(configure(engine))`.
pub fn scope<S: ScimStore>(prefix: &str, engine: Engine<S>) -> actix_web::Scope {
    web::scope(prefix).configure(configure(engine))
}

async fn handle<S: ScimStore>(
    request: HttpRequest,
    payload: web::Payload,
    engine: web::Data<Engine<S>>,
) -> HttpResponse {
    let body = match payload.to_bytes_limited(engine.body_limit()).await {
        Ok(Ok(body)) => body,
        Ok(Err(err)) => return respond(engine.unreadable_body(&err)),
        Err(_) => return respond(engine.payload_too_large()),
    };
    respond(engine.handle(convert(&request, body)).await)
}

/// The actix-web request as the engine takes it: the path below the mount point, the
/// headers, the body, and where it is mounted.
fn convert(request: &HttpRequest, body: Bytes) -> http::Request<Bytes> {
    let (mount, relative) = split_mount(request);
    let mount = mount.to_owned();
    let uri = match request.query_string() {
        "" => relative.to_owned(),
        query => format!("{relative}?{query}"),
    };
    let mut builder = http::Request::builder()
        .method(request.method().as_str())
        .uri(uri);
    for (name, value) in request.headers() {
        builder = builder.header(name.as_str(), value.as_bytes());
    }
    let mut converted = builder.body(body).unwrap_or_else(|_| {
        // A method or path actix accepted but `http` does not (both follow RFC 9110, so
        // this does not happen): the engine answers an empty request as unauthenticated.
        http::Request::new(Bytes::new())
    });
    if !converted.headers().contains_key(http::header::HOST)
        && let Ok(host) = http::HeaderValue::from_str(request.connection_info().host())
    {
        converted.headers_mut().insert(http::header::HOST, host);
    }
    converted.extensions_mut().insert(MountPath(mount));
    converted
}

/// The request's raw path split where the scope's match ends: the mount point, and the path
/// below it, still percent-encoded as the client sent it. actix-web matches on a decoded copy
/// of the path (`%00` becomes a NUL byte there), which the engine must not see: it decodes
/// ids itself. The two paths hold the same `/` separators (actix keeps `%2F` encoded), so
/// the mount point is the raw path up to as many of them as the matched part holds.
fn split_mount(request: &HttpRequest) -> (&str, &str) {
    let raw = request.uri().path();
    let decoded = request.match_info().as_str();
    let unprocessed = request.match_info().unprocessed();
    let matched = &decoded[..decoded.len().saturating_sub(unprocessed.len())];
    let slashes = matched.matches('/').count();
    let cut = raw
        .match_indices('/')
        .nth(slashes)
        .map_or(raw.len(), |(i, _)| i);
    raw.split_at(cut)
}

/// The engine's response as actix-web writes it.
fn respond(response: http::Response<Bytes>) -> HttpResponse {
    let (parts, body) = response.into_parts();
    let status =
        StatusCode::from_u16(parts.status.as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = HttpResponse::build(status);
    for (name, value) in &parts.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_str().as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            builder.append_header((name, value));
        }
    }
    builder.body(body)
}

/// The admin service ([`scim_core::admin::AdminService`]: the JSON API and the settings
/// page) for `App::configure` inside the app's own scope, behind the authorizer the service
/// was built with.
pub fn admin_configure<S: ScimStore>(
    service: scim_core::admin::AdminService<S>,
) -> impl Fn(&mut web::ServiceConfig) + Clone {
    move |config| {
        config
            .app_data(web::Data::new(service.clone()))
            .default_service(web::to(handle_admin::<S>));
    }
}

/// [`admin_configure`] under `prefix`:
///
/// ```
/// use actix_web::App;
/// use scim_core::MemoryStore;
/// use scim_core::admin::{Admin, AdminAccess, AdminService};
/// use scim_core::engine::{Engine, Tokens};
///
/// let tokens = Tokens::new();
/// let engine = Engine::builder(MemoryStore::new(), tokens.clone()).build();
/// // The app's own check: here, a header its login proxy sets.
/// let authorize = |parts: &http::request::Parts| match parts.headers.get("x-org-admin") {
///     Some(org) => AdminAccess::Tenant(org.to_str().unwrap_or_default().to_owned()),
///     None => AdminAccess::Denied,
/// };
/// let admin = AdminService::new(Admin::new(engine.clone(), tokens), authorize);
/// let app = App::new()
///     .service(scim_actix::scope("/scim/v2", engine))
///     .service(scim_actix::admin_scope("/settings/provisioning", admin));
/// # let _ = app;
/// ```
pub fn admin_scope<S: ScimStore>(
    prefix: &str,
    service: scim_core::admin::AdminService<S>,
) -> actix_web::Scope {
    web::scope(prefix).configure(admin_configure(service))
}

async fn handle_admin<S: ScimStore>(
    request: HttpRequest,
    payload: web::Payload,
    service: web::Data<scim_core::admin::AdminService<S>>,
) -> HttpResponse {
    let answer = match payload.to_bytes_limited(service.body_limit()).await {
        Ok(Ok(body)) => service.handle(convert(&request, body)).await,
        Ok(Err(err)) => service.unreadable_body(&err),
        Err(_) => service.payload_too_large(),
    };
    respond(answer)
}
