//! Test harness: the real server, started in-process on port 0 against an isolated database
//! (a temporary SQLite file, or a fresh PostgreSQL database created for the test and dropped
//! after it).

use std::path::PathBuf;

use joinery::config::Config;
use joinery::{RunningServer, start};
use joinery_storage::Storage;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;
use sqlx::Connection;

pub const POSTGRES_ENV: &str = "JOINERY_TEST_POSTGRES_URL";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates one `#[tokio::test]` per backend for each listed `async fn(Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test] async fn $name() { super::$name($crate::support::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test] async fn $name() {
                if $crate::support::postgres_admin_url().is_none() {
                    eprintln!("skipped: {} not set", $crate::support::POSTGRES_ENV);
                    return;
                }
                super::$name($crate::support::Backend::Postgres).await
            } )*
        }
    };
}

pub fn postgres_admin_url() -> Option<String> {
    std::env::var(POSTGRES_ENV).ok().filter(|s| !s.is_empty())
}

/// An isolated database plus the directory for the server's data.
pub struct TestDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("joinery.db").display());
                TestDb { url, dir, pg: None }
            }
            Backend::Postgres => {
                let admin = postgres_admin_url().expect("postgres tests need JOINERY_TEST_POSTGRES_URL");
                let name = format!("joinery_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect to the PostgreSQL admin URL");
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
                conn.close().await.ok();
                let mut url = url::Url::parse(&admin).unwrap();
                url.set_path(&format!("/{name}"));
                TestDb { url: url.to_string(), dir, pg: Some((admin, name)) }
            }
        }
    }

    /// Drops a PostgreSQL test database (SQLite files go with the temporary directory).
    pub async fn drop_database(&self) {
        if let Some((admin, name)) = &self.pg {
            let mut conn = sqlx::PgConnection::connect(admin).await.unwrap();
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await.unwrap();
            conn.close().await.ok();
        }
    }

    pub fn config(&self) -> Config {
        Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            database_url: Some(self.url.clone()),
            data_dir: self.dir.path().to_path_buf(),
            secret_key: Some("5e".repeat(32)),
            ..Config::default()
        }
    }

    /// Every byte the database keeps about the given tables, as text, for leak checks.
    pub async fn dump(&self) -> String {
        match &self.pg {
            None => {
                let mut out = String::new();
                for entry in std::fs::read_dir(self.dir.path()).unwrap() {
                    let path: PathBuf = entry.unwrap().path();
                    if path.file_name().unwrap().to_string_lossy().starts_with("joinery.db") {
                        out.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
                    }
                }
                out
            }
            Some(_) => {
                let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
                let mut out = String::new();
                for table in ["organizations", "api_keys", "link_tokens", "organization_disabled_integrations"] {
                    let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT t::text FROM {table} t"))
                        .fetch_all(&mut conn)
                        .await
                        .unwrap();
                    out.push_str(&rows.join("\n"));
                }
                conn.close().await.ok();
                out
            }
        }
    }
}

/// A running server with a ready API key for the `default` organization.
pub struct TestServer {
    pub db: TestDb,
    pub server: RunningServer,
    pub base: String,
    pub key: String,
    pub http: reqwest::Client,
}

impl TestServer {
    pub async fn start(backend: Backend) -> Self {
        let db = TestDb::new(backend).await;
        let server = start(&db.config(), std::future::pending()).await.expect("server starts");
        let key = server.bootstrap_key.clone().expect("an empty database bootstraps a key");
        let base = format!("http://{}", server.addr);
        TestServer { db, server, base, key, http: reqwest::Client::new() }
    }

    pub fn storage(&self) -> &Storage {
        &self.server.storage
    }

    /// A second organization with its own key.
    pub async fn new_org_key(&self, name: &str) -> String {
        let (storage, hasher) = joinery::server::open(&self.db.config()).await.unwrap();
        let key = joinery::server::create_api_key(&storage, &hasher, name).await.unwrap();
        storage.close().await;
        key
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{}", self.base, path))
    }

    pub fn authed(&self, method: Method, path: &str) -> RequestBuilder {
        self.request(method, path).bearer_auth(&self.key)
    }

    pub async fn post_link_token(&self, path: &str, key: &str, body: &Value) -> (u16, Value) {
        let res = self.request(Method::POST, path).bearer_auth(key).json(body).send().await.unwrap();
        json(res).await
    }

    pub async fn stop(self) {
        self.server.shutdown().await.expect("clean shutdown");
        self.db.drop_database().await;
    }
}

pub async fn json(res: Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, value)
}

pub fn minimal_request() -> Value {
    serde_json::json!({
        "end_user_email_address": "ada@example.com",
        "end_user_organization_name": "Example Corp",
        "end_user_origin_id": "user-1",
        "categories": ["hris"],
    })
}

/// `minimal_request()` with `extra`'s members set (a `null` member is sent as null).
pub fn request_with(extra: Value) -> Value {
    let mut v = minimal_request();
    v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    v
}

/// `minimal_request()` without `field`.
pub fn request_without(field: &str) -> Value {
    let mut v = minimal_request();
    v.as_object_mut().unwrap().remove(field);
    v
}
