//! Cases for what a tenant's plan allows and how its clients sign in: a resource type sold
//! as an add-on, a user name and password beside the bearer token.

use http::Method;
use serde_json::{Value, json};

use super::{Harness, client, engine, unique};
use crate::ResourceKind;
use crate::ServiceProviderConfig;
use crate::engine::{TenantSettings, Tenants, TokenOptions, Tokens};

const ADD_ON: &str = "Group provisioning is an add-on: ask your account owner to buy it.";

/// A tenant without groups (its plan lacks them): `/Groups` is `403` with the app's detail
/// on every method, discovery and the root search leave groups out, bulk operations on
/// groups are refused one by one, and users work as before; another tenant keeps groups,
/// and the tenant gets them back when its plan changes.
pub async fn resource_type_gating<H: Harness>(harness: &H) {
    let tokens = Tokens::new();
    let tenants = Tenants::new();
    let config = ServiceProviderConfig {
        bulk: true,
        ..ServiceProviderConfig::default()
    };
    let builder = engine()
        .authenticator(tokens.clone())
        .tenant_path("/tenants/{tenant}")
        .tenants(tenants.clone())
        .service_provider_config(config);
    let c = client(harness, builder).await;
    let token = |tenant: &str| {
        tokens
            .issue(tenant, TokenOptions::default())
            .expect("a token")
            .secret
            .expose()
            .to_owned()
    };
    let (acme, globex) = (token("acme"), token("globex"));
    tenants.set(
        "acme",
        TenantSettings::new().without(ResourceKind::Group, ADD_ON),
    );

    let name = unique("gated");
    let group = json!({"displayName": name});
    for (method, path, body) in [
        (Method::GET, "/tenants/acme/Groups".to_owned(), None),
        (
            Method::POST,
            "/tenants/acme/Groups".to_owned(),
            Some(group.clone()),
        ),
        (Method::GET, "/tenants/acme/Groups/some-id".to_owned(), None),
        (
            Method::DELETE,
            "/tenants/acme/Groups/some-id".to_owned(),
            None,
        ),
        (
            Method::GET,
            format!("/tenants/acme/Groups?filter=displayName%20eq%20%22{name}%22"),
            None,
        ),
    ] {
        let refused = c.as_bearer(&acme, method.clone(), &path, body).await;
        refused.expect_error(403, None);
        assert_eq!(refused.body["detail"], json!(ADD_ON), "{method} {path}");
    }
    let user = json!({"userName": unique("gated-user")});
    c.as_bearer(&acme, Method::POST, "/tenants/acme/Users", Some(user))
        .await
        .expect(201);

    // Discovery leaves groups out for this tenant only.
    let kinds = |reply: &Value| -> Vec<Value> {
        reply["Resources"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| r["name"].clone())
            .collect()
    };
    let types = c
        .as_bearer(&acme, Method::GET, "/tenants/acme/ResourceTypes", None)
        .await;
    assert_eq!(kinds(&types.body), [json!("User")]);
    let schemas = c
        .as_bearer(&acme, Method::GET, "/tenants/acme/Schemas", None)
        .await;
    assert!(
        !kinds(&schemas.body).contains(&json!("Group")),
        "{}",
        schemas.body
    );
    c.as_bearer(
        &acme,
        Method::GET,
        "/tenants/acme/ResourceTypes/Group",
        None,
    )
    .await
    .expect_error(404, None);
    let types = c
        .as_bearer(&globex, Method::GET, "/tenants/globex/ResourceTypes", None)
        .await;
    assert_eq!(kinds(&types.body), [json!("User"), json!("Group")]);

    // Bulk: the group operation is refused, the user operation done.
    let bulk = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [
            {"method": "POST", "bulkId": "g", "path": "/Groups", "data": group},
            {"method": "POST", "bulkId": "u", "path": "/Users", "data": {"userName": unique("bulk")}}
        ]
    });
    let reply = c
        .as_bearer(
            &acme,
            Method::POST,
            "/tenants/acme/Bulk",
            Some(bulk.clone()),
        )
        .await;
    reply.expect(200);
    let statuses: Vec<Value> = reply.body["Operations"]
        .as_array()
        .expect("operations")
        .iter()
        .map(|o| o["status"].clone())
        .collect();
    assert_eq!(statuses, [json!("403"), json!("201")], "{}", reply.body);

    // Another tenant has groups; the tenant gets them with its new plan.
    c.as_bearer(
        &globex,
        Method::POST,
        "/tenants/globex/Groups",
        Some(group.clone()),
    )
    .await
    .expect(201);
    tenants.set("acme", TenantSettings::new());
    c.as_bearer(&acme, Method::POST, "/tenants/acme/Groups", Some(group))
        .await
        .expect(201);
}

/// HTTP Basic beside bearer tokens, per tenant: the tenant's user name and password let in
/// (its token too), a wrong password or another tenant's credentials do not, discovery and
/// every `401` list both schemes, and a removed password stops working.
pub async fn basic_authentication<H: Harness>(harness: &H) {
    let tokens = Tokens::new();
    let builder = engine()
        .authenticator(tokens.clone())
        .tenant_path("/tenants/{tenant}");
    let c = client(harness, builder).await;
    let password = "correct horse battery staple";
    tokens
        .set_password("acme", "acme-scim", password)
        .expect("a password");
    tokens
        .set_password("globex", "globex-scim", "another long password")
        .expect("a password");
    let basic = |user: &str, password: &str| {
        use base64ct::Encoding;
        format!(
            "Basic {}",
            base64ct::Base64::encode_string(format!("{user}:{password}").as_bytes())
        )
    };
    let call = |authorization: String, path: &str| {
        let request = http::Request::get(path)
            .header("authorization", authorization)
            .body(bytes::Bytes::new())
            .expect("a request");
        c.raw(request)
    };
    for _ in 0..2 {
        // The second time from what was remembered of the first.
        call(basic("acme-scim", password), "/tenants/acme/Users")
            .await
            .expect(200);
    }
    let bearer = tokens
        .issue("acme", TokenOptions::default())
        .expect("a token")
        .secret
        .expose()
        .to_owned();
    call(format!("Bearer {bearer}"), "/tenants/acme/Users")
        .await
        .expect(200);
    for (authorization, path) in [
        (
            basic("acme-scim", "wrong password!!"),
            "/tenants/acme/Users",
        ),
        (basic("nobody", password), "/tenants/acme/Users"),
        (
            basic("globex-scim", "another long password"),
            "/tenants/acme/Users",
        ),
    ] {
        let refused = call(authorization, path).await;
        refused.expect_error(401, None);
        let challenges: Vec<&str> = refused
            .headers
            .get_all("www-authenticate")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        assert!(
            challenges.iter().any(|c| c.starts_with("Bearer"))
                && challenges.iter().any(|c| c.starts_with("Basic")),
            "{challenges:?}"
        );
    }
    let spc = call(
        basic("acme-scim", password),
        "/tenants/acme/ServiceProviderConfig",
    )
    .await;
    let types: Vec<Value> = spc.body["authenticationSchemes"]
        .as_array()
        .expect("schemes")
        .iter()
        .map(|s| s["type"].clone())
        .collect();
    assert_eq!(types, [json!("oauthbearertoken"), json!("httpbasic")]);
    assert!(tokens.remove_password("acme-scim"));
    call(basic("acme-scim", password), "/tenants/acme/Users")
        .await
        .expect_error(401, None);
}
