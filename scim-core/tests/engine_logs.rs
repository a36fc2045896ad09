//! What the engine writes to `tracing`: one line per request with method, path, resource
//! type, tenant, status and latency, an audit line per write, and never a token, a password
//! or a request body.

use std::io::Write;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use scim_core::MemoryStore;
use scim_core::engine::{BearerToken, Engine};

/// Collects everything the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// Captures everything logged at any level on this thread until the guard is dropped.
    fn install() -> (Self, tracing::subscriber::DefaultGuard) {
        let captured = Self::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        (captured, tracing::subscriber::set_default(subscriber))
    }
}

#[tokio::test]
async fn one_line_per_request_without_secrets() {
    let (captured, _guard) = Captured::install();

    let token = "tok-9f8e7d6c5b4a";
    let engine = Engine::new(MemoryStore::new(), BearerToken::new(token));
    let body = r#"{"userName":"logged-user","password":"pw-1a2b3c4d","title":"body-marker"}"#;
    let request = http::Request::post("/Users")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/scim+json")
        .body(Bytes::from(body))
        .expect("request");
    assert_eq!(engine.handle(request).await.status(), 201);
    let wrong = http::Request::get("/Users")
        .header("authorization", "Bearer wrong-secret-123")
        .body(Bytes::new())
        .expect("request");
    assert_eq!(engine.handle(wrong).await.status(), 401);

    let logs = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("UTF-8");
    let lines: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("request answered"))
        .collect();
    assert_eq!(lines.len(), 2, "one line per request:\n{logs}");
    let audit: Vec<&str> = logs.lines().filter(|l| l.contains("scim::audit")).collect();
    assert_eq!(audit.len(), 1, "one audit line per write:\n{logs}");
    assert!(audit[0].contains("action=\"created\"") && audit[0].contains("resource=User"));
    for (line, status) in lines.iter().zip(["201", "401"]) {
        for field in ["method=", "path=", "status=", "latency_us="] {
            assert!(line.contains(field), "{field} missing: {line}");
        }
        assert!(line.contains(&format!("status={status}")), "{line}");
    }
    assert!(
        lines[0].contains("resource=User") && lines[0].contains("tenant=default"),
        "{logs}"
    );
    for secret in [
        token,
        "wrong-secret-123",
        "pw-1a2b3c4d",
        "body-marker",
        "logged-user",
    ] {
        assert!(
            !logs.contains(secret),
            "{secret} leaked into the logs:\n{logs}"
        );
    }
}

/// Every kind of request that carries a secret, through a multi-tenant engine with issued
/// tokens and a store that fails once: no log line holds a token (right, wrong, revoked, or
/// in the query string) or a password (in a create, a replace, a PATCH, a bulk operation,
/// a filter, or a refused body).
#[tokio::test]
async fn secrets_stay_out_of_every_log_line() {
    use scim_core::engine::{TokenOptions, Tokens};
    use scim_core::testing::faults::FaultyStore;

    let (captured, _guard) = Captured::install();

    let tokens = Tokens::new();
    let token = tokens
        .issue("acme", TokenOptions::default())
        .expect("a token")
        .secret
        .expose()
        .to_owned();
    let revoked = tokens
        .issue("acme", TokenOptions::default())
        .expect("a token");
    tokens.revoke(&revoked.record.id).expect("revoke");
    let revoked = revoked.secret.expose().to_owned();
    let store = FaultyStore::new(MemoryStore::new());
    let mut config = scim_core::ServiceProviderConfig::default();
    config.bulk = true;
    let engine = Engine::builder(store.clone(), tokens)
        .service_provider_config(config)
        .build();
    let send = |method: &str, path: &str, bearer: &str, body: &str| {
        http::Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {bearer}"))
            .header("content-type", "application/scim+json")
            .body(Bytes::from(body.to_owned()))
            .expect("request")
    };
    let pw = "pw-secret-7f3a";
    let created = engine
        .handle(send(
            "POST",
            "/Users",
            &token,
            &format!(r#"{{"userName":"logs","password":"{pw}-create"}}"#),
        ))
        .await;
    assert_eq!(created.status(), 201);
    let id = serde_json::from_slice::<serde_json::Value>(created.body()).expect("JSON")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let user = format!("/Users/{id}");
    let patch_op = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
    let requests = [
        (
            "PUT",
            user.clone(),
            token.clone(),
            format!(r#"{{"userName":"logs","password":"{pw}-put"}}"#),
        ),
        (
            "PATCH",
            user.clone(),
            token.clone(),
            format!(
                r#"{{"schemas":["{patch_op}"],"Operations":[{{"op":"replace","path":"password","value":"{pw}-patch"}}]}}"#
            ),
        ),
        (
            "POST",
            "/Bulk".to_owned(),
            token.clone(),
            format!(
                r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
                {{"method":"POST","path":"/Users","data":{{"userName":"bulk-logs","password":"{pw}-bulk"}}}}]}}"#
            ),
        ),
        (
            "GET",
            format!("/Users?filter=password%20eq%20%22{pw}-filter%22"),
            token.clone(),
            String::new(),
        ),
        (
            "POST",
            "/Users".to_owned(),
            token.clone(),
            format!(r#"{{"userName":7,"password":"{pw}-refused"}}"#),
        ),
        (
            "POST",
            "/Users".to_owned(),
            token.clone(),
            format!(r#"{{"userName":"x","password":"{pw}-refused"#),
        ),
        ("GET", "/Users".to_owned(), revoked.clone(), String::new()),
        (
            "GET",
            format!("/Users?access_token={token}"),
            "wrong-token-91c2".to_owned(),
            String::new(),
        ),
    ];
    for (method, path, bearer, body) in &requests {
        let _ = engine.handle(send(method, path, bearer, body)).await;
    }
    // A store failure, logged with its source.
    store.fail_call(1);
    let failed = engine
        .handle(send("PATCH", &user, &token, &format!(
            r#"{{"schemas":["{patch_op}"],"Operations":[{{"op":"replace","path":"password","value":"{pw}-fault"}}]}}"#
        )))
        .await;
    assert_eq!(failed.status(), 500);

    let logs = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("UTF-8");
    let answered = logs
        .lines()
        .filter(|l| l.contains("request answered") || l.contains("request failed"))
        .count();
    assert_eq!(
        answered,
        requests.len() + 2,
        "one line per request:\n{logs}"
    );
    for secret in [token.as_str(), revoked.as_str(), "wrong-token-91c2", pw] {
        assert!(
            !logs.contains(secret),
            "{secret} leaked into the logs:\n{logs}"
        );
    }
}
