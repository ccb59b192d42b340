//! The demo fixtures through the public API: both emulators start, serve the printed credentials,
//! and shut down.

use std::time::{Duration, Instant};

use joinery_emulators::{bamboohr, demo, gusto};
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::Value;

#[tokio::test]
async fn the_demo_bamboohr_key_reads_the_demo_company() {
    let emu = bamboohr::start(demo::bamboohr(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    assert!(emu.base_url.starts_with("http://127.0.0.1:") && !emu.base_url.ends_with('/'));
    let client = reqwest::Client::new();
    let page: Value = client
        .get(format!("{}/api/gateway.php/{}/v1/employees", emu.base_url, demo::BAMBOOHR_COMPANY_DOMAIN))
        .basic_auth(demo::BAMBOOHR_API_KEY, Some("x"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["meta"]["total"], 50);

    // A client that keeps its connection open must not hold up shutdown.
    let base_url = emu.base_url.clone();
    let started = Instant::now();
    emu.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(client.get(format!("{base_url}/api/v1/employees")).send().await.is_err(), "no longer listening");
}

#[tokio::test]
async fn the_demo_gusto_admin_can_connect_the_demo_company() {
    let redirect = "http://127.0.0.1:9/callback";
    let emu = gusto::start(demo::gusto(redirect), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let http = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    let consent = http
        .post(format!("{}/oauth/authorize", emu.base_url))
        .form(&[
            ("client_id", demo::GUSTO_CLIENT_ID),
            ("redirect_uri", redirect),
            ("response_type", "code"),
            ("state", "demo"),
            ("email", demo::GUSTO_ADMIN_EMAIL),
            ("password", demo::GUSTO_ADMIN_PASSWORD),
            ("decision", "allow"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(consent.status(), StatusCode::FOUND);
    let location = url::Url::parse(consent.headers()["location"].to_str().unwrap()).unwrap();
    let code = location.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let tokens: Value = http
        .post(format!("{}/oauth/token", emu.base_url))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", demo::GUSTO_CLIENT_ID),
            ("client_secret", demo::GUSTO_CLIENT_SECRET),
            ("redirect_uri", redirect),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tokens["expires_in"], 7200);
    let access = tokens["access_token"].as_str().unwrap();
    let info: Value = http
        .get(format!("{}/v1/token_info", emu.base_url))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["resource"]["uuid"], demo::GUSTO_COMPANY_UUID);
    let employees = http
        .get(format!("{}/v1/companies/{}/employees?page=1", emu.base_url, demo::GUSTO_COMPANY_UUID))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(employees.headers()["x-total-count"], "50");
    assert_eq!(emu.faults.requests(), 4);
    emu.shutdown().await;
}
