//! The reference server binary on 127.0.0.1 with a fresh SQLite file: a full Entra
//! provisioning cycle over real HTTP, a restart that keeps everything, and the admin
//! commands taking effect on the running server.

#[path = "../../start_test.rs"]
mod start_test;

mod mysql;
mod postgres;

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use start_test::{Server, send, start};

const BINARY: &str = env!("CARGO_BIN_EXE_reference-server");

/// A database file in a directory that does not exist yet, as `sqlite:///tmp/.../scim.db`:
/// the server creates both.
fn database() -> String {
    let path = std::env::temp_dir()
        .join(format!("scim-server-{}", uuid::Uuid::new_v4().simple()))
        .join("scim.db");
    format!("sqlite://{}", path.display())
}

fn server(database: &str, token: Option<&str>) -> Server {
    let mut command = Command::new(BINARY);
    command.args(["--bind", "127.0.0.1:0", "--database-url", database]);
    if let Some(token) = token {
        command.args(["--token", token]);
    }
    start(&mut command)
}

/// One request; the status and the body as JSON.
fn call(server: &Server, token: &str, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let text = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let (status, body) = send(&server.base_url, method, path, token, &text);
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn patch(ops: &Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

/// `filter`, URL-encoded enough for these tests.
fn filtered(endpoint: &str, filter: &str) -> String {
    let encoded = filter
        .replace(' ', "%20")
        .replace('"', "%22")
        .replace('[', "%5B")
        .replace(']', "%5D");
    format!("{endpoint}?filter={encoded}")
}

/// The options every example takes, with this test's own database file.
#[test]
fn starts_on_the_given_address_with_the_given_token() {
    start_test::flags(BINARY, &[("SCIM_DATABASE_URL", &database())]);
}

/// The same options from the environment.
#[test]
fn takes_its_options_from_the_environment() {
    start_test::environment(BINARY, &[("SCIM_DATABASE_URL", &database())]);
}

/// Entra's provisioning cycle on SQLite, the database file in a directory that does not
/// exist yet (`sqlite:///tmp/.../scim.db`).
#[test]
fn entra_provisioning_cycle() {
    entra_cycle(&database());
}

/// The same cycle on PostgreSQL, in a database of its own.
#[test]
fn entra_provisioning_cycle_on_postgres() {
    const WHAT: &str = "the reference server's Entra cycle on PostgreSQL";
    let Some(admin_url) = postgres::url(WHAT) else {
        return;
    };
    let database = postgres::Database::create(&admin_url, "scim_cycle")
        .unwrap_or_else(|err| panic!("a database next to {admin_url}: {err}"));
    entra_cycle(&database.url);
}

/// The same cycle on MySQL/MariaDB, in a database of its own.
#[test]
fn entra_provisioning_cycle_on_mysql() {
    const WHAT: &str = "the reference server's Entra cycle on MySQL";
    let Some(admin_url) = mysql::url(WHAT) else {
        return;
    };
    let database = mysql::Database::create(&admin_url, "scim_cycle")
        .unwrap_or_else(|err| panic!("a database next to {admin_url}: {err}"));
    entra_cycle(&database.url);
}

fn entra_cycle(db: &str) {
    let s = server(db, Some("cycle-token"));
    let t = "cycle-token";
    assert!(s.base_url.ends_with("/scim/default/v2"), "{}", s.base_url);

    // Test connection: a random lookup is an empty list.
    let (status, body) = call(
        &s,
        t,
        "GET",
        &filtered(
            "/Users",
            "userName eq \"0b5c1f0e-94ad-4a1d-a2a4-1f5a3a1f0a11\"",
        ),
        &Value::Null,
    );
    assert_eq!((status, body["totalResults"].clone()), (200, json!(0)));

    // Create (U1), then find it by userName, externalId and work email (U3-U5).
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "userName": "Test_User_dfeef4c5@contoso.com",
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": "Test_User_11bb6c4e@contoso.com"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "roles": [],
    });
    let (status, created) = call(&s, t, "POST", "/Users", &user);
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    for filter in [
        "userName eq \"test_user_dfeef4c5@contoso.com\"",
        "externalId eq \"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159\"",
        "emails[type eq \"work\"].value eq \"Test_User_11bb6c4e@contoso.com\"",
    ] {
        let (status, body) = call(&s, t, "GET", &filtered("/Users", filter), &Value::Null);
        assert_eq!(
            (status, body["totalResults"].clone()),
            (200, json!(1)),
            "{filter}: {body}"
        );
        assert_eq!(body["Resources"][0]["id"], json!(id));
    }
    let (status, duplicate) = call(
        &s,
        t,
        "POST",
        "/Users",
        &json!({"userName": "TEST_USER_dfeef4c5@contoso.com"}),
    );
    assert_eq!(
        (status, duplicate["scimType"].clone()),
        (409, json!("uniqueness"))
    );

    // Updates (U6, U8, U11, U14), read back.
    let path = format!("/Users/{id}");
    let ops = json!([
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updated@contoso.com"},
        {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
        {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "701984"},
        {"op": "Replace", "path": "active", "value": "False"},
    ]);
    let (status, body) = call(&s, t, "PATCH", &path, &patch(&ops));
    assert_eq!(status, 200, "{body}");
    let (_, read) = call(&s, t, "GET", &path, &Value::Null);
    assert_eq!(
        read["emails"],
        json!([{"value": "updated@contoso.com", "type": "work", "primary": true}])
    );
    assert_eq!(read["name"]["familyName"], json!("updatedFamilyName"));
    assert_eq!(read["active"], json!(false));
    assert_eq!(
        read["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["employeeNumber"],
        json!("701984")
    );

    // Groups (G1-G7).
    let group = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
        "externalId": "60f1bb27-2e1e-402d-bcc4-ec999564a194",
        "displayName": "Group_1",
        "meta": {"resourceType": "Group"},
    });
    let (status, created) = call(&s, t, "POST", "/Groups", &group);
    assert_eq!(status, 201, "{created}");
    let group_path = format!("/Groups/{}", created["id"].as_str().expect("id"));
    let lookup = format!(
        "{}&excludedAttributes=members",
        filtered("/Groups", "displayName eq \"Group_1\"")
    );
    let (_, found) = call(&s, t, "GET", &lookup, &Value::Null);
    assert_eq!(found["totalResults"], json!(1));
    assert!(found["Resources"][0].get("members").is_none());
    let add =
        patch(&json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": id}]}]));
    assert_eq!(call(&s, t, "PATCH", &group_path, &add).0, 200);
    let (_, read) = call(&s, t, "GET", &group_path, &Value::Null);
    assert_eq!(read["members"], json!([{"value": id}]));
    let member = filtered(
        "/Groups",
        &format!(
            "id eq \"{}\" and members[value eq \"{id}\"]",
            created["id"].as_str().expect("id")
        ),
    );
    assert_eq!(
        call(&s, t, "GET", &member, &Value::Null).1["totalResults"],
        json!(1)
    );
    let remove = patch(
        &json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": id}]}]),
    );
    assert_eq!(call(&s, t, "PATCH", &group_path, &remove).0, 200);
    assert_eq!(
        call(&s, t, "GET", &group_path, &Value::Null).1["members"],
        json!([])
    );

    // Deprovisioning (U21, G9).
    assert_eq!(call(&s, t, "DELETE", &path, &Value::Null).0, 204);
    assert_eq!(call(&s, t, "GET", &path, &Value::Null).0, 404);
    assert_eq!(call(&s, t, "DELETE", &group_path, &Value::Null).0, 204);
    assert_eq!(call(&s, "wrong", "GET", "/Users", &Value::Null).0, 401);
}

#[test]
fn restarts_keep_data_and_tokens_and_admin_commands_take_effect() {
    restarts_and_admin_commands(&database());
}

/// The same on MySQL/MariaDB: the admin tables' statements, rewritten for it.
#[test]
fn restarts_and_admin_commands_on_mysql() {
    const WHAT: &str = "the reference server's restarts on MySQL";
    let Some(admin_url) = mysql::url(WHAT) else {
        return;
    };
    let database = mysql::Database::create(&admin_url, "scim_restarts")
        .unwrap_or_else(|err| panic!("a database next to {admin_url}: {err}"));
    restarts_and_admin_commands(&database.url);
}

fn restarts_and_admin_commands(db: &str) {
    let db = db.to_owned();
    let first = server(&db, None);
    // Without --token the first start issues one and prints it once.
    let (status, body) = call(&first, "nope", "GET", "/Users", &Value::Null);
    assert_eq!(status, 401, "{body}");
    drop(first);
    let s = server(&db, Some("fixed-token"));
    let (status, created) = call(
        &s,
        "fixed-token",
        "POST",
        "/Users",
        &json!({"userName": "kept"}),
    );
    assert_eq!(status, 201, "{created}");
    drop(s);
    let s = server(&db, None);
    let (status, body) = call(
        &s,
        "fixed-token",
        "GET",
        &filtered("/Users", "userName eq \"kept\""),
        &Value::Null,
    );
    assert_eq!(
        (status, body["totalResults"].clone()),
        (200, json!(1)),
        "the data and the token outlive a restart"
    );

    // A tenant created by the admin command on the same database, while the server runs.
    let output = Command::new(BINARY)
        .args(["--database-url", &db, "tenants", "create", "acme"])
        .output()
        .expect("the command runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let token = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Secret token: "))
        .expect("the new tenant's token")
        .to_owned();
    let acme = Server::at(&s.base_url.replace("/default/", "/acme/"));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, _) = send(&acme.base_url, "GET", "/Users", &token, "");
        if status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the running server never accepted the new tenant's token"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let (status, _) = send(&acme.base_url, "GET", "/Users", "fixed-token", "");
    assert_eq!(status, 401, "the default tenant's token does not open acme");
    let (status, body) = send(
        &acme.base_url,
        "GET",
        &filtered("/Users", "userName eq \"kept\""),
        &token,
        "",
    );
    assert_eq!(status, 200);
    assert!(
        body.contains("\"totalResults\":0"),
        "acme does not see default's users: {body}"
    );
}

/// `--extension FILE`: Entra's custom extension (a `tag` string and a multi-valued `folders`
/// string) is accepted, stored in the JSON column, returned, advertised and filterable.
#[test]
fn custom_extensions_from_files() {
    let urn = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User";
    let schema = json!({
        "id": urn,
        "name": "CustomExtension",
        "description": "Entra's custom attributes",
        "attributes": [
            {"name": "tag", "type": "string", "multiValued": false, "required": false,
             "caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
            {"name": "folders", "type": "string", "multiValued": true, "required": false,
             "caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": "none"}
        ]
    });
    let file = std::env::temp_dir().join(format!(
        "scim-extension-{}.json",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(&file, schema.to_string()).expect("write the schema");
    let s = start(Command::new(BINARY).args([
        "--bind",
        "127.0.0.1:0",
        "--token",
        "ext-token",
        "--database-url",
        &database(),
        "--extension",
        file.to_str().expect("a UTF-8 path"),
    ]));
    let t = "ext-token";
    let (status, created) = call(&s, t, "POST", "/Users", &json!({"userName": "tagged"}));
    assert_eq!(status, 201, "{created}");
    let path = format!("/Users/{}", created["id"].as_str().expect("id"));
    let ops = json!([
        {"op": "Add", "path": format!("{urn}:tag"), "value": "701984"},
        {"op": "Add", "path": format!("{urn}:folders"), "value": ["Inbox", "Archive"]},
    ]);
    assert_eq!(call(&s, t, "PATCH", &path, &patch(&ops)).0, 200);
    let (_, read) = call(&s, t, "GET", &path, &Value::Null);
    assert_eq!(
        read[urn],
        json!({"tag": "701984", "folders": ["Inbox", "Archive"]})
    );
    assert!(
        read["schemas"]
            .as_array()
            .expect("schemas")
            .contains(&json!(urn))
    );
    let (status, found) = call(
        &s,
        t,
        "GET",
        &filtered("/Users", &format!("{urn}:tag eq \"701984\"")),
        &Value::Null,
    );
    assert_eq!(
        (status, found["totalResults"].clone()),
        (200, json!(1)),
        "{found}"
    );
    let (status, _) = call(&s, t, "GET", &format!("/Schemas/{urn}"), &Value::Null);
    assert_eq!(status, 200, "the extension is advertised");
}

/// `--rate-limit N`: N requests a minute per tenant, in bursts of N; the next is `429`.
#[test]
fn rate_limit_option() {
    let db = database();
    let mut command = Command::new(BINARY);
    command.args([
        "--bind",
        "127.0.0.1:0",
        "--database-url",
        &db,
        "--token",
        "limited-token",
        "--rate-limit",
        "2",
    ]);
    let s = start_test::start(&mut command);
    for _ in 0..2 {
        let (status, body) = call(&s, "limited-token", "GET", "/Users", &Value::Null);
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = call(&s, "limited-token", "GET", "/Users", &Value::Null);
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["status"], "429", "{body}");
}

/// A password a client sends (create, replace, PATCH) is never written to the database: the
/// server has no use for it, and the files hold no trace of it.
#[test]
fn passwords_are_not_stored() {
    let path = std::env::temp_dir().join(format!("scim-pw-{}.db", uuid::Uuid::new_v4().simple()));
    let db = format!("sqlite://{}", path.display());
    let s = server(&db, Some("pw-token"));
    let (status, user) = call(
        &s,
        "pw-token",
        "POST",
        "/Users",
        &json!({"userName": "pw", "password": "Create-Secret-1"}),
    );
    assert_eq!(status, 201, "{user}");
    let id = user["id"].as_str().expect("id");
    let (status, body) = call(
        &s,
        "pw-token",
        "PUT",
        &format!("/Users/{id}"),
        &json!({"userName": "pw", "password": "Replace-Secret-2"}),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(
        &s,
        "pw-token",
        "PATCH",
        &format!("/Users/{id}"),
        &patch(&json!([{"op": "replace", "path": "password", "value": "Patch-Secret-3"}])),
    );
    assert!(status == 200 || status == 204, "{body}");
    drop(s);
    let mut files = Vec::new();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
        if let Ok(bytes) = std::fs::read(&file) {
            files.push(file.display().to_string());
            for secret in ["Create-Secret-1", "Replace-Secret-2", "Patch-Secret-3"] {
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "{secret} is in {}",
                    file.display()
                );
            }
        }
    }
    assert!(!files.is_empty(), "the database file exists");
}

/// The admin commands say what they did, and a name that does not exist (a typo) is an
/// error, not a silent success.
#[test]
fn admin_commands_confirm_and_refuse_typos() {
    let db = database();
    let admin = |args: &[&str]| {
        let output = Command::new(BINARY)
            .args(["--database-url", &db])
            .args(args)
            .output()
            .expect("the command runs");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (ok, out, err) = admin(&["tenants", "create", "acme"]);
    assert!(ok, "{err}");
    assert!(out.contains("Secret token: scim_"), "{out}");
    let (ok, out, _) = admin(&["tenants", "disable", "acme", "Upgrade first."]);
    assert!(ok && out.contains("Tenant acme disabled"), "{out}");
    let (ok, out, _) = admin(&["tenants", "enable", "acme"]);
    assert!(ok && out.contains("Tenant acme enabled"), "{out}");
    let (ok, _, err) = admin(&["tenants", "disable", "acmee"]);
    assert!(!ok && err.contains("error: no tenant \"acmee\""), "{err}");
    let (ok, out, _) = admin(&["tokens", "list", "acme"]);
    assert!(ok, "{out}");
    let id = out.split('\t').next().expect("a token id").to_owned();
    let (ok, out, err) = admin(&["tokens", "revoke", &id]);
    assert!(ok && out.contains("revoked"), "{out}{err}");
    let (ok, _, err) = admin(&["tokens", "revoke", "no-such-id"]);
    assert!(!ok && err.contains("no token"), "{err}");
    let (ok, _, err) = admin(&["tenant", "create", "x"]);
    assert!(!ok && err.contains("the commands are"), "{err}");
}
