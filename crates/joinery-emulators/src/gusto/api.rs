//! The Bearer API: token introspection, the company, its employees.

use std::collections::HashSet;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{AppState, Company, Grant, error};
use crate::data::{LOCATIONS, Person, Rng, department_index, index_from_uuid, mix, uuid_for};
use crate::{query_pairs, streamed_body};

/// `per` when the client sends `page` without it.
pub(crate) const DEFAULT_PER: usize = 25;

// Salts keep the UUIDs of different kinds of record apart.
const EMPLOYEE: u64 = 1;
const JOB: u64 = 2;
const COMPENSATION: u64 = 3;
const DEPARTMENT: u64 = 4;
const LOCATION: u64 = 5;
const TERMINATION: u64 = 6;
const VERSION: u64 = 7;
const ONBOARDING: u64 = 8;

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
fn granted_company<'a>(state: &'a AppState, grant: &Grant, company_id: &str) -> Result<&'a Company, Response> {
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

fn slug(name: &str) -> String {
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

fn version(seed: u64, salt: u64, index: usize) -> String {
    format!("{:016x}{:016x}", mix(seed ^ salt ^ index as u64), mix(seed ^ mix(salt) ^ index as u64))
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
    let seed = company.seed;
    let admin = &company.admins[grant.admin];
    let locations: Vec<Value> = LOCATIONS
        .iter()
        .enumerate()
        .map(|(i, (_, city, state, zip, _))| {
            json!({
                "uuid": uuid_for(seed, LOCATION, i),
                "street_1": format!("{} Main Street", 100 + i * 10),
                "street_2": null,
                "city": city,
                "state": state,
                "zip": zip,
                "country": "USA",
                "active": true,
            })
        })
        .collect();
    let named = |salt: u64, names: &[&str]| -> Vec<Value> {
        names.iter().enumerate().map(|(i, n)| json!({ "uuid": uuid_for(seed, salt, 1000 + i), "name": n })).collect()
    };
    let hourly: Vec<Value> = [("Regular", 1.0), ("Overtime", 1.5), ("Double overtime", 2.0)]
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
        "join_date": "2019-01-15",
        "funding_type": "ach",
        "locations": locations,
        "compensations": {
            "hourly": hourly,
            "fixed": named(21, &["Bonus", "Commission", "Paycheck Tips"]),
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

/// Gusto-only facts about an employee, on top of the shared [`Person`].
fn onboarded(seed: u64, p: &Person) -> bool {
    // Terminated employees were onboarded; about one current employee in twenty is mid-onboarding.
    !p.active() || !Rng::new(seed, p.index as u64, ONBOARDING).chance(5)
}

/// One Employee (the schema of `GET /v1/companies/{id}/employees`).
fn employee(company: &Company, p: &Person) -> Value {
    let seed = company.seed;
    let uuid = uuid_for(seed, EMPLOYEE, p.index);
    let job_uuid = uuid_for(seed, JOB, p.index);
    let compensation_uuid = uuid_for(seed, COMPENSATION, p.index);
    let department = department_index(p.department);
    let rate = format!("{}.00", p.salary);
    let onboarded = onboarded(seed, p);
    let local = p.email_local_part();
    let terminations: Vec<Value> = p
        .termination_date
        .map(|date| {
            json!({
                "uuid": uuid_for(seed, TERMINATION, p.index),
                "version": version(seed, TERMINATION, p.index),
                "employee_uuid": uuid,
                "active": true,
                "cancelable": false,
                "effective_date": date.iso(),
                "run_termination_payroll": false,
            })
        })
        .into_iter()
        .collect();
    let job = json!({
        "uuid": job_uuid,
        "version": version(seed, JOB, p.index),
        "employee_uuid": uuid,
        "hire_date": p.hire_date.iso(),
        "title": p.job_title,
        "primary": true,
        "rate": rate,
        "payment_unit": "Year",
        "current_compensation_uuid": compensation_uuid,
        "two_percent_shareholder": false,
        "state_wc_covered": null,
        "state_wc_class_code": null,
        "location_uuid": uuid_for(seed, LOCATION, p.location),
        "compensations": [{
            "uuid": compensation_uuid,
            "version": version(seed, COMPENSATION, p.index),
            "job_uuid": job_uuid,
            "employee_uuid": uuid,
            "rate": rate,
            "payment_unit": "Year",
            "flsa_status": "Exempt",
            "adjust_for_minimum_wage": false,
            "minimum_wages": [],
            "effective_date": p.hire_date.iso(),
        }],
    });
    json!({
        "uuid": uuid,
        "first_name": p.first_name,
        "middle_initial": p.middle_name.and_then(|m| m.chars().next()).map(String::from),
        "last_name": p.last_name,
        "preferred_first_name": p.preferred_name,
        "email": format!("{local}@mail.example"),
        "work_email": format!("{local}@{}.example", slug(&company.name)),
        "company_uuid": company.uuid,
        "manager_uuid": p.manager.map(|m| uuid_for(seed, EMPLOYEE, m)),
        "version": version(seed, VERSION, p.index),
        "department": p.department,
        "department_uuid": uuid_for(seed, DEPARTMENT, department),
        "terminated": !p.active(),
        "two_percent_shareholder": false,
        "onboarded": onboarded,
        "onboarding_status": if onboarded { "onboarding_completed" } else { "admin_onboarding_incomplete" },
        "onboarding_documents_config": { "uuid": null, "i9_document": false },
        "jobs": [job],
        "eligible_paid_time_off": [],
        "terminations": terminations,
        "garnishments": [],
        "date_of_birth": p.date_of_birth.iso(),
        "has_ssn": true,
        "ssn": "",
        "phone": p.mobile_phone,
        "payment_method": if p.index.is_multiple_of(5) { "Check" } else { "Direct Deposit" },
        "current_employment_status": if p.part_time { "part_time_twenty_plus_hours" } else { "full_time" },
        "historical": false,
        "employee_code": format!("{:06x}", mix(seed ^ p.index as u64) & 0xFF_FFFF),
        "title": p.job_title,
        "hired_at": p.hire_date.iso(),
        "flsa_status": "Exempt",
    })
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
}

impl Filter {
    fn is_empty(&self) -> bool {
        self.terminated.is_none()
            && self.terminated_today.is_none()
            && self.onboarded.is_none()
            && self.onboarded_active.is_none()
            && self.uuids.is_none()
            && self.search_term.is_none()
    }

    fn matches(&self, seed: u64, p: &Person) -> bool {
        // Terminations are all in the past, so "terminated" and "terminated today" agree.
        let terminated = !p.active();
        let onboarded = onboarded(seed, p);
        let name = || format!("{} {} {}", p.first_name, p.preferred_name.unwrap_or(""), p.last_name).to_lowercase();
        self.terminated.is_none_or(|t| t == terminated)
            && self.terminated_today.is_none_or(|t| t == terminated)
            && self.onboarded.is_none_or(|o| o == onboarded)
            && self.onboarded_active.is_none_or(|o| o == (onboarded && !terminated))
            && self.uuids.as_ref().is_none_or(|u| u.contains(&p.index))
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
/// `X-Page`/`X-Total-*`/`X-Per-Page` headers), else the whole list.
pub(crate) async fn employees(
    State(state): State<Arc<AppState>>,
    Extension(grant): Extension<Grant>,
    Path(company_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let company = match granted_company(&state, &grant, &company_id) {
        Ok(company) => company.clone(),
        Err(response) => return response,
    };
    let seed = company.seed;
    let len = company.employees;
    let mut filter = Filter::default();
    let (mut page, mut per) = (None, None);
    for (key, value) in query_pairs(raw.as_deref()) {
        match key.as_str() {
            // Like Rails' paginators: a page below 1, or not a number, is the first page.
            "page" => page = Some(value.parse::<usize>().ok().filter(|p| *p >= 1).unwrap_or(1)),
            "per" => per = Some(value.parse::<usize>().ok().filter(|p| *p >= 1).unwrap_or(DEFAULT_PER)),
            "terminated" => filter.terminated = boolean(&value),
            "terminated_today" => filter.terminated_today = boolean(&value),
            "onboarded" => filter.onboarded = boolean(&value),
            "onboarded_active" => filter.onboarded_active = boolean(&value),
            "uuids" => {
                let set = filter.uuids.get_or_insert_with(HashSet::new);
                set.extend(
                    value.split(',').filter_map(|u| index_from_uuid(seed, EMPLOYEE, u.trim())).filter(|i| *i < len),
                );
            }
            "search_term" if !value.trim().is_empty() => filter.search_term = Some(value.trim().to_lowercase()),
            _ => {}
        }
    }
    let unfiltered = filter.is_empty();
    let matching = {
        let company = company.clone();
        move |index: usize| {
            let p = Person::generate(company.seed, index);
            filter.matches(company.seed, &p).then_some(p)
        }
    };

    if page.is_none() && per.is_none() {
        let company = company.clone();
        let items = (0..len)
            .filter_map(matching)
            .enumerate()
            .map(move |(n, p)| format!("{}{}", if n == 0 { "" } else { "," }, employee(&company, &p)));
        let body = streamed_body("[".to_owned(), items, "]".to_owned());
        return ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    }

    let (page, per) = (page.unwrap_or(1), per.unwrap_or(DEFAULT_PER));
    let skip = (page - 1).saturating_mul(per);
    let (total, records): (usize, Vec<Value>) = if unfiltered {
        let records = (skip.min(len)..skip.saturating_add(per).min(len))
            .map(|i| employee(&company, &Person::generate(seed, i)))
            .collect();
        (len, records)
    } else {
        let mut total = 0;
        let mut records = Vec::new();
        for p in (0..len).filter_map(&matching) {
            if total >= skip && records.len() < per {
                records.push(employee(&company, &p));
            }
            total += 1;
        }
        (total, records)
    };
    let mut response = axum::Json(records).into_response();
    let headers = response.headers_mut();
    headers.insert("x-page", HeaderValue::from(page));
    headers.insert("x-per-page", HeaderValue::from(per));
    headers.insert("x-total-count", HeaderValue::from(total));
    headers.insert("x-total-pages", HeaderValue::from(total.div_ceil(per)));
    response
}
