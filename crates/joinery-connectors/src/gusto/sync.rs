//! Reading Gusto into common models. Every list is paged through with `page`/`per=100` (a list
//! whose answer carries no `X-Total-Pages` was answered whole); every request carries the
//! account's OAuth grant, renewed through [`AccountCredentials::access_token`] before it expires
//! and once more after a 401.
//!
//! - Company: `GET /v1/companies/{id}`. Locations (work addresses): `/locations`, inactive ones
//!   left out (Gusto: they "have been deleted"). Departments: `/departments`, each both a Group
//!   (`DEPARTMENT`) and a Team, under the department's UUID.
//! - Employees and employments: `/employees?include=all_compensations`; each effective-dated
//!   compensation of each job is one Employment. Pay groups are the pay schedules
//!   (`/pay_schedules`); who is on which follows `/pay_schedules/assignments`.
//! - Bank info: `/v1/employees/{id}/bank_accounts` for each employee (Gusto shares a masked
//!   account number only, which is what `account_number` holds).
//! - Payroll runs: `/payrolls`, processed and unprocessed, regular and off-cycle, read in windows
//!   of at most a year (Gusto's limit) from the company's `join_date` to three months ahead.
//!   Employee payroll runs: each processed payroll's `employee_compensations`
//!   (`/payrolls/{id}?include=taxes,deductions,benefits`, paginated).
//!
//! Gusto has no "changed since" filter (for employees it points to webhooks), so every read is
//! complete and `ReadRequest::since` is ignored.

use std::collections::{HashMap, HashSet};

use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use time::{Date, Duration};

use super::{COMPANY_UUID, OAUTH, api};
use crate::{
    AccountCredentials, AccountHttp, BATCH, Coverage, Fields, RawJson, ReadRequest, RecordSink, RemotePayload,
    RemoteRecord, SyncError,
};

/// In dependency order: what employees point at comes first.
pub const MODELS: &[&str] = &[
    "hris.Company",
    "hris.Location",
    "hris.Group",
    "hris.Team",
    "hris.PayGroup",
    "hris.Employment",
    "hris.Employee",
    // One request per employee.
    "hris.BankInfo",
    "hris.PayrollRun",
    // One request (or more) per processed payroll.
    "hris.EmployeePayrollRun",
];

/// Bank-account requests in flight at once (the account's rate limit still spaces them).
const BANK_CONCURRENCY: usize = 4;
/// Gusto lists payrolls of at most a year (`start_date` to `end_date`) and at most three months
/// ahead; windows overlap so that a pay period of up to three months lies wholly in one of them.
const WINDOW_DAYS: i64 = 364;
const WINDOW_STEP_DAYS: i64 = 272;
const AHEAD_DAYS: i64 = 89;
/// Payroll history read when the company does not say when it joined.
const DEFAULT_HISTORY_DAYS: i64 = 5 * 365;

/// The account being read.
struct Account<'a> {
    http: &'a AccountHttp,
    credentials: &'a AccountCredentials,
    company: String,
}

impl Account<'_> {
    /// `GET path` with the grant; `None` for a 404. A 401 renews the grant and retries once; a
    /// second 401, or a 403, is [`SyncError::Unauthorized`].
    async fn get(&self, path: &str, what: &str) -> Result<Option<reqwest::Response>, SyncError> {
        let url = self.http.url(&api::url(path));
        let mut token = self.credentials.access_token(self.http, &OAUTH, None).await?;
        let mut renewed = false;
        loop {
            let response = self
                .http
                .send(|client| {
                    client
                        .get(url.clone())
                        .bearer_auth(&token)
                        .header(api::API_VERSION_HEADER, api::API_VERSION)
                        .header("Accept", "application/json")
                })
                .await?;
            match response.status().as_u16() {
                200 => return Ok(Some(response)),
                404 => return Ok(None),
                401 if !renewed => {
                    token = self.credentials.access_token(self.http, &OAUTH, Some(&token)).await?;
                    renewed = true;
                }
                401 => {
                    return Err(SyncError::Unauthorized(
                        "Gusto refused the renewed authorization (HTTP 401); the end user must relink.".into(),
                    ));
                }
                403 => {
                    return Err(SyncError::Unauthorized(format!(
                        "Gusto refused access to {what} (HTTP 403): the authorization lacks a permission Joinery needs; the end user must relink as a company admin."
                    )));
                }
                _ => return Err(self.http.unexpected(response.status())),
            }
        }
    }

    /// [`get`](Self::get) of something of the company that must exist: a 404 means the grant no
    /// longer reaches the company.
    async fn get_company(&self, path: &str, what: &str) -> Result<reqwest::Response, SyncError> {
        self.get(path, what).await?.ok_or_else(|| {
            SyncError::Unauthorized(format!(
                "Gusto no longer finds the company {} (HTTP 404 for {what}); the end user must relink.",
                self.company
            ))
        })
    }

    async fn company_json<T: DeserializeOwned>(&self, path: &str, what: &str) -> Result<(T, Value), SyncError> {
        let raw: Value = self.http.json(self.get_company(path, what).await?).await?;
        Ok((parse(&raw, what)?, raw))
    }

    /// The pages of a list of the company.
    fn pages(&self, path: String, what: &'static str) -> Pages<'_> {
        Pages { account: self, path, what, next: Some(1), optional: false }
    }

    async fn company(&self) -> Result<(api::Company, Value), SyncError> {
        self.company_json(&format!("/v1/companies/{}", self.company), "the company").await
    }
}

/// Reads a list page by page.
struct Pages<'a> {
    account: &'a Account<'a>,
    path: String,
    what: &'static str,
    next: Option<u64>,
    /// A 404 is an empty list (an employee removed since it was listed), not a lost company.
    optional: bool,
}

impl Pages<'_> {
    /// The next page's items, `None` after the last page.
    async fn next(&mut self) -> Result<Option<Vec<Value>>, SyncError> {
        let Some(page) = self.next else { return Ok(None) };
        let separator = if self.path.contains('?') { '&' } else { '?' };
        let path = format!("{}{separator}page={page}&per={}", self.path, api::PER);
        let response = if self.optional {
            match self.account.get(&path, self.what).await? {
                Some(response) => response,
                None => {
                    self.next = None;
                    return Ok(None);
                }
            }
        } else {
            self.account.get_company(&path, self.what).await?
        };
        let total_pages = total_pages(&response);
        let items: Vec<Value> = self.account.http.json(response).await?;
        // Without pagination headers the list was answered whole.
        self.next = match total_pages {
            Some(total) if page < total && !items.is_empty() => Some(page + 1),
            _ => None,
        };
        Ok(Some(items))
    }
}

fn total_pages(response: &reqwest::Response) -> Option<u64> {
    response.headers().get("x-total-pages")?.to_str().ok()?.trim().parse().ok()
}

/// A payload as the vendor type, or a protocol error that names what was read (never values).
fn parse<T: DeserializeOwned>(raw: &Value, what: &str) -> Result<T, SyncError> {
    T::deserialize(raw).map_err(|_| SyncError::Protocol(format!("Gusto answered {what} in an unexpected shape.")))
}

pub async fn read(request: ReadRequest<'_>, sink: &RecordSink) -> Result<Coverage, SyncError> {
    let company = request
        .credentials
        .get()
        .await
        .get(COMPANY_UUID)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| SyncError::Protocol("stored credentials lack the Gusto company UUID".into()))?
        .to_owned();
    let account = Account { http: request.http, credentials: request.credentials, company };
    // `request.since` is ignored: Gusto cannot list what changed, so every read is complete.
    match request.model {
        "hris.Company" => {
            let (company, raw) = account.company().await?;
            sink.send(vec![company_record(&account.company, &company, raw)]).await?;
        }
        "hris.Location" => {
            let path = format!("/v1/companies/{}/locations", account.company);
            let mut pages = account.pages(path.clone(), "the company's locations");
            while let Some(items) = pages.next().await? {
                let mut records = Vec::new();
                for raw in items {
                    let location: api::Location = parse(&raw, "a location")?;
                    if location.active != Some(false) {
                        records.push(location_record(&path, &location, raw));
                    }
                }
                sink.send(records).await?;
            }
        }
        model @ ("hris.Group" | "hris.Team") => {
            let path = format!("/v1/companies/{}/departments", account.company);
            let mut pages = account.pages(path.clone(), "the company's departments");
            while let Some(items) = pages.next().await? {
                let mut records = Vec::new();
                for raw in items {
                    let department: api::Department = parse(&raw, "a department")?;
                    records.push(department_record(&path, model == "hris.Group", &department, raw));
                }
                sink.send(records).await?;
            }
        }
        "hris.PayGroup" => {
            let path = format!("/v1/companies/{}/pay_schedules", account.company);
            let mut pages = account.pages(path.clone(), "the company's pay schedules");
            while let Some(items) = pages.next().await? {
                let mut records = Vec::new();
                for raw in items {
                    let schedule: api::PaySchedule = parse(&raw, "a pay schedule")?;
                    records.push(pay_group_record(&path, &schedule, raw));
                }
                sink.send(records).await?;
            }
        }
        model @ ("hris.Employment" | "hris.Employee") => {
            let schedules = Schedules::read(&account).await?;
            let path = format!("/v1/companies/{}/employees", account.company);
            let mut pages = account.pages(format!("{path}?include=all_compensations"), "the company's employees");
            while let Some(items) = pages.next().await? {
                let mut records = Vec::new();
                for raw in items {
                    let employee: api::Employee = parse(&raw, "an employee")?;
                    if model == "hris.Employee" {
                        records.push(employee_record(&path, &account.company, &employee, &schedules, raw));
                    } else {
                        records.extend(employment_records(&path, &employee, &schedules, &raw));
                    }
                }
                sink.send(records).await?;
            }
        }
        "hris.BankInfo" => bank_info(&account, sink).await?,
        "hris.PayrollRun" => {
            let path = format!("/v1/companies/{}/payrolls", account.company);
            let today = time::OffsetDateTime::now_utc().date();
            let query = "processing_statuses=processed,unprocessed&payroll_types=regular,off_cycle&include=totals";
            let mut seen = HashSet::new();
            let mut records = Vec::new();
            for raw in payrolls(&account, query, &mut seen).await? {
                let payroll: api::Payroll = parse(&raw, "a payroll")?;
                records.extend(payroll_record(&path, &payroll, today, raw));
                if records.len() >= BATCH {
                    sink.send(std::mem::take(&mut records)).await?;
                }
            }
            sink.send(records).await?;
        }
        "hris.EmployeePayrollRun" => employee_payroll_runs(&account, sink).await?,
        model => return Err(SyncError::Protocol(format!("Gusto does not sync {model}"))),
    }
    Ok(Coverage::Complete)
}

/// The company's payrolls (raw), each once, read in windows from its `join_date` to three months
/// ahead. `query` selects statuses, types and includes.
async fn payrolls(account: &Account<'_>, query: &str, seen: &mut HashSet<String>) -> Result<Vec<Value>, SyncError> {
    let (company, _) = account.company().await?;
    let today = time::OffsetDateTime::now_utc().date();
    let joined = company.join_date.as_deref().and_then(parse_date);
    let mut out = Vec::new();
    for (start, end) in windows(joined, today) {
        let path = format!("/v1/companies/{}/payrolls?{query}&start_date={start}&end_date={end}", account.company);
        let mut pages = account.pages(path, "the company's payrolls");
        while let Some(items) = pages.next().await? {
            for raw in items {
                let payroll: api::Payroll = parse(&raw, "a payroll")?;
                if let Some(id) = payroll.id()
                    && seen.insert(id.to_owned())
                {
                    out.push(raw);
                }
            }
        }
    }
    Ok(out)
}

fn parse_date(text: &str) -> Option<Date> {
    Date::parse(text.get(..10)?, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// `(start_date, end_date)` windows of at most a year, overlapping, from `joined` (or five years
/// back) to three months after `today`.
fn windows(joined: Option<Date>, today: Date) -> Vec<(Date, Date)> {
    let last = today + Duration::days(AHEAD_DAYS);
    let mut start = joined.unwrap_or(today - Duration::days(DEFAULT_HISTORY_DAYS)).min(today);
    let mut out = Vec::new();
    loop {
        let end = (start + Duration::days(WINDOW_DAYS)).min(last);
        out.push((start, end));
        if end >= last {
            return out;
        }
        start += Duration::days(WINDOW_STEP_DAYS);
    }
}

/// Each processed payroll's employee compensations, page by page.
async fn employee_payroll_runs(account: &Account<'_>, sink: &RecordSink) -> Result<(), SyncError> {
    let mut seen = HashSet::new();
    let listed = payrolls(account, "processing_statuses=processed&payroll_types=regular,off_cycle", &mut seen).await?;
    for raw in listed {
        let payroll: api::Payroll = parse(&raw, "a payroll")?;
        let Some(id) = payroll.id().map(str::to_owned) else { continue };
        let path = format!("/v1/companies/{}/payrolls/{id}", account.company);
        let mut page = 1;
        loop {
            let query = format!("{path}?include=taxes,deductions,benefits&page={page}&per={}", api::PER);
            // Gone since it was listed: nothing to read.
            let Some(response) = account.get(&query, "a payroll").await? else { break };
            let total = total_pages(&response);
            let raw: Value = account.http.json(response).await?;
            let shown: api::Payroll = parse(&raw, "a payroll")?;
            let lines = raw.get("employee_compensations").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
            let records: Vec<RemoteRecord> = shown
                .employee_compensations
                .iter()
                .zip(lines)
                .filter(|(c, _)| c.excluded != Some(true))
                .map(|(c, line)| employee_payroll_run_record(&path, &id, &payroll, c, line))
                .collect();
            let empty = records.is_empty() && lines.is_empty();
            sink.send(records).await?;
            match total {
                Some(total) if page < total && !empty => page += 1,
                _ => break,
            }
        }
    }
    Ok(())
}

/// Every employee's bank accounts: the employee list, then each employee's accounts, a few at a
/// time.
async fn bank_info(account: &Account<'_>, sink: &RecordSink) -> Result<(), SyncError> {
    let mut employees =
        account.pages(format!("/v1/companies/{}/employees", account.company), "the company's employees");
    let mut records = Vec::new();
    while let Some(items) = employees.next().await? {
        let uuids: Vec<String> =
            items.iter().filter_map(|e| e.get("uuid").and_then(Value::as_str).map(str::to_owned)).collect();
        let mut accounts = futures_util::stream::iter(uuids)
            .map(|employee| async move {
                let path = format!("/v1/employees/{employee}/bank_accounts");
                let mut pages = Pages {
                    account,
                    path: path.clone(),
                    what: "employees' bank accounts",
                    next: Some(1),
                    optional: true,
                };
                let mut found = Vec::new();
                while let Some(items) = pages.next().await? {
                    for raw in items {
                        let bank: api::BankAccount = parse(&raw, "a bank account")?;
                        found.push(bank_record(&path, &employee, &bank, raw));
                    }
                }
                Ok::<_, SyncError>(found)
            })
            .buffered(BANK_CONCURRENCY);
        while let Some(found) = accounts.next().await {
            records.extend(found?);
            if records.len() >= BATCH {
                sink.send(std::mem::take(&mut records)).await?;
            }
        }
    }
    sink.send(records).await
}

/// Which pay schedule each employee is on, per the company's assignment type.
#[derive(Default)]
struct Schedules {
    frequency: HashMap<String, Option<String>>,
    assignment: api::PayScheduleAssignment,
}

impl Schedules {
    async fn read(account: &Account<'_>) -> Result<Schedules, SyncError> {
        let mut schedules = Schedules::default();
        let mut pages =
            account.pages(format!("/v1/companies/{}/pay_schedules", account.company), "the company's pay schedules");
        while let Some(items) = pages.next().await? {
            for raw in items {
                let schedule: api::PaySchedule = parse(&raw, "a pay schedule")?;
                schedules.frequency.insert(schedule.uuid, schedule.frequency);
            }
        }
        let path = format!("/v1/companies/{}/pay_schedules/assignments", account.company);
        // A company without pay schedules has no assignment.
        if let Some(response) = account.get(&path, "the company's pay schedule assignments").await? {
            let raw: Value = account.http.json(response).await?;
            schedules.assignment = parse(&raw, "the pay schedule assignments")?;
        }
        Ok(schedules)
    }

    /// The pay schedule of `employee`, whose current compensation is paid per `unit`.
    fn of(&self, employee: &api::Employee, unit: Option<&str>) -> Option<&str> {
        let a = &self.assignment;
        let uuid = match a.kind.as_deref()? {
            "single" => a.default_pay_schedule_uuid.as_deref(),
            "hourly_salaried" if unit == Some("Hour") => a.hourly_pay_schedule_uuid.as_deref(),
            "hourly_salaried" => a.salaried_pay_schedule_uuid.as_deref(),
            "by_employee" => a
                .employees
                .iter()
                .find(|e| e.employee_uuid == employee.uuid)
                .and_then(|e| e.pay_schedule_uuid.as_deref()),
            "by_department" => {
                let department = employee.department_uuid.as_deref()?;
                a.departments
                    .iter()
                    .find(|d| d.department_uuid == department)
                    .and_then(|d| d.pay_schedule_uuid.as_deref())
            }
            _ => None,
        };
        uuid.filter(|u| !u.is_empty())
    }
}

fn text(value: Option<&str>) -> Value {
    match value.map(str::trim) {
        Some(s) if !s.is_empty() => Value::String(s.to_owned()),
        _ => Value::Null,
    }
}

fn number(value: Option<f64>) -> Value {
    value.and_then(serde_json::Number::from_f64).map_or(Value::Null, Value::Number)
}

/// Gusto's value → Merge's enum value, keeping the original for `show_enum_origins`.
fn enum_field(
    fields: &mut Fields,
    origins: &mut Fields,
    name: &'static str,
    raw: Option<&str>,
    map: impl Fn(&str) -> Option<&'static str>,
) {
    let raw = raw.map(str::trim).filter(|r| !r.is_empty());
    fields.insert(name, raw.and_then(map).map_or(Value::Null, |v| Value::String(v.to_owned())));
    if let Some(raw) = raw {
        origins.insert(name, Value::String(raw.to_owned()));
    }
}

fn record(remote_id: String, fields: Fields, origins: Fields, path: &str, data: Value) -> RemoteRecord {
    let remote_data = vec![RemotePayload::new(path.to_owned(), RawJson::of(&data))];
    RemoteRecord { remote_id, fields, enum_origins: origins, remote_data }
}

fn company_record(uuid: &str, company: &api::Company, raw: Value) -> RemoteRecord {
    let mut f = Fields::new();
    f.insert("legal_name", text(company.name.as_deref()));
    f.insert("display_name", text(company.trade_name.as_deref().or(company.name.as_deref())));
    let eins: Vec<Value> = company.ein.iter().filter(|e| !e.trim().is_empty()).map(|e| json!(e.trim())).collect();
    f.insert("eins", Value::Array(eins));
    record(uuid.to_owned(), f, Fields::new(), &format!("/v1/companies/{uuid}"), raw)
}

/// ISO 3166-1 alpha-2 for Gusto's country (`USA`, its default).
pub fn country(v: &str) -> Option<&'static str> {
    let v = v.trim().to_ascii_uppercase();
    match v.as_str() {
        "USA" | "US" | "UNITED STATES" | "UNITED STATES OF AMERICA" => Some("US"),
        code => joinery_domain::models::hris::COUNTRY.iter().find(|c| **c == code).copied(),
    }
}

fn location_record(path: &str, l: &api::Location, raw: Value) -> RemoteRecord {
    let mut f = Fields::new();
    let mut origins = Fields::new();
    // Gusto's locations are addresses without a name.
    f.insert("name", Value::Null);
    f.insert("phone_number", text(l.phone_number.as_deref()));
    f.insert("street_1", text(l.street_1.as_deref()));
    f.insert("street_2", text(l.street_2.as_deref()));
    f.insert("city", text(l.city.as_deref()));
    f.insert("state", text(l.state.as_deref()));
    f.insert("zip_code", text(l.zip.as_deref()));
    enum_field(&mut f, &mut origins, "country", l.country.as_deref(), country);
    f.insert("location_type", json!("WORK"));
    record(l.uuid.clone(), f, origins, path, raw)
}

fn department_record(path: &str, group: bool, d: &api::Department, raw: Value) -> RemoteRecord {
    let mut f = Fields::new();
    f.insert("name", text(d.title.as_deref()));
    if group {
        f.insert("parent_group", Value::Null);
        f.insert("type", json!("DEPARTMENT"));
        f.insert("is_commonly_used_as_team", json!(true));
    } else {
        f.insert("parent_team", Value::Null);
    }
    record(d.uuid.clone(), f, Fields::new(), path, raw)
}

fn pay_group_record(path: &str, s: &api::PaySchedule, raw: Value) -> RemoteRecord {
    let mut f = Fields::new();
    let name =
        [&s.custom_name, &s.name, &s.frequency].into_iter().find_map(|n| n.as_deref().filter(|n| !n.trim().is_empty()));
    f.insert("pay_group_name", text(name));
    record(s.uuid.clone(), f, Fields::new(), path, raw)
}

pub fn employment_type(v: &str) -> Option<&'static str> {
    match v {
        "full_time" => Some("FULL_TIME"),
        "part_time_under_twenty_hours" | "part_time_twenty_plus_hours" => Some("PART_TIME"),
        // `variable` and `seasonal` hours have no Merge equivalent.
        _ => None,
    }
}

pub fn flsa_status(v: &str) -> Option<&'static str> {
    match v {
        "Exempt" | "Commission Only Exempt" => Some("EXEMPT"),
        "Salaried Nonexempt" => Some("SALARIED_NONEXEMPT"),
        "Nonexempt" | "Commission Only Nonexempt" => Some("NONEXEMPT"),
        "Owner" => Some("OWNER"),
        _ => None,
    }
}

pub fn pay_frequency(v: &str) -> Option<&'static str> {
    match v {
        "Every week" => Some("WEEKLY"),
        "Every other week" => Some("BIWEEKLY"),
        "Twice per month" => Some("SEMIMONTHLY"),
        "Monthly" => Some("MONTHLY"),
        "Quarterly" => Some("QUARTERLY"),
        "Annually" => Some("ANNUALLY"),
        _ => None,
    }
}

/// The period a rate is paid per; `Paycheck` is one pay period of the employee's schedule.
pub fn pay_period(unit: &str, frequency: Option<&str>) -> Option<&'static str> {
    match unit {
        "Hour" => Some("HOUR"),
        "Week" => Some("WEEK"),
        "Month" => Some("MONTH"),
        "Year" => Some("YEAR"),
        "Paycheck" => match frequency? {
            "Every week" => Some("WEEK"),
            "Every other week" => Some("EVERY_TWO_WEEKS"),
            "Twice per month" => Some("SEMIMONTHLY"),
            "Monthly" => Some("MONTH"),
            "Quarterly" => Some("QUARTER"),
            "Annually" => Some("YEAR"),
            _ => None,
        },
        _ => None,
    }
}

/// The employee's primary job (or the first).
fn primary_job(e: &api::Employee) -> Option<&api::Job> {
    e.jobs.iter().find(|j| j.primary == Some(true)).or(e.jobs.first())
}

/// The current compensation of a job: the one it names, else the latest effective.
fn current_compensation(job: &api::Job) -> Option<&api::Compensation> {
    job.current_compensation_uuid
        .as_deref()
        .and_then(|id| job.compensations.iter().find(|c| c.uuid == id))
        .or_else(|| job.compensations.iter().max_by(|a, b| a.effective_date.cmp(&b.effective_date)))
}

fn current_unit(e: &api::Employee) -> Option<&str> {
    primary_job(e).and_then(current_compensation).and_then(|c| c.payment_unit.as_deref())
}

/// One Employment per compensation of each job: the job's title, the compensation's pay and
/// FLSA status, the employee's current employment type (Gusto keeps no history of it), the pay
/// schedule the employee is on. Gusto pays in US dollars only.
fn employment_records(path: &str, e: &api::Employee, schedules: &Schedules, raw: &Value) -> Vec<RemoteRecord> {
    let schedule = schedules.of(e, current_unit(e));
    let frequency = schedule.and_then(|s| schedules.frequency.get(s)).and_then(Option::as_deref);
    let raw_jobs = raw.get("jobs").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    let mut out = Vec::new();
    for (j, job) in e.jobs.iter().enumerate() {
        let raw_compensations = raw_jobs
            .get(j)
            .and_then(|r| r.get("compensations"))
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        for (c, compensation) in job.compensations.iter().enumerate() {
            let mut f = Fields::new();
            let mut origins = Fields::new();
            f.insert("employee", json!(e.uuid));
            f.insert("job_title", text(job.title.as_deref()));
            f.insert("pay_rate", number(compensation.rate));
            let unit = compensation.payment_unit.as_deref();
            enum_field(&mut f, &mut origins, "pay_period", unit, |u| pay_period(u, frequency));
            enum_field(&mut f, &mut origins, "pay_frequency", frequency, pay_frequency);
            f.insert("pay_currency", json!("USD"));
            f.insert("pay_group", text(schedule));
            enum_field(&mut f, &mut origins, "flsa_status", compensation.flsa_status.as_deref(), flsa_status);
            f.insert("effective_date", text(compensation.effective_date.as_deref()));
            enum_field(
                &mut f,
                &mut origins,
                "employment_type",
                e.current_employment_status.as_deref(),
                employment_type,
            );
            let data = raw_compensations.get(c).cloned().unwrap_or(Value::Null);
            out.push(record(compensation.uuid.clone(), f, origins, path, data));
        }
    }
    out
}

/// The termination in effect, if any (a scheduled one counts once its date is reached).
fn termination_date(e: &api::Employee) -> Option<&str> {
    let active = e.terminations.iter().filter(|t| t.active != Some(false));
    active.filter_map(|t| t.effective_date.as_deref()).max()
}

/// ACTIVE, PENDING (onboarding) or INACTIVE (terminated, the termination in effect); the raw
/// value is what decided it.
fn employment_status(e: &api::Employee, today: &str) -> (Option<&'static str>, Option<String>) {
    let ended = termination_date(e).is_some_and(|d| d.get(..10).unwrap_or(d) <= today);
    if e.terminated == Some(true) && ended {
        return (Some("INACTIVE"), Some("terminated".into()));
    }
    if e.onboarded == Some(false) {
        return (Some("PENDING"), e.onboarding_status.clone().or(Some("not onboarded".into())));
    }
    (Some("ACTIVE"), e.onboarding_status.clone().or(Some("onboarded".into())))
}

fn employee_record(path: &str, company: &str, e: &api::Employee, schedules: &Schedules, raw: Value) -> RemoteRecord {
    let mut f = Fields::new();
    let mut origins = Fields::new();
    let first = text(e.first_name.as_deref());
    let last = text(e.last_name.as_deref());
    let shown_first = e.preferred_first_name.as_deref().filter(|p| !p.trim().is_empty()).or(e.first_name.as_deref());
    let display = [shown_first, e.last_name.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    f.insert("employee_number", text(e.employee_code.as_deref()));
    f.insert("company", json!(e.company_uuid.as_deref().unwrap_or(company)));
    f.insert("first_name", first);
    f.insert("last_name", last);
    f.insert("preferred_name", text(e.preferred_first_name.as_deref()));
    f.insert("display_full_name", text(Some(display.as_str())));
    f.insert("username", Value::Null);
    let department = text(e.department_uuid.as_deref());
    f.insert("groups", Value::Array(department.as_str().map(|d| json!(d)).into_iter().collect()));
    f.insert("work_email", text(e.work_email.as_deref()));
    f.insert("personal_email", text(e.email.as_deref()));
    f.insert("mobile_phone_number", text(e.phone.as_deref()));
    let employments: Vec<Value> = e.jobs.iter().flat_map(|j| &j.compensations).map(|c| json!(c.uuid)).collect();
    f.insert("employments", Value::Array(employments));
    f.insert("home_location", Value::Null);
    f.insert("work_location", text(primary_job(e).and_then(|j| j.location_uuid.as_deref())));
    f.insert("manager", text(e.manager_uuid.as_deref()));
    f.insert("team", department);
    f.insert("pay_group", text(schedules.of(e, current_unit(e))));
    f.insert("ssn", text(e.ssn.as_deref()));
    f.insert("date_of_birth", text(e.date_of_birth.as_deref()));
    let hires = e.jobs.iter().filter_map(|j| j.hire_date.as_deref());
    f.insert("hire_date", text(hires.min().or(e.hired_at.as_deref())));
    f.insert("start_date", text(primary_job(e).and_then(|j| j.hire_date.as_deref()).or(e.hired_at.as_deref())));
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let (status, origin) = employment_status(e, &today);
    f.insert("employment_status", status.map_or(Value::Null, |s| json!(s)));
    if let Some(origin) = origin {
        origins.insert("employment_status", Value::String(origin));
    }
    f.insert("termination_date", if e.terminated == Some(true) { text(termination_date(e)) } else { Value::Null });
    f.insert("avatar", Value::Null);
    record(e.uuid.clone(), f, origins, path, raw)
}

pub fn account_type(v: &str) -> Option<&'static str> {
    match v.to_ascii_lowercase().as_str() {
        "checking" => Some("CHECKING"),
        "savings" => Some("SAVINGS"),
        _ => None,
    }
}

fn bank_record(path: &str, employee: &str, b: &api::BankAccount, raw: Value) -> RemoteRecord {
    let mut f = Fields::new();
    let mut origins = Fields::new();
    f.insert("employee", json!(b.employee_uuid.as_deref().unwrap_or(employee)));
    // Gusto shares the account number masked (`XXXX1207`): that is what it holds.
    f.insert("account_number", text(b.hidden_account_number.as_deref()));
    f.insert("routing_number", text(b.routing_number.as_deref()));
    f.insert("bank_name", text(b.name.as_deref()));
    enum_field(&mut f, &mut origins, "account_type", b.account_type.as_deref(), account_type);
    f.insert("remote_created_at", Value::Null);
    record(b.uuid.clone(), f, origins, path, raw)
}

/// PAID once processed and its check date came, APPROVED when processed for a later check date,
/// DRAFT before processing.
pub fn run_state(processed: bool, check_date: Option<&str>, today: Date) -> &'static str {
    match (processed, check_date.and_then(parse_date)) {
        (false, _) => "DRAFT",
        (true, Some(check)) if check > today => "APPROVED",
        (true, _) => "PAID",
    }
}

/// The run type and the raw value it came from.
pub fn run_type(p: &api::Payroll) -> (Option<&'static str>, String) {
    if p.final_termination_payroll == Some(true) {
        return (Some("TERMINATION"), "final_termination_payroll".into());
    }
    if p.external == Some(true) {
        return (None, "external".into());
    }
    if p.off_cycle != Some(true) {
        return (Some("REGULAR"), "regular".into());
    }
    let reason = p.off_cycle_reason.clone().unwrap_or_else(|| "off_cycle".into());
    let mapped = match reason.as_str() {
        "Correction" | "Wage correction" | "Reversal" => "CORRECTION",
        "Dismissed employee" => "TERMINATION",
        _ => "OFF_CYCLE",
    };
    (Some(mapped), reason)
}

fn payroll_record(path: &str, p: &api::Payroll, today: Date, raw: Value) -> Option<RemoteRecord> {
    let id = p.id()?.to_owned();
    let mut f = Fields::new();
    let mut origins = Fields::new();
    let processed = p.processed == Some(true);
    f.insert("run_state", json!(run_state(processed, p.check_date.as_deref(), today)));
    origins.insert("run_state", json!(if processed { "processed" } else { "unprocessed" }));
    let (kind, raw_kind) = run_type(p);
    f.insert("run_type", kind.map_or(Value::Null, |k| json!(k)));
    origins.insert("run_type", json!(raw_kind));
    let period = p.pay_period.as_ref();
    f.insert("start_date", text(period.and_then(|p| p.start_date.as_deref())));
    f.insert("end_date", text(period.and_then(|p| p.end_date.as_deref())));
    f.insert("check_date", text(p.check_date.as_deref()));
    Some(record(id, f, origins, path, raw))
}

/// Merge's earning types for Gusto's compensation names; others are left untyped.
pub fn earning_type(name: &str) -> Option<&'static str> {
    let name = name.to_ascii_lowercase();
    Some(match name.as_str() {
        n if n.contains("overtime") => "OVERTIME",
        n if n.contains("bonus") || n.contains("commission") => "BONUS",
        n if n.contains("reimbursement") => "REIMBURSEMENT",
        n if n.starts_with("regular") || n == "salary" => "SALARY",
        _ => return None,
    })
}

/// One employee's pay in a payroll. Earnings, deductions and taxes are embedded objects with
/// the fields of Merge's Earning, Deduction and Tax; Gusto gives them no ids, and the parent
/// they belong to is the object that holds them (`employee_payroll_run` is null).
fn employee_payroll_run_record(
    path: &str,
    payroll_id: &str,
    payroll: &api::Payroll,
    c: &api::EmployeeCompensation,
    raw: &Value,
) -> RemoteRecord {
    let mut f = Fields::new();
    f.insert("employee", json!(c.employee_uuid));
    f.insert("payroll_run", json!(payroll_id));
    f.insert("gross_pay", number(c.gross_pay));
    f.insert("net_pay", number(c.net_pay));
    let period = payroll.pay_period.as_ref();
    f.insert("start_date", text(period.and_then(|p| p.start_date.as_deref())));
    f.insert("end_date", text(period.and_then(|p| p.end_date.as_deref())));
    f.insert("check_date", text(payroll.check_date.as_deref()));
    let earning = |amount: Option<f64>, kind: Option<&'static str>| json!({ "employee_payroll_run": null, "amount": number(amount), "type": kind });
    let earnings: Vec<Value> = c
        .hourly_compensations
        .iter()
        .chain(&c.fixed_compensations)
        .filter(|l| l.amount.is_some_and(|a| a != 0.0))
        .map(|l| earning(l.amount, l.name.as_deref().and_then(earning_type)))
        .chain(
            c.reimbursements
                .iter()
                .filter(|r| r.amount.is_some_and(|a| a != 0.0))
                .map(|r| earning(r.amount, Some("REIMBURSEMENT"))),
        )
        .collect();
    f.insert("earnings", Value::Array(earnings));
    let deductions: Vec<Value> = c
        .deductions
        .iter()
        .map(|d| {
            json!({
                "employee_payroll_run": null,
                "name": text(d.name.as_deref()),
                "employee_deduction": number(d.amount),
                "company_deduction": null,
            })
        })
        .chain(c.benefits.iter().map(|b| {
            json!({
                "employee_payroll_run": null,
                "name": text(b.name.as_deref()),
                "employee_deduction": number(b.employee_deduction),
                "company_deduction": number(b.company_contribution),
            })
        }))
        .collect();
    f.insert("deductions", Value::Array(deductions));
    let taxes: Vec<Value> = c
        .taxes
        .iter()
        .map(|t| {
            json!({
                "employee_payroll_run": null,
                "name": text(t.name.as_deref()),
                "amount": number(t.amount),
                "employer_tax": t.employer,
            })
        })
        .collect();
    f.insert("taxes", Value::Array(taxes));
    // One employee's pay per payroll.
    record(format!("{payroll_id}:{}", c.employee_uuid), f, Fields::new(), path, raw.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_map_to_merge_values() {
        assert_eq!(employment_type("part_time_under_twenty_hours"), Some("PART_TIME"));
        assert_eq!(employment_type("seasonal"), None);
        assert_eq!(flsa_status("Salaried Nonexempt"), Some("SALARIED_NONEXEMPT"));
        assert_eq!(pay_period("Paycheck", Some("Every other week")), Some("EVERY_TWO_WEEKS"));
        assert_eq!(pay_period("Paycheck", None), None);
        assert_eq!(pay_frequency("Twice per month"), Some("SEMIMONTHLY"));
        assert_eq!(country("USA"), Some("US"));
        assert_eq!(country("CA"), Some("CA"));
        assert_eq!(account_type("Savings"), Some("SAVINGS"));
        assert_eq!(earning_type("Regular Hours"), Some("SALARY"));
        assert_eq!(earning_type("Double overtime"), Some("OVERTIME"));
        assert_eq!(earning_type("Paycheck Tips"), None);
        let today = Date::from_calendar_date(2026, time::Month::November, 25).unwrap();
        assert_eq!(run_state(true, Some("2026-11-20"), today), "PAID");
        assert_eq!(run_state(true, Some("2026-11-27"), today), "APPROVED");
        assert_eq!(run_state(false, Some("2026-11-20"), today), "DRAFT");
    }

    #[test]
    fn payroll_windows_overlap_and_respect_gustos_limits() {
        let today = Date::from_calendar_date(2026, time::Month::November, 25).unwrap();
        let joined = Date::from_calendar_date(2019, time::Month::January, 15).unwrap();
        let windows = windows(Some(joined), today);
        assert_eq!(windows[0].0, joined);
        assert_eq!(windows.last().unwrap().1, today + Duration::days(AHEAD_DAYS));
        for pair in windows.windows(2) {
            assert!(pair[1].0 + Duration::days(92) <= pair[0].1, "a quarter fits in the overlap: {pair:?}");
        }
        assert!(windows.iter().all(|(start, end)| *end - *start <= Duration::days(WINDOW_DAYS)));
        assert_eq!(super::windows(Some(today), today), vec![(today, today + Duration::days(AHEAD_DAYS))]);
    }

    #[test]
    fn employees_keep_relations_as_remote_ids_and_raw_enum_values() {
        let raw = json!({
            "uuid": "e1", "first_name": "Ada", "last_name": "Lovelace", "preferred_first_name": "Addie",
            "company_uuid": "c1", "manager_uuid": "e0", "department_uuid": "d1", "terminated": true,
            "onboarded": true, "current_employment_status": "part_time_twenty_plus_hours",
            "terminations": [{"active": true, "effective_date": "2020-02-01"}],
            "jobs": [{"uuid": "j1", "primary": true, "hire_date": "2019-01-02", "title": "Engineer",
                "location_uuid": "l1", "current_compensation_uuid": "k2",
                "compensations": [
                    {"uuid": "k1", "rate": "20.00", "payment_unit": "Hour", "flsa_status": "Nonexempt", "effective_date": "2019-01-02"},
                    {"uuid": "k2", "rate": "1000.00", "payment_unit": "Paycheck", "flsa_status": "Commission Only Exempt", "effective_date": "2019-06-01"}
                ]}]
        });
        let e: api::Employee = parse(&raw, "an employee").unwrap();
        let schedules = Schedules {
            frequency: HashMap::from([("s1".to_owned(), Some("Monthly".to_owned()))]),
            assignment: api::PayScheduleAssignment {
                kind: Some("single".into()),
                default_pay_schedule_uuid: Some("s1".into()),
                ..Default::default()
            },
        };
        let r = employee_record("/p", "c1", &e, &schedules, raw.clone());
        assert_eq!(r.fields["display_full_name"], "Addie Lovelace");
        assert_eq!(
            (&r.fields["manager"], &r.fields["team"], &r.fields["work_location"]),
            (&json!("e0"), &json!("d1"), &json!("l1"))
        );
        assert_eq!(r.fields["employments"], json!(["k1", "k2"]));
        assert_eq!(
            (&r.fields["employment_status"], &r.enum_origins["employment_status"]),
            (&json!("INACTIVE"), &json!("terminated"))
        );
        assert_eq!(r.fields["termination_date"], "2020-02-01");
        assert_eq!(r.fields["pay_group"], "s1");
        let employments = employment_records("/p", &e, &schedules, &raw);
        assert_eq!(employments.len(), 2);
        let second = &employments[1];
        assert_eq!((second.remote_id.as_str(), &second.fields["pay_rate"]), ("k2", &json!(1000.0)));
        assert_eq!(
            (&second.fields["pay_period"], &second.enum_origins["pay_period"]),
            (&json!("MONTH"), &json!("Paycheck"))
        );
        assert_eq!(second.fields["flsa_status"], "EXEMPT");
        assert_eq!(
            (&second.fields["employment_type"], &second.fields["pay_frequency"]),
            (&json!("PART_TIME"), &json!("MONTHLY"))
        );
        assert_eq!(second.remote_data[0].data.value()["uuid"], "k2");
    }
}
