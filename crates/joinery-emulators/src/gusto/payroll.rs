//! Pay schedules and payrolls: `GET /v1/companies/{id}/pay_schedules`,
//! `/pay_schedules/assignments`, `/payrolls` and `/payrolls/{payroll_id}`.
//!
//! The company pays every employee on one schedule (assignment type `single`), every other
//! Friday for the two weeks that ended the Friday before. It joined Gusto six pay periods before
//! the emulator started: six regular payrolls are processed, one off-cycle bonus payroll too, and
//! the next regular payroll is open (unprocessed). Amounts are computed in cents from each
//! employee's compensation in effect at the end of the period.

use std::collections::HashSet;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::paging::{DEFAULT_PER, granted_company, page_headers, page_params, paginated};
use super::world::{OFF_CYCLE_PAYROLL, PAYROLL, View, money, version};
use super::{AppState, Grant, error};
use crate::data::{Date, Rng, index_from_uuid, uuid_for};
use crate::query_pairs;

/// The end of the pay period of the schedule's anchor payroll (a Friday); periods are 14 days.
const ANCHOR_PERIOD_END: Date = Date::from_ymd(2026, 1, 2);
/// Paid a week after the period ends.
const CHECK_DELAY: i64 = 7;
/// Regular payrolls processed before the emulator started.
const HISTORY: i64 = 6;
/// Period numbers are shifted into `usize` for UUIDs.
const PERIOD_BASE: i64 = 1_000_000;

/// One payroll of the company.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Run {
    /// The pay period's number since the anchor.
    period: i64,
    off_cycle: bool,
    pub(crate) processed: bool,
}

impl Run {
    fn period_end(self) -> Date {
        ANCHOR_PERIOD_END.plus(14 * self.period)
    }

    pub(crate) fn period_start(self) -> Date {
        self.period_end().plus(-13)
    }

    fn check_date(self) -> Date {
        self.period_end().plus(CHECK_DELAY + if self.off_cycle { 3 } else { 0 })
    }

    fn uuid(self, seed: u64) -> String {
        uuid_for(seed, if self.off_cycle { OFF_CYCLE_PAYROLL } else { PAYROLL }, (self.period + PERIOD_BASE) as usize)
    }
}

/// The last period paid on or before `today`.
fn last_paid_period(today: Date) -> i64 {
    (today.0 - ANCHOR_PERIOD_END.0 - CHECK_DELAY).div_euclid(14)
}

/// Every payroll of the company, in check-date order.
pub(crate) fn runs(view: &View) -> Vec<Run> {
    let last = last_paid_period(view.today);
    let mut runs: Vec<Run> =
        (last - HISTORY + 1..=last).map(|period| Run { period, off_cycle: false, processed: true }).collect();
    runs.push(Run { period: last - 2, off_cycle: true, processed: true });
    runs.push(Run { period: last + 1, off_cycle: false, processed: false });
    runs.sort_by_key(|r| r.check_date());
    runs
}

/// The day the company joined Gusto: the start of its first payroll's period.
pub(crate) fn join_date(today: Date) -> Date {
    Run { period: last_paid_period(today) - HISTORY + 1, off_cycle: false, processed: true }.period_start()
}

fn find_run(view: &View, uuid: &str) -> Option<Run> {
    let seed = view.seed();
    let period = index_from_uuid(seed, PAYROLL, uuid)
        .map(|i| (i as i64 - PERIOD_BASE, false))
        .or_else(|| index_from_uuid(seed, OFF_CYCLE_PAYROLL, uuid).map(|i| (i as i64 - PERIOD_BASE, true)))?;
    runs(view).into_iter().find(|r| (r.period, r.off_cycle) == period)
}

/// One employee's pay in one payroll, in cents.
struct Paycheck {
    index: usize,
    first_name: String,
    last_name: String,
    preferred_first_name: Option<&'static str>,
    payment_method: &'static str,
    job_uuid: String,
    flsa: &'static str,
    /// (name, hours in thousandths, amount)
    hourly: Vec<(&'static str, u64, u64)>,
    fixed: Vec<(&'static str, u64)>,
    /// (name, employer, amount)
    taxes: Vec<(&'static str, bool, u64)>,
    deductions: Vec<(&'static str, u64)>,
    /// (name, employee deduction, company contribution)
    benefits: Vec<(&'static str, u64, u64)>,
}

impl Paycheck {
    fn gross(&self) -> u64 {
        self.hourly.iter().map(|h| h.2).sum::<u64>() + self.fixed.iter().map(|f| f.1).sum::<u64>()
    }

    fn employee_taxes(&self) -> u64 {
        self.taxes.iter().filter(|t| !t.1).map(|t| t.2).sum()
    }

    fn employer_taxes(&self) -> u64 {
        self.taxes.iter().filter(|t| t.1).map(|t| t.2).sum()
    }

    fn deducted(&self) -> u64 {
        self.deductions.iter().map(|d| d.1).sum::<u64>() + self.benefits.iter().map(|b| b.1).sum::<u64>()
    }

    fn net(&self) -> u64 {
        self.gross().saturating_sub(self.employee_taxes() + self.deducted())
    }
}

fn percent(cents: u64, hundredths: u64) -> u64 {
    (cents * hundredths + 5_000) / 10_000
}

/// Who the payroll pays and how much: every employee employed during the period.
fn paychecks(view: &View, run: Run) -> Vec<Paycheck> {
    let (start, end) = (run.period_start(), run.period_end());
    let seed = view.seed();
    view.indexes()
        .filter_map(|index| {
            let e = view.employee(index);
            let employed = e.p.hire_date <= end && e.p.termination_date.is_none_or(|t| t >= start);
            if !employed {
                return None;
            }
            let pays = view.compensations(&e);
            let pay = view.pay_on(&pays, end);
            let mut check = Paycheck {
                index,
                first_name: e.first_name.clone(),
                last_name: e.last_name.clone(),
                preferred_first_name: e.p.preferred_name,
                payment_method: view.payment_method(&e),
                job_uuid: view.job_uuid(index),
                flsa: pay.flsa,
                hourly: Vec::new(),
                fixed: Vec::new(),
                taxes: Vec::new(),
                deductions: Vec::new(),
                benefits: Vec::new(),
            };
            if run.off_cycle {
                check.fixed.push(("Bonus", 50_000));
            } else if pay.unit == "Hour" {
                let hours = 40 + Rng::new(seed, index as u64 ^ run.period as u64, 30).below(21);
                check.hourly.push(("Regular Hours", hours * 1000, hours * pay.cents));
            } else {
                check.hourly.push(("Regular Hours", 80_000, pay.cents / 26));
            }
            let gross = check.gross();
            check.taxes = vec![
                ("Federal Income Tax", false, percent(gross, 1000)),
                ("Social Security", false, percent(gross, 620)),
                ("Medicare", false, percent(gross, 145)),
                ("Social Security", true, percent(gross, 620)),
                ("Medicare", true, percent(gross, 145)),
                ("FUTA", true, percent(gross, 60)),
            ];
            if !run.off_cycle {
                if index.is_multiple_of(2) {
                    check.deductions.push(("401(k)", percent(gross, 400)));
                }
                if !e.p.part_time {
                    check.benefits.push(("Medical", 5_000, 20_000));
                }
            }
            Some(check)
        })
        .collect()
}

/// What `include` asked for.
#[derive(Default)]
struct Include(HashSet<String>);

impl Include {
    fn parse(value: &str) -> Include {
        Include(value.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
    }

    fn has(&self, what: &str) -> bool {
        self.0.contains(what)
    }
}

/// The Payroll schema (without employee compensations).
fn payroll_json(view: &View, run: Run, checks: &[Paycheck], include: &Include, show: bool) -> Map<String, Value> {
    let seed = view.seed();
    let uuid = run.uuid(seed);
    let check_date = run.check_date();
    let processed_date = check_date.plus(-4);
    let mut out = json!({
        "uuid": uuid,
        "payroll_uuid": uuid,
        "company_uuid": view.company.uuid,
        "off_cycle": run.off_cycle,
        "auto_pilot": false,
        "processed": run.processed,
        "processed_date": run.processed.then(|| processed_date.iso()),
        "calculated_at": run.processed.then(|| format!("{}T17:00:00Z", processed_date.iso())),
        "pay_period": {
            "start_date": run.period_start().iso(),
            "end_date": run.period_end().iso(),
            "pay_schedule_uuid": view.pay_schedule_uuid(),
        },
        "check_date": check_date.iso(),
        "external": false,
        "final_termination_payroll": false,
        "payroll_deadline": format!("{}T23:00:00Z", check_date.plus(-2).iso()),
        "created_at": format!("{}T17:00:00Z", run.period_start().iso()),
        "partner_owned_disbursement": null,
    });
    let out = out.as_object_mut().expect("an object");
    if run.off_cycle {
        out.insert("off_cycle_reason".into(), json!("Bonus"));
    }
    if include.has("payroll_status_meta") {
        out.insert(
            "payroll_status_meta".into(),
            json!({
                "cancellable": !run.processed,
                "expected_check_date": check_date.iso(),
                "initial_check_date": check_date.iso(),
                "expected_debit_time": format!("{}T23:00:00Z", check_date.plus(-2).iso()),
                "payroll_late": false,
                "initial_debit_cutoff_time": format!("{}T23:00:00Z", check_date.plus(-2).iso()),
            }),
        );
    }
    // Totals come with calculated or processed payrolls: when asked for in a list, always in one.
    if run.processed && (include.has("totals") || show) {
        let sum = |f: &dyn Fn(&Paycheck) -> u64| money(checks.iter().map(f).sum());
        let zero = money(0);
        let employer_taxes = checks.iter().map(Paycheck::employer_taxes).sum::<u64>();
        let employee_taxes = checks.iter().map(Paycheck::employee_taxes).sum::<u64>();
        let net = checks.iter().map(Paycheck::net).sum::<u64>();
        let bonuses: u64 = checks.iter().flat_map(|c| &c.fixed).filter(|f| f.0 == "Bonus").map(|f| f.1).sum();
        out.insert(
            "totals".into(),
            json!({
                "company_debit": money(net + employee_taxes + employer_taxes),
                "net_pay_debit": money(net),
                "tax_debit": money(employee_taxes + employer_taxes),
                "reimbursement_debit": zero,
                "child_support_debit": zero,
                "reimbursements": zero,
                "net_pay": money(net),
                "gross_pay": sum(&Paycheck::gross),
                "employee_bonuses": money(bonuses),
                "employee_commissions": zero,
                "employee_cash_tips": zero,
                "employee_paycheck_tips": zero,
                "additional_earnings": zero,
                "owners_draw": zero,
                "check_amount": sum(&|c| if c.payment_method == "Check" { c.net() } else { 0 }),
                "employer_taxes": money(employer_taxes),
                "employee_taxes": money(employee_taxes),
                "benefits": sum(&|c| c.benefits.iter().map(|b| b.2).sum()),
                "employee_benefits_deductions": sum(&|c| c.benefits.iter().map(|b| b.1).sum()),
                "imputed_pay": zero,
                "deferred_payroll_taxes": zero,
                "other_deductions": sum(&|c| c.deductions.iter().map(|d| d.1).sum()),
            }),
        );
    }
    if run.processed && include.has("taxes") {
        out.insert("company_taxes".into(), json!([]));
    }
    out.clone()
}

fn amount(cents: u64) -> Value {
    json!(cents as f64 / 100.0)
}

/// One element of `employee_compensations`.
fn compensation_json(view: &View, run: Run, c: &Paycheck, include: &Include) -> Value {
    let processed = run.processed;
    let mut out = json!({
        "employee_uuid": view.employee_uuid(c.index),
        "excluded": false,
        "first_name": c.first_name,
        "preferred_first_name": c.preferred_first_name,
        "last_name": c.last_name,
        "gross_pay": processed.then(|| amount(c.gross())),
        "net_pay": processed.then(|| amount(c.net())),
        "check_amount": processed.then(|| amount(c.net())),
        "payment_method": c.payment_method,
        "memo": null,
        "fixed_compensations": c.fixed.iter().map(|(name, cents)| json!({
            "name": name, "amount": money(if processed { *cents } else { 0 }), "job_uuid": c.job_uuid,
        })).collect::<Vec<_>>(),
        "hourly_compensations": c.hourly.iter().map(|(name, hours, cents)| json!({
            "name": name,
            "hours": if processed { format!("{}.{:03}", hours / 1000, hours % 1000) } else { "0.000".to_owned() },
            "amount": money(if processed { *cents } else { 0 }),
            "job_uuid": c.job_uuid,
            "compensation_multiplier": 1.0,
            "flsa_status": c.flsa,
        })).collect::<Vec<_>>(),
        "paid_time_off": [],
        "reimbursements": [],
        "version": version(view.seed(), run.period as u64, c.index),
    });
    let out_map = out.as_object_mut().expect("an object");
    if processed && include.has("taxes") {
        let taxes: Vec<Value> = c
            .taxes
            .iter()
            .map(|(name, employer, cents)| json!({"name": name, "employer": employer, "amount": amount(*cents)}))
            .collect();
        out_map.insert("taxes".into(), Value::Array(taxes));
    }
    if include.has("deductions") {
        let deductions: Vec<Value> =
            c.deductions.iter().map(|(name, cents)| json!({"name": name, "amount": amount(*cents)})).collect();
        out_map.insert("deductions".into(), Value::Array(deductions));
    }
    if processed && include.has("benefits") {
        let benefits: Vec<Value> = c
            .benefits
            .iter()
            .map(|(name, employee, company)| {
                json!({
                    "name": name,
                    "employee_deduction": amount(*employee),
                    "company_contribution": amount(*company),
                    "imputed": false,
                })
            })
            .collect();
        out_map.insert("benefits".into(), Value::Array(benefits));
    }
    out
}

fn invalid(key: &str, message: &str) -> Response {
    let body = json!({ "errors": [{ "error_key": key, "category": "invalid_attribute_value", "message": message }] });
    (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response()
}

/// `date` plus `months` calendar months (the day clamped to the month's end).
fn plus_months(date: Date, months: i64) -> Date {
    let (y, m, d) = date.ymd();
    let total = y * 12 + (m as i64 - 1) + months;
    let (y, m) = (total.div_euclid(12), total.rem_euclid(12) as u32 + 1);
    (1..=d)
        .rev()
        .find_map(|d| {
            let day = Date::from_ymd(y, m, d);
            (day.ymd() == (y, m, d)).then_some(day)
        })
        .unwrap_or(date)
}

/// `GET /v1/companies/{company_id}/payrolls`: processed regular payrolls whose pay period lies
/// within `start_date`..`end_date` (default: the last six months up to today), paginated when
/// `page` or `per` is sent. `processing_statuses` and `payroll_types` widen the selection.
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    Extension(grant): Extension<Grant>,
    Path(company_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Err(response) = granted_company(&state, &grant, &company_id) {
        return response;
    }
    let view = View::of(&state, grant.company);
    let today = Date::of_unix(state.clock.unix_secs() as i64);
    let pairs = query_pairs(raw.as_deref());
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let list = |key: &str, default: &str| -> HashSet<String> {
        get(key).unwrap_or(default).split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
    };
    let mut statuses = list("processing_statuses", "processed");
    let mut types = list("payroll_types", "regular");
    match get("processed") {
        Some("true") => statuses = HashSet::from(["processed".to_owned()]),
        Some("false") => statuses = HashSet::from(["unprocessed".to_owned()]),
        _ => {}
    }
    if get("include_off_cycle") == Some("true") {
        types.insert("off_cycle".to_owned());
    }
    let date = |key: &str| -> Result<Option<Date>, Response> {
        match get(key) {
            None | Some("") => Ok(None),
            Some(value) => Date::parse(value)
                .map(Some)
                .ok_or_else(|| invalid(key, &format!("{key} must be a date formatted as YYYY-MM-DD"))),
        }
    };
    let (start, end) = match (date("start_date"), date("end_date")) {
        (Ok(start), Ok(end)) => (start, end.unwrap_or(today)),
        (Err(response), _) | (_, Err(response)) => return response,
    };
    let start = start.unwrap_or_else(|| plus_months(end, -6));
    if end > plus_months(today, 3) {
        return invalid("end_date", "end_date can be at most 3 months in the future");
    }
    if end > plus_months(start, 12) {
        return invalid("end_date", "start_date and end_date can't be more than 1 year apart");
    }
    if start > end {
        return invalid("start_date", "start_date must be before end_date");
    }
    let by_check_date = get("date_filter_by") == Some("check_date");
    let include = Include::parse(get("include").unwrap_or(""));
    let mut selected: Vec<Run> = runs(&view)
        .into_iter()
        .filter(|r| statuses.contains(if r.processed { "processed" } else { "unprocessed" }))
        .filter(|r| types.contains(if r.off_cycle { "off_cycle" } else { "regular" }))
        .filter(|r| {
            if by_check_date && r.processed && !r.off_cycle {
                (start..=end).contains(&r.check_date())
            } else {
                r.period_start() >= start && r.period_end() <= end
            }
        })
        .collect();
    if get("sort_order") == Some("desc") {
        selected.reverse();
    }
    let (page, per) = page_params(&pairs);
    let all: Vec<Value> = selected
        .into_iter()
        .map(|run| {
            let checks = if run.processed && include.has("totals") { paychecks(&view, run) } else { Vec::new() };
            Value::Object(payroll_json(&view, run, &checks, &include, false))
        })
        .collect();
    paginated(all, page, per)
}

/// `GET /v1/companies/{company_id}/payrolls/{payroll_id}`: one payroll with its totals and its
/// employee compensations, always paginated (`per` at most 100, default 25), with `taxes`,
/// `deductions` and `benefits` per employee when `include` names them.
pub(crate) async fn show(
    State(state): State<Arc<AppState>>,
    Extension(grant): Extension<Grant>,
    Path((company_id, payroll_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Err(response) = granted_company(&state, &grant, &company_id) {
        return response;
    }
    let view = View::of(&state, grant.company);
    let Some(run) = find_run(&view, &payroll_id) else {
        return error(StatusCode::NOT_FOUND, "not_found", "The requested resource was not found.");
    };
    let pairs = query_pairs(raw.as_deref());
    let include = Include::parse(pairs.iter().find(|(k, _)| k == "include").map_or("", |(_, v)| v.as_str()));
    let (page, per) = page_params(&pairs);
    let (page, per) = (page.unwrap_or(1), per.unwrap_or(DEFAULT_PER).min(100));
    let checks = paychecks(&view, run);
    let total = checks.len();
    let mut payroll = payroll_json(&view, run, &checks, &include, true);
    let skip = (page - 1).saturating_mul(per);
    let compensations: Vec<Value> =
        checks.iter().skip(skip).take(per).map(|c| compensation_json(&view, run, c, &include)).collect();
    payroll.insert("employee_compensations".into(), Value::Array(compensations));
    let mut response = axum::Json(Value::Object(payroll)).into_response();
    page_headers(&mut response, page, per, total);
    response
}

/// `GET /v1/companies/{company_id}/pay_schedules`: the one schedule every employee is on.
pub(crate) async fn pay_schedules(
    State(state): State<Arc<AppState>>,
    Extension(grant): Extension<Grant>,
    Path(company_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Err(response) = granted_company(&state, &grant, &company_id) {
        return response;
    }
    let view = View::of(&state, grant.company);
    let anchor = Run { period: 0, off_cycle: false, processed: true };
    let schedule = json!({
        "uuid": view.pay_schedule_uuid(),
        "version": version(view.seed(), 40, 0),
        "frequency": "Every other week",
        "anchor_pay_date": anchor.check_date().iso(),
        "anchor_end_of_pay_period": anchor.period_end().iso(),
        "day_1": null,
        "day_2": null,
        "name": null,
        "custom_name": "Every other Friday",
        "auto_pilot": false,
        "active": true,
    });
    let (page, per) = page_params(&query_pairs(raw.as_deref()));
    paginated(vec![schedule], page, per)
}

/// `GET /v1/companies/{company_id}/pay_schedules/assignments`: type `single`.
pub(crate) async fn assignments(
    State(state): State<Arc<AppState>>,
    Extension(grant): Extension<Grant>,
    Path(company_id): Path<String>,
) -> Response {
    if let Err(response) = granted_company(&state, &grant, &company_id) {
        return response;
    }
    let view = View::of(&state, grant.company);
    axum::Json(json!({
        "type": "single",
        "default_pay_schedule_uuid": view.pay_schedule_uuid(),
        "hourly_pay_schedule_uuid": null,
        "salaried_pay_schedule_uuid": null,
        "employees": null,
        "departments": null,
    }))
    .into_response()
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn months_are_added_by_the_calendar() {
        assert_eq!(plus_months(Date::from_ymd(2026, 11, 30), 3), Date::from_ymd(2027, 2, 28));
        assert_eq!(plus_months(Date::from_ymd(2026, 8, 31), -6), Date::from_ymd(2026, 2, 28));
        assert_eq!(plus_months(Date::from_ymd(2026, 1, 15), 12), Date::from_ymd(2027, 1, 15));
    }

    #[test]
    fn payroll_history_ends_on_or_before_today() {
        for today in [Date::from_ymd(2026, 11, 25), Date::from_ymd(2026, 1, 9), Date::from_ymd(2030, 6, 1)] {
            let last = last_paid_period(today);
            let run = Run { period: last, off_cycle: false, processed: true };
            assert!(run.check_date() <= today && run.check_date().plus(14) > today);
            assert_eq!(run.period_end().weekday(), 4, "a Friday");
            assert!(join_date(today) < run.period_start());
        }
    }
}
