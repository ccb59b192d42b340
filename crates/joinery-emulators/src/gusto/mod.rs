//! Gusto: OAuth2 authorization code grants and a Bearer API scoped to one company per grant. See
//! the crate documentation for the OAuth and authentication behaviour.
//!
//! The HR and payroll endpoints, as the OpenAPI document (v2025-06-15) describes them:
//! - `GET /v1/companies/{id}` (with `join_date` = the start of the first payroll's period),
//!   `/locations` (4 work locations, `country: "USA"`), `/departments` (8, each listing its
//!   employees; not paginated, as documented), `/employees` (jobs with their current
//!   compensation, or every effective-dated one with `include=all_compensations`; terminations;
//!   filters `terminated`, `terminated_today`, `onboarded`, `onboarded_active`, `uuids`,
//!   `location_uuid`, `search_term`), `/pay_schedules` (one, every other week) and
//!   `/pay_schedules/assignments` (type `single`).
//! - `GET /v1/employees/{id}/bank_accounts`: a checking account for employees paid by direct
//!   deposit, sometimes a savings account too; masked account numbers (`hidden_account_number`).
//!   An employee of another company, or none, is a 404.
//! - `GET /v1/companies/{id}/payrolls`: `processing_statuses` (default `processed`),
//!   `payroll_types` (default `regular`), `processed`, `include_off_cycle`, `start_date`/`end_date`
//!   (default the last six months; a payroll is listed when its whole pay period lies within
//!   them; `end_date` at most 3 months ahead and at most a year after `start_date`, else 422
//!   `invalid_attribute_value`), `date_filter_by=check_date`, `sort_order`, and `include=totals`,
//!   `payroll_status_meta`, `taxes`. `GET /v1/companies/{id}/payrolls/{payroll_id}` adds the
//!   totals and `employee_compensations`, always paginated (`per` ≤ 100), with per-employee
//!   `taxes`, `deductions` and `benefits` when included.
//! - Lists are paginated with `page`/`per` (default 25; `X-Page`, `X-Per-Page`, `X-Total-Count`,
//!   `X-Total-Pages`) when either is sent, else answered whole.
//!
//! [`start_with_world`] also returns a [`World`], through which tests rename, remove and add
//! employees, expire access tokens, revoke grants and count refreshes.

mod api;
mod oauth;
mod paging;
mod payroll;
#[cfg(test)]
mod tests;
mod world;

pub use world::{CompanyHandle, World, WorldError};

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::data::gusto_datetime;
use crate::{Clock, Fault, Faults, RunningEmulator};

/// What the emulator knows: the OAuth applications and the companies their users administer.
#[derive(Clone, Debug)]
pub struct Config {
    pub clients: Vec<OAuthClient>,
    pub companies: Vec<Company>,
    /// Lifetime of access tokens; Gusto's is 7200 (two hours).
    pub access_token_ttl_secs: u64,
}

/// An application registered in Gusto's developer portal.
#[derive(Clone, Debug)]
pub struct OAuthClient {
    pub client_id: String,
    pub client_secret: String,
    /// Matched exactly, as Gusto does.
    pub redirect_uris: Vec<String>,
}

/// A Gusto company.
#[derive(Clone, Debug)]
pub struct Company {
    pub uuid: String,
    pub name: String,
    /// How many employees (current and terminated) the company has; generated on demand.
    pub employees: usize,
    /// Seeds the generated employees: the same seed and index always give the same person.
    pub seed: u64,
    /// The users who can sign in and grant access to this company.
    pub admins: Vec<User>,
}

/// A company administrator's Gusto login.
#[derive(Clone, Debug)]
pub struct User {
    pub uuid: String,
    pub email: String,
    pub password: String,
}

/// Requests allowed per grant in one 60-second window.
pub(crate) const RATE_LIMIT: u32 = 200;
const RATE_WINDOW: Duration = Duration::from_secs(60);
/// Authorization codes are short-lived.
pub(crate) const CODE_TTL: Duration = Duration::from_secs(600);

/// Starts the emulator on `listen` (pass `127.0.0.1:0` for a free port).
pub async fn start(config: Config, listen: SocketAddr) -> std::io::Result<RunningEmulator> {
    Ok(start_with_world(config, listen).await?.0)
}

/// [`start`], and the [`World`] to read and change the emulator's data and grants with.
pub async fn start_with_world(config: Config, listen: SocketAddr) -> std::io::Result<(RunningEmulator, World)> {
    let faults = Faults::default();
    let (router, world) = router_with_world(config, faults.clone(), Clock::default());
    Ok((crate::serve(router, listen, faults).await?, world))
}

/// The emulator as a router, for in-process use.
pub fn router(config: Config, faults: Faults) -> Router {
    router_with_world(config, faults, Clock::default()).0
}

pub(crate) fn router_with_world(config: Config, faults: Faults, clock: Clock) -> (Router, World) {
    let today = crate::data::Date::of_unix(clock.unix_secs() as i64);
    let companies = config.companies.iter().map(|_| world::CompanyState::new(today)).collect();
    let state = Arc::new(AppState { config, clock, store: Mutex::new(Store::default()), companies });
    let world = World { state: state.clone() };
    let api = Router::new()
        .route("/v1/token_info", get(api::token_info))
        .route("/v1/companies/{company_id}", get(api::company))
        .route("/v1/companies/{company_id}/employees", get(api::employees))
        .route("/v1/companies/{company_id}/locations", get(api::locations))
        .route("/v1/companies/{company_id}/departments", get(api::departments))
        .route("/v1/companies/{company_id}/pay_schedules", get(payroll::pay_schedules))
        .route("/v1/companies/{company_id}/pay_schedules/assignments", get(payroll::assignments))
        .route("/v1/companies/{company_id}/payrolls", get(payroll::list))
        .route("/v1/companies/{company_id}/payrolls/{payroll_id}", get(payroll::show))
        .route("/v1/employees/{employee_id}/bank_accounts", get(api::bank_accounts))
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate));
    let router = Router::new()
        .route("/oauth/authorize", get(oauth::authorize_page).post(oauth::authorize_decision))
        .route("/oauth/token", axum::routing::post(oauth::token))
        .merge(api)
        .fallback(not_found)
        .with_state(state)
        .layer(middleware::from_fn_with_state(faults, inject_faults));
    (router, world)
}

pub(crate) struct AppState {
    pub(crate) config: Config,
    pub(crate) clock: Clock,
    pub(crate) store: Mutex<Store>,
    /// Parallel to `config.companies`: what tests changed.
    pub(crate) companies: Vec<world::CompanyState>,
}

/// Issued codes and tokens, and the rate-limit windows. Expired entries are dropped whenever a
/// token is issued, so the maps hold only what is live.
#[derive(Default)]
pub(crate) struct Store {
    pub(crate) codes: HashMap<String, AuthorizationCode>,
    pub(crate) access_tokens: HashMap<String, AccessToken>,
    pub(crate) refresh_tokens: HashMap<String, RefreshToken>,
    windows: HashMap<u64, RateWindow>,
    pub(crate) next_grant_id: u64,
    /// Successful `refresh_token` grants, by company index.
    pub(crate) refreshes: HashMap<usize, u64>,
}

/// What a user granted: one company, through one application.
#[derive(Clone, Debug)]
pub(crate) struct Grant {
    /// Identifies the grant across refreshes; the rate limit is counted per grant.
    pub(crate) id: u64,
    pub(crate) client_id: String,
    pub(crate) company: usize,
    pub(crate) admin: usize,
    pub(crate) scope: String,
}

pub(crate) struct AuthorizationCode {
    pub(crate) grant: Grant,
    pub(crate) redirect_uri: String,
    pub(crate) expires_at: Instant,
}

pub(crate) struct AccessToken {
    pub(crate) grant: Grant,
    pub(crate) expires_at: Instant,
}

pub(crate) struct RefreshToken {
    pub(crate) grant: Grant,
    /// The access token issued with it, revoked when this one is used.
    pub(crate) access_token: String,
}

struct RateWindow {
    opened_at: Instant,
    count: u32,
}

/// Gusto's error body: `{"errors":[{"error_key","category","message"}]}`.
pub(crate) fn error(status: StatusCode, category: &str, message: &str) -> Response {
    let body = serde_json::json!({ "errors": [{ "error_key": "request", "category": category, "message": message }] });
    (status, axum::Json(body)).into_response()
}

fn unauthorized(description: Option<&str>) -> Response {
    let message = description.unwrap_or("The access token is missing");
    let mut response = error(StatusCode::UNAUTHORIZED, "invalid_token", message);
    // RFC 6750 §3: no error code when the request carried no token at all.
    let challenge = match description {
        Some(d) => format!("Bearer realm=\"Gusto\", error=\"invalid_token\", error_description=\"{d}\""),
        None => "Bearer realm=\"Gusto\"".to_owned(),
    };
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// `X-Gusto-API-Version` must look like a date when present.
fn valid_api_version(value: &str) -> bool {
    let b = value.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// The Bearer API's gate: API version, token, then the per-grant rate limit. The grant is passed
/// to the handler; the rate-limit headers are added to whatever it answers.
async fn authenticate(State(state): State<Arc<AppState>>, mut request: Request, next: Next) -> Response {
    if let Some(version) = request.headers().get("x-gusto-api-version") {
        let version = version.to_str().unwrap_or("");
        if !valid_api_version(version) {
            return error(
                StatusCode::NOT_ACCEPTABLE,
                "invalid_api_version",
                &format!("Invalid API Version `{version}`. Expected format: YYYY-MM-DD"),
            );
        }
    }
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned());
    let Some(token) = token else {
        return unauthorized(None);
    };
    let now = state.clock.now();
    let (grant, limit) = {
        let mut store = state.store.lock().expect("store lock");
        let grant = match store.access_tokens.get(&token) {
            None => return unauthorized(Some("The access token is invalid")),
            Some(t) if t.expires_at <= now => return unauthorized(Some("The access token expired")),
            Some(t) => t.grant.clone(),
        };
        let window = store.windows.entry(grant.id).or_insert(RateWindow { opened_at: now, count: 0 });
        // A window opens with the first request and closes 60 s later; the next request opens a new one.
        if now >= window.opened_at + RATE_WINDOW {
            *window = RateWindow { opened_at: now, count: 0 };
        }
        let resets_in = (window.opened_at + RATE_WINDOW).saturating_duration_since(now);
        let limited = window.count >= RATE_LIMIT;
        if !limited {
            window.count += 1;
        }
        (grant, (limited, RATE_LIMIT - window.count, resets_in))
    };
    let (limited, remaining, resets_in) = limit;
    let resets_in_secs = resets_in.as_secs() + u64::from(resets_in.subsec_nanos() > 0);
    let mut response = if limited {
        rate_limited(resets_in_secs)
    } else {
        request.extensions_mut().insert(grant);
        next.run(request).await
    };
    rate_limit_headers(&mut response, &state.clock, remaining, resets_in_secs);
    response
}

fn rate_limited(retry_after_secs: u64) -> Response {
    let mut response = (StatusCode::TOO_MANY_REQUESTS, "Rate Limit Exceeded").into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

fn rate_limit_headers(response: &mut Response, clock: &Clock, remaining: u32, resets_in_secs: u64) {
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(RATE_LIMIT));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    if let Ok(reset) = HeaderValue::from_str(&gusto_datetime(clock.unix_secs() + resets_in_secs)) {
        headers.insert("x-ratelimit-reset", reset);
    }
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "not_found", "The requested resource was not found.")
}

/// Answers an injected fault instead of the request.
async fn inject_faults(State(faults): State<Faults>, request: Request, next: Next) -> Response {
    match faults.on_request() {
        None => next.run(request).await,
        Some(Fault::RateLimited { retry_after_secs }) => {
            let mut response = rate_limited(retry_after_secs);
            rate_limit_headers(&mut response, &Clock::default(), 0, retry_after_secs);
            response
        }
        Some(Fault::Status(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let (category, message) = match status.as_u16() {
                401 => ("invalid_token", "The access token is invalid"),
                403 => ("missing_permissions", "You do not have access to this resource."),
                404 => ("not_found", "The requested resource was not found."),
                409 => ("invalid_resource_version", "The resource version is out of date."),
                s if s >= 500 => ("internal_error", "An unexpected error has occurred."),
                _ => ("invalid_operation", "The request could not be processed."),
            };
            error(status, category, message)
        }
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn api_versions_are_dates() {
        assert!(valid_api_version("2025-06-15"));
        for bad in ["2023", "2025-6-15", "2025/06/15", "v2025-06-15", "2025-06-1x", ""] {
            assert!(!valid_api_version(bad), "{bad}");
        }
    }
}
