//! Syncing Gusto end to end: linked by OAuth, the embedded worker reads the Gusto emulator into
//! the HRIS common models, and the API serves what the emulator holds; then expired and revoked
//! grants, a 429 storm, and resyncs after the provider changes.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::on_both_backends;
use crate::support::fixtures::*;
use crate::support::{Backend, LinkTestServer, json};

on_both_backends!(
    gusto_initial_sync_serves_what_the_provider_holds,
    gusto_expired_access_tokens_are_renewed_and_saved,
    gusto_revoked_grants_need_a_relink_and_delete_nothing,
    gusto_429_storm_still_syncs_every_row_once,
    gusto_resyncs_follow_renames_removals_and_additions
);

/// Every model the Gusto connector syncs, in its order.
const MODELS: [&str; 10] = [
    "hris.Company",
    "hris.Location",
    "hris.Group",
    "hris.Team",
    "hris.PayGroup",
    "hris.Employment",
    "hris.Employee",
    "hris.BankInfo",
    "hris.PayrollRun",
    "hris.EmployeePayrollRun",
];

/// Starts a Gusto link for `origin` through Link's JSON API and the emulator's consent page, up
/// to (not including) `oauth/complete`: the link token and the attempt's state.
async fn consent(t: &LinkTestServer, origin: &str) -> (String, String) {
    let token = t.link_token_for(&t.key, origin, json!({"integration": "gusto"})).await;
    let (status, started) = t.link_post("/api/link/v1/oauth/start", &token, &json!({"integration": "gusto"})).await;
    assert_eq!(status, 200, "{started}");
    let callback = t.gusto_consent(started["authorize_url"].as_str().unwrap(), "allow").await;
    assert_eq!(t.http.get(&callback).send().await.unwrap().status(), 200);
    (token, started["state"].as_str().unwrap().to_owned())
}

/// Completes the link (which queues the initial sync) and exchanges the public token: the
/// account's id and token.
async fn complete(t: &LinkTestServer, token: &str, state: &str) -> (Uuid, String) {
    let (status, done) = t.link_post("/api/link/v1/oauth/complete", token, &json!({"state": state})).await;
    assert_eq!(status, 200, "{done}");
    let (status, exchanged) = t.exchange(&t.key, done["public_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{exchanged}");
    (
        Uuid::parse_str(exchanged["id"].as_str().unwrap()).unwrap(),
        exchanged["account_token"].as_str().unwrap().to_owned(),
    )
}

async fn link_gusto(t: &LinkTestServer, origin: &str) -> (Uuid, String) {
    let (token, state) = consent(t, origin).await;
    complete(t, &token, &state).await
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

/// Queues a full sync and waits for it.
async fn resync(t: &LinkTestServer, account: Uuid) {
    t.storage().enqueue_sync(account, "FORCED", 0, joinery_storage::now_micros()).await.unwrap().expect("queued");
    sync_settled(t, account).await;
}

/// Every row of a model's endpoint (deleted ones included), all pages.
async fn rows(t: &LinkTestServer, token: &str, path: &str, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("/api/hris/v1/{path}?include_deleted_data=true&page_size=100{query}");
        if let Some(cursor) = &cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let (status, body) = json(t.with_account(Method::GET, &url, token).send().await.unwrap()).await;
        assert_eq!(status, 200, "{path}: {body}");
        out.extend(body["results"].as_array().unwrap().iter().cloned());
        match body["next"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return out,
        }
    }
}

fn by_remote_id(rows: &[Value]) -> BTreeMap<String, Value> {
    rows.iter().map(|r| (r["remote_id"].as_str().unwrap().to_owned(), r.clone())).collect()
}

/// The sync status of every model: (model, status, last result).
async fn statuses(t: &LinkTestServer, token: &str) -> Vec<(String, String, String)> {
    let (status, body) =
        json(t.with_account(Method::GET, "/api/hris/v1/sync-status", token).send().await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let text = |k: &str| s[k].as_str().unwrap_or_default().to_owned();
            (text("model_id"), text("status"), text("last_sync_result"))
        })
        .collect()
}

async fn assert_all_done(t: &LinkTestServer, token: &str) {
    let statuses = statuses(t, token).await;
    assert_eq!(statuses.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(), MODELS);
    assert!(statuses.iter().all(|s| (s.1.as_str(), s.2.as_str()) == ("DONE", "DONE")), "{statuses:?}");
}

async fn account_status(t: &LinkTestServer, token: &str) -> String {
    let res = t.with_account(Method::GET, "/api/hris/v1/account-details", token).send().await.unwrap();
    json(res).await.1["status"].as_str().unwrap().to_owned()
}

/// The emulator read directly, with a grant of its own (the same admin and application).
struct Provider {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Provider {
    async fn connect(t: &LinkTestServer) -> Provider {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let base = t.gusto.base_url.clone();
        let redirect_uri = format!("{PUBLIC_URL}/link/oauth/callback");
        let form = [
            ("client_id", GUSTO_CLIENT_ID),
            ("redirect_uri", redirect_uri.as_str()),
            ("response_type", "code"),
            ("state", "test"),
            ("email", GUSTO_EMAIL),
            ("password", GUSTO_PASSWORD),
            ("decision", "allow"),
        ];
        let res = http.post(format!("{base}/oauth/authorize")).form(&form).send().await.unwrap();
        assert_eq!(res.status(), 302);
        let location = url::Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
        let code = location.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("client_id", GUSTO_CLIENT_ID),
            ("client_secret", GUSTO_CLIENT_SECRET),
        ];
        let grant: Value =
            http.post(format!("{base}/oauth/token")).form(&form).send().await.unwrap().json().await.unwrap();
        Provider { http, base, token: grant["access_token"].as_str().unwrap().to_owned() }
    }

    async fn get(&self, path: &str) -> Value {
        let res = self.http.get(format!("{}{path}", self.base)).bearer_auth(&self.token).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        res.json().await.unwrap()
    }

    fn company(&self, path: &str) -> String {
        format!("/v1/companies/{GUSTO_COMPANY}{path}")
    }

    async fn employees(&self) -> Vec<Value> {
        self.get(&self.company("/employees?include=all_compensations&per=100")).await.as_array().unwrap().clone()
    }

    /// Every payroll (processed or not, regular or off-cycle) since the company joined.
    async fn payrolls(&self) -> Vec<Value> {
        let company = self.get(&self.company("")).await;
        let start = company["join_date"].as_str().unwrap();
        let end = (time::OffsetDateTime::now_utc().date() + time::Duration::days(80)).to_string();
        let query = format!(
            "/payrolls?processing_statuses=processed,unprocessed&payroll_types=regular,off_cycle&start_date={start}&end_date={end}&per=100"
        );
        self.get(&self.company(&query)).await.as_array().unwrap().clone()
    }
}

fn remote_ids<'a>(rows: impl IntoIterator<Item = &'a Value>, key: &str) -> BTreeSet<String> {
    rows.into_iter().map(|r| r[key].as_str().unwrap().to_owned()).collect()
}

async fn gusto_initial_sync_serves_what_the_provider_holds(backend: Backend) {
    let t = LinkTestServer::start(backend).await;
    let (account, token) = link_gusto(&t, "u1").await;
    sync_settled(&t, account).await;
    assert_all_done(&t, &token).await;
    assert_eq!(account_status(&t, &token).await, "COMPLETE");
    let provider = Provider::connect(&t).await;

    // Company.
    let company = provider.get(&provider.company("")).await;
    let companies = rows(&t, &token, "companies", "").await;
    assert_eq!(companies.len(), 1);
    assert_eq!((&companies[0]["remote_id"], &companies[0]["legal_name"]), (&json!(GUSTO_COMPANY), &company["name"]));
    assert_eq!(companies[0]["eins"], json!([company["ein"]]));

    // Locations.
    let locations = provider.get(&provider.company("/locations")).await;
    let synced = by_remote_id(&rows(&t, &token, "locations", "&show_enum_origins=country").await);
    assert_eq!(synced.keys().cloned().collect::<BTreeSet<_>>(), remote_ids(locations.as_array().unwrap(), "uuid"));
    for l in locations.as_array().unwrap() {
        let row = &synced[l["uuid"].as_str().unwrap()];
        assert_eq!((&row["street_1"], &row["city"], &row["zip_code"]), (&l["street_1"], &l["city"], &l["zip"]));
        assert_eq!((&row["country"], &row["location_type"]), (&json!("USA"), &json!("WORK")), "the raw country");
    }
    let plain = rows(&t, &token, "locations", "").await;
    assert!(plain.iter().all(|l| l["country"] == "US"));

    // Departments: groups and teams.
    let departments = provider.get(&provider.company("/departments")).await;
    let department_ids = remote_ids(departments.as_array().unwrap(), "uuid");
    let groups = rows(&t, &token, "groups", "").await;
    assert_eq!(remote_ids(&groups, "remote_id"), department_ids);
    assert!(groups.iter().all(|g| g["type"] == "DEPARTMENT" && g["is_commonly_used_as_team"] == true));
    assert_eq!(remote_ids(&rows(&t, &token, "teams", "").await, "remote_id"), department_ids);

    // Pay groups.
    let schedules = provider.get(&provider.company("/pay_schedules")).await;
    let pay_groups = rows(&t, &token, "pay-groups", "").await;
    assert_eq!(pay_groups.len(), 1);
    assert_eq!(
        (&pay_groups[0]["remote_id"], &pay_groups[0]["pay_group_name"]),
        (&schedules[0]["uuid"], &schedules[0]["custom_name"])
    );

    // Employees, with their relations resolved to synced rows.
    let employees = provider.employees().await;
    assert_eq!(employees.len(), 3);
    let synced = by_remote_id(
        &rows(&t, &token, "employees", "&expand=manager,team,work_location,pay_group,company,employments").await,
    );
    assert_eq!(synced.keys().cloned().collect::<BTreeSet<_>>(), remote_ids(&employees, "uuid"));
    for e in &employees {
        let row = &synced[e["uuid"].as_str().unwrap()];
        for (merge, gusto) in [
            ("first_name", "first_name"),
            ("last_name", "last_name"),
            ("work_email", "work_email"),
            ("personal_email", "email"),
            ("employee_number", "employee_code"),
            ("mobile_phone_number", "phone"),
        ] {
            assert_eq!(row[merge], e[gusto], "{merge}: {row}");
        }
        let status = if e["terminated"] == true { "INACTIVE" } else { "ACTIVE" };
        assert_eq!(row["employment_status"], status, "{row}");
        assert_eq!(row["company"]["remote_id"], GUSTO_COMPANY);
        assert_eq!(row["team"]["remote_id"], e["department_uuid"]);
        assert_eq!(row["work_location"]["remote_id"], e["jobs"][0]["location_uuid"]);
        assert_eq!(row["pay_group"]["remote_id"], schedules[0]["uuid"]);
        assert_eq!(row["manager"]["remote_id"].as_str(), e["manager_uuid"].as_str(), "{row}");
        assert_eq!(row["hire_date"], format!("{}T00:00:00Z", e["jobs"][0]["hire_date"].as_str().unwrap()));
        let compensations = e["jobs"][0]["compensations"].as_array().unwrap();
        let employments = row["employments"].as_array().unwrap();
        assert_eq!(remote_ids(employments, "remote_id"), remote_ids(compensations, "uuid"));
    }

    // Employments: one per compensation, Merge's enums with Gusto's raw values as origins.
    let compensations: Vec<(&Value, &Value)> = employees
        .iter()
        .flat_map(|e| e["jobs"][0]["compensations"].as_array().unwrap().iter().map(move |c| (e, c)))
        .collect();
    let synced = by_remote_id(&rows(&t, &token, "employments", "").await);
    let origins = by_remote_id(
        &rows(&t, &token, "employments", "&show_enum_origins=pay_period,flsa_status,employment_type,pay_frequency")
            .await,
    );
    assert_eq!(synced.len(), compensations.len());
    for (e, c) in compensations {
        let (row, raw) = (&synced[c["uuid"].as_str().unwrap()], &origins[c["uuid"].as_str().unwrap()]);
        assert_eq!(row["pay_rate"].as_f64().unwrap(), c["rate"].as_str().unwrap().parse::<f64>().unwrap());
        assert_eq!((&raw["pay_period"], &raw["flsa_status"]), (&c["payment_unit"], &c["flsa_status"]));
        assert_eq!(raw["employment_type"], e["current_employment_status"]);
        let unit = c["payment_unit"].as_str().unwrap().to_ascii_uppercase();
        assert_eq!(row["pay_period"], unit.as_str());
        let flsa = if c["flsa_status"] == "Exempt" { "EXEMPT" } else { "NONEXEMPT" };
        assert_eq!(row["flsa_status"], flsa);
        let kind = if e["current_employment_status"] == "full_time" { "FULL_TIME" } else { "PART_TIME" };
        assert_eq!(row["employment_type"], kind);
        assert_eq!((&row["pay_frequency"], &raw["pay_frequency"]), (&json!("BIWEEKLY"), &json!("Every other week")));
        assert_eq!((&row["pay_currency"], &row["job_title"]), (&json!("USD"), &e["jobs"][0]["title"]));
        assert_eq!(row["effective_date"], format!("{}T00:00:00Z", c["effective_date"].as_str().unwrap()));
    }

    // Bank info: what Gusto shares, a masked account number included.
    let mut accounts = Vec::new();
    for e in &employees {
        let list = provider.get(&format!("/v1/employees/{}/bank_accounts", e["uuid"].as_str().unwrap())).await;
        accounts.extend(list.as_array().unwrap().iter().cloned());
    }
    assert!(!accounts.is_empty());
    let synced = by_remote_id(&rows(&t, &token, "bank-info", "&expand=employee").await);
    assert_eq!(synced.keys().cloned().collect::<BTreeSet<_>>(), remote_ids(&accounts, "uuid"));
    for a in &accounts {
        let row = &synced[a["uuid"].as_str().unwrap()];
        assert_eq!(
            (&row["account_number"], &row["routing_number"]),
            (&a["hidden_account_number"], &a["routing_number"])
        );
        assert_eq!(row["account_type"], a["account_type"].as_str().unwrap().to_ascii_uppercase());
        assert_eq!(row["employee"]["remote_id"], a["employee_uuid"]);
    }

    // Payroll runs, and each employee's pay in the processed ones.
    let payrolls = provider.payrolls().await;
    let synced = by_remote_id(&rows(&t, &token, "payroll-runs", "&show_enum_origins=run_type").await);
    assert_eq!(synced.keys().cloned().collect::<BTreeSet<_>>(), remote_ids(&payrolls, "payroll_uuid"));
    let plain = by_remote_id(&rows(&t, &token, "payroll-runs", "").await);
    let mut expected_pay = BTreeMap::new();
    for p in &payrolls {
        let id = p["payroll_uuid"].as_str().unwrap();
        let (row, raw) = (&plain[id], &synced[id]);
        assert_eq!(row["check_date"], format!("{}T00:00:00Z", p["check_date"].as_str().unwrap()));
        assert_eq!(row["start_date"], format!("{}T00:00:00Z", p["pay_period"]["start_date"].as_str().unwrap()));
        let (state, kind) = match (p["processed"] == true, p["off_cycle"] == true) {
            (false, _) => ("DRAFT", "REGULAR"),
            (true, off_cycle) => ("PAID", if off_cycle { "OFF_CYCLE" } else { "REGULAR" }),
        };
        assert_eq!((row["run_state"].as_str(), row["run_type"].as_str()), (Some(state), Some(kind)), "{row}");
        if p["off_cycle"] == true {
            assert_eq!(raw["run_type"], "Bonus");
        }
        if p["processed"] == true {
            let shown = provider.get(&provider.company(&format!("/payrolls/{id}?per=100"))).await;
            for c in shown["employee_compensations"].as_array().unwrap() {
                expected_pay
                    .insert(format!("{id}:{}", c["employee_uuid"].as_str().unwrap()), c["gross_pay"].as_f64().unwrap());
            }
        }
    }
    let runs = rows(&t, &token, "employee-payroll-runs", "&expand=employee,payroll_run").await;
    let synced: BTreeMap<String, f64> =
        runs.iter().map(|r| (r["remote_id"].as_str().unwrap().to_owned(), r["gross_pay"].as_f64().unwrap())).collect();
    assert!(!expected_pay.is_empty());
    assert_eq!(synced, expected_pay);
    for run in &runs {
        assert!(run["employee"]["first_name"].is_string() && run["payroll_run"]["run_state"] == "PAID", "{run}");
        let earned: f64 = run["earnings"].as_array().unwrap().iter().map(|e| e["amount"].as_f64().unwrap()).sum();
        assert!((earned - run["gross_pay"].as_f64().unwrap()).abs() < 0.005, "{run}");
        let taxes = run["taxes"].as_array().unwrap();
        assert!(taxes.iter().any(|t| t["employer_tax"] == true) && taxes.iter().any(|t| t["employer_tax"] == false));
    }
    t.stop().await;
}

async fn gusto_expired_access_tokens_are_renewed_and_saved(backend: Backend) {
    let t = LinkTestServer::start(backend).await;
    let company = t.gusto_world.company(GUSTO_COMPANY).unwrap();
    let (account, token) = link_gusto(&t, "u1").await;
    sync_settled(&t, account).await;
    assert_all_done(&t, &token).await;
    assert_eq!(company.refreshes(), 0, "a fresh grant is used as it is");

    // The access token expires at Gusto before its stored expiry: the first 401 renews it.
    company.expire_access_tokens();
    resync(&t, account).await;
    assert_all_done(&t, &token).await;
    assert_eq!(company.refreshes(), 1, "one renewal for the whole sync");
    assert_eq!(account_status(&t, &token).await, "COMPLETE");

    // The renewed grant was saved: the next sync uses its access token as it is.
    resync(&t, account).await;
    assert_all_done(&t, &token).await;
    assert_eq!(company.refreshes(), 1);

    // Gusto rotated the refresh token (the old one is void): a renewal now works only with
    // the new one, which must have been saved too.
    assert_eq!(company.live_refresh_tokens(), 1);
    company.expire_access_tokens();
    resync(&t, account).await;
    assert_all_done(&t, &token).await;
    assert_eq!(company.refreshes(), 2);
    assert_eq!(account_status(&t, &token).await, "COMPLETE");
    assert_eq!(rows(&t, &token, "employees", "").await.len(), 3);
    t.stop().await;
}

async fn gusto_revoked_grants_need_a_relink_and_delete_nothing(backend: Backend) {
    let t = LinkTestServer::start(backend).await;
    let company = t.gusto_world.company(GUSTO_COMPANY).unwrap();
    let (account, token) = link_gusto(&t, "u1").await;
    sync_settled(&t, account).await;
    let before: BTreeMap<&str, usize> = {
        let mut counts = BTreeMap::new();
        for path in ["employees", "employments", "bank-info", "payroll-runs", "employee-payroll-runs", "locations"] {
            counts.insert(path, rows(&t, &token, path, "").await.len());
        }
        counts
    };
    assert!(before.values().all(|n| *n > 0), "{before:?}");

    // The company disconnects the app in Gusto: the refresh is refused with invalid_grant.
    company.revoke_grants();
    resync(&t, account).await;
    assert_eq!(account_status(&t, &token).await, "RELINK_NEEDED");
    let res = t.authed(Method::GET, "/api/hris/v1/linked-accounts?status=RELINK_NEEDED").send().await.unwrap();
    let (_, listed) = json(res).await;
    let detail = listed["results"][0]["status_detail"].as_str().unwrap();
    assert!(detail.contains("Gusto") && detail.contains("invalid_grant") && detail.contains("relink"), "{detail}");
    // A refused sync deletes nothing.
    for (path, count) in &before {
        let now = rows(&t, &token, path, "").await;
        assert_eq!(now.len(), *count, "{path}");
        assert!(now.iter().all(|r| r["remote_was_deleted"] == false), "{path}");
    }
    t.stop().await;
}

async fn gusto_429_storm_still_syncs_every_row_once(backend: Backend) {
    let t = LinkTestServer::start(backend).await;
    let (link_token, state) = consent(&t, "u1").await;
    // Linking queues the initial sync; its first requests are throttled.
    let before = t.gusto.faults.requests();
    t.gusto.faults.rate_limit_next(3, 1);
    let (account, token) = complete(&t, &link_token, &state).await;
    sync_settled(&t, account).await;
    assert!(t.gusto.faults.requests() >= before + 3 + MODELS.len() as u64);
    assert_all_done(&t, &token).await;
    // A second storm in the middle of a resync.
    t.gusto.faults.rate_limit_next(2, 1);
    t.storage().enqueue_sync(account, "FORCED", 0, joinery_storage::now_micros()).await.unwrap().expect("queued");
    sync_settled(&t, account).await;
    assert_all_done(&t, &token).await;

    let provider = Provider::connect(&t).await;
    let employees = provider.employees().await;
    let compensations: usize = employees.iter().map(|e| e["jobs"][0]["compensations"].as_array().unwrap().len()).sum();
    let payrolls = provider.payrolls().await;
    for (path, expected) in [
        ("employees", employees.len()),
        ("employments", compensations),
        ("payroll-runs", payrolls.len()),
        ("groups", 8),
        ("teams", 8),
        ("locations", 4),
        ("companies", 1),
    ] {
        let rows = rows(&t, &token, path, "").await;
        let ids: BTreeSet<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
        let remote: BTreeSet<&str> = rows.iter().map(|r| r["remote_id"].as_str().unwrap()).collect();
        assert_eq!((rows.len(), ids.len(), remote.len()), (expected, expected, expected), "{path}: each row once");
        assert!(rows.iter().all(|r| r["remote_was_deleted"] == false), "{path}");
    }
    t.stop().await;
}

/// (modified_at, remote_was_deleted) of each row, by remote id.
fn modified(rows: &[Value]) -> BTreeMap<String, (String, bool)> {
    rows.iter()
        .map(|r| {
            let key = r["remote_id"].as_str().unwrap().to_owned();
            (key, (r["modified_at"].as_str().unwrap().to_owned(), r["remote_was_deleted"].as_bool().unwrap()))
        })
        .collect()
}

async fn gusto_resyncs_follow_renames_removals_and_additions(backend: Backend) {
    let t = LinkTestServer::start(backend).await;
    let company = t.gusto_world.company(GUSTO_COMPANY).unwrap();
    let (account, token) = link_gusto(&t, "u1").await;
    sync_settled(&t, account).await;
    let uuids = company.employee_uuids();
    let before = modified(&rows(&t, &token, "employees", "").await);
    assert_eq!(before.keys().cloned().collect::<BTreeSet<_>>(), uuids.iter().cloned().collect());
    let employments_before = modified(&rows(&t, &token, "employments", "").await);

    // An unchanged resync writes nothing.
    resync(&t, account).await;
    assert_eq!(modified(&rows(&t, &token, "employees", "").await), before, "an unchanged resync writes nothing");
    assert_eq!(modified(&rows(&t, &token, "employments", "").await), employments_before);

    // Gusto renames one employee, removes one, adds one.
    let (renamed, removed, kept) = (&uuids[0], &uuids[1], &uuids[2]);
    company.rename_employee(renamed, "Renée", "Renamed").unwrap();
    company.remove_employee(removed).unwrap();
    let added = company.add_employee("Neo", "Newcomer");
    resync(&t, account).await;
    assert_all_done(&t, &token).await;
    let rows_now = rows(&t, &token, "employees", "").await;
    let after = modified(&rows_now);
    assert_ne!(after[renamed].0, before[renamed].0, "a renamed employee moves modified_at");
    assert!(!after[renamed].1);
    let renamed_row = rows_now.iter().find(|r| r["remote_id"] == renamed.as_str()).unwrap();
    assert_eq!((&renamed_row["first_name"], &renamed_row["last_name"]), (&json!("Renée"), &json!("Renamed")));
    assert_eq!(renamed_row["display_full_name"].as_str().unwrap().split(' ').next_back(), Some("Renamed"));
    assert!(after[removed].1, "a removed employee is marked deleted");
    assert_ne!(after[removed].0, before[removed].0);
    assert_eq!(after[kept], before[kept], "an unchanged employee is untouched");
    let neo = rows_now.iter().find(|r| r["remote_id"] == added.as_str()).expect("the new employee");
    assert_eq!(
        (&neo["first_name"], &neo["employment_status"], &neo["remote_was_deleted"]),
        (&json!("Neo"), &json!("ACTIVE"), &json!(false))
    );
    assert_eq!(neo["employments"].as_array().unwrap().len(), 1);

    // The removed employee's employments went with it; the new one's arrived.
    let removed_employee = company.employee(removed);
    assert!(removed_employee.is_none());
    let employments = rows(&t, &token, "employments", "&expand=employee").await;
    for row in &employments {
        let owner = row["employee"]["remote_id"].as_str().unwrap();
        assert_eq!(row["remote_was_deleted"], owner == removed.as_str(), "{row}");
    }
    assert!(employments.iter().any(|r| r["employee"]["remote_id"] == added.as_str()));
    // Deleted rows are hidden by default.
    let res = t.with_account(Method::GET, "/api/hris/v1/employees", &token).send().await.unwrap();
    assert_eq!(json(res).await.1["results"].as_array().unwrap().len(), 3);
    t.stop().await;
}
