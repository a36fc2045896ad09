//! Durable events: each write's events are kept in its transaction, handed to the app's
//! sink at least once, in order per resource, and survive the process being killed between
//! the commit and the delivery.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use scim_core::engine::{
    BearerToken, DeliveryFuture, Engine, Event, EventKind, EventSink, Precondition,
};
use scim_core::{RequestContext, ResourceKind, SchemaRegistry};
use scim_sqlx::{Database, Dialect, SqlStore};
use serde_json::json;

mod common;

/// The environment variable that makes this test binary the process the crash test kills.
const CHILD: &str = "SCIM_SQLX_OUTBOX_CHILD";

/// A sink that records what it is handed.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Event>>>);

impl Recorder {
    fn events(&self) -> Vec<Event> {
        self.0.lock().unwrap().clone()
    }

    /// Waits (up to 10 s) until `done` holds for what was handed over.
    async fn until(&self, what: &str, done: impl Fn(&[Event]) -> bool) -> Vec<Event> {
        let start = Instant::now();
        loop {
            let events = self.events();
            if done(&events) {
                return events;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{what}: still waiting; handed over so far: {events:#?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn open(db: Database) -> SqlStore {
    SqlStore::open(
        db,
        common::tenant_mapping(""),
        Arc::new(SchemaRegistry::new()),
    )
    .await
    .expect("the store opens")
}

fn kinds(events: &[Event], id: &str) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.id == id)
        .map(|e| e.kind.name().to_owned())
        .collect()
}

/// A user's life, as the sink sees it: every event, in the order of the writes.
async fn a_users_life_in_order(store: SqlStore, tenant: &str) {
    let sink = Recorder::default();
    let recorder = sink.clone();
    let engine = Engine::builder(store, BearerToken::new("t"))
        .events(move |e: &Event| recorder.0.lock().unwrap().push(e.clone()))
        .build();
    let ctx = RequestContext::new(tenant);
    let user = engine
        .create(
            &ctx,
            ResourceKind::User,
            json!({"userName": "bjensen@example.com", "active": true}),
        )
        .await
        .expect("create");
    let id = user.id().expect("an id").to_owned();
    for active in [false, true, false] {
        engine
            .replace(
                &ctx,
                ResourceKind::User,
                &id,
                json!({"userName": "bjensen@example.com", "active": active}),
                &Precondition::None,
            )
            .await
            .expect("replace");
    }
    engine
        .delete(&ctx, ResourceKind::User, &id, &Precondition::None)
        .await
        .expect("delete");
    let events = sink
        .until("five writes", |e| kinds(e, &id).len() >= 8)
        .await;
    assert_eq!(
        kinds(&events, &id),
        [
            "created",
            "replaced",
            "deactivated",
            "replaced",
            "activated",
            "replaced",
            "deactivated",
            "deleted"
        ]
        .map(str::to_owned)
    );
    assert!(events.iter().all(|e| e.tenant == tenant));
}

#[tokio::test]
async fn events_arrive_in_order_on_sqlite() {
    let store = open(common::sqlite(&common::tenant_tables(Dialect::Sqlite, "")).await).await;
    a_users_life_in_order(store, "default").await;
}

#[tokio::test]
async fn events_arrive_in_order_on_postgres() {
    let Some(db) = common::postgres("the outbox", "scim_sqlx_outbox", common::tenant_tables).await
    else {
        return;
    };
    let store = SqlStore::open(
        db,
        common::tenant_mapping("scim_sqlx_outbox."),
        Arc::new(SchemaRegistry::new()),
    )
    .await
    .expect("the store opens");
    a_users_life_in_order(store, "in-order").await;
}

#[tokio::test]
async fn a_sink_that_panics_gets_the_event_again_and_nothing_overtakes_it() {
    let store = open(common::sqlite(&common::tenant_tables(Dialect::Sqlite, "")).await).await;
    let sink = Recorder::default();
    let recorder = sink.clone();
    let panicked = Arc::new(Mutex::new(false));
    let engine = Engine::builder(store, BearerToken::new("t"))
        .events(move |e: &Event| {
            let mut once = panicked.lock().unwrap();
            if !*once {
                *once = true;
                drop(once);
                panic!("the mail server is down");
            }
            recorder.0.lock().unwrap().push(e.clone());
        })
        .build();
    let ctx = RequestContext::new("default");
    let mut ids = Vec::new();
    for name in ["a@example.com", "b@example.com"] {
        let user = engine
            .create(&ctx, ResourceKind::User, json!({"userName": name}))
            .await
            .expect("create");
        ids.push(user.id().expect("an id").to_owned());
    }
    let events = sink.until("two creates", |e| e.len() >= 2).await;
    let handed: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(handed, [ids[0].as_str(), ids[1].as_str()]);
    assert!(events.iter().all(|e| e.kind == EventKind::Created));
}

/// A sink doing its work asynchronously (an app's invitations table, a webhook) that fails
/// the first time, as a database that is down does.
struct FailsOnce {
    failed: Arc<Mutex<bool>>,
    done: Recorder,
}

impl EventSink for FailsOnce {
    fn deliver<'a>(&'a self, event: &'a Event) -> DeliveryFuture<'a> {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            let mut failed = self.failed.lock().unwrap();
            if !*failed {
                *failed = true;
                return Err("the invitations database is down".into());
            }
            self.done.0.lock().unwrap().push(event.clone());
            Ok(())
        })
    }
}

#[tokio::test]
async fn an_async_sink_that_fails_gets_the_event_again_in_order() {
    let store = open(common::sqlite(&common::tenant_tables(Dialect::Sqlite, "")).await).await;
    let done = Recorder::default();
    let sink = FailsOnce {
        failed: Arc::default(),
        done: done.clone(),
    };
    let engine = Engine::builder(store, BearerToken::new("t"))
        .events(sink)
        .build();
    let ctx = RequestContext::new("default");
    let mut ids = Vec::new();
    for name in ["a@example.com", "b@example.com"] {
        let user = engine
            .create(&ctx, ResourceKind::User, json!({"userName": name}))
            .await
            .expect("create");
        ids.push(user.id().expect("an id").to_owned());
    }
    let events = done.until("two creates", |e| e.len() >= 2).await;
    let handed: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(handed, [ids[0].as_str(), ids[1].as_str()]);
}

/// The process the crash test kills: it creates a user, says so once the create has
/// committed, and its sink says when it has the event and then never finishes with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_process_that_is_killed() {
    let Ok(path) = std::env::var(CHILD) else {
        return;
    };
    let db = Database::connect(&format!("sqlite://{path}"))
        .await
        .expect("SQLite opens");
    let engine = Engine::builder(open(db).await, BearerToken::new("t"))
        .events(|_: &Event| {
            println!("delivering");
            // Stuck, like a mail server that never answers, until the kill.
            std::thread::sleep(Duration::from_secs(3600));
        })
        .build();
    let user = engine
        .create(
            &RequestContext::new("default"),
            ResourceKind::User,
            json!({"userName": "bjensen@example.com"}),
        )
        .await
        .expect("create");
    println!("committed {}", user.id().expect("an id"));
    tokio::time::sleep(Duration::from_secs(3600)).await;
}

#[tokio::test]
async fn an_event_survives_kill_9_after_the_commit() {
    if std::env::var(CHILD).is_ok() {
        return;
    }
    let db = common::sqlite(&common::tenant_tables(Dialect::Sqlite, "")).await;
    let Database::Sqlite(pool) = &db else {
        unreachable!()
    };
    let path: (String,) =
        sqlx::query_as("SELECT file FROM pragma_database_list WHERE name = 'main'")
            .fetch_one(pool)
            .await
            .expect("the file");
    // The store's tables exist before the child opens it.
    drop(open(db.clone()).await);

    let mut child = Command::new(std::env::current_exe().expect("this test binary"))
        .args(["child_process_that_is_killed", "--exact", "--nocapture"])
        .env(CHILD, &path.0)
        .stdout(Stdio::piped())
        .spawn()
        .expect("the child starts");
    let stdout = child.stdout.take().expect("its stdout");
    let (send, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = send.send(line);
        }
    });
    // Killed once the create has committed and its event is in the sink's hands, but
    // the sink has not finished with it.
    let (mut id, mut delivering) = (None, false);
    while id.is_none() || !delivering {
        let Ok(line) = lines.recv_timeout(Duration::from_secs(60)) else {
            child.kill().expect("kill");
            panic!("the child did not say it committed and is delivering");
        };
        if let Some(committed) = line.strip_prefix("committed ") {
            id = Some(committed.to_owned());
        }
        delivering |= line == "delivering";
    }
    let id = id.expect("an id");
    // SIGKILL: no destructor, no flush, nothing the process can do about it.
    child.kill().expect("kill -9");
    child.wait().expect("the child is gone");

    // The next start of the app hands the event over.
    let sink = Recorder::default();
    let recorder = sink.clone();
    let _engine = Engine::builder(open(db).await, BearerToken::new("t"))
        .events(move |e: &Event| recorder.0.lock().unwrap().push(e.clone()))
        .build();
    let events = sink
        .until("the event of the killed process", |e| !e.is_empty())
        .await;
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0].id, id);
    assert_eq!(events[0].kind, EventKind::Created);
}

#[tokio::test]
async fn events_arrive_in_order_on_mysql() {
    let Some(db) = common::mysql("the outbox", "scim_sqlx_outbox", common::tenant_tables).await
    else {
        return;
    };
    let store = SqlStore::open(
        db,
        common::tenant_mapping("scim_sqlx_outbox."),
        Arc::new(SchemaRegistry::new()),
    )
    .await
    .expect("the store opens");
    a_users_life_in_order(store, "in-order").await;
}
