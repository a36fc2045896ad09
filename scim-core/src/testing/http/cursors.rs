//! Cursor paging over HTTP (RFC 9865): advertised in `/ServiceProviderConfig`, asked for
//! with `cursor`, answered with `nextCursor` and `previousCursor`, and every misuse refused
//! with the RFC's error type.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{Harness, Reply, client, engine, unique};
use crate::ServiceProviderConfig;

fn ids(reply: &Reply) -> Vec<String> {
    reply
        .resources()
        .iter()
        .map(|r| r["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn cursor(reply: &Reply, name: &str) -> Option<String> {
    reply.body[name].as_str().map(str::to_owned)
}

/// The pages of a cursor-paged list, forward to the end and back, each user once; a
/// `.search` pages the same way, and the root's Users then Groups; a cursor altered, given
/// with another filter, page size or endpoint, or beside `startIndex` is `400` with
/// `invalidCursor` or `invalidCount`. Skipped where the store does not page by cursor (`pagination.cursor` is
/// false).
pub async fn cursor_paging<H: Harness>(harness: &H) {
    let config = ServiceProviderConfig {
        max_results: 50,
        ..ServiceProviderConfig::default()
    };
    let c = client(harness, engine().service_provider_config(config)).await;
    let spc = c.get("/ServiceProviderConfig").await;
    spc.expect(200);
    let pagination = &spc.body["pagination"];
    assert_eq!(pagination["index"], json!(true), "{}", spc.body);
    assert_eq!(pagination["defaultPaginationMethod"], json!("index"));
    assert_eq!(pagination["maxPageSize"], json!(50));
    if pagination["cursor"] != json!(true) {
        eprintln!("scim_http_tests: cursor_paging skipped: the store does not page by cursor");
        return;
    }
    assert_eq!(pagination["cursorTimeout"], json!(3600));
    let prefix = unique("cur");
    let mut created = BTreeSet::new();
    for i in 0..7 {
        created.insert(c.user(&format!("{prefix}-{i}")).await);
    }
    let filter = format!("filter=userName%20sw%20%22{prefix}%22");

    // Forward: pages of 3, the first without previousCursor, the last without nextCursor.
    let mut pages = Vec::new();
    let mut path = format!("/Users?{filter}&cursor&count=3&sortBy=userName");
    let last = loop {
        let page = c.get(&path).await;
        page.expect(200);
        assert_eq!(page.total(), 7, "{}", page.body);
        assert!(page.body.get("startIndex").is_none(), "{}", page.body);
        assert_eq!(
            cursor(&page, "previousCursor").is_some(),
            !pages.is_empty(),
            "{}",
            page.body
        );
        pages.push(ids(&page));
        match cursor(&page, "nextCursor") {
            Some(next) => {
                assert!(
                    next.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                    "a cursor is URL-safe as it is: {next}"
                );
                path = format!("/Users?{filter}&cursor={next}&count=3&sortBy=userName");
            }
            None => break page,
        }
        assert!(pages.len() < 10, "paging never ends");
    };
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 1]);
    let seen: BTreeSet<String> = pages.concat().into_iter().collect();
    assert_eq!(seen, created, "every user once");
    let previous = cursor(&last, "previousCursor").expect("a previous page");
    let back = c
        .get(&format!(
            "/Users?{filter}&cursor={previous}&count=3&sortBy=userName"
        ))
        .await;
    back.expect(200);
    assert_eq!(ids(&back), pages[1], "back one page");

    // POST .search pages the same way.
    let search = |cursor: Value| {
        json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": format!("userName sw \"{prefix}\""),
            "sortBy": "userName",
            "cursor": cursor,
            "count": 3,
        })
    };
    let first = c.post("/Users/.search", search(json!(""))).await;
    first.expect(200);
    assert_eq!(ids(&first), pages[0]);
    let next = cursor(&first, "nextCursor").expect("a next page");
    let second = c.post("/Users/.search", search(json!(next))).await;
    assert_eq!(ids(&second), pages[1]);

    // Misuse.
    let refused = |path: String, kind: &'static str| {
        let c = &c;
        async move {
            c.get(&path).await.expect_error(400, Some(kind));
        }
    };
    let mut altered = next.clone();
    altered.replace_range(..1, if next.starts_with('A') { "B" } else { "A" });
    refused(
        format!("/Users?{filter}&cursor={altered}&count=3&sortBy=userName"),
        "invalidCursor",
    )
    .await;
    refused(
        format!("/Users?cursor={next}&count=3&sortBy=userName"),
        "invalidCursor",
    )
    .await;
    refused(
        format!("/Users?{filter}&cursor={next}&count=3"),
        "invalidCursor",
    )
    .await;
    refused(
        format!("/Users?{filter}&cursor={next}&count=4&sortBy=userName"),
        "invalidCount",
    )
    .await;
    refused("/Users?cursor&count=51".to_owned(), "invalidCount").await;
    refused("/Users?cursor&count=-1".to_owned(), "invalidCount").await;
    refused("/Users?cursor&startIndex=2".to_owned(), "invalidCursor").await;

    // The root pages Users, then Groups, as one list: 7 users and 2 groups in pages of 4.
    let mut groups = BTreeSet::new();
    for i in 0..2 {
        groups.insert(c.group(&format!("{prefix}-team-{i}")).await);
    }
    let root = |cursor: &str| {
        json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": format!("userName sw \"{prefix}\" or displayName sw \"{prefix}-team\""),
            "cursor": cursor,
            "count": 4,
        })
    };
    let (mut seen, mut sizes, mut at) = (Vec::new(), Vec::new(), String::new());
    loop {
        let page = c.post("/.search", root(&at)).await;
        page.expect(200);
        assert_eq!(page.total(), 9, "{}", page.body);
        sizes.push(page.resources().len());
        seen.extend(ids(&page));
        match cursor(&page, "nextCursor") {
            Some(next) => at = next,
            None => break,
        }
        assert!(sizes.len() < 10, "paging never ends");
    }
    assert_eq!(sizes, [4, 4, 1]);
    let users_first: BTreeSet<String> = seen[..7].iter().cloned().collect();
    assert_eq!(users_first, created, "the users first");
    assert_eq!(seen[7..].iter().cloned().collect::<BTreeSet<_>>(), groups);
    // A root cursor is not a cursor of /Users.
    let page = c.post("/.search", root("")).await;
    let next = cursor(&page, "nextCursor").expect("a next page");
    refused(format!("/Users?cursor={next}&count=4"), "invalidCursor").await;
    // Index paging is unchanged beside it.
    let indexed = c
        .get(&format!(
            "/Users?{filter}&startIndex=4&count=3&sortBy=userName"
        ))
        .await;
    assert_eq!(indexed.body["startIndex"], json!(4));
    assert_eq!(ids(&indexed), pages[1]);
}
