//! BambooHR: API-key (HTTP Basic) access to one or more companies. See the crate documentation
//! for what is implemented.

mod changes;
mod dependents;
mod employees;
mod fields;
mod handle;
mod lists;
mod report;
mod tables;
mod time_off;
mod world;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

pub use handle::{CompanyHandle, World, WorldError};
pub use world::{CompensationRow, EmploymentStatusRow, JobInfoRow, Table, TableRow};

use crate::data::LOCATIONS;
use crate::{Fault, Faults, RunningEmulator};
use world::CompanyState;

/// The companies the emulator serves.
#[derive(Clone, Debug)]
pub struct Config {
    pub companies: Vec<Company>,
}

/// One BambooHR account.
#[derive(Clone, Debug)]
pub struct Company {
    /// The `companyDomain`: `acme` for `acme.bamboohr.com`. Matched case-insensitively.
    pub domain: String,
    pub name: String,
    /// How many employees (active and former) the company has; generated on demand.
    pub employees: usize,
    /// Seeds the generated employees: the same seed and index always give the same person.
    pub seed: u64,
    pub api_keys: Vec<ApiKey>,
    /// A token bucket per API key, answering 429 with `Retry-After` when empty. `None` (the
    /// default) never limits: BambooHR publishes no quota.
    pub rate_limit: Option<RateLimit>,
}

impl Default for Company {
    /// `acme`, no employees, no keys, no rate limit: a base for struct-update syntax.
    fn default() -> Self {
        Company {
            domain: "acme".to_owned(),
            name: "Acme".to_owned(),
            employees: 0,
            seed: 0,
            api_keys: Vec::new(),
            rate_limit: None,
        }
    }
}

/// A token bucket: `burst` requests at once, refilled at `per_second` requests a second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub burst: u32,
    pub per_second: u32,
}

/// An API key and what its user may see.
#[derive(Clone, Debug)]
pub struct ApiKey {
    pub key: String,
    pub access: Access,
}

/// The access level of the user an API key belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Reads everything.
    Full,
    /// A user whose BambooHR role cannot see employee records: employee endpoints answer 403.
    NoEmployeeAccess,
}

/// Starts the emulator on `listen` (pass `127.0.0.1:0` for a free port).
/// [`RunningEmulator::bamboohr_world`] then reaches its data.
pub async fn start(config: Config, listen: SocketAddr) -> std::io::Result<RunningEmulator> {
    let faults = Faults::default();
    let world = World::new(config);
    let mut running = crate::serve(router_with_world(world.clone(), faults.clone()), listen, faults).await?;
    running.bamboohr = Some(world);
    Ok(running)
}

/// The emulator as a router, for in-process use.
pub fn router(config: Config, faults: Faults) -> Router {
    router_with_world(World::new(config), faults)
}

/// The emulator over an existing [`World`], so the caller keeps a handle to change its data.
pub fn router_with_world(world: World, faults: Faults) -> Router {
    let mut router = Router::new();
    // Registered under both prefixes rather than nested, so handlers see the full request path.
    for v1 in ["/api/gateway.php/{company}/v1", "/api/v1"] {
        router = router
            .route(&format!("{v1}/employees"), get(employees::list))
            .route(&format!("{v1}/employees/directory"), get(employees::directory))
            .route(&format!("{v1}/employees/changed"), get(changes::employees))
            .route(&format!("{v1}/employees/changed/tables/{{table}}"), get(changes::tables))
            .route(&format!("{v1}/employees/{{id}}"), get(employees::get_one))
            .route(&format!("{v1}/employees/{{id}}/tables/{{table}}"), get(tables::get))
            .route(&format!("{v1}/employees/{{id}}/time_off/calculator"), get(time_off::calculator))
            .route(&format!("{v1}/employeedependents"), get(dependents::list))
            .route(&format!("{v1}/reports/custom"), post(report::custom))
            .route(&format!("{v1}/time_off/requests"), get(time_off::requests))
            .route(&format!("{v1}/company_information"), get(company_information))
            .route(&format!("{v1}/meta/fields"), get(fields::list))
            .route(&format!("{v1}/meta/lists"), get(lists::list))
            .route(&format!("{v1}/meta/time_off/types"), get(time_off::types))
            .route(&format!("{v1}/meta/time_off/policies"), get(time_off::policies));
    }
    router.fallback(not_found).with_state(world).layer(middleware::from_fn_with_state(faults, inject_faults))
}

/// An authenticated request: the company it is for and the key's access level.
pub(crate) struct Caller {
    pub(crate) company: Arc<CompanyState>,
    pub(crate) access: Access,
    /// Position of the key in the company's list; picks the key's own employee record.
    pub(crate) key_index: usize,
}

impl FromRequestParts<World> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &World) -> Result<Self, Self::Rejection> {
        let domain = company_domain(parts).await.unwrap_or_default().to_ascii_lowercase();
        let Some(company) = state.companies.get(&domain) else {
            return Err(error(StatusCode::NOT_FOUND, "Company not found"));
        };
        let Some(authorization) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(error(StatusCode::UNAUTHORIZED, "API key is missing"));
        };
        let Some(key) = basic_user(authorization) else {
            return Err(error(StatusCode::UNAUTHORIZED, "Invalid authorization header"));
        };
        let Some((key_index, api_key)) = company.config.api_keys.iter().enumerate().find(|(_, k)| k.key == key) else {
            return Err(error(StatusCode::UNAUTHORIZED, "Invalid API key"));
        };
        if let Some(limit) = company.config.rate_limit
            && let Err(retry_after_secs) = company.take_token(key_index, limit)
        {
            return Err(rate_limited(retry_after_secs));
        }
        Ok(Caller { company: company.clone(), access: api_key.access, key_index })
    }
}

impl Caller {
    /// Employee endpoints: 403 for a user who cannot see employee records.
    pub(crate) fn require_employee_access(&self) -> Result<(), Response> {
        match self.access {
            Access::Full => Ok(()),
            Access::NoEmployeeAccess => Err(error(StatusCode::FORBIDDEN, "You do not have access to employee records")),
        }
    }
}

/// The company: from the legacy gateway path, else the first label of `Host`.
async fn company_domain(parts: &mut Parts) -> Option<String> {
    if let Ok(params) = RawPathParams::from_request_parts(parts, &()).await
        && let Some((_, company)) = params.iter().find(|(name, _)| *name == "company")
    {
        return Some(company.to_owned());
    }
    let host = parts.headers.get(header::HOST)?.to_str().ok()?;
    let label = host.split(':').next()?.split('.').next()?;
    Some(label.to_owned())
}

/// The user name of `Authorization: Basic …`, which is the API key; the password is ignored.
fn basic_user(value: &HeaderValue) -> Option<String> {
    let value = value.to_str().ok()?;
    let (scheme, credentials) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(credentials.trim()).ok()?).ok()?;
    let (user, _password) = decoded.split_once(':')?;
    (!user.is_empty()).then(|| user.to_owned())
}

/// BambooHR's error answer: the status, the detail in `X-BambooHR-Error-Message`, a short body.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    let mut response = (status, status.canonical_reason().unwrap_or("Error").to_owned()).into_response();
    if let Ok(value) = HeaderValue::from_str(message) {
        response.headers_mut().insert("x-bamboohr-error-message", value);
    }
    response
}

/// The JSON error body the cursor-paginated endpoints document (`error.code` is `BadRequest` or
/// `BadPage`), with the usual header.
pub(crate) fn bad_request(code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "error": { "code": code, "message": message } });
    let mut response = (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(message) {
        response.headers_mut().insert("x-bamboohr-error-message", value);
    }
    response
}

/// BambooHR answers XML unless the client asks for JSON.
pub(crate) fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.to_ascii_lowercase().contains("application/json")))
}

pub(crate) fn xml(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Not found")
}

/// BambooHR's rate-limit answer (since 2026-09-16): 429 with `Retry-After` in seconds.
fn rate_limited(retry_after_secs: u64) -> Response {
    let mut response = error(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded");
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

/// Answers an injected fault instead of the request.
async fn inject_faults(State(faults): State<Faults>, request: Request, next: Next) -> Response {
    match faults.on_request() {
        None => next.run(request).await,
        Some(Fault::RateLimited { retry_after_secs }) => rate_limited(retry_after_secs),
        Some(Fault::Status(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            error(status, status.canonical_reason().unwrap_or("Error"))
        }
    }
}

/// `GET /v1/company_information`: JSON only, readable by any authenticated caller.
async fn company_information(caller: Caller) -> Response {
    let company = &caller.company.config;
    let (_, city, state, zip, area) = LOCATIONS[(company.seed % LOCATIONS.len() as u64) as usize];
    axum::Json(serde_json::json!({
        "legalName": company.name,
        "displayName": company.name,
        "address": {
            "line1": format!("{} Market Street", 100 + company.seed % 900),
            "line2": "",
            "city": city,
            "state": state,
            "zip": zip,
        },
        "phone": format!("{area}-555-0100"),
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_parsed() {
        let header = |s: &str| HeaderValue::from_str(s).unwrap();
        assert_eq!(basic_user(&header(&format!("Basic {}", STANDARD.encode("key:x")))).as_deref(), Some("key"));
        assert_eq!(basic_user(&header(&format!("basic {}", STANDARD.encode("key:")))).as_deref(), Some("key"));
        assert_eq!(basic_user(&header(&format!("Bearer {}", STANDARD.encode("key:x")))), None);
        assert_eq!(basic_user(&header(&format!("Basic {}", STANDARD.encode("key")))), None);
        assert_eq!(basic_user(&header(&format!("Basic {}", STANDARD.encode(":x")))), None);
        assert_eq!(basic_user(&header("Basic !!!")), None);
    }
}
