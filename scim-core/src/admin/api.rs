//! The admin operations over HTTP, framework-neutral like the engine: a JSON API under
//! `/api/tenants/{tenant}` and the web page under `/tenants/{tenant}/`, both relative to
//! where the app mounts the service, both behind the app's [`AdminAuthorizer`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use percent_encoding::percent_decode_str;
use serde::Deserialize;
use serde_json::{Value, json};

use super::forms::{self, CSRF_COOKIE, Form};
use super::page::{self, View};
use super::{Admin, AdminError, TenantPolicy, Withheld};
use crate::{LogQuery, LogStatus, ResourceKind, ScimStore};

/// What the app's authorizer lets a request do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminAccess {
    /// Nothing: `403`.
    Denied,
    /// One tenant's settings (a customer's admin).
    Tenant(String),
    /// Every tenant's (the operator).
    AllTenants,
}

impl AdminAccess {
    fn allows(&self, tenant: &str) -> bool {
        match self {
            Self::Denied => false,
            Self::Tenant(t) => t == tenant,
            Self::AllTenants => true,
        }
    }
}

/// What [`AdminAuthorizer::authorize`] returns.
pub type AuthorizeFuture<'a> = Pin<Box<dyn Future<Output = AdminAccess> + Send + 'a>>;

/// The app's own check of who may change provisioning settings: its admin session, its
/// roles. Asked on every admin request; a SCIM token means nothing to it. A closure
/// `Fn(&Parts) -> AdminAccess` is one.
pub trait AdminAuthorizer: Send + Sync + 'static {
    /// What the request (its head: cookies, headers) may do.
    fn authorize<'a>(&'a self, parts: &'a Parts) -> AuthorizeFuture<'a>;
}

impl<F: Fn(&Parts) -> AdminAccess + Send + Sync + 'static> AdminAuthorizer for F {
    fn authorize<'a>(&'a self, parts: &'a Parts) -> AuthorizeFuture<'a> {
        Box::pin(std::future::ready(self(parts)))
    }
}

/// The admin service: [`Admin`]'s operations as a JSON API and a web page, for an adapter
/// (`scim_axum::admin_router`, `scim_actix::admin_scope`) to mount under the app's own path.
///
/// | route (below the mount point) | what |
/// | --- | --- |
/// | `GET /` | the tenants (an operator), or a redirect to the admin's tenant |
/// | `GET /tenants/{tenant}/` | the tenant's page |
/// | `POST /tenants/{tenant}/tokens`, `.../tokens/{id}/revoke`, `.../settings` | the page's forms (CSRF-checked) |
/// | `GET`, `PUT /api/tenants/{tenant}` | the tenant's URL, policy and tokens; a new policy |
/// | `GET`, `POST /api/tenants/{tenant}/tokens` | its tokens; a new one (the secret, once) |
/// | `DELETE /api/tenants/{tenant}/tokens/{id}` | revoke |
/// | `GET /api/tenants/{tenant}/log?status=refused&resourceId=..&skip=..&count=..` | the provisioning log |
pub struct AdminService<S> {
    admin: Admin<S>,
    authorizer: Arc<dyn AdminAuthorizer>,
}

impl<S> Clone for AdminService<S> {
    fn clone(&self) -> Self {
        Self {
            admin: self.admin.clone(),
            authorizer: Arc::clone(&self.authorizer),
        }
    }
}

impl<S> std::fmt::Debug for AdminService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminService").finish_non_exhaustive()
    }
}

/// The largest admin request body an adapter reads.
pub(super) const ADMIN_BODY_LIMIT: usize = 64 * 1024;

/// The JSON API's token request.
#[derive(Debug, Default, Deserialize)]
struct IssueBody {
    label: Option<String>,
}

impl<S: ScimStore> AdminService<S> {
    /// `admin`'s operations, for what `authorizer` allows.
    pub fn new(admin: Admin<S>, authorizer: impl AdminAuthorizer) -> Self {
        Self {
            admin,
            authorizer: Arc::new(authorizer),
        }
    }

    /// The largest request body an adapter should read (64 KiB).
    pub fn body_limit(&self) -> usize {
        ADMIN_BODY_LIMIT
    }

    /// The `413` answer to a body longer than [`AdminService::body_limit`].
    pub fn payload_too_large(&self) -> Response<Bytes> {
        text(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is too large.",
        )
    }

    /// The `400` answer to a body that could not be read.
    pub fn unreadable_body(&self, reason: &dyn std::fmt::Display) -> Response<Bytes> {
        text(
            StatusCode::BAD_REQUEST,
            &format!("The request body could not be read: {reason}"),
        )
    }

    /// Answers one admin request.
    pub async fn handle(&self, request: Request<Bytes>) -> Response<Bytes> {
        let (parts, body) = request.into_parts();
        let path = parts.uri.path().trim_start_matches('/').to_owned();
        let segments: Vec<String> = path
            .split('/')
            .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
            .collect();
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        match (&parts.method, segments.as_slice()) {
            (&Method::GET, ["assets", "admin.css"]) => {
                return asset(page::CSS, "text/css; charset=utf-8");
            }
            (&Method::GET, ["assets", "admin.js"]) => {
                return asset(page::JS, "text/javascript; charset=utf-8");
            }
            _ => {}
        }
        let access = self.authorizer.authorize(&parts).await;
        if access == AdminAccess::Denied {
            return text(
                StatusCode::FORBIDDEN,
                "You may not change provisioning settings.",
            );
        }
        match segments.as_slice() {
            ["api", "tenants", tenant, rest @ ..] if access.allows(tenant) => {
                self.api(&parts, body, tenant, rest).await
            }
            ["tenants", tenant, rest @ ..] if access.allows(tenant) => {
                self.page(&parts, body, tenant, rest).await
            }
            [] | [""] if parts.method == Method::GET => {
                // The root may be reached without its trailing slash (`/admin`, as axum
                // nests): links from it are absolute when the adapter says where it is.
                let mount = parts
                    .extensions
                    .get::<crate::engine::MountPath>()
                    .map(|m| format!("{}/", m.0))
                    .unwrap_or_default();
                match access {
                    AdminAccess::Tenant(tenant) => {
                        let encoded = page::segment(&tenant);
                        redirect(&format!("{mount}tenants/{encoded}/"))
                    }
                    _ => html(
                        StatusCode::OK,
                        page::index(&mount, &self.admin.tenants()),
                        None,
                    ),
                }
            }
            ["api", "tenants", ..] | ["tenants", ..] => text(
                StatusCode::FORBIDDEN,
                "You may not change this tenant's settings.",
            ),
            _ => text(StatusCode::NOT_FOUND, "No such admin page."),
        }
    }

    /// The JSON API.
    async fn api(
        &self,
        parts: &Parts,
        body: Bytes,
        tenant: &str,
        rest: &[&str],
    ) -> Response<Bytes> {
        let admin = &self.admin;
        let method = &parts.method;
        if (method == Method::POST || method == Method::PUT) && !is_json(parts) {
            // A browser sends JSON to another origin only after asking (CORS): no forms.
            return json_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send JSON (Content-Type: application/json)",
            );
        }
        let result = match (method, rest) {
            (&Method::GET, []) => Ok((StatusCode::OK, json!(admin.summary(tenant)))),
            (&Method::PUT, []) => match serde_json::from_slice::<TenantPolicy>(&body) {
                Ok(policy) => admin
                    .set_policy(tenant, policy)
                    .await
                    .map(|()| (StatusCode::OK, json!(admin.summary(tenant)))),
                Err(err) => Err(AdminError::Invalid(format!(
                    "the policy does not parse: {err}"
                ))),
            },
            (&Method::GET, ["tokens"]) => Ok((StatusCode::OK, json!(admin.tokens_of(tenant)))),
            (&Method::POST, ["tokens"]) => {
                let request: IssueBody = if body.is_empty() {
                    IssueBody::default()
                } else {
                    match serde_json::from_slice(&body) {
                        Ok(request) => request,
                        Err(err) => return json_error(StatusCode::BAD_REQUEST, &err.to_string()),
                    }
                };
                admin
                    .issue_token(tenant, request.label)
                    .await
                    .map(|issued| {
                        let info = admin
                            .tokens_of(tenant)
                            .into_iter()
                            .find(|t| t.id == issued.record.id);
                        (
                            StatusCode::CREATED,
                            json!({"secret": issued.secret.expose(), "token": info}),
                        )
                    })
            }
            (&Method::DELETE, ["tokens", id]) => admin
                .revoke_token(tenant, id)
                .await
                .map(|info| (StatusCode::OK, json!(info))),
            (&Method::GET, ["log"]) => match log_query(parts.uri.query().unwrap_or("")) {
                Ok(query) => admin
                    .log(tenant, &query)
                    .await
                    .map(|p| (StatusCode::OK, json!(p))),
                Err(err) => return json_error(StatusCode::BAD_REQUEST, &err),
            },
            _ => return json_error(StatusCode::NOT_FOUND, "no such admin operation"),
        };
        match result {
            Ok((status, value)) => {
                let mut response = Response::new(Bytes::from(value.to_string()));
                *response.status_mut() = status;
                set(&mut response, header::CONTENT_TYPE, "application/json");
                set(&mut response, header::CACHE_CONTROL, "no-store");
                response
            }
            Err(err) => json_error(status_of(&err), &err.to_string()),
        }
    }

    /// The web page and its forms.
    async fn page(
        &self,
        parts: &Parts,
        body: Bytes,
        tenant: &str,
        rest: &[&str],
    ) -> Response<Bytes> {
        let admin = &self.admin;
        match (&parts.method, rest) {
            (&Method::GET, []) => {
                let encoded = page::segment(tenant);
                redirect(&format!("{encoded}/"))
            }
            (&Method::GET, [""]) => self.render(parts, tenant, None, None).await,
            (&Method::POST, action) => {
                let form = Form::parse(&body);
                if !forms::csrf_ok(parts, &form) {
                    return text(
                        StatusCode::FORBIDDEN,
                        "This form is stale or was not sent from the admin page: reload the page and try again.",
                    );
                }
                match action {
                    ["tokens"] => {
                        let label = form.get("label").map(str::to_owned);
                        match admin.issue_token(tenant, label).await {
                            Ok(issued) => {
                                self.render(parts, tenant, Some(issued.secret.expose()), None)
                                    .await
                            }
                            Err(err) => {
                                self.render(parts, tenant, None, Some(&err.to_string()))
                                    .await
                            }
                        }
                    }
                    ["tokens", id, "revoke"] => match admin.revoke_token(tenant, id).await {
                        Ok(_) => redirect("../../"),
                        Err(err) => {
                            self.render(parts, tenant, None, Some(&err.to_string()))
                                .await
                        }
                    },
                    ["settings"] => match settings_of(&form, &admin.policy(tenant)) {
                        Ok(policy) => match admin.set_policy(tenant, policy).await {
                            Ok(()) => redirect("./"),
                            Err(err) => {
                                self.render(parts, tenant, None, Some(&err.to_string()))
                                    .await
                            }
                        },
                        Err(err) => self.render(parts, tenant, None, Some(&err)).await,
                    },
                    _ => text(StatusCode::NOT_FOUND, "No such admin action."),
                }
            }
            _ => text(StatusCode::NOT_FOUND, "No such admin page."),
        }
    }

    /// The tenant's page, with a new secret or a refusal to show.
    async fn render(
        &self,
        parts: &Parts,
        tenant: &str,
        secret: Option<&str>,
        notice: Option<&str>,
    ) -> Response<Bytes> {
        // The page's log takes the API's parameters (`status=refused`, `skip`); a query it
        // does not understand shows the latest entries.
        let log_query = log_query(parts.uri.query().unwrap_or("")).unwrap_or_default();
        let (refused_only, skip) = (log_query.status == Some(LogStatus::Refused), log_query.skip);
        let log = match self.admin.log(tenant, &log_query).await {
            Ok(log) => log,
            Err(err) => {
                tracing::warn!(error = %err, "the provisioning log could not be read");
                crate::LogPage::default()
            }
        };
        let (csrf, new_cookie) = match forms::cookie_token(&parts.headers) {
            Some(token) => (token, false),
            None => (forms::new_token(), true),
        };
        let summary = self.admin.summary(tenant);
        let view = View {
            summary: &summary,
            log: &log,
            csrf: &csrf,
            secret,
            notice,
            groups: self
                .admin
                .engine()
                .capabilities()
                .serves(ResourceKind::Group),
            refused_only,
            skip,
        };
        let status = if notice.is_some() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        let cookie = new_cookie.then(|| {
            let secure = if is_https(parts) { "; Secure" } else { "" };
            format!("{CSRF_COOKIE}={csrf}; Path=/; HttpOnly; SameSite=Strict{secure}")
        });
        html(status, page::tenant(&view), cookie)
    }
}

/// The policy a settings form asks for, from the current one.
fn settings_of(form: &Form, current: &TenantPolicy) -> Result<TenantPolicy, String> {
    let mut policy = current.clone();
    policy.enabled = form.checked("enabled");
    policy.disabled_detail = form
        .get("detail")
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    // The switch is on the form only where groups are served; an unchecked box sends nothing.
    if form.get("groups_shown").is_some() {
        policy
            .withheld
            .retain(|w| w.resource_type != ResourceKind::Group);
        if !form.checked("groups") {
            policy.withheld.push(Withheld::new(
                ResourceKind::Group,
                "group provisioning is switched off for this tenant",
            ));
        }
    }
    policy.token_expiry_days = match form.get("expiry_days").map(str::trim) {
        None | Some("") => None,
        Some(days) => Some(
            days.parse()
                .ok()
                .filter(|d| *d > 0)
                .ok_or_else(|| format!("\"{days}\" is not a number of days (1 or more)"))?,
        ),
    };
    Ok(policy)
}

/// The log's query string: `status` (`refused` or a number), `resourceId`, `skip`, `count`.
fn log_query(query: &str) -> Result<LogQuery, String> {
    let mut log = LogQuery::new();
    let (mut skip, mut count) = (0, 50);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode_str(value).decode_utf8_lossy();
        let number = |what: &str| {
            value
                .parse::<usize>()
                .map_err(|_| format!("{what} takes a number, not \"{value}\""))
        };
        match name {
            "status" if value == "refused" => log = log.status(LogStatus::Refused),
            "status" => {
                let status = value.parse().map_err(|_| {
                    format!("status takes \"refused\" or a status code, not \"{value}\"")
                })?;
                log = log.status(LogStatus::Exactly(status));
            }
            "resourceId" => log = log.resource_id(value.as_ref()),
            "skip" => skip = number("skip")?,
            "count" => count = number("count")?,
            other => return Err(format!("unknown parameter \"{other}\"")),
        }
    }
    Ok(log.page(skip, count))
}

fn status_of(err: &AdminError) -> StatusCode {
    match err {
        AdminError::Token(_) => StatusCode::CONFLICT,
        AdminError::NoToken(_) => StatusCode::NOT_FOUND,
        AdminError::Invalid(_) => StatusCode::BAD_REQUEST,
        AdminError::Persist(_) | AdminError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

fn is_json(parts: &Parts) -> bool {
    parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"))
}

fn is_https(parts: &Parts) -> bool {
    parts.uri.scheme_str() == Some("https")
        || parts
            .headers
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
}

fn set(response: &mut Response<Bytes>, name: header::HeaderName, value: &'static str) {
    response
        .headers_mut()
        .insert(name, HeaderValue::from_static(value));
}

/// The headers every admin page carries: nothing from elsewhere, no framing, no caching
/// (the page may show a secret), no referrer.
fn secured(response: &mut Response<Bytes>) {
    set(
        response,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(response, header::CACHE_CONTROL, "no-store");
    set(response, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(response, header::X_FRAME_OPTIONS, "DENY");
    // `same-origin`, not `no-referrer`: with no referrer at all, browsers send `Origin: null`
    // on the page's own form posts, and the origin check would refuse them.
    set(response, header::REFERRER_POLICY, "same-origin");
}

fn html(status: StatusCode, body: String, cookie: Option<String>) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = status;
    set(
        &mut response,
        header::CONTENT_TYPE,
        "text/html; charset=utf-8",
    );
    secured(&mut response);
    if let Some(cookie) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

fn text(status: StatusCode, message: &str) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(format!("{message}\n")));
    *response.status_mut() = status;
    set(
        &mut response,
        header::CONTENT_TYPE,
        "text/plain; charset=utf-8",
    );
    secured(&mut response);
    response
}

fn json_error(status: StatusCode, message: &str) -> Response<Bytes> {
    let body: Value = json!({"error": message});
    let mut response = Response::new(Bytes::from(body.to_string()));
    *response.status_mut() = status;
    set(&mut response, header::CONTENT_TYPE, "application/json");
    set(&mut response, header::CACHE_CONTROL, "no-store");
    response
}

/// `303 See Other` to `location`, relative to the request's URL.
fn redirect(location: &str) -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    secured(&mut response);
    response
}

fn asset(body: &'static str, content_type: &'static str) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from_static(body.as_bytes()));
    set(&mut response, header::CONTENT_TYPE, content_type);
    set(&mut response, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(&mut response, header::CACHE_CONTROL, "max-age=300");
    response
}
