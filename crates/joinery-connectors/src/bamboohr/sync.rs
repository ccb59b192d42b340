//! Reading BambooHR into common models: the company (`GET /v1/company_information`) and
//! employees (`POST /v1/reports/custom`, every field for every employee in one request, which
//! BambooHR recommends over one request per employee).

use serde_json::{Map, Value, json};

use super::{COMPANY_DOMAIN, api};
use crate::{AccountHttp, Credentials, RecordPage, RemoteRecord, SyncError};

pub const MODELS: &[&str] = &["hris.Company", "hris.Employee"];

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
        "hris.Employee" => {
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
            Ok(RecordPage {
                records: employees.into_iter().filter_map(|e| employee_record(company, e)).collect(),
                next: None,
            })
        }
        _ => Err(SyncError::Protocol(format!("BambooHR does not sync {model}"))),
    }
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
