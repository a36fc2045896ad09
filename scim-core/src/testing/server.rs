//! A database server the tests reach by URL, skipped (said once) when it is not there and
//! not required.

pub(crate) struct Server {
    pub(crate) name: &'static str,
    pub(crate) url_var: &'static str,
    pub(crate) require_var: &'static str,
    pub(crate) default_url: &'static str,
}

impl Server {
    pub(crate) fn required(&self) -> bool {
        std::env::var(self.require_var).is_ok_and(|v| v == "1")
    }

    pub(crate) fn skip(&self, what: &str, reason: &str) {
        // Once per server kind: each has its own `Once`.
        static POSTGRES: std::sync::Once = std::sync::Once::new();
        static OTHER: std::sync::Once = std::sync::Once::new();
        let once = if self.name == "PostgreSQL" {
            &POSTGRES
        } else {
            &OTHER
        };
        once.call_once(|| {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "skipped: {what}, passed without running: {reason}; set {}, or {}=1 to fail \
                 instead",
                self.url_var,
                self.require_var
            );
        });
    }

    pub(crate) fn url(&self, what: &str) -> Option<String> {
        let url = std::env::var(self.url_var).unwrap_or_else(|_| self.default_url.into());
        let address = url
            .split_once('@')
            .map_or(url.as_str(), |(_, rest)| rest)
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let reachable = std::net::ToSocketAddrs::to_socket_addrs(&address)
            .ok()
            .and_then(|mut addrs| addrs.next())
            .is_some_and(|addr| {
                std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(1))
                    .is_ok()
            });
        if reachable {
            return Some(url);
        }
        assert!(
            !self.required(),
            "{} is required ({}=1) but not reachable at {address}",
            self.name,
            self.require_var
        );
        self.skip(
            what,
            &format!("{} is not reachable at {address} (from {url})", self.name),
        );
        None
    }
}
