//! The admin page's forms: their bodies, and the CSRF check every one of them passes (a
//! token in a `SameSite=Strict` cookie that the form repeats, and the `Origin`, when sent,
//! naming this host).

use http::HeaderMap;
use http::request::Parts;
use percent_encoding::percent_decode_str;

/// The cookie holding the CSRF token.
pub(super) const CSRF_COOKIE: &str = "scim_admin_csrf";

/// A form's fields, decoded.
pub(super) struct Form(Vec<(String, String)>);

impl Form {
    /// Parses an `application/x-www-form-urlencoded` body.
    pub(super) fn parse(body: &[u8]) -> Self {
        let text = String::from_utf8_lossy(body);
        let decode = |s: &str| {
            let spaced = s.replace('+', " ");
            percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
        };
        Self(
            text.split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                    (decode(name), decode(value))
                })
                .collect(),
        )
    }

    /// The field `name`'s value.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the checkbox `name` is checked.
    pub(super) fn checked(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

/// The CSRF token the request's cookie holds, if well-formed.
pub(super) fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == CSRF_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A new CSRF token: 256 bits from the operating system's CSPRNG.
pub(super) fn new_token() -> String {
    let mut bytes = [0u8; 32];
    // Without randomness there is no safe token: an empty one never matches.
    if getrandom::fill(&mut bytes).is_err() {
        return String::new();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a form post is the page's own: the cookie's token repeated in the form (compared
/// in constant time), and the `Origin`, if the browser sent one, this host.
pub(super) fn csrf_ok(parts: &Parts, form: &Form) -> bool {
    let (Some(cookie), Some(field)) = (cookie_token(&parts.headers), form.get("csrf")) else {
        return false;
    };
    crate::engine::same_bytes(cookie.as_bytes(), field.as_bytes()) && same_origin(parts)
}

/// The `Origin` header, when present, names the `Host` the request was sent to.
fn same_origin(parts: &Parts) -> bool {
    let Some(origin) = parts.headers.get(http::header::ORIGIN) else {
        return true;
    };
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()));
    let origin = origin.to_str().unwrap_or_default();
    let origin_host = origin.split_once("://").map_or("", |(_, rest)| rest);
    host.is_some_and(|host| host.eq_ignore_ascii_case(origin_host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(cookie: &str, origin: Option<&str>) -> Parts {
        let mut request = http::Request::post("/admin/tenants/acme/tokens")
            .header("host", "app.example.com")
            .header("cookie", cookie);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn a_form_passes_only_with_its_cookies_token_and_from_this_origin() {
        let token = "ab".repeat(32);
        let cookie = format!("other=1; {CSRF_COOKIE}={token}");
        let form = Form::parse(format!("label=Entra+prod&csrf={token}").as_bytes());
        assert_eq!(form.get("label"), Some("Entra prod"));
        assert!(csrf_ok(&parts(&cookie, None), &form));
        assert!(csrf_ok(
            &parts(&cookie, Some("https://app.example.com")),
            &form
        ));
        assert!(!csrf_ok(
            &parts(&cookie, Some("https://evil.example")),
            &form
        ));
        let forged = Form::parse(format!("csrf={}", "cd".repeat(32)).as_bytes());
        assert!(!csrf_ok(&parts(&cookie, None), &forged));
        assert!(!csrf_ok(&parts("", None), &form));
    }
}
