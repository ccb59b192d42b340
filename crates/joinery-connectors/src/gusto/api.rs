//! Gusto's API as documented (docs.gusto.com, OpenAPI 2025-06-15): URLs and response types.

use serde::Deserialize;

pub const BASE: &str = "https://api.gusto.com";
pub const AUTHORIZE_URL: &str = "https://api.gusto.com/oauth/authorize";
pub const TOKEN_URL: &str = "https://api.gusto.com/oauth/token";
/// Requests without it get the app's minimum version; pin the one Joinery is written against.
pub const API_VERSION_HEADER: &str = "X-Gusto-API-Version";
pub const API_VERSION: &str = "2025-06-15";

/// `GET /v1/token_info` (schema `Token-Info`).
#[derive(Debug, Deserialize)]
pub struct TokenInfo {
    pub resource: Option<Resource>,
}

#[derive(Debug, Deserialize)]
pub struct Resource {
    #[serde(rename = "type")]
    pub kind: String,
    pub uuid: String,
}

/// `GET /v1/companies/{company_id}` (schema `Company`), the part Link shows.
#[derive(Debug, Deserialize)]
pub struct Company {
    pub uuid: String,
    pub name: Option<String>,
    pub trade_name: Option<String>,
}
