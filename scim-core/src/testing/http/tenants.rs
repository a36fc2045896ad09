//! Cases for the tenants a SaaS product serves: tokens and their rotation, tenant isolation,
//! dry runs, per-tenant settings and rate limits.

use std::sync::{Arc, Mutex};

use http::Method;
use serde_json::{Value, json};

use super::{
    Client, Harness, PATCH_OP, Reply, arrived, client, client_over, engine, entra_user, snapshot,
};
use crate::engine::{
    EngineBuilder, Event, EventKind, MAX_ACTIVE_PER_TENANT, RateLimit, TenantSettings, Tenants,
    TokenError, TokenOptions, Tokens,
};
use crate::{Compat, MemoryStore};

/// Where tenants sit in the path in these cases: `/tenants/{tenant}/Users`.
const TENANT_PATH: &str = "/tenants/{tenant}";

/// The suite's engine with `tokens` as the authenticator and tenants in the path.
fn tenant_engine(tokens: &Tokens) -> EngineBuilder<MemoryStore> {
    engine()
        .authenticator(tokens.clone())
        .tenant_path(TENANT_PATH)
}

/// Sends a request with `token`.
async fn send<C: super::HttpClient>(
    c: &Client<C>,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Reply {
    c.as_bearer(token, method, path, body).await
}

fn issue(tokens: &Tokens, tenant: &str) -> String {
    tokens
        .issue(tenant, TokenOptions::default())
        .expect("a token")
        .secret
        .expose()
        .to_owned()
}

/// A tenant rotates its token without downtime: two tokens valid at once, the old one
/// revoked and refused, expiry honoured; with no active token the endpoint is `401`.
pub async fn token_rotation<H: Harness>(harness: &H) {
    let tokens = Tokens::new();
    let c = client(harness, tenant_engine(&tokens)).await;
    let users = "/tenants/acme/Users";
    let old = tokens
        .issue("acme", TokenOptions::default().label("Entra, 2026"))
        .expect("a token");
    let old_secret = old.secret.expose().to_owned();
    assert!(old_secret.starts_with("scim_") && old_secret.len() == 69);
    assert!(
        !format!("{old:?} {tokens:?}").contains(&old_secret),
        "Debug never shows a secret"
    );
    assert!(
        !serde_json::to_string(&old.record)
            .expect("JSON")
            .contains(&old_secret)
    );
    send(&c, &old_secret, Method::GET, users, None)
        .await
        .expect(200);

    let new = tokens
        .issue("acme", TokenOptions::default().expires_in_days(90))
        .expect("a second token");
    let new_secret = new.secret.expose().to_owned();
    send(&c, &old_secret, Method::GET, users, None)
        .await
        .expect(200);
    send(&c, &new_secret, Method::GET, users, None)
        .await
        .expect(200);

    let revoked = tokens.revoke(&old.record.id).expect("revoked");
    assert!(revoked.revoked_at.is_some());
    let refused = send(&c, &old_secret, Method::GET, users, None).await;
    refused.expect_error(401, None);
    assert!(
        refused.body["detail"]
            .as_str()
            .expect("detail")
            .contains("revoked")
    );
    send(&c, &new_secret, Method::GET, users, None)
        .await
        .expect(200);

    // Records persist and load back (the app stores them where it likes).
    let saved = serde_json::to_string(&tokens.records()).expect("JSON");
    let reloaded = Tokens::from_records(serde_json::from_str::<Vec<_>>(&saved).expect("records"));
    assert_eq!(reloaded.verify(&new_secret).expect("valid").tenant, "acme");
    assert!(reloaded.verify(&old_secret).is_err());

    // Expiry: the record says when.
    let mut expired = new.record.clone();
    expired.expires_at = Some(chrono::Utc::now() - chrono::Duration::seconds(1));
    tokens.insert(expired);
    let refused = send(&c, &new_secret, Method::GET, users, None).await;
    refused.expect_error(401, None);
    assert!(
        refused.body["detail"]
            .as_str()
            .expect("detail")
            .contains("expired")
    );
    assert!(
        tokens
            .list("acme")
            .iter()
            .all(|r| !r.is_active(chrono::Utc::now()))
    );
    send(&c, "scim_0000", Method::GET, users, None)
        .await
        .expect_error(401, None);

    for _ in 0..MAX_ACTIVE_PER_TENANT {
        issue(&tokens, "busy");
    }
    assert_eq!(
        tokens.issue("busy", TokenOptions::default()).map(|_| ()),
        Err(TokenError::TooMany {
            tenant: "busy".into(),
            cap: MAX_ACTIVE_PER_TENANT
        })
    );
    // A tenant's own allowance: one token, so a second is refused until the first goes.
    tokens.set_cap("capped", 1);
    let only = issue(&tokens, "capped");
    let refused = tokens
        .issue("capped", TokenOptions::default())
        .map(|_| ())
        .unwrap_err();
    assert!(refused.to_string().contains("revoke one"), "{refused}");
    let id = tokens.list("capped")[0].id.clone();
    tokens.revoke(&id);
    issue(&tokens, "capped");
    send(&c, &only, Method::GET, "/tenants/capped/Users", None)
        .await
        .expect_error(401, None);
}

/// A token of one tenant opens no route of another: `401` on every route of the other
/// tenant's URL, dry runs included, and the other tenant's data is untouched; a cursor of
/// one tenant's list is `invalidCursor` at the other's.
pub async fn cross_tenant<H: Harness>(harness: &H) {
    let tokens = Tokens::new();
    let built = tenant_engine(&tokens);
    let store = harness.store(Arc::clone(built.schema_registry())).await;
    let c = client_over(harness, built, store.clone()).await;
    let acme = issue(&tokens, "acme");
    let globex = issue(&tokens, "globex");
    let user = send(
        &c,
        &acme,
        Method::POST,
        "/tenants/acme/Users",
        Some(entra_user("victim")),
    )
    .await
    .expect(201)
    .id();
    let group = send(
        &c,
        &acme,
        Method::POST,
        "/tenants/acme/Groups",
        Some(json!({"displayName": "Victims"})),
    )
    .await
    .expect(201)
    .id();
    send(
        &c,
        &acme,
        Method::POST,
        "/tenants/acme/Users",
        Some(entra_user("bystander")),
    )
    .await
    .expect(201);
    let before = snapshot(&store, "acme").await;
    let patch = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "displayName", "value": "owned"}]});
    let routes: Vec<(Method, String, Option<Value>)> = ["", "/dry-run"]
        .iter()
        .flat_map(|dry| {
            let base = format!("/tenants/acme{dry}");
            vec![
                (Method::GET, format!("{base}/Users"), None),
                (
                    Method::POST,
                    format!("{base}/Users"),
                    Some(entra_user("intruder")),
                ),
                (Method::GET, format!("{base}/Users/{user}"), None),
                (
                    Method::PUT,
                    format!("{base}/Users/{user}"),
                    Some(entra_user("intruder")),
                ),
                (
                    Method::PATCH,
                    format!("{base}/Users/{user}"),
                    Some(patch.clone()),
                ),
                (Method::DELETE, format!("{base}/Users/{user}"), None),
                (Method::GET, format!("{base}/Groups"), None),
                (
                    Method::POST,
                    format!("{base}/Groups"),
                    Some(json!({"displayName": "x"})),
                ),
                (Method::GET, format!("{base}/Groups/{group}"), None),
                (
                    Method::PUT,
                    format!("{base}/Groups/{group}"),
                    Some(json!({"displayName": "x"})),
                ),
                (
                    Method::PATCH,
                    format!("{base}/Groups/{group}"),
                    Some(patch.clone()),
                ),
                (Method::DELETE, format!("{base}/Groups/{group}"), None),
                (
                    Method::POST,
                    format!("{base}/Users/.search"),
                    Some(json!({})),
                ),
                (
                    Method::POST,
                    format!("{base}/Groups/.search"),
                    Some(json!({})),
                ),
                (Method::POST, format!("{base}/.search"), Some(json!({}))),
                (Method::GET, format!("{base}/Me"), None),
                (
                    Method::POST,
                    format!("{base}/Bulk"),
                    Some(json!({"Operations": []})),
                ),
                (Method::GET, format!("{base}/ServiceProviderConfig"), None),
                (Method::GET, format!("{base}/ResourceTypes"), None),
                (Method::GET, format!("{base}/Schemas"), None),
                (Method::GET, format!("{base}/nowhere"), None),
            ]
        })
        .collect();
    for (method, path, body) in &routes {
        let reply = send(&c, &globex, method.clone(), path, body.clone()).await;
        assert_eq!(
            reply.status, 401,
            "{method} {path} with another tenant's token: {}",
            reply.body
        );
    }
    // On its own URL, the other tenant does not see acme's ids.
    send(
        &c,
        &globex,
        Method::GET,
        &format!("/tenants/globex/Users/{user}"),
        None,
    )
    .await
    .expect_error(404, None);
    send(
        &c,
        &globex,
        Method::DELETE,
        &format!("/tenants/globex/Groups/{group}"),
        None,
    )
    .await
    .expect_error(404, None);
    assert_eq!(
        send(&c, &globex, Method::GET, "/tenants/globex/Users", None)
            .await
            .total(),
        0
    );
    // A cursor of acme's (two users, pages of one), brought to globex's URL with globex's
    // token, reads nothing of acme's: it was signed for acme's list (where the store pages
    // by cursor).
    let spc = send(
        &c,
        &acme,
        Method::GET,
        "/tenants/acme/ServiceProviderConfig",
        None,
    )
    .await;
    if spc.body["pagination"]["cursor"] == json!(true) {
        let page = send(
            &c,
            &acme,
            Method::GET,
            "/tenants/acme/Users?cursor&count=1",
            None,
        )
        .await;
        page.expect(200);
        let next = page.body["nextCursor"]
            .as_str()
            .unwrap_or_else(|| panic!("acme has a second page: {}", page.body))
            .to_owned();
        send(
            &c,
            &globex,
            Method::GET,
            &format!("/tenants/globex/Users?cursor={next}&count=1"),
            None,
        )
        .await
        .expect_error(400, Some("invalidCursor"));
        send(
            &c,
            &acme,
            Method::GET,
            &format!("/tenants/acme/Users?cursor={next}&count=1"),
            None,
        )
        .await
        .expect(200);
    }
    let after = snapshot(&store, "acme").await;
    assert_eq!(before, after, "nothing of acme changed");
    send(
        &c,
        &acme,
        Method::GET,
        &format!("/tenants/acme/Users/{user}"),
        None,
    )
    .await
    .expect(200);
}

/// Rate limits per tenant: over its allowance a tenant gets `429` with `Retry-After` (and
/// nothing is done for the request), other tenants are not slowed, and the allowance comes
/// back with time. The engine's limit applies to tenants without their own.
pub async fn rate_limits<H: Harness>(harness: &H) {
    let tokens = Tokens::new();
    let tenants = Tenants::new();
    let engine = tenant_engine(&tokens)
        .tenants(tenants.clone())
        .rate_limit(RateLimit::per_minute(600));
    let c = client(harness, engine).await;
    let acme = issue(&tokens, "acme");
    let globex = issue(&tokens, "globex");
    tenants.set(
        "acme",
        TenantSettings::new().rate_limit(RateLimit::per_second(1).burst(2)),
    );
    for i in 0..2 {
        let user = json!({"userName": format!("limited-{i}")});
        send(&c, &acme, Method::POST, "/tenants/acme/Users", Some(user))
            .await
            .expect(201);
    }
    let user = json!({"userName": "over-the-limit"});
    let refused = send(&c, &acme, Method::POST, "/tenants/acme/Users", Some(user)).await;
    refused.expect_error(429, None);
    assert_eq!(
        refused.header("retry-after"),
        Some("1"),
        "{:?}",
        refused.headers
    );
    // globex is under the engine's 600 a minute (bursts of 600).
    for _ in 0..20 {
        send(&c, &globex, Method::GET, "/tenants/globex/Users", None)
            .await
            .expect(200);
    }
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let users = send(&c, &acme, Method::GET, "/tenants/acme/Users", None).await;
    assert_eq!(users.total(), 2, "the refused create did nothing");
}

/// A full provisioning cycle under `/dry-run` answers as the real requests would (ids,
/// `201`s, `409`s, `400`s) and leaves the store byte for byte as it was, with no events.
pub async fn dry_run<H: Harness>(harness: &H) {
    let tokens = Tokens::new();
    let events = Arc::new(Mutex::new(Vec::<Event>::new()));
    let sink = Arc::clone(&events);
    let builder =
        tenant_engine(&tokens).events(move |e: &Event| sink.lock().expect("lock").push(e.clone()));
    let store = harness.store(Arc::clone(builder.schema_registry())).await;
    let c = client_over(harness, builder, store.clone()).await;
    let token = issue(&tokens, "acme");
    let real = "/tenants/acme";
    let dry = "/tenants/acme/dry-run";
    let existing = send(
        &c,
        &token,
        Method::POST,
        &format!("{real}/Users"),
        Some(entra_user("existing")),
    )
    .await
    .expect(201)
    .id();
    let group = send(
        &c,
        &token,
        Method::POST,
        &format!("{real}/Groups"),
        Some(json!({"displayName": "Existing"})),
    )
    .await
    .expect(201)
    .id();
    // The two creates' events (delivered after the answer by a store that keeps them).
    arrived(&events, 2).await;
    let before = snapshot(&store, "acme").await;

    // Entra's cycle: look up, create, patch, add members, deactivate, delete.
    let lookup = send(
        &c,
        &token,
        Method::GET,
        &format!("{dry}/Users?filter=userName%20eq%20%22existing%22"),
        None,
    )
    .await;
    assert_eq!(lookup.total(), 1);
    let created = send(
        &c,
        &token,
        Method::POST,
        &format!("{dry}/Users"),
        Some(entra_user("newcomer")),
    )
    .await;
    created.expect(201);
    assert!(
        created
            .header("location")
            .is_some_and(|l| l.ends_with(&created.id()))
    );
    send(
        &c,
        &token,
        Method::POST,
        &format!("{dry}/Users"),
        Some(entra_user("existing")),
    )
    .await
    .expect_error(409, Some("uniqueness"));
    send(
        &c,
        &token,
        Method::POST,
        &format!("{dry}/Users"),
        Some(json!({"displayName": "no userName"})),
    )
    .await
    .expect_error(400, Some("invalidValue"));
    let patch = |ops: Value| json!({"schemas": [PATCH_OP], "Operations": ops});
    let patched = send(
        &c,
        &token,
        Method::PATCH,
        &format!("{dry}/Users/{existing}"),
        Some(patch(
            json!([{"op": "Replace", "path": "displayName", "value": "Renamed"}]),
        )),
    )
    .await;
    assert_eq!(patched.expect(200).body["displayName"], json!("Renamed"));
    send(
        &c,
        &token,
        Method::PATCH,
        &format!("{dry}/Groups/{group}"),
        Some(patch(
            json!([{"op": "Add", "path": "members", "value": [{"value": existing}]}]),
        )),
    )
    .await
    .expect(200);
    send(
        &c,
        &token,
        Method::PATCH,
        &format!("{dry}/Users/{existing}"),
        Some(patch(
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )),
    )
    .await
    .expect(200);
    let mut replacement = entra_user("existing");
    replacement["title"] = json!("Dry");
    send(
        &c,
        &token,
        Method::PUT,
        &format!("{dry}/Users/{existing}"),
        Some(replacement),
    )
    .await
    .expect(200);
    send(
        &c,
        &token,
        Method::DELETE,
        &format!("{dry}/Groups/{group}"),
        None,
    )
    .await
    .expect(204);
    send(
        &c,
        &token,
        Method::DELETE,
        &format!("{dry}/Users/{existing}"),
        None,
    )
    .await
    .expect(204);

    let after = snapshot(&store, "acme").await;
    assert_eq!(before, after, "a dry run persists nothing");
    // No events: the next one is a real write's, made now.
    let barrier = send(
        &c,
        &token,
        Method::POST,
        &format!("{real}/Users"),
        Some(entra_user("barrier")),
    )
    .await
    .expect(201)
    .id();
    let published: Vec<_> = arrived(&events, 1)
        .await
        .into_iter()
        .map(|e| (e.kind, e.id))
        .collect();
    assert_eq!(
        published,
        [(EventKind::Created, barrier)],
        "a dry run publishes no events"
    );
    send(
        &c,
        &token,
        Method::GET,
        &format!("{real}/Users/{existing}"),
        None,
    )
    .await
    .expect(200);
}

/// A disabled tenant is `403` with the app's detail, on every route, until re-enabled;
/// per-tenant policy and limits apply to that tenant only.
pub async fn tenant_settings<H: Harness>(harness: &H) {
    let tokens = Tokens::new();
    let tenants = Tenants::new();
    let c = client(harness, tenant_engine(&tokens).tenants(tenants.clone())).await;
    let acme = issue(&tokens, "acme");
    let globex = issue(&tokens, "globex");
    let detail = "Provisioning needs the Enterprise plan: ask your account owner to upgrade.";
    tenants.set("acme", TenantSettings::new().disabled(detail));
    for path in [
        "/tenants/acme/Users",
        "/tenants/acme/ServiceProviderConfig",
        "/tenants/acme/dry-run/Users",
    ] {
        let refused = send(&c, &acme, Method::GET, path, None).await;
        refused.expect_error(403, None);
        assert_eq!(refused.body["detail"], json!(detail));
    }
    send(&c, &globex, Method::GET, "/tenants/globex/Users", None)
        .await
        .expect(200);
    tenants.set("acme", TenantSettings::new());
    send(&c, &acme, Method::GET, "/tenants/acme/Users", None)
        .await
        .expect(200);

    tenants.set(
        "acme",
        TenantSettings::new()
            .compat(Compat::strict())
            .max_results(1)
            .max_payload_size(300),
    );
    for name in ["s1", "s2"] {
        let user = json!({"schemas": [super::USER], "userName": name});
        send(&c, &acme, Method::POST, "/tenants/acme/Users", Some(user))
            .await
            .expect(201);
        send(
            &c,
            &globex,
            Method::POST,
            "/tenants/globex/Users",
            Some(json!({"userName": name})),
        )
        .await
        .expect(201);
    }
    let acme_list = send(&c, &acme, Method::GET, "/tenants/acme/Users?count=50", None).await;
    assert_eq!(acme_list.body["itemsPerPage"], json!(1));
    let globex_list = send(
        &c,
        &globex,
        Method::GET,
        "/tenants/globex/Users?count=50",
        None,
    )
    .await;
    assert_eq!(globex_list.body["itemsPerPage"], json!(2));
    let big = json!({"schemas": [super::USER], "userName": "big", "title": "x".repeat(400)});
    send(
        &c,
        &acme,
        Method::POST,
        "/tenants/acme/Users",
        Some(big.clone()),
    )
    .await
    .expect_error(413, None);
    send(
        &c,
        &globex,
        Method::POST,
        "/tenants/globex/Users",
        Some(big),
    )
    .await
    .expect(201);
    let id = acme_list.resources()[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let disable = json!({"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
    send(
        &c,
        &acme,
        Method::PATCH,
        &format!("/tenants/acme/Users/{id}"),
        Some(disable.clone()),
    )
    .await
    .expect_error(400, Some("invalidValue"));
    let other = globex_list.resources()[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    send(
        &c,
        &globex,
        Method::PATCH,
        &format!("/tenants/globex/Users/{other}"),
        Some(disable),
    )
    .await
    .expect(200);
    // A path that does not fit the template is no endpoint at all.
    send(&c, &acme, Method::GET, "/Users", None)
        .await
        .expect_error(404, None);
}
