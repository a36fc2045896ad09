//! The reference server run as an operator runs it: its output a pipe nobody reads, probes
//! from a load balancer, a Prometheus scrape, and SIGTERM in the middle of a load. Each test
//! starts the real binary on 127.0.0.1.

#[path = "../../start_test.rs"]
#[allow(dead_code, reason = "these tests start the server themselves")]
mod start_test;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStderr, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use start_test::{exchange, send};

const BINARY: &str = env!("CARGO_BIN_EXE_reference-server");
const TOKEN: &str = "ops-token";

/// A server whose output is piped to this test, which reads only its first lines.
struct Running {
    child: Child,
    base_url: String,
    /// `http://127.0.0.1:PORT`, for the probes.
    root: String,
    /// The metrics listener, when asked for.
    metrics: Option<String>,
    /// Kept open and never read (unless a test drains it).
    _stdout: BufReader<ChildStdout>,
    stderr: Option<ChildStderr>,
    database: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str], env: &[(&str, &str)]) -> Running {
    start_on(&fresh_database(), args, env)
}

/// A new SQLite database's URL, in a directory of its own.
fn fresh_database() -> String {
    let dir = std::env::temp_dir().join(format!("scim-ops-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("a directory");
    format!("sqlite://{}", dir.join("scim.db").display())
}

/// The server's command on `database`, on a free port of 127.0.0.1 with the tests' token.
fn server_command(database: &str) -> Command {
    let mut command = Command::new(BINARY);
    command.args([
        "--bind",
        "127.0.0.1:0",
        "--token",
        TOKEN,
        "--database-url",
        database,
    ]);
    command
}

/// A server on `database` (another process may serve it too).
fn start_on(database: &str, args: &[&str], env: &[(&str, &str)]) -> Running {
    let database = database.to_owned();
    let mut child = server_command(&database)
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let (mut base_url, mut metrics) = (None, None);
    // The lines it prints at start, up to the admin page's; then nobody reads.
    for _ in 0..10 {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        let line = line.trim_end();
        if let Some(url) = line.strip_prefix("SCIM base URL: ") {
            base_url = Some(url.to_owned());
        }
        if let Some(url) = line.strip_prefix("Metrics: ") {
            metrics = Some(url.to_owned());
        }
        let admin_printed = line.starts_with("Admin page: ");
        let wants_metrics = args.contains(&"--metrics-bind");
        if (admin_printed && !wants_metrics) || metrics.is_some() {
            break;
        }
    }
    let base_url = base_url.expect("a \"SCIM base URL:\" line");
    let root = base_url
        .strip_suffix("/scim/default/v2")
        .expect("the default tenant's URL")
        .to_owned();
    Running {
        stderr: child.stderr.take(),
        child,
        base_url,
        root,
        metrics,
        _stdout: stdout,
        database,
    }
}

fn user(name: &str) -> String {
    format!(r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"{name}"}}"#)
}

/// Every write logs an audit line at `info`, the default level: 3,000 of them are far more
/// than a pipe holds (64 KiB). A server that wrote its log synchronously would block in
/// `write` after a few hundred and answer nothing more; this one keeps answering, its lines
/// waiting in its buffer for a reader.
#[test]
fn keeps_answering_when_nobody_reads_its_output() {
    let mut server = start(&[], &[("RUST_LOG", "info")]);
    for i in 0..3000 {
        // A stalled server fails the test (after 10 s) rather than hang it.
        match attempt(&server.base_url, &user(&format!("u{i}"))) {
            Attempt::Created => {}
            Attempt::Status(status) => panic!("request {i} answered {status}"),
            Attempt::Unanswered => panic!("request {i} was not answered within 10 s"),
        }
    }
    // What it logged meanwhile: more than a pipe holds, so a blocking writer would have
    // stalled (the test proves its own premise).
    let mut stderr = server.stderr.take().expect("stderr");
    let read = std::thread::spawn(move || {
        let mut logged = Vec::new();
        let _ = stderr.read_to_end(&mut logged);
        logged
    });
    std::thread::sleep(Duration::from_secs(2));
    let _ = server.child.kill();
    let logged = read.join().expect("the reader");
    assert!(
        logged.len() > 256 * 1024,
        "only {} bytes were logged: the test needs more than a pipe holds",
        logged.len()
    );
    assert!(
        !logged.contains(&0x1b),
        "plain text without colour codes when the output is not a terminal"
    );
}

/// `--log-format json`: one JSON object per line, the audit line's fields at the top level,
/// no colour codes.
#[test]
fn logs_as_json_lines() {
    let mut server = start(&["--log-format", "json"], &[("RUST_LOG", "info")]);
    let (status, _) = send(&server.base_url, "POST", "/Users", TOKEN, &user("json"));
    assert_eq!(status, 201);
    std::thread::sleep(Duration::from_millis(500));
    let _ = server.child.kill();
    let mut text = String::new();
    server
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut text)
        .expect("the log");
    assert!(
        !text.contains('\u{1b}'),
        "no colour codes in a pipe: {text}"
    );
    let audit = text
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("a JSON line"))
        .find(|entry| entry["target"] == "scim::audit")
        .unwrap_or_else(|| panic!("an audit line: {text}"));
    assert_eq!(audit["action"], "created", "{audit}");
    assert_eq!(audit["tenant"], "default", "{audit}");
    assert_eq!(audit["resource"], "User", "{audit}");
    assert!(
        audit["timestamp"].is_string() && audit["level"] == "INFO",
        "{audit}"
    );
}

/// The probes answer without a token; the metrics are on a listener of their own, count
/// requests by tenant, resource, method and status, time them and the store's calls.
#[test]
fn probes_and_metrics() {
    let server = start(&["--metrics-bind", "127.0.0.1:0"], &[]);
    let probe = |path: &str| exchange(&format!("{}{path}", server.root), "GET", "", "", "");
    assert_eq!(probe("/healthz"), (200, "ok\n".to_owned()));
    assert_eq!(probe("/readyz"), (200, "ready\n".to_owned()));
    assert_eq!(
        probe("/metrics").0,
        404,
        "the metrics are not on the public listener"
    );

    assert_eq!(
        send(&server.base_url, "POST", "/Users", TOKEN, &user("m")).0,
        201
    );
    assert_eq!(send(&server.base_url, "GET", "/Users", TOKEN, "").0, 200);
    assert_eq!(
        send(&server.base_url, "GET", "/Users/nope", TOKEN, "").0,
        404
    );
    let invented = server.base_url.replace("/default/", "/invented-tenant/");
    assert_eq!(send(&invented, "GET", "/Users", "wrong", "").0, 401);

    let metrics = server.metrics.as_deref().expect("a metrics URL");
    let (status, text) = exchange(metrics, "GET", "", "", "");
    assert_eq!(status, 200);
    for expected in [
        r#"scim_requests_total{tenant="default",resource="Users",method="POST",status="201"} 1"#,
        r#"scim_requests_total{tenant="default",resource="Users",method="GET",status="200"} 1"#,
        r#"scim_requests_total{tenant="default",resource="Users",method="GET",status="404"} 1"#,
        r#"scim_requests_total{tenant="-",resource="Users",method="GET",status="401"} 1"#,
        r#"scim_request_duration_seconds_bucket{tenant="default",resource="Users",method="POST",le="0.1"}"#,
        r#"scim_store_call_duration_seconds_count{operation="create"} 1"#,
        "scim_outbox_backlog ",
        r#"scim_tokens_expiring_soon{tenant="default"} 0"#,
    ] {
        assert!(text.contains(expected), "{expected} in:\n{text}");
    }
    assert!(!text.contains("invented-tenant"), "{text}");
}

/// SIGTERM while eight clients create users as fast as they can: the server stops taking
/// connections, answers every request it took, exits 0 well within its grace period, and
/// every user it stored is one a client was told about (`201`): nothing was written whose
/// answer was cut off.
#[test]
fn sigterm_under_load_answers_every_request_it_took() {
    let server = start(&["--shutdown-grace", "20"], &[]);
    let (created, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..8)
        .map(|c| {
            let (base, created, failed, stop) = (
                server.base_url.clone(),
                Arc::clone(&created),
                Arc::clone(&failed),
                Arc::clone(&stop),
            );
            std::thread::spawn(move || {
                for i in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    match attempt(&base, &user(&format!("c{c}-{i}"))) {
                        Attempt::Created => created.fetch_add(1, Ordering::Relaxed),
                        Attempt::Status(status) => panic!("answered {status} while stopping"),
                        // Not taken (refused, or reset before it was accepted), or cut off.
                        Attempt::Unanswered => failed.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    let before = created.load(Ordering::Relaxed);
    assert!(before > 0, "the clients were creating users");
    let sent = Instant::now();
    terminate(&server.child);
    let mut server = server;
    let status = server.child.wait().expect("the server exits");
    let took = sent.elapsed();
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().expect("a client");
    }
    eprintln!(
        "{} created ({before} before SIGTERM), {} unanswered, stopped in {took:?}",
        created.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed)
    );
    assert!(status.success(), "exit status {status:?}");
    assert!(took < Duration::from_secs(10), "stopping took {took:?}");
    let stored = count_users(&server.database);
    assert_eq!(
        stored,
        created.load(Ordering::Relaxed),
        "users stored vs users whose 201 reached a client ({} attempts unanswered)",
        failed.load(Ordering::Relaxed)
    );
}

/// A SIGTERM as soon as the server says it is up (a supervisor that restarts it at once)
/// stops it gracefully too: its handler is installed before the first line is printed,
/// where a signal before it would kill the process outright (a quarter of such starts did).
#[test]
fn sigterm_right_after_start_is_graceful() {
    use std::io::Write;
    for _ in 0..20 {
        let mut server = server_command(&fresh_database())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        // A shell that is already running signals it the moment it is told: spawning `kill`
        // after the line would take longer than the window it means to hit.
        let mut supervisor = Command::new("sh")
            .args(["-c", &format!("read _; kill -TERM {}", server.id())])
            .stdin(Stdio::piped())
            .spawn()
            .expect("sh");
        // Kept open (unread past the first line) until the server has exited.
        let mut output = BufReader::new(server.stdout.take().expect("stdout"));
        let mut first = String::new();
        output.read_line(&mut first).expect("the first line");
        assert!(first.starts_with("SCIM base URL: "), "{first}");
        let mut tell = supervisor.stdin.take().expect("stdin");
        tell.write_all(b"now\n").expect("the supervisor listens");
        drop(tell);
        assert!(supervisor.wait().expect("sh").success());
        let status = server.wait().expect("the server exits");
        drop(output);
        assert!(status.success(), "exit status {status:?}");
    }
}

/// Sends SIGTERM to `child`.
fn terminate(child: &Child) {
    let pid = child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
}

/// With `--shutdown-delay`, SIGTERM first turns `/readyz` to 503 (a load balancer stops
/// sending) while requests are still served; then the server stops.
#[test]
fn readiness_turns_first_when_stopping() {
    let mut server = start(&["--shutdown-delay", "2"], &[]);
    terminate(&server.child);
    std::thread::sleep(Duration::from_millis(300));
    let probe = |path: &str| exchange(&format!("{}{path}", server.root), "GET", "", "", "").0;
    assert_eq!(probe("/readyz"), 503);
    assert_eq!(probe("/healthz"), 200);
    assert_eq!(send(&server.base_url, "GET", "/Users", TOKEN, "").0, 200);
    let status = server.child.wait().expect("the server exits");
    assert!(status.success(), "exit status {status:?}");
}

enum Attempt {
    Created,
    Status(u16),
    Unanswered,
}

/// One POST on a connection of its own; `Unanswered` if the connection was refused or
/// closed before a whole answer came.
fn attempt(base_url: &str, body: &str) -> Attempt {
    use std::io::Write;
    use std::net::TcpStream;
    let rest = base_url.strip_prefix("http://").expect("an http URL");
    let (host, prefix) = rest.split_once('/').expect("a path");
    let Ok(mut stream) = TcpStream::connect(host) else {
        return Attempt::Unanswered;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let request = format!(
        "POST /{prefix}/Users HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/scim+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return Attempt::Unanswered;
    }
    let mut response = String::new();
    if stream.read_to_string(&mut response).is_err() || response.len() < 12 {
        return Attempt::Unanswered;
    }
    match response[9..12].parse() {
        Ok(201) if response.contains("\"userName\"") => Attempt::Created,
        Ok(status) => Attempt::Status(status),
        Err(_) => Attempt::Unanswered,
    }
}

/// How many users the database at `url` (`sqlite://PATH`) holds.
fn count_users(url: &str) -> usize {
    let path = url.strip_prefix("sqlite://").expect("a SQLite URL");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{path}"))
            .await
            .expect("the database opens");
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&mut conn)
            .await
            .expect("a count");
        usize::try_from(n).expect("a count")
    })
}

/// Two processes on one database sign cursors with the key they share: a page's
/// `nextCursor` from one process reads the next page at the other, as behind a load
/// balancer.
#[test]
fn a_cursor_from_one_process_pages_at_another() {
    let first = start(&[], &[]);
    let second = start_on(&first.database, &[], &[]);
    for i in 0..5 {
        assert_eq!(
            send(
                &first.base_url,
                "POST",
                "/Users",
                TOKEN,
                &user(&format!("p{i}"))
            )
            .0,
            201
        );
    }
    let (status, body) = send(
        &first.base_url,
        "GET",
        "/Users?cursor&count=2&sortBy=userName",
        TOKEN,
        "",
    );
    assert_eq!(status, 200, "{body}");
    let page: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let next = page["nextCursor"].as_str().expect("a next page").to_owned();
    let path = format!("/Users?cursor={next}&count=2&sortBy=userName");
    let (status, body) = send(&second.base_url, "GET", &path, TOKEN, "");
    assert_eq!(status, 200, "{body}");
    let page: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let names: Vec<&str> = page["Resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|r| r["userName"].as_str())
        .collect();
    assert_eq!(names, ["p2", "p3"]);
}
