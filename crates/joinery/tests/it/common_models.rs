//! The common-model read API over stored rows: list and retrieve, every standard parameter,
//! model filters, expand, enum origins, sensitive fields, paging both ways, bad parameters.

use joinery_domain::models::row_id;
use joinery_storage::RowWrite;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::on_both_backends;
use crate::support::{Backend, LinkTestServer, json};

on_both_backends!(lists_filters_and_expands, pages_both_ways_and_rejects_bad_parameters);

fn hash(text: &str) -> [u8; 32] {
    let mut h = [0u8; 32];
    for (i, b) in text.bytes().enumerate() {
        h[i % 32] = h[i % 32].wrapping_mul(31).wrapping_add(b);
    }
    h[31] ^= text.len() as u8;
    h
}

fn row(account: Uuid, model: &'static str, remote_id: &str, data: Value, origins: Option<Value>) -> RowWrite {
    let data = data.to_string();
    RowWrite {
        id: row_id(account, model, remote_id).to_string(),
        linked_account_id: account,
        model,
        remote_id: remote_id.into(),
        content_hash: hash(&data),
        data,
        enum_origins: origins.map(|o| o.to_string()),
        remote_data: Some(json!([{"path": format!("/v1/x/{remote_id}"), "data": {"raw": remote_id}}]).to_string()),
    }
}

/// Three employees, a company, two groups, employments.
async fn seed(t: &LinkTestServer, account: Uuid) {
    let id = |model, remote: &str| row_id(account, model, remote).to_string();
    let company = id("hris.Company", "c1");
    let rows = vec![
        row(
            account,
            "hris.Company",
            "c1",
            json!({"legal_name": "Acme Inc", "display_name": "Acme", "eins": ["12-3"]}),
            None,
        ),
        row(
            account,
            "hris.Group",
            "g1",
            json!({"parent_group": null, "name": "Engineering", "type": "DEPARTMENT", "is_commonly_used_as_team": true}),
            None,
        ),
        row(
            account,
            "hris.Group",
            "g2",
            json!({"parent_group": null, "name": "Berlin", "type": "GROUP", "is_commonly_used_as_team": false}),
            None,
        ),
        row(
            account,
            "hris.Employee",
            "1",
            json!({
                "first_name": "Ada", "last_name": "Lovelace", "company": company, "groups": [id("hris.Group", "g1")],
                "employments": [id("hris.Employment", "e1")], "manager": null, "ssn": "111-22-3333",
                "gender": "FEMALE", "employment_status": "ACTIVE", "start_date": "2020-01-15T00:00:00Z", "work_email": "ada@acme.test"
            }),
            Some(json!({"gender": "Female", "employment_status": "Active"})),
        ),
        row(
            account,
            "hris.Employee",
            "2",
            json!({
                "first_name": "Bob", "last_name": "Byte", "company": company, "groups": [id("hris.Group", "g1"), id("hris.Group", "g2")],
                "employments": [id("hris.Employment", "e2")], "manager": id("hris.Employee", "1"), "ssn": "222",
                "gender": "MALE", "employment_status": "INACTIVE", "start_date": "2022-03-01T00:00:00Z", "termination_date": "2024-01-01T00:00:00Z"
            }),
            None,
        ),
        row(
            account,
            "hris.Employee",
            "3",
            json!({
                "first_name": "Cy", "last_name": "Clark", "company": company, "groups": [], "employments": [],
                "manager": id("hris.Employee", "1"), "employment_status": "ACTIVE", "start_date": "2023-07-01T00:00:00Z"
            }),
            None,
        ),
        row(
            account,
            "hris.Employment",
            "e1",
            json!({"employee": id("hris.Employee", "1"), "job_title": "Engineer", "employment_type": "FULL_TIME", "effective_date": "2020-01-15T00:00:00Z"}),
            None,
        ),
        row(
            account,
            "hris.Employment",
            "e2",
            json!({"employee": id("hris.Employee", "2"), "job_title": "Designer", "employment_type": "CONTRACTOR", "effective_date": "2022-03-01T00:00:00Z"}),
            None,
        ),
    ];
    assert_eq!(t.storage().upsert_rows(&rows, joinery_storage::now_micros()).await.unwrap(), rows.len() as u64);
}

async fn get(t: &LinkTestServer, token: &str, path: &str) -> (u16, Value) {
    json(t.with_account(Method::GET, path, token).send().await.unwrap()).await
}

fn names(body: &Value) -> Vec<&str> {
    body["results"].as_array().unwrap().iter().map(|e| e["first_name"].as_str().unwrap_or("?")).collect()
}

async fn lists_filters_and_expands(backend: Backend) {
    // No worker: these rows are written by hand, and a sync of the emulator would add its own.
    let t = LinkTestServer::start_with(backend, true).await;
    let (account, token) = t.link_account("u1").await;
    seed(&t, account).await;

    let (status, body) = get(&t, &token, "/api/hris/v1/employees").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(names(&body), ["Ada", "Bob", "Cy"]);
    let ada = &body["results"][0];
    assert_eq!(ada["id"], row_id(account, "hris.Employee", "1").to_string().as_str());
    assert_eq!(ada["remote_id"], "1");
    assert_eq!(ada["ssn"], Value::Null, "sensitive fields need include_sensitive_fields");
    assert_eq!(ada["gender"], "FEMALE");
    assert_eq!(ada["remote_data"], Value::Null);
    assert_eq!(ada["remote_was_deleted"], false);
    assert!(ada["created_at"].as_str().unwrap().ends_with('Z'));
    // Every catalogue field is present, in Merge's order, null when unknown.
    let keys: Vec<&str> = ada.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(&keys[..5], ["id", "remote_id", "created_at", "modified_at", "employee_number"]);
    assert_eq!(keys.last(), Some(&"remote_data"));
    assert_eq!(ada["avatar"], Value::Null);

    let (_, body) = get(
        &t,
        &token,
        "/api/hris/v1/employees?include_sensitive_fields=true&show_enum_origins=gender&include_remote_data=true",
    )
    .await;
    assert_eq!(body["results"][0]["ssn"], "111-22-3333");
    assert_eq!(body["results"][0]["gender"], "Female");
    assert_eq!(body["results"][0]["employment_status"], "ACTIVE", "only the named enum shows its origin");
    assert_eq!(body["results"][0]["remote_data"][0]["path"], "/v1/x/1");
    let (_, body) = get(&t, &token, "/api/hris/v1/employees?remote_fields=employment_status").await;
    assert_eq!(body["results"][0]["employment_status"], "Active", "remote_fields is the deprecated alias");

    for (query, expected) in [
        ("first_name=Bob", vec!["Bob"]),
        ("employment_status=ACTIVE", vec!["Ada", "Cy"]),
        ("started_after=2021-01-01T00:00:00Z", vec!["Bob", "Cy"]),
        ("started_before=2021-01-01", vec!["Ada"]),
        ("terminated_after=2023-12-31T00:00:00Z", vec!["Bob"]),
        (&format!("manager_id={}", row_id(account, "hris.Employee", "1")), vec!["Bob", "Cy"]),
        (&format!("groups={}", row_id(account, "hris.Group", "g2")), vec!["Bob"]),
        (
            &format!("groups={},{}", row_id(account, "hris.Group", "g2"), row_id(account, "hris.Group", "g1")),
            vec!["Ada", "Bob"],
        ),
        (&format!("company_id={}", row_id(account, "hris.Company", "c1")), vec!["Ada", "Bob", "Cy"]),
        ("employment_type=CONTRACTOR", vec!["Bob"]),
        ("job_title=Engineer", vec!["Ada"]),
        ("remote_id=3", vec!["Cy"]),
        ("remote_id=nope", vec![]),
        ("work_email=ada@acme.test", vec!["Ada"]),
    ] {
        let (status, body) = get(&t, &token, &format!("/api/hris/v1/employees?{query}")).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(names(&body), expected, "{query}");
    }
    let (_, groups) = get(&t, &token, "/api/hris/v1/groups?types=DEPARTMENT").await;
    assert_eq!(groups["results"].as_array().unwrap().len(), 1);
    let (_, groups) = get(&t, &token, "/api/hris/v1/groups?is_commonly_used_as_team=false").await;
    assert_eq!(groups["results"][0]["name"], "Berlin");
    let (status, types) = get(&t, &token, "/api/hris/v1/groups/types").await;
    assert_eq!((status, &types), (200, &json!({"types": ["DEPARTMENT", "GROUP"]})));
    let (status, _) = get(&t, &token, "/api/hris/v1/groups/types?show_enum_origins=name").await;
    assert_eq!(status, 400);

    // Expand: relations become objects (one level); lists too.
    let (_, body) = get(&t, &token, "/api/hris/v1/employees?expand=company,manager,groups").await;
    let bob = &body["results"][1];
    assert_eq!(bob["company"]["legal_name"], "Acme Inc");
    assert_eq!(bob["manager"]["first_name"], "Ada");
    assert!(bob["manager"]["manager"].is_null());
    assert_eq!(bob["groups"].as_array().unwrap().len(), 2);
    assert_eq!(bob["groups"][1]["name"], "Berlin");
    assert!(body["results"][0]["manager"].is_null());
    let (_, body) = get(&t, &token, "/api/hris/v1/employments?expand=employee&order_by=-effective_date").await;
    assert_eq!(body["results"][0]["employee"]["first_name"], "Bob");

    // Retrieve, deleted rows, other accounts.
    let ada_id = row_id(account, "hris.Employee", "1").to_string();
    let (status, one) = get(&t, &token, &format!("/api/hris/v1/employees/{ada_id}?expand=company")).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["company"]["display_name"], "Acme");
    t.storage().mark_rows_deleted(std::slice::from_ref(&ada_id), joinery_storage::now_micros()).await.unwrap();
    let (_, body) = get(&t, &token, "/api/hris/v1/employees").await;
    assert_eq!(names(&body), ["Bob", "Cy"]);
    let (_, body) = get(&t, &token, "/api/hris/v1/employees?include_deleted_data=true").await;
    assert_eq!(names(&body), ["Ada", "Bob", "Cy"]);
    assert_eq!(body["results"][0]["remote_was_deleted"], true);
    let (status, _) = get(&t, &token, &format!("/api/hris/v1/employees/{}", Uuid::new_v4())).await;
    assert_eq!(status, 404);
    let (status, _) = get(&t, &token, "/api/hris/v1/employees/not-a-uuid").await;
    assert_eq!(status, 404);
    let (_, other_token) = t.link_account("u2").await;
    let (_, body) = get(&t, &other_token, "/api/hris/v1/employees").await;
    assert_eq!(body["results"], json!([]), "another account sees none of these rows");
    let (status, _) = get(&t, &other_token, &format!("/api/hris/v1/employees/{ada_id}")).await;
    assert_eq!(status, 404);
    // Models the connector does not fill are empty lists.
    let (status, body) = get(&t, &token, "/api/hris/v1/payroll-runs").await;
    assert_eq!((status, body["results"].as_array().unwrap().len()), (200, 0));
    t.stop().await;
}

async fn pages_both_ways_and_rejects_bad_parameters(backend: Backend) {
    // No worker: these rows are written by hand, and a sync of the emulator would add its own.
    let t = LinkTestServer::start_with(backend, true).await;
    let (account, token) = t.link_account("u1").await;
    let rows: Vec<RowWrite> = (0..7)
        .map(|i| {
            row(
                account,
                "hris.Location",
                &format!("l{i}"),
                json!({"name": format!("Site {i}"), "location_type": "WORK"}),
                None,
            )
        })
        .collect();
    t.storage().upsert_rows(&rows, 100).await.unwrap();
    let site = |body: &Value| -> Vec<String> {
        body["results"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap().to_owned()).collect()
    };
    let mut pages = Vec::new();
    let mut path = "/api/hris/v1/locations?page_size=3".to_owned();
    loop {
        let (status, body) = get(&t, &token, &path).await;
        assert_eq!(status, 200, "{body}");
        pages.push(body.clone());
        match body["next"].as_str() {
            Some(next) => path = format!("/api/hris/v1/locations?page_size=3&cursor={next}"),
            None => break,
        }
    }
    let all: Vec<String> = pages.iter().flat_map(site).collect();
    let mut expected: Vec<String> = rows
        .iter()
        .map(|r| r.data.clone())
        .map(|d| serde_json::from_str::<Value>(&d).unwrap()["name"].as_str().unwrap().to_owned())
        .collect();
    let mut sorted = all.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected, "every row exactly once");
    assert_eq!(pages.len(), 3);
    assert!(pages[0]["previous"].is_null());
    // Back from the last page gives the middle page again.
    let previous = pages[2]["previous"].as_str().unwrap();
    let (_, back) = get(&t, &token, &format!("/api/hris/v1/locations?page_size=3&cursor={previous}")).await;
    assert_eq!(site(&back), site(&pages[1]));
    assert!(back["next"].is_string() && back["previous"].is_string());

    for (query, param) in [
        ("expand=nope", "expand"),
        ("show_enum_origins=name", "show_enum_origins"),
        ("location_type=MOON", "location_type"),
        ("created_after=yesterday", "created_after"),
        ("include_deleted_data=maybe", "include_deleted_data"),
        ("page_size=0", "page_size"),
        ("cursor=%%%", "cursor"),
        ("order_by=name", "order_by"),
    ] {
        let (status, body) = get(&t, &token, &format!("/api/hris/v1/locations?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body.get(param).is_some(), "{query}: {body}");
    }
    let (status, body) = get(&t, &token, "/api/hris/v1/employees?manager_id=x").await;
    assert_eq!((status, body.get("manager_id").is_some()), (400, true), "{body}");
    // Without an account token, or with an API key alone.
    let res = t.authed(Method::GET, "/api/hris/v1/locations").send().await.unwrap();
    assert_eq!(res.status(), 401);
    // An HRIS account token on an ATS path would be refused once ATS models exist; an unknown
    // model path is a 404.
    let (status, _) = get(&t, &token, "/api/hris/v1/nonsense").await;
    assert_eq!(status, 404);
    t.stop().await;
}
