//! The Bearer API: token introspection, the company, its locations, departments and employees,
//! and employees' bank accounts.

use std::collections::HashSet;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::paging::{DEFAULT_PER, granted_company, page_headers, page_params, paginated};
use super::world::{Emp, View, slug};
use super::{AppState, Grant, error};
use crate::data::{LOCATIONS, index_from_uuid, mix, uuid_for};
use crate::{query_pairs, streamed_body};

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
