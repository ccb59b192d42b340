//! API-key authentication and tenant isolation.

use joinery_domain::tokens::generate_api_key;
use reqwest::Method;
use serde_json::Value;

use crate::on_both_backends;
use crate::support::{Backend, TestServer, json, minimal_request};

on_both_backends!(every_bad_credential_gets_401, keys_belong_to_one_organization, bootstrap_happens_once);

async fn every_bad_credential_gets_401(backend: Backend) {
    let t = TestServer::start(backend).await;
    let body = minimal_request();
    let mut tampered = t.key.clone().into_bytes();
    tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let cases: Vec<(Option<String>, &str)> = vec![
        (None, "Authentication credentials were not provided."),
        (Some(String::new()), "Authentication credentials were not provided."),
        (Some(format!("Token {}", t.key)), "Invalid authorization header; expected \"Bearer <API key>\"."),
        (Some(t.key.clone()), "Invalid authorization header; expected \"Bearer <API key>\"."),
        (Some("Bearer ".into()), "Invalid API key."),
        (Some("Bearer not-a-key".into()), "Invalid API key."),
        (Some(format!("Bearer {tampered}")), "Invalid API key."),
        // Well formed, right checksum, but never issued.
        (Some(format!("Bearer {}", generate_api_key())), "Invalid API key."),
    ];
    for (header, detail) in cases {
        for path in ["/api/hris/v1/link-token", "/api/integrations/create-link-token"] {
            let mut req = t.request(Method::POST, path).json(&body);
            if let Some(h) = &header {
                req = req.header("authorization", h);
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.headers().get("www-authenticate").map(|v| v.to_str().unwrap()), Some("Bearer"));
            let (status, res) = json(res).await;
            assert_eq!(status, 401, "{header:?} {path}: {res}");
            assert_eq!(res, serde_json::json!({ "detail": detail }), "{header:?}");
        }
        let mut req = t.request(Method::GET, "/api/organizations/integrations");
        if let Some(h) = &header {
            req = req.header("authorization", h);
        }
        let (status, _) = json(req.send().await.unwrap()).await;
        assert_eq!(status, 401);
    }
    // Auth is checked before the body: an unauthenticated bad body learns nothing about fields.
    let (status, res) = json(t.request(Method::POST, "/api/hris/v1/link-token").body("{").send().await.unwrap()).await;
    assert_eq!((status, res["detail"].clone()), (401, Value::from("Authentication credentials were not provided.")));
    // The scheme is case-insensitive, as HTTP says.
    let res = t
        .request(Method::POST, "/api/hris/v1/link-token")
        .header("authorization", format!("bearer {}", t.key))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    t.stop().await;
}

async fn keys_belong_to_one_organization(backend: Backend) {
    let t = TestServer::start(backend).await;
    let a2 = t.new_org_key("default").await;
    let b = t.new_org_key("beta").await;
    let (org_a, _) = t.storage().ensure_organization("default").await.unwrap();
    let (org_b, _) = t.storage().ensure_organization("beta").await.unwrap();
    assert_ne!(org_a.id, org_b.id);

    // A second key of the same organization works; keys differ.
    assert_ne!(a2, t.key);
    for key in [&t.key, &a2, &b] {
        let (status, _) = t.post_link_token("/api/hris/v1/link-token", key, &minimal_request()).await;
        assert_eq!(status, 200);
    }
    // What one organization configures, another does not see.
    t.storage().set_integration_enabled(org_b.id, "workable", false).await.unwrap();
    let list = |key: String| {
        let req = t.request(Method::GET, "/api/organizations/integrations?page_size=100").bearer_auth(key);
        async move {
            let (status, body) = json(req.send().await.unwrap()).await;
            assert_eq!(status, 200);
            body["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["slug"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let seen_by_a = list(t.key.clone()).await;
    let seen_by_b = list(b.clone()).await;
    assert!(seen_by_a.contains(&"workable".to_owned()));
    assert!(!seen_by_b.contains(&"workable".to_owned()));
    assert_eq!(seen_by_a.len(), seen_by_b.len() + 1);
    t.stop().await;
}

async fn bootstrap_happens_once(backend: Backend) {
    let t = TestServer::start(backend).await;
    assert_eq!(t.storage().organization_count().await.unwrap(), 1);
    // A second server on the same database neither creates nor prints a key.
    let again = joinery::start(&t.db.config(), std::future::pending()).await.unwrap();
    assert!(again.bootstrap_key.is_none());
    let res = reqwest::Client::new()
        .post(format!("http://{}/api/hris/v1/link-token", again.addr))
        .bearer_auth(&t.key)
        .json(&minimal_request())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "both servers accept the same key");
    again.shutdown().await.unwrap();
    assert_eq!(t.storage().organization_count().await.unwrap(), 1);
    t.stop().await;
}
