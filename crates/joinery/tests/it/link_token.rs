//! `POST /api/{category}/v1/link-token` and `/api/integrations/create-link-token`.

use joinery_domain::tokens::{TokenHasher, TokenKind, split_token_id};
use joinery_storage::now_micros;
use reqwest::Method;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{Backend, TestServer, json, minimal_request, request_with, request_without};

on_both_backends!(
    creates_tokens_for_every_category_path,
    records_the_whole_request_hashed,
    magic_link_and_integration_name,
    rejects_every_kind_of_bad_field,
    rejects_bad_bodies_with_4xx,
    honours_organization_integration_settings,
);

const CATEGORIES: [&str; 8] = ["hris", "ats", "accounting", "ticketing", "crm", "mktg", "filestorage", "knowledgebase"];

fn assert_token_shape(body: &Value) {
    let token = body["link_token"].as_str().expect("link_token is a string");
    assert!(token.len() >= 43, "{token}");
    assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{token}");
    let keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 3, "{body}");
    for k in ["link_token", "integration_name", "magic_link_url"] {
        assert!(keys.contains(&k), "missing {k} in {body}");
    }
}

async fn creates_tokens_for_every_category_path(backend: Backend) {
    let t = TestServer::start(backend).await;
    let mut seen = std::collections::HashSet::new();
    for category in CATEGORIES {
        let (status, body) =
            t.post_link_token(&format!("/api/{category}/v1/link-token"), &t.key, &minimal_request()).await;
        assert_eq!(status, 200, "{category}: {body}");
        assert_token_shape(&body);
        assert_eq!(body["integration_name"], Value::Null);
        assert_eq!(body["magic_link_url"], Value::Null);
        assert!(seen.insert(body["link_token"].as_str().unwrap().to_owned()), "tokens repeat");
    }
    let (status, body) = t.post_link_token("/api/integrations/create-link-token", &t.key, &minimal_request()).await;
    assert_eq!(status, 200, "{body}");
    assert_token_shape(&body);
    // The path's category does not restrict the body's categories (as in Merge).
    let (status, body) =
        t.post_link_token("/api/hris/v1/link-token", &t.key, &request_with(json!({"categories": ["ats"]}))).await;
    assert_eq!(status, 200, "{body}");
    t.stop().await;
}

async fn records_the_whole_request_hashed(backend: Backend) {
    let t = TestServer::start(backend).await;
    let body = request_with(json!({
        "categories": ["hris", "ats"],
        "integration": "bamboohr",
        "link_expiry_mins": 45,
        "language": "de",
        "are_syncs_disabled": true,
        "common_models": [{"model_id": "hris.Employee", "enabled_actions": ["READ"], "disabled_fields": ["ssn"]}],
        "category_common_model_scopes": {"hris": [{"model_name": "Employee", "model_permissions": {"WRITE": {"is_enabled": false}}}]},
        "integration_specific_config": {"region": "eu"},
        "linked_destination_id": "5f0e7e4e-1c43-4f5e-9c39-0b7e0b0f7a11",
    }));
    let before = now_micros();
    let (status, res) = t.post_link_token("/api/ats/v1/link-token", &t.key, &body).await;
    assert_eq!(status, 200, "{res}");
    let token = res["link_token"].as_str().unwrap().to_owned();

    let hasher = TokenHasher::new(&[0x5e; 32]);
    let id = split_token_id(&token).expect("a link token is a split token");
    let record = t.storage().find_link_token(id).await.unwrap().expect("stored");
    assert!(hasher.verify(TokenKind::LinkToken, &token, &record.token_hash));
    assert!(!hasher.verify(TokenKind::LinkToken, &token.replace(&token[60..], "AAAA"), &record.token_hash));
    let r = &record.request;
    assert_eq!(r.end_user_origin_id, "user-1");
    assert_eq!(r.integration.as_deref(), Some("bamboohr"));
    assert_eq!(r.language.as_deref(), Some("de"));
    assert!(r.are_syncs_disabled);
    assert_eq!(r.common_models.as_ref().unwrap()[0].disabled_fields, vec!["ssn"]);
    assert_eq!(r.integration_specific_config.as_ref().unwrap()["region"], "eu");
    assert_eq!(record.consumed_at, None);
    let lifetime = record.expires_at - record.created_at;
    assert_eq!(lifetime, 45 * 60 * 1_000_000);
    assert!(record.created_at >= before && record.created_at <= now_micros());

    // Neither the token nor the API key exists anywhere in the database in the clear.
    let dump = t.db.dump().await;
    assert!(dump.contains("user-1"), "the dump sees the stored rows");
    assert!(!dump.contains(&token), "raw link token stored");
    assert!(!dump.contains(&t.key), "raw API key stored");
    assert!(!dump.contains(&t.key[7..30]), "part of the API key stored");
    t.stop().await;
}

async fn magic_link_and_integration_name(backend: Backend) {
    let t = TestServer::start(backend).await;
    let (status, res) = t
        .post_link_token(
            "/api/hris/v1/link-token",
            &t.key,
            &request_with(
                json!({"should_create_magic_link_url": true, "link_expiry_mins": 10080, "integration": "Personio"}),
            ),
        )
        .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["integration_name"], "Personio");
    let url = res["magic_link_url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/link?link_token=", t.base)), "{url}");
    assert!(url.ends_with(res["link_token"].as_str().unwrap()));

    let (status, res) = t
        .post_link_token(
            "/api/ats/v1/link-token",
            &t.key,
            &request_with(
                json!({"categories": ["ats"], "integration": "lever", "should_create_magic_link_url": false}),
            ),
        )
        .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["integration_name"], "Lever");
    assert_eq!(res["magic_link_url"], Value::Null);

    // Every nullable optional field takes null as "not given".
    let nulls = request_with(json!({
        "integration": null, "link_expiry_mins": null, "should_create_magic_link_url": null,
        "hide_admin_magic_link": null, "common_models": null, "category_common_model_scopes": null,
        "language": null, "are_syncs_disabled": null, "integration_specific_config": null,
        "completed_account_initial_screen": null, "linked_destination_id": null, "credential_id": null,
    }));
    let (status, res) = t.post_link_token("/api/hris/v1/link-token", &t.key, &nulls).await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["integration_name"], Value::Null);
    t.stop().await;
}

/// Each case: a body, and the field its 400 must name.
fn bad_fields() -> Vec<(Value, &'static str)> {
    let long = "x".repeat(101);
    vec![
        (request_without("end_user_email_address"), "end_user_email_address"),
        (request_without("end_user_organization_name"), "end_user_organization_name"),
        (request_without("end_user_origin_id"), "end_user_origin_id"),
        (request_without("categories"), "categories"),
        (request_with(json!({"end_user_email_address": ""})), "end_user_email_address"),
        (request_with(json!({"end_user_organization_name": "   "})), "end_user_organization_name"),
        (request_with(json!({"end_user_origin_id": long})), "end_user_origin_id"),
        (request_with(json!({"end_user_origin_id": null})), "end_user_origin_id"),
        (request_with(json!({"end_user_email_address": ["a"]})), "end_user_email_address"),
        (request_with(json!({"categories": []})), "categories"),
        (request_with(json!({"categories": "hris"})), "categories"),
        (request_with(json!({"categories": ["hris", "payroll"]})), "categories"),
        (request_with(json!({"categories": ["HRIS"]})), "categories"),
        (request_with(json!({"integration": "nope"})), "integration"),
        (request_with(json!({"integration": ""})), "integration"),
        (request_with(json!({"integration": "greenhouse"})), "integration"),
        (request_with(json!({"link_expiry_mins": 29})), "link_expiry_mins"),
        (request_with(json!({"link_expiry_mins": 721})), "link_expiry_mins"),
        (request_with(json!({"link_expiry_mins": 10081, "should_create_magic_link_url": true})), "link_expiry_mins"),
        (request_with(json!({"link_expiry_mins": "soon"})), "link_expiry_mins"),
        (request_with(json!({"link_expiry_mins": 45.5})), "link_expiry_mins"),
        (request_with(json!({"should_create_magic_link_url": "sometimes"})), "should_create_magic_link_url"),
        (request_with(json!({"hide_admin_magic_link": [true]})), "hide_admin_magic_link"),
        (request_with(json!({"are_syncs_disabled": {}})), "are_syncs_disabled"),
        (request_with(json!({"language": "fr"})), "language"),
        (request_with(json!({"completed_account_initial_screen": "START"})), "completed_account_initial_screen"),
        (request_with(json!({"linked_destination_id": "not-a-uuid"})), "linked_destination_id"),
        (request_with(json!({"credential_id": 12})), "credential_id"),
        (request_with(json!({"integration_specific_config": [1]})), "integration_specific_config"),
        (request_with(json!({"common_models": {"model_id": "hris.Employee"}})), "common_models"),
        (
            request_with(
                json!({"common_models": [{"model_id": "hris.Nope", "enabled_actions": [], "disabled_fields": []}]}),
            ),
            "common_models",
        ),
        (
            request_with(
                json!({"common_models": [{"model_id": "hris.Employee", "enabled_actions": ["DELETE"], "disabled_fields": []}]}),
            ),
            "common_models",
        ),
        (request_with(json!({"category_common_model_scopes": {"payroll": []}})), "category_common_model_scopes"),
        (
            request_with(json!({"category_common_model_scopes": {"hris": [{"model_permissions": {}}]}})),
            "category_common_model_scopes",
        ),
        (request_with(json!({"category_common_model_scopes": []})), "category_common_model_scopes"),
        (request_with(json!({"ekm_enabled": "nah"})), "ekm_enabled"),
        (request_with(json!({"end_user_origin_id": "user\u{0}1"})), "end_user_origin_id"),
        (request_with(json!({"integration_specific_config": {"k\u{0}": 1}})), "integration_specific_config"),
    ]
}

async fn rejects_every_kind_of_bad_field(backend: Backend) {
    let t = TestServer::start(backend).await;
    for (body, field) in bad_fields() {
        let (status, res) = t.post_link_token("/api/hris/v1/link-token", &t.key, &body).await;
        assert_eq!(status, 400, "{field}: {body} -> {res}");
        let messages = res.get(field).unwrap_or_else(|| panic!("400 does not name {field}: {res}"));
        assert!(!messages.to_string().is_empty());
        assert_eq!(res.as_object().unwrap().len(), 1, "only {field} is wrong: {res}");
    }
    // All problems are reported at once.
    let (status, res) = t.post_link_token("/api/hris/v1/link-token", &t.key, &json!({"language": "xx"})).await;
    assert_eq!(status, 400);
    for field in
        ["end_user_email_address", "end_user_organization_name", "end_user_origin_id", "categories", "language"]
    {
        assert!(res.get(field).is_some(), "{field} missing from {res}");
    }
    assert_eq!(res["categories"], json!(["This field is required."]));
    // Nothing was stored by any of them.
    let rows = t.db.dump().await;
    assert!(!rows.contains("Example Corp"), "a rejected request was stored");
    t.stop().await;
}

async fn rejects_bad_bodies_with_4xx(backend: Backend) {
    let t = TestServer::start(backend).await;
    let post = |body: reqwest::Body, content_type: Option<&str>| {
        let mut req = t.authed(Method::POST, "/api/hris/v1/link-token").body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        req.send()
    };
    let (status, res) =
        json(post("{\"end_user_email_address\": ".into(), Some("application/json")).await.unwrap()).await;
    assert_eq!(status, 400);
    assert!(res["detail"].as_str().unwrap().starts_with("JSON parse error"), "{res}");

    let (status, res) = json(post("[1, 2]".into(), Some("application/json")).await.unwrap()).await;
    assert_eq!(status, 400);
    assert!(res["non_field_errors"].is_array(), "{res}");

    let (status, res) = json(post("\"text\"".into(), Some("application/json; charset=utf-8")).await.unwrap()).await;
    assert_eq!(status, 400, "{res}");

    let (status, res) = json(post(minimal_request().to_string().into(), Some("text/plain")).await.unwrap()).await;
    assert_eq!(status, 415, "{res}");
    assert!(res["detail"].as_str().unwrap().contains("text/plain"));

    let (status, _) = json(post(minimal_request().to_string().into(), None).await.unwrap()).await;
    assert_eq!(status, 415);

    let (status, res) = json(post("".into(), Some("application/json")).await.unwrap()).await;
    assert_eq!(status, 400, "an empty body reads as {{}}: {res}");
    assert_eq!(res["end_user_origin_id"], json!(["This field is required."]));

    let huge = format!("{{\"end_user_origin_id\": \"{}\"}}", "x".repeat(1024 * 1024 + 10));
    let (status, res) = json(post(huge.into(), Some("application/json")).await.unwrap()).await;
    assert_eq!(status, 413, "{res}");

    let (status, res) = json(post(vec![0xff, 0xfe, 0x00].into(), Some("application/json")).await.unwrap()).await;
    assert_eq!(status, 400, "{res}");

    let (status, res) = json(t.authed(Method::GET, "/api/hris/v1/link-token").send().await.unwrap()).await;
    assert_eq!(status, 405, "{res}");
    assert_eq!(res["detail"], "Method \"GET\" not allowed.");

    let (status, res) = t.post_link_token("/api/payroll/v1/link-token", &t.key, &minimal_request()).await;
    assert_eq!(status, 404, "{res}");
    let (status, _) = t.post_link_token("/api/hris/v2/link-token", &t.key, &minimal_request()).await;
    assert_eq!(status, 404);
    t.stop().await;
}

async fn honours_organization_integration_settings(backend: Backend) {
    let t = TestServer::start(backend).await;
    let other_key = t.new_org_key("other").await;
    let (org, _) = t.storage().ensure_organization("default").await.unwrap();
    t.storage().set_integration_enabled(org.id, "bamboohr", false).await.unwrap();

    let body = request_with(json!({"integration": "bamboohr"}));
    let (status, res) = t.post_link_token("/api/hris/v1/link-token", &t.key, &body).await;
    assert_eq!(status, 400, "{res}");
    assert!(res["integration"][0].as_str().unwrap().contains("not enabled"), "{res}");
    // The other organization is unaffected.
    let (status, res) = t.post_link_token("/api/hris/v1/link-token", &other_key, &body).await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["integration_name"], "BambooHR");
    t.stop().await;
}
