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
                for table in [
                    "organizations",
                    "api_keys",
                    "link_tokens",
                    "organization_disabled_integrations",
                    "linked_accounts",
                    "public_tokens",
                    "oauth_attempts",
                ] {
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

/// Fixtures of the provider emulators the link tests run against.
pub mod fixtures {
    pub const BAMBOO_DOMAIN: &str = "acme";
    pub const BAMBOO_KEY: &str = "1111111111111111111111111111111111111111";
    /// A second key of the same company (a relink with new credentials).
    pub const BAMBOO_KEY_2: &str = "2222222222222222222222222222222222222222";
    /// A key whose user may not see employees.
    pub const BAMBOO_KEY_LIMITED: &str = "3333333333333333333333333333333333333333";
    pub const GUSTO_CLIENT_ID: &str = "test-client";
    pub const GUSTO_CLIENT_SECRET: &str = "test-secret";
    pub const GUSTO_EMAIL: &str = "admin@acme.example";
    pub const GUSTO_PASSWORD: &str = "pw";
    pub const GUSTO_COMPANY: &str = "c0ffee00-0000-4000-8000-000000000001";
    /// The public URL the server is started with, so the OAuth redirect URI is known before
    /// the port is; tests send the callback to the real address themselves.
    pub const PUBLIC_URL: &str = "http://joinery.test";
}

/// A server whose BambooHR and Gusto connectors talk to local emulators.
pub struct LinkTestServer {
    pub t: TestServer,
    pub bamboohr: joinery_emulators::RunningEmulator,
    pub gusto: joinery_emulators::RunningEmulator,
    /// The Gusto emulator's data and grants.
    pub gusto_world: joinery_emulators::gusto::World,
}

impl std::ops::Deref for LinkTestServer {
    type Target = TestServer;
    fn deref(&self) -> &TestServer {
        &self.t
    }
}

impl LinkTestServer {
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, false).await
    }

    /// `no_worker`: the server runs no sync worker (syncs wait for `joinery worker` processes).
    pub async fn start_with(backend: Backend, no_worker: bool) -> Self {
        Self::start_with_gusto_ttl(backend, no_worker, 7200).await
    }

    /// [`start_with`](Self::start_with), the Gusto emulator issuing access tokens that live
    /// `access_token_ttl_secs`.
    pub async fn start_with_gusto_ttl(backend: Backend, no_worker: bool, access_token_ttl_secs: u64) -> Self {
        use fixtures::*;
        use joinery_emulators::{bamboohr, gusto};
        let loopback = "127.0.0.1:0".parse().unwrap();
        let key = |key: &str, access| bamboohr::ApiKey { key: key.into(), access };
        let bamboo = bamboohr::start(
            bamboohr::Config {
                companies: vec![bamboohr::Company {
                    domain: BAMBOO_DOMAIN.into(),
                    name: "Acme".into(),
                    employees: 3,
                    seed: 1,
                    api_keys: vec![
                        key(BAMBOO_KEY, bamboohr::Access::Full),
                        key(BAMBOO_KEY_2, bamboohr::Access::Full),
                        key(BAMBOO_KEY_LIMITED, bamboohr::Access::NoEmployeeAccess),
                    ],
                    rate_limit: None,
                }],
            },
            loopback,
        )
        .await
        .unwrap();
        let (gusto, gusto_world) = gusto::start_with_world(
            gusto::Config {
                clients: vec![gusto::OAuthClient {
                    client_id: GUSTO_CLIENT_ID.into(),
                    client_secret: GUSTO_CLIENT_SECRET.into(),
                    redirect_uris: vec![format!("{PUBLIC_URL}/link/oauth/callback")],
                }],
                companies: vec![gusto::Company {
                    uuid: GUSTO_COMPANY.into(),
                    name: "Acme Payroll".into(),
                    employees: 3,
                    seed: 1,
                    admins: vec![gusto::User {
                        uuid: "c0ffee00-0000-4000-8000-0000000000aa".into(),
                        email: GUSTO_EMAIL.into(),
                        password: GUSTO_PASSWORD.into(),
                    }],
                }],
                access_token_ttl_secs,
            },
            loopback,
        )
        .await
        .unwrap();
        let db = TestDb::new(backend).await;
        let mut config = db.config();
        config.no_worker = no_worker;
        config.public_url = Some(url::Url::parse(PUBLIC_URL).unwrap());
        let provider = |base: &str| joinery::config::ProviderConfig {
            base_url: Some(url::Url::parse(base).unwrap()),
            ..Default::default()
        };
        config.providers.insert("bamboohr".into(), provider(&bamboo.base_url));
        config.providers.insert(
            "gusto".into(),
            joinery::config::ProviderConfig {
                client_id: Some(GUSTO_CLIENT_ID.into()),
                client_secret: Some(GUSTO_CLIENT_SECRET.into()),
                ..provider(&gusto.base_url)
            },
        );
        let server = start(&config, std::future::pending()).await.expect("server starts");
        let key = server.bootstrap_key.clone().expect("an empty database bootstraps a key");
        let base = format!("http://{}", server.addr);
        let t = TestServer {
            db,
            server,
            base,
            key,
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
        };
        LinkTestServer { t, bamboohr: bamboo, gusto, gusto_world }
    }

    pub async fn stop(self) {
        self.t.stop().await;
        self.bamboohr.shutdown().await;
        self.gusto.shutdown().await;
    }

    /// A new link token for `origin_id` (with `extra` members), minted with `key`.
    pub async fn link_token_for(&self, key: &str, origin_id: &str, extra: Value) -> String {
        let mut body = request_with(extra);
        body["end_user_origin_id"] = Value::String(origin_id.into());
        let (status, body) = self.post_link_token("/api/hris/v1/link-token", key, &body).await;
        assert_eq!(status, 200, "{body}");
        body["link_token"].as_str().unwrap().to_owned()
    }

    pub async fn link_get(&self, path: &str, link_token: &str) -> (u16, Value) {
        json(self.request(Method::GET, path).header("X-Link-Token", link_token).send().await.unwrap()).await
    }

    pub async fn link_post(&self, path: &str, link_token: &str, body: &Value) -> (u16, Value) {
        json(self.request(Method::POST, path).header("X-Link-Token", link_token).json(body).send().await.unwrap()).await
    }

    /// Links BambooHR with `api_key` through the JSON API; returns the public token.
    pub async fn connect_bamboohr(&self, link_token: &str, api_key: &str) -> String {
        let body = serde_json::json!({
            "integration": "bamboohr",
            "credentials": {"company_domain": fixtures::BAMBOO_DOMAIN, "api_key": api_key},
        });
        let (status, body) = self.link_post("/api/link/v1/connect", link_token, &body).await;
        assert_eq!(status, 200, "{body}");
        body["public_token"].as_str().unwrap().to_owned()
    }

    /// Links the BambooHR company for `origin` and exchanges the public token: the linked
    /// account's id and account token.
    pub async fn link_account(&self, origin: &str) -> (uuid::Uuid, String) {
        let token = self.link_token_for(&self.key, origin, serde_json::json!({})).await;
        let (_, exchanged) = self.exchange(&self.key, &self.connect_bamboohr(&token, fixtures::BAMBOO_KEY).await).await;
        (
            uuid::Uuid::parse_str(exchanged["id"].as_str().unwrap()).unwrap(),
            exchanged["account_token"].as_str().unwrap().to_owned(),
        )
    }

    /// Exchanges a public token with `key`: (status, body).
    pub async fn exchange(&self, key: &str, public_token: &str) -> (u16, Value) {
        let path = format!("/api/hris/v1/account-token/{public_token}");
        json(self.request(Method::GET, &path).bearer_auth(key).send().await.unwrap()).await
    }

    /// A request with the API key and an account token.
    pub fn with_account(&self, method: Method, path: &str, account_token: &str) -> RequestBuilder {
        self.authed(method, path).header("X-Account-Token", account_token)
    }

    /// Walks the Gusto consent page as the end user would: returns the callback URL the
    /// provider redirects to, pointed at the real server.
    pub async fn gusto_consent(&self, authorize_url: &str, decision: &str) -> String {
        let page = self.http.get(authorize_url).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let url = url::Url::parse(authorize_url).unwrap();
        let mut form: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        form.push(("email".into(), fixtures::GUSTO_EMAIL.into()));
        form.push(("password".into(), fixtures::GUSTO_PASSWORD.into()));
        form.push(("decision".into(), decision.into()));
        let origin = format!("{}://{}", url.scheme(), url.host_str().unwrap());
        let origin = format!("{origin}:{}", url.port().unwrap());
        let res = self.http.post(format!("{origin}/oauth/authorize")).form(&form).send().await.unwrap();
        assert_eq!(res.status(), 302, "consent: {}", res.text().await.unwrap());
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        let rest = location.strip_prefix(fixtures::PUBLIC_URL).expect("redirects to Joinery's callback");
        format!("{}{rest}", self.base)
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
