//! Reading BambooHR into common models: the company (`GET /v1/company_information`); locations,
//! departments and divisions (`GET /v1/meta/lists`) as Locations, Groups and Teams; employments
//! from the compensation, job and employment-status tables (`GET /v1/employees/all/tables/…`);
//! employees (`POST /v1/reports/custom`, every field for every employee in one request, which
//! BambooHR recommends over one request per employee).

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::tables::{EmploymentIds, History};
use super::{COMPANY_DOMAIN, api};
use crate::{
    AccountHttp, BATCH, Coverage, Element, Fields, JsonBatches, RawJson, ReadRequest, RecordSink, RemotePayload,
    RemoteRecord, RetryPolicy, SyncError, SyncScratch,
};

/// In dependency order: what employees point at comes first.
pub const MODELS: &[&str] = &[
    "hris.Company",
    "hris.Location",
    "hris.Group",
    "hris.Team",
    "hris.Employment",
    "hris.Employee",
    "hris.TimeOff",
    "hris.Dependent",
    // Last: one request per employee.
    "hris.TimeOffBalance",
];

/// Time-off requests are read for this window around today (BambooHR requires a range).
const TIME_OFF_PAST_DAYS: i64 = 2 * 365;
const TIME_OFF_FUTURE_DAYS: i64 = 365;

/// Report fields requested for employees.
const EMPLOYEE_FIELDS: &[&str] = &[
    "employeeNumber",
    "firstName",
    "lastName",
    "preferredName",
    "displayName",
    "workEmail",
    "homeEmail",
    "mobilePhone",
    "supervisorEId",
    "ssn",
    "gender",
    "ethnicity",
    "maritalStatus",
    "dateOfBirth",
    "hireDate",
    "originalHireDate",
    "status",
    "terminationDate",
    "photoUrl",
    "department",
    "division",
    "location",
];

/// The account being read: its company domain and API key.
struct Account<'a> {
    http: &'a AccountHttp,
    company: String,
    key: String,
}

/// Custom reports and whole tables are streamed; one attempt may take this long.
const STREAM_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30 * 60);

impl Account<'_> {
    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .provider_http()
            .client()
            .get(self.http.url(&api::url(&self.company, path)))
            .basic_auth(&self.key, Some("x"))
            .header("Accept", "application/json")
    }

    async fn get_json(&self, path: &str) -> Result<Value, SyncError> {
        let response = self.http.send(|_| self.get(path)).await?;
        self.http.json(checked(self.http, response).await?).await
    }

    /// A long answer, streamed: a longer time limit than the usual request's.
    async fn send_streamed(&self, build: impl Fn() -> reqwest::RequestBuilder) -> Result<reqwest::Response, SyncError> {
        let http = self
            .http
            .clone()
            .with_retry(RetryPolicy { attempt_timeout: Some(STREAM_TIMEOUT), ..*self.http.retry_policy() });
        let response = http.send(|_| build()).await?;
        checked(self.http, response).await
    }

    /// Every row of a table for every employee (`GET /v1/employees/all/tables/{table}`), in
    /// batches as they arrive, with each row's text (rows that become records).
    async fn table<T: DeserializeOwned + Send + 'static>(
        &self,
        table: &str,
    ) -> Result<JsonBatches<Element<T>>, SyncError> {
        let response = self.send_streamed(|| self.get(&format!("employees/all/tables/{table}"))).await?;
        Ok(self.http.json_batches(response, None, BATCH))
    }

    /// [`table`](Self::table) without the rows' text (rows that only feed other records).
    async fn table_values<T: DeserializeOwned + Send + 'static>(
        &self,
        table: &str,
    ) -> Result<JsonBatches<T>, SyncError> {
        let response = self.send_streamed(|| self.get(&format!("employees/all/tables/{table}"))).await?;
        Ok(self.http.json_values(response, None, BATCH))
    }

    /// `POST /v1/reports/custom` of [`EMPLOYEE_FIELDS`], of every employee or of the ones changed
    /// since `since`, in batches as it arrives.
    async fn employee_report(
        &self,
        since: Option<&str>,
    ) -> Result<JsonBatches<Element<api::Row<api::ReportEmployee>>>, SyncError> {
        let url = self.http.url(&api::url(&self.company, "reports/custom?format=JSON&onlyCurrent=true"));
        let mut body = json!({ "title": "Joinery sync", "fields": EMPLOYEE_FIELDS });
        if let Some(since) = since {
            body["filters"] = json!({ "lastChanged": { "includeNull": "no", "value": since } });
        }
        let body = body.to_string();
        let response = self
            .send_streamed(|| {
                self.http
                    .provider_http()
                    .client()
                    .post(url.clone())
                    .basic_auth(&self.key, Some("x"))
                    .header("Accept", "application/json")
                    .header("Content-Type", "application/json")
                    .body(body.clone())
            })
            .await?;
        Ok(self.http.json_batches(response, Some("employees"), BATCH))
    }

    /// Every row of each employee changed since `since`, by employee id
    /// (`GET /v1/employees/changed/tables/{table}`).
    async fn changed_table(&self, table: &str, since: &str) -> Result<HashMap<String, Vec<ChangedRow>>, SyncError> {
        let path = format!("employees/changed/tables/{table}?since={}", query_value(since));
        let response = self.http.send(|_| self.get(&path)).await?;
        let changed: api::ChangedTable = self.http.json(checked(self.http, response).await?).await?;
        Ok(changed.employees.into_iter().map(|(id, employee)| (id, employee.rows)).collect())
    }

    /// Ids of the employees deleted since `since` (`GET /v1/employees/changed?type=deleted`).
    async fn deleted_employees(&self, since: &str) -> Result<Vec<String>, SyncError> {
        let changed: api::ChangedEmployees = serde_json::from_value(
            self.get_json(&format!("employees/changed?since={}&type=deleted", query_value(since))).await?,
        )
        .map_err(|_| SyncError::Protocol("BambooHR answered an employee change list of an unexpected shape.".into()))?;
        Ok(changed.employees.into_values().filter(|e| e.action.eq_ignore_ascii_case("deleted")).map(|e| e.id).collect())
    }
}

/// A row of a table change list, as BambooHR wrote it.
type ChangedRow = Box<serde_json::value::RawValue>;

/// A changed row as `T`; `None` for a row that is not an object of that shape.
fn changed_row<T: DeserializeOwned>(row: &ChangedRow) -> Option<T> {
    serde_json::from_str::<api::Row<T>>(row.get()).ok()?.0
}

/// `+` of a time zone offset is a space in a query string.
fn query_value(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

async fn checked(http: &AccountHttp, response: reqwest::Response) -> Result<reqwest::Response, SyncError> {
    match response.status().as_u16() {
        200 => Ok(response),
        401 => Err(SyncError::Unauthorized("BambooHR no longer accepts the API key".into())),
        403 => Err(SyncError::Unauthorized("the API key's BambooHR user may no longer read employees".into())),
        404 => Err(SyncError::Unauthorized("BambooHR no longer knows this company domain".into())),
        _ => Err(http.unexpected(response.status())),
    }
}

pub async fn read(request: ReadRequest<'_>, sink: &RecordSink) -> Result<Coverage, SyncError> {
    let credentials = request.credentials.get().await;
    let company = credentials
        .get(COMPANY_DOMAIN)
        .ok_or_else(|| SyncError::Protocol("stored credentials lack the company domain".into()))?
        .to_owned();
    let key = credentials.get(super::API_KEY).unwrap_or("").to_owned();
    let account = Account { http: request.http, company, key };
    let since = request.since.map(|t| {
        t.replace_nanosecond(0).unwrap_or(t).format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
    });
    match request.model {
        "hris.Company" => {
            let info = account.get_json("company_information").await?;
            sink.send(vec![company_record(&account.company, info)]).await?;
            Ok(Coverage::Complete)
        }
        model @ ("hris.Location" | "hris.Group" | "hris.Team") => {
            let lists = account.get_json("meta/lists").await?;
            let records = match model {
                "hris.Location" => list_options(&lists, "location").into_iter().map(location_record).collect(),
                "hris.Team" => list_options(&lists, "department").into_iter().map(team_record).collect(),
                _ => list_options(&lists, "department")
                    .into_iter()
                    .map(|o| group_record("department", "DEPARTMENT", o))
                    .chain(
                        list_options(&lists, "division")
                            .into_iter()
                            .map(|o| group_record("division", "BUSINESS_UNIT", o)),
                    )
                    .collect(),
            };
            send_all(sink, records).await?;
            Ok(Coverage::Complete)
        }
        "hris.Employment" => match since {
            None => employments(&account, request.scratch, sink).await,
            Some(since) => changed_employments(&account, &since, sink).await,
        },
        "hris.Employee" => employees(&account, since.as_deref(), request.scratch, sink).await,
        "hris.TimeOff" => {
            let today = time::OffsetDateTime::now_utc().date();
            let day = |offset: i64| (today + time::Duration::days(offset)).to_string();
            let path =
                format!("time_off/requests?start={}&end={}", day(-TIME_OFF_PAST_DAYS), day(TIME_OFF_FUTURE_DAYS));
            let response = account.send_streamed(|| account.get(&path)).await?;
            let mut batches = account.http.json_batches::<Value>(response, None, BATCH);
            while let Some(batch) = batches.next().await? {
                sink.send(batch.into_iter().filter_map(|e| time_off_record(&e.value, e.raw)).collect()).await?;
            }
            Ok(Coverage::Complete)
        }
        "hris.TimeOffBalance" => time_off_balances(&account, sink).await,
        "hris.Dependent" => {
            let response = account.send_streamed(|| account.get("employeedependents")).await?;
            let mut batches = account.http.json_batches::<Value>(response, Some("Employee Dependents"), BATCH);
            while let Some(batch) = batches.next().await? {
                sink.send(batch.into_iter().filter_map(|e| dependent_record(&e.value, e.raw)).collect()).await?;
            }
            Ok(Coverage::Complete)
        }
        model => Err(SyncError::Protocol(format!("BambooHR does not sync {model}"))),
    }
}

async fn send_all(sink: &RecordSink, records: Vec<RemoteRecord>) -> Result<(), SyncError> {
    let mut records = records.into_iter().peekable();
    while records.peek().is_some() {
        sink.send(records.by_ref().take(BATCH).collect()).await?;
    }
    Ok(())
}

/// A dated table of every employee, streamed into a [`History`] of one of its fields.
async fn history(
    account: &Account<'_>,
    table: &str,
    field: fn(&api::DatedRow) -> Option<&str>,
) -> Result<History, SyncError> {
    let mut rows = account.table_values::<api::Row<api::DatedRow>>(table).await?;
    let mut history = History::default();
    while let Some(batch) = rows.next().await? {
        for row in batch.iter().filter_map(|r| r.0.as_ref()) {
            history.push(&row.employee_id, row.date.as_deref().unwrap_or_default(), field(row));
        }
    }
    Ok(history.sorted())
}

/// The rows of changed employees (`employees/changed/tables/…`) as a [`History`] of `field`.
fn history_of(rows: &HashMap<String, Vec<ChangedRow>>, field: fn(&api::DatedRow) -> Option<&str>) -> History {
    let mut history = History::default();
    for (employee, rows) in rows {
        for row in rows.iter().filter_map(changed_row::<api::DatedRow>) {
            history.push(employee, row.date.as_deref().unwrap_or_default(), field(&row));
        }
    }
    history.sorted()
}

/// The employments read leaves each employee's compensation row ids in the sync's scratch for the
/// employees read, which would otherwise read the table again.
const EMPLOYMENT_IDS: &str = "bamboohr.employment_ids";

/// Employments: every compensation row, with the job title and employment status in effect.
async fn employments(account: &Account<'_>, scratch: &SyncScratch, sink: &RecordSink) -> Result<Coverage, SyncError> {
    // Both histories are read at once: two answers generated and parsed side by side.
    let (jobs, statuses) = tokio::try_join!(
        history(account, "jobInfo", |r| r.job_title.as_deref()),
        history(account, "employmentStatus", |r| r.employment_status.as_deref()),
    )?;
    let mut ids = EmploymentIds::default();
    let mut rows = account.table::<api::Row<api::CompensationRow>>("compensation").await?;
    while let Some(batch) = rows.next().await? {
        let mut records = Vec::with_capacity(batch.len());
        for row in batch {
            let Some(value) = row.value.0 else { continue };
            if let (Some(id), Some(employee)) = (&value.id, &value.employee_id) {
                ids.push(employee, id);
            }
            records.extend(employment_record(value, row.raw, &jobs, &statuses));
        }
        sink.send(records).await?;
    }
    scratch.put(EMPLOYMENT_IDS, ids.sorted());
    Ok(Coverage::Complete)
}

/// Employments of the employees changed since `since`: BambooHR lists every row of each changed
/// employee, so their employments are complete; deleted employees have none left.
async fn changed_employments(account: &Account<'_>, since: &str, sink: &RecordSink) -> Result<Coverage, SyncError> {
    let compensation = account.changed_table("compensation", since).await?;
    let jobs = account.changed_table("jobInfo", since).await?;
    let statuses = account.changed_table("employmentStatus", since).await?;
    let deleted = account.deleted_employees(since).await?;
    let jobs = history_of(&jobs, |r| r.job_title.as_deref());
    let statuses = history_of(&statuses, |r| r.employment_status.as_deref());
    let mut complete_for: Vec<(&'static str, String)> = Vec::new();
    let mut records = Vec::new();
    for (employee, rows) in &compensation {
        for row in rows {
            let Some(parsed) = changed_row::<api::CompensationRow>(row) else { continue };
            records.extend(employment_record(parsed, RawJson::from_raw(row), &jobs, &statuses));
        }
        complete_for.push(("employee", employee.clone()));
    }
    complete_for.extend(deleted.into_iter().map(|id| ("employee", id)));
    send_all(sink, records).await?;
    Ok(Coverage::Changes { deleted: Vec::new(), complete_for })
}

/// Employees, from the custom report: all of them, or the ones changed since `since` plus the
/// ids of deleted ones.
async fn employees(
    account: &Account<'_>,
    since: Option<&str>,
    scratch: &SyncScratch,
    sink: &RecordSink,
) -> Result<Coverage, SyncError> {
    let lists = account.get_json("meta/lists").await?;
    let ids = |alias: &str| -> HashMap<String, String> {
        list_options(&lists, alias)
            .into_iter()
            .filter_map(|o| Some((o.get("name")?.as_str()?.to_owned(), id_text(o.get("id")?)?)))
            .collect()
    };
    let (departments, divisions, locations) = (ids("department"), ids("division"), ids("location"));
    // Each employee's employments are its compensation rows: listed by this sync's employments
    // read, or read here.
    let employments = match since {
        None => match scratch.take::<EmploymentIds>(EMPLOYMENT_IDS) {
            Some(ids) => ids,
            None => {
                let mut ids = EmploymentIds::default();
                let mut rows = account.table_values::<api::Row<api::CompensationRow>>("compensation").await?;
                while let Some(batch) = rows.next().await? {
                    for row in batch.iter().filter_map(|r| r.0.as_ref()) {
                        if let (Some(id), Some(employee)) = (&row.id, &row.employee_id) {
                            ids.push(employee, id);
                        }
                    }
                }
                ids.sorted()
            }
        },
        Some(since) => {
            let mut ids = EmploymentIds::default();
            for (employee, rows) in account.changed_table("compensation", since).await? {
                for row in rows.iter().filter_map(changed_row::<api::CompensationRow>) {
                    if let Some(id) = row.id {
                        ids.push(&employee, &id);
                    }
                }
            }
            ids.sorted()
        }
    };
    let mut report = account.employee_report(since).await?;
    while let Some(batch) = report.next().await? {
        let records = batch
            .into_iter()
            .filter_map(|e| {
                let (Some(mut value), raw) = (e.value.0, e.raw) else { return None };
                let named = |name: Option<String>, ids: &HashMap<String, String>| {
                    name.as_deref().and_then(|name| ids.get(name)).cloned()
                };
                let department = named(value.department.take(), &departments);
                let division = named(value.division.take(), &divisions);
                let location = named(value.location.take(), &locations);
                let mut record = employee_record(&account.company, value, raw)?;
                let groups: Vec<Value> = department
                    .iter()
                    .map(|d| json!(format!("department:{d}")))
                    .chain(division.iter().map(|d| json!(format!("division:{d}"))))
                    .collect();
                record.fields.insert("groups", Value::Array(groups));
                record.fields.insert("team", department.map_or(Value::Null, Value::String));
                record.fields.insert("work_location", location.map_or(Value::Null, Value::String));
                let own = employments.of(&record.remote_id);
                record.fields.insert("employments", Value::Array(own.into_iter().map(Value::String).collect()));
                Some(record)
            })
            .collect();
        sink.send(records).await?;
    }
    match since {
        None => Ok(Coverage::Complete),
        Some(since) => {
            Ok(Coverage::Changes { deleted: account.deleted_employees(since).await?, complete_for: Vec::new() })
        }
    }
}

/// Balances are per employee (`GET /v1/employees/{id}/time_off/calculator`): one request per
/// active employee of the directory, a few at a time under the account's rate limit.
async fn time_off_balances(account: &Account<'_>, sink: &RecordSink) -> Result<Coverage, SyncError> {
    use futures_util::StreamExt;
    let directory: api::Directory = serde_json::from_value(account.get_json("employees/directory").await?)
        .map_err(|_| SyncError::Protocol("BambooHR answered the directory in an unexpected shape.".into()))?;
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let mut balances = futures_util::stream::iter(directory.employees.into_iter().map(|e| e.id))
        .map(|employee| {
            let path = format!("employees/{employee}/time_off/calculator?end={today}");
            async move {
                let response = account.http.send(|_| account.get(&path)).await?;
                let rows = match response.status().as_u16() {
                    // Removed since the directory was read.
                    404 => Value::Array(Vec::new()),
                    _ => account.http.json(checked(account.http, response).await?).await?,
                };
                Ok::<_, SyncError>((employee, rows))
            }
        })
        .buffered(BALANCE_CONCURRENCY);
    let mut records = Vec::new();
    while let Some(result) = balances.next().await {
        let (employee, rows) = result?;
        records.extend(rows.as_array().into_iter().flatten().filter_map(|r| balance_record(&employee, r)));
        if records.len() >= BATCH {
            sink.send(std::mem::take(&mut records)).await?;
        }
    }
    sink.send(records).await?;
    Ok(Coverage::Complete)
}

/// Balance requests in flight at once (the account's rate limit still spaces them).
const BALANCE_CONCURRENCY: usize = 8;

/// Merge measures balances in hours ("if the provider counts days, multiplied by 8").
const HOURS_PER_DAY: f64 = 8.0;

fn balance_record(employee: &str, row: &Value) -> Option<RemoteRecord> {
    let kind = row.get("timeOffType").and_then(id_text)?;
    let hours_per_unit = if row.get("units").and_then(Value::as_str).is_some_and(|u| u.eq_ignore_ascii_case("days")) {
        HOURS_PER_DAY
    } else {
        1.0
    };
    let number = |key: &str| {
        row.get(key)
            .and_then(|v| match v {
                Value::String(s) => s.parse::<f64>().ok(),
                other => other.as_f64(),
            })
            .and_then(|v| serde_json::Number::from_f64(v * hours_per_unit))
            .map_or(Value::Null, Value::Number)
    };
    let mut f = Fields::new();
    let mut origins = Fields::new();
    f.insert("employee", Value::String(employee.to_owned()));
    f.insert("balance", number("balance"));
    f.insert("used", number("usedYearToDate"));
    enum_field(&mut f, &mut origins, "policy_type", text(row, "name"), request_type);
    Some(RemoteRecord {
        // One balance per employee and time-off type.
        remote_id: format!("{employee}:{kind}"),
        fields: f,
        enum_origins: origins,
        remote_data: vec![RemotePayload::new(
            format!("/api/v1/employees/{employee}/time_off/calculator"),
            RawJson::of(row),
        )],
    })
}

/// The current options of the list field with this alias (`department`, `division`, `location`).
fn list_options<'a>(lists: &'a Value, alias: &str) -> Vec<&'a Value> {
    lists
        .as_array()
        .into_iter()
        .flatten()
        .filter(|l| l.get("alias").and_then(Value::as_str) == Some(alias))
        .flat_map(|l| l.get("options").and_then(Value::as_array).into_iter().flatten())
        .filter(|o| o.get("archived").and_then(Value::as_str) != Some("yes"))
        .collect()
}

fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn option_record(option: &Value, remote_id: String, fields: Fields) -> RemoteRecord {
    RemoteRecord {
        remote_id,
        fields,
        enum_origins: Fields::new(),
        remote_data: vec![RemotePayload::new("/api/v1/meta/lists", RawJson::of(option))],
    }
}

fn location_record(option: &Value) -> RemoteRecord {
    let mut f = Fields::new();
    f.insert("name", text(option, "name"));
    f.insert("location_type", json!("WORK"));
    option_record(option, option.get("id").and_then(id_text).unwrap_or_default(), f)
}

fn team_record(option: &Value) -> RemoteRecord {
    let mut f = Fields::new();
    f.insert("name", text(option, "name"));
    option_record(option, option.get("id").and_then(id_text).unwrap_or_default(), f)
}

/// Departments and divisions have an id space each, so the group's remote id names the list.
fn group_record(list: &str, kind: &str, option: &Value) -> RemoteRecord {
    let mut f = Fields::new();
    f.insert("name", text(option, "name"));
    f.insert("type", json!(kind));
    f.insert("is_commonly_used_as_team", json!(list == "department"));
    option_record(option, format!("{list}:{}", option.get("id").and_then(id_text).unwrap_or_default()), f)
}

/// The Merge value of the first of `table`'s provider values `v` equals, ignoring ASCII case.
fn lookup(v: &str, table: &[(&str, &'static str)]) -> Option<&'static str> {
    table.iter().find(|(raw, _)| v.eq_ignore_ascii_case(raw)).map(|(_, merge)| *merge)
}

pub fn pay_period(v: &str) -> Option<&'static str> {
    lookup(
        v,
        &[
            ("hour", "HOUR"),
            ("day", "DAY"),
            ("week", "WEEK"),
            ("month", "MONTH"),
            ("quarter", "QUARTER"),
            ("year", "YEAR"),
        ],
    )
}

pub fn pay_frequency(v: &str) -> Option<&'static str> {
    lookup(
        v,
        &[
            ("weekly", "WEEKLY"),
            ("every other week", "BIWEEKLY"),
            ("biweekly", "BIWEEKLY"),
            ("twice a month", "SEMIMONTHLY"),
            ("semimonthly", "SEMIMONTHLY"),
            ("monthly", "MONTHLY"),
            ("quarterly", "QUARTERLY"),
            ("twice a year", "SEMIANNUALLY"),
            ("annually", "ANNUALLY"),
            ("yearly", "ANNUALLY"),
        ],
    )
}

pub fn flsa_status(v: &str) -> Option<&'static str> {
    lookup(v, &[("exempt", "EXEMPT"), ("non-exempt", "NONEXEMPT"), ("nonexempt", "NONEXEMPT")])
}

/// `Full-Time`, `full_time` and `Full Time` alike: `-` and `_` read as spaces.
pub fn employment_type(v: &str) -> Option<&'static str> {
    const TYPES: &[(&str, &str)] = &[
        ("full time", "FULL_TIME"),
        ("part time", "PART_TIME"),
        ("intern", "INTERN"),
        ("contractor", "CONTRACTOR"),
        ("contract", "CONTRACTOR"),
        ("freelance", "FREELANCE"),
    ];
    let same = |raw: &str| {
        raw.len() == v.len()
            && raw.bytes().zip(v.bytes()).all(|(r, c)| {
                let c = if c == b'-' || c == b'_' { b' ' } else { c };
                r == c.to_ascii_lowercase()
            })
    };
    TYPES.iter().find(|(raw, _)| same(raw)).map(|(_, merge)| *merge)
}

/// A compensation row is one employment: its pay, with the job title and employment status in
/// effect when it started (or the earliest, for a row that predates them).
fn employment_record(
    row: api::CompensationRow,
    raw: RawJson,
    jobs: &History,
    statuses: &History,
) -> Option<RemoteRecord> {
    let remote_id = row.id?;
    let employee = row.employee_id?;
    let start = row.start_date.unwrap_or_default();
    let value = |v: Option<&str>| v.map_or(Value::Null, |v| Value::String(v.to_owned()));
    let job_title = value(jobs.on(&employee, &start));
    let employment_status = value(statuses.on(&employee, &start));
    let mut f = Fields::with_capacity(12);
    let mut origins = Fields::new();
    f.insert("employee", Value::String(employee));
    f.insert("job_title", job_title);
    let rate = row.rate.as_ref();
    let amount = rate.and_then(|r| r.get("value")).and_then(Value::as_str).and_then(|v| v.parse::<f64>().ok());
    f.insert("pay_rate", amount.and_then(serde_json::Number::from_f64).map_or(Value::Null, Value::Number));
    enum_field(&mut f, &mut origins, "pay_period", text_owned(row.paid_per), pay_period);
    enum_field(&mut f, &mut origins, "pay_frequency", text_owned(row.pay_schedule), pay_frequency);
    f.insert("pay_currency", rate.and_then(|r| r.get("currency")).cloned().unwrap_or(Value::Null));
    f.insert("pay_group", Value::Null);
    enum_field(&mut f, &mut origins, "flsa_status", text_owned(row.exempt), flsa_status);
    f.insert("effective_date", Value::String(start));
    enum_field(&mut f, &mut origins, "employment_type", employment_status, employment_type);
    let remote_data = vec![RemotePayload::new("/api/v1/employees/all/tables/compensation", raw)];
    Some(RemoteRecord { remote_id, fields: f, enum_origins: origins, remote_data })
}

pub fn time_off_status(v: &str) -> Option<&'static str> {
    match v.to_ascii_lowercase().as_str() {
        "approved" => Some("APPROVED"),
        "denied" | "declined" => Some("DECLINED"),
        "requested" => Some("REQUESTED"),
        "canceled" | "cancelled" => Some("CANCELLED"),
        // Replaced by a newer version of the request.
        "superceded" | "superseded" => Some("DELETED"),
        _ => None,
    }
}

pub fn request_type(v: &str) -> Option<&'static str> {
    let v = v.to_ascii_lowercase();
    Some(match v.as_str() {
        s if s.contains("vacation") || s.contains("pto") || s.contains("holiday") => "VACATION",
        s if s.contains("sick") => "SICK",
        s if s.contains("bereavement") => "BEREAVEMENT",
        s if s.contains("jury") => "JURY_DUTY",
        s if s.contains("volunteer") => "VOLUNTEER",
        s if s.contains("personal") => "PERSONAL",
        _ => return None,
    })
}

fn time_off_record(r: &Value, raw: RawJson) -> Option<RemoteRecord> {
    let remote_id = r.get("id").and_then(id_text)?;
    let mut f = Fields::new();
    let mut origins = Fields::new();
    f.insert("employee", r.get("employeeId").and_then(id_text).map_or(Value::Null, Value::String));
    f.insert("approver", Value::Null);
    let status = r.get("status").map_or(Value::Null, |s| text(s, "status"));
    enum_field(&mut f, &mut origins, "status", status, time_off_status);
    let notes = r.get("notes");
    f.insert("employee_note", notes.map_or(Value::Null, |n| text(n, "employee")));
    let amount = r.get("amount");
    let unit = amount.map_or(Value::Null, |a| text(a, "unit"));
    enum_field(&mut f, &mut origins, "units", unit, |u| match u.to_ascii_lowercase().as_str() {
        "hours" => Some("HOURS"),
        "days" => Some("DAYS"),
        _ => None,
    });
    let value = amount.and_then(|a| a.get("amount")).and_then(|v| match v {
        Value::String(s) => s.parse::<f64>().ok(),
        other => other.as_f64(),
    });
    f.insert("amount", value.and_then(serde_json::Number::from_f64).map_or(Value::Null, Value::Number));
    let kind = r.get("type").map_or(Value::Null, |t| text(t, "name"));
    enum_field(&mut f, &mut origins, "request_type", kind, request_type);
    f.insert("start_time", text(r, "start"));
    f.insert("end_time", text(r, "end"));
    Some(RemoteRecord {
        remote_id,
        fields: f,
        enum_origins: origins,
        remote_data: vec![RemotePayload::new("/api/v1/time_off/requests", raw)],
    })
}

pub fn relationship(v: &str) -> Option<&'static str> {
    match v.to_ascii_lowercase().as_str() {
        "child" | "son" | "daughter" | "stepchild" => Some("CHILD"),
        "spouse" | "husband" | "wife" => Some("SPOUSE"),
        "domestic_partner" | "domestic partner" => Some("DOMESTIC_PARTNER"),
        _ => None,
    }
}

fn dependent_record(d: &Value, raw: RawJson) -> Option<RemoteRecord> {
    let remote_id = d.get("id").and_then(id_text)?;
    let mut f = Fields::new();
    let mut origins = Fields::new();
    f.insert("first_name", text(d, "firstName"));
    f.insert("middle_name", text(d, "middleName"));
    f.insert("last_name", text(d, "lastName"));
    enum_field(&mut f, &mut origins, "relationship", text(d, "relationship"), relationship);
    f.insert("employee", d.get("employeeId").and_then(id_text).map_or(Value::Null, Value::String));
    f.insert("date_of_birth", text(d, "dateOfBirth"));
    enum_field(&mut f, &mut origins, "gender", text(d, "gender"), gender);
    let phone = [text(d, "homePhone"), text(d, "workPhone")].into_iter().find(|p| !p.is_null()).unwrap_or(Value::Null);
    f.insert("phone_number", phone);
    f.insert("home_location", Value::Null);
    f.insert("is_student", text(d, "isStudent").as_str().map_or(Value::Null, |s| Value::Bool(s == "yes")));
    // BambooHR returns only a masked number; it is what the provider shares.
    f.insert("ssn", text(d, "maskedSSN"));
    Some(RemoteRecord {
        remote_id,
        fields: f,
        enum_origins: origins,
        remote_data: vec![RemotePayload::new("/api/v1/employeedependents", raw)],
    })
}

fn text(v: &Value, key: &str) -> Value {
    text_of(v.get(key).and_then(Value::as_str))
}

/// A text value as the common model holds it: trimmed, and null when blank or BambooHR's empty
/// date `0000-00-00`.
fn text_of(v: Option<&str>) -> Value {
    match v.map(str::trim) {
        Some(s) if !blank(s) => Value::String(s.to_owned()),
        _ => Value::Null,
    }
}

/// [`text_of`] of an owned string, kept as it is when it needs no trimming.
fn text_owned(v: Option<String>) -> Value {
    match v {
        Some(s) if s.len() == s.trim().len() => {
            if blank(&s) {
                Value::Null
            } else {
                Value::String(s)
            }
        }
        other => text_of(other.as_deref()),
    }
}

/// Empty, or BambooHR's empty date.
fn blank(s: &str) -> bool {
    s.is_empty() || s == "0000-00-00"
}

fn company_record(domain: &str, info: Value) -> RemoteRecord {
    let mut fields = Fields::new();
    fields.insert("legal_name", text(&info, "legalName"));
    fields.insert("display_name", text(&info, "displayName"));
    fields.insert("eins", Value::Array(Vec::new()));
    RemoteRecord {
        // BambooHR has one company per domain; the domain is its id.
        remote_id: domain.to_owned(),
        fields,
        enum_origins: Fields::new(),
        remote_data: vec![RemotePayload::new("/api/v1/company_information", RawJson::of(&info))],
    }
}

/// BambooHR's value → Merge's enum value, keeping the original for `show_enum_origins`.
fn enum_field(
    fields: &mut Fields,
    origins: &mut Fields,
    name: &'static str,
    raw: Value,
    map: fn(&str) -> Option<&'static str>,
) {
    let normalized = raw.as_str().and_then(map).map_or(Value::Null, |v| Value::String(v.to_owned()));
    if !raw.is_null() {
        origins.insert(name, raw);
    }
    fields.insert(name, normalized);
}

pub fn gender(v: &str) -> Option<&'static str> {
    const GENDERS: &[(&str, &str)] = &[
        ("female", "FEMALE"),
        ("male", "MALE"),
        ("nonbinary", "NON-BINARY"),
        ("non-binary", "NON-BINARY"),
        ("prefer not to say", "PREFER_NOT_TO_DISCLOSE"),
        ("decline to state", "PREFER_NOT_TO_DISCLOSE"),
    ];
    if v.is_empty() {
        return None;
    }
    lookup(v, GENDERS).or(Some("OTHER"))
}

pub fn ethnicity(v: &str) -> Option<&'static str> {
    let v = v.to_ascii_lowercase();
    Some(match v.as_str() {
        s if s.contains("american indian") => "AMERICAN_INDIAN_OR_ALASKA_NATIVE",
        s if s.contains("asian") => "ASIAN_OR_INDIAN_SUBCONTINENT",
        s if s.contains("black") => "BLACK_OR_AFRICAN_AMERICAN",
        s if s.contains("hispanic") || s.contains("latin") => "HISPANIC_OR_LATINO",
        s if s.contains("hawaiian") || s.contains("pacific") => "NATIVE_HAWAIIAN_OR_OTHER_PACIFIC_ISLANDER",
        s if s.contains("two or more") => "TWO_OR_MORE_RACES",
        s if s.contains("white") => "WHITE",
        s if s.contains("decline") || s.contains("prefer not") => "PREFER_NOT_TO_DISCLOSE",
        _ => return None,
    })
}

/// Merge's marital status is a tax filing status; only the unambiguous ones map.
pub fn marital_status(v: &str) -> Option<&'static str> {
    lookup(v, &[("single", "SINGLE"), ("married", "MARRIED_FILING_JOINTLY")])
}

pub fn employment_status(v: &str) -> Option<&'static str> {
    lookup(v, &[("active", "ACTIVE"), ("inactive", "INACTIVE")])
}

fn employee_record(domain: &str, e: api::ReportEmployee, raw: RawJson) -> Option<RemoteRecord> {
    let remote_id = e.id?;
    let t = text_owned;
    // Its fields, and the relations `employees` adds.
    let mut f = Fields::with_capacity(28);
    let mut origins = Fields::new();
    f.insert("employee_number", t(e.employee_number));
    f.insert("company", Value::String(domain.to_owned()));
    f.insert("first_name", t(e.first_name));
    f.insert("last_name", t(e.last_name));
    f.insert("preferred_name", t(e.preferred_name));
    f.insert("display_full_name", t(e.display_name));
    f.insert("groups", Value::Array(Vec::new()));
    f.insert("work_email", t(e.work_email));
    f.insert("personal_email", t(e.home_email));
    f.insert("mobile_phone_number", t(e.mobile_phone));
    f.insert("employments", Value::Array(Vec::new()));
    f.insert("manager", t(e.supervisor_eid));
    f.insert("ssn", t(e.ssn));
    enum_field(&mut f, &mut origins, "gender", t(e.gender), gender);
    enum_field(&mut f, &mut origins, "ethnicity", t(e.ethnicity), ethnicity);
    enum_field(&mut f, &mut origins, "marital_status", t(e.marital_status), marital_status);
    f.insert("date_of_birth", t(e.date_of_birth));
    let start_date = t(e.hire_date);
    let original_hire = t(e.original_hire_date);
    f.insert("hire_date", if original_hire.is_null() { start_date.clone() } else { original_hire });
    f.insert("start_date", start_date);
    enum_field(&mut f, &mut origins, "employment_status", t(e.status), employment_status);
    f.insert("termination_date", t(e.termination_date));
    f.insert("avatar", t(e.photo_url));
    Some(RemoteRecord {
        remote_id,
        fields: f,
        enum_origins: origins,
        remote_data: vec![RemotePayload::new("/api/v1/reports/custom", raw)],
    })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[test]
    fn enums_map_to_merge_values() {
        assert_eq!(gender("Female"), Some("FEMALE"));
        assert_eq!(gender("Nonbinary"), Some("NON-BINARY"));
        assert_eq!(ethnicity("Black or African American"), Some("BLACK_OR_AFRICAN_AMERICAN"));
        assert_eq!(ethnicity("Martian"), None);
        assert_eq!(marital_status("Divorced"), None);
        assert_eq!(employment_status("Inactive"), Some("INACTIVE"));
        assert_eq!(gender("Decline to state"), Some("PREFER_NOT_TO_DISCLOSE"));
        assert_eq!(gender("Agender"), Some("OTHER"));
        assert_eq!(gender(""), None);
        assert_eq!(employment_type("Full-Time"), Some("FULL_TIME"));
        assert_eq!(employment_type("part_time"), Some("PART_TIME"));
        assert_eq!(employment_type("Contract"), Some("CONTRACTOR"));
        assert_eq!(employment_type("Full-Time-ish"), None);
        assert_eq!(pay_frequency("Every Other Week"), Some("BIWEEKLY"));
        assert_eq!(pay_period("Year"), Some("YEAR"));
        assert_eq!(flsa_status("Non-Exempt"), Some("NONEXEMPT"));
    }

    #[test]
    fn employees_keep_relations_as_remote_ids_and_raw_enum_values() {
        let e = json!({"id": "7", "firstName": "Ada", "supervisorEId": "3", "gender": "Female", "status": "Active",
            "terminationDate": "0000-00-00", "hireDate": "2020-01-02"});
        let r = employee_record("acme", api::ReportEmployee::deserialize(&e).unwrap(), RawJson::of(&e)).unwrap();
        assert_eq!(
            (r.remote_id.as_str(), &r.fields["manager"], &r.fields["company"]),
            ("7", &json!("3"), &json!("acme"))
        );
        assert_eq!((&r.fields["gender"], &r.enum_origins["gender"]), (&json!("FEMALE"), &json!("Female")));
        assert_eq!(r.fields["termination_date"], Value::Null);
        assert_eq!(r.fields["start_date"], json!("2020-01-02"));
    }
}
