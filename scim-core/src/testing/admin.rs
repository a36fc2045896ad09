//! The admin suite (feature `testing`): the admin service through an adapter, as an app
//! mounts it beside SCIM. [`scim_admin_tests!`](crate::scim_admin_tests) runs every case
//! for a harness that serves the engine at `/scim` (tenants at `/scim/{tenant}/v2`) and
//! the admin service at `/admin`, its client sending paths as they are.

use std::future::Future;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response};
use serde_json::{Value, json};

use super::http::HttpClient;
use crate::MemoryStore;
use crate::admin::{Admin, AdminAccess, AdminService};
use crate::engine::{Engine, Tokens};

/// The tenants' public URL, as the engine is told it.
pub const PUBLIC: &str = "http://scim.test/scim/{tenant}/v2";

/// Serves the admin service beside the engine, as an app does.
pub trait AdminHarness: Send + Sync + 'static {
    /// The client the served app answers; it sends paths as they are.
    type Client: HttpClient;
    /// Serves `engine` nested at `/scim` and `admin` nested at `/admin`.
    fn serve(
        &self,
        engine: Engine<MemoryStore>,
        admin: AdminService<MemoryStore>,
    ) -> impl Future<Output = Self::Client> + Send;
}

/// The app's authorizer in the suite: `x-admin: all` may do everything, `x-admin: ORG`
/// only tenant `ORG`'s settings; anything else nothing.
fn authorize(parts: &http::request::Parts) -> AdminAccess {
    match parts.headers.get("x-admin").and_then(|v| v.to_str().ok()) {
        Some("all") => AdminAccess::AllTenants,
        Some(org) if !org.is_empty() => AdminAccess::Tenant(org.to_owned()),
        _ => AdminAccess::Denied,
    }
}

async fn app<H: AdminHarness>(harness: &H) -> H::Client {
    let tokens = Tokens::new().with_cap(2);
    let engine = Engine::builder(MemoryStore::new(), tokens.clone())
        .tenant_path("/{tenant}/v2")
        .base_url(PUBLIC)
        .build();
    let admin = AdminService::new(Admin::new(engine.clone(), tokens), authorize);
    harness.serve(engine, admin).await
}

struct Call<'a, C> {
    client: &'a C,
}

impl<C: HttpClient> Call<'_, C> {
    async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Response<Bytes> {
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Bytes::from(body.to_owned()))
            .expect("a request");
        self.client.send(request).await
    }

    /// An admin API call as `admin` (the `x-admin` header), JSON in and out.
    async fn api(&self, admin: &str, method: &str, path: &str, body: &Value) -> (u16, Value) {
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        let response = self
            .send(
                method,
                &format!("/admin/api/tenants/{path}"),
                &[("x-admin", admin), ("content-type", "application/json")],
                &body,
            )
            .await;
        (response.status().as_u16(), json_of(&response))
    }

    /// A SCIM call with `token`.
    async fn scim(&self, method: &str, path: &str, token: &str, body: &Value) -> (u16, Value) {
        let bearer = format!("Bearer {token}");
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        let response = self
            .send(
                method,
                &format!("/scim/{path}"),
                &[
                    ("authorization", &bearer),
                    ("content-type", "application/scim+json"),
                    ("host", "scim.test"),
                ],
                &body,
            )
            .await;
        (response.status().as_u16(), json_of(&response))
    }
}

fn json_of(response: &Response<Bytes>) -> Value {
    serde_json::from_slice(response.body()).unwrap_or(Value::Null)
}

fn text_of(response: &Response<Bytes>) -> String {
    String::from_utf8_lossy(response.body()).into_owned()
}

/// The JSON API, end to end: only the authorizer's yes lets in, each admin only into its
/// tenant; a token issued (secret once) works at the SCIM endpoint; a refusal's `detail` is
/// in the log; the switch and the cap take effect; a revoked token is `401` at once.
pub async fn admin_api<H: AdminHarness>(harness: H) {
    let client = app(&harness).await;
    let call = Call { client: &client };

    // Nothing without the authorizer's yes; a SCIM token is no admin credential.
    let (status, _) = call.api("", "GET", "acme", &Value::Null).await;
    assert_eq!(status, 403, "no admin credential");
    let (status, _) = call.api("globex", "GET", "acme", &Value::Null).await;
    assert_eq!(status, 403, "another tenant's admin");

    let (status, issued) = call
        .api("acme", "POST", "acme/tokens", &json!({"label": "Entra"}))
        .await;
    assert_eq!(status, 201, "{issued}");
    let secret = issued["secret"]
        .as_str()
        .expect("the secret, once")
        .to_owned();
    let id = issued["token"]["id"].as_str().expect("an id").to_owned();
    assert_eq!(issued["token"]["label"], "Entra");
    let (status, _) = call
        .scim("GET", "acme/v2/Users", &secret, &Value::Null)
        .await;
    assert_eq!(status, 200, "the new token lets SCIM in");
    let sent = Request::get("/admin/api/tenants/acme")
        .header("authorization", format!("Bearer {secret}"))
        .body(Bytes::new())
        .expect("a request");
    assert_eq!(
        client.send(sent).await.status(),
        403,
        "a SCIM token is no admin credential"
    );

    // The summary: URL, tokens by hint, never a secret.
    let (status, summary) = call.api("acme", "GET", "acme", &Value::Null).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["url"], "http://scim.test/scim/acme/v2");
    assert_eq!(summary["tokens"][0]["id"], id.as_str());
    assert!(summary["tokens"][0]["lastUsed"].is_string(), "{summary}");
    assert!(
        !summary.to_string().contains(&secret),
        "the secret is shown once only"
    );

    // A refusal, and why, in the log.
    let (status, _) = call
        .scim(
            "POST",
            "acme/v2/Users",
            &secret,
            &json!({"displayName": "No Name"}),
        )
        .await;
    assert_eq!(status, 400);
    let log = wait_for_log(&call, "acme/log?status=refused", 1).await;
    let entry = &log["entries"][0];
    assert_eq!(entry["status"], 400, "{log}");
    assert_eq!(entry["method"], "POST");
    assert_eq!(entry["resourceType"], "User");
    assert_eq!(entry["scimType"], "invalidValue");
    assert!(
        entry["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("userName"),
        "{entry}"
    );
    assert!(!log.to_string().contains(&secret));
    let (status, err) = call
        .api("acme", "GET", "acme/log?status=teapot", &Value::Null)
        .await;
    assert_eq!(status, 400, "{err}");

    // The switch: off with a message, on again.
    let off = json!({"enabled": false, "disabledDetail": "Provisioning needs the Business plan."});
    let (status, body) = call.api("acme", "PUT", "acme", &off).await;
    assert_eq!(status, 200, "{body}");
    let (status, refused) = call
        .scim("GET", "acme/v2/Users", &secret, &Value::Null)
        .await;
    assert_eq!(
        (status, refused["detail"].clone()),
        (403, json!("Provisioning needs the Business plan."))
    );
    let (status, _) = call
        .api("acme", "PUT", "acme", &json!({"enabled": true}))
        .await;
    assert_eq!(status, 200);
    let (status, _) = call
        .scim("GET", "acme/v2/Users", &secret, &Value::Null)
        .await;
    assert_eq!(status, 200);

    // The cap (two here): a third token is refused, saying what to do.
    let (status, _) = call.api("acme", "POST", "acme/tokens", &Value::Null).await;
    assert_eq!(status, 201);
    let (status, refused) = call.api("acme", "POST", "acme/tokens", &Value::Null).await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["error"]
            .as_str()
            .unwrap_or_default()
            .contains("revoke"),
        "{refused}"
    );

    // A tenant's own cap, and back to the app's.
    let (status, body) = call
        .api("acme", "PUT", "acme", &json!({"tokenCap": 3}))
        .await;
    assert_eq!(
        (status, body["tokenCap"].clone()),
        (200, json!(3)),
        "{body}"
    );
    let (status, body) = call.api("acme", "PUT", "acme", &json!({})).await;
    assert_eq!(
        (status, body["tokenCap"].clone()),
        (200, json!(2)),
        "{body}"
    );

    // Forms cannot post to the JSON API.
    let form = call
        .send(
            "POST",
            "/admin/api/tenants/acme/tokens",
            &[
                ("x-admin", "acme"),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            "label=x",
        )
        .await;
    assert_eq!(form.status(), 415);

    // Revoked: 401 at once, and the log says so.
    let (status, revoked) = call
        .api("acme", "DELETE", &format!("acme/tokens/{id}"), &Value::Null)
        .await;
    assert_eq!(status, 200, "{revoked}");
    assert!(!revoked["active"].as_bool().unwrap_or(true));
    let (status, _) = call
        .scim("GET", "acme/v2/Users", &secret, &Value::Null)
        .await;
    assert_eq!(status, 401);
    let log = wait_for_log(&call, "acme/log?status=401", 1).await;
    assert_eq!(
        log["entries"][0]["detail"],
        "the bearer token has been revoked"
    );
    let (status, _) = call
        .api("acme", "DELETE", "acme/tokens/nope", &Value::Null)
        .await;
    assert_eq!(status, 404);
}

/// Waits (up to 10 s: a store may write its log in the background) for at least `n`
/// entries of the log page `path`.
async fn wait_for_log<C: HttpClient>(call: &Call<'_, C>, path: &str, n: usize) -> Value {
    let start = Instant::now();
    loop {
        let (status, log) = call.api("acme", "GET", path, &Value::Null).await;
        assert_eq!(status, 200, "{log}");
        if log["entries"].as_array().map_or(0, Vec::len) >= n {
            return log;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{path}: {log}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The page's forms: secured headers, a CSRF token in a strict cookie that every form must
/// repeat, a secret shown once and never cached.
pub async fn admin_page_forms<H: AdminHarness>(harness: H) {
    let client = app(&harness).await;
    let call = Call { client: &client };
    let page = call
        .send("GET", "/admin/tenants/acme/", &[("x-admin", "acme")], "")
        .await;
    assert_eq!(page.status(), 200, "{}", text_of(&page));
    let header = |name: &str| {
        page.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(header("content-security-policy").contains("default-src 'none'"));
    assert_eq!(header("cache-control"), "no-store");
    let cookie = header("set-cookie");
    assert!(
        cookie.contains("SameSite=Strict") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let csrf = cookie
        .split(';')
        .next()
        .and_then(|c| c.split_once('='))
        .map(|(_, v)| v.to_owned())
        .expect("a CSRF cookie");
    assert!(
        text_of(&page).contains(&format!("value=\"{csrf}\"")),
        "the forms carry it"
    );

    let cookie_header = format!("scim_admin_csrf={csrf}");
    let form = [
        ("x-admin", "acme"),
        ("cookie", cookie_header.as_str()),
        ("content-type", "application/x-www-form-urlencoded"),
    ];
    // Without the form's token (another site's form), nothing happens.
    let forged = call
        .send("POST", "/admin/tenants/acme/tokens", &form, "label=x")
        .await;
    assert_eq!(forged.status(), 403);
    let other_origin = [
        form[0],
        form[1],
        form[2],
        ("origin", "https://evil.example"),
    ];
    let body = format!("label=Entra&csrf={csrf}");
    let forged = call
        .send("POST", "/admin/tenants/acme/tokens", &other_origin, &body)
        .await;
    assert_eq!(forged.status(), 403);
    let (_, tokens) = call.api("acme", "GET", "acme/tokens", &Value::Null).await;
    assert_eq!(tokens, json!([]), "forged forms issued nothing");

    // The real form: the secret, once, not cached.
    let issued = call
        .send("POST", "/admin/tenants/acme/tokens", &form, &body)
        .await;
    assert_eq!(issued.status(), 200, "{}", text_of(&issued));
    let html = text_of(&issued);
    assert!(html.contains("you will not see this token again"), "{html}");
    assert_eq!(
        issued.headers().get("cache-control").map(|v| v.as_bytes()),
        Some(&b"no-store"[..])
    );
    let (_, tokens) = call.api("acme", "GET", "acme/tokens", &Value::Null).await;
    let hint = tokens[0]["hint"].as_str().expect("a hint");
    let secret_start = html.find("scim_").expect("the secret on the page");
    let secret: String = html[secret_start..].chars().take(69).collect();
    assert!(secret.ends_with(&hint[hint.len() - 4..]), "{secret} {hint}");
    let (status, _) = call
        .scim("GET", "acme/v2/Users", &secret, &Value::Null)
        .await;
    assert_eq!(status, 200);

    // The settings form: off, with the message the directory then reads.
    let off = format!("detail=Ask+your+account+manager&expiry_days=30&csrf={csrf}");
    let saved = call
        .send("POST", "/admin/tenants/acme/settings", &form, &off)
        .await;
    assert_eq!(saved.status(), 303);
    let (status, refused) = call
        .scim("GET", "acme/v2/Users", &secret, &Value::Null)
        .await;
    assert_eq!(
        (status, refused["detail"].clone()),
        (403, json!("Ask your account manager"))
    );
    let (_, summary) = call.api("acme", "GET", "acme", &Value::Null).await;
    assert_eq!(summary["policy"]["tokenExpiryDays"], 30);
    // The page's log: every request, or the refusals only.
    let page = |query: &'static str| call.send("GET", query, &[("x-admin", "acme")], "");
    let every = text_of(&page("/admin/tenants/acme/").await);
    assert!(
        every.contains("<td>200</td>") && every.contains("<td>403</td>"),
        "{every}"
    );
    let refusals = text_of(&page("/admin/tenants/acme/?status=refused").await);
    assert!(
        !refusals.contains("<td>200</td>") && refusals.contains("<td>403</td>"),
        "{refusals}"
    );
    let bad = format!("enabled=on&expiry_days=soon&csrf={csrf}");
    let refused = call
        .send("POST", "/admin/tenants/acme/settings", &form, &bad)
        .await;
    assert_eq!(refused.status(), 400);
    assert!(text_of(&refused).contains("is not a number of days"));

    // Another tenant's page is not this admin's.
    let other = call
        .send("GET", "/admin/tenants/globex/", &[("x-admin", "acme")], "")
        .await;
    assert_eq!(other.status(), 403);
}

/// Runs every admin case for `$harness` (an [`AdminHarness`]) as a `#[test]`, each on a
/// runtime of its own ([`run`](crate::testing::run)).
#[macro_export]
macro_rules! scim_admin_tests {
    ($harness:expr) => {
        #[test]
        fn admin_api() {
            $crate::testing::run($crate::testing::admin::admin_api($harness));
        }

        #[test]
        fn admin_page_forms() {
            $crate::testing::run($crate::testing::admin::admin_page_forms($harness));
        }
    };
}
