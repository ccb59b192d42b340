//! The Gusto emulator over HTTP. In the crate so tests can move the emulator's clock instead of
//! sleeping through code, token and rate-limit lifetimes.

use std::collections::HashSet;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::Value;

use super::{Company, Config, OAuthClient, User, World, router_with_world};
use crate::{Clock, Faults, RunningEmulator};

const CLIENT: &str = "client-a";
const SECRET: &str = "secret-a";
const OTHER_CLIENT: &str = "client-b";
const OTHER_SECRET: &str = "secret-b";
const REDIRECT: &str = "http://app.test/callback?from=gusto";

fn company(uuid: &str, employees: usize, admin: &str) -> Company {
    Company {
        uuid: uuid.to_owned(),
        name: format!("Company {uuid}"),
        employees,
        seed: employees as u64 + 1,
        admins: vec![User {
            uuid: format!("{uuid}-admin"),
            email: format!("{admin}@example.com"),
            password: format!("pw-{admin}"),
        }],
    }
}

fn config(ttl: u64) -> Config {
    Config {
        clients: vec![
            OAuthClient {
                client_id: CLIENT.into(),
                client_secret: SECRET.into(),
                redirect_uris: vec![REDIRECT.into()],
            },
            OAuthClient {
                client_id: OTHER_CLIENT.into(),
                client_secret: OTHER_SECRET.into(),
                // No path: a URL parser would add a `/`, which must not change what is matched.
                redirect_uris: vec!["http://other.test".into()],
            },
        ],
        companies: vec![
            company("c-30", 30, "alice"),
            company("c-0", 0, "zero"),
            company("c-1", 1, "one"),
            company("c-50", 50, "fifty"),
            company("c-200", 200, "many"),
        ],
        access_token_ttl_secs: ttl,
    }
}

struct Emulator {
    emu: RunningEmulator,
    clock: Clock,
    world: World,
    http: reqwest::Client,
}

async fn start_ttl(ttl: u64) -> Emulator {
    let (faults, clock) = (Faults::default(), Clock::default());
    let (router, world) = router_with_world(config(ttl), faults.clone(), clock.clone());
    let emu = crate::serve(router, "127.0.0.1:0".parse().unwrap(), faults).await.unwrap();
    let http = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    Emulator { emu, clock, world, http }
}

async fn start() -> Emulator {
    start_ttl(7200).await
}

fn query(location: &str) -> Vec<(String, String)> {
    let url = url::Url::parse(location).unwrap();
    url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn param(pairs: &[(String, String)], key: &str) -> Option<String> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

impl Emulator {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emu.base_url)
    }

    async fn decide(&self, form: &[(&str, &str)]) -> reqwest::Response {
        self.http.post(self.url("/oauth/authorize")).form(form).send().await.unwrap()
    }

    /// Signs in as `admin` and allows `CLIENT`; returns the code.
    async fn code_for(&self, admin: &str) -> String {
        let password = format!("pw-{admin}");
        let email = format!("{admin}@example.com");
        let response = self
            .decide(&[
                ("client_id", CLIENT),
                ("redirect_uri", REDIRECT),
                ("response_type", "code"),
                ("state", "xyz"),
                ("email", &email),
                ("password", &password),
                ("decision", "allow"),
            ])
            .await;
        assert_eq!(response.status(), StatusCode::FOUND);
        let pairs = query(response.headers()["location"].to_str().unwrap());
        param(&pairs, "code").unwrap()
    }

    async fn exchange(&self, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self.http.post(self.url("/oauth/token")).form(form).send().await.unwrap();
        (response.status(), response.json().await.unwrap())
    }

    async fn tokens_for(&self, admin: &str) -> Value {
        let code = self.code_for(admin).await;
        let (status, body) = self
            .exchange(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", CLIENT),
                ("client_secret", SECRET),
                ("redirect_uri", REDIRECT),
            ])
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    async fn api(&self, path: &str, token: &str) -> reqwest::Response {
        self.http.get(self.url(path)).bearer_auth(token).send().await.unwrap()
    }

    async fn refresh(&self, refresh_token: &str, client: &str, secret: &str) -> (StatusCode, Value) {
        self.exchange(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", client),
            ("client_secret", secret),
        ])
        .await
    }
}

fn token(body: &Value, key: &str) -> String {
    body[key].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_authorize_page_is_a_labelled_sign_in_form() {
    let emu = start().await;
    let response = emu
        .http
        .get(emu.url("/oauth/authorize"))
        .query(&[("client_id", CLIENT), ("redirect_uri", REDIRECT), ("response_type", "code"), ("state", "s<1>")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    for needle in [
        "<label for=\"email\">",
        "id=\"email\" name=\"email\"",
        "<label for=\"password\">",
        "id=\"password\" name=\"password\" type=\"password\"",
        "name=\"decision\" value=\"allow\">Allow</button>",
        "name=\"decision\" value=\"deny\" formnovalidate>Deny</button>",
        "name=\"state\" value=\"s&lt;1&gt;\"",
        "name=\"client_id\" value=\"client-a\"",
    ] {
        assert!(html.contains(needle), "missing {needle} in {html}");
    }
}

#[tokio::test]
async fn unknown_clients_and_unregistered_redirects_get_an_error_page_not_a_redirect() {
    let emu = start().await;
    let cases = [
        vec![("client_id", "nobody"), ("redirect_uri", REDIRECT), ("response_type", "code")],
        vec![("client_id", CLIENT), ("redirect_uri", "http://evil.test/cb"), ("response_type", "code")],
        vec![("client_id", CLIENT), ("redirect_uri", "http://other.test"), ("response_type", "code")],
        vec![("redirect_uri", REDIRECT), ("response_type", "code")],
        vec![("client_id", CLIENT), ("response_type", "code")],
    ];
    for case in cases {
        let page = emu.http.get(emu.url("/oauth/authorize")).query(&case).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::BAD_REQUEST, "{case:?}");
        assert!(page.headers().get("location").is_none());
        assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let mut form = case.clone();
        form.extend([("email", "alice@example.com"), ("password", "pw-alice"), ("decision", "allow")]);
        let decision = emu.decide(&form).await;
        assert_eq!(decision.status(), StatusCode::BAD_REQUEST, "{form:?}");
        assert!(decision.headers().get("location").is_none());
    }
}

#[tokio::test]
async fn a_bad_response_type_is_reported_to_the_client_by_redirect() {
    let emu = start().await;
    let response = emu
        .http
        .get(emu.url("/oauth/authorize"))
        .query(&[("client_id", CLIENT), ("redirect_uri", REDIRECT), ("response_type", "token"), ("state", "s1")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let pairs = query(response.headers()["location"].to_str().unwrap());
    assert_eq!(param(&pairs, "error").as_deref(), Some("unsupported_response_type"));
    assert_eq!(param(&pairs, "state").as_deref(), Some("s1"));
}

#[tokio::test]
async fn wrong_credentials_show_the_form_again() {
    let emu = start().await;
    let response = emu
        .decide(&[
            ("client_id", CLIENT),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("state", "xyz"),
            ("email", "alice@example.com"),
            ("password", "wrong"),
            ("decision", "allow"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().get("location").is_none());
    let html = response.text().await.unwrap();
    assert!(html.contains("Invalid email or password"));
    assert!(html.contains("value=\"alice@example.com\""), "the email is kept");
    assert!(html.contains("name=\"state\" value=\"xyz\""), "the request is kept");
}

#[tokio::test]
async fn deny_redirects_with_access_denied_and_the_state() {
    let emu = start().await;
    let response = emu
        .decide(&[
            ("client_id", CLIENT),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("state", "xyz"),
            ("decision", "deny"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("http://app.test/callback?"));
    let pairs = query(location);
    assert_eq!(param(&pairs, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&pairs, "state").as_deref(), Some("xyz"));
    assert_eq!(param(&pairs, "from").as_deref(), Some("gusto"), "the redirect URI's own query is kept");
    assert_eq!(param(&pairs, "code"), None);
}

#[tokio::test]
async fn the_authorization_code_flow_grants_the_admins_company() {
    let emu = start().await;
    let response = emu
        .decide(&[
            ("client_id", CLIENT),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("state", "xyz"),
            ("email", "ALICE@example.com"),
            ("password", "pw-alice"),
            ("decision", "allow"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let pairs = query(response.headers()["location"].to_str().unwrap());
    assert_eq!(param(&pairs, "state").as_deref(), Some("xyz"));
    assert_eq!(param(&pairs, "from").as_deref(), Some("gusto"));
    let code = param(&pairs, "code").unwrap();

    // JSON body this time; the form body is covered by `tokens_for`.
    let response = emu
        .http
        .post(emu.url("/oauth/token"))
        .json(&serde_json::json!({
            "grant_type": "authorization_code",
            "code": code,
            "client_id": CLIENT,
            "client_secret": SECRET,
            "redirect_uri": REDIRECT,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "bearer");
    assert_eq!(tokens["expires_in"], 7200);
    assert_eq!(token(&tokens, "access_token").len(), 43);
    assert!(tokens["refresh_token"].is_string() && tokens["scope"].is_string());
    let created_at = tokens["created_at"].as_u64().unwrap();
    assert!(created_at.abs_diff(emu.clock.unix_secs()) < 5);

    let info: Value = emu.api("/v1/token_info", &token(&tokens, "access_token")).await.json().await.unwrap();
    assert_eq!(info["resource"], serde_json::json!({ "type": "Company", "uuid": "c-30" }));
    assert_eq!(info["resource_owner"], serde_json::json!({ "type": "CompanyAdmin", "uuid": "c-30-admin" }));
    assert_eq!(info["scope"], tokens["scope"]);

    let company = emu.api("/v1/companies/c-30", &token(&tokens, "access_token")).await;
    assert_eq!(company.status(), StatusCode::OK);
    let company: Value = company.json().await.unwrap();
    assert_eq!(company["uuid"], "c-30");
    assert_eq!(company["name"], "Company c-30");
    assert!(company["locations"].as_array().is_some_and(|l| !l.is_empty()));
}

#[tokio::test]
async fn codes_are_single_use_and_bound_to_client_and_redirect_uri() {
    let emu = start().await;
    let exchange = |code: String, client: &'static str, secret: &'static str, redirect: &'static str| {
        let emu = &emu;
        async move {
            emu.exchange(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", client),
                ("client_secret", secret),
                ("redirect_uri", redirect),
            ])
            .await
        }
    };
    let code = emu.code_for("alice").await;
    let (status, body) = exchange(code.clone(), CLIENT, SECRET, "http://app.test/callback").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "other redirect_uri"
    );
    let (status, body) = exchange(code.clone(), OTHER_CLIENT, OTHER_SECRET, REDIRECT).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "other client");
    let (status, _) = exchange(code.clone(), CLIENT, SECRET, REDIRECT).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = exchange(code, CLIENT, SECRET, REDIRECT).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "reused");
    assert!(body["error_description"].is_string());
    let (status, body) = exchange("made-up".into(), CLIENT, SECRET, REDIRECT).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
}

#[tokio::test]
async fn redirect_uris_are_matched_as_sent() {
    let emu = start().await;
    let page = emu
        .http
        .get(emu.url("/oauth/authorize"))
        .query(&[("client_id", OTHER_CLIENT), ("redirect_uri", "http://other.test"), ("response_type", "code")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("name=\"redirect_uri\" value=\"http://other.test\""), "{page}");
    let allowed = emu
        .decide(&[
            ("client_id", OTHER_CLIENT),
            ("redirect_uri", "http://other.test"),
            ("response_type", "code"),
            ("email", "alice@example.com"),
            ("password", "pw-alice"),
            ("decision", "allow"),
        ])
        .await;
    assert_eq!(allowed.status(), StatusCode::FOUND);
    let code = param(&query(allowed.headers()["location"].to_str().unwrap()), "code").unwrap();
    let (status, body) = emu
        .exchange(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", OTHER_CLIENT),
            ("client_secret", OTHER_SECRET),
            ("redirect_uri", "http://other.test"),
        ])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn codes_expire_after_ten_minutes() {
    let emu = start().await;
    let fresh = emu.code_for("alice").await;
    let stale = emu.code_for("alice").await;
    emu.clock.advance(Duration::from_secs(599));
    let exchange = |code: String| {
        let emu = &emu;
        async move {
            emu.exchange(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", CLIENT),
                ("client_secret", SECRET),
                ("redirect_uri", REDIRECT),
            ])
            .await
        }
    };
    assert_eq!(exchange(fresh).await.0, StatusCode::OK);
    emu.clock.advance(Duration::from_secs(2));
    let (status, body) = exchange(stale).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
}

#[tokio::test]
async fn token_endpoint_errors_follow_rfc_6749() {
    let emu = start().await;
    let code = emu.code_for("alice").await;
    let (status, body) = emu
        .exchange(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", CLIENT),
            ("client_secret", "nope"),
        ])
        .await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
    let (status, body) = emu.exchange(&[("grant_type", "authorization_code"), ("code", &code)]).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
    let (status, body) =
        emu.exchange(&[("grant_type", "password"), ("client_id", CLIENT), ("client_secret", SECRET)]).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("unsupported_grant_type")));
    let (status, body) = emu.exchange(&[("client_id", CLIENT), ("client_secret", SECRET)]).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")));
    let (status, body) =
        emu.exchange(&[("grant_type", "authorization_code"), ("client_id", CLIENT), ("client_secret", SECRET)]).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")));

    // Client credentials may come as HTTP Basic instead; a wrong pair there is a 401 with a challenge.
    let basic = |secret: &str| {
        emu.http
            .post(emu.url("/oauth/token"))
            .basic_auth(CLIENT, Some(secret))
            .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT)])
            .send()
    };
    let rejected = basic("nope").await.unwrap();
    assert_eq!(rejected.status(), StatusCode::UNAUTHORIZED);
    assert!(rejected.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    assert_eq!(basic(SECRET).await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn refreshing_rotates_both_tokens() {
    let emu = start().await;
    let first = emu.tokens_for("alice").await;
    let (status, second) = emu.refresh(&token(&first, "refresh_token"), CLIENT, SECRET).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_ne!(second["access_token"], first["access_token"]);
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(second["scope"], first["scope"]);
    assert_eq!(emu.api("/v1/token_info", &token(&second, "access_token")).await.status(), StatusCode::OK);
    assert_eq!(emu.api("/v1/token_info", &token(&first, "access_token")).await.status(), StatusCode::UNAUTHORIZED);
    let (status, body) = emu.refresh(&token(&first, "refresh_token"), CLIENT, SECRET).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "old refresh token");
    let (status, body) = emu.refresh(&token(&second, "refresh_token"), OTHER_CLIENT, OTHER_SECRET).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "another client's");
    let (status, _) = emu.refresh(&token(&second, "refresh_token"), CLIENT, SECRET).await;
    assert_eq!(status, StatusCode::OK, "still valid after the failed attempt");
}

#[tokio::test]
async fn access_tokens_expire_after_their_ttl_and_refresh_still_works() {
    let emu = start_ttl(1).await;
    let tokens = emu.tokens_for("alice").await;
    assert_eq!(tokens["expires_in"], 1);
    let access = token(&tokens, "access_token");
    assert_eq!(emu.api("/v1/token_info", &access).await.status(), StatusCode::OK);
    emu.clock.advance(Duration::from_secs(1));
    let expired = emu.api("/v1/token_info", &access).await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    let challenge = expired.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(challenge.starts_with("Bearer") && challenge.contains("error=\"invalid_token\""), "{challenge}");
    let body: Value = expired.json().await.unwrap();
    assert_eq!(body["errors"][0]["category"], "invalid_token");
    assert_eq!(body["errors"][0]["error_key"], "request");
    let (status, renewed) = emu.refresh(&token(&tokens, "refresh_token"), CLIENT, SECRET).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(emu.api("/v1/token_info", &token(&renewed, "access_token")).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn missing_and_unknown_bearer_tokens_are_401() {
    let emu = start().await;
    let missing = emu.http.get(emu.url("/v1/token_info")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(missing.headers()["www-authenticate"], "Bearer realm=\"Gusto\"");
    let unknown = emu.api("/v1/companies/c-30", "made-up").await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert!(unknown.headers().get("x-ratelimit-limit").is_none(), "no grant, no rate-limit window");
    let basic = emu.http.get(emu.url("/v1/token_info")).basic_auth("a", Some("b")).send().await.unwrap();
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_token_reads_only_its_own_company() {
    let emu = start().await;
    let access = token(&emu.tokens_for("alice").await, "access_token");
    for path in ["/v1/companies/c-50", "/v1/companies/c-50/employees", "/v1/companies/nope/employees"] {
        let response = emu.api(path, &access).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        let body: Value = response.json().await.unwrap();
        assert!(body["errors"][0]["category"].is_string());
    }
}

#[tokio::test]
async fn malformed_api_versions_are_406() {
    let emu = start().await;
    let access = token(&emu.tokens_for("alice").await, "access_token");
    let with_version = |version: &'static str| {
        emu.http.get(emu.url("/v1/token_info")).bearer_auth(&access).header("x-gusto-api-version", version).send()
    };
    let rejected = with_version("2023").await.unwrap();
    assert_eq!(rejected.status(), StatusCode::NOT_ACCEPTABLE);
    assert_eq!(rejected.json::<Value>().await.unwrap()["errors"][0]["category"], "invalid_api_version");
    assert_eq!(with_version("2025-06-15").await.unwrap().status(), StatusCode::OK);
}

fn header(response: &reqwest::Response, name: &str) -> Option<usize> {
    response.headers().get(name).map(|v| v.to_str().unwrap().parse().unwrap())
}

/// Pages through a company's employees with `per`, checking the headers; returns the uuids.
async fn walk(emu: &Emulator, access: &str, company: &str, per: usize, filter: &str) -> Vec<String> {
    let mut uuids = Vec::new();
    for page in 1.. {
        let response =
            emu.api(&format!("/v1/companies/{company}/employees?page={page}&per={per}{filter}"), access).await;
        assert_eq!(response.status(), StatusCode::OK);
        let total = header(&response, "x-total-count").unwrap();
        assert_eq!(header(&response, "x-page"), Some(page));
        assert_eq!(header(&response, "x-per-page"), Some(per));
        assert_eq!(header(&response, "x-total-pages"), Some(total.div_ceil(per)));
        let employees: Vec<Value> = response.json().await.unwrap();
        uuids.extend(employees.iter().map(|e| e["uuid"].as_str().unwrap().to_owned()));
        if page >= total.div_ceil(per) {
            assert_eq!(uuids.len(), total);
            let past_the_end: Vec<Value> = emu
                .api(&format!("/v1/companies/{company}/employees?page={}&per={per}{filter}", page + 1), access)
                .await
                .json()
                .await
                .unwrap();
            assert!(past_the_end.is_empty());
            return uuids;
        }
    }
    unreachable!()
}

#[tokio::test]
async fn employees_paginate_with_page_and_per() {
    let emu = start().await;
    for (admin, company, size) in [("alice", "c-30", 30), ("zero", "c-0", 0), ("one", "c-1", 1), ("fifty", "c-50", 50)]
    {
        let access = token(&emu.tokens_for(admin).await, "access_token");
        let everything = emu.api(&format!("/v1/companies/{company}/employees"), &access).await;
        assert!(everything.headers().get("x-page").is_none(), "no pagination headers without page");
        let everything: Vec<Value> = everything.json().await.unwrap();
        assert_eq!(everything.len(), size);
        let all: Vec<&str> = everything.iter().map(|e| e["uuid"].as_str().unwrap()).collect();
        assert_eq!(all.iter().collect::<HashSet<_>>().len(), size, "unique uuids");
        for per in [1, 7, 25, 50] {
            assert_eq!(walk(&emu, &access, company, per, "").await, all, "{company} per={per}");
        }
    }
}

#[tokio::test]
async fn per_defaults_to_25() {
    let emu = start().await;
    let access = token(&emu.tokens_for("alice").await, "access_token");
    let response = emu.api("/v1/companies/c-30/employees?page=2", &access).await;
    assert_eq!(header(&response, "x-per-page"), Some(25));
    assert_eq!(header(&response, "x-total-pages"), Some(2));
    let employees: Vec<Value> = response.json().await.unwrap();
    assert_eq!(employees.len(), 5);
    let first = &employees[0];
    assert_eq!(first["company_uuid"], "c-30");
    assert!(first["jobs"][0]["compensations"][0]["rate"].is_string());
}

#[tokio::test]
async fn employee_filters_apply_before_paging() {
    let emu = start().await;
    let access = token(&emu.tokens_for("many").await, "access_token");
    let all: Vec<Value> = emu.api("/v1/companies/c-200/employees", &access).await.json().await.unwrap();
    let terminated: Vec<String> =
        all.iter().filter(|e| e["terminated"] == true).map(|e| e["uuid"].as_str().unwrap().to_owned()).collect();
    assert!(!terminated.is_empty() && terminated.len() < all.len());
    assert_eq!(walk(&emu, &access, "c-200", 6, "&terminated=true").await, terminated);
    let picked = format!("&uuids={},{}", all[3]["uuid"].as_str().unwrap(), all[17]["uuid"].as_str().unwrap());
    assert_eq!(walk(&emu, &access, "c-200", 25, &picked).await.len(), 2);
    let last_name = all[0]["last_name"].as_str().unwrap().to_lowercase();
    let found = walk(&emu, &access, "c-200", 25, &format!("&search_term={last_name}")).await;
    assert!(found.contains(&all[0]["uuid"].as_str().unwrap().to_owned()));
}

#[tokio::test]
async fn the_rate_limit_is_200_a_minute_per_grant() {
    let emu = start().await;
    let tokens = emu.tokens_for("alice").await;
    let access = token(&tokens, "access_token");
    for n in 1..=200 {
        let response = emu.api("/v1/token_info", &access).await;
        assert_eq!(response.status(), StatusCode::OK, "request {n}");
        assert_eq!(header(&response, "x-ratelimit-limit"), Some(200));
        assert_eq!(header(&response, "x-ratelimit-remaining"), Some(200 - n));
        assert!(response.headers().get("retry-after").is_none());
        assert!(response.headers()["x-ratelimit-reset"].to_str().unwrap().ends_with(" +0000"));
    }
    emu.clock.advance(Duration::from_secs(20));
    let limited = emu.api("/v1/companies/c-30", &access).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after = header(&limited, "retry-after").unwrap();
    assert!((39..=40).contains(&retry_after), "seconds until the window resets: {retry_after}");
    assert_eq!(header(&limited, "x-ratelimit-remaining"), Some(0));

    // Refreshing does not open a new window: the limit belongs to the grant.
    let (_, renewed) = emu.refresh(&token(&tokens, "refresh_token"), CLIENT, SECRET).await;
    let renewed = token(&renewed, "access_token");
    assert_eq!(emu.api("/v1/token_info", &renewed).await.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another grant has its own window.
    let other = token(&emu.tokens_for("fifty").await, "access_token");
    assert_eq!(emu.api("/v1/token_info", &other).await.status(), StatusCode::OK);

    emu.clock.advance(Duration::from_secs(40));
    let reopened = emu.api("/v1/token_info", &renewed).await;
    assert_eq!(reopened.status(), StatusCode::OK);
    assert_eq!(header(&reopened, "x-ratelimit-remaining"), Some(199));
}

#[tokio::test]
async fn injected_faults_answer_any_path_first() {
    let emu = start().await;
    let tokens = emu.tokens_for("alice").await;
    let before = emu.emu.faults.requests();
    emu.emu.faults.rate_limit_next(1, 9);
    emu.emu.faults.fail_next(1, 500);
    let response = emu.http.post(emu.url("/oauth/token")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&response, "retry-after"), Some(9));
    assert_eq!(header(&response, "x-ratelimit-remaining"), Some(0));
    let failed = emu.api("/v1/token_info", &token(&tokens, "access_token")).await;
    assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(failed.json::<Value>().await.unwrap()["errors"][0]["category"], "internal_error");
    let (status, _) = emu.refresh(&token(&tokens, "refresh_token"), CLIENT, SECRET).await;
    assert_eq!(status, StatusCode::OK, "served normally once the faults are used up");
    assert_eq!(emu.emu.faults.requests(), before + 3);
}

#[tokio::test]
async fn unknown_paths_are_gusto_404s() {
    let emu = start().await;
    let response = emu.http.get(emu.url("/v1/nothing")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.json::<Value>().await.unwrap()["errors"][0]["category"], "not_found");
}

async fn get_json(emu: &Emulator, path: &str, access: &str) -> (reqwest::header::HeaderMap, Value) {
    let response = emu.api(path, access).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    (response.headers().clone(), response.json().await.unwrap())
}

#[tokio::test]
async fn locations_departments_and_the_pay_schedule() {
    let emu = start().await;
    let access = token(&emu.tokens_for("alice").await, "access_token");
    let (headers, all) = get_json(&emu, "/v1/companies/c-30/locations", &access).await;
    assert!(headers.get("x-page").is_none());
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 4);
    for location in all {
        for key in ["uuid", "street_1", "city", "state", "zip", "country", "phone_number", "version"] {
            assert!(location[key].is_string(), "{key}: {location}");
        }
        assert_eq!(location["company_uuid"], "c-30");
        assert_eq!(location["active"], true);
    }
    let (headers, page) = get_json(&emu, "/v1/companies/c-30/locations?page=2&per=3", &access).await;
    assert_eq!(page.as_array().unwrap().len(), 1);
    assert_eq!(headers["x-total-count"], "4");
    assert_eq!(headers["x-total-pages"], "2");

    let (_, departments) = get_json(&emu, "/v1/companies/c-30/departments", &access).await;
    let (_, employees) = get_json(&emu, "/v1/companies/c-30/employees", &access).await;
    let mut members = 0;
    for department in departments.as_array().unwrap() {
        assert!(department["title"].is_string() && department["contractors"] == serde_json::json!([]));
        for member in department["employees"].as_array().unwrap() {
            let employee = employees.as_array().unwrap().iter().find(|e| e["uuid"] == member["uuid"]).unwrap();
            assert_eq!(employee["department_uuid"], department["uuid"]);
            members += 1;
        }
    }
    assert_eq!(members, 30, "every employee is in their department");

    let (_, schedules) = get_json(&emu, "/v1/companies/c-30/pay_schedules", &access).await;
    assert_eq!(schedules[0]["frequency"], "Every other week");
    let (_, assignment) = get_json(&emu, "/v1/companies/c-30/pay_schedules/assignments", &access).await;
    assert_eq!(
        (&assignment["type"], &assignment["default_pay_schedule_uuid"]),
        (&"single".into(), &schedules[0]["uuid"])
    );
    let (_, company) = get_json(&emu, "/v1/companies/c-30", &access).await;
    assert_eq!(company["pay_schedule_type"], "single");
    for path in ["/v1/companies/c-50/locations", "/v1/companies/c-50/departments", "/v1/companies/c-50/payrolls"] {
        assert_eq!(emu.api(path, &access).await.status(), StatusCode::FORBIDDEN, "{path}");
    }
}

#[tokio::test]
async fn employees_show_the_current_compensation_or_all_of_them() {
    let emu = start().await;
    let access = token(&emu.tokens_for("many").await, "access_token");
    let (_, current) = get_json(&emu, "/v1/companies/c-200/employees", &access).await;
    let (_, all) = get_json(&emu, "/v1/companies/c-200/employees?include=all_compensations", &access).await;
    let mut raises = 0;
    for (now, every) in current.as_array().unwrap().iter().zip(all.as_array().unwrap()) {
        let job = &now["jobs"][0];
        assert_eq!(job["compensations"].as_array().unwrap().len(), 1);
        assert_eq!(job["compensations"][0]["uuid"], job["current_compensation_uuid"]);
        let history = every["jobs"][0]["compensations"].as_array().unwrap();
        assert_eq!(history.last().unwrap()["uuid"], job["current_compensation_uuid"]);
        assert_eq!(history.last().unwrap()["rate"], job["rate"]);
        assert_eq!(history[0]["effective_date"], job["hire_date"]);
        raises += history.len() - 1;
        let unit = job["payment_unit"].as_str().unwrap();
        assert_eq!(unit == "Hour", now["current_employment_status"] != "full_time", "{now}");
    }
    assert!(raises > 0);
    let location = current[0]["jobs"][0]["location_uuid"].as_str().unwrap();
    let (_, here) = get_json(&emu, &format!("/v1/companies/c-200/employees?location_uuid={location}"), &access).await;
    let expected = current.as_array().unwrap().iter().filter(|e| e["jobs"][0]["location_uuid"] == location).count();
    assert_eq!(here.as_array().unwrap().len(), expected);
    assert!(here.as_array().unwrap().iter().all(|e| e["jobs"][0]["location_uuid"] == location));
}

#[tokio::test]
async fn bank_accounts_belong_to_the_grants_company() {
    let emu = start().await;
    let access = token(&emu.tokens_for("alice").await, "access_token");
    let (_, employees) = get_json(&emu, "/v1/companies/c-30/employees", &access).await;
    let mut accounts = 0;
    for employee in employees.as_array().unwrap() {
        let uuid = employee["uuid"].as_str().unwrap();
        let (_, list) = get_json(&emu, &format!("/v1/employees/{uuid}/bank_accounts"), &access).await;
        let list = list.as_array().unwrap();
        assert_eq!(list.is_empty(), employee["payment_method"] == "Check", "{employee}");
        for account in list {
            assert_eq!(account["employee_uuid"], uuid);
            assert!(["Checking", "Savings"].contains(&account["account_type"].as_str().unwrap()));
            assert!(account["hidden_account_number"].as_str().unwrap().starts_with("XXXX"));
            let routing = account["routing_number"].as_str().unwrap();
            let d: Vec<u32> = routing.chars().map(|c| c.to_digit(10).unwrap()).collect();
            let sum = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + d[2] + d[5] + d[8];
            assert_eq!((d.len(), sum % 10), (9, 0), "{routing}");
        }
        accounts += list.len();
    }
    assert!(accounts > 0);
    let other = token(&emu.tokens_for("fifty").await, "access_token");
    let (_, theirs) = get_json(&emu, "/v1/companies/c-50/employees?per=1", &other).await;
    let path = format!("/v1/employees/{}/bank_accounts", theirs[0]["uuid"].as_str().unwrap());
    let response = emu.api(&path, &access).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.json::<Value>().await.unwrap()["errors"][0]["category"], "not_found");
}

fn cents(value: &Value) -> i64 {
    let text = match value {
        Value::String(s) => s.clone(),
        other => format!("{:.2}", other.as_f64().unwrap()),
    };
    (text.parse::<f64>().unwrap() * 100.0).round() as i64
}

#[tokio::test]
async fn payrolls_list_and_show_with_employee_compensations() {
    let emu = start().await;
    let access = token(&emu.tokens_for("alice").await, "access_token");
    let base = "/v1/companies/c-30/payrolls";
    let (_, default) = get_json(&emu, base, &access).await;
    let default = default.as_array().unwrap();
    assert_eq!(default.len(), 6, "processed regular payrolls of the last six months");
    assert!(default.iter().all(|p| p["processed"] == true && p["off_cycle"] == false && p.get("totals").is_none()));

    let (_, company) = get_json(&emu, "/v1/companies/c-30", &access).await;
    let start = company["join_date"].as_str().unwrap();
    let today = crate::data::Date::of_unix(emu.clock.unix_secs() as i64);
    let end = today.plus(80).iso();
    let query = format!(
        "?processing_statuses=processed,unprocessed&payroll_types=regular,off_cycle&include=totals&start_date={start}&end_date={end}"
    );
    let (_, all) = get_json(&emu, &format!("{base}{query}"), &access).await;
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 8, "six regular, one off-cycle, one open");
    assert_eq!(all.iter().filter(|p| p["processed"] == false).count(), 1);
    let bonus = all.iter().find(|p| p["off_cycle"] == true).unwrap();
    assert_eq!(bonus["off_cycle_reason"], "Bonus");
    let checks: Vec<&str> = all.iter().map(|p| p["check_date"].as_str().unwrap()).collect();
    assert!(checks.windows(2).all(|w| w[0] <= w[1]), "ascending: {checks:?}");
    let (headers, page) = get_json(&emu, &format!("{base}{query}&page=2&per=5"), &access).await;
    assert_eq!((page.as_array().unwrap().len(), &headers["x-total-count"]), (3, &"8".parse().unwrap()));

    // One payroll with its employees' pay, two at a time.
    let payroll = all.iter().find(|p| p["processed"] == true && p["off_cycle"] == false).unwrap();
    let uuid = payroll["payroll_uuid"].as_str().unwrap();
    let mut gross = 0;
    let mut employees = 0;
    for n in 1.. {
        let (headers, shown) =
            get_json(&emu, &format!("{base}/{uuid}?include=taxes,deductions,benefits&page={n}&per=2"), &access).await;
        assert_eq!(shown["totals"], payroll["totals"]);
        for c in shown["employee_compensations"].as_array().unwrap() {
            gross += cents(&c["gross_pay"]);
            let taxes: i64 = c["taxes"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|t| t["employer"] == false)
                .map(|t| cents(&t["amount"]))
                .sum();
            let deducted: i64 = c["deductions"].as_array().unwrap().iter().map(|d| cents(&d["amount"])).sum::<i64>()
                + c["benefits"].as_array().unwrap().iter().map(|b| cents(&b["employee_deduction"])).sum::<i64>();
            assert_eq!(cents(&c["net_pay"]), cents(&c["gross_pay"]) - taxes - deducted, "{c}");
            employees += 1;
        }
        let pages: usize = headers["x-total-pages"].to_str().unwrap().parse().unwrap();
        if n >= pages {
            break;
        }
    }
    assert!(employees > 0);
    assert_eq!(gross, cents(&payroll["totals"]["gross_pay"]));
    let (_, listed) = get_json(&emu, "/v1/companies/c-30/employees?per=100", &access).await;
    assert!(employees <= listed.as_array().unwrap().len());

    // Documented limits, answered with the 422 error object.
    for bad in [
        format!("?start_date={start}&end_date={}", today.plus(200).iso()),
        "?start_date=2020-01-01&end_date=2021-06-01".to_owned(),
        "?start_date=soon".to_owned(),
    ] {
        let response = emu.api(&format!("{base}{bad}"), &access).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(response.json::<Value>().await.unwrap()["errors"][0]["category"], "invalid_attribute_value");
    }
    assert_eq!(emu.api(&format!("{base}/not-a-payroll"), &access).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_world_changes_employees_and_grants() {
    let emu = start().await;
    let company = emu.world.company("c-30").unwrap();
    assert!(emu.world.company("nope").is_err());
    let tokens = emu.tokens_for("alice").await;
    let access = token(&tokens, "access_token");
    let list = |access: String| {
        let emu = &emu;
        async move { get_json(emu, "/v1/companies/c-30/employees?per=100", &access).await.1 }
    };
    let before = list(access.clone()).await;
    let uuids = company.employee_uuids();
    assert_eq!(uuids.len(), 30);
    company.rename_employee(&uuids[0], "Renée", "Renamed").unwrap();
    company.remove_employee(&uuids[1]).unwrap();
    assert!(company.rename_employee(&uuids[1], "Gone", "Gone").is_err(), "removed");
    let added = company.add_employee("Neo", "Newcomer");
    let after = list(access.clone()).await;
    let after = after.as_array().unwrap();
    assert_eq!(after.len(), 30);
    assert_eq!((&after[0]["first_name"], &after[0]["last_name"]), (&"Renée".into(), &"Renamed".into()));
    assert_ne!(after[0]["version"], before[0]["version"], "a change bumps the version");
    assert!(after.iter().all(|e| e["uuid"] != uuids[1].as_str()));
    let neo = after.last().unwrap();
    assert_eq!(
        (&neo["uuid"], &neo["first_name"], &neo["terminated"]),
        (&added.as_str().into(), &"Neo".into(), &false.into())
    );
    assert_eq!(company.employee(&added).unwrap()["last_name"], "Newcomer");
    assert_eq!(after[1], before[2], "the others are untouched");
    let (_, departments) = get_json(&emu, "/v1/companies/c-30/departments", &access).await;
    let members: Vec<&Value> =
        departments.as_array().unwrap().iter().flat_map(|d| d["employees"].as_array().unwrap()).collect();
    assert!(
        members.iter().any(|m| m["uuid"] == added.as_str()) && !members.iter().any(|m| m["uuid"] == uuids[1].as_str())
    );
    assert_eq!(
        emu.api(&format!("/v1/employees/{}/bank_accounts", uuids[1]), &access).await.status(),
        StatusCode::NOT_FOUND
    );

    // Tokens: expired now, renewed by a refresh (counted), then the grant revoked.
    company.expire_access_tokens();
    assert_eq!(emu.api("/v1/token_info", &access).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(company.refreshes(), 0);
    let (status, renewed) = emu.refresh(&token(&tokens, "refresh_token"), CLIENT, SECRET).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(company.refreshes(), 1);
    assert_eq!(company.live_refresh_tokens(), 1);
    assert_eq!(emu.api("/v1/token_info", &token(&renewed, "access_token")).await.status(), StatusCode::OK);
    company.revoke_grants();
    assert_eq!(company.live_refresh_tokens(), 0);
    assert_eq!(emu.api("/v1/token_info", &token(&renewed, "access_token")).await.status(), StatusCode::UNAUTHORIZED);
    let (status, body) = emu.refresh(&token(&renewed, "refresh_token"), CLIENT, SECRET).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    // Another company's grants are untouched.
    let other = token(&emu.tokens_for("fifty").await, "access_token");
    company.expire_access_tokens();
    assert_eq!(emu.api("/v1/token_info", &other).await.status(), StatusCode::OK);
}
