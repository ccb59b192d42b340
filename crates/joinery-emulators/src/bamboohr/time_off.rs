//! Time off: types, policies, requests and balances. Requests are generated per employee and
//! year from `(seed, index, year)`, between the hire date and the termination date (or the end
//! of 2026), so any date window is answered without storing anything.

use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::employees::employee_index;
use super::world::{Ctx, Emp, GENERATED_UNTIL, View};
use super::{Caller, error, wants_json, xml};
use crate::data::{Date, Rng, escape_markup, json_str};
use crate::{query_pairs, streamed_body};

/// `(id, name, units, color, icon)`
const TYPES: &[(u64, &str, &str, &str, &str)] = &[
    (1, "Vacation", "hours", "#3F8EF7", "palm-trees"),
    (2, "Sick", "hours", "#F05A5A", "medicine-cabinet"),
    (3, "Bereavement", "days", "#7A7A7A", "heart"),
    (4, "Jury Duty", "days", "#9B6BD6", "gavel"),
];

/// `(id, time off type, name, policy type, hours accrued a year)`, sorted by name as the API
/// lists them.
const POLICIES: &[(u64, u64, &str, &str, u64)] = &[
    (4, 3, "Bereavement", "manual", 0),
    (5, 4, "Jury Duty", "discretionary", 0),
    (3, 2, "Sick Leave", "accruing", 40),
    (1, 1, "Vacation - Full-Time", "accruing", 120),
    (2, 1, "Vacation - Part-Time", "accruing", 60),
];

/// The last year requests are generated for.
const LAST_YEAR: i64 = 2026;

fn type_of(id: u64) -> (u64, &'static str, &'static str, &'static str, &'static str) {
    *TYPES.iter().find(|t| t.0 == id).expect("known type")
}

/// The policies every employee is assigned: vacation (by working time), sick leave, bereavement.
fn assigned(emp: &Emp) -> [(u64, u64, &'static str, &'static str, u64); 3] {
    let policy = |id: u64| *POLICIES.iter().find(|p| p.0 == id).expect("known policy");
    [policy(if emp.p.part_time { 2 } else { 1 }), policy(3), policy(4)]
}

/// `GET /v1/meta/time_off/types`: `{timeOffTypes: [{id, name, units, color, icon, source}],
/// defaultHours: [{name, amount}]}`. JSON only.
pub(crate) async fn types(_caller: Caller) -> Response {
    let types: Vec<_> = TYPES
        .iter()
        .map(|(id, name, units, color, icon)| {
            json!({ "id": id, "name": name, "units": units, "color": color, "icon": icon, "source": "internal" })
        })
        .collect();
    let days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
    let hours: Vec<_> = days
        .iter()
        .map(|day| json!({ "name": day, "amount": if *day == "Sunday" || *day == "Saturday" { 0 } else { 8 } }))
        .collect();
    axum::Json(json!({ "timeOffTypes": types, "defaultHours": hours })).into_response()
}

/// `GET /v1/meta/time_off/policies`: `[{id, timeOffTypeId, name, effectiveDate: null, type}]`,
/// sorted by name. JSON only.
pub(crate) async fn policies(_caller: Caller) -> Response {
    let policies: Vec<_> = POLICIES
        .iter()
        .map(|(id, kind, name, policy, _)| {
            json!({ "id": id, "timeOffTypeId": kind, "name": name, "effectiveDate": null, "type": policy })
        })
        .collect();
    axum::Json(policies).into_response()
}

/// One generated request.
pub(crate) struct Request {
    pub(crate) id: u64,
    pub(crate) kind: u64,
    pub(crate) start: Date,
    pub(crate) end: Date,
    pub(crate) created: Date,
    pub(crate) status: &'static str,
    pub(crate) status_changed: Date,
    /// Working days with their amounts (hours or days, by the type's unit).
    pub(crate) dates: Vec<(Date, u32)>,
    pub(crate) employee_note: Option<&'static str>,
    pub(crate) manager_note: Option<&'static str>,
}

impl Request {
    pub(crate) fn amount(&self) -> u32 {
        self.dates.iter().map(|(_, a)| a).sum()
    }
}

const EMPLOYEE_NOTES: &[&str] = &["Family trip", "Long weekend", "Moving house", "Doctor's appointment", "Wedding"];
const MANAGER_NOTES: &[&str] = &["Enjoy!", "Approved, have fun.", "Coverage arranged."];

/// Requests ids encode the employee index, so `id=` finds its request without a search.
fn request_id(index: usize, year: i64, k: u64) -> u64 {
    index as u64 * 256 + (year - 2008) as u64 * 8 + k + 1
}

/// The employee's requests that start in `year`.
pub(crate) fn requests_in(ctx: &Ctx, emp: &Emp, year: i64) -> Vec<Request> {
    let Some(hire) = emp.hire_date() else { return Vec::new() };
    let last_day = emp.termination_date().unwrap_or(Date::from_ymd(LAST_YEAR, 12, 31));
    let first = hire.max(Date::from_ymd(year, 1, 1));
    let last = last_day.min(Date::from_ymd(year, 12, 31));
    if !(2008..=LAST_YEAR).contains(&year) || first > last {
        return Vec::new();
    }
    let mut r = Rng::new(ctx.company.config.seed, emp.index as u64, 100 + year as u64);
    let count = r.below(5);
    let mut out = Vec::new();
    for k in 0..count {
        let roll = r.below(100);
        let kind = match roll {
            0..70 => 1,
            70..97 => 2,
            _ => 3,
        };
        let mut start = first.plus(r.below((last.0 - first.0 + 1) as u64) as i64);
        while start.is_weekend() {
            start = start.plus(1);
        }
        let days = match kind {
            1 => 1 + r.below(5),
            2 => 1 + r.below(2),
            _ => 1 + r.below(3),
        };
        let half = kind == 2 && days == 1 && r.chance(20);
        let mut dates = Vec::new();
        let mut day = start;
        while dates.len() < days as usize {
            if !day.is_weekend() {
                let amount = match (kind, half) {
                    (3, _) => 1,
                    (_, true) => 4,
                    _ => 8,
                };
                dates.push((day, amount));
            }
            day = day.plus(1);
        }
        let end = dates.last().expect("at least one day").0;
        if end > last {
            continue;
        }
        let created = if kind == 1 { start.plus(-7 - r.below(50) as i64) } else { start.plus(r.below(2) as i64) };
        let decided = created.plus(r.below(3) as i64);
        let roll = r.below(100);
        let status = if start >= GENERATED_UNTIL {
            if roll < 60 { "approved" } else { "requested" }
        } else {
            match roll {
                0..85 => "approved",
                85..90 => "denied",
                90..97 => "canceled",
                _ => "superceded",
            }
        };
        out.push(Request {
            id: request_id(emp.index, year, k),
            kind,
            start,
            end,
            created,
            status,
            status_changed: if status == "requested" { created } else { decided },
            dates,
            employee_note: r.chance(40).then(|| r.pick(EMPLOYEE_NOTES)),
            manager_note: (status == "approved" && r.chance(25)).then(|| r.pick(MANAGER_NOTES)),
        });
    }
    out
}

struct Query {
    start: Date,
    end: Date,
    id: Option<u64>,
    employee: Option<u64>,
    types: Option<Vec<u64>>,
    statuses: Option<Vec<String>>,
    mine: bool,
    approvable: bool,
    exclude_note: bool,
}

fn parse_query(pairs: &[(String, String)]) -> Result<Query, Response> {
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let date = |name: &str| -> Result<Date, Response> {
        match get(name) {
            None | Some("") => Err(error(StatusCode::BAD_REQUEST, &format!("The {name} date is required"))),
            Some(value) => Date::parse(value)
                .ok_or_else(|| error(StatusCode::BAD_REQUEST, &format!("Invalid {name} date; use YYYY-MM-DD"))),
        }
    };
    let number = |name: &str| -> Result<Option<u64>, Response> {
        get(name)
            .filter(|v| !v.is_empty())
            .map(|v| v.parse().map_err(|_| error(StatusCode::BAD_REQUEST, &format!("Invalid {name}"))))
            .transpose()
    };
    let list = |name: &str| get(name).filter(|v| !v.is_empty()).map(|v| v.split(',').map(|s| s.trim().to_owned()));
    let types = match list("type") {
        Some(values) => Some(
            values
                .map(|v| v.parse().map_err(|_| error(StatusCode::BAD_REQUEST, "Invalid type")))
                .collect::<Result<Vec<u64>, _>>()?,
        ),
        None => None,
    };
    let statuses: Option<Vec<String>> = list("status").map(|values| values.map(|s| s.to_ascii_lowercase()).collect());
    if let Some(statuses) = &statuses
        && let Some(bad) = statuses
            .iter()
            .find(|s| !["approved", "denied", "superceded", "requested", "canceled"].contains(&s.as_str()))
    {
        return Err(error(StatusCode::BAD_REQUEST, &format!("Invalid status: {bad}")));
    }
    let action = get("action").unwrap_or("view");
    if !["view", "approve", "myRequests"].contains(&action) {
        return Err(error(StatusCode::BAD_REQUEST, "Invalid action"));
    }
    Ok(Query {
        start: date("start")?,
        end: date("end")?,
        id: number("id")?,
        employee: number("employeeId")?,
        types,
        statuses,
        mine: action == "myRequests",
        approvable: action == "approve",
        exclude_note: get("excludeNote").is_some_and(|v| !v.is_empty() && v != "0" && v != "false"),
    })
}

fn format_amount(amount: f64) -> String {
    if amount.fract() == 0.0 { format!("{}", amount as i64) } else { format!("{amount}") }
}

/// One request, in the documented JSON shape (values as strings, as in the documented sample;
/// `notes` is `[]` when there are none).
fn request_json(ctx: &Ctx, emp: &Emp, request: &Request, exclude_note: bool) -> String {
    let (kind, kind_name, units, _, icon) = type_of(request.kind);
    let mut out = format!("{{\"id\":\"{}\",\"employeeId\":\"{}\",\"name\":", request.id, emp.id);
    json_str(&mut out, &emp.display_name());
    let changed_by = decider(ctx, emp, request);
    out.push_str(&format!(
        ",\"status\":{{\"lastChanged\":\"{}\",\"lastChangedByUserId\":\"{changed_by}\",\"status\":\"{}\"}}",
        request.status_changed.iso(),
        request.status
    ));
    out.push_str(&format!(
        ",\"start\":\"{}\",\"end\":\"{}\",\"created\":\"{}\"",
        request.start.iso(),
        request.end.iso(),
        request.created.iso()
    ));
    out.push_str(&format!(",\"type\":{{\"id\":\"{kind}\",\"name\":\"{kind_name}\",\"icon\":\"{icon}\"}}"));
    out.push_str(&format!(
        ",\"amount\":{{\"unit\":\"{units}\",\"amount\":\"{}\"}}",
        format_amount(f64::from(request.amount()))
    ));
    let pending = request.status == "requested";
    let cancellable = (pending || request.status == "approved") && request.start.iso().as_str() > ctx.today;
    out.push_str(&format!(
        ",\"actions\":{{\"view\":true,\"edit\":{pending},\"cancel\":{cancellable},\"approve\":{pending},\"deny\":{pending},\"bypass\":{pending}}}"
    ));
    out.push_str(",\"dates\":{");
    for (n, (date, amount)) in request.dates.iter().enumerate() {
        out.push_str(&format!("{}\"{}\":\"{amount}\"", if n == 0 { "" } else { "," }, date.iso()));
    }
    out.push('}');
    if !exclude_note {
        out.push_str(",\"notes\":");
        if request.employee_note.is_none() && request.manager_note.is_none() {
            out.push_str("[]");
        } else {
            out.push('{');
            let mut first = true;
            for (from, note) in [("employee", request.employee_note), ("manager", request.manager_note)] {
                if let Some(note) = note {
                    out.push_str(&format!("{}\"{from}\":", if std::mem::take(&mut first) { "" } else { "," }));
                    json_str(&mut out, note);
                }
            }
            out.push('}');
        }
    }
    out.push('}');
    out
}

/// The user who last changed the request's status: the employee for their own request or
/// cancellation, the manager (or the account owner, user 1) for decisions. User ids are
/// `2000 + employee index`, distinct from employee ids.
fn decider(ctx: &Ctx, emp: &Emp, request: &Request) -> u64 {
    match request.status {
        "requested" | "canceled" => 2000 + emp.index as u64,
        _ => emp.job.reports_to.filter(|m| ctx.emp(*m).is_some()).map_or(1, |m| 2000 + m as u64),
    }
}

fn request_xml(ctx: &Ctx, emp: &Emp, request: &Request, exclude_note: bool) -> String {
    let (kind, kind_name, units, _, icon) = type_of(request.kind);
    let mut out = format!(
        "<request id=\"{}\"><employee id=\"{}\">{}</employee>",
        request.id,
        emp.id,
        escape_markup(&emp.display_name())
    );
    out.push_str(&format!(
        "<status lastChanged=\"{}\" lastChangedByUserId=\"{}\">{}</status>",
        request.status_changed.iso(),
        decider(ctx, emp, request),
        request.status
    ));
    out.push_str(&format!(
        "<start>{}</start><end>{}</end><created>{}</created>",
        request.start.iso(),
        request.end.iso(),
        request.created.iso()
    ));
    out.push_str(&format!("<type id=\"{kind}\" icon=\"{icon}\">{kind_name}</type>"));
    out.push_str(&format!("<amount unit=\"{units}\">{}</amount>", format_amount(f64::from(request.amount()))));
    if !exclude_note {
        out.push_str("<notes>");
        for (from, note) in [("employee", request.employee_note), ("manager", request.manager_note)] {
            if let Some(note) = note {
                out.push_str(&format!("<note from=\"{from}\">{}</note>", escape_markup(note)));
            }
        }
        out.push_str("</notes>");
    }
    out.push_str("<dates>");
    for (date, amount) in &request.dates {
        out.push_str(&format!("<date ymd=\"{}\" amount=\"{amount}\"/>", date.iso()));
    }
    out.push_str("</dates></request>");
    out
}

/// `GET /v1/time_off/requests?start=YYYY-MM-DD&end=YYYY-MM-DD`: every request whose dates
/// overlap the window (its end on or after `start`, its start on or before `end`), filtered by
/// `id`, `employeeId`, `type` (ids), `status`, `action` and `excludeNote`. Streamed, JSON or XML.
pub(crate) async fn requests(caller: Caller, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    if let Err(response) = caller.require_employee_access() {
        return response;
    }
    let query = match parse_query(&query_pairs(raw.as_deref())) {
        Ok(query) => query,
        Err(response) => return response,
    };
    let view = View::new(&caller.company);
    let ctx = view.ctx();
    let mut indices: Vec<usize> = match (query.id, query.employee) {
        (Some(id), _) => vec![(id.saturating_sub(1) / 256) as usize],
        (None, Some(employee)) => ctx.company.index_of(ctx.snap, employee).into_iter().collect(),
        (None, None) => (0..ctx.slots()).collect(),
    };
    if query.mine {
        let own = match employee_index(&caller, &ctx, "0") {
            Ok(own) => own,
            Err(response) => return response,
        };
        indices.retain(|i| Some(*i) == own);
    }
    if let (Some(id), Some(employee)) = (query.id, query.employee) {
        indices.retain(|i| ctx.company.employee_id(*i) == employee && (id.saturating_sub(1) / 256) as usize == *i);
    }
    let json = wants_json(&headers);
    let items = indices.into_iter().filter_map(move |index| {
        let ctx = view.ctx();
        let emp = ctx.emp(index)?;
        let mut out = String::new();
        // A request starting late in the previous year can reach into the window.
        for year in query.start.year() - 1..=query.end.year() {
            for request in requests_in(&ctx, &emp, year) {
                let keep = request.end >= query.start
                    && request.start <= query.end
                    && query.id.is_none_or(|id| id == request.id)
                    && query.types.as_ref().is_none_or(|t| t.contains(&request.kind))
                    && query.statuses.as_ref().is_none_or(|s| s.iter().any(|s| s == request.status))
                    && (!query.approvable || request.status == "requested");
                if !keep {
                    continue;
                }
                if json {
                    out.push_str(&request_json(&ctx, &emp, &request, query.exclude_note));
                    out.push(',');
                } else {
                    out.push_str(&request_xml(&ctx, &emp, &request, query.exclude_note));
                }
            }
        }
        (!out.is_empty()).then_some(out)
    });
    if json {
        // Items end with a comma; the first item of each chunk is prefixed instead.
        let mut first = true;
        let items = items.map(move |mut out| {
            out.pop();
            if !std::mem::take(&mut first) {
                out.insert(0, ',');
            }
            out
        });
        let body = streamed_body("[".to_owned(), items, "]".to_owned());
        return ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    }
    let body = streamed_body("<?xml version=\"1.0\"?>\n<requests>".to_owned(), items, "</requests>".to_owned());
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

/// `GET /v1/employees/{id}/time_off/calculator?end=YYYY-MM-DD&precision=0..4`: one balance per
/// assigned policy as of `end` (default: today): `[{timeOffType, name, units, balance, end,
/// policyType, usedYearToDate}]`, amounts as strings with `precision` decimals (default 2).
/// Accruing policies accrue evenly over the year from the hire date and carry over up to 40 hours;
/// approved requests of the year up to `end` are used. JSON or XML.
pub(crate) async fn calculator(
    caller: Caller,
    Path(params): Path<Vec<(String, String)>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Err(response) = caller.require_employee_access() {
        return response;
    }
    let pairs = query_pairs(raw.as_deref());
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let view = View::new(&caller.company);
    let ctx = view.ctx();
    let end = match get("end").filter(|v| !v.is_empty()) {
        None => Date::parse(ctx.today).expect("today is a date"),
        Some(value) => match Date::parse(value) {
            Some(date) => date,
            None => return error(StatusCode::BAD_REQUEST, "Invalid end date; use YYYY-MM-DD"),
        },
    };
    let precision = match get("precision").filter(|v| !v.is_empty()).map(str::parse::<usize>) {
        None => 2,
        Some(Ok(p)) if p <= 4 => p,
        Some(_) => return error(StatusCode::BAD_REQUEST, "precision must be an integer from 0 to 4"),
    };
    let id = params.iter().find(|(n, _)| n == "id").map(|(_, v)| v.as_str()).unwrap_or_default();
    let emp = match employee_index(&caller, &ctx, id) {
        Ok(Some(index)) => ctx.emp(index).expect("the employee exists"),
        Ok(None) => return error(StatusCode::NOT_FOUND, "Employee not found"),
        Err(response) => return response,
    };
    let year = end.year();
    let year_start = Date::from_ymd(year, 1, 1);
    let requests = requests_in(&ctx, &emp, year);
    let hire = emp.hire_date().unwrap_or(end);
    let mut carry = Rng::new(ctx.company.config.seed, emp.index as u64, 200 + year as u64);
    let balances: Vec<_> = assigned(&emp)
        .iter()
        .map(|(_, kind, _, policy, yearly)| {
            let (kind, name, units, _, _) = type_of(*kind);
            let used: u32 = requests
                .iter()
                .filter(|r| r.kind == kind && r.status == "approved")
                .flat_map(|r| r.dates.iter())
                .filter(|(date, _)| *date <= end)
                .map(|(_, amount)| amount)
                .sum();
            let used = f64::from(used);
            let balance = if *policy == "accruing" && end >= hire {
                let from = hire.max(year_start);
                let accrued = *yearly as f64 * ((end.0 - from.0 + 1) as f64 / 365.0).min(1.0);
                let carried = if hire < year_start { carry.below(41) as f64 } else { 0.0 };
                accrued + carried - used
            } else {
                // Not `-used`: no "-0.00".
                0.0 - used
            };
            (kind, name, units, format!("{balance:.precision$}"), *policy, format!("{used:.precision$}"))
        })
        .collect();
    if wants_json(&headers) {
        let body: Vec<_> = balances
            .iter()
            .map(|(kind, name, units, balance, policy, used)| {
                json!({
                    "timeOffType": kind.to_string(),
                    "name": name,
                    "units": units,
                    "balance": balance,
                    "end": end.iso(),
                    "policyType": policy,
                    "usedYearToDate": used,
                })
            })
            .collect();
        return axum::Json(body).into_response();
    }
    let mut body = String::from("<?xml version=\"1.0\"?>\n<balances>");
    for (kind, name, units, balance, policy, used) in &balances {
        body.push_str(&format!(
            "<timeOffType id=\"{kind}\"><name>{name}</name><units>{units}</units><balance>{balance}</balance><end>{}</end><policyType>{policy}</policyType><usedYearToDate>{used}</usedYearToDate></timeOffType>",
            end.iso()
        ));
    }
    body.push_str("</balances>");
    xml(body)
}
