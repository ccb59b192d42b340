//! Syncing end to end: linking queues the initial sync, the embedded worker reads the BambooHR
//! emulator, and the common-model API serves what it holds; resyncs after the provider changes,
//! throttling, and revoked credentials.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;
use uuid::Uuid;

use crate::on_both_backends;
use crate::support::fixtures::*;
use crate::support::{Backend, LinkTestServer, json};

on_both_backends!(
    initial_sync_and_resyncs_follow_the_provider,
    periodic_syncs_read_only_what_changed,
    scopes_from_the_link_token_limit_what_is_synced,
    storms_of_429_and_5xx_lose_and_duplicate_nothing,
    revoked_credentials_need_a_relink
);

async fn employees(t: &LinkTestServer, token: &str) -> Vec<Value> {
    let res = t
        .with_account(Method::GET, "/api/hris/v1/employees?include_deleted_data=true&page_size=100", token)
        .send()
        .await
        .unwrap();
    let (status, body) = json(res).await;
    assert_eq!(status, 200, "{body}");
    body["results"].as_array().unwrap().clone()
}

/// Waits (polling, with a deadline) until the account has no queued or running sync.
async fn sync_settled(t: &LinkTestServer, account: Uuid) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if t.storage().active_sync_job(account).await.unwrap().is_none() {
            return;
        }
        assert!(Instant::now() < deadline, "the sync did not finish in time");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn initial_sync_and_resyncs_follow_the_provider(backend: Backend) {
    let t = LinkTestServer::start(backend).await;
    let world = t.bamboohr.bamboohr_world().unwrap().company(BAMBOO_DOMAIN).unwrap();
    let ids = world.employee_ids();
    assert_eq!(ids.len(), 3);
    let (account, token) = t.link_account("u1").await;
    sync_settled(&t, account).await;

    let rows = employees(&t, &token).await;
    let remote: BTreeSet<String> = rows.iter().map(|e| e["remote_id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(remote, ids.iter().map(u64::to_string).collect());
    for row in &rows {
        let id: u64 = row["remote_id"].as_str().unwrap().parse().unwrap();
        assert_eq!(row["first_name"].as_str(), world.field(id, "firstName").unwrap().as_deref());
        assert_eq!(row["last_name"].as_str(), world.field(id, "lastName").unwrap().as_deref());
        assert!(["ACTIVE", "INACTIVE"].contains(&row["employment_status"].as_str().unwrap()), "{row}");
        assert!(row["company"].is_string());
    }
    let res = t.with_account(Method::GET, "/api/hris/v1/companies", &token).send().await.unwrap();
    let (_, companies) = json(res).await;
    assert_eq!(companies["results"][0]["legal_name"], "Acme");
    assert_eq!(rows[0]["company"], companies["results"][0]["id"]);
    let res = t.with_account(Method::GET, "/api/hris/v1/sync-status", &token).send().await.unwrap();
    let (status, statuses) = json(res).await;
    assert_eq!(status, 200, "{statuses}");
    let summary: Vec<(&str, &str, &str, bool)> = statuses["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["model_id"].as_str().unwrap(),
                s["status"].as_str().unwrap(),
                s["last_sync_result"].as_str().unwrap(),
                s["is_initial_sync"].as_bool().unwrap(),
            )
        })
        .collect();
    let models: Vec<&str> = summary.iter().map(|s| s.0).collect();
    assert_eq!(
        models,
        [
            "hris.Company",
            "hris.Location",
            "hris.Group",
            "hris.Team",
            "hris.Employment",
            "hris.Employee",
            "hris.TimeOff",
            "hris.Dependent",
            "hris.TimeOffBalance"
        ]
    );

    // Time off and dependents: as many as the provider has, mapped to Merge's enums.
    let client = reqwest::Client::new();
    let provider = |path: String| {
        let request = client
            .get(format!("{}/api/gateway.php/{BAMBOO_DOMAIN}/v1/{path}", t.bamboohr.base_url))
            .basic_auth(BAMBOO_KEY, Some("x"))
            .header("Accept", "application/json");
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let today = time::OffsetDateTime::now_utc().date();
    let (from, to) = (today - time::Duration::days(730), today + time::Duration::days(365));
    let requests = provider(format!("time_off/requests?start={from}&end={to}")).await;
    let res = t
        .with_account(Method::GET, "/api/hris/v1/time-off?page_size=100&expand=employee", &token)
        .send()
        .await
        .unwrap();
    let (_, time_off) = json(res).await;
    let synced = time_off["results"].as_array().unwrap();
    assert_eq!(synced.len(), requests.as_array().unwrap().len().min(100));
    assert!(!synced.is_empty());
    assert!(
        synced
            .iter()
            .all(|r| r["employee"]["first_name"].is_string() && r["start_time"].as_str().unwrap().ends_with('Z'))
    );
    let statuses = ["APPROVED", "DECLINED", "REQUESTED", "CANCELLED", "DELETED"];
    assert!(synced.iter().all(|r| statuses.contains(&r["status"].as_str().unwrap())), "{time_off}");
    let dependents = provider("employeedependents".into()).await;
    let res = t.with_account(Method::GET, "/api/hris/v1/dependents?page_size=100", &token).send().await.unwrap();
    let (_, synced) = json(res).await;
    assert_eq!(
        synced["results"].as_array().unwrap().len(),
        dependents["Employee Dependents"].as_array().unwrap().len()
    );
    // Balances: one per current employee and time-off type, as the calculator gives them.
    let directory = provider("employees/directory".into()).await;
    let mut expected = BTreeSet::new();
    for e in directory["employees"].as_array().unwrap() {
        let id = e["id"].as_str().unwrap();
        for b in provider(format!("employees/{id}/time_off/calculator?end={today}")).await.as_array().unwrap() {
            let used: f64 = b["usedYearToDate"].as_str().unwrap().parse().unwrap();
            // Merge counts hours; days are 8 hours.
            let used = if b["units"] == "days" { used * 8.0 } else { used };
            expected.insert((id.to_owned(), b["name"].as_str().unwrap().to_owned(), used.to_string()));
        }
    }
    let res = t
        .with_account(
            Method::GET,
            "/api/hris/v1/time-off-balances?page_size=100&expand=employee&show_enum_origins=policy_type",
            &token,
        )
        .send()
        .await
        .unwrap();
    let (status, balances) = json(res).await;
    assert_eq!(status, 200, "{balances}");
    let synced: BTreeSet<(String, String, String)> = balances["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let employee = b["employee"]["remote_id"].as_str().unwrap().to_owned();
            (employee, b["policy_type"].as_str().unwrap().to_owned(), b["used"].as_f64().unwrap().to_string())
        })
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(synced, expected, "{balances}");
    assert!(summary.iter().all(|s| (s.1, s.2, s.3) == ("DONE", "DONE", false)), "{summary:?}");

    // Relations resolve to the synced rows: team, groups, location and employments.
    let id = ids[0];
    let path = format!("/api/hris/v1/employees?remote_id={id}&expand=team,groups,work_location,employments");
    let res = t.with_account(Method::GET, &path, &token).send().await.unwrap();
    let (_, body) = json(res).await;
    let e = &body["results"][0];
    assert_eq!(e["team"]["name"].as_str(), world.field(id, "department").unwrap().as_deref(), "{e}");
    assert_eq!(e["work_location"]["name"].as_str(), world.field(id, "location").unwrap().as_deref(), "{e}");
    let group_types: BTreeSet<&str> =
        e["groups"].as_array().unwrap().iter().map(|g| g["type"].as_str().unwrap()).collect();
    assert_eq!(group_types, BTreeSet::from(["BUSINESS_UNIT", "DEPARTMENT"]), "{e}");
    let employments = e["employments"].as_array().unwrap();
    assert!(!employments.is_empty(), "{e}");
    assert!(employments.iter().all(|m| m["pay_rate"].is_number() && m["effective_date"].is_string()), "{e}");
    let employment_type = employments[0]["employment_type"].as_str().unwrap().to_owned();
    let path = format!("/api/hris/v1/employees?employment_type={employment_type}&remote_id={id}");
    let res = t.with_account(Method::GET, &path, &token).send().await.unwrap();
    let (_, filtered) = json(res).await;
    assert_eq!(filtered["results"].as_array().unwrap().len(), 1, "employment_type filters through employments");
    let modified = |rows: &[Value]| -> BTreeMap<String, (String, bool)> {
        rows.iter()
            .map(|e| {
                let key = e["remote_id"].as_str().unwrap().to_owned();
                (key, (e["modified_at"].as_str().unwrap().to_owned(), e["remote_was_deleted"].as_bool().unwrap()))
            })
            .collect()
    };
    let before = modified(&rows);

    // An unchanged resync (through the API) changes nothing.
    let res = t.with_account(Method::POST, "/api/hris/v1/sync-status/resync", &token).send().await.unwrap();
    let (status, resync) = json(res).await;
    assert_eq!(status, 200, "{resync}");
    assert_eq!(resync[1]["status"], "SYNCING");
    sync_settled(&t, account).await;
    assert_eq!(modified(&employees(&t, &token).await), before, "an unchanged resync writes nothing");

    // The provider changes one employee, removes one, adds one, and throttles the next sync.
    world.set_field(ids[0], "lastName", Some("Changed")).unwrap();
    world.delete_employee(ids[1]).unwrap();
    let added = world.add_employee(&[("firstName", "Neo"), ("lastName", "Newcomer")]).unwrap();
    t.bamboohr.faults.rate_limit_next(2, 1);
    t.storage().enqueue_sync(account, "FORCED", 0, joinery_storage::now_micros()).await.unwrap().expect("queued");
    sync_settled(&t, account).await;
    let rows = employees(&t, &token).await;
    let after = modified(&rows);
    let (changed, deleted, kept) = (ids[0].to_string(), ids[1].to_string(), ids[2].to_string());
    assert_ne!(after[&changed].0, before[&changed].0, "a changed employee moves modified_at");
    assert!(!after[&changed].1);
    assert!(after[&deleted].1, "a vanished employee is marked deleted");
    assert_ne!(after[&deleted].0, before[&deleted].0);
    assert_eq!(after[&kept], before[&kept], "an unchanged employee is untouched");
    let neo = rows.iter().find(|e| e["remote_id"] == added.to_string().as_str()).expect("the new employee");
    assert_eq!(neo["first_name"], "Neo");
    assert_eq!(rows.iter().find(|e| e["remote_id"] == changed.as_str()).unwrap()["last_name"], "Changed");
    // Deleted rows are hidden by default.
    let res = t.with_account(Method::GET, "/api/hris/v1/employees", &token).send().await.unwrap();
    let (_, live) = json(res).await;
    assert_eq!(live["results"].as_array().unwrap().len(), 3);
    t.stop().await;
}

/// The employments API rows of one employee, by remote id: (pay_rate, remote_was_deleted).
async fn employments_of(t: &LinkTestServer, token: &str, employee_row: &str) -> BTreeMap<String, (Value, bool)> {
    let path = format!("/api/hris/v1/employments?employee_id={employee_row}&include_deleted_data=true&page_size=100");
    let res = t.with_account(Method::GET, &path, token).send().await.unwrap();
    let (status, body) = json(res).await;
    assert_eq!(status, 200, "{body}");
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let key = e["remote_id"].as_str().unwrap().to_owned();
            (key, (e["pay_rate"].clone(), e["remote_was_deleted"].as_bool().unwrap()))
        })
        .collect()
}

async fn periodic_syncs_read_only_what_changed(backend: Backend) {
    use joinery_emulators::bamboohr::{Table, TableRow};
    let t = LinkTestServer::start(backend).await;
    let world = t.bamboohr.bamboohr_world().unwrap().company(BAMBOO_DOMAIN).unwrap();
    let ids = world.employee_ids();
    let (changed, deleted, untouched) = (ids[0], ids[1], ids[2]);
    // Two pay rows for the employee that changes, so one can be removed.
    let (_, TableRow::Compensation(mut raise)) = world.table_rows(changed, Table::Compensation).unwrap()[0].clone()
    else {
        panic!("a compensation row")
    };
    raise.start_date = "2026-05-01".to_owned();
    let removed_row = world.add_table_row(changed, TableRow::Compensation(raise)).unwrap();
    let (account, token) = t.link_account("u1").await;
    sync_settled(&t, account).await;
    let rows = employees(&t, &token).await;
    let row_of = |remote: u64| -> String {
        rows.iter().find(|e| e["remote_id"] == remote.to_string().as_str()).unwrap()["id"].as_str().unwrap().to_owned()
    };
    let deleted_employments = employments_of(&t, &token, &row_of(deleted)).await;
    assert!(!deleted_employments.is_empty());

    // Tamper with a stored row the provider does not change: a periodic (incremental) sync,
    // which reads only changes, leaves it; a full one repairs it.
    let untouched_row = row_of(untouched);
    t.storage().mark_rows_deleted(std::slice::from_ref(&untouched_row), joinery_storage::now_micros()).await.unwrap();

    // At the provider: a new last name and pay for one employee (and one pay row removed), one
    // employee deleted, one added.
    world.set_field(changed, "lastName", Some("Incremental")).unwrap();
    let comp = world.table_rows(changed, Table::Compensation).unwrap();
    let (first_row, TableRow::Compensation(mut first)) = comp.into_iter().find(|(id, _)| *id != removed_row).unwrap()
    else {
        panic!("a compensation row")
    };
    first.rate = "123456.00".to_owned();
    world.update_table_row(changed, first_row, TableRow::Compensation(first)).unwrap();
    assert!(!employments_of(&t, &token, &row_of(changed)).await[&removed_row.to_string()].1);
    world.delete_table_row(changed, Table::Compensation, removed_row).unwrap();
    world.delete_employee(deleted).unwrap();
    let added = world.add_employee(&[("firstName", "Ina"), ("lastName", "Incremental")]).unwrap();

    t.storage().enqueue_sync(account, "PERIODIC", 0, joinery_storage::now_micros()).await.unwrap().expect("queued");
    sync_settled(&t, account).await;
    let after = employees(&t, &token).await;
    let find = |remote: u64| after.iter().find(|e| e["remote_id"] == remote.to_string().as_str()).cloned();
    assert_eq!(find(changed).unwrap()["last_name"], "Incremental");
    assert_eq!(find(deleted).unwrap()["remote_was_deleted"], true, "the change feed's deletion is applied");
    assert_eq!(find(added).expect("the new employee")["first_name"], "Ina");
    assert_eq!(find(untouched).unwrap()["remote_was_deleted"], true, "unchanged employees were not read again");
    let statuses = {
        let res = t.with_account(Method::GET, "/api/hris/v1/sync-status", &token).send().await.unwrap();
        json(res).await.1
    };
    assert!(statuses["results"].as_array().unwrap().iter().all(|s| s["status"] == "DONE"), "{statuses}");

    // Employments follow: the changed pay, the removed row, the deleted employee's rows, the
    // new employee's row.
    let now_employments = employments_of(&t, &token, &row_of(changed)).await;
    assert_eq!(now_employments[&first_row.to_string()], (serde_json::json!(123456.0), false));
    assert!(now_employments[&removed_row.to_string()].1, "a removed compensation row is a deleted employment");
    let gone = employments_of(&t, &token, &row_of(deleted)).await;
    assert_eq!(gone.keys().collect::<Vec<_>>(), deleted_employments.keys().collect::<Vec<_>>());
    assert!(gone.values().all(|(_, deleted)| *deleted), "{gone:?}");
    let added_row = find(added).unwrap()["id"].as_str().unwrap().to_owned();
    let new_employments = employments_of(&t, &token, &added_row).await;
    assert_eq!(new_employments.len(), 1, "{new_employments:?}");

    // A full (forced) sync reads everything again and repairs the tampered row.
    t.storage().enqueue_sync(account, "FORCED", 0, joinery_storage::now_micros()).await.unwrap().expect("queued");
    sync_settled(&t, account).await;
    let repaired = employees(&t, &token).await;
    let untouched_now = repaired.iter().find(|e| e["remote_id"] == untouched.to_string().as_str()).unwrap();
    assert_eq!(untouched_now["remote_was_deleted"], false);
    t.stop().await;
}

async fn scopes_from_the_link_token_limit_what_is_synced(backend: Backend) {
    let t = LinkTestServer::start(backend).await;
    let scopes = serde_json::json!({"common_models": [
        {"model_id": "hris.Employee", "enabled_actions": ["READ"], "disabled_fields": ["ssn", "date_of_birth", "gender"]},
        {"model_id": "hris.Dependent", "enabled_actions": [], "disabled_fields": []},
    ]});
    let token = t.link_token_for(&t.key, "scoped", scopes).await;
    let (_, exchanged) = t.exchange(&t.key, &t.connect_bamboohr(&token, BAMBOO_KEY).await).await;
    let account = Uuid::parse_str(exchanged["id"].as_str().unwrap()).unwrap();
    let token = exchanged["account_token"].as_str().unwrap().to_owned();
    sync_settled(&t, account).await;

    let path = "/api/hris/v1/employees?include_sensitive_fields=true&include_remote_data=true&show_enum_origins=gender,employment_status";
    let (_, body) = json(t.with_account(Method::GET, path, &token).send().await.unwrap()).await;
    let rows = body["results"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    for row in rows {
        assert!(row["ssn"].is_null() && row["date_of_birth"].is_null(), "disabled fields are null: {row}");
        assert!(
            row["remote_data"].as_array().is_none_or(Vec::is_empty),
            "raw payloads would carry the disabled fields: {row}"
        );
        assert!(row["first_name"].is_string());
        assert!(row["gender"].is_null(), "a disabled enum field has no origin either: {row}");
        assert!(row["employment_status"].is_string());
    }
    let path = "/api/hris/v1/employments?include_remote_data=true";
    let (_, employments) = json(t.with_account(Method::GET, path, &token).send().await.unwrap()).await;
    assert!(
        !employments["results"][0]["remote_data"].as_array().unwrap().is_empty(),
        "models without disabled fields keep remote data"
    );
    let (_, dependents) =
        json(t.with_account(Method::GET, "/api/hris/v1/dependents", &token).send().await.unwrap()).await;
    assert_eq!(dependents["results"], serde_json::json!([]), "a disabled model is not synced");
    let (_, statuses) =
        json(t.with_account(Method::GET, "/api/hris/v1/sync-status", &token).send().await.unwrap()).await;
    for status in statuses["results"].as_array().unwrap() {
        let expected = if status["model_id"] == "hris.Dependent" { "DISABLED" } else { "DONE" };
        assert_eq!(status["status"], expected, "{statuses}");
    }
    t.stop().await;
}

async fn storms_of_429_and_5xx_lose_and_duplicate_nothing(backend: Backend) {
    let t = LinkTestServer::start(backend).await;
    let world = t.bamboohr.bamboohr_world().unwrap().company(BAMBOO_DOMAIN).unwrap();
    let (account, token) = t.link_account("u1").await;
    sync_settled(&t, account).await;
    let before = employees(&t, &token).await;
    let all = |path: &'static str| {
        let t = &t;
        let token = &token;
        async move {
            let (_, body) = json(t.with_account(Method::GET, path, token).send().await.unwrap()).await;
            body["results"].as_array().unwrap().clone()
        }
    };
    let employments_before = all("/api/hris/v1/employments?page_size=100&include_deleted_data=true").await;

    // One employee changes; then every kind of trouble BambooHR documents, in a row, hits the
    // sync's requests: 503 (its throttling before September 2026), 429 with Retry-After, 500,
    // 502: five failures, one fewer than a request's attempts, so the job itself never fails.
    world.set_field(world.employee_ids()[0], "firstName", Some("Stormy")).unwrap();
    t.bamboohr.faults.fail_next(2, 503);
    t.bamboohr.faults.rate_limit_next(1, 1);
    t.bamboohr.faults.fail_next(1, 500);
    t.bamboohr.faults.fail_next(1, 502);
    let requests = t.bamboohr.faults.requests();
    t.storage().enqueue_sync(account, "FORCED", 0, joinery_storage::now_micros()).await.unwrap().expect("queued");
    sync_settled(&t, account).await;
    assert!(t.bamboohr.faults.requests() >= requests + 5, "the faults were served");

    let after = employees(&t, &token).await;
    let ids: BTreeSet<&str> = after.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!((after.len(), ids.len()), (before.len(), before.len()), "every employee exactly once");
    assert!(after.iter().all(|e| e["remote_was_deleted"] == false));
    assert!(after.iter().any(|e| e["first_name"] == "Stormy"));
    let employments_after = all("/api/hris/v1/employments?page_size=100&include_deleted_data=true").await;
    assert_eq!(employments_after, employments_before, "nothing else moved");
    let (_, statuses) =
        json(t.with_account(Method::GET, "/api/hris/v1/sync-status", &token).send().await.unwrap()).await;
    assert!(statuses["results"].as_array().unwrap().iter().all(|s| s["status"] == "DONE"), "{statuses}");
    t.stop().await;
}

async fn revoked_credentials_need_a_relink(backend: Backend) {
    let t = LinkTestServer::start(backend).await;
    let (account, token) = t.link_account("u1").await;
    sync_settled(&t, account).await;
    let synced = employees(&t, &token).await.len();
    assert_eq!(synced, 3);

    // BambooHR now refuses the key.
    t.bamboohr.faults.fail_next(1000, 401);
    t.storage().enqueue_sync(account, "FORCED", 0, joinery_storage::now_micros()).await.unwrap().expect("queued");
    sync_settled(&t, account).await;
    let res = t.with_account(Method::GET, "/api/hris/v1/account-details", &token).send().await.unwrap();
    let (_, details) = json(res).await;
    assert_eq!(details["status"], "RELINK_NEEDED");
    let res = t.authed(Method::GET, "/api/hris/v1/linked-accounts?status=RELINK_NEEDED").send().await.unwrap();
    let (_, listed) = json(res).await;
    assert!(listed["results"][0]["status_detail"].as_str().unwrap().contains("BambooHR"), "{listed}");
    // A failed sync deletes nothing.
    let rows = employees(&t, &token).await;
    assert!(rows.iter().all(|e| e["remote_was_deleted"] == false));
    assert_eq!(rows.len(), synced);
    t.stop().await;
}

/// Scale-out: two API servers without workers (this one and a `joinery serve --no-worker`
/// process) and two `joinery worker` processes on one PostgreSQL database. The workers split the
/// sync jobs, each job runs once, and both servers serve the same data.
#[tokio::test]
async fn postgres_workers_share_the_jobs() {
    if crate::support::postgres_admin_url().is_none() {
        eprintln!("skipped: {} not set", crate::support::POSTGRES_ENV);
        return;
    }
    let t = LinkTestServer::start_with(Backend::Postgres, true).await;
    let (mut second_server, second) = spawn_api_server(&t).await;
    let mut accounts = Vec::new();
    for origin in ["w1", "w2", "w3", "w4"] {
        accounts.push(t.link_account(origin).await);
    }
    // Nothing syncs without a worker.
    for (account, _) in &accounts {
        assert!(t.storage().active_sync_job(*account).await.unwrap().is_some());
    }
    let mut workers = [spawn_worker(&t), spawn_worker(&t)];
    let names: BTreeSet<String> = workers.iter().map(|w| format!("worker-{}", w.id())).collect();
    for (account, token) in &accounts {
        sync_settled(&t, *account).await;
        let rows = employees(&t, token).await;
        assert_eq!(rows.len(), 3, "every employee once");
        assert!(rows.iter().all(|e| e["remote_was_deleted"] == false));
        // The other API server serves the same rows.
        let res = t
            .http
            .get(format!("{second}/api/hris/v1/employees?include_deleted_data=true&page_size=100"))
            .bearer_auth(&t.key)
            .header("X-Account-Token", token)
            .send()
            .await
            .unwrap();
        let (status, body) = json(res).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["results"].as_array().unwrap(), &rows);
    }
    // Each job was claimed once (a second claim would count an attempt), and both workers ran some.
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&t.db.url).await.unwrap();
    let jobs: Vec<(i32, Option<String>)> =
        sqlx::query_as("SELECT attempts, finished_by FROM sync_jobs").fetch_all(&mut conn).await.unwrap();
    assert_eq!(jobs.len(), 4);
    assert!(jobs.iter().all(|(attempts, _)| *attempts == 1), "{jobs:?}");
    let finished_by: BTreeSet<String> = jobs.into_iter().filter_map(|(_, by)| by).collect();
    assert_eq!(finished_by, names, "both workers took jobs");
    for worker in &mut workers {
        // SIGKILL: a worker dying is the case the leases are for; the jobs are done anyway.
        worker.kill().unwrap();
        worker.wait().unwrap();
    }
    second_server.kill().unwrap();
    second_server.wait().unwrap();
    t.stop().await;
}

/// A `joinery serve --no-worker` process on the test server's database; its base URL once it
/// answers.
async fn spawn_api_server(t: &LinkTestServer) -> (std::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_joinery"))
        .args(["serve", "--no-worker"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("JOINERY_DATABASE_URL", &t.db.url)
        .env("JOINERY_DATA_DIR", t.db.dir.path())
        .env("JOINERY_SECRET_KEY", "5e".repeat(32))
        .env("JOINERY_LISTEN", format!("127.0.0.1:{port}"))
        .env("JOINERY_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("joinery serve starts");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while t.http.get(format!("{base}/api/health")).send().await.is_err() {
        assert!(Instant::now() < deadline, "the second API server did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (child, base)
}

/// A `joinery worker` process against the test server's database and emulator, with a short
/// lease so a killed worker's job is resumed quickly.
fn spawn_worker(t: &LinkTestServer) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_joinery"))
        .arg("worker")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("JOINERY_DATABASE_URL", &t.db.url)
        .env("JOINERY_DATA_DIR", t.db.dir.path())
        .env("JOINERY_SECRET_KEY", "5e".repeat(32))
        .env("JOINERY_PROVIDER_BAMBOOHR_BASE_URL", &t.bamboohr.base_url)
        .env("JOINERY_SYNC_LEASE_SECS", "3")
        .env("JOINERY_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("joinery worker starts")
}

/// Workers SIGKILLed at several points of a sync lose and duplicate nothing: the next worker
/// resumes each job once its lease lapses and finishes it.
#[tokio::test]
async fn postgres_workers_killed_mid_sync_lose_nothing() {
    if crate::support::postgres_admin_url().is_none() {
        eprintln!("skipped: {} not set", crate::support::POSTGRES_ENV);
        return;
    }
    let t = LinkTestServer::start_with(Backend::Postgres, true).await;
    let mut accounts = Vec::new();
    for origin in ["k1", "k2", "k3"] {
        accounts.push(t.link_account(origin).await);
    }
    // Kill after the worker made this many provider requests of a sync (of about a dozen).
    for kill_after in [1u64, 4, 9] {
        // Each 429 makes the worker wait a second: the sync is slow enough to be caught mid-way.
        t.bamboohr.faults.rate_limit_next(3, 1);
        let before = t.bamboohr.faults.requests();
        let mut worker = spawn_worker(&t);
        let deadline = Instant::now() + Duration::from_secs(60);
        while t.bamboohr.faults.requests() < before + kill_after {
            assert!(Instant::now() < deadline, "the worker made no progress");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        worker.kill().unwrap();
        worker.wait().unwrap();
        let mut running = 0;
        for (account, _) in &accounts {
            if t.storage().active_sync_job(*account).await.unwrap().is_some_and(|(_, state)| state == "RUNNING") {
                running += 1;
            }
        }
        assert!(running >= 1, "a sync was killed mid-way (after {kill_after} requests)");
    }
    let mut survivor = spawn_worker(&t);
    for (account, token) in &accounts {
        sync_settled(&t, *account).await;
        let rows = employees(&t, token).await;
        let ids: BTreeSet<&str> = rows.iter().map(|e| e["id"].as_str().unwrap()).collect();
        assert_eq!((rows.len(), ids.len()), (3, 3), "every employee exactly once");
        let res = t.with_account(Method::GET, "/api/hris/v1/sync-status", token).send().await.unwrap();
        let (_, statuses) = json(res).await;
        assert!(statuses["results"].as_array().unwrap().iter().all(|s| s["status"] == "DONE"), "{statuses}");
    }
    survivor.kill().unwrap();
    survivor.wait().unwrap();
    t.stop().await;
}
