//! BambooHR's API as documented (documentation.bamboohr.com): URLs and response types.

use serde::Deserialize;

/// The documented gateway form of the API, which carries the company in the path (so a base URL
/// override keeps the tenant): `https://api.bamboohr.com/api/gateway.php/{companyDomain}/v1/…`.
pub fn url(company_domain: &str, path: &str) -> String {
    format!("https://api.bamboohr.com/api/gateway.php/{company_domain}/v1/{}", path.trim_start_matches('/'))
}

/// BambooHR puts the reason for most 4xx answers in this header.
pub const ERROR_HEADER: &str = "x-bamboohr-error-message";

/// `GET /v1/employees` (the paginated list endpoint).
#[derive(Debug, Deserialize)]
pub struct EmployeeList {
    #[serde(default)]
    pub data: Vec<serde_json::Value>,
}

/// An id BambooHR sends as a string (or, in some answers, a number).
fn id<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        _ => Err(serde::de::Error::custom("an id")),
    }
}

/// A row of a dated table (`jobInfo`, `employmentStatus`): `GET /v1/employees/all/tables/{table}`.
#[derive(Debug, Deserialize)]
pub struct DatedRow {
    #[serde(rename = "employeeId", deserialize_with = "id")]
    pub employee_id: String,
    pub date: Option<String>,
    #[serde(flatten)]
    pub rest: serde_json::Map<String, serde_json::Value>,
}

/// A table row's id and employee, nothing else.
#[derive(Debug, Deserialize)]
pub struct RowRef {
    #[serde(deserialize_with = "id")]
    pub id: String,
    #[serde(rename = "employeeId", deserialize_with = "id")]
    pub employee_id: String,
}

/// `GET /v1/employees/changed/tables/{table}?since=…`: every row of each changed employee.
#[derive(Debug, Deserialize)]
pub struct ChangedTable {
    #[serde(default)]
    pub employees: std::collections::HashMap<String, ChangedRows>,
}

#[derive(Debug, Deserialize)]
pub struct ChangedRows {
    #[serde(default)]
    pub rows: Vec<serde_json::Value>,
}

/// `GET /v1/employees/changed?since=…`: `{latest, employees: {"<id>": {id, action, lastChanged}}}`.
#[derive(Debug, Deserialize)]
pub struct ChangedEmployees {
    #[serde(default)]
    pub employees: std::collections::HashMap<String, ChangedEmployee>,
}

#[derive(Debug, Deserialize)]
pub struct ChangedEmployee {
    #[serde(deserialize_with = "id")]
    pub id: String,
    pub action: String,
}

/// `GET /v1/employees/directory`: the company's current employees.
#[derive(Debug, Deserialize)]
pub struct Directory {
    #[serde(default)]
    pub employees: Vec<DirectoryEntry>,
}

#[derive(Debug, Deserialize)]
pub struct DirectoryEntry {
    #[serde(deserialize_with = "id")]
    pub id: String,
}
