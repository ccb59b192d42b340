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
