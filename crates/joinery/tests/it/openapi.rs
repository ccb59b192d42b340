//! The OpenAPI document is generated from the code and committed as `docs/openapi.json`;
//! this test fails on drift (run with `UPDATE_OPENAPI=1` to rewrite the file).

use reqwest::Method;
use serde_json::Value;

use crate::support::{Backend, TestServer, json};

fn committed_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
}

#[tokio::test]
async fn served_document_lists_every_route_and_matches_the_committed_one() {
    let t = TestServer::start(Backend::Sqlite).await;
    let (status, doc) = json(t.request(Method::GET, "/api/openapi.json").send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/health", "get"),
        ("/api/{category}/v1/link-token", "post"),
        ("/api/integrations/create-link-token", "post"),
        ("/api/integrations", "get"),
        ("/api/organizations/integrations", "get"),
        ("/api/link/v1/session", "get"),
        ("/api/link/v1/connect", "post"),
        ("/api/{category}/v1/account-token/{public_token}", "get"),
        ("/api/{category}/v1/linked-accounts", "get"),
        ("/api/{category}/v1/sync-status", "get"),
        ("/api/hris/v1/groups/types", "get"),
    ] {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} not documented");
    }
    // Every catalogued model's list and retrieve, with every parameter the catalogue gives it.
    for spec in joinery_domain::models::all().filter(|m| m.is_listable()) {
        let base = format!("/api/{}/v1/{}", spec.category.as_str(), spec.path);
        let documented = |path: &str| -> Vec<String> {
            let op = &paths.get(path).unwrap_or_else(|| panic!("{path} not documented"))["get"];
            op["parameters"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect()
        };
        let list = documented(&base);
        for param in spec.list_params() {
            assert!(list.iter().any(|p| p == param), "{base}: {param} not documented");
        }
        let retrieve = documented(&format!("{base}/{{id}}"));
        assert!(retrieve.iter().any(|p| p == "id") && retrieve.iter().any(|p| p == "X-Account-Token"));
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for schema in ["EndUserDetailsRequest", "LinkToken", "IntegrationMetadata", "ErrorDetail"] {
        assert!(schemas.contains_key(schema), "{schema} missing");
    }
    let required = &schemas["EndUserDetailsRequest"]["required"];
    for field in ["end_user_email_address", "end_user_organization_name", "end_user_origin_id", "categories"] {
        assert!(required.as_array().unwrap().contains(&Value::from(field)), "{field} not required in the spec");
    }

    let generated: Value = serde_json::from_str(&joinery_api::openapi_json()).unwrap();
    assert_eq!(doc, generated, "the served document is the generated one");
    let path = committed_path();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, joinery_api::openapi_json() + "\n").unwrap();
    }
    let committed: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("docs/openapi.json exists"))
        .expect("docs/openapi.json is JSON");
    assert_eq!(committed, generated, "docs/openapi.json is stale: rerun this test with UPDATE_OPENAPI=1");
    t.stop().await;
}
