//! Lists and searches: filters Entra and Okta send, paging, sorting, `attributes` and
//! `excludedAttributes`, `.search`.

use http::Method;
use serde_json::{Value, json};

use super::{Harness, PATCH_OP, Reply, client, engine, unique};
use crate::ServiceProviderConfig;

/// Lookups Entra and Okta make: always `200` with a ListResponse, `totalResults: 0` when
/// nothing matches, never `404` (U3-U5, G3, Okta R3/R5/R9).
pub async fn filter_lookups<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let name = unique("Lookup");
    let id = c.user(&name).await;
    let random = uuid::Uuid::new_v4();
    let empty = c
        .filter("/Users", &format!("userName eq \"{random}\""))
        .await;
    assert_eq!(empty.total(), 0);
    assert_eq!(empty.body["Resources"], json!([]));
    empty.expect_scim_json();
    assert_eq!(
        c.filter("/Groups", &format!("displayName eq \"{random}\""))
            .await
            .total(),
        0
    );

    for filter in [
        format!("userName eq \"{name}\""),
        format!("userName eq \"{}\"", name.to_uppercase()),
        format!("externalId eq \"ext-{name}\""),
        format!("emails[type eq \"work\"].value eq \"{name}@example.com\""),
        format!("userName eq \"{name}\" and active eq true"),
    ] {
        let found = c.filter("/Users", &filter).await;
        assert_eq!(found.total(), 1, "{filter}");
        assert_eq!(found.resources()[0]["id"], json!(id), "{filter}");
    }
    // Okta's existence check carries paging too.
    let encoded: String =
        form_urlencoded::byte_serialize(format!("userName eq \"{name}\"").as_bytes()).collect();
    let okta = c
        .get(&format!("/Users?filter={encoded}&startIndex=1&count=100"))
        .await;
    assert_eq!(okta.total(), 1);
    assert_eq!(okta.body["startIndex"], json!(1));
    assert_eq!(okta.body["itemsPerPage"], json!(1));
}

/// A filter that does not parse is `400 invalidFilter`, including unquoted values (which
/// Entra's oldest tutorial shows and the grammar forbids).
pub async fn invalid_filters<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    for filter in [
        "userName eq",
        "userName eq jyoung",
        "(userName eq \"a\"",
        "userName zz \"a\"",
    ] {
        c.filter("/Users", filter)
            .await
            .expect_error(400, Some("invalidFilter"));
    }
    c.get("/Users?sortBy=%5B")
        .await
        .expect_error(400, Some("invalidPath"));
    c.get("/Users?sortBy=userName&sortOrder=sideways")
        .await
        .expect_error(400, Some("invalidValue"));
    c.get("/Users?attributes=emails%5B")
        .await
        .expect_error(400, Some("invalidPath"));
}

/// `startIndex`, `count`, `itemsPerPage`, `totalResults`: `count` clamped to `maxResults`,
/// `count=0` returns only the total, out-of-range values read as the RFC says.
pub async fn paging<H: Harness>(harness: &H) {
    let config = ServiceProviderConfig {
        max_results: 3,
        ..ServiceProviderConfig::default()
    };
    let c = client(harness, engine().service_provider_config(config)).await;
    for i in 0..5 {
        c.user(&format!("page-{i}")).await;
    }
    let page = c.get("/Users?startIndex=2&count=2&sortBy=userName").await;
    assert_eq!(page.total(), 5);
    assert_eq!(page.body["startIndex"], json!(2));
    assert_eq!(page.body["itemsPerPage"], json!(2));
    let names: Vec<_> = page
        .resources()
        .iter()
        .map(|r| r["userName"].clone())
        .collect();
    assert_eq!(names, [json!("page-1"), json!("page-2")]);

    let clamped = c.get("/Users?count=1000000000000").await;
    assert_eq!(clamped.total(), 5);
    assert_eq!(
        clamped.body["itemsPerPage"],
        json!(3),
        "count is clamped to maxResults"
    );
    assert_eq!(c.get("/Users").await.body["itemsPerPage"], json!(3));

    let only_total = c.get("/Users?count=0").await;
    assert_eq!(only_total.total(), 5);
    assert_eq!(only_total.resources().len(), 0);
    assert_eq!(c.get("/Users?count=-1").await.resources().len(), 0);

    let zero = c.get("/Users?startIndex=0&count=1").await;
    assert_eq!(
        zero.body["startIndex"],
        json!(1),
        "startIndex below 1 reads as 1"
    );
    assert_eq!(zero.resources().len(), 1);
    let past = c.get("/Users?startIndex=99").await;
    assert_eq!(past.total(), 5);
    assert_eq!(past.resources().len(), 0);
    c.get("/Users?count=ten")
        .await
        .expect_error(400, Some("invalidValue"));
}

/// `sortBy` and `sortOrder`.
pub async fn sorting<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    for name in ["b-sort", "c-sort", "a-sort"] {
        c.user(name).await;
    }
    let names = |r: &Reply| -> Vec<Value> {
        r.resources()
            .iter()
            .map(|u| u["userName"].clone())
            .collect()
    };
    let asc = c.get("/Users?sortBy=userName").await;
    assert_eq!(
        names(&asc),
        [json!("a-sort"), json!("b-sort"), json!("c-sort")]
    );
    let desc = c.get("/Users?sortBy=userName&sortOrder=descending").await;
    assert_eq!(
        names(&desc),
        [json!("c-sort"), json!("b-sort"), json!("a-sort")]
    );
}

/// `attributes` and `excludedAttributes` on lists and single resources; `id` and `schemas`
/// always come back.
pub async fn projection<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let name = unique("proj");
    let id = c.user(&name).await;
    let only = c.get(&format!("/Users/{id}?attributes=userName")).await;
    only.expect(200);
    let keys: Vec<&String> = only.body.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["schemas", "id", "userName"], "{}", only.body);

    let without = c
        .get(&format!("/Users/{id}?excludedAttributes=emails,name"))
        .await;
    assert!(without.body.get("emails").is_none() && without.body.get("name").is_none());
    assert_eq!(without.body["userName"], json!(name));

    let listed = c
        .get("/Users?attributes=emails.value&filter=userName%20pr")
        .await;
    let first = &listed.resources()[0];
    assert_eq!(
        first["emails"],
        json!([{"value": format!("{name}@example.com")}])
    );
    assert!(first.get("userName").is_none());

    // Attributes on a write response too.
    let patched = c
        .call(
            Method::PATCH,
            &format!("/Users/{id}?attributes=title"),
            Some(json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "title", "value": "CEO"}]})),
        )
        .await;
    assert_eq!(patched.expect(200).body["title"], json!("CEO"));
    assert!(patched.body.get("userName").is_none());
}

/// Groups as Entra reads them: `excludedAttributes=members` by id and in a lookup (G2, G3),
/// and the membership check `id eq ... and members[value eq ...]`.
pub async fn groups_without_members<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let user = c.user(&unique("member")).await;
    let name = unique("Team");
    let group = c
        .post(
            "/Groups",
            json!({"displayName": name, "members": [{"value": user}]}),
        )
        .await
        .expect(201)
        .id();
    let by_id = c
        .get(&format!("/Groups/{group}?excludedAttributes=members"))
        .await;
    assert!(by_id.expect(200).body.get("members").is_none());
    assert_eq!(by_id.body["displayName"], json!(name));

    let encoded: String =
        form_urlencoded::byte_serialize(format!("displayName eq \"{name}\"").as_bytes()).collect();
    let lookup = c
        .get(&format!(
            "/Groups?excludedAttributes=members&filter={encoded}"
        ))
        .await;
    assert_eq!(lookup.total(), 1);
    assert!(lookup.resources()[0].get("members").is_none());

    let member = c
        .filter(
            "/Groups",
            &format!("id eq \"{group}\" and members[value eq \"{user}\"]"),
        )
        .await;
    assert_eq!(member.total(), 1);
    let stranger = c
        .filter(
            "/Groups",
            &format!("id eq \"{group}\" and members[value eq \"nobody\"]"),
        )
        .await;
    assert_eq!(stranger.total(), 0);
}

/// `POST /Users/.search` and `POST /.search` (RFC 7644 §3.4.3).
pub async fn search_endpoints<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let name = unique("searched");
    c.user(&name).await;
    c.group(&format!("{name}-group")).await;
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": format!("userName eq \"{name}\""),
        "attributes": ["userName"],
        "startIndex": 1,
        "count": 10,
    });
    let users = c.post("/Users/.search", body).await;
    assert_eq!(users.total(), 1);
    assert_eq!(users.resources()[0]["userName"], json!(name));
    assert!(users.resources()[0].get("emails").is_none());

    let root = c
        .post(
            "/.search",
            json!({"filter": format!("userName sw \"{name}\" or displayName sw \"{name}\"")}),
        )
        .await;
    assert_eq!(root.total(), 2, "{}", root.body);
    let kinds: Vec<_> = root
        .resources()
        .iter()
        .map(|r| r["meta"]["resourceType"].clone())
        .collect();
    assert_eq!(kinds, [json!("User"), json!("Group")]);
    c.get("/Users/.search").await.expect_error(405, None);
    c.post("/Users/.search", json!({"count": "many"}))
        .await
        .expect_error(400, Some("invalidValue"));
}
