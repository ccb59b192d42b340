//! The `joinery` binary itself: first-run welcome, `api-keys create`, and graceful shutdown.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use joinery_domain::tokens::api_key_is_well_formed;
use serde_json::json;

use crate::support::{Backend, TestDb, minimal_request, postgres_admin_url};

fn joinery(db: &TestDb) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_joinery"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("JOINERY_DATA_DIR", db.dir.path())
        .env("JOINERY_DATABASE_URL", &db.url)
        .env("JOINERY_LOG", "warn");
    cmd
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn wait_healthy(base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(res) = reqwest::get(format!("{base}/api/health")).await
            && res.status() == 200
        {
            return;
        }
        assert!(Instant::now() < deadline, "server did not become healthy");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn api_keys_create_then_serve(backend: Backend) {
    let db = TestDb::new(backend).await;
    let out = joinery(&db).args(["api-keys", "create", "--organization", "Acme Inc"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "stdout is the key alone: {stdout:?}");
    let key = stdout.trim().to_owned();
    assert!(api_key_is_well_formed(&key), "{key}");
    // The secret was generated into the data directory, readable by its owner only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(db.dir.path().join("secret.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let port = free_port();
    let mut server = joinery(&db)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_healthy(&base).await;
    let res = reqwest::Client::new()
        .post(format!("{base}/api/hris/v1/link-token"))
        .bearer_auth(&key)
        .json(&minimal_request())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // SIGTERM: the server finishes and exits cleanly; it printed no welcome (an organization existed).
    let pid = server.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "server ignored SIGTERM");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "{status}");
    let mut printed = String::new();
    std::io::Read::read_to_string(&mut server.stdout.take().unwrap(), &mut printed).unwrap();
    assert!(!printed.contains("jny_sk_"), "{printed}");
    db.drop_database().await;
}

#[tokio::test]
async fn sqlite_api_keys_create_then_serve() {
    api_keys_create_then_serve(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_api_keys_create_then_serve() {
    if postgres_admin_url().is_none() {
        eprintln!("skipped: JOINERY_TEST_POSTGRES_URL not set");
        return;
    }
    api_keys_create_then_serve(Backend::Postgres).await;
}

/// The very first `serve` on the embedded default prints a working key and a curl example.
#[tokio::test]
async fn first_serve_prints_a_working_key_and_curl_example() {
    let db = TestDb::new(Backend::Sqlite).await;
    let port = free_port();
    let mut cmd = joinery(&db);
    // Nothing but the data directory: the default database location is used.
    cmd.env_remove("JOINERY_DATABASE_URL").env("JOINERY_LISTEN", format!("127.0.0.1:{port}"));
    let mut server = cmd.arg("serve").stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut stdout = BufReader::new(server.stdout.take().unwrap());
    let base = format!("http://127.0.0.1:{port}");
    let mut welcome = String::new();
    let key = loop {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "stdout closed before a key was printed: {welcome}");
        welcome.push_str(&line);
        if let Some(k) = line.split_whitespace().find(|w| w.starts_with("jny_sk_")) {
            break k.to_owned();
        }
    };
    assert!(db.dir.path().join("joinery.db").exists(), "default database in the data directory");
    wait_healthy(&base).await;
    let res = reqwest::Client::new()
        .post(format!("{base}/api/hris/v1/link-token"))
        .bearer_auth(&key)
        .json(&json!({"end_user_email_address": "ada@example.com", "end_user_organization_name": "Example Corp",
                      "end_user_origin_id": "user-1", "categories": ["hris"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut rest = String::new();
    while welcome.matches('\n').count() < 20 {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            break;
        }
        rest.push_str(&line);
        if line.contains("api-keys create") {
            break;
        }
    }
    let full = welcome + &rest;
    assert!(full.contains(&format!("curl -s -X POST {base}/api/hris/v1/link-token")), "{full}");
    assert!(full.contains(&format!("Authorization: Bearer {key}")), "{full}");
    server.kill().ok();
    server.wait().ok();
}

#[test]
fn openapi_command_prints_the_document() {
    let out = Command::new(env!("CARGO_BIN_EXE_joinery")).arg("openapi").output().unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["paths"]["/api/{category}/v1/link-token"]["post"].is_object());
}

#[test]
fn bad_configuration_is_reported_not_panicked() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_joinery"))
        .env("JOINERY_DATA_DIR", dir.path())
        .env("JOINERY_LISTEN", "nonsense")
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr).to_lowercase();
    assert!(stderr.contains("listen") && !stderr.contains("panicked"), "{stderr}");
}

#[tokio::test]
async fn sync_interval_is_set_per_organization() {
    let db = TestDb::new(Backend::Sqlite).await;
    let out = joinery(&db).args(["sync-interval", "--organization", "acme", "--hours", "0"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--hours must be at least 1"));
    let out = joinery(&db).args(["sync-interval", "--organization", "acme", "--hours", "6"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("acme syncs every 6 h"));
    let (storage, _) = joinery::server::open(&db.config()).await.unwrap();
    let interval: Option<i64> = sqlx::query_scalar("SELECT sync_interval_secs FROM organizations WHERE name = 'acme'")
        .fetch_one(&sqlx::SqlitePool::connect(&db.url).await.unwrap())
        .await
        .unwrap();
    assert_eq!(interval, Some(6 * 3600));
    storage.close().await;
    let out = joinery(&db).args(["sync-interval", "--organization", "acme"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("default interval"));
}
