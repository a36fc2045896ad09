//! Cases for what a tenant's plan allows: a resource type sold as an add-on.

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
