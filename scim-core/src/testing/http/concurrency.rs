//! Concurrent writers: racing PATCHes lose nothing, racing creates make one user,
//! conditional PATCHes are applied or refused with `412`.

use bytes::Bytes;
use http::Method;
use serde_json::{Value, json};

use super::{Client, Harness, PATCH_OP, client, engine, unique};

/// Concurrent membership PATCHes on one group lose nothing: the engine retries writes that
/// lost a version race.
pub async fn concurrent_patches<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let group = c.group(&unique("Busy")).await;
    let target = c.user(&unique("busy-user")).await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let c = c.clone();
        let group = group.clone();
        let target = target.clone();
        tasks.push(tokio::spawn(async move {
            let id = c.user(&format!("busy-{i}-{}", uuid::Uuid::new_v4().simple())).await;
            c.patch(&format!("/Groups/{group}"), json!([{"op": "add", "path": "members", "value": [{"value": id}]}]))
                .await
                .expect(200);
            c.patch(&format!("/Users/{target}"), json!([{"op": "add", "path": "emails", "value": [{"value": format!("{i}@example.com")}]}]))
                .await
                .expect(200);
            id
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.expect("task"));
    }
    let read = c.get(&format!("/Groups/{group}")).await;
    let mut members: Vec<String> = read.body["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["value"].as_str().expect("value").to_owned())
        .collect();
    members.sort();
    ids.sort();
    assert_eq!(members, ids, "every concurrent add is kept");
    let emails = c.get(&format!("/Users/{target}")).await.body["emails"]
        .as_array()
        .expect("emails")
        .len();
    assert_eq!(emails, 17, "every concurrent user PATCH is kept");
}

/// Concurrent creates of one `userName` (in different cases): exactly one `201`, every other
/// a `409 uniqueness`, and one user in the store. The same for a group's `displayName`.
pub async fn concurrent_creates<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let name = unique("race");
    for (endpoint, body) in [
        (
            "/Users",
            (|n: &str| json!({"userName": n})) as fn(&str) -> Value,
        ),
        ("/Groups", |n: &str| json!({"displayName": n})),
    ] {
        let mut tasks = Vec::new();
        for i in 0..24 {
            let c = c.clone();
            let spelled = if i % 2 == 0 {
                name.clone()
            } else {
                name.to_uppercase()
            };
            tasks.push(tokio::spawn(async move {
                c.post(endpoint, body(&spelled)).await
            }));
        }
        let mut created = 0;
        for task in tasks {
            let reply = task.await.expect("task");
            match reply.status {
                201 => created += 1,
                _ => {
                    reply.expect_error(409, Some("uniqueness"));
                }
            }
        }
        assert_eq!(created, 1, "{endpoint}: exactly one create wins");
        let attr = if endpoint == "/Users" {
            "userName"
        } else {
            "displayName"
        };
        assert_eq!(
            c.filter(endpoint, &format!("{attr} eq \"{name}\""))
                .await
                .total(),
            1,
            "{endpoint}"
        );
    }
}

/// Concurrent PATCHes that name the version they read (`If-Match`): each is applied or
/// refused with `412`, never applied over a change it did not see. What the user holds
/// afterwards is exactly what the applied ones added.
pub async fn concurrent_conditional_patches<H: Harness>(harness: &H) {
    let c = client(harness, engine()).await;
    let id = c.user(&unique("contended")).await;
    let path = format!("/Users/{id}");
    let mut tasks = Vec::new();
    for i in 0..24 {
        let c = c.clone();
        let path = path.clone();
        tasks.push(tokio::spawn(async move {
            let read = c.get(&path).await;
            let etag = read.header("etag").expect("an ETag").to_owned();
            let email = format!("writer-{i}@example.com");
            let body = json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "add", "path": "emails", "value": [{"value": email}]}]});
            let request = Client::<H::Client>::request(Method::PATCH, &path, Some(&body))
                .header("if-match", etag)
                .body(Bytes::from(serde_json::to_vec(&body).expect("JSON")))
                .expect("request");
            (email, c.raw(request).await)
        }));
    }
    let mut applied: Vec<Option<String>> = Vec::new();
    let mut refused = 0;
    for task in tasks {
        let (email, reply) = task.await.expect("task");
        match reply.status {
            200 => applied.push(Some(email)),
            _ => {
                reply.expect_error(412, None);
                refused += 1;
            }
        }
    }
    assert!(!applied.is_empty(), "at least the first writer wins");
    let held = c.get(&path).await;
    let mut emails: Vec<Option<String>> = held.body["emails"]
        .as_array()
        .expect("emails")
        .iter()
        .map(|e| e["value"].as_str().map(str::to_owned))
        .filter(|e| e.as_deref().is_some_and(|e| e.starts_with("writer-")))
        .collect();
    emails.sort();
    applied.sort();
    assert_eq!(
        emails, applied,
        "exactly the applied PATCHes, none lost ({refused} refused)"
    );
}
