//! The admin web page: server-rendered HTML, one page per tenant, with its stylesheet and
//! the few lines of JavaScript behind the copy buttons served next to it (no CDN: it works
//! offline, and the `Content-Security-Policy` allows nothing else).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::{TenantSummary, TokenInfo};
use crate::{LogPage, RequestRecord};

/// The stylesheet.
pub(super) const CSS: &str = include_str!("admin.css");
/// The copy buttons.
pub(super) const JS: &str = include_str!("admin.js");

/// What a tenant page shows besides the tenant's settings.
pub(super) struct View<'a> {
    pub(super) summary: &'a TenantSummary,
    pub(super) log: &'a LogPage,
    pub(super) csrf: &'a str,
    /// A token just issued: shown once.
    pub(super) secret: Option<&'a str>,
    /// A refusal of the admin's last action.
    pub(super) notice: Option<&'a str>,
    /// Whether the service serves groups (the switch is shown only then).
    pub(super) groups: bool,
    /// The log shows refusals only.
    pub(super) refused_only: bool,
    /// How many latest entries the log skips.
    pub(super) skip: usize,
}

/// `text` as one path segment of a URL.
pub(super) fn segment(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Text made safe for HTML content and attribute values.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn time(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(
        || "—".to_owned(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// The page's frame; `root` leads from the page to the mount point (`../../`).
pub(super) fn frame(title: &str, root: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"{root}assets/admin.css\">\
         <script src=\"{root}assets/admin.js\" defer></script></head>\
         <body><main>{body}</main></body></html>\n",
        escape(title)
    )
}

/// The list of tenants, for an admin of every tenant; `mount` leads to the service
/// (`/admin/`, or empty for links relative to its root).
pub(super) fn index(mount: &str, tenants: &[String]) -> String {
    let mut body = String::from("<h1>SCIM provisioning</h1><h2>Tenants</h2><ul class=\"tenants\">");
    for tenant in tenants {
        let path = segment(tenant);
        let _ = write!(
            body,
            "<li><a href=\"{mount}tenants/{path}/\">{}</a></li>",
            escape(tenant)
        );
    }
    if tenants.is_empty() {
        body.push_str("<li>No tenant has a token yet.</li>");
    }
    body.push_str("</ul>");
    frame("SCIM provisioning", mount, &body)
}

/// A tenant's page.
pub(super) fn tenant(view: &View<'_>) -> String {
    let s = view.summary;
    let csrf = format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        escape(view.csrf)
    );
    let mut body = format!(
        "<h1>SCIM provisioning</h1><p class=\"tenant\">Tenant <strong>{}</strong></p>",
        escape(&s.tenant)
    );
    if let Some(notice) = view.notice {
        let _ = write!(
            body,
            "<p class=\"notice\" role=\"alert\">{}</p>",
            escape(notice)
        );
    }
    if let Some(secret) = view.secret {
        let _ = write!(
            body,
            "<section class=\"secret\" role=\"alert\"><h2>New token</h2>\
             <p><strong>Copy it now: you will not see this token again.</strong> Paste it into \
             the directory's \"Secret Token\" field.</p>\
             <div class=\"copy\"><input id=\"new-token\" readonly value=\"{}\" aria-label=\"New secret token\">\
             <button type=\"button\" data-copy=\"new-token\">Copy</button></div></section>",
            escape(secret)
        );
    }
    let url = s
        .url
        .as_deref()
        .unwrap_or("(the SCIM endpoint's URL for this tenant)");
    let _ = write!(
        body,
        "<section><h2>Tenant URL</h2><div class=\"copy\"><input id=\"tenant-url\" readonly \
         value=\"{}\" aria-label=\"Tenant URL\"><button type=\"button\" data-copy=\"tenant-url\">Copy</button></div></section>",
        escape(url)
    );
    settings(&mut body, view, &csrf);
    tokens(&mut body, s, &csrf);
    log(&mut body, view);
    frame(&format!("SCIM provisioning: {}", s.tenant), "../../", &body)
}

fn settings(body: &mut String, view: &View<'_>, csrf: &str) {
    let p = &view.summary.policy;
    let checked = |on: bool| if on { " checked" } else { "" };
    let groups_on = !p
        .withheld
        .iter()
        .any(|w| w.resource_type == crate::ResourceKind::Group);
    let _ = write!(
        body,
        "<section><h2>Settings</h2><form method=\"post\" action=\"settings\">{csrf}\
         <p><label><input type=\"checkbox\" name=\"enabled\"{}> Enable SCIM provisioning</label></p>\
         <p><label for=\"detail\">What the directory reads while it is off</label>\
         <input id=\"detail\" name=\"detail\" value=\"{}\"></p>",
        checked(p.enabled),
        escape(p.disabled_detail.as_deref().unwrap_or_default())
    );
    if view.groups {
        let _ = write!(
            body,
            "<p><input type=\"hidden\" name=\"groups_shown\" value=\"1\">\
             <label><input type=\"checkbox\" name=\"groups\"{}> Provision groups</label></p>",
            checked(groups_on)
        );
    }
    let _ = write!(
        body,
        "<p><label for=\"expiry\">New tokens expire after (days; empty: never)</label>\
         <input id=\"expiry\" name=\"expiry_days\" type=\"number\" min=\"1\" inputmode=\"numeric\" value=\"{}\"></p>\
         <p><button type=\"submit\">Save settings</button></p></form></section>",
        p.token_expiry_days
            .map(|d| d.to_string())
            .unwrap_or_default()
    );
}

fn tokens(body: &mut String, s: &TenantSummary, csrf: &str) {
    let active = s.tokens.iter().filter(|t| t.active).count();
    let _ = write!(
        body,
        "<section><h2>Tokens</h2><p>{active} of at most {} active.</p>\
         <div class=\"scroll\"><table><thead><tr><th scope=\"col\">Token</th><th scope=\"col\">Label</th>\
         <th scope=\"col\">Created</th><th scope=\"col\">Expires</th><th scope=\"col\">Last used</th>\
         <th scope=\"col\">Status</th><th scope=\"col\"><span class=\"hidden\">Action</span></th></tr></thead><tbody>",
        s.token_cap
    );
    for t in &s.tokens {
        token_row(body, t, csrf);
    }
    if s.tokens.is_empty() {
        body.push_str("<tr><td colspan=\"7\">No token yet.</td></tr>");
    }
    let _ = write!(
        body,
        "</tbody></table></div><form method=\"post\" action=\"tokens\" class=\"inline\">{csrf}\
         <label for=\"label\">Label</label><input id=\"label\" name=\"label\" placeholder=\"Entra production\">\
         <button type=\"submit\">Generate token</button></form></section>"
    );
}

fn token_row(body: &mut String, t: &TokenInfo, csrf: &str) {
    let status = match (t.active, t.revoked) {
        (true, _) => "active",
        (false, Some(_)) => "revoked",
        (false, None) => "expired",
    };
    let action = if t.active {
        format!(
            "<form method=\"post\" action=\"tokens/{}/revoke\">{csrf}\
             <button type=\"submit\" class=\"danger\" aria-label=\"Revoke token {}\">Revoke</button></form>",
            escape(&t.id),
            escape(&t.hint)
        )
    } else {
        String::new()
    };
    let _ = write!(
        body,
        "<tr class=\"{status}\"><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
         <td>{status}</td><td>{action}</td></tr>",
        escape(&t.hint),
        escape(t.label.as_deref().unwrap_or_default()),
        time(Some(t.created)),
        time(t.expires),
        time(t.last_used),
    );
}

fn log(body: &mut String, view: &View<'_>) {
    let filter = if view.refused_only {
        "<a href=\"./\">Show every request</a>"
    } else {
        "<a href=\"?status=refused\">Show refusals only</a>"
    };
    let _ = write!(
        body,
        "<section><h2>Provisioning log</h2><p>Latest first. {filter}</p>\
         <div class=\"scroll\"><table class=\"log\"><thead><tr><th scope=\"col\">Time</th>\
         <th scope=\"col\">Request</th><th scope=\"col\">Status</th><th scope=\"col\">Why</th></tr></thead><tbody>"
    );
    for entry in &view.log.entries {
        log_row(body, entry);
    }
    if view.log.entries.is_empty() {
        body.push_str("<tr><td colspan=\"4\">Nothing yet.</td></tr>");
    }
    body.push_str("</tbody></table></div>");
    if view.log.more {
        let refused = if view.refused_only {
            "status=refused&amp;"
        } else {
            ""
        };
        let _ = write!(
            body,
            "<p><a href=\"?{refused}skip={}\">Older</a></p>",
            view.skip + view.log.entries.len()
        );
    }
    body.push_str("</section>");
}

fn log_row(body: &mut String, e: &RequestRecord) {
    let class = if e.refused() {
        " class=\"refused\""
    } else {
        ""
    };
    let why = match (&e.scim_type, &e.detail) {
        (Some(t), Some(d)) => format!("<code>{}</code> {}", escape(t), escape(d)),
        (None, Some(d)) => escape(d),
        _ => String::new(),
    };
    let dry = if e.dry_run { " (dry run)" } else { "" };
    let _ = write!(
        body,
        "<tr{class}><td>{}</td><td><code>{} {}</code>{dry}</td><td>{}</td><td>{why}</td></tr>",
        e.time.format("%Y-%m-%d %H:%M:%S"),
        escape(&e.method),
        escape(&e.path),
        e.status,
    );
}
