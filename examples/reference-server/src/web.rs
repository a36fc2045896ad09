//! The admin page at `/admin`: scim-core's settings page (tokens, the switch, the log),
//! behind a login of the server's own: `--admin-password`, or a one-time password printed
//! at start. A login is a session cookie (random, `HttpOnly`, `SameSite=Strict`), kept in
//! memory for 12 hours; the authorizer the page asks is "has a session". A SCIM token
//! never logs anyone in.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use reference_server::metrics::Metered;
use scim_core::admin::{Admin, AdminAccess, AdminService};
use scim_sqlx::SqlStore;

/// How long a login lasts.
const SESSION: Duration = Duration::from_secs(12 * 3600);
/// The session cookie.
const COOKIE: &str = "scim_admin_session";

/// Who may log in, and who has.
#[derive(Clone)]
pub(crate) struct Logins {
    /// The SHA-256 of the admin password (`--admin-password`), or of the one-time password
    /// until it is used.
    password: Arc<Mutex<Option<[u8; 32]>>>,
    /// Whether the password is the one-time one (consumed by its first login).
    one_time: bool,
    sessions: Arc<Mutex<HashMap<String, Instant>>>,
    /// Whether cookies need `Secure` (the public URL is https).
    secure: bool,
}

fn digest(text: &str) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(text.as_bytes()).into()
}

/// 256 bits from the operating system's CSPRNG, as hex.
fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Logins {
    /// Logins with `password`, or with a new one-time password (returned, to print).
    pub(crate) fn new(password: Option<String>, secure: bool) -> (Self, Option<String>) {
        let (password, one_time) = match password {
            Some(password) => (password, None),
            None => {
                let once = random_hex();
                (once.clone(), Some(once))
            }
        };
        let logins = Self {
            password: Arc::new(Mutex::new(Some(digest(&password)))),
            one_time: one_time.is_some(),
            sessions: Arc::default(),
            secure,
        };
        (logins, one_time)
    }

    /// Whether `headers` carry a live session.
    fn valid(&self, headers: &HeaderMap) -> bool {
        let Some(session) = session_of(headers) else {
            return false;
        };
        let mut sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        sessions.retain(|_, started| started.elapsed() < SESSION);
        sessions.contains_key(&session)
    }

    /// A new session if `password` is right (the one-time password then expires).
    fn log_in(&self, password: &str) -> Option<String> {
        let mut expected = self.password.lock().unwrap_or_else(PoisonError::into_inner);
        let given = digest(password);
        let right =
            expected.is_some_and(|e| e.iter().zip(&given).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0);
        if !right {
            return None;
        }
        if self.one_time {
            *expected = None;
        }
        let session = random_hex();
        self.sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(session.clone(), Instant::now());
        Some(session)
    }
}

fn session_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// `/admin`: the login page, and the settings page behind it. Mounted at `/admin` (the
/// redirects say so).
pub(crate) fn routes(admin: Admin<Metered<SqlStore>>, logins: Logins) -> Router {
    let check = logins.clone();
    let authorize = move |parts: &http::request::Parts| {
        if check.valid(&parts.headers) {
            AdminAccess::AllTenants
        } else {
            AdminAccess::Denied
        }
    };
    let gate = logins.clone();
    let settings = scim_axum::admin_router(AdminService::new(admin, authorize)).layer(
        axum::middleware::from_fn(move |request: Request, next: Next| {
            let gate = gate.clone();
            async move { login_first(&gate, request, next).await }
        }),
    );
    Router::new()
        .route("/login", get(login_page).post(log_in))
        .with_state(logins)
        .merge(settings)
}

/// Without a session, a page request goes to the login page (assets and the JSON API are
/// answered `403` by the page's own authorizer).
async fn login_first(logins: &Logins, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let page = !path.starts_with("/assets/") && !path.starts_with("/api/");
    if page && request.method() == http::Method::GET && !logins.valid(request.headers()) {
        return redirect_to("/admin/login");
    }
    next.run(request).await
}

fn redirect_to(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// The login form.
async fn login_page() -> Response {
    page(StatusCode::OK, "")
}

fn page(status: StatusCode, notice: &str) -> Response {
    let notice = if notice.is_empty() {
        String::new()
    } else {
        format!("<p class=\"notice\" role=\"alert\">{notice}</p>")
    };
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Log in: SCIM provisioning</title><link rel=\"stylesheet\" href=\"assets/admin.css\"></head>\
         <body><main><h1>SCIM provisioning</h1>{notice}<form method=\"post\" action=\"login\">\
         <p><label for=\"password\">Admin password</label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required autofocus></p>\
         <p><button type=\"submit\">Log in</button></p></form></main></body></html>\n"
    );
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// `POST /admin/login`: a session cookie, then the settings page.
async fn log_in(State(logins): State<Logins>, body: axum::body::Bytes) -> Response {
    let form = String::from_utf8_lossy(&body);
    let password = form
        .split('&')
        .find_map(|pair| pair.strip_prefix("password="))
        .map(|p| {
            let spaced = p.replace('+', " ");
            percent_encoding::percent_decode_str(&spaced)
                .decode_utf8_lossy()
                .into_owned()
        })
        .unwrap_or_default();
    let Some(session) = logins.log_in(&password) else {
        // Slows guessing down; the password is long anyway.
        tokio::time::sleep(Duration::from_millis(500)).await;
        return page(StatusCode::UNAUTHORIZED, "That is not the admin password.");
    };
    let secure = if logins.secure { "; Secure" } else { "" };
    let cookie = format!("{COOKIE}={session}; Path=/admin; HttpOnly; SameSite=Strict{secure}");
    let mut response = redirect_to("/admin");
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}
