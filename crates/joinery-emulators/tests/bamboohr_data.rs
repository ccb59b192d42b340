//! The BambooHR emulator's data endpoints (lists, custom reports, tables, time off, change
//! tracking, dependents) and the mutation API, through the public API.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use joinery_emulators::RunningEmulator;
use joinery_emulators::bamboohr::{
    self, Access, ApiKey, Company, CompanyHandle, CompensationRow, Config, JobInfoRow, RateLimit, Table, TableRow,
    WorldError,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

const KEY: &str = "acme-key";
const LIMITED_KEY: &str = "acme-limited";
const GLOBEX_KEY: &str = "globex-key";
/// Generated data ends before this instant; only changes made by tests come after it.
const AFTER_GENERATION: &str = "2026-07-01T00:00:00Z";

fn company(domain: &str, employees: usize, seed: u64) -> Company {
    Company {
        domain: domain.to_owned(),
        name: format!("{domain} Inc."),
        employees,
        seed,
        api_keys: vec![
            ApiKey { key: KEY.to_owned(), access: Access::Full },
            ApiKey { key: LIMITED_KEY.to_owned(), access: Access::NoEmployeeAccess },
        ],
        rate_limit: None,
    }
}

async fn start_with(companies: Vec<Company>) -> RunningEmulator {
    bamboohr::start(Config { companies }, "127.0.0.1:0".parse().unwrap()).await.unwrap()
}

async fn start(employees: usize) -> RunningEmulator {
    let globex = Company {
        api_keys: vec![ApiKey { key: GLOBEX_KEY.to_owned(), access: Access::Full }],
        ..company("globex", 3, 7)
    };
    start_with(vec![company("acme", employees, 42), globex]).await
}

fn world(emu: &RunningEmulator) -> CompanyHandle {
    emu.bamboohr_world().expect("a BambooHR emulator").company("acme").unwrap()
}

fn url(emu: &RunningEmulator, path: &str) -> String {
    format!("{}/api/gateway.php/acme/v1{path}", emu.base_url)
}

async fn get_with(url: &str, key: &str, accept: &str) -> reqwest::Response {
    reqwest::Client::new().get(url).basic_auth(key, Some("x")).header("accept", accept).send().await.unwrap()
}

async fn get(url: &str, key: &str) -> reqwest::Response {
    get_with(url, key, "application/json").await
}

async fn get_json(url: &str) -> Value {
    let response = get(url, KEY).await;
    assert_eq!(response.status(), StatusCode::OK, "{url}");
    response.json().await.unwrap()
}

async fn get_text(url: &str, accept: &str) -> String {
    let response = get_with(url, KEY, accept).await;
    assert_eq!(response.status(), StatusCode::OK, "{url}");
    response.text().await.unwrap()
}

fn error_message(response: &reqwest::Response) -> String {
    response.headers().get("x-bamboohr-error-message").expect("X-BambooHR-Error-Message").to_str().unwrap().to_owned()
}

/// `POST /reports/custom?format=JSON` with a JSON body.
async fn report_response(emu: &RunningEmulator, key: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(url(emu, "/reports/custom?format=JSON"))
        .basic_auth(key, Some("x"))
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

async fn report(emu: &RunningEmulator, body: Value) -> Value {
    let response = report_response(emu, KEY, body).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

const PERSON_FIELDS: &[&str] = &[
    "firstName",
    "lastName",
    "preferredName",
    "displayName",
    "workEmail",
    "homeEmail",
    "mobilePhone",
    "employeeNumber",
    "hireDate",
    "originalHireDate",
    "terminationDate",
    "dateOfBirth",
    "gender",
    "maritalStatus",
    "ethnicity",
    "status",
    "supervisorEId",
    "department",
    "division",
    "location",
    "jobTitle",
    "employmentHistoryStatus",
    "payGroup",
    "paySchedule",
    "payRate",
    "payType",
    "paidPer",
    "photoUrl",
    "lastChanged",
    "ssn",
    "address1",
    "address2",
    "city",
    "state",
    "zipcode",
    "country",
];

fn by_id(report: &Value) -> BTreeMap<String, Value> {
    report["employees"].as_array().unwrap().iter().map(|e| (e["id"].as_str().unwrap().to_owned(), e.clone())).collect()
}

fn since_url(emu: &RunningEmulator, path: &str, since: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(since.as_bytes()).collect();
    url(emu, &format!("{path}{}since={encoded}", if path.contains('?') { "&" } else { "?" }))
}

// ---------------------------------------------------------------------------------------------
// Lists and the field catalogue
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn meta_lists_have_the_documented_shape_and_resolve_every_employee_value() {
    let emu = start(300).await;
    let lists = get_json(&url(&emu, "/meta/lists")).await;
    let lists = lists.as_array().unwrap();
    for list in lists {
        assert!(list["fieldId"].is_number(), "{list}");
        assert!(list["alias"].is_string() && list["name"].is_string());
        assert!(["yes", "no"].contains(&list["manageable"].as_str().unwrap()));
        assert_eq!(list["multiple"], "no");
        for option in list["options"].as_array().unwrap() {
            assert!(option["id"].is_number() && option["name"].is_string(), "{option}");
            assert!(option["createdDate"].as_str().unwrap().len() == 10);
            match option["archived"].as_str().unwrap() {
                "yes" => assert!(option["archivedDate"].is_string()),
                "no" => assert!(option["archivedDate"].is_null()),
                other => panic!("archived = {other}"),
            }
        }
    }
    let options = |alias: &str| -> HashMap<String, u64> {
        let list = lists.iter().find(|l| l["alias"] == alias).unwrap_or_else(|| panic!("list {alias}"));
        list["options"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["archived"] == "no")
            .map(|o| (o["name"].as_str().unwrap().to_owned(), o["id"].as_u64().unwrap()))
            .collect()
    };
    assert!(lists.iter().any(|l| l["options"].as_array().unwrap().iter().any(|o| o["archived"] == "yes")));

    // Every list value of every employee is a current option of its list.
    let list_fields = [
        "department",
        "division",
        "location",
        "jobTitle",
        "employmentHistoryStatus",
        "payGroup",
        "paySchedule",
        "maritalStatus",
        "ethnicity",
        "payChangeReason",
    ];
    let everyone = report(&emu, json!({ "title": "lists", "fields": list_fields })).await;
    for employee in everyone["employees"].as_array().unwrap() {
        for field in list_fields {
            if let Some(value) = employee[field].as_str() {
                assert!(options(field).contains_key(value), "{field} = {value} is not an option");
            }
        }
    }
    // Table rows too: termination ids are option ids.
    let statuses = get_json(&url(&emu, "/employees/all/tables/employmentStatus")).await;
    let reasons: HashSet<String> = options("terminationReasonId").values().map(u64::to_string).collect();
    let terminated: Vec<&Value> =
        statuses.as_array().unwrap().iter().filter(|r| r["employmentStatus"] == "Terminated").collect();
    assert!(!terminated.is_empty());
    for row in terminated {
        assert!(reasons.contains(row["terminationReasonId"].as_str().unwrap()), "{row}");
    }
    let fields = get_json(&url(&emu, "/meta/fields")).await;
    let department = fields.as_array().unwrap().iter().find(|f| f["alias"] == "department").unwrap();
    let list = lists.iter().find(|l| l["alias"] == "department").unwrap();
    assert_eq!(department["id"], list["fieldId"], "a list's fieldId is its field's id");

    let xml = get_text(&url(&emu, "/meta/lists"), "application/xml").await;
    assert!(xml.starts_with("<?xml") && xml.contains("<list fieldId=\"13\" alias=\"department\""), "{xml}");
    // Metadata is readable without employee access.
    assert_eq!(get(&url(&emu, "/meta/lists"), LIMITED_KEY).await.status(), StatusCode::OK);
    assert_eq!(reqwest::get(url(&emu, "/meta/lists")).await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

// ---------------------------------------------------------------------------------------------
// Custom reports
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_custom_report_lists_everyone_with_the_requested_fields() {
    let emu = start(120).await;
    let body = report(
        &emu,
        json!({ "title": "Sync", "fields": ["firstName", "18", "bogusField", "status", "firstName", "supervisorEId"] }),
    )
    .await;
    assert_eq!(body["title"], "Sync");
    let fields: Vec<&str> = body["fields"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(fields, ["firstName", "18", "status", "supervisorEId"], "unknown and repeated fields are left out");
    assert_eq!(body["fields"][1]["type"], "email");
    assert_eq!(body["fields"][1]["name"], "Work Email");
    let employees = body["employees"].as_array().unwrap();
    assert_eq!(employees.len(), 120, "active and inactive employees alike");
    assert!(employees.iter().any(|e| e["status"] == "Inactive") && employees.iter().any(|e| e["status"] == "Active"));
    let ids: Vec<u64> = employees.iter().map(|e| e["id"].as_str().unwrap().parse().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in id order");
    for employee in employees {
        let keys: HashSet<&str> = employee.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, HashSet::from(["id", "firstName", "18", "status", "supervisorEId"]));
        assert!(employee["18"].as_str().unwrap().contains('@'), "keyed as requested");
    }
    let ids_set: HashSet<&str> = employees.iter().map(|e| e["id"].as_str().unwrap()).collect();
    let top = employees.iter().filter(|e| e["supervisorEId"].is_null()).count();
    assert_eq!(top, 1, "one employee reports to no one");
    assert!(employees.iter().filter_map(|e| e["supervisorEId"].as_str()).all(|s| ids_set.contains(s)));

    // The same values as the single-employee endpoint.
    let all = report(&emu, json!({ "fields": PERSON_FIELDS })).await;
    for employee in all["employees"].as_array().unwrap().iter().step_by(17) {
        let id = employee["id"].as_str().unwrap();
        let one = get_json(&url(&emu, &format!("/employees/{id}?fields={}", PERSON_FIELDS.join(",")))).await;
        assert_eq!(&one, employee);
    }
}

#[tokio::test]
async fn custom_report_filters_formats_and_errors() {
    let emu = start(40).await;
    let all = by_id(&report(&emu, json!({ "fields": ["lastName"] })).await);
    let wanted: Vec<u64> = all.keys().take(3).map(|id| id.parse().unwrap()).collect();
    let some = report(&emu, json!({ "fields": ["lastName"], "filters": { "employeeIds": wanted } })).await;
    assert_eq!(some["employees"].as_array().unwrap().len(), 3);
    let none = report(&emu, json!({ "fields": ["lastName"], "filters": { "lastChanged": { "includeNull": "no", "value": AFTER_GENERATION } } })).await;
    assert_eq!(none["employees"], json!([]), "nothing changed since generation");

    // XML and CSV outputs; the format may come from an exact Accept instead of `format`.
    let client = reqwest::Client::new();
    let post = |path: &str, accept: &str, content_type: &str, body: &str| {
        client
            .post(url(&emu, path))
            .basic_auth(KEY, Some("x"))
            .header("accept", accept)
            .header("content-type", content_type)
            .body(body.to_owned())
            .send()
    };
    let json_body = json!({ "fields": ["firstName"] }).to_string();
    let by_accept = post("/reports/custom", "application/json", "application/json", &json_body).await.unwrap();
    assert_eq!(by_accept.status(), StatusCode::OK);
    assert_eq!(by_accept.json::<Value>().await.unwrap()["employees"].as_array().unwrap().len(), 40);
    let wildcard = post("/reports/custom", "*/*", "application/json", &json_body).await.unwrap();
    assert_eq!(wildcard.status(), StatusCode::NOT_FOUND, "only the documented Accept values choose a format");
    let xml = post("/reports/custom?format=xml", "*/*", "application/json", &json_body).await.unwrap();
    let xml = xml.text().await.unwrap();
    assert!(xml.starts_with("<?xml") && xml.ends_with("</employees></report>"));
    assert_eq!(xml.matches("<employee id=").count(), 40);
    let csv = post("/reports/custom?format=CSV", "*/*", "application/json", &json_body).await.unwrap();
    let csv = csv.text().await.unwrap();
    assert_eq!(csv.lines().count(), 41);
    assert!(csv.starts_with("\"id\",\"First Name\""));

    // A charset makes the body XML, as documented; XML report requests work.
    let charset =
        post("/reports/custom?format=JSON", "application/json", "application/json; charset=UTF-8", &json_body)
            .await
            .unwrap();
    assert_eq!(charset.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_message(&charset), "Malformed XML");
    let xml_request = r#"<report><title>x</title><fields><field id="lastName"/></fields></report>"#;
    let from_xml = post("/reports/custom?format=JSON", "application/json", "text/xml", xml_request).await.unwrap();
    assert_eq!(from_xml.status(), StatusCode::OK);
    let from_xml: Value = from_xml.json().await.unwrap();
    assert_eq!(by_id(&from_xml), all);

    let too_many: Vec<String> = (0..401).map(|i| format!("f{i}")).collect();
    for (body, status) in [
        (json!({ "fields": too_many }), StatusCode::BAD_REQUEST),
        (json!({ "fields": [] }), StatusCode::BAD_REQUEST),
        (
            json!({ "fields": ["firstName"], "filters": { "lastChanged": { "value": "yesterday" } } }),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let response = report_response(&emu, KEY, body.clone()).await;
        assert_eq!(response.status(), status, "{body}");
        assert!(!error_message(&response).is_empty());
    }
    assert_eq!(
        report_response(&emu, LIMITED_KEY, json!({ "fields": ["firstName"] })).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        report_response(&emu, GLOBEX_KEY, json!({ "fields": ["firstName"] })).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let pdf = post("/reports/custom?format=PDF", "*/*", "application/json", &json_body).await.unwrap();
    assert_eq!(pdf.status(), StatusCode::BAD_REQUEST);
}

// ---------------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn tables_have_histories_sorted_by_date_that_end_in_the_current_values() {
    let emu = start(80).await;
    let people = by_id(&report(&emu, json!({ "fields": PERSON_FIELDS })).await);
    let job = get_json(&url(&emu, "/employees/all/tables/jobInfo")).await;
    let status = get_json(&url(&emu, "/employees/all/tables/employmentStatus")).await;
    let comp = get_json(&url(&emu, "/employees/all/tables/compensation")).await;
    let group = |rows: &Value| -> BTreeMap<String, Vec<Value>> {
        let mut grouped: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for row in rows.as_array().unwrap() {
            assert!(row["id"].is_string() && row["employeeId"].is_string(), "{row}");
            grouped.entry(row["employeeId"].as_str().unwrap().to_owned()).or_default().push(row.clone());
        }
        grouped
    };
    let (job, status, comp) = (group(&job), group(&status), group(&comp));
    let mut multi_row = 0;
    for (id, person) in &people {
        let date_key = |table: &str| if table == "compensation" { "startDate" } else { "date" };
        for (table, rows) in [("jobInfo", &job[id]), ("employmentStatus", &status[id]), ("compensation", &comp[id])] {
            assert!((1..=4).contains(&rows.len()), "{table}: {rows:?}");
            let dates: Vec<&str> = rows.iter().map(|r| r[date_key(table)].as_str().unwrap()).collect();
            assert!(dates.windows(2).all(|w| w[0] <= w[1]), "{table} sorted by date: {dates:?}");
            multi_row += usize::from(rows.len() > 1);
            // The single-employee endpoint returns the same rows.
            let single = get_json(&url(&emu, &format!("/employees/{id}/tables/{table}"))).await;
            assert_eq!(single.as_array().unwrap(), rows);
        }
        let current_job = job[id].last().unwrap();
        for field in ["department", "division", "location", "jobTitle"] {
            assert_eq!(current_job[field], person[field], "{field}");
        }
        assert_eq!(job[id][0]["date"], person["hireDate"], "the first job row is the hire");
        let supervisor = person["supervisorEId"].as_str().map(|s| &people[s]);
        assert_eq!(current_job["reportsTo"], supervisor.map_or(Value::Null, |s| s["displayName"].clone()));
        let current_status = status[id].last().unwrap();
        assert_eq!(current_status["employmentStatus"], person["employmentHistoryStatus"]);
        if person["status"] == "Inactive" {
            assert_eq!(current_status["employmentStatus"], "Terminated");
            assert_eq!(current_status["date"], person["terminationDate"]);
            assert!(current_status["terminationTypeId"].is_string());
        } else {
            assert_eq!(person["terminationDate"], "0000-00-00");
        }
        let current_pay = comp[id].last().unwrap();
        assert_eq!(current_pay["rate"]["currency"], "USD");
        let rate = format!("{} {}", current_pay["rate"]["value"].as_str().unwrap(), "USD");
        assert_eq!(person["payRate"], rate.as_str());
        assert_eq!(current_pay["type"], person["payType"]);
        assert_eq!(current_pay["paidPer"], person["paidPer"]);
    }
    assert!(multi_row > 50, "histories have several rows: {multi_row}");

    let xml = get_text(&url(&emu, "/employees/all/tables/compensation"), "text/xml").await;
    assert!(xml.starts_with("<?xml") && xml.ends_with("</table>"));
    assert!(xml.contains("<field id=\"rate\" currency=\"USD\">"), "{}", &xml[..400]);
    let first = people.keys().next().unwrap();
    assert_eq!(get(&url(&emu, "/employees/all/tables/bonuses"), KEY).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(get(&url(&emu, "/employees/999999/tables/jobInfo"), KEY).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        get(&url(&emu, &format!("/employees/{first}/tables/jobInfo")), LIMITED_KEY).await.status(),
        StatusCode::FORBIDDEN
    );
    let empty = start(0).await;
    assert_eq!(get_json(&url(&empty, "/employees/all/tables/jobInfo")).await, json!([]));
}

// ---------------------------------------------------------------------------------------------
// Time off
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn time_off_types_policies_and_requests() {
    let emu = start(60).await;
    let types = get_json(&url(&emu, "/meta/time_off/types")).await;
    let type_ids: HashSet<String> =
        types["timeOffTypes"].as_array().unwrap().iter().map(|t| t["id"].as_u64().unwrap().to_string()).collect();
    for t in types["timeOffTypes"].as_array().unwrap() {
        assert!(["hours", "days"].contains(&t["units"].as_str().unwrap()) && t["source"] == "internal");
    }
    assert_eq!(types["defaultHours"].as_array().unwrap().len(), 7);
    let policies = get_json(&url(&emu, "/meta/time_off/policies")).await;
    let names: Vec<&str> = policies.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "sorted by name");
    for policy in policies.as_array().unwrap() {
        assert!(type_ids.contains(&policy["timeOffTypeId"].to_string()));
        assert!(policy["effectiveDate"].is_null());
        assert!(["accruing", "discretionary", "manual"].contains(&policy["type"].as_str().unwrap()));
    }

    let window = "/time_off/requests?start=2025-01-01&end=2025-12-31";
    let requests = get_json(&url(&emu, window)).await;
    let requests = requests.as_array().unwrap();
    assert!(requests.len() > 30, "{}", requests.len());
    let people = by_id(&report(&emu, json!({ "fields": ["displayName", "hireDate", "terminationDate"] })).await);
    let mut ids = HashSet::new();
    for request in requests {
        assert!(ids.insert(request["id"].as_str().unwrap().to_owned()), "unique ids");
        let person = &people[request["employeeId"].as_str().unwrap()];
        assert_eq!(request["name"], person["displayName"]);
        let (start, end) = (request["start"].as_str().unwrap(), request["end"].as_str().unwrap());
        assert!(start <= "2025-12-31" && end >= "2025-01-01" && start <= end, "overlaps the window");
        assert!(start >= person["hireDate"].as_str().unwrap());
        assert!(type_ids.contains(request["type"]["id"].as_str().unwrap()));
        let dates = request["dates"].as_object().unwrap();
        let total: f64 = dates.values().map(|v| v.as_str().unwrap().parse::<f64>().unwrap()).sum();
        assert_eq!(request["amount"]["amount"].as_str().unwrap().parse::<f64>().unwrap(), total);
        assert!(["hours", "days"].contains(&request["amount"]["unit"].as_str().unwrap()));
        assert!(request["status"]["lastChanged"].is_string() && request["status"]["lastChangedByUserId"].is_string());
        assert!(request["created"].is_string() && request["actions"]["view"] == true);
        assert!(request["notes"].is_object() || request["notes"] == json!([]));
    }
    let statuses: HashSet<&str> = requests.iter().map(|r| r["status"]["status"].as_str().unwrap()).collect();
    assert!(statuses.contains("approved") && statuses.len() > 1, "{statuses:?}");

    // Filters.
    let some = &requests[0];
    let employee = some["employeeId"].as_str().unwrap();
    let theirs = get_json(&url(&emu, &format!("{window}&employeeId={employee}"))).await;
    assert!(theirs.as_array().unwrap().iter().all(|r| r["employeeId"] == employee));
    assert_eq!(theirs.as_array().unwrap().len(), requests.iter().filter(|r| r["employeeId"] == employee).count());
    let by_id = get_json(&url(&emu, &format!("{window}&id={}", some["id"].as_str().unwrap()))).await;
    assert_eq!(by_id, json!([some]));
    let denied = get_json(&url(&emu, &format!("{window}&status=denied,canceled"))).await;
    assert!(
        denied
            .as_array()
            .unwrap()
            .iter()
            .all(|r| ["denied", "canceled"].contains(&r["status"]["status"].as_str().unwrap()))
    );
    let sick = get_json(&url(&emu, &format!("{window}&type=2&excludeNote=1"))).await;
    assert!(!sick.as_array().unwrap().is_empty());
    assert!(sick.as_array().unwrap().iter().all(|r| r["type"]["id"] == "2" && r.get("notes").is_none()));
    let narrow = get_json(&url(&emu, "/time_off/requests?start=2025-03-03&end=2025-03-07")).await;
    assert!(narrow.as_array().unwrap().len() < requests.len());

    let xml = get_text(&url(&emu, window), "text/xml").await;
    assert_eq!(xml.matches("<request id=").count(), requests.len());

    // Dates are required and validated, with BambooHR's error header.
    for query in [
        "",
        "?start=2025-01-01",
        "?end=2025-01-01",
        "?start=2025-02-30&end=2025-03-01",
        "?start=01/01/2025&end=2025-03-01",
    ] {
        let response = get(&url(&emu, &format!("/time_off/requests{query}")), KEY).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        assert!(!error_message(&response).is_empty());
    }
    let bad_status = get(&url(&emu, &format!("{window}&status=pending")), KEY).await;
    assert_eq!(bad_status.status(), StatusCode::BAD_REQUEST);
    assert_eq!(get(&url(&emu, window), LIMITED_KEY).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_time_off_calculator_answers_balances() {
    let emu = start(20).await;
    let id = world(&emu).employee_id(3).unwrap();
    let balances = get_json(&url(&emu, &format!("/employees/{id}/time_off/calculator?end=2026-06-30"))).await;
    let balances = balances.as_array().unwrap();
    assert_eq!(balances.len(), 3);
    for balance in balances {
        assert!(balance["timeOffType"].is_string() && balance["name"].is_string());
        assert_eq!(balance["end"], "2026-06-30");
        let value = balance["balance"].as_str().unwrap();
        assert_eq!(value.split('.').nth(1).map(str::len), Some(2), "two decimals by default: {value}");
        assert!(balance["usedYearToDate"].as_str().unwrap().parse::<f64>().unwrap() >= 0.0);
        assert!(!value.starts_with("-0.00"), "{value}");
        assert!(["accruing", "manual", "discretionary"].contains(&balance["policyType"].as_str().unwrap()));
    }
    let precise =
        get_json(&url(&emu, &format!("/employees/{id}/time_off/calculator?end=2026-06-30&precision=0"))).await;
    assert!(!precise[0]["balance"].as_str().unwrap().contains('.'));
    let today = get_json(&url(&emu, &format!("/employees/{id}/time_off/calculator"))).await;
    assert_eq!(today.as_array().unwrap().len(), 3, "end defaults to today");
    for query in ["?end=2026-13-01", "?precision=5", "?precision=two"] {
        let response = get(&url(&emu, &format!("/employees/{id}/time_off/calculator{query}")), KEY).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        assert!(!error_message(&response).is_empty());
    }
    assert_eq!(get(&url(&emu, "/employees/999999/time_off/calculator"), KEY).await.status(), StatusCode::NOT_FOUND);
    let xml = get_text(&url(&emu, &format!("/employees/{id}/time_off/calculator?end=2026-06-30")), "text/xml").await;
    assert_eq!(xml.matches("<timeOffType id=").count(), 3);
}

// ---------------------------------------------------------------------------------------------
// Dependents
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn employee_dependents_are_listed_per_employee_or_all() {
    let emu = start(50).await;
    let all = get_json(&url(&emu, "/employeedependents")).await;
    let all = all["Employee Dependents"].as_array().unwrap();
    assert!(all.len() > 10, "{}", all.len());
    let people = by_id(&report(&emu, json!({ "fields": ["lastName"] })).await);
    for dependent in all {
        let employee = &people[dependent["employeeId"].as_str().unwrap()];
        assert_eq!(dependent["lastName"], employee["lastName"]);
        assert!(dependent["id"].is_string());
        assert!(dependent["maskedSSN"].as_str().unwrap().starts_with("xxx-xx-"));
        assert!(["spouse", "domestic_partner", "child"].contains(&dependent["relationship"].as_str().unwrap()));
        assert!(["yes", "no"].contains(&dependent["isStudent"].as_str().unwrap()));
    }
    let one = all[0]["employeeId"].as_str().unwrap();
    let theirs = get_json(&url(&emu, &format!("/employeedependents?employeeid={one}"))).await;
    let theirs = theirs["Employee Dependents"].as_array().unwrap();
    assert_eq!(theirs.len(), all.iter().filter(|d| d["employeeId"] == one).count());
    assert_eq!(get(&url(&emu, "/employeedependents"), LIMITED_KEY).await.status(), StatusCode::FORBIDDEN);
}

// ---------------------------------------------------------------------------------------------
// Change tracking and the mutation API
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_changed_feed_reports_generated_history_and_validates_since() {
    let emu = start(30).await;
    let everything = get_json(&since_url(&emu, "/employees/changed", "2000-01-01T00:00:00+00:00")).await;
    let employees = everything["employees"].as_object().unwrap();
    assert_eq!(employees.len(), 30);
    let latest = everything["latest"].as_str().unwrap();
    for (id, change) in employees {
        assert_eq!(change["id"], id.as_str());
        assert_eq!(change["action"], "Inserted", "every record was created after 2000");
        assert!(change["lastChanged"].as_str().unwrap() <= latest);
    }
    assert!(latest < "2026-07-01", "{latest}");
    let updated = get_json(&since_url(&emu, "/employees/changed?type=updated", "2000-01-01")).await;
    assert_eq!(updated["employees"], json!({}));
    let later = get_json(&since_url(&emu, "/employees/changed", "2020-01-01T00:00:00Z")).await;
    for change in later["employees"].as_object().unwrap().values() {
        assert!(change["lastChanged"].as_str().unwrap() >= "2020-01-01");
    }
    let none = get_json(&since_url(&emu, "/employees/changed", AFTER_GENERATION)).await;
    assert_eq!(none, json!({ "latest": "2026-07-01T00:00:00+00:00", "employees": {} }));

    for query in
        ["", "?since=", "?since=yesterday", "?since=2026-07-01T00:00:00%2000:00", "?since=2026-07-01&type=moved"]
    {
        let response = get(&url(&emu, &format!("/employees/changed{query}")), KEY).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        assert!(!error_message(&response).is_empty());
    }
    let table = get(&url(&emu, "/employees/changed/tables/jobInfo?since=nope"), KEY).await;
    assert_eq!(table.status(), StatusCode::BAD_REQUEST);
    let unknown = get(&since_url(&emu, "/employees/changed/tables/bonuses", "2020-01-01"), KEY).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let xml = get_text(&since_url(&emu, "/employees/changed", "2000-01-01"), "text/xml").await;
    assert_eq!(xml.matches("<employee id=").count(), 30);
    assert_eq!(
        get(&since_url(&emu, "/employees/changed", "2000-01-01"), LIMITED_KEY).await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn mutations_show_everywhere_and_in_the_changed_feed_only() {
    let emu = start(40).await;
    let acme = world(&emu);
    let ids = acme.employee_ids();
    assert_eq!(ids.len(), 40);
    let (renamed, moved, fired, removed, repaid) = (ids[5], ids[6], ids[7], ids[8], ids[9]);
    let active_one = ids.iter().copied().find(|id| acme.field(*id, "status").unwrap().as_deref() == Some("Active"));
    let fired =
        if acme.field(fired, "status").unwrap().as_deref() == Some("Active") { fired } else { active_one.unwrap() };

    acme.set_field(renamed, "lastName", Some("Moreau")).unwrap();
    acme.set_field(moved, "department", Some("Finance")).unwrap();
    acme.terminate_employee(fired, "2026-07-02").unwrap();
    acme.delete_employee(removed).unwrap();
    let rows = acme.table_rows(repaid, Table::Compensation).unwrap();
    let (row_id, TableRow::Compensation(current)) = rows.last().unwrap().clone() else { panic!("a compensation row") };
    acme.update_table_row(
        repaid,
        row_id,
        TableRow::Compensation(CompensationRow { rate: "123456.00".into(), ..current }),
    )
    .unwrap();
    let hired =
        acme.add_employee(&[("firstName", "Zoë"), ("lastName", "Newcomer"), ("jobTitle", "Recruiter")]).unwrap();
    assert!(hired > *ids.last().unwrap());

    // The changed feed reports exactly these, with the right actions.
    let changed = get_json(&since_url(&emu, "/employees/changed", AFTER_GENERATION)).await;
    let actions: BTreeMap<u64, String> = changed["employees"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, c)| (id.parse().unwrap(), c["action"].as_str().unwrap().to_owned()))
        .collect();
    let expected: BTreeMap<u64, String> = [
        (renamed, "Updated"),
        (moved, "Updated"),
        (fired, "Updated"),
        (removed, "Deleted"),
        (repaid, "Updated"),
        (hired, "Inserted"),
    ]
    .into_iter()
    .map(|(id, action)| (id, action.to_owned()))
    .collect();
    assert_eq!(actions, expected);
    assert_eq!(changed["latest"].as_str().unwrap(), acme.last_changed(hired).unwrap());
    let deleted_only = get_json(&since_url(&emu, "/employees/changed?type=deleted", AFTER_GENERATION)).await;
    assert_eq!(deleted_only["employees"].as_object().unwrap().keys().collect::<Vec<_>>(), [&removed.to_string()]);
    let inserted_only = get_json(&since_url(&emu, "/employees/changed?type=inserted", AFTER_GENERATION)).await;
    assert_eq!(inserted_only["employees"].as_object().unwrap().len(), 1);

    // The values everywhere.
    let person = get_json(&url(&emu, &format!("/employees/{renamed}?fields=lastName,lastChanged"))).await;
    assert_eq!(person["lastName"], "Moreau");
    assert_eq!(person["lastChanged"].as_str().unwrap(), acme.last_changed(renamed).unwrap());
    let list = get_json(&url(&emu, "/employees?page[limit]=100&filter[lastName]=moreau")).await;
    assert!(list["data"].as_array().unwrap().iter().any(|e| e["employeeId"] == renamed.to_string().as_str()));
    assert_eq!(get(&url(&emu, &format!("/employees/{removed}")), KEY).await.status(), StatusCode::NOT_FOUND);
    let everyone = by_id(&report(&emu, json!({ "fields": PERSON_FIELDS })).await);
    assert_eq!(everyone.len(), 40, "one deleted, one added");
    assert!(!everyone.contains_key(&removed.to_string()));
    let total = get_json(&url(&emu, "/employees?page[limit]=1")).await;
    assert_eq!(total["meta"]["total"], 40);
    assert_eq!(everyone[&fired.to_string()]["status"], "Inactive");
    assert_eq!(everyone[&fired.to_string()]["terminationDate"], "2026-07-02");
    assert_eq!(everyone[&fired.to_string()]["employmentHistoryStatus"], "Terminated");
    assert_eq!(everyone[&moved.to_string()]["department"], "Finance");
    assert_eq!(everyone[&repaid.to_string()]["payRate"], "123456.00 USD");
    let newcomer = &everyone[&hired.to_string()];
    assert_eq!((newcomer["firstName"].as_str(), newcomer["jobTitle"].as_str()), (Some("Zoë"), Some("Recruiter")));
    assert_eq!(newcomer["status"], "Active");
    assert_eq!(newcomer["hireDate"], newcomer["originalHireDate"]);

    // The department change is a new jobInfo row effective today, after the older ones.
    let job = get_json(&url(&emu, &format!("/employees/{moved}/tables/jobInfo"))).await;
    let last = job.as_array().unwrap().last().unwrap();
    assert_eq!(last["department"], "Finance");
    let dates: Vec<&str> = job.as_array().unwrap().iter().map(|r| r["date"].as_str().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]));
    let newcomer_job = get_json(&url(&emu, &format!("/employees/{hired}/tables/jobInfo"))).await;
    assert_eq!(newcomer_job.as_array().unwrap().len(), 1);
    assert_eq!(newcomer_job[0]["date"], newcomer["hireDate"]);

    // The table feed brings every row of each changed employee, never the deleted one.
    let table_feed = get_json(&since_url(&emu, "/employees/changed/tables/compensation", AFTER_GENERATION)).await;
    assert_eq!(table_feed["table"], "compensation");
    let fed = table_feed["employees"].as_object().unwrap();
    assert_eq!(fed.len(), 5);
    assert!(!fed.contains_key(&removed.to_string()));
    let repaid_rows = fed[&repaid.to_string()]["rows"].as_array().unwrap();
    assert_eq!(repaid_rows.last().unwrap()["rate"]["value"], "123456.00");
    assert_eq!(repaid_rows.len(), rows.len());
    assert_eq!(fed[&repaid.to_string()]["lastChanged"].as_str().unwrap(), acme.last_changed(repaid).unwrap());

    // Other companies are untouched.
    let globex = emu.bamboohr_world().unwrap().company("GLOBEX").unwrap();
    assert_eq!(globex.employee_ids().len(), 3);
}

#[tokio::test]
async fn the_mutation_api_refuses_what_bamboohr_would() {
    let emu = start(5).await;
    let acme = world(&emu);
    let id = acme.employee_ids()[1];
    assert!(matches!(acme.set_field(id, "status", Some("Inactive")), Err(WorldError::ReadOnlyField(_))));
    assert!(matches!(acme.set_field(id, "payRate", Some("1.00")), Err(WorldError::ReadOnlyField(_))));
    assert!(matches!(acme.set_field(id, "shoeSize", Some("9")), Err(WorldError::UnknownField(_))));
    assert!(matches!(acme.set_field(id, "department", Some("Astronautics")), Err(WorldError::InvalidValue { .. })));
    assert!(matches!(acme.set_field(id, "hireDate", Some("June 1st")), Err(WorldError::InvalidValue { .. })));
    assert!(matches!(acme.set_field(1, "lastName", Some("X")), Err(WorldError::UnknownEmployee(1))));
    assert!(matches!(acme.terminate_employee(id, "2026-02-30"), Err(WorldError::InvalidValue { .. })));
    let job = JobInfoRow {
        date: "2026-01-01".into(),
        location: None,
        division: None,
        department: Some("Sales".into()),
        job_title: None,
        reports_to: Some(7),
    };
    assert!(matches!(acme.add_table_row(id, TableRow::JobInfo(job.clone())), Err(WorldError::InvalidValue { .. })));
    assert!(matches!(
        acme.update_table_row(id, 424242, TableRow::JobInfo(JobInfoRow { reports_to: None, ..job })),
        Err(WorldError::UnknownRow(424242))
    ));
    assert!(emu.bamboohr_world().unwrap().company("initech").is_err());
    let refused = acme.add_employee(&[("firstName", "Ann"), ("location", "Atlantis")]);
    assert!(matches!(refused, Err(WorldError::InvalidValue { .. })));
    assert_eq!(acme.employee_ids().len(), 5, "a refused employee is not added");
    // Nothing was changed by the refusals.
    let changed = get_json(&since_url(&emu, "/employees/changed", AFTER_GENERATION)).await;
    assert_eq!(changed["employees"], json!({}));
    // Clearing a field and deleting a row are changes.
    acme.set_field(id, "preferredName", None).unwrap();
    assert_eq!(acme.field(id, "preferredName").unwrap(), None);
    let (row, _) = acme.table_rows(id, Table::JobInfo).unwrap()[0].clone();
    acme.delete_table_row(id, Table::JobInfo, row).unwrap();
    assert!(acme.table_rows(id, Table::JobInfo).unwrap().iter().all(|(r, _)| *r != row));
    acme.delete_employee(id).unwrap();
    assert!(matches!(acme.delete_employee(id), Err(WorldError::UnknownEmployee(_))));
}

// ---------------------------------------------------------------------------------------------
// Rate limiting and determinism
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_optional_token_bucket_answers_429_with_retry_after() {
    let limited = Company {
        rate_limit: Some(RateLimit { burst: 3, per_second: 1 }),
        api_keys: vec![
            ApiKey { key: KEY.to_owned(), access: Access::Full },
            ApiKey { key: "second".to_owned(), access: Access::Full },
        ],
        ..company("acme", 5, 1)
    };
    let emu = start_with(vec![limited]).await;
    for _ in 0..3 {
        assert_eq!(get(&url(&emu, "/meta/lists"), KEY).await.status(), StatusCode::OK);
    }
    let refused = get(&url(&emu, "/employees"), KEY).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    assert!(!error_message(&refused).is_empty());
    assert_eq!(get(&url(&emu, "/employees"), "second").await.status(), StatusCode::OK, "a bucket per key");
    // Unauthenticated requests are refused before they reach a bucket.
    assert_eq!(get(&url(&emu, "/employees"), "wrong").await.status(), StatusCode::UNAUTHORIZED);

    let unlimited = start(5).await;
    for _ in 0..50 {
        assert_eq!(get(&url(&unlimited, "/meta/lists"), KEY).await.status(), StatusCode::OK, "off by default");
    }
}

#[tokio::test]
async fn the_same_seed_gives_the_same_world() {
    let (a, b) = (start(60).await, start(60).await);
    let paths = [
        "/employees/all/tables/jobInfo",
        "/employees/all/tables/compensation",
        "/employees/all/tables/employmentStatus",
        "/time_off/requests?start=2024-01-01&end=2026-12-31",
        "/employeedependents",
        "/meta/lists",
        "/employees/changed?since=2000-01-01",
    ];
    for path in paths {
        assert_eq!(
            get_text(&url(&a, path), "application/json").await,
            get_text(&url(&b, path), "application/json").await,
            "{path}"
        );
    }
    let body = json!({ "fields": PERSON_FIELDS });
    assert_eq!(report(&a, body.clone()).await, report(&b, body.clone()).await);
    let other = start_with(vec![company("acme", 60, 43)]).await;
    assert_ne!(report(&a, body.clone()).await, report(&other, body).await);
}

// ---------------------------------------------------------------------------------------------
// Scale
// ---------------------------------------------------------------------------------------------

/// Receives a body chunk by chunk (no re-buffering while timed): the chunks, and how long it took.
async fn timed(request: reqwest::RequestBuilder) -> (Vec<axum::body::Bytes>, std::time::Duration) {
    let started = Instant::now();
    let mut response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut chunks = Vec::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        chunks.push(chunk);
    }
    (chunks, started.elapsed())
}

fn parse(chunks: &[axum::body::Bytes]) -> (Value, f64) {
    let body = chunks.concat();
    (serde_json::from_slice(&body).unwrap(), body.len() as f64 / 1e6)
}

/// Times the requests a full sync of 100,000 employees makes. Prints, never asserts on time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_employee_sync_is_served_quickly() {
    let emu = start(100_000).await;
    let client = reqwest::Client::new();
    let authed =
        |request: reqwest::RequestBuilder| request.basic_auth(KEY, Some("x")).header("accept", "application/json");
    let (chunks, took) = timed(
        authed(client.post(url(&emu, "/reports/custom?format=JSON")))
            .header("content-type", "application/json")
            .body(json!({ "title": "sync", "fields": PERSON_FIELDS }).to_string()),
    )
    .await;
    let (body, mb) = parse(&chunks);
    assert_eq!(body["employees"].as_array().unwrap().len(), 100_000);
    println!(
        "100k custom report ({} fields): {took:.2?}, {mb:.1} MB, {:.0} employees/s",
        PERSON_FIELDS.len(),
        100_000.0 / took.as_secs_f64()
    );
    for table in ["jobInfo", "employmentStatus", "compensation"] {
        let (chunks, took) = timed(authed(client.get(url(&emu, &format!("/employees/all/tables/{table}"))))).await;
        let (rows, mb) = parse(&chunks);
        println!("100k {table} table: {took:.2?}, {} rows, {mb:.1} MB", rows.as_array().unwrap().len());
    }
    let (chunks, took) = timed(authed(client.get(since_url(&emu, "/employees/changed", "2000-01-01")))).await;
    let (changed, mb) = parse(&chunks);
    assert_eq!(changed["employees"].as_object().unwrap().len(), 100_000);
    println!("100k changed feed: {took:.2?}, {mb:.1} MB");
    let (chunks, took) =
        timed(authed(client.get(url(&emu, "/time_off/requests?start=2026-01-01&end=2026-12-31")))).await;
    let (requests, mb) = parse(&chunks);
    println!("100k time off requests (2026): {took:.2?}, {} requests, {mb:.1} MB", requests.as_array().unwrap().len());
}
