//! The BambooHR emulator over HTTP, through its public API.

use std::collections::HashSet;

use joinery_emulators::RunningEmulator;
use joinery_emulators::bamboohr::{self, Access, ApiKey, Company, Config};
use reqwest::StatusCode;
use serde_json::Value;

const KEY: &str = "acme-key";
const LIMITED_KEY: &str = "acme-limited";
const GLOBEX_KEY: &str = "globex-key";

fn company(domain: &str, employees: usize, seed: u64, keys: &[(&str, Access)]) -> Company {
    Company {
        domain: domain.to_owned(),
        name: format!("{domain} Inc."),
        employees,
        seed,
        api_keys: keys.iter().map(|(key, access)| ApiKey { key: (*key).to_owned(), access: *access }).collect(),
        rate_limit: None,
    }
}

async fn start_with(companies: Vec<Company>) -> RunningEmulator {
    bamboohr::start(Config { companies }, "127.0.0.1:0".parse().unwrap()).await.unwrap()
}

/// `acme` with `employees` people and two keys, and `globex` with its own key.
async fn start(employees: usize) -> RunningEmulator {
    start_with(vec![
        company("acme", employees, 42, &[(KEY, Access::Full), (LIMITED_KEY, Access::NoEmployeeAccess)]),
        company("globex", 5, 7, &[(GLOBEX_KEY, Access::Full)]),
    ])
    .await
}

fn url(emu: &RunningEmulator, path: &str) -> String {
    format!("{}/api/gateway.php/acme/v1{path}", emu.base_url)
}

async fn get(url: &str, key: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(url)
        .basic_auth(key, Some("x"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
}

async fn get_json(url: &str) -> Value {
    let response = get(url, KEY).await;
    assert_eq!(response.status(), StatusCode::OK, "{url}");
    response.json().await.unwrap()
}

fn error_message(response: &reqwest::Response) -> String {
    response.headers().get("x-bamboohr-error-message").expect("X-BambooHR-Error-Message").to_str().unwrap().to_owned()
}

/// Every id of a forward walk over `/employees` with `query`, checking each page's shape.
async fn walk(emu: &RunningEmulator, query: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let cursor = after.as_ref().map(|c| format!("&page[after]={c}")).unwrap_or_default();
        let page = get_json(&url(emu, &format!("/employees?{query}{cursor}"))).await;
        pages += 1;
        assert!(pages < 1000, "pagination does not end");
        let data = page["data"].as_array().unwrap();
        ids.extend(data.iter().map(|e| e["employeeId"].as_str().unwrap().to_owned()));
        assert_eq!(
            page["meta"]["page"]["prevCursor"].is_null(),
            after.is_none(),
            "prevCursor only past the first page"
        );
        match page["meta"]["page"]["nextCursor"].as_str() {
            Some(next) => {
                assert!(!data.is_empty());
                assert!(page["_links"]["next"]["href"].as_str().unwrap().contains("page%5Bafter%5D="));
                after = Some(next.to_owned());
            }
            None => {
                assert!(page["_links"].get("next").is_none());
                return ids;
            }
        }
    }
}

#[tokio::test]
async fn missing_authorization_is_401_with_the_error_header() {
    let emu = start(3).await;
    let response = reqwest::get(url(&emu, "/employees")).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(!error_message(&response).is_empty());
    assert!(response.text().await.unwrap().len() < 100, "a short plain body");
}

#[tokio::test]
async fn keys_of_other_companies_and_bad_credentials_are_401() {
    let emu = start(3).await;
    let client = reqwest::Client::new();
    let other_company = get(&url(&emu, "/employees"), GLOBEX_KEY).await;
    assert_eq!(other_company.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_message(&other_company), "Invalid API key");
    assert_eq!(get(&url(&emu, "/employees"), "not-a-key").await.status(), StatusCode::UNAUTHORIZED);
    for header in [format!("Bearer {KEY}"), "Basic %%%".to_owned(), "Basic".to_owned()] {
        let response =
            client.get(url(&emu, "/employees")).header("authorization", header.as_str()).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{header}");
    }
}

#[tokio::test]
async fn the_password_is_ignored() {
    let emu = start(3).await;
    let client = reqwest::Client::new();
    for password in [Some("x"), Some("anything"), None] {
        let response = client.get(url(&emu, "/company_information")).basic_auth(KEY, password).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{password:?}");
    }
}

#[tokio::test]
async fn unknown_company_is_404() {
    let emu = start(3).await;
    let response = get(&format!("{}/api/gateway.php/initech/v1/employees", emu.base_url), KEY).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(!error_message(&response).is_empty());
}

#[tokio::test]
async fn the_host_form_takes_the_company_from_the_host_header() {
    let emu = start(3).await;
    let request = |host: &'static str, key: &'static str| {
        reqwest::Client::new()
            .get(format!("{}/api/v1/employees", emu.base_url))
            .header("host", host)
            .basic_auth(key, Some("x"))
            .header("accept", "application/json")
            .send()
    };
    let ok = request("acme.bamboohr.com", KEY).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body["meta"]["total"], 3);
    assert!(body["_links"]["self"]["href"].as_str().unwrap().starts_with("http://acme.bamboohr.com/api/v1/employees"));
    assert_eq!(request("globex.bamboohr.com", KEY).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(request("initech.bamboohr.com", KEY).await.unwrap().status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn keys_without_employee_access_get_403_on_employee_endpoints_only() {
    let emu = start(3).await;
    for path in ["/employees", "/employees/directory", "/employees/0", "/employees/0?fields=firstName"] {
        let response = get(&url(&emu, path), LIMITED_KEY).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(!error_message(&response).is_empty());
    }
    for path in ["/company_information", "/meta/fields"] {
        assert_eq!(get(&url(&emu, path), LIMITED_KEY).await.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn cursor_pagination_reaches_every_employee_once_in_id_order() {
    let emu = start(23).await;
    let ids = walk(&emu, "page[limit]=5").await;
    assert_eq!(ids.len(), 23);
    let numeric: Vec<u64> = ids.iter().map(|id| id.parse().unwrap()).collect();
    assert!(numeric.windows(2).all(|w| w[0] < w[1]), "ascending, no repeats: {numeric:?}");
    let first = get_json(&url(&emu, "/employees?page[limit]=5")).await;
    assert_eq!(first["meta"]["total"], 23);
    assert_eq!(first["meta"]["page"]["limit"], 5);
    let keys: HashSet<&str> = first["data"][0].as_object().unwrap().keys().map(String::as_str).collect();
    let expected: HashSet<&str> =
        ["employeeId", "firstName", "lastName", "preferredName", "photoUrl", "jobTitleName", "status"].into();
    assert_eq!(keys, expected, "the default record");
}

#[tokio::test]
async fn cursors_are_stable_and_links_can_be_followed() {
    let emu = start(12).await;
    let first = get_json(&url(&emu, "/employees?page[limit]=4")).await;
    let next = first["meta"]["page"]["nextCursor"].as_str().unwrap();
    let by_cursor = get_json(&url(&emu, &format!("/employees?page[limit]=4&page[after]={next}"))).await;
    let again = get_json(&url(&emu, &format!("/employees?page[limit]=4&page[after]={next}"))).await;
    assert_eq!(by_cursor, again, "the same cursor gives the same page");
    let by_link = get_json(first["_links"]["next"]["href"].as_str().unwrap()).await;
    assert_eq!(by_link["data"], by_cursor["data"]);
    // Back again: prevCursor of page 2 gives page 1.
    let prev = by_cursor["meta"]["page"]["prevCursor"].as_str().unwrap();
    let back = get_json(&url(&emu, &format!("/employees?page[limit]=4&page[before]={prev}"))).await;
    assert_eq!(back["data"], first["data"]);
    assert!(back["meta"]["page"]["prevCursor"].is_null(), "page 1 has no previous page");
    assert_eq!(back["meta"]["page"]["nextCursor"], first["meta"]["page"]["nextCursor"]);
    let back_link = get_json(by_cursor["_links"]["prev"]["href"].as_str().unwrap()).await;
    assert_eq!(back_link["data"], first["data"]);
}

#[tokio::test]
async fn pagination_edges_empty_single_and_exact_multiple() {
    let empty = start(0).await;
    let page = get_json(&url(&empty, "/employees")).await;
    assert_eq!(page["data"], serde_json::json!([]));
    assert_eq!(page["meta"]["total"], 0);
    assert!(page["meta"]["page"]["nextCursor"].is_null());
    assert!(page["_links"].get("next").is_none());

    let one = start(1).await;
    assert_eq!(walk(&one, "page[limit]=1").await.len(), 1);

    let ten = start(10).await;
    let first = get_json(&url(&ten, "/employees?page[limit]=5")).await;
    let next = first["meta"]["page"]["nextCursor"].as_str().unwrap();
    let second = get_json(&url(&ten, &format!("/employees?page[limit]=5&page[after]={next}"))).await;
    assert_eq!(second["data"].as_array().unwrap().len(), 5);
    assert!(second["meta"]["page"]["nextCursor"].is_null(), "no empty third page");
    assert_eq!(walk(&ten, "page[limit]=10").await.len(), 10);
}

#[tokio::test]
async fn the_default_limit_is_250_and_the_maximum_2500() {
    let emu = start(300).await;
    let page = get_json(&url(&emu, "/employees")).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 250);
    assert_eq!(page["meta"]["page"]["limit"], 250);
    assert_eq!(get_json(&url(&emu, "/employees?page[limit]=2500")).await["data"].as_array().unwrap().len(), 300);
    for limit in ["0", "2501", "ten"] {
        let response = get(&url(&emu, &format!("/employees?page[limit]={limit}")), KEY).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{limit}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "BadRequest");
    }
}

#[tokio::test]
async fn filter_status_selects_and_counts() {
    let emu = start(200).await;
    let all = get_json(&url(&emu, "/employees?page[limit]=2500")).await;
    let inactive: Vec<&Value> = all["data"].as_array().unwrap().iter().filter(|e| e["status"] == "Inactive").collect();
    assert!(!inactive.is_empty() && inactive.len() < 200, "the generated data has both kinds");
    let ids = walk(&emu, "filter[status]=inactive&page[limit]=7").await;
    let expected: Vec<&str> = inactive.iter().map(|e| e["employeeId"].as_str().unwrap()).collect();
    assert_eq!(ids, expected);
    let filtered = get_json(&url(&emu, "/employees?filter[status]=active&page[limit]=1")).await;
    assert_eq!(filtered["meta"]["total"], 200 - inactive.len());
    let bad = get(&url(&emu, "/employees?filter[status]=terminated"), KEY).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(bad.json::<Value>().await.unwrap()["error"]["code"], "BadRequest");
}

#[tokio::test]
async fn other_filters_combine() {
    let emu = start(60).await;
    let all = get_json(&url(&emu, "/employees?page[limit]=100")).await;
    let first = &all["data"][0];
    let last_name = first["lastName"].as_str().unwrap();
    let page = get_json(&url(&emu, &format!("/employees?filter[lastName]={}", last_name.to_uppercase()))).await;
    assert!(page["data"].as_array().unwrap().iter().all(|e| e["lastName"].as_str().unwrap().contains(last_name)));
    assert!(page["meta"]["total"].as_u64().unwrap() >= 1);
    let (a, b) = (all["data"][3]["employeeId"].as_str().unwrap(), all["data"][9]["employeeId"].as_str().unwrap());
    let ids = get_json(&url(&emu, &format!("/employees?filter[ids][]={a}&filter[ids][]={b}"))).await;
    assert_eq!(ids["meta"]["total"], 2);
    let ids = get_json(&url(&emu, &format!("/employees?filter[ids]={a},{b}"))).await;
    assert_eq!(ids["meta"]["total"], 2);
    assert_eq!(get(&url(&emu, "/employees?filter[shoeSize]=9"), KEY).await.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn malformed_or_misused_cursors_are_bad_page() {
    let emu = start(30).await;
    let first = get_json(&url(&emu, "/employees?page[limit]=5")).await;
    let next = first["meta"]["page"]["nextCursor"].as_str().unwrap();
    let code = |response: reqwest::Response| async move {
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        response.json::<Value>().await.unwrap()["error"]["code"].as_str().unwrap().to_owned()
    };
    assert_eq!(code(get(&url(&emu, "/employees?page[after]=bm9wZQ"), KEY).await).await, "BadPage");
    assert_eq!(
        code(get(&url(&emu, &format!("/employees?page[before]={next}")), KEY).await).await,
        "BadPage",
        "wrong direction"
    );
    // The boundary employee is active, so it is not part of the inactive list.
    let active_cursor = get_json(&url(&emu, "/employees?filter[status]=active&page[limit]=1")).await;
    let active_cursor = active_cursor["meta"]["page"]["nextCursor"].as_str().unwrap().to_owned();
    let misused =
        get(&url(&emu, &format!("/employees?filter[status]=inactive&page[after]={active_cursor}")), KEY).await;
    assert_eq!(code(misused).await, "BadPage");
    let both = get(&url(&emu, &format!("/employees?page[after]={next}&page[before]={next}")), KEY).await;
    assert_eq!(code(both).await, "BadRequest");
}

#[tokio::test]
async fn sort_orders_every_page_and_rejects_unknown_fields() {
    let emu = start(40).await;
    let ids = walk(&emu, "sort=-lastName,firstName&page[limit]=6").await;
    assert_eq!(ids.len(), 40);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 40, "no employee twice");
    let all = get_json(&url(&emu, "/employees?sort=-lastName,firstName&page[limit]=100")).await;
    let names: Vec<(String, String)> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["lastName"].as_str().unwrap().to_lowercase(), e["firstName"].as_str().unwrap().to_lowercase()))
        .collect();
    assert!(names.windows(2).all(|w| w[0].0 > w[1].0 || (w[0].0 == w[1].0 && w[0].1 <= w[1].1)), "{names:?}");
    let walked: Vec<&str> = all["data"].as_array().unwrap().iter().map(|e| e["employeeId"].as_str().unwrap()).collect();
    assert_eq!(ids, walked);
    let descending = walk(&emu, "sort=-employeeId&page[limit]=9").await;
    assert_eq!(descending, walk(&emu, "page[limit]=9").await.into_iter().rev().collect::<Vec<_>>());
    let bad = get(&url(&emu, "/employees?sort=salary"), KEY).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn optional_fields_are_added_on_request() {
    let emu = start(5).await;
    let page = get_json(&url(&emu, "/employees?fields=workEmail,mobilePhone,unknownField")).await;
    let record = page["data"][0].as_object().unwrap();
    assert!(record["workEmail"].as_str().unwrap().ends_with("@acme.example"));
    assert!(record.contains_key("mobilePhone"));
    assert!(!record.contains_key("unknownField"));
    assert_eq!(record.len(), 9);
}

#[tokio::test]
async fn the_same_seed_gives_the_same_people() {
    let (a, b) = (start(20).await, start(20).await);
    let page = "/employees?page[limit]=20&fields=workEmail";
    assert_eq!(get_json(&url(&a, page)).await["data"], get_json(&url(&b, page)).await["data"]);
    let other = start_with(vec![company("acme", 20, 43, &[(KEY, Access::Full)])]).await;
    assert_ne!(get_json(&url(&a, page)).await["data"], get_json(&url(&other, page)).await["data"]);
}

#[tokio::test]
async fn the_directory_lists_active_employees_in_json_or_xml() {
    let emu = start(50).await;
    let directory = get_json(&url(&emu, "/employees/directory")).await;
    let fields: Vec<&str> = directory["fields"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert!(fields.contains(&"displayName") && fields.contains(&"supervisor"));
    let listed: Vec<&str> =
        directory["employees"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    let active = walk(&emu, "filter[status]=active").await;
    assert_eq!(listed, active);
    let first = &directory["employees"][0];
    assert!(first["displayName"].as_str().unwrap().contains(' '));

    let xml =
        reqwest::Client::new().get(url(&emu, "/employees/directory")).basic_auth(KEY, Some("x")).send().await.unwrap();
    assert!(xml.headers()["content-type"].to_str().unwrap().contains("xml"));
    let xml = xml.text().await.unwrap();
    assert!(xml.starts_with("<?xml") && xml.ends_with("</employees></directory>"));
    assert_eq!(xml.matches("<employee id=").count(), active.len());

    let empty = start(0).await;
    assert_eq!(get(&url(&empty, "/employees/directory"), KEY).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn one_employee_returns_id_and_the_named_fields() {
    let emu = start(10).await;
    let list = get_json(&url(&emu, "/employees?page[limit]=10")).await;
    let id = list["data"][4]["employeeId"].as_str().unwrap();
    assert_eq!(get_json(&url(&emu, &format!("/employees/{id}"))).await, serde_json::json!({ "id": id }));
    let employee = get_json(&url(&emu, &format!("/employees/{id}?fields=firstName,lastName,bogus,18"))).await;
    assert_eq!(employee.as_object().unwrap().len(), 4, "{employee}");
    assert_eq!(employee["firstName"], list["data"][4]["firstName"]);
    assert!(employee["workEmail"].as_str().unwrap().contains('@'), "field 18 is workEmail");
    // Id 0 is the key's own record: the first key is the first employee.
    let me = get_json(&url(&emu, "/employees/0?fields=firstName")).await;
    assert_eq!(me["id"], list["data"][0]["employeeId"]);
    assert_eq!(get(&url(&emu, "/employees/999999"), KEY).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(get(&url(&emu, "/employees/abc"), KEY).await.status(), StatusCode::NOT_FOUND);
    let xml = reqwest::Client::new()
        .get(url(&emu, &format!("/employees/{id}?fields=lastName")))
        .basic_auth(KEY, Some("x"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(xml.contains(&format!("<employee id=\"{id}\"><field id=\"lastName\">")), "{xml}");
    let no_record = start(0).await;
    assert_eq!(get_json(&url(&no_record, "/employees/0?fields=firstName")).await, serde_json::json!({ "id": "0" }));
}

#[tokio::test]
async fn company_information_and_the_field_catalogue() {
    let emu = start(1).await;
    let info = get_json(&url(&emu, "/company_information")).await;
    assert_eq!(info["legalName"], "acme Inc.");
    assert!(info["address"]["city"].is_string());
    let fields = get_json(&url(&emu, "/meta/fields")).await;
    let first = fields.as_array().unwrap().iter().find(|f| f["alias"] == "firstName").unwrap();
    assert!(first["id"].is_number() && first["name"].is_string() && first["type"] == "text");
    let xml = reqwest::Client::new()
        .get(url(&emu, "/meta/fields"))
        .basic_auth(KEY, Some("x"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(xml.contains("alias=\"firstName\""));
}

#[tokio::test]
async fn injected_rate_limits_and_failures_come_first_then_normal_service() {
    let emu = start(3).await;
    emu.faults.rate_limit_next(2, 7);
    emu.faults.fail_next(1, 503);
    for _ in 0..2 {
        let response = get(&url(&emu, "/employees"), KEY).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()["retry-after"], "7");
        assert!(!error_message(&response).is_empty());
    }
    let unavailable = get(&url(&emu, "/employees"), KEY).await;
    assert_eq!(unavailable.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(unavailable.headers().get("retry-after").is_none());
    assert_eq!(get(&url(&emu, "/employees"), KEY).await.status(), StatusCode::OK);
    assert_eq!(emu.faults.requests(), 4);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_hundred_thousand_employees_are_served_without_materialising_them() {
    let emu = start(100_000).await;
    let page = get_json(&url(&emu, "/employees?page[limit]=2500")).await;
    assert_eq!(page["meta"]["total"], 100_000);
    assert_eq!(page["data"].as_array().unwrap().len(), 2500);
    let next = page["meta"]["page"]["nextCursor"].as_str().unwrap();
    let second = get_json(&url(&emu, &format!("/employees?page[limit]=2500&page[after]={next}"))).await;
    assert_ne!(second["data"][0], page["data"][0]);
    let inactive = get_json(&url(&emu, "/employees?filter[status]=inactive&page[limit]=1")).await;
    let count = inactive["meta"]["total"].as_u64().unwrap();
    assert!((5_000..15_000).contains(&count), "about a tenth have left: {count}");
}
