//! Every lookup Entra and Okta make is an index search on the server's tables, not a scan:
//! the plans SQLite and MariaDB give for them (`SqlStore::explain`), on a database with
//! users in it.

use std::sync::Arc;

use scim_core::{Compat, ListQuery, RequestContext, ResourceKind, SchemaRegistry, ScimStore};
use scim_filter::Filter;
use serde_json::json;

mod mysql;

#[tokio::test]
async fn entra_lookups_search_an_index() {
    let path =
        std::env::temp_dir().join(format!("scim-plans-{}.db", uuid::Uuid::new_v4().simple()));
    lookups_search_an_index(&format!("sqlite://{}", path.display())).await;
}

#[tokio::test]
async fn entra_lookups_search_an_index_on_mysql() {
    let Some(admin_url) = mysql::url("the plans of Entra's lookups on MySQL") else {
        return;
    };
    let database = mysql::Database::create(&admin_url, "scim_plans").expect("a database");
    lookups_search_an_index(&database.url).await;
}

async fn lookups_search_an_index(url: &str) {
    let registry = Arc::new(SchemaRegistry::new());
    let (store, _) = reference_server::open(url, Arc::clone(&registry))
        .await
        .expect("the database opens");
    let ctx = RequestContext::new("default");
    let users = registry.resource(ResourceKind::User);
    let mut ids = Vec::new();
    for i in 0..200 {
        let user = json!({
            "userName": format!("user{i}@example.com"), "externalId": format!("ext-{i}"),
            "emails": [{"value": format!("user{i}@example.com"), "type": "work", "primary": true}]
        });
        let resource = users
            .validate_create(user, &Compat::entra())
            .expect("valid");
        ids.push(
            store
                .create(&ctx, resource)
                .await
                .expect("create")
                .id()
                .expect("an id")
                .to_owned(),
        );
    }
    let groups = registry.resource(ResourceKind::Group);
    let mut group = String::new();
    for i in 0..50 {
        let members = json!([{"value": ids[i]}, {"value": ids[i + 1]}]);
        let resource = groups
            .validate_create(
                json!({"displayName": format!("Team {i}"), "members": members}),
                &Compat::entra(),
            )
            .expect("valid");
        group = store
            .create(&ctx, resource)
            .await
            .expect("create")
            .id()
            .expect("an id")
            .to_owned();
    }
    // Statistics, as a database in use has them (the store refreshes them as it opens):
    // the planner then knows that the one tenant holds every user, and must still search.
    match store.database() {
        scim_sqlx::Database::Sqlite(pool) => {
            sqlx::query("ANALYZE").execute(pool).await.expect("ANALYZE");
        }
        scim_sqlx::Database::Mysql(pool) => {
            for table in ["users", "user_emails", "user_groups", "group_members"] {
                sqlx::raw_sql(&format!("ANALYZE TABLE {table}"))
                    .execute(pool)
                    .await
                    .expect("ANALYZE");
            }
        }
        _ => {}
    }
    let mysql = matches!(store.database(), scim_sqlx::Database::Mysql(_));
    let lookups = [
        (
            ResourceKind::User,
            r#"userName eq "User7@example.com""#.to_owned(),
        ),
        (ResourceKind::User, r#"externalId eq "ext-7""#.to_owned()),
        (ResourceKind::User, format!(r#"id eq "{}""#, ids[7])),
        (
            ResourceKind::User,
            r#"emails[type eq "work"].value eq "user7@example.com""#.to_owned(),
        ),
        (ResourceKind::Group, r#"displayName eq "team 7""#.to_owned()),
        (
            ResourceKind::Group,
            format!(r#"id eq "{group}" and members[value eq "{}"]"#, ids[49]),
        ),
    ];
    for (kind, filter) in lookups {
        let query = ListQuery::new().with_filter(Filter::parse(&filter).expect("parses"));
        let plan = store.explain(&ctx, kind, &query).await.expect("a plan");
        let text = plan.join("\n");
        eprintln!("{kind} {filter}:\n{text}\n");
        // The users or groups table itself (alias r) is searched for the rows asked for:
        // never scanned whole, nor searched by the tenant alone (every row, in a store of
        // one tenant).
        if mysql {
            // `r: type ref, key users_user_name, rows 1, ...`: never `ALL` (a scan) or
            // `index` (the whole index), nor more than a few rows of 200.
            let r = plan
                .iter()
                .find(|l| l.starts_with("r: "))
                .unwrap_or_else(|| panic!("{filter}: no line for the table:\n{text}"));
            let rows: u64 = r
                .split("rows ")
                .nth(1)
                .and_then(|rest| rest.split(',').next())
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(u64::MAX);
            assert!(
                !r.contains("type ALL") && !r.contains("type index,") && rows <= 5,
                "{filter}: the table is read whole:\n{text}"
            );
            continue;
        }
        let whole = |l: &&String| {
            l.starts_with("SCAN r") || (l.starts_with("SEARCH r ") && l.ends_with("(tenant=?)"))
        };
        assert!(
            plan.iter().any(|l| l.starts_with("SEARCH ")) && !plan.iter().any(|l| whole(&l)),
            "{filter}: the table is read whole:\n{text}"
        );
    }
}
