//! The admin page in a real browser: Debian's Chromium, headless, driven through
//! chromedriver. An admin logs in, generates a token (shown once), the token works at the
//! SCIM endpoint, a refused request's `detail` shows in the provisioning log, and a revoked
//! token is `401` at once. A screenshot of what the admin sees is saved under the target
//! directory (`target/tmp/admin-page.png`, and `admin-page-phone.png` at a phone's width).
//!
//! Without `/usr/bin/chromium` and `/usr/bin/chromedriver` the test says it was skipped;
//! with `SCIM_REQUIRE_BROWSER=1` (as `.ci/run` sets, after installing them) it fails instead.

#[allow(dead_code)]
#[path = "../../start_test.rs"]
mod start_test;

use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use start_test::{send, start};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const PASSWORD: &str = "correct horse battery staple";

/// chromedriver in a process group of its own, stopped with the browsers it started when
/// dropped (also when the test fails before closing its session).
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// chromedriver on a free port, once it accepts connections: its URL.
fn chromedriver() -> (Driver, String) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(CHROMEDRIVER)
        .process_group(0)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (Driver(child), format!("http://127.0.0.1:{port}"))
}

async fn browser(driver: &str) -> Client {
    let capabilities = json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=1100,1700"],
        }
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!("an object")
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(driver)
        .await
        .expect("a browser session")
}

/// The page's text, once `what` appears in it (the page may still be loading: an element
/// gone stale under a navigation is looked for again).
async fn wait_for(client: &Client, what: &str) -> String {
    let start = Instant::now();
    loop {
        let text = match client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.contains(what) {
            return text;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no \"{what}\" in: {text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_admin_generates_a_token_reads_a_refusal_and_revokes_it() {
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        assert!(
            std::env::var("SCIM_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "SCIM_REQUIRE_BROWSER=1 but {CHROMIUM} or {CHROMEDRIVER} is missing"
        );
        eprintln!("skipped: the admin page's browser test needs {CHROMIUM} and {CHROMEDRIVER}");
        return;
    }
    let db = std::env::temp_dir().join(format!("admin-page-{}.db", uuid::Uuid::new_v4().simple()));
    let server = start(Command::new(env!("CARGO_BIN_EXE_reference-server")).args([
        "--bind",
        "127.0.0.1:0",
        "--database-url",
        &format!("sqlite://{}", db.display()),
        "--admin-password",
        PASSWORD,
    ]));
    let scim = server.base_url.clone();
    let root = scim
        .strip_suffix("/scim/default/v2")
        .expect("the default tenant's URL");
    let (_driver, driver_url) = chromedriver();
    let client = browser(&driver_url).await;

    // Log in.
    client
        .goto(&format!("{root}/admin"))
        .await
        .expect("the admin page");
    let password = client
        .find(Locator::Id("password"))
        .await
        .expect("the login form");
    password.send_keys(PASSWORD).await.expect("typing");
    client
        .find(Locator::Css("button[type=submit]"))
        .await
        .expect("a button")
        .click()
        .await
        .expect("log in");
    wait_for(&client, "Tenants").await;
    client
        .find(Locator::LinkText("default"))
        .await
        .expect("the default tenant")
        .click()
        .await
        .expect("open it");
    let text = wait_for(&client, "Tenant URL").await;
    assert!(text.contains("Provisioning log"), "{text}");
    let url = client
        .find(Locator::Id("tenant-url"))
        .await
        .expect("the URL");
    assert_eq!(
        url.prop("value").await.expect("its value").as_deref(),
        Some(scim.as_str())
    );
    let tenant_page = client.current_url().await.expect("a URL").to_string();

    // Generate a token: shown once.
    let label = client
        .find(Locator::Id("label"))
        .await
        .expect("the label field");
    label.send_keys("Entra").await.expect("typing");
    client
        .find(Locator::XPath("//button[text()='Generate token']"))
        .await
        .expect("the button")
        .click()
        .await
        .expect("generate");
    wait_for(&client, "you will not see this token again").await;
    let secret = client
        .find(Locator::Id("new-token"))
        .await
        .expect("the new token")
        .prop("value")
        .await
        .expect("its value")
        .expect("a secret");
    assert!(secret.starts_with("scim_"), "{secret}");

    // It works; a request without a userName is refused.
    let (status, _) = send(&scim, "GET", "/Users", &secret, "");
    assert_eq!(status, 200);
    let (status, body) = send(
        &scim,
        "POST",
        "/Users",
        &secret,
        r#"{"displayName": "No Name"}"#,
    );
    assert_eq!(status, 400, "{body}");

    // The log shows the refusal and why, highlighted.
    client.goto(&tenant_page).await.expect("the tenant page");
    let text = wait_for(&client, "POST /Users").await;
    assert!(text.contains("invalidValue"), "{text}");
    assert!(text.contains("userName"), "{text}");
    let refused = client
        .find_all(Locator::Css("table.log tr.refused"))
        .await
        .expect("rows");
    assert_eq!(refused.len(), 1);
    assert!(!text.contains(&secret), "the secret is shown once only");
    let shot = client.screenshot().await.expect("a screenshot");
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("admin-page.png");
    std::fs::write(&file, shot).expect("the screenshot saved");
    eprintln!("the admin page: {}", file.display());
    // And on a phone's width.
    client
        .set_window_size(390, 1400)
        .await
        .expect("a phone's width");
    let shot = client.screenshot().await.expect("a screenshot");
    let phone = Path::new(env!("CARGO_TARGET_TMPDIR")).join("admin-page-phone.png");
    std::fs::write(&phone, shot).expect("the screenshot saved");
    client
        .set_window_size(1100, 1700)
        .await
        .expect("a desktop's width");

    // Revoke it: the endpoint refuses it at once.
    client
        .find(Locator::XPath(
            "//tr[td[text()='Entra']]//button[text()='Revoke']",
        ))
        .await
        .expect("its revoke button")
        .click()
        .await
        .expect("revoke");
    wait_for(&client, "revoked").await;
    let (status, _) = send(&scim, "GET", "/Users", &secret, "");
    assert_eq!(status, 401);
    client.close().await.expect("the browser closes");
}
