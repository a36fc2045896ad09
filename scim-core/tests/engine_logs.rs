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

#[tokio::test]
async fn one_line_per_request_without_secrets() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

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
