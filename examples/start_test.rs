//! Shared by the examples' `tests/start.rs`: starts a server binary as a script would
//! (`--bind`, `--token`, and the same through `SCIM_BIND` / `SCIM_TOKEN`), waits for its
//! `SCIM base URL:` line, and provisions a user over real HTTP on 127.0.0.1.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

/// The running server; killed when dropped.
pub(crate) struct Server {
    child: Option<Child>,
    pub(crate) base_url: String,
}

impl Server {
    /// A handle on another URL of a server started elsewhere (nothing to stop when dropped).
    #[allow(dead_code)]
    pub(crate) fn at(base_url: &str) -> Self {
        Self {
            child: None,
            base_url: base_url.to_owned(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub(crate) fn start(command: &mut Command) -> Server {
    let mut child = command
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("the example starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let base_url = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| line.strip_prefix("SCIM base URL: ").map(str::to_owned))
        .expect("a \"SCIM base URL:\" line");
    std::thread::spawn(move || lines.for_each(drop));
    Server {
        child: Some(child),
        base_url,
    }
}

/// One HTTP/1.1 exchange with a bearer token: the status code and the body.
pub(crate) fn send(
    base_url: &str,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
) -> (u16, String) {
    exchange(base_url, method, path, &format!("Bearer {token}"), body)
}

/// One HTTP/1.1 exchange with `Authorization: {authorization}`: the status code and the
/// body.
pub(crate) fn exchange(
    base_url: &str,
    method: &str,
    path: &str,
    authorization: &str,
    body: &str,
) -> (u16, String) {
    let rest = base_url.strip_prefix("http://").expect("an http URL");
    let (host, prefix) = rest.split_once('/').expect("a path");
    let mut stream = TcpStream::connect(host).expect("the server accepts connections");
    write!(
        stream,
        "{method} /{prefix}{path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {authorization}\r\n\
         Content-Type: application/scim+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response[9..12].parse().expect("a status code");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Flags: `--bind 127.0.0.1:0 --token given-token`, and `env`.
pub(crate) fn flags(binary: &str, env: &[(&str, &str)]) {
    let server = start(
        Command::new(binary)
            .args(["--bind", "127.0.0.1:0", "--token", "given-token"])
            .envs(env.iter().copied()),
    );
    assert!(server.base_url.starts_with("http://127.0.0.1:"));
    assert!(server.base_url.ends_with("/v2"));
    let user = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen"}"#;
    let (status, body) = send(&server.base_url, "POST", "/Users", "given-token", user);
    assert_eq!(status, 201, "{body}");
    assert!(
        body.contains(&format!("\"location\":\"{}/Users/", server.base_url)),
        "{body}"
    );
    let (status, body) = send(
        &server.base_url,
        "GET",
        "/Users?filter=userName%20eq%20%22bjensen%22",
        "given-token",
        "",
    );
    assert_eq!(status, 200);
    assert!(body.contains("\"totalResults\":1"), "{body}");
    let (status, _) = send(&server.base_url, "GET", "/Users", "other-token", "");
    assert_eq!(status, 401);
}

/// The environment: `SCIM_BIND` and `SCIM_TOKEN`, and `env`.
pub(crate) fn environment(binary: &str, env: &[(&str, &str)]) {
    let server = start(
        Command::new(binary)
            .env("SCIM_BIND", "127.0.0.1:0")
            .env("SCIM_TOKEN", "env-token")
            .envs(env.iter().copied()),
    );
    let (status, body) = send(
        &server.base_url,
        "GET",
        "/ServiceProviderConfig",
        "env-token",
        "",
    );
    assert_eq!(status, 200, "{body}");
}
