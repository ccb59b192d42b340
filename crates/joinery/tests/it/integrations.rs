//! `GET /api/integrations`, `GET /api/organizations/integrations` and the logos they point to.

use reqwest::Method;
use serde_json::Value;

use crate::on_both_backends;
use crate::support::{Backend, TestServer, json};

on_both_backends!(lists_the_catalogue_with_merge_fields, organization_list_paginates_to_the_end);

const MERGE_FIELDS: [&str; 10] = [
    "name",
    "abbreviated_name",
    "slug",
    "categories",
    "image",
    "square_image",
    "color",
    "api_endpoints_to_documentation_urls",
    "webhook_setup_guide_url",
    "category_beta_status",
];

async fn lists_the_catalogue_with_merge_fields(backend: Backend) {
    let t = TestServer::start(backend).await;
    // Public, as Merge's is.
    let (status, body) = json(t.request(Method::GET, "/api/integrations").send().await.unwrap()).await;
    assert_eq!(status, 200);
    let items = body.as_array().unwrap();
    let slugs: Vec<&str> = items.iter().map(|i| i["slug"].as_str().unwrap()).collect();
    for (slug, category) in [
        ("bamboohr", "hris"),
        ("personio", "hris"),
        ("hibob", "hris"),
        ("gusto", "hris"),
        ("greenhouse", "ats"),
        ("lever", "ats"),
        ("ashby", "ats"),
        ("workable", "ats"),
    ] {
        let item = items.iter().find(|i| i["slug"] == slug).unwrap_or_else(|| panic!("{slug} missing: {slugs:?}"));
        assert!(item["categories"].as_array().unwrap().contains(&Value::from(category)));
    }
    for item in items {
        let obj = item.as_object().unwrap();
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut expected = MERGE_FIELDS.to_vec();
        expected.sort_unstable();
        assert_eq!(keys, expected, "{item}");
        for logo in ["image", "square_image"] {
            let url = item[logo].as_str().unwrap();
            assert!(url.starts_with(&t.base), "logos are served by Joinery: {url}");
            let res = t.http.get(url).send().await.unwrap();
            assert_eq!(res.status(), 200, "{url}");
            assert_eq!(res.headers()["content-type"], "image/svg+xml");
            let svg = res.text().await.unwrap();
            assert!(svg.starts_with("<svg") && svg.contains(item["color"].as_str().unwrap()), "{svg}");
        }
    }
    let (status, _) = json(t.request(Method::GET, "/assets/integrations/nope/image.svg").send().await.unwrap()).await;
    assert_eq!(status, 404);
    let (status, _) = json(t.request(Method::GET, "/assets/integrations/lever/other.svg").send().await.unwrap()).await;
    assert_eq!(status, 404);
    t.stop().await;
}

async fn organization_list_paginates_to_the_end(backend: Backend) {
    let t = TestServer::start(backend).await;
    let (_, all) = json(t.request(Method::GET, "/api/integrations").send().await.unwrap()).await;
    let all: Vec<Value> = all.as_array().unwrap().clone();

    let mut collected = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut req = t.authed(Method::GET, "/api/organizations/integrations").query(&[("page_size", "5")]);
        if let Some(c) = &cursor {
            req = req.query(&[("cursor", c)]);
        }
        let (status, page) = json(req.send().await.unwrap()).await;
        assert_eq!(status, 200, "{page}");
        assert!(page["results"].as_array().unwrap().len() <= 5);
        if pages == 0 {
            assert_eq!(page["previous"], Value::Null);
        } else {
            assert!(page["previous"].is_string());
        }
        collected.extend(page["results"].as_array().unwrap().iter().cloned());
        pages += 1;
        match page["next"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(pages < 100, "pagination does not end");
    }
    assert_eq!(collected, all);
    assert_eq!(pages, all.len().div_ceil(5));

    // Default page size is 30; oversize requests are capped at 100.
    let (_, page) =
        json(t.authed(Method::GET, "/api/organizations/integrations?page_size=1000").send().await.unwrap()).await;
    assert_eq!(page["results"].as_array().unwrap().len(), all.len().min(100));

    for (query, field) in [("page_size=0", "page_size"), ("page_size=ten", "page_size"), ("cursor=%%%", "cursor")] {
        let (status, body) =
            json(t.authed(Method::GET, &format!("/api/organizations/integrations?{query}")).send().await.unwrap())
                .await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body.get(field).is_some(), "{query}: {body}");
    }
    t.stop().await;
}
