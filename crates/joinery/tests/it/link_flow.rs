//! The Link flow without a browser: session, connect (API key and OAuth), public-token exchange,
//! relink, duplicates, expiry and single use, cross-organization isolation, account-token
//! rotation and account deletion, against the provider emulators.

use joinery_domain::tokens::split_token_id;
use reqwest::Method;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::fixtures::*;
use crate::support::{Backend, LinkTestServer, json};

on_both_backends!(
    session_lists_what_the_token_offers,
    api_key_link_rejections_create_nothing,
    api_key_link_and_single_use_exchange,
    oauth_link_with_consent_denial_and_approval,
    relink_keeps_the_account_and_its_token,
    same_instance_twice_is_a_flagged_duplicate,
    expired_tokens_are_refused,
    other_organizations_see_nothing,
    regenerate_and_delete_account,
    linked_accounts_filters_and_pagination,
    credentials_are_sealed_at_rest,
    bad_link_requests_name_the_field,
    rotated_keys_reseal_every_account,
    forged_secrets_are_refused,
    duplicate_flags_survive_relinks_and_odd_filters_are_4xx,
    quiet_accounts_are_idle_until_used,
    repeated_refusals_lock_the_link_token,
);

async fn session_lists_what_the_token_offers(backend: Backend) {
    let t = LinkTestServer::start(backend).await;
    let token = t.link_token_for(&t.key, "u1", json!({"language": "de"})).await;
    let (status, session) = t.link_get("/api/link/v1/session", &token).await;
    assert_eq!(status, 200, "{session}");
    let slugs: Vec<&str> =
        session["integrations"].as_array().unwrap().iter().map(|i| i["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["bamboohr", "gusto"]);
    assert_eq!(session["language"], "de");
    assert_eq!(session["integration"], Value::Null);
    assert_eq!(session["is_relink"], false);
    assert_eq!(session["end_user_organization_name"], "Example Corp");
    let bamboo = &session["integrations"][0];
    assert_eq!(bamboo["auth_type"], "API_KEY");
    assert_eq!(bamboo["fields"][0]["name"], "company_domain");
    assert_eq!(bamboo["fields"][0]["label"], "Firmen-Domain");
    assert_eq!(bamboo["fields"][1]["name"], "api_key");
    assert_eq!(bamboo["fields"][1]["secret"], true);
    assert!(bamboo["image"].as_str().unwrap().starts_with(PUBLIC_URL));
    assert_eq!(session["integrations"][1]["auth_type"], "OAUTH2");
    assert_eq!(session["integrations"][1]["fields"], json!([]));

    // A token naming an integration offers only that one; ATS categories offer no HRIS ones.
    let token = t.link_token_for(&t.key, "u1", json!({"integration": "gusto"})).await;
    let (_, session) = t.link_get("/api/link/v1/session", &token).await;
    assert_eq!(session["integration"], "gusto");
    assert_eq!(session["integrations"].as_array().unwrap().len(), 1);
    let token = t.link_token_for(&t.key, "u1", json!({"categories": ["ats"]})).await;
    let (_, session) = t.link_get("/api/link/v1/session", &token).await;
    assert_eq!(session["integrations"], json!([]));

    // Integrations the organization disabled are not offered.
    let (storage, _) = joinery::server::open(&t.db.config()).await.unwrap();
    let (org, _) = storage.ensure_organization("default").await.unwrap();
    storage.set_integration_enabled(org.id, "gusto", false).await.unwrap();
    storage.close().await;
    let token = t.link_token_for(&t.key, "u1", json!({})).await;
    let (_, session) = t.link_get("/api/link/v1/session", &token).await;
    assert_eq!(session["integrations"].as_array().unwrap().len(), 1);

    // Link-token problems.
    for bad in ["", "garbage", &token[..token.len() - 1]] {
        let (status, body) = t.link_get("/api/link/v1/session", bad).await;
        assert_eq!((status, body["problem_type"].as_str()), (401, Some("LINK_TOKEN_INVALID")), "{bad}: {body}");
    }
    let (status, _) = t.link_get("/api/link/v1/session", &t.key).await;
    assert_eq!(status, 401, "an API key is not a link token");
    t.stop().await;
}

fn problem(body: &Value) -> (&str, Option<&str>) {
    let e = &body["errors"][0];
    (e["problem_type"].as_str().unwrap_or("?"), e["field"].as_str())
}

async fn linked_accounts(t: &LinkTestServer, key: &str, query: &str) -> Vec<Value> {
    let res =
        t.request(Method::GET, &format!("/api/hris/v1/linked-accounts{query}")).bearer_auth(key).send().await.unwrap();
    let (status, body) = json(res).await;
    assert_eq!(status, 200, "{body}");
    body["results"].as_array().unwrap().clone()
}

async fn api_key_link_rejections_create_nothing(backend: Backend) {
    let t = LinkTestServer::start(backend).await;
    let token = t.link_token_for(&t.key, "u1", json!({})).await;
    let connect = |domain: &str, key: &str| json!({"integration": "bamboohr", "credentials": {"company_domain": domain, "api_key": key}});
    let cases = [
        (connect(BAMBOO_DOMAIN, "wrong"), "INVALID_CREDENTIALS", Some("credentials.api_key")),
        (connect("nosuchco", BAMBOO_KEY), "UNKNOWN_INSTANCE", Some("credentials.company_domain")),
        (connect(BAMBOO_DOMAIN, BAMBOO_KEY_LIMITED), "MISSING_PERMISSION", None),
        (connect("not a domain", BAMBOO_KEY), "INVALID_FIELD", Some("credentials.company_domain")),
        (connect(BAMBOO_DOMAIN, " "), "MISSING_FIELD", Some("credentials.api_key")),
    ];
    for (body, expected, field) in cases {
        let (status, res) = t.link_post("/api/link/v1/connect", &token, &body).await;
        assert_eq!(status, 400, "{body}: {res}");
        assert_eq!(problem(&res), (expected, field), "{body}: {res}");
        assert!(!res["errors"][0]["detail"].as_str().unwrap().is_empty());
    }
    // A provider that answers 429 / 500 gets a retry-later problem, not a 5xx.
    t.bamboohr.faults.rate_limit_next(1, 1);
    let (status, res) = t.link_post("/api/link/v1/connect", &token, &connect(BAMBOO_DOMAIN, BAMBOO_KEY)).await;
    assert_eq!((status, problem(&res).0), (400, "RATE_LIMITED"), "{res}");
    t.bamboohr.faults.fail_next(1, 500);
    let (status, res) = t.link_post("/api/link/v1/connect", &token, &connect(BAMBOO_DOMAIN, BAMBOO_KEY)).await;
    assert_eq!((status, problem(&res).0), (400, "PROVIDER_ERROR"), "{res}");

    assert!(linked_accounts(&t, &t.key, "").await.is_empty(), "a rejection created an account");
    // The link token is still usable after rejections.
    let public = t.connect_bamboohr(&token, BAMBOO_KEY).await;
    assert!(split_token_id(&public).is_some());
    t.stop().await;
}

async fn api_key_link_and_single_use_exchange(backend: Backend) {
    let t = LinkTestServer::start(backend).await;
    let token = t.link_token_for(&t.key, "u1", json!({})).await;
    let public = t.connect_bamboohr(&token, BAMBOO_KEY).await;

    // The link token is used up.
    let (status, body) = t.link_get("/api/link/v1/session", &token).await;
    assert_eq!((status, body["problem_type"].as_str()), (401, Some("LINK_TOKEN_USED")), "{body}");
    let again =
        json!({"integration": "bamboohr", "credentials": {"company_domain": BAMBOO_DOMAIN, "api_key": BAMBOO_KEY}});
    assert_eq!(t.link_post("/api/link/v1/connect", &token, &again).await.0, 401);

    let (status, exchanged) = t.exchange(&t.key, &public).await;
    assert_eq!(status, 200, "{exchanged}");
    let account_token = exchanged["account_token"].as_str().unwrap().to_owned();
    assert_eq!(exchanged["integration"]["slug"], "bamboohr");
    assert_eq!(exchanged["integration"]["name"], "BambooHR");
    assert_ne!(account_token, public);
    let id = exchanged["id"].as_str().unwrap().to_owned();

    // Single use, on either path.
    assert_eq!(t.exchange(&t.key, &public).await.0, 404);
    let res = t.authed(Method::GET, &format!("/api/integrations/account-token/{public}")).send().await.unwrap();
    assert_eq!(res.status(), 404);

    let (status, details) =
        json(t.with_account(Method::GET, "/api/hris/v1/account-details", &account_token).send().await.unwrap()).await;
    assert_eq!(status, 200, "{details}");
    assert_eq!(details["id"], id.as_str());
    assert_eq!(details["integration"], "BambooHR");
    assert_eq!(details["integration_slug"], "bamboohr");
    assert_eq!(details["category"], "hris");
    assert_eq!(details["status"], "COMPLETE");
    assert_eq!(details["end_user_origin_id"], "u1");
    assert_eq!(details["is_duplicate"], false);
    assert_eq!(details["instance_display_value"], "acme.bamboohr.com");

    let accounts = linked_accounts(&t, &t.key, "").await;
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0]["id"], id.as_str());
    assert_eq!(accounts[0]["subdomain"], "acme");
    assert_eq!(accounts[0]["integration"]["slug"], "bamboohr");
    assert_eq!(accounts[0]["account_type"], "PRODUCTION");
    assert!(accounts[0]["completed_at"].as_str().unwrap().ends_with('Z'));

    // The alias path exchanges too.
    let token = t.link_token_for(&t.key, "u2", json!({})).await;
    let public = t.connect_bamboohr(&token, BAMBOO_KEY).await;
    let res = t.authed(Method::GET, &format!("/api/integrations/account-token/{public}")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    t.stop().await;
}

async fn oauth_link_with_consent_denial_and_approval(backend: Backend) {
    let t = LinkTestServer::start(backend).await;
    let token = t.link_token_for(&t.key, "u1", json!({})).await;
    // OAuth integrations are not linked with /connect, nor API-key ones with /oauth/start.
    let (status, body) = t.link_post("/api/link/v1/connect", &token, &json!({"integration": "gusto"})).await;
    assert_eq!((status, problem(&body)), (400, ("INVALID_FIELD", Some("integration"))), "{body}");
    let (status, body) = t.link_post("/api/link/v1/oauth/start", &token, &json!({"integration": "bamboohr"})).await;
    assert_eq!(status, 400, "{body}");

    // Denied consent.
    let (status, started) = t.link_post("/api/link/v1/oauth/start", &token, &json!({"integration": "gusto"})).await;
    assert_eq!(status, 200, "{started}");
    let authorize_url = started["authorize_url"].as_str().unwrap();
    assert!(authorize_url.starts_with(&t.gusto.base_url), "{authorize_url}");
    assert!(authorize_url.contains("client_id=test-client"), "{authorize_url}");
    let state = started["state"].as_str().unwrap();
    let (status, body) = t.link_post("/api/link/v1/oauth/complete", &token, &json!({"state": state})).await;
    assert_eq!((status, problem(&body).0), (409, "OAUTH_PENDING"), "{body}");
    let callback = t.gusto_consent(authorize_url, "deny").await;
    let res = t.http.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    let (status, body) = t.link_post("/api/link/v1/oauth/complete", &token, &json!({"state": state})).await;
    assert_eq!((status, problem(&body).0), (400, "OAUTH_DENIED"), "{body}");

    // Approved consent; the link token survived the denial.
    let (_, started) = t.link_post("/api/link/v1/oauth/start", &token, &json!({"integration": "gusto"})).await;
    let state = started["state"].as_str().unwrap().to_owned();
    // Another link token cannot complete this attempt.
    let other = t.link_token_for(&t.key, "u9", json!({})).await;
    let (status, body) = t.link_post("/api/link/v1/oauth/complete", &other, &json!({"state": state})).await;
    assert_eq!((status, problem(&body).0), (404, "OAUTH_STATE_UNKNOWN"), "{body}");
    let callback = t.gusto_consent(started["authorize_url"].as_str().unwrap(), "allow").await;
    assert_eq!(t.http.get(&callback).send().await.unwrap().status(), 200);
    // A forged state on the callback changes nothing.
    let forged = callback.replace(&state[..10], "AAAAAAAAAA");
    assert_eq!(t.http.get(&forged).send().await.unwrap().status(), 400);
    let (status, done) = t.link_post("/api/link/v1/oauth/complete", &token, &json!({"state": state})).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["integration"], "gusto");
    let (status, exchanged) = t.exchange(&t.key, done["public_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{exchanged}");
    assert_eq!(exchanged["integration"]["slug"], "gusto");
    let account_token = exchanged["account_token"].as_str().unwrap();
    let (_, details) =
        json(t.with_account(Method::GET, "/api/hris/v1/account-details", account_token).send().await.unwrap()).await;
    assert_eq!(details["instance_id"], GUSTO_COMPANY);
    assert_eq!(details["instance_display_value"], "Acme Payroll");
    // The attempt (and the grant sealed on it) is gone once completed.
    let attempt = split_token_id(&state).unwrap();
    assert!(t.storage().find_oauth_attempt(attempt).await.unwrap().is_none());
    t.stop().await;
}

async fn relink_keeps_the_account_and_its_token(backend: Backend) {
    let t = LinkTestServer::start(backend).await;
    let token = t.link_token_for(&t.key, "u1", json!({})).await;
    let (_, first) = t.exchange(&t.key, &t.connect_bamboohr(&token, BAMBOO_KEY).await).await;

    let token = t.link_token_for(&t.key, "u1", json!({"end_user_organization_name": "Renamed Corp"})).await;
    let (_, session) = t.link_get("/api/link/v1/session", &token).await;
    assert_eq!(session["is_relink"], true);
    assert_eq!(session["integration"], "bamboohr");
    // Gusto serves the same category: not offered to an end user with a BambooHR account.
    let slugs: Vec<&str> =
        session["integrations"].as_array().unwrap().iter().map(|i| i["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["bamboohr"]);
    let (status, body) = t.link_post("/api/link/v1/oauth/start", &token, &json!({"integration": "gusto"})).await;
    assert_eq!((status, problem(&body).0), (400, "RELINK_INTEGRATION_MISMATCH"), "{body}");

    let (status, second) = t.exchange(&t.key, &t.connect_bamboohr(&token, BAMBOO_KEY_2).await).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["id"], first["id"]);
    assert_eq!(second["account_token"], first["account_token"]);
    let accounts = linked_accounts(&t, &t.key, "").await;
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0]["end_user_organization_name"], "Renamed Corp");
    assert_eq!(accounts[0]["is_duplicate"], false, "a relink is not a duplicate");

    // The stored credentials are the new key's.
    let id = uuid::Uuid::parse_str(first["id"].as_str().unwrap()).unwrap();
    let account = t.storage().find_linked_account(id).await.unwrap().unwrap();
    let ring = joinery::secrets::load_keyring(&t.db.config()).unwrap();
    let plain = ring.open(&account.credentials_sealed, &joinery_domain::crypto::context::credentials(id)).unwrap();
    let creds: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(creds["api_key"], BAMBOO_KEY_2);
    t.stop().await;
}

async fn same_instance_twice_is_a_flagged_duplicate(backend: Backend) {
    let t = LinkTestServer::start(backend).await;
    let mut ids = Vec::new();
    for origin in ["u1", "u2"] {
        let token = t.link_token_for(&t.key, origin, json!({})).await;
        let (_, exchanged) = t.exchange(&t.key, &t.connect_bamboohr(&token, BAMBOO_KEY).await).await;
        ids.push(exchanged["id"].as_str().unwrap().to_owned());
    }
    let accounts = linked_accounts(&t, &t.key, "").await;
    let flags: Vec<(&str, bool)> = accounts
        .iter()
        .map(|a| (a["end_user_origin_id"].as_str().unwrap(), a["is_duplicate"].as_bool().unwrap()))
        .collect();
    assert_eq!(flags, [("u1", false), ("u2", true)]);

    let only = linked_accounts(&t, &t.key, &format!("?id={}", ids[0])).await;
    assert_eq!(only.len(), 1);
    let with_duplicates = linked_accounts(&t, &t.key, &format!("?id={}&include_duplicates=true", ids[0])).await;
    assert_eq!(with_duplicates.len(), 2);
    let res = t.authed(Method::GET, "/api/hris/v1/linked-accounts?include_duplicates=true").send().await.unwrap();
    let (status, body) = json(res).await;
    assert_eq!(status, 400);
    assert!(body.get("include_duplicates").is_some(), "{body}");
    t.stop().await;
}

async fn expired_tokens_are_refused(backend: Backend) {
    let t = LinkTestServer::start(backend).await;
    let token = t.link_token_for(&t.key, "u1", json!({})).await;
    let public = t.connect_bamboohr(&token, BAMBOO_KEY).await;
    let expired_token = t.link_token_for(&t.key, "u2", json!({})).await;

    // Age both in the database.
    let past = joinery_storage::now_micros() - 1;
    let link_id = split_token_id(&expired_token).unwrap();
    let public_id = split_token_id(&public).unwrap();
    expire(&t, "link_tokens", link_id, past).await;
    expire(&t, "public_tokens", public_id, past).await;

    let (status, body) = t.link_get("/api/link/v1/session", &expired_token).await;
    assert_eq!((status, body["problem_type"].as_str()), (401, Some("LINK_TOKEN_EXPIRED")), "{body}");
    let body =
        json!({"integration": "bamboohr", "credentials": {"company_domain": BAMBOO_DOMAIN, "api_key": BAMBOO_KEY}});
    assert_eq!(t.link_post("/api/link/v1/connect", &expired_token, &body).await.0, 401);
    assert_eq!(t.exchange(&t.key, &public).await.0, 404);
    t.stop().await;
}

async fn expire(t: &LinkTestServer, table: &str, id: uuid::Uuid, at: i64) {
    use sqlx::Connection;
    let sql = format!("UPDATE {table} SET expires_at = $1 WHERE id = $2");
    if t.db.url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(&t.db.url).await.unwrap();
        assert_eq!(sqlx::query(&sql).bind(at).bind(id).execute(&mut conn).await.unwrap().rows_affected(), 1);
    } else {
        let mut conn = sqlx::PgConnection::connect(&t.db.url).await.unwrap();
        assert_eq!(sqlx::query(&sql).bind(at).bind(id).execute(&mut conn).await.unwrap().rows_affected(), 1);
    }
}

async fn other_organizations_see_nothing(backend: Backend) {
    let t = LinkTestServer::start(backend).await;
    let other_key = t.new_org_key("other").await;
    let token = t.link_token_for(&t.key, "u1", json!({})).await;
    let public = t.connect_bamboohr(&token, BAMBOO_KEY).await;

    // Another organization cannot exchange the public token, and trying does not burn it.
    let (status, body) = t.exchange(&other_key, &public).await;
    assert_eq!(status, 404, "{body}");
    let (status, exchanged) = t.exchange(&t.key, &public).await;
    assert_eq!(status, 200, "{exchanged}");
    let account_token = exchanged["account_token"].as_str().unwrap();

    // Nor use the account token, nor list the account.
    let res = t
        .request(Method::GET, "/api/hris/v1/account-details")
        .bearer_auth(&other_key)
        .header("X-Account-Token", account_token)
        .send()
        .await
        .unwrap();
    let (status, body) = json(res).await;
    assert_eq!((status, body["detail"].as_str()), (401, Some("Invalid X-Account-Token.")));
    let res = t
        .request(Method::POST, "/api/hris/v1/delete-account")
        .bearer_auth(&other_key)
        .header("X-Account-Token", account_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(linked_accounts(&t, &other_key, "").await.is_empty());
    assert_eq!(linked_accounts(&t, &t.key, "").await.len(), 1);

    // Missing or malformed account tokens, and no API key.
    let res = t.authed(Method::GET, "/api/hris/v1/account-details").send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = t.with_account(Method::GET, "/api/hris/v1/account-details", "nope").send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = t
        .request(Method::GET, "/api/hris/v1/account-details")
        .header("X-Account-Token", account_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    t.stop().await;
}

async fn regenerate_and_delete_account(backend: Backend) {
    let t = LinkTestServer::start(backend).await;
    let token = t.link_token_for(&t.key, "u1", json!({})).await;
    let (_, exchanged) = t.exchange(&t.key, &t.connect_bamboohr(&token, BAMBOO_KEY).await).await;
    let old = exchanged["account_token"].as_str().unwrap().to_owned();

    let (status, rotated) =
        json(t.with_account(Method::POST, "/api/hris/v1/account-token/regenerate", &old).send().await.unwrap()).await;
    assert_eq!(status, 200, "{rotated}");
    assert_eq!(rotated["linked_account_id"], exchanged["id"]);
    let new = rotated["account_token"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert_eq!(t.with_account(Method::GET, "/api/hris/v1/account-details", &old).send().await.unwrap().status(), 401);
    assert_eq!(t.with_account(Method::GET, "/api/ats/v1/account-details", &new).send().await.unwrap().status(), 200);

    // A relink after rotation hands back the new token.
    let token = t.link_token_for(&t.key, "u1", json!({})).await;
    let (_, relinked) = t.exchange(&t.key, &t.connect_bamboohr(&token, BAMBOO_KEY).await).await;
    assert_eq!(relinked["account_token"], new.as_str());

    // An unused public token of the account dies with it.
    let token = t.link_token_for(&t.key, "u1", json!({})).await;
    let pending_public = t.connect_bamboohr(&token, BAMBOO_KEY).await;

    let res = t.with_account(Method::POST, "/api/hris/v1/delete-account", &new).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(t.with_account(Method::GET, "/api/hris/v1/account-details", &new).send().await.unwrap().status(), 401);
    assert_eq!(t.with_account(Method::POST, "/api/hris/v1/delete-account", &new).send().await.unwrap().status(), 401);
    assert!(linked_accounts(&t, &t.key, "").await.is_empty());
    assert_eq!(t.exchange(&t.key, &pending_public).await.0, 404);
    let id = uuid::Uuid::parse_str(exchanged["id"].as_str().unwrap()).unwrap();
    assert!(t.storage().find_linked_account(id).await.unwrap().is_none(), "the account survived deletion");
    t.stop().await;
}

async fn linked_accounts_filters_and_pagination(backend: Backend) {
    let t = LinkTestServer::start(backend).await;
    for (origin, email) in [("u1", "a@x.io"), ("u2", "b@x.io"), ("u3", "c@x.io")] {
        let token = t.link_token_for(&t.key, origin, json!({"end_user_email_address": email})).await;
        t.exchange(&t.key, &t.connect_bamboohr(&token, BAMBOO_KEY).await).await;
    }
    let count = |q: &'static str| {
        let t = &t;
        async move { linked_accounts(t, &t.key, q).await.len() }
    };
    assert_eq!(count("").await, 3);
    assert_eq!(count("?end_user_email_address=b@x.io").await, 1);
    assert_eq!(count("?end_user_origin_id=u3").await, 1);
    assert_eq!(count("?end_user_origin_ids=u1,u3").await, 2);
    assert_eq!(count("?end_user_organization_name=Example%20Corp").await, 3);
    assert_eq!(count("?integration_name=BambooHR").await, 3);
    assert_eq!(count("?integration_name=Gusto").await, 0);
    assert_eq!(count("?category=hris").await, 3);
    assert_eq!(count("?category=ats").await, 0);
    assert_eq!(count("?status=COMPLETE").await, 3);
    assert_eq!(count("?status=RELINK_NEEDED").await, 0);
    assert_eq!(count("?is_test_account=true").await, 0);

    let res = t.authed(Method::GET, "/api/hris/v1/linked-accounts?page_size=2").send().await.unwrap();
    let (_, page) = json(res).await;
    assert_eq!(page["results"].as_array().unwrap().len(), 2);
    let next = page["next"].as_str().unwrap();
    let res =
        t.authed(Method::GET, &format!("/api/hris/v1/linked-accounts?page_size=2&cursor={next}")).send().await.unwrap();
    let (_, page) = json(res).await;
    assert_eq!(page["results"].as_array().unwrap().len(), 1);
    assert_eq!(page["next"], Value::Null);
    assert!(page["previous"].is_string());

    // Keyset cursors: deleting an account already seen shifts nothing on the next page.
    let token = t.link_token_for(&t.key, "p4", json!({"end_user_email_address": "d@x.io"})).await;
    t.exchange(&t.key, &t.connect_bamboohr(&token, BAMBOO_KEY).await).await;
    let res = t.authed(Method::GET, "/api/hris/v1/linked-accounts?page_size=2").send().await.unwrap();
    let (_, first) = json(res).await;
    let first_ids: Vec<&str> =
        first["results"].as_array().unwrap().iter().map(|a| a["end_user_origin_id"].as_str().unwrap()).collect();
    assert_eq!(first_ids, ["u1", "u2"]);
    let u1 = t
        .storage()
        .find_linked_account(uuid::Uuid::parse_str(first["results"][0]["id"].as_str().unwrap()).unwrap())
        .await
        .unwrap()
        .unwrap();
    t.storage().delete_linked_account(u1.id).await.unwrap();
    let next = first["next"].as_str().unwrap();
    let res =
        t.authed(Method::GET, &format!("/api/hris/v1/linked-accounts?page_size=2&cursor={next}")).send().await.unwrap();
    let (_, second) = json(res).await;
    let second_ids: Vec<&str> =
        second["results"].as_array().unwrap().iter().map(|a| a["end_user_origin_id"].as_str().unwrap()).collect();
    assert_eq!(second_ids, ["u3", "p4"]);
    assert!(second["next"].is_null());
    let previous = second["previous"].as_str().unwrap();
    let res = t
        .authed(Method::GET, &format!("/api/hris/v1/linked-accounts?page_size=2&cursor={previous}"))
        .send()
        .await
        .unwrap();
    let (_, back) = json(res).await;
    let back_ids: Vec<&str> =
        back["results"].as_array().unwrap().iter().map(|a| a["end_user_origin_id"].as_str().unwrap()).collect();
    assert_eq!(back_ids, ["u2"]);

    for (query, field) in [
        ("status=DONE", "status"),
        ("category=nope", "category"),
        ("ids=not-a-uuid", "ids"),
        ("id=1", "id"),
        ("page_size=0", "page_size"),
        ("cursor=!!", "cursor"),
        ("include_duplicates=maybe", "include_duplicates"),
    ] {
        let res = t.authed(Method::GET, &format!("/api/hris/v1/linked-accounts?{query}")).send().await.unwrap();
        let (status, body) = json(res).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body.get(field).is_some(), "{query}: {body}");
    }
    let res = t.request(Method::GET, "/api/hris/v1/linked-accounts").send().await.unwrap();
    assert_eq!(res.status(), 401);
    t.stop().await;
}

async fn credentials_are_sealed_at_rest(backend: Backend) {
    let t = LinkTestServer::start(backend).await;
    let scopes = json!({"common_models": [{"model_id": "hris.Employee", "enabled_actions": ["READ"], "disabled_fields": ["ssn"]}]});
    let token = t.link_token_for(&t.key, "u1", scopes).await;
    let public = t.connect_bamboohr(&token, BAMBOO_KEY).await;
    let (_, exchanged) = t.exchange(&t.key, &public).await;
    let account_token = exchanged["account_token"].as_str().unwrap();
    let oauth_token = t.link_token_for(&t.key, "u2", json!({})).await;
    let (_, started) = t.link_post("/api/link/v1/oauth/start", &oauth_token, &json!({"integration": "gusto"})).await;
    let callback = t.gusto_consent(started["authorize_url"].as_str().unwrap(), "allow").await;
    t.http.get(&callback).send().await.unwrap();
    // Between callback and completion the grant waits sealed on the attempt.
    let dump = t.db.dump().await;
    for secret in [BAMBOO_KEY, account_token, &public, &token, GUSTO_CLIENT_SECRET] {
        assert!(!dump.contains(secret), "a secret is stored in the clear");
    }
    let code = url::Url::parse(&callback).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    assert!(!dump.contains(&code));

    // Scopes from the link token are on the account.
    let id = uuid::Uuid::parse_str(exchanged["id"].as_str().unwrap()).unwrap();
    let account = t.storage().find_linked_account(id).await.unwrap().unwrap();
    assert_eq!(account.scopes.0["common_models"][0]["model_id"], "hris.Employee");
    assert_eq!(account.scopes.0["common_models"][0]["disabled_fields"], json!(["ssn"]));
    // Sealed values name the current key and are bound to their row.
    let ring = joinery::secrets::load_keyring(&t.db.config()).unwrap();
    assert!(!ring.is_stale(&account.credentials_sealed));
    assert!(ring.open(&account.credentials_sealed, b"linked_account:other:credentials").is_err());
    t.stop().await;
}

async fn bad_link_requests_name_the_field(backend: Backend) {
    let t = LinkTestServer::start(backend).await;
    let token = t.link_token_for(&t.key, "u1", json!({})).await;
    let cases = [
        (json!({}), "MISSING_FIELD", "integration"),
        (json!({"integration": 5}), "INVALID_FIELD", "integration"),
        (json!({"integration": "workday"}), "INTEGRATION_NOT_AVAILABLE", "integration"),
        (json!({"integration": "greenhouse"}), "INTEGRATION_NOT_AVAILABLE", "integration"),
        (json!({"integration": "bamboohr", "credentials": []}), "INVALID_FIELD", "credentials"),
        (json!({"integration": "bamboohr", "credentials": {"api_key": 1}}), "INVALID_FIELD", "credentials.api_key"),
        (json!({"integration": "bamboohr", "credentials": {"password": "x"}}), "INVALID_FIELD", "credentials.password"),
        (
            json!({"integration": "bamboohr", "credentials": {"company_domain": "acme"}}),
            "MISSING_FIELD",
            "credentials.api_key",
        ),
    ];
    for (body, expected, field) in cases {
        let (status, res) = t.link_post("/api/link/v1/connect", &token, &body).await;
        assert_eq!(status, 400, "{body}: {res}");
        assert_eq!(problem(&res), (expected, Some(field)), "{body}: {res}");
    }
    let (status, res) = t.link_post("/api/link/v1/oauth/complete", &token, &json!({})).await;
    assert_eq!((status, problem(&res)), (400, ("MISSING_FIELD", Some("state"))));
    let (status, res) = t.link_post("/api/link/v1/oauth/complete", &token, &json!({"state": "x"})).await;
    assert_eq!((status, problem(&res).0), (404, "OAUTH_STATE_UNKNOWN"));
    let res = t
        .request(Method::POST, "/api/link/v1/connect")
        .header("X-Link-Token", &token)
        .body("{")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    t.stop().await;
}

async fn rotated_keys_reseal_every_account(backend: Backend) {
    let t = LinkTestServer::start(backend).await;
    let mut accounts = Vec::new();
    for origin in ["u1", "u2", "u3"] {
        let token = t.link_token_for(&t.key, origin, json!({})).await;
        let (_, exchanged) = t.exchange(&t.key, &t.connect_bamboohr(&token, BAMBOO_KEY).await).await;
        accounts.push(exchanged);
    }
    // Rotate: a new current key, the generated one retired.
    let old = std::fs::read_to_string(t.db.dir.path().join("encryption.key")).unwrap();
    let mut config = t.db.config();
    config.encryption_key = Some("ab".repeat(32));
    config.encryption_retired_keys = Some(old);
    let rotated = joinery::secrets::load_keyring(&config).unwrap();
    let report = joinery::server::reseal(t.storage(), &rotated).await.unwrap();
    assert_eq!((report.accounts, report.resealed), (3, 3));
    assert_eq!(joinery::server::reseal(t.storage(), &rotated).await.unwrap().resealed, 0, "nothing left to reseal");

    // Only the new key is needed now.
    config.encryption_retired_keys = None;
    let new_only = joinery::secrets::load_keyring(&config).unwrap();
    for exchanged in accounts {
        let id = uuid::Uuid::parse_str(exchanged["id"].as_str().unwrap()).unwrap();
        let account = t.storage().find_linked_account(id).await.unwrap().unwrap();
        let credentials =
            new_only.open(&account.credentials_sealed, &joinery_domain::crypto::context::credentials(id)).unwrap();
        assert_eq!(serde_json::from_slice::<Value>(&credentials).unwrap()["api_key"], BAMBOO_KEY);
        let token =
            new_only.open(&account.account_token_sealed, &joinery_domain::crypto::context::account_token(id)).unwrap();
        assert_eq!(String::from_utf8(token).unwrap(), exchanged["account_token"].as_str().unwrap());
    }
    t.stop().await;
}

/// The browser routes: content types, the CSP each page is written for, caching, compression.
#[tokio::test]
async fn link_page_assets_are_served_with_their_policies() {
    let t = crate::support::TestServer::start(Backend::Sqlite).await;
    let get = |path: &str| t.request(Method::GET, path);

    let page = get("/link").send().await.unwrap();
    assert_eq!(page.status(), 200);
    let headers = page.headers().clone();
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"));
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors *"), "{csp}");
    assert!(!headers.contains_key("x-frame-options"), "customers' pages must be able to frame Link");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["cache-control"], "no-cache");
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let again = get("/link").header("If-None-Match", &etag).send().await.unwrap();
    assert_eq!(again.status(), 304);

    let gzipped = get("/link/assets/link.js").header("Accept-Encoding", "gzip").send().await.unwrap();
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    assert!(gzipped.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));

    let script = get("/link/initialize.js").send().await.unwrap();
    assert_eq!(script.status(), 200);
    assert!(script.text().await.unwrap().contains("MergeLink"));

    let callback = get("/link/oauth/callback").send().await.unwrap();
    assert_eq!(callback.status(), 400, "a callback without state");
    assert!(callback.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(get("/link/assets/nope.js").send().await.unwrap().status(), 404);
    t.stop().await;
}

/// A token with the right selector and a wrong secret: the hash check is what refuses it.
fn forge(token: &str) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    let i = chars.len() - 3; // past the 22-character selector
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    let forged: String = chars.into_iter().collect();
    assert_eq!(split_token_id(&forged), split_token_id(token), "same selector");
    forged
}

async fn forged_secrets_are_refused(backend: Backend) {
    let t = LinkTestServer::start(backend).await;
    let token = t.link_token_for(&t.key, "u1", json!({})).await;
    let forged = forge(&token);
    let (status, body) = t.link_get("/api/link/v1/session", &forged).await;
    assert_eq!((status, body["problem_type"].as_str()), (401, Some("LINK_TOKEN_INVALID")));
    let connect =
        json!({"integration": "bamboohr", "credentials": {"company_domain": BAMBOO_DOMAIN, "api_key": BAMBOO_KEY}});
    assert_eq!(t.link_post("/api/link/v1/connect", &forged, &connect).await.0, 401);

    // OAuth state: a forged one neither reaches the provider exchange nor completes.
    let (_, started) = t.link_post("/api/link/v1/oauth/start", &token, &json!({"integration": "gusto"})).await;
    let state = started["state"].as_str().unwrap().to_owned();
    let callback = t.gusto_consent(started["authorize_url"].as_str().unwrap(), "allow").await;
    let forged_callback = callback.replace(&state, &forge(&state));
    assert_eq!(t.http.get(&forged_callback).send().await.unwrap().status(), 400);
    let (status, _) = t.link_post("/api/link/v1/oauth/complete", &token, &json!({"state": forge(&state)})).await;
    assert_eq!(status, 404);

    // Public token: a forged one is not found and does not burn the real one.
    let public = t.connect_bamboohr(&token, BAMBOO_KEY).await;
    assert_eq!(t.exchange(&t.key, &forge(&public)).await.0, 404);
    let (status, exchanged) = t.exchange(&t.key, &public).await;
    assert_eq!(status, 200);
    // Account token.
    let account_token = exchanged["account_token"].as_str().unwrap();
    let res = t.with_account(Method::GET, "/api/hris/v1/account-details", &forge(account_token)).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = t.with_account(Method::GET, "/api/hris/v1/account-details", account_token).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store", "responses with tokens and personal data are not cached");
    t.stop().await;
}

async fn duplicate_flags_survive_relinks_and_odd_filters_are_4xx(backend: Backend) {
    let t = LinkTestServer::start(backend).await;
    for origin in ["d1", "d2", "d1"] {
        let token = t.link_token_for(&t.key, origin, json!({})).await;
        t.exchange(&t.key, &t.connect_bamboohr(&token, BAMBOO_KEY).await).await;
    }
    let accounts = linked_accounts(&t, &t.key, "").await;
    let flags: Vec<(&str, bool)> = accounts
        .iter()
        .map(|a| (a["end_user_origin_id"].as_str().unwrap(), a["is_duplicate"].as_bool().unwrap()))
        .collect();
    assert_eq!(flags, [("d1", false), ("d2", true)], "relinking the first account does not flag it");

    // Empty lists match nothing; NUL characters are refused, naming the parameter.
    for query in ["?ids=", "?ids=,", "?end_user_origin_ids=", "?integration_name=Personio%20HR", "?integration_name="] {
        assert!(linked_accounts(&t, &t.key, query).await.is_empty(), "{query}");
    }
    for param in ["end_user_origin_id", "end_user_email_address", "end_user_organization_name"] {
        let res = t.authed(Method::GET, &format!("/api/hris/v1/linked-accounts?{param}=a%00b")).send().await.unwrap();
        let (status, body) = json(res).await;
        assert_eq!(status, 400, "{param}: {body}");
        assert_eq!(body[param][0], "Null characters are not allowed.");
    }
    t.stop().await;
}

async fn exec(t: &LinkTestServer, sql: &str) {
    use sqlx::Connection;
    if t.db.url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(&t.db.url).await.unwrap();
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(&t.db.url).await.unwrap();
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
}

async fn quiet_accounts_are_idle_until_used(backend: Backend) {
    let t = LinkTestServer::start(backend).await;
    let token = t.link_token_for(&t.key, "u1", json!({})).await;
    let (_, exchanged) = t.exchange(&t.key, &t.connect_bamboohr(&token, BAMBOO_KEY).await).await;
    let account = uuid::Uuid::parse_str(exchanged["id"].as_str().unwrap()).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while t.storage().active_sync_job(account).await.unwrap().is_some() {
        assert!(std::time::Instant::now() < deadline, "the initial sync did not finish");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(linked_accounts(&t, &t.key, "?status=COMPLETE").await.len(), 1);
    assert!(linked_accounts(&t, &t.key, "?status=IDLE").await.is_empty());

    // Three weeks without a sync or a request.
    let old = joinery_storage::now_micros() - 21 * 24 * 3600 * 1_000_000;
    exec(&t, &format!("UPDATE linked_accounts SET created_at = {old}, completed_at = {old}, last_active_at = NULL"))
        .await;
    exec(&t, &format!("UPDATE sync_status SET last_sync_finished = {old}")).await;
    let idle = linked_accounts(&t, &t.key, "?status=IDLE").await;
    assert_eq!((idle.len(), idle[0]["status"].as_str()), (1, Some("IDLE")));
    assert!(linked_accounts(&t, &t.key, "?status=COMPLETE").await.is_empty());

    // A request with its account token is activity.
    let account_token = exchanged["account_token"].as_str().unwrap();
    let res = t.with_account(Method::GET, "/api/hris/v1/account-details", account_token).send().await.unwrap();
    let (_, details) = json(res).await;
    assert_eq!(details["status"], "COMPLETE");
    assert_eq!(linked_accounts(&t, &t.key, "?status=COMPLETE").await.len(), 1);
    t.stop().await;
}

async fn repeated_refusals_lock_the_link_token(backend: Backend) {
    let t = LinkTestServer::start(backend).await;
    let token = t.link_token_for(&t.key, "u1", json!({})).await;
    let wrong =
        json!({"integration": "bamboohr", "credentials": {"company_domain": BAMBOO_DOMAIN, "api_key": "wrong"}});
    // Typos caught locally do not count.
    let typo = json!({"integration": "bamboohr", "credentials": {"company_domain": "a b", "api_key": "x"}});
    for _ in 0..3 {
        assert_eq!(t.link_post("/api/link/v1/connect", &token, &typo).await.0, 400);
    }
    for attempt in 1..=10 {
        let (status, body) = t.link_post("/api/link/v1/connect", &token, &wrong).await;
        assert_eq!((status, problem(&body).0), (400, "INVALID_CREDENTIALS"), "attempt {attempt}");
    }
    let (status, body) = t.link_get("/api/link/v1/session", &token).await;
    assert_eq!((status, body["problem_type"].as_str()), (401, Some("LINK_TOKEN_LOCKED")), "{body}");
    let right =
        json!({"integration": "bamboohr", "credentials": {"company_domain": BAMBOO_DOMAIN, "api_key": BAMBOO_KEY}});
    assert_eq!(t.link_post("/api/link/v1/connect", &token, &right).await.0, 401, "even right credentials");
    // Another link token is unaffected.
    let other = t.link_token_for(&t.key, "u2", json!({})).await;
    t.connect_bamboohr(&other, BAMBOO_KEY).await;
    t.stop().await;
}
