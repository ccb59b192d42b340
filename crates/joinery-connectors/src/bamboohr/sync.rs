//! Reading BambooHR into common models: the company (`GET /v1/company_information`); locations,
//! departments and divisions (`GET /v1/meta/lists`) as Locations, Groups and Teams; employments
//! from the compensation, job and employment-status tables (`GET /v1/employees/all/tables/…`);
//! employees (`POST /v1/reports/custom`, every field for every employee in one request, which
//! BambooHR recommends over one request per employee).

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::{COMPANY_DOMAIN, api};
use crate::{AccountHttp, Credentials, RecordPage, RemoteRecord, SyncError};

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

fn domain(credentials: &Credentials) -> Result<&str, SyncError> {
    credentials
        .get(COMPANY_DOMAIN)
        .ok_or_else(|| SyncError::Protocol("stored credentials lack the company domain".into()))
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

pub async fn read(http: &AccountHttp, credentials: &Credentials, model: &'static str) -> Result<RecordPage, SyncError> {
    let company = domain(credentials)?;
    let key = credentials.get(super::API_KEY).unwrap_or("").to_owned();
    match model {
        "hris.Company" => {
            let url = http.url(&api::url(company, "company_information"));
            let response = http
                .send(|c| c.get(url.clone()).basic_auth(&key, Some("x")).header("Accept", "application/json"))
                .await?;
            let info: Value = http.json(checked(http, response).await?).await?;
            Ok(RecordPage { records: vec![company_record(company, info)], next: None })
        }
        "hris.Location" | "hris.Group" | "hris.Team" => {
            let lists = meta_lists(http, company, &key).await?;
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
            Ok(RecordPage { records, next: None })
        }
        "hris.Employment" => {
            let compensation = table(http, company, &key, "compensation").await?;
            let jobs = table(http, company, &key, "jobInfo").await?;
            let statuses = table(http, company, &key, "employmentStatus").await?;
            let records = compensation.iter().filter_map(|row| employment_record(row, &jobs, &statuses)).collect();
            Ok(RecordPage { records, next: None })
        }
        "hris.Employee" => {
            let lists = meta_lists(http, company, &key).await?;
            let compensation = table(http, company, &key, "compensation").await?;
            let url = http.url(&api::url(company, "reports/custom?format=JSON&onlyCurrent=true"));
            let body = json!({ "title": "Joinery sync", "fields": EMPLOYEE_FIELDS });
            let response = http
                .send(|c| {
                    c.post(url.clone())
                        .basic_auth(&key, Some("x"))
                        .header("Accept", "application/json")
                        .header("Content-Type", "application/json")
                        .body(body.to_string())
                })
                .await?;
            let report: Value = http.json(checked(http, response).await?).await?;
            let employees = report.get("employees").and_then(Value::as_array).cloned().unwrap_or_default();
            let ids = |alias: &str| -> HashMap<String, String> {
                list_options(&lists, alias)
                    .into_iter()
                    .filter_map(|o| Some((o.get("name")?.as_str()?.to_owned(), id_text(o.get("id")?)?)))
                    .collect()
            };
            let (departments, divisions, locations) = (ids("department"), ids("division"), ids("location"));
            let mut employments: HashMap<String, Vec<Value>> = HashMap::new();
            for row in &compensation {
                if let (Some(employee), Some(id)) =
                    (row.get("employeeId").and_then(id_text), row.get("id").and_then(id_text))
                {
                    employments.entry(employee).or_default().push(Value::String(id));
                }
            }
            let records = employees
                .into_iter()
                .filter_map(|e| {
                    let mut record = employee_record(company, e)?;
                    let raw = &record.remote_data[0]["data"];
                    let named = |key: &str, ids: &HashMap<String, String>| {
                        raw.get(key).and_then(Value::as_str).and_then(|name| ids.get(name)).cloned()
                    };
                    let (department, division) = (named("department", &departments), named("division", &divisions));
                    let location = named("location", &locations);
                    let groups: Vec<Value> = department
                        .iter()
                        .map(|d| json!(format!("department:{d}")))
                        .chain(division.iter().map(|d| json!(format!("division:{d}"))))
                        .collect();
                    record.fields.insert("groups".into(), Value::Array(groups));
                    record.fields.insert("team".into(), department.map_or(Value::Null, Value::String));
                    record.fields.insert("work_location".into(), location.map_or(Value::Null, Value::String));
                    let own = employments.remove(&record.remote_id).unwrap_or_default();
                    record.fields.insert("employments".into(), Value::Array(own));
                    Some(record)
                })
                .collect();
            Ok(RecordPage { records, next: None })
        }
        "hris.TimeOff" => {
            let today = time::OffsetDateTime::now_utc().date();
            let day = |offset: i64| (today + time::Duration::days(offset)).to_string();
            let path =
                format!("time_off/requests?start={}&end={}", day(-TIME_OFF_PAST_DAYS), day(TIME_OFF_FUTURE_DAYS));
            let requests = get_json(http, company, &key, &path).await?;
            let records = requests.as_array().into_iter().flatten().filter_map(time_off_record).collect();
            Ok(RecordPage { records, next: None })
        }
        "hris.Dependent" => {
            let body = get_json(http, company, &key, "employeedependents").await?;
            let rows = body.get("Employee Dependents").and_then(Value::as_array).cloned().unwrap_or_default();
            Ok(RecordPage { records: rows.iter().filter_map(dependent_record).collect(), next: None })
        }
        _ => Err(SyncError::Protocol(format!("BambooHR does not sync {model}"))),
    }
}

async fn get_json(http: &AccountHttp, company: &str, key: &str, path: &str) -> Result<Value, SyncError> {
    let url = http.url(&api::url(company, path));
    let response =
        http.send(|c| c.get(url.clone()).basic_auth(key, Some("x")).header("Accept", "application/json")).await?;
    http.json(checked(http, response).await?).await
}

async fn meta_lists(http: &AccountHttp, company: &str, key: &str) -> Result<Value, SyncError> {
    get_json(http, company, key, "meta/lists").await
}

async fn table(http: &AccountHttp, company: &str, key: &str, table: &str) -> Result<Vec<Value>, SyncError> {
    let rows = get_json(http, company, key, &format!("employees/all/tables/{table}")).await?;
    Ok(rows.as_array().cloned().unwrap_or_default())
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

fn option_record(option: &Value, remote_id: String, fields: Map<String, Value>) -> RemoteRecord {
    RemoteRecord {
        remote_id,
        fields,
        enum_origins: Map::new(),
        remote_data: vec![json!({ "path": "/api/v1/meta/lists", "data": option })],
    }
}

fn location_record(option: &Value) -> RemoteRecord {
    let mut f = Map::new();
    f.insert("name".into(), text(option, "name"));
    f.insert("location_type".into(), json!("WORK"));
    option_record(option, option.get("id").and_then(id_text).unwrap_or_default(), f)
}

fn team_record(option: &Value) -> RemoteRecord {
    let mut f = Map::new();
    f.insert("name".into(), text(option, "name"));
    option_record(option, option.get("id").and_then(id_text).unwrap_or_default(), f)
}

/// Departments and divisions have an id space each, so the group's remote id names the list.
fn group_record(list: &str, kind: &str, option: &Value) -> RemoteRecord {
    let mut f = Map::new();
    f.insert("name".into(), text(option, "name"));
    f.insert("type".into(), json!(kind));
    f.insert("is_commonly_used_as_team".into(), json!(list == "department"));
    option_record(option, format!("{list}:{}", option.get("id").and_then(id_text).unwrap_or_default()), f)
}

/// The row of a dated table (`jobInfo`, `employmentStatus`) in effect on `date` for `employee`.
fn in_effect<'a>(rows: &'a [Value], employee: &str, date: &str) -> Option<&'a Value> {
    rows.iter()
        .filter(|r| r.get("employeeId").and_then(id_text).as_deref() == Some(employee))
        .filter(|r| r.get("date").and_then(Value::as_str).is_some_and(|d| d <= date))
        .max_by_key(|r| r.get("date").and_then(Value::as_str).unwrap_or(""))
}

pub fn pay_period(v: &str) -> Option<&'static str> {
    match v.to_ascii_lowercase().as_str() {
        "hour" => Some("HOUR"),
        "day" => Some("DAY"),
        "week" => Some("WEEK"),
        "month" => Some("MONTH"),
        "quarter" => Some("QUARTER"),
        "year" => Some("YEAR"),
        _ => None,
    }
}

pub fn pay_frequency(v: &str) -> Option<&'static str> {
    match v.to_ascii_lowercase().as_str() {
        "weekly" => Some("WEEKLY"),
        "every other week" | "biweekly" => Some("BIWEEKLY"),
        "twice a month" | "semimonthly" => Some("SEMIMONTHLY"),
        "monthly" => Some("MONTHLY"),
        "quarterly" => Some("QUARTERLY"),
        "twice a year" => Some("SEMIANNUALLY"),
        "annually" | "yearly" => Some("ANNUALLY"),
        _ => None,
    }
}

pub fn flsa_status(v: &str) -> Option<&'static str> {
    match v.to_ascii_lowercase().as_str() {
        "exempt" => Some("EXEMPT"),
        "non-exempt" | "nonexempt" => Some("NONEXEMPT"),
        _ => None,
    }
}

pub fn employment_type(v: &str) -> Option<&'static str> {
    match v.to_ascii_lowercase().replace(['-', '_'], " ").as_str() {
        "full time" => Some("FULL_TIME"),
        "part time" => Some("PART_TIME"),
        "intern" => Some("INTERN"),
        "contractor" | "contract" => Some("CONTRACTOR"),
        "freelance" => Some("FREELANCE"),
        _ => None,
    }
}

/// A compensation row is one employment: its pay, with the job and employment status in effect
/// when it started (or the earliest, for a row that predates them).
fn employment_record(row: &Value, jobs: &[Value], statuses: &[Value]) -> Option<RemoteRecord> {
    let remote_id = row.get("id").and_then(id_text)?;
    let employee = row.get("employeeId").and_then(id_text)?;
    let start = row.get("startDate").and_then(Value::as_str).unwrap_or("").to_owned();
    let job = in_effect(jobs, &employee, &start).or_else(|| in_effect(jobs, &employee, "9999"));
    let status = in_effect(statuses, &employee, &start).or_else(|| in_effect(statuses, &employee, "9999"));
    let mut f = Map::new();
    let mut origins = Map::new();
    f.insert("employee".into(), Value::String(employee));
    f.insert("job_title".into(), job.map_or(Value::Null, |j| text(j, "jobTitle")));
    let rate = row.get("rate");
    let amount = rate.and_then(|r| r.get("value")).and_then(Value::as_str).and_then(|v| v.parse::<f64>().ok());
    f.insert("pay_rate".into(), amount.and_then(serde_json::Number::from_f64).map_or(Value::Null, Value::Number));
    enum_field(&mut f, &mut origins, "pay_period", text(row, "paidPer"), pay_period);
    enum_field(&mut f, &mut origins, "pay_frequency", text(row, "paySchedule"), pay_frequency);
    f.insert("pay_currency".into(), rate.and_then(|r| r.get("currency")).cloned().unwrap_or(Value::Null));
    f.insert("pay_group".into(), Value::Null);
    enum_field(&mut f, &mut origins, "flsa_status", text(row, "exempt"), flsa_status);
    f.insert("effective_date".into(), Value::String(start));
    let employment_status = status.map_or(Value::Null, |s| text(s, "employmentStatus"));
    enum_field(&mut f, &mut origins, "employment_type", employment_status, employment_type);
    let mut remote_data = vec![json!({ "path": "/api/v1/employees/all/tables/compensation", "data": row })];
    if let Some(job) = job {
        remote_data.push(json!({ "path": "/api/v1/employees/all/tables/jobInfo", "data": job }));
    }
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

fn time_off_record(r: &Value) -> Option<RemoteRecord> {
    let remote_id = r.get("id").and_then(id_text)?;
    let mut f = Map::new();
    let mut origins = Map::new();
    f.insert("employee".into(), r.get("employeeId").and_then(id_text).map_or(Value::Null, Value::String));
    f.insert("approver".into(), Value::Null);
    let status = r.get("status").map_or(Value::Null, |s| text(s, "status"));
    enum_field(&mut f, &mut origins, "status", status, time_off_status);
    let notes = r.get("notes");
    f.insert("employee_note".into(), notes.map_or(Value::Null, |n| text(n, "employee")));
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
    f.insert("amount".into(), value.and_then(serde_json::Number::from_f64).map_or(Value::Null, Value::Number));
    let kind = r.get("type").map_or(Value::Null, |t| text(t, "name"));
    enum_field(&mut f, &mut origins, "request_type", kind, request_type);
    f.insert("start_time".into(), text(r, "start"));
    f.insert("end_time".into(), text(r, "end"));
    Some(RemoteRecord {
        remote_id,
        fields: f,
        enum_origins: origins,
        remote_data: vec![json!({ "path": "/api/v1/time_off/requests", "data": r })],
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

fn dependent_record(d: &Value) -> Option<RemoteRecord> {
    let remote_id = d.get("id").and_then(id_text)?;
    let mut f = Map::new();
    let mut origins = Map::new();
    f.insert("first_name".into(), text(d, "firstName"));
    f.insert("middle_name".into(), text(d, "middleName"));
    f.insert("last_name".into(), text(d, "lastName"));
    enum_field(&mut f, &mut origins, "relationship", text(d, "relationship"), relationship);
    f.insert("employee".into(), d.get("employeeId").and_then(id_text).map_or(Value::Null, Value::String));
    f.insert("date_of_birth".into(), text(d, "dateOfBirth"));
    enum_field(&mut f, &mut origins, "gender", text(d, "gender"), gender);
    let phone = [text(d, "homePhone"), text(d, "workPhone")].into_iter().find(|p| !p.is_null()).unwrap_or(Value::Null);
    f.insert("phone_number".into(), phone);
    f.insert("home_location".into(), Value::Null);
    f.insert("is_student".into(), text(d, "isStudent").as_str().map_or(Value::Null, |s| Value::Bool(s == "yes")));
    // BambooHR returns only a masked number; it is what the provider shares.
    f.insert("ssn".into(), text(d, "maskedSSN"));
    Some(RemoteRecord {
        remote_id,
        fields: f,
        enum_origins: origins,
        remote_data: vec![json!({ "path": "/api/v1/employeedependents", "data": d })],
    })
}

fn text(v: &Value, key: &str) -> Value {
    match v.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() && s != "0000-00-00" => Value::String(s.trim().to_owned()),
        _ => Value::Null,
    }
}

fn company_record(domain: &str, info: Value) -> RemoteRecord {
    let mut fields = Map::new();
    fields.insert("legal_name".into(), text(&info, "legalName"));
    fields.insert("display_name".into(), text(&info, "displayName"));
    fields.insert("eins".into(), Value::Array(Vec::new()));
    RemoteRecord {
        // BambooHR has one company per domain; the domain is its id.
        remote_id: domain.to_owned(),
        fields,
        enum_origins: Map::new(),
        remote_data: vec![json!({ "path": "/api/v1/company_information", "data": info })],
    }
}

/// BambooHR's value → Merge's enum value, keeping the original for `show_enum_origins`.
fn enum_field(
    fields: &mut Map<String, Value>,
    origins: &mut Map<String, Value>,
    name: &str,
    raw: Value,
    map: fn(&str) -> Option<&'static str>,
) {
    let normalized = raw.as_str().and_then(map).map_or(Value::Null, |v| Value::String(v.to_owned()));
    if !raw.is_null() {
        origins.insert(name.into(), raw);
    }
    fields.insert(name.into(), normalized);
}

pub fn gender(v: &str) -> Option<&'static str> {
    match v.to_ascii_lowercase().as_str() {
        "female" => Some("FEMALE"),
        "male" => Some("MALE"),
        "nonbinary" | "non-binary" => Some("NON-BINARY"),
        "prefer not to say" | "decline to state" => Some("PREFER_NOT_TO_DISCLOSE"),
        "" => None,
        _ => Some("OTHER"),
    }
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
    match v.to_ascii_lowercase().as_str() {
        "single" => Some("SINGLE"),
        "married" => Some("MARRIED_FILING_JOINTLY"),
        _ => None,
    }
}

pub fn employment_status(v: &str) -> Option<&'static str> {
    match v.to_ascii_lowercase().as_str() {
        "active" => Some("ACTIVE"),
        "inactive" => Some("INACTIVE"),
        _ => None,
    }
}

fn employee_record(domain: &str, e: Value) -> Option<RemoteRecord> {
    let remote_id = match e.get("id")? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let mut f = Map::new();
    let mut origins = Map::new();
    f.insert("employee_number".into(), text(&e, "employeeNumber"));
    f.insert("company".into(), Value::String(domain.to_owned()));
    f.insert("first_name".into(), text(&e, "firstName"));
    f.insert("last_name".into(), text(&e, "lastName"));
    f.insert("preferred_name".into(), text(&e, "preferredName"));
    f.insert("display_full_name".into(), text(&e, "displayName"));
    f.insert("groups".into(), Value::Array(Vec::new()));
    f.insert("work_email".into(), text(&e, "workEmail"));
    f.insert("personal_email".into(), text(&e, "homeEmail"));
    f.insert("mobile_phone_number".into(), text(&e, "mobilePhone"));
    f.insert("employments".into(), Value::Array(Vec::new()));
    f.insert("manager".into(), text(&e, "supervisorEId"));
    f.insert("ssn".into(), text(&e, "ssn"));
    enum_field(&mut f, &mut origins, "gender", text(&e, "gender"), gender);
    enum_field(&mut f, &mut origins, "ethnicity", text(&e, "ethnicity"), ethnicity);
    enum_field(&mut f, &mut origins, "marital_status", text(&e, "maritalStatus"), marital_status);
    f.insert("date_of_birth".into(), text(&e, "dateOfBirth"));
    let original_hire = text(&e, "originalHireDate");
    f.insert("hire_date".into(), if original_hire.is_null() { text(&e, "hireDate") } else { original_hire });
    f.insert("start_date".into(), text(&e, "hireDate"));
    enum_field(&mut f, &mut origins, "employment_status", text(&e, "status"), employment_status);
    f.insert("termination_date".into(), text(&e, "terminationDate"));
    f.insert("avatar".into(), text(&e, "photoUrl"));
    Some(RemoteRecord {
        remote_id,
        fields: f,
        enum_origins: origins,
        remote_data: vec![json!({ "path": "/api/v1/reports/custom", "data": e })],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_map_to_merge_values() {
        assert_eq!(gender("Female"), Some("FEMALE"));
        assert_eq!(gender("Nonbinary"), Some("NON-BINARY"));
        assert_eq!(ethnicity("Black or African American"), Some("BLACK_OR_AFRICAN_AMERICAN"));
        assert_eq!(ethnicity("Martian"), None);
        assert_eq!(marital_status("Divorced"), None);
        assert_eq!(employment_status("Inactive"), Some("INACTIVE"));
    }

    #[test]
    fn employees_keep_relations_as_remote_ids_and_raw_enum_values() {
        let e = json!({"id": "7", "firstName": "Ada", "supervisorEId": "3", "gender": "Female", "status": "Active",
            "terminationDate": "0000-00-00", "hireDate": "2020-01-02"});
        let r = employee_record("acme", e).unwrap();
        assert_eq!(
            (r.remote_id.as_str(), &r.fields["manager"], &r.fields["company"]),
            ("7", &json!("3"), &json!("acme"))
        );
        assert_eq!((&r.fields["gender"], &r.enum_origins["gender"]), (&json!("FEMALE"), &json!("Female")));
        assert_eq!(r.fields["termination_date"], Value::Null);
        assert_eq!(r.fields["start_date"], json!("2020-01-02"));
    }
}
