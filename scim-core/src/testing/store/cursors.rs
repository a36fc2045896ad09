//! Cursor paging (RFC 9865): a keyset over the sort value and id, both ways, stable while
//! resources are created and deleted between pages.

use std::collections::{BTreeMap, BTreeSet};

use scim_filter::AttrPath;
use serde_json::json;

use super::{Need, begin, user};
use crate::cursor::Position;
use crate::{ListPage, ListQuery, RequestContext, ResourceKind, ScimStore, SortOrder};

async fn page<S: ScimStore>(
    store: &S,
    ctx: &RequestContext,
    sort: Option<(&str, SortOrder)>,
    position: Position,
    count: usize,
) -> ListPage {
    let mut query = ListQuery::new().with_cursor(position, count);
    if let Some((by, order)) = sort {
        query = query.with_sort(AttrPath::parse(by).expect("a path"), order);
    }
    store
        .list(ctx, ResourceKind::User, &query)
        .await
        .unwrap_or_else(|e| panic!("a cursor page: {e}"))
}

/// The number an id is, if it is an integer key's text (no sign, no leading zero).
fn integer_key(id: &str) -> Option<u64> {
    id.parse().ok().filter(|n: &u64| n.to_string() == id)
}

/// Every page forward from the start: the pages' ids in order, and the position before the
/// last page (for paging back).
async fn forward<S: ScimStore>(
    store: &S,
    ctx: &RequestContext,
    sort: Option<(&str, SortOrder)>,
    count: usize,
) -> (Vec<Vec<String>>, Option<Position>) {
    let (mut pages, mut at) = (Vec::new(), Position::start());
    loop {
        let p = page(store, ctx, sort, at, count).await;
        assert!(p.resources.len() <= count, "a page holds at most count");
        assert_eq!(
            p.previous.is_some(),
            !pages.is_empty(),
            "a previous page exists from the second page on"
        );
        pages.push(
            p.resources
                .iter()
                .map(|r| r.id().expect("an id").to_owned())
                .collect(),
        );
        match p.next {
            Some(next) => at = next,
            None => return (pages, p.previous),
        }
        assert!(pages.len() < 100, "paging never ends");
    }
}

/// Paging by cursor, unsorted and sorted (resources without a value last), forward and
/// back: every resource exactly once, in order; and while other resources are created and
/// deleted between pages, every resource that existed throughout is seen exactly once.
pub async fn cursor_paging<S: ScimStore>(store: &S) {
    let Some(ctx) = begin(store, "cursor_paging", &[Need::CursorPaging]) else {
        return;
    };
    let mut titles = BTreeMap::new();
    for i in 0..23 {
        // Some titles repeat (ties go by id), some users have none (they come last).
        let title = (i % 4 != 0).then(|| format!("Title {}", i % 5));
        let mut body = json!({"userName": format!("user{i:02}")});
        if let Some(title) = &title {
            body["title"] = json!(title);
        }
        let created = store.create(&ctx, user(body)).await.expect("create");
        titles.insert(created.id().expect("an id").to_owned(), title);
    }
    let all: BTreeSet<String> = titles.keys().cloned().collect();

    for sort in [
        None,
        Some(("userName", SortOrder::Ascending)),
        Some(("title", SortOrder::Descending)),
        Some(("title", SortOrder::Ascending)),
        Some(("id", SortOrder::Descending)),
    ] {
        let (pages, before_last) = forward(store, &ctx, sort, 5).await;
        let order: Vec<String> = pages.concat();
        assert_eq!(order.len(), all.len(), "{sort:?}: every user once");
        assert_eq!(
            order.iter().cloned().collect::<BTreeSet<_>>(),
            all,
            "{sort:?}"
        );
        assert_eq!(pages.len(), 5, "{sort:?}: 23 users in pages of 5");
        if let Some(("id", _)) = sort {
            // Ids are strings, in code point order; an app's integer keys go by number,
            // as the database orders its key.
            let mut expected = order.clone();
            if expected.iter().all(|id| integer_key(id).is_some()) {
                expected.sort_by_key(|id| integer_key(id));
            } else {
                expected.sort();
            }
            expected.reverse();
            assert_eq!(order, expected, "{sort:?}: in order");
        }
        if let Some(("title", descending)) = sort {
            // Titled users in order, untitled ones last.
            let values: Vec<&Option<String>> = order.iter().map(|id| &titles[id]).collect();
            let untitled = values
                .iter()
                .position(|t| t.is_none())
                .expect("some untitled");
            assert!(
                values[untitled..].iter().all(|t| t.is_none()),
                "{sort:?}: none last"
            );
            let titled: Vec<&String> = values[..untitled]
                .iter()
                .filter_map(|t| t.as_ref())
                .collect();
            let mut expected = titled.clone();
            expected.sort();
            if descending == SortOrder::Descending {
                expected.reverse();
            }
            assert_eq!(titled, expected, "{sort:?}: in order");
        }
        // Back from the last page: the pages before it, in the same order.
        let mut back = Vec::new();
        let mut at = before_last;
        while let Some(position) = at {
            let p = page(store, &ctx, sort, position, 5).await;
            let ids: Vec<String> = p
                .resources
                .iter()
                .map(|r| r.id().expect("an id").to_owned())
                .collect();
            assert!(p.next.is_some(), "{sort:?}: a page back has a next page");
            back.insert(0, ids);
            at = p.previous;
            assert!(back.len() < 100, "paging back never ends");
        }
        assert_eq!(back, pages[..pages.len() - 1], "{sort:?}: back as forward");
    }

    // Creates and deletes between pages: every user that was there throughout is seen once.
    let sort = Some(("userName", SortOrder::Ascending));
    let (mut at, mut seen, mut created) = (Position::start(), Vec::new(), Vec::new());
    for round in 0.. {
        let p = page(store, &ctx, sort, at, 4).await;
        seen.extend(
            p.resources
                .iter()
                .map(|r| r.id().expect("an id").to_owned()),
        );
        // One before everything, one after, one in the middle of the names; and the
        // previous round's middle one deleted.
        for name in [
            format!("a-{round}"),
            format!("z-{round}"),
            format!("user10-{round}"),
        ] {
            let new = store
                .create(&ctx, user(json!({"userName": name})))
                .await
                .expect("create");
            created.push(new.id().expect("an id").to_owned());
        }
        if round > 0 {
            let gone = &created[created.len() - 4];
            store
                .delete(&ctx, ResourceKind::User, gone, None)
                .await
                .expect("delete");
        }
        match p.next {
            Some(next) => at = next,
            None => break,
        }
        assert!(round < 100, "paging never ends");
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no user on two pages");
    for id in &all {
        assert!(unique.contains(id), "a user there throughout was skipped");
    }
}
