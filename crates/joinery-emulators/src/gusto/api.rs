//! The Bearer API: token introspection, the company, its locations, departments and employees,
//! and employees' bank accounts.

use std::collections::HashSet;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::world::{Emp, View};
use super::{AppState, Company, Grant, error};
use crate::data::{LOCATIONS, index_from_uuid, mix, uuid_for};
use crate::{query_pairs, streamed_body};

/// `per` when the client sends `page` without it.
pub(crate) const DEFAULT_PER: usize = 25;

/// `GET /v1/token_info`
pub(crate) async fn token_info(State(state): State<Arc<AppState>>, Extension(grant): Extension<Grant>) -> Response {
    let company = &state.config.companies[grant.company];
    axum::Json(json!({
        "scope": grant.scope,
        "resource": { "type": "Company", "uuid": company.uuid },
        "resource_owner": { "type": "CompanyAdmin", "uuid": company.admins[grant.admin].uuid },
    }))
    .into_response()
}

/// Strict access: a token reads only the company it was granted for.
pub(crate) fn granted_company<'a>(
    state: &'a AppState,
    grant: &Grant,
    company_id: &str,
) -> Result<&'a Company, Response> {
    let company = &state.config.companies[grant.company];
    if company.uuid != company_id {
        return Err(error(
            StatusCode::FORBIDDEN,
            "missing_permissions",
            "This access token is reserved for another company.",
        ));
    }
    Ok(company)
}

pub(crate) fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// `page` and `per` as sent. Like Rails' paginators: a page below 1, or not a number, is the
/// first page; a bad `per` is the default.
pub(crate) fn page_params(pairs: &[(String, String)]) -> (Option<usize>, Option<usize>) {
    let (mut page, mut per) = (None, None);
    for (key, value) in pairs {
        match key.as_str() {
            "page" => page = Some(value.parse::<usize>().ok().filter(|p| *p >= 1).unwrap_or(1)),
            "per" => per = Some(value.parse::<usize>().ok().filter(|p| *p >= 1).unwrap_or(DEFAULT_PER)),
            _ => {}
        }
    }
    (page, per)
}

/// `X-Page`, `X-Per-Page`, `X-Total-Count`, `X-Total-Pages`.
pub(crate) fn page_headers(response: &mut Response, page: usize, per: usize, total: usize) {
    let headers = response.headers_mut();
    headers.insert("x-page", HeaderValue::from(page));
    headers.insert("x-per-page", HeaderValue::from(per));
    headers.insert("x-total-count", HeaderValue::from(total));
    headers.insert("x-total-pages", HeaderValue::from(total.div_ceil(per)));
}

/// A list answer: everything when neither `page` nor `per` was sent ("when unspecified, will
/// load all objects"), else the page with the pagination headers.
pub(crate) fn paginated(items: Vec<Value>, page: Option<usize>, per: Option<usize>) -> Response {
    if page.is_none() && per.is_none() {
        return axum::Json(items).into_response();
    }
    let (page, per) = (page.unwrap_or(1), per.unwrap_or(DEFAULT_PER));
    let total = items.len();
    let skip = (page - 1).saturating_mul(per);
    let records: Vec<Value> = items.into_iter().skip(skip).take(per).collect();
    let mut response = axum::Json(records).into_response();
    page_headers(&mut response, page, per, total);
    response
}

/// `GET /v1/companies/{company_id}`: the Company schema.
pub(crate) async fn company(
    State(state): State<Arc<AppState>>,
    Extension(grant): Extension<Grant>,
    Path(company_id): Path<String>,
) -> Response {
    let company = match granted_company(&state, &grant, &company_id) {
        Ok(company) => company,
        Err(response) => return response,
    };
    let view = View::of(&state, grant.company);
    let seed = company.seed;
    let admin = &company.admins[grant.admin];
    let locations: Vec<Value> = (0..LOCATIONS.len())
        .map(|i| {
            let l = view.location_json(i);
            json!({
                "street_1": l["street_1"], "street_2": l["street_2"], "city": l["city"], "state": l["state"],
                "zip": l["zip"], "country": l["country"], "active": l["active"],
            })
        })
        .collect();
    let named = |salt: u64, names: &[&str]| -> Vec<Value> {
        names.iter().enumerate().map(|(i, n)| json!({ "uuid": uuid_for(seed, salt, 1000 + i), "name": n })).collect()
    };
    let hourly: Vec<Value> = [("Regular Hours", 1.0), ("Overtime", 1.5), ("Double overtime", 2.0)]
        .iter()
        .enumerate()
        .map(|(i, (name, multiple))| json!({ "uuid": uuid_for(seed, 20, i), "name": name, "multiple": multiple }))
        .collect();
    let (first_name, last_name) =
        admin.email.split('@').next().unwrap_or("admin").split_once('.').unwrap_or(("Company", "Admin"));
    axum::Json(json!({
        "uuid": company.uuid,
        "name": company.name,
        "trade_name": company.name,
        "slug": slug(&company.name),
        "ein": format!("{:02}-{:07}", seed % 100, mix(seed) % 10_000_000),
        "entity_type": "C-Corporation",
        "contractor_only": false,
        "tier": "complete",
        "is_suspended": false,
        "company_status": "Approved",
        "is_high_risk_business": false,
        "is_marijuana_business": false,
        "is_partner_managed": false,
        "pay_schedule_type": "single",
        "join_date": super::payroll::join_date(view.today).iso(),
        "funding_type": "ach",
        "locations": locations,
        "compensations": {
            "hourly": hourly,
            "fixed": named(21, &["Bonus", "Commission", "Paycheck Tips", "Reimbursement"]),
            "paid_time_off": named(22, &["Vacation Hours", "Sick Hours", "Holiday Hours"]),
        },
        "primary_signatory": null,
        "primary_payroll_admin": {
            "first_name": first_name,
            "last_name": last_name,
            "phone": null,
            "email": admin.email,
        },
    }))
    .into_response()
}

/// `GET /v1/companies/{company_id}/locations`: the Location schema, paginated when asked.
pub(crate) async fn locations(
    State(state): State<Arc<AppState>>,
    Extension(grant): Extension<Grant>,
    Path(company_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Err(response) = granted_company(&state, &grant, &company_id) {
        return response;
    }
    let view = View::of(&state, grant.company);
    let (page, per) = page_params(&query_pairs(raw.as_deref()));
    paginated((0..LOCATIONS.len()).map(|i| view.location_json(i)).collect(), page, per)
}

/// `GET /v1/companies/{company_uuid}/departments`: every department with its employees. Not
/// paginated (the endpoint documents no `page`/`per`).
pub(crate) async fn departments(
    State(state): State<Arc<AppState>>,
    Extension(grant): Extension<Grant>,
    Path(company_id): Path<String>,
) -> Response {
    if let Err(response) = granted_company(&state, &grant, &company_id) {
        return response;
    }
    axum::Json(View::of(&state, grant.company).departments_json()).into_response()
}

/// `GET /v1/employees/{employee_id}/bank_accounts`: 404 for an employee the grant's company does
/// not have.
pub(crate) async fn bank_accounts(
    State(state): State<Arc<AppState>>,
    Extension(grant): Extension<Grant>,
    Path(employee_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let view = View::of(&state, grant.company);
    let Some(index) = view.employee_index(&employee_id) else {
        return error(StatusCode::NOT_FOUND, "not_found", "The requested resource was not found.");
    };
    let (page, per) = page_params(&query_pairs(raw.as_deref()));
    paginated(view.bank_accounts(&view.employee(index)), page, per)
}

/// The documented filters this emulator applies.
#[derive(Default)]
struct Filter {
    terminated: Option<bool>,
    terminated_today: Option<bool>,
    onboarded: Option<bool>,
    onboarded_active: Option<bool>,
    uuids: Option<HashSet<usize>>,
    search_term: Option<String>,
    location: Option<usize>,
}

impl Filter {
    fn is_empty(&self) -> bool {
        self.terminated.is_none()
            && self.terminated_today.is_none()
            && self.onboarded.is_none()
            && self.onboarded_active.is_none()
            && self.uuids.is_none()
            && self.search_term.is_none()
            && self.location.is_none()
    }

    fn matches(&self, view: &View, e: &Emp) -> bool {
        let p = &e.p;
        // Terminations are all in the past, so "terminated" and "terminated today" agree.
        let terminated = !p.active();
        let onboarded = view.onboarded(e);
        let name = || format!("{} {} {}", e.first_name, p.preferred_name.unwrap_or(""), e.last_name).to_lowercase();
        self.terminated.is_none_or(|t| t == terminated)
            && self.terminated_today.is_none_or(|t| t == terminated)
            && self.onboarded.is_none_or(|o| o == onboarded)
            && self.onboarded_active.is_none_or(|o| o == (onboarded && !terminated))
            && self.uuids.as_ref().is_none_or(|u| u.contains(&p.index))
            && self.location.is_none_or(|l| l == p.location)
            && self.search_term.as_ref().is_none_or(|s| name().contains(s.as_str()))
    }
}

/// Rails-style booleans; anything else leaves the filter off.
fn boolean(value: &str) -> Option<bool> {
    match value {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// `GET /v1/companies/{company_id}/employees`: paginated when `page` or `per` is sent (with the
/// `X-Page`/`X-Total-*`/`X-Per-Page` headers), else the whole list, streamed.
pub(crate) async fn employees(
    State(state): State<Arc<AppState>>,
    Extension(grant): Extension<Grant>,
    Path(company_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Err(response) = granted_company(&state, &grant, &company_id) {
        return response;
    }
    let view = Arc::new(View::of(&state, grant.company));
    let seed = view.seed();
    let mut filter = Filter::default();
    let mut all_compensations = false;
    let pairs = query_pairs(raw.as_deref());
    for (key, value) in &pairs {
        match key.as_str() {
            "terminated" => filter.terminated = boolean(value),
            "terminated_today" => filter.terminated_today = boolean(value),
            "onboarded" => filter.onboarded = boolean(value),
            "onboarded_active" => filter.onboarded_active = boolean(value),
            "uuids" => {
                let set = filter.uuids.get_or_insert_with(HashSet::new);
                set.extend(value.split(',').filter_map(|u| view.employee_index(u.trim())));
            }
            "location_uuid" => {
                // An unknown location matches nobody.
                let location = index_from_uuid(seed, super::world::LOCATION, value.trim());
                filter.location = Some(location.filter(|l| *l < LOCATIONS.len()).unwrap_or(usize::MAX));
            }
            "search_term" if !value.trim().is_empty() => filter.search_term = Some(value.trim().to_lowercase()),
            "include" => all_compensations |= value.split(',').any(|v| v.trim() == "all_compensations"),
            _ => {}
        }
    }
    let (page, per) = page_params(&pairs);
    let filter = Arc::new(filter);
    let matching = {
        let (view, filter) = (view.clone(), filter.clone());
        move |index: usize| {
            let e = view.employee(index);
            filter.matches(&view, &e).then_some(e)
        }
    };

    if page.is_none() && per.is_none() {
        let indexes: Vec<usize> = view.indexes().collect();
        let view = view.clone();
        let items = indexes.into_iter().filter_map(matching).enumerate().map(move |(n, e)| {
            format!("{}{}", if n == 0 { "" } else { "," }, view.employee_json(&e, all_compensations))
        });
        let body = streamed_body("[".to_owned(), items, "]".to_owned());
        return ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    }

    let (page, per) = (page.unwrap_or(1), per.unwrap_or(DEFAULT_PER));
    let skip = (page - 1).saturating_mul(per);
    let (total, records) = if filter.is_empty() {
        // Only the page is generated.
        let records =
            view.indexes().skip(skip).take(per).map(|i| view.employee_json(&view.employee(i), all_compensations));
        (view.count(), records.collect())
    } else {
        let mut total = 0;
        let mut records = Vec::new();
        for e in view.indexes().filter_map(&matching) {
            if total >= skip && records.len() < per {
                records.push(view.employee_json(&e, all_compensations));
            }
            total += 1;
        }
        (total, records)
    };
    let mut response = axum::Json(records).into_response();
    page_headers(&mut response, page, per, total);
    response
}
