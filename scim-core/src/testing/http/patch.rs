//! PATCH in the dialects Entra and Okta send: users, roles, deactivation, groups and large
//! groups, versions, `204` answers and errors.

use http::Method;
use serde_json::{Value, json};

use super::{
    BASE_URL, CUSTOM_URN, ENTERPRISE, Harness, PATCH_OP, Reply, client, engine, entra_user, unique,
};
use crate::engine::PatchResponse;

/// Entra's user PATCH shapes, before and after `aadOptscim062020` (U6-U14, U16, U20), each
/// read back.
pub async fn patch_entra_users<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let name = unique("patch");
    let id = c.user(&name).await;
    let manager = c.user(&unique("manager")).await;
    let path = format!("/Users/{id}");
    let ok = |r: Reply| {
        assert!(
            r.status == 200 || r.status == 204,
            "{}: {}",
            r.status,
            r.body
        );
    };
    ok(c.patch(
        &path,
        json!([
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@example.com"},
            {"op": "Replace", "path": "name.familyName", "value": "Doe"},
        ]),
    )
    .await);
    ok(c.patch(
        &path,
        json!([{"op": "Add", "path": "nickName", "value": "Babs"}]),
    )
    .await);
    ok(c.patch(&path, json!([{"op": "Replace", "path": format!("{ENTERPRISE}:employeeNumber"), "value": "701984"}])).await);
    ok(c.patch(
        &path,
        json!([{"op": "replace", "value": {
            "displayName": "Bjfe",
            "name.givenName": "Kkom",
            format!("{ENTERPRISE}:department"): "Tour Operations",
        }}]),
    )
    .await);
    ok(c.patch(&path, json!([{"op": "add", "path": "emails[type eq \"home\"].value", "value": "home@example.com"}])).await);
    ok(c.patch(
        &path,
        json!([{"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": manager}]),
    )
    .await);
    ok(c.patch(
        &path,
        json!([{"op": "Add", "path": format!("{CUSTOM_URN}:tag"), "value": "701984"}]),
    )
    .await);
    ok(c.patch(&path, json!([{"op": "Add", "path": "roles", "value": [{"primary": "True", "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}]}])).await);

    let user = c.get(&path).await.expect(200).body.clone();
    let work: Vec<_> = user["emails"]
        .as_array()
        .expect("emails")
        .iter()
        .filter(|e| e["type"] == "work")
        .collect();
    assert_eq!(
        work,
        [&json!({"primary": true, "type": "work", "value": "new@example.com"})],
        "the matched entry keeps type and primary"
    );
    assert!(
        user["emails"]
            .as_array()
            .expect("emails")
            .iter()
            .any(|e| e == &json!({"type": "home", "value": "home@example.com"}))
    );
    assert_eq!(user["name"]["familyName"], json!("Doe"));
    assert_eq!(user["name"]["givenName"], json!("Kkom"));
    assert_eq!(user["nickName"], json!("Babs"));
    assert_eq!(user["displayName"], json!("Bjfe"));
    assert_eq!(user[ENTERPRISE]["employeeNumber"], json!("701984"));
    assert_eq!(user[ENTERPRISE]["department"], json!("Tour Operations"));
    assert_eq!(
        user[ENTERPRISE]["manager"]["value"],
        json!(manager),
        "a bare manager id reads back as {{value}}"
    );
    assert_eq!(user[CUSTOM_URN]["tag"], json!("701984"));
    assert_eq!(user["roles"][0]["primary"], json!(true));
    let schemas = user["schemas"].as_array().expect("schemas");
    assert!(
        schemas.contains(&json!(ENTERPRISE)) && schemas.contains(&json!(CUSTOM_URN)),
        "{user}"
    );

    // Manager removal, both ways Entra does it (U16).
    ok(c.patch(
        &path,
        json!([{"op": "remove", "path": format!("{ENTERPRISE}:manager[value eq \"{manager}\"]")}]),
    )
    .await);
    assert!(c.get(&path).await.body[ENTERPRISE].get("manager").is_none());
    ok(c.patch(
        &path,
        json!([{"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": manager}]),
    )
    .await);
    ok(c.patch(
        &path,
        json!([{"op": "Replace", "path": format!("{ENTERPRISE}:manager"), "value": ""}]),
    )
    .await);
    assert!(c.get(&path).await.body[ENTERPRISE].get("manager").is_none());
}

/// Entra's role and manager shapes beyond the defaults: the old manager form (U15), roles
/// as a JSON string (U18), a replace of the whole list (U19), typed adds of sub-attributes
/// of absent entries (U13), roles on create with `primary: "True"` (U17).
pub async fn patch_entra_roles<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let manager = c.user(&unique("boss")).await;
    let mut body = entra_user(&unique("roles"));
    body["roles"] =
        json!([{"primary": "True", "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}]);
    let created = c.post("/Users", body).await;
    created.expect(201);
    assert_eq!(
        created.body["roles"][0]["primary"],
        json!(true),
        "\"True\" is stored as a boolean"
    );
    let path = format!("/Users/{}", created.id());
    let role = "{\"id\":\"06b0\",\"value\":\"25\",\"displayName\":\"Role1234\"}";
    for ops in [
        json!([{"op": "Add", "path": "manager", "value": [{"$ref": format!("{BASE_URL}/Users/{manager}"), "value": manager}]}]),
        json!([{"op": "Add", "path": "roles", "value": [{"value": role}]}]),
        json!([
            {"op": "add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 555 0100"},
            {"op": "add", "path": "emails[type eq \"other\"].display", "value": "Other"},
            {"op": "add", "path": "emails[type eq \"other\"].primary", "value": false},
        ]),
    ] {
        let r = c.patch(&path, ops).await;
        assert!(
            r.status == 200 || r.status == 204,
            "{}: {}",
            r.status,
            r.body
        );
    }
    let user = c.get(&path).await.body.clone();
    assert_eq!(user[ENTERPRISE]["manager"]["value"], json!(manager));
    assert!(
        user["roles"]
            .as_array()
            .expect("roles")
            .iter()
            .any(|r| r["value"] == role),
        "{user}"
    );
    assert_eq!(
        user["phoneNumbers"],
        json!([{"type": "work", "value": "+1 555 0100"}]),
        "stored exactly as sent"
    );
    assert!(
        user["emails"]
            .as_array()
            .expect("emails")
            .iter()
            .any(|e| e["type"] == "other" && e["display"] == "Other")
    );

    let replaced = json!([
        {"primary": false, "type": "WindowsAzureActiveDirectoryRole", "display": "Reader", "value": "ReadOnly"},
        {"primary": true, "type": "WindowsAzureActiveDirectoryRole", "display": "Owner", "value": "EnterpriseAdmin"},
    ]);
    c.patch(
        &path,
        json!([{"op": "replace", "path": "roles", "value": replaced}]),
    )
    .await
    .expect(200);
    assert_eq!(c.get(&path).await.body["roles"], replaced);
    c.patch(&path, json!([{"op": "replace", "path": "roles", "value": [{"primary": true, "value": "a"}, {"primary": true, "value": "b"}]}]))
        .await
        .expect_error(400, Some("invalidValue"));
}

/// Deactivation (U8, U9, Okta): `"False"`, `false`, and a path-less object; the user stays
/// visible to GET and to filters (soft delete).
pub async fn patch_deactivate<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let name = unique("inactive");
    let id = c.user(&name).await;
    let path = format!("/Users/{id}");
    for (ops, active) in [
        (
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
            false,
        ),
        (
            json!([{"op": "replace", "path": "active", "value": true}]),
            true,
        ),
        (
            json!([{"op": "replace", "path": "active", "value": false}]),
            false,
        ),
        (json!([{"op": "replace", "value": {"active": true}}]), true),
        (
            json!([{"op": "replace", "value": {"active": false}}]),
            false,
        ),
    ] {
        let r = c.patch(&path, ops).await;
        assert_eq!(r.expect(200).body["active"], json!(active));
        assert_eq!(c.get(&path).await.body["active"], json!(active));
    }
    assert_eq!(
        c.filter("/Users", &format!("userName eq \"{name}\""))
            .await
            .total(),
        1
    );
    assert_eq!(
        c.filter(
            "/Users",
            &format!("userName eq \"{name}\" and active eq false")
        )
        .await
        .total(),
        1
    );
}

/// Group membership as Entra and Okta change it (G4-G7, Okta's rename with its own id).
pub async fn patch_groups<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let users = [
        c.user(&unique("m1")).await,
        c.user(&unique("m2")).await,
        c.user(&unique("m3")).await,
    ];
    let group = c.group(&unique("Members")).await;
    let path = format!("/Groups/{group}");
    let members = |r: &Reply| -> Vec<String> {
        let mut ids: Vec<String> = r.body["members"]
            .as_array()
            .map(|m| {
                m.iter()
                    .map(|m| m["value"].as_str().expect("value").to_owned())
                    .collect()
            })
            .unwrap_or_default();
        ids.sort();
        ids
    };
    let sorted = |ids: &[&String]| -> Vec<String> {
        let mut v: Vec<String> = ids.iter().map(|s| (*s).clone()).collect();
        v.sort();
        v
    };
    c.patch(&path, json!([{"op": "Add", "path": "members", "value": [
        {"$ref": null, "value": users[0]}, {"$ref": null, "value": users[1]}, {"value": users[2]},
    ]}])).await.expect(200);
    assert_eq!(
        members(&c.get(&path).await),
        sorted(&[&users[0], &users[1], &users[2]])
    );

    c.patch(
        &path,
        json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": users[0]}]}]),
    )
    .await
    .expect(200);
    assert_eq!(
        members(&c.get(&path).await),
        sorted(&[&users[1], &users[2]]),
        "only the listed member goes (G6)"
    );

    c.patch(
        &path,
        json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", users[1])}]),
    )
    .await
    .expect(200);
    assert_eq!(members(&c.get(&path).await), sorted(&[&users[2]]));

    let renamed = unique("Renamed");
    c.patch(
        &path,
        json!([
            {"op": "replace", "value": {"id": group, "displayName": renamed}},
            {"op": "add", "path": "members", "value": [{"value": users[0], "display": "one"}]},
        ]),
    )
    .await
    .expect(200);
    let read = c.get(&path).await;
    assert_eq!(read.body["displayName"], json!(renamed));
    assert_eq!(members(&read), sorted(&[&users[0], &users[2]]));

    c.patch(
        &path,
        json!([{"op": "Replace", "path": "displayName", "value": "G4 name"}]),
    )
    .await
    .expect(200);
    c.patch(
        &path,
        json!([{"op": "replace", "path": "members", "value": [{"value": users[1]}]}]),
    )
    .await
    .expect(200);
    assert_eq!(members(&c.get(&path).await), sorted(&[&users[1]]));
    c.patch(&path, json!([{"op": "remove", "path": "members"}]))
        .await
        .expect(200);
    assert_eq!(
        members(&c.get(&path).await),
        Vec::<String>::new(),
        "no members left"
    );
}

/// Membership PATCHes on a large group (the engine changes membership without loading the
/// group): Entra's forms, a bare id, a dry run, and a malformed member refused.
pub async fn large_group_membership<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let group = c.group(&unique("Large")).await;
    let path = format!("/Groups/{group}");
    let ids: Vec<String> = (0..1000).map(|i| format!("member-{i:04}")).collect();
    let all: Vec<Value> = ids.iter().map(|id| json!({"value": id})).collect();
    c.patch(
        &path,
        json!([{"op": "Add", "path": "members", "value": all}]),
    )
    .await
    .expect(200);
    let count = |r: &Reply| r.body["members"].as_array().map_or(0, Vec::len);
    assert_eq!(count(&c.get(&path).await), 1000);

    c.patch(
        &path,
        json!([{"op": "add", "path": "members", "value": "member-bare"}]),
    )
    .await
    .expect(200);
    let read = c.get(&path).await;
    assert_eq!(count(&read), 1001);
    assert!(
        read.body["members"]
            .as_array()
            .expect("members")
            .contains(&json!({"value": "member-bare"}))
    );
    c.patch(
        &path,
        json!([
            {"op": "remove", "path": "members[value eq \"member-0000\"]"},
            {"op": "Remove", "path": "members", "value": [{"$ref": null, "value": "member-0001"}]},
        ]),
    )
    .await
    .expect(200);
    let read = c.get(&path).await;
    assert_eq!(count(&read), 999);
    assert!(!read.body.to_string().contains("member-0000\""));

    let before = c.get(&path).await;
    let dry = c
        .call(Method::PATCH, &format!("/dry-run{path}"), Some(json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": "dry"}]}]})))
        .await;
    dry.expect(200);
    assert_eq!(
        c.get(&path).await.body,
        before.body,
        "a dry run changes no membership"
    );

    c.patch(
        &path,
        json!([{"op": "add", "path": "members", "value": [{"value": "x", "displayName": "y"}]}]),
    )
    .await
    .expect_error(400, Some("invalidValue"));
    c.patch(
        &path,
        json!([{"op": "add", "path": "members", "value": [{"value": 7}]}]),
    )
    .await
    .expect_error(400, Some("invalidValue"));
    assert_eq!(
        count(&c.get(&path).await),
        999,
        "refused requests change nothing"
    );
    c.patch(
        "/Groups/no-such-group",
        json!([{"op": "add", "path": "members", "value": [{"value": "x"}]}]),
    )
    .await
    .expect_error(404, None);
}

/// A PATCH that changes nothing keeps the version (Entra re-sends values every cycle); one
/// that changes something gets a new ETag.
pub async fn patch_versions<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let id = c.user(&unique("same")).await;
    let path = format!("/Users/{id}");
    let before = c.get(&path).await;
    let same = c
        .patch(
            &path,
            json!([{"op": "replace", "path": "active", "value": true}]),
        )
        .await;
    assert_eq!(same.expect(200).header("etag"), before.header("etag"));
    assert_eq!(
        same.body["meta"]["lastModified"],
        before.body["meta"]["lastModified"]
    );
    let changed = c
        .patch(
            &path,
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    assert_ne!(changed.expect(200).header("etag"), before.header("etag"));
    assert_eq!(
        changed.header("etag"),
        changed.body["meta"]["version"].as_str()
    );
}

/// With [`PatchResponse::NoContent`], a PATCH answers `204` with the new ETag.
pub async fn patch_no_content<H: Harness>(harness: &H) {
    let c = client(harness, engine().patch_response(PatchResponse::NoContent)).await;
    let id = c.user(&unique("nocontent")).await;
    let group = c.group(&unique("nocontent")).await;
    let r = c
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "path": "title", "value": "x"}]),
        )
        .await;
    r.expect(204);
    assert_eq!(r.body, Value::Null);
    assert_eq!(
        r.header("etag"),
        c.get(&format!("/Users/{id}")).await.body["meta"]["version"].as_str()
    );
    let g = c
        .patch(
            &format!("/Groups/{group}"),
            json!([{"op": "add", "path": "members", "value": [{"value": id}]}]),
        )
        .await;
    g.expect(204);
    let read = c.get(&format!("/Groups/{group}")).await;
    assert_eq!(g.header("etag"), read.header("etag"));
    assert_eq!(read.body["members"][0]["value"], json!(id));
}

/// Bad PATCH requests: clear `400`s, and nothing of them is applied.
pub async fn patch_errors<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let id = c.user(&unique("bad-patch")).await;
    let path = format!("/Users/{id}");
    let before = c.get(&path).await;
    c.patch(
        &path,
        json!([{"op": "Replace", "path": "email[type eq \"work\"].value", "value": "x"}]),
    )
    .await
    .expect_error(400, Some("invalidPath"));
    c.patch(
        &path,
        json!([{"op": "jump", "path": "title", "value": "x"}]),
    )
    .await
    .expect_error(400, Some("invalidSyntax"));
    c.patch(
        &path,
        json!([{"op": "replace", "path": "id", "value": "mine"}]),
    )
    .await
    .expect_error(400, Some("mutability"));
    c.patch(
        &path,
        json!([
            {"op": "replace", "path": "title", "value": "half"},
            {"op": "replace", "path": "active", "value": "maybe"},
        ]),
    )
    .await
    .expect_error(400, Some("invalidValue"));
    c.call(Method::PATCH, &path, Some(json!({"Operations": "none"})))
        .await
        .expect_error(400, Some("invalidSyntax"));
    // A bad `attributes` is refused before the write, not after it.
    let title = json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "title", "value": "written?"}]});
    c.call(
        Method::PATCH,
        &format!("{path}?attributes=emails%5B"),
        Some(title),
    )
    .await
    .expect_error(400, Some("invalidPath"));
    let after = c.get(&path).await;
    assert_eq!(after.body, before.body, "a failed PATCH changes nothing");
}
