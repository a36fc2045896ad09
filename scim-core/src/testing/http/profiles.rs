//! Members' `display` and the `lenient` compatibility profile: what a group read shows of
//! its members, and each leniency Microsoft's reference server has, on and off.

use serde_json::{Value, json};

use super::{GROUP, Harness, client, engine, entra_user, unique};
use crate::Compat;

/// The `display` of each member of `group` (a group's JSON), by member id.
fn displays(group: &Value) -> Vec<(String, Option<String>)> {
    group["members"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            (
                m["value"].as_str().unwrap_or_default().to_owned(),
                m["display"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

/// A group read shows each member's current `displayName` as its `display` (RFC 7643 §4.2:
/// the server supplies members' sub-attributes), on `GET` by id, in lists and in write
/// responses; a member whose resource has none keeps what the client sent.
pub async fn member_display<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let mut babs = entra_user(&unique("babs"));
    babs["displayName"] = json!("Babs Jensen");
    let babs = c.post("/Users", babs).await.expect(201).id();
    let plain = c.user(&unique("plain")).await;
    let team = unique("Team");
    let inner = c.group(&team).await;
    let body = json!({
        "schemas": [GROUP],
        "displayName": unique("Outer"),
        "members": [
            {"value": babs, "display": "stale name"},
            {"value": plain, "display": "as sent"},
            {"value": inner, "type": "Group"},
        ],
    });
    let created = c.post("/Groups", body).await;
    created.expect(201);
    let expected = vec![
        (babs.clone(), Some("Babs Jensen".to_owned())),
        (plain.clone(), Some("as sent".to_owned())),
        (inner.clone(), Some(team.clone())),
    ];
    assert_eq!(displays(&created.body), expected, "{}", created.body);
    let id = created.id();
    let read = c.get(&format!("/Groups/{id}")).await;
    read.expect(200);
    assert_eq!(displays(&read.body), expected);

    // A rename shows on the next read, in a list as by id.
    c.patch(
        &format!("/Users/{babs}"),
        json!([{"op": "replace", "path": "displayName", "value": "Barbara Jensen"}]),
    )
    .await
    .expect(200);
    let listed = c.filter("/Groups", &format!("id eq \"{id}\"")).await;
    listed.expect(200);
    let shown = displays(&listed.body["Resources"][0]);
    assert_eq!(shown[0], (babs.clone(), Some("Barbara Jensen".to_owned())));
    // A PATCH's answer shows every member's name.
    let added = c
        .patch(
            &format!("/Groups/{id}"),
            json!([{"op": "replace", "path": "displayName", "value": unique("Renamed")}]),
        )
        .await;
    added.expect(200);
    assert_eq!(
        displays(&added.body)[0].1.as_deref(),
        Some("Barbara Jensen")
    );
    // Without members, nothing to fill.
    let bare = c
        .get(&format!("/Groups/{id}?excludedAttributes=members"))
        .await;
    assert!(bare.expect(200).body.get("members").is_none());
}

/// `Compat::lenient()`: each leniency of Microsoft's reference server, on for a tenant
/// with the profile and off for one without (the default, `entra`).
pub async fn lenient_profile<H: Harness>(harness: &H) {
    for lenient in [false, true] {
        let compat = if lenient {
            Compat::lenient()
        } else {
            Compat::entra()
        };
        let c = client(harness, engine().compat(compat)).await;
        let name = unique("OMalley");
        let mut user = entra_user(&name);
        user["name"]["familyName"] = json!("Employee");
        let id = c.post("/Users", user).await.expect(201).id();

        // Unquoted filter literals.
        for filter in [
            "name.familyName eq Employee".to_owned(),
            format!("userName sw {}", &name[..4]),
            "meta.created gt 2015-10-10T14:38:21.8617979-07:00".to_owned(),
        ] {
            let found = c.filter("/Users", &filter).await;
            if lenient {
                found.expect(200);
                assert_eq!(
                    found.body["totalResults"],
                    json!(1),
                    "{filter}: {}",
                    found.body
                );
            } else {
                found.expect_error(400, Some("invalidFilter"));
            }
        }

        // A value filter inside `attributes`.
        let path = format!("/Users/{id}?attributes=emails[type%20eq%20%22work%22]");
        let projected = c.get(&path).await;
        if lenient {
            projected.expect(200);
            assert!(projected.body["emails"].is_array(), "{}", projected.body);
            assert!(projected.body.get("name").is_none(), "{}", projected.body);
            // With a sub-attribute after the brackets, beside a plain path.
            let path = format!(
                "/Users/{id}?attributes=emails[type%20eq%20%22a,b%22].value,name.givenName"
            );
            let sub = c.get(&path).await;
            sub.expect(200);
            assert_eq!(
                sub.body["emails"][0].as_object().map(|e| e.len()),
                Some(1),
                "{}",
                sub.body
            );
            assert_eq!(
                sub.body["name"],
                json!({"givenName": "Barbara"}),
                "{}",
                sub.body
            );
        } else {
            projected.expect_error(400, Some("invalidPath"));
        }

        // An unknown attribute on PUT.
        let mut put = entra_user(&name);
        put["adreses"] = json!([{"country": "Germany"}]);
        let replaced = c.put(&format!("/Users/{id}"), put).await;
        if lenient {
            replaced.expect(200);
            assert!(replaced.body.get("adreses").is_none(), "{}", replaced.body);
        } else {
            replaced.expect_error(400, Some("invalidValue"));
        }

        // PATCH answers 204, and a member's `displayName` is its `display`, as sent.
        let group = c.group(&unique("Group")).await;
        let patched = c
            .patch(
                &format!("/Groups/{group}"),
                json!([{"op": "add", "path": "members",
                        "value": [{"displayName": "new User", "value": id}]}]),
            )
            .await;
        let read = c.get(&format!("/Groups/{group}")).await;
        read.expect(200);
        if lenient {
            patched.expect(204);
            assert_eq!(
                displays(&read.body),
                [(id.clone(), Some("new User".to_owned()))]
            );
        } else {
            patched.expect_error(400, Some("invalidValue"));
            assert_eq!(displays(&read.body), []);
        }
    }
}
