//! `GET /v1/employeedependents[?employeeid=]`: `{"Employee Dependents": [...]}`, generated per
//! employee (a spouse or partner for married employees, up to two children).

use axum::extract::RawQuery;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::world::{Ctx, Emp, View};
use super::{Caller, error, wants_json};
use crate::data::{Date, FIRST_NAMES, LOCATIONS, Rng, escape_markup, json_opt, json_str};
use crate::{query_pairs, streamed_body};

struct Dependent {
    id: u64,
    first_name: &'static str,
    last_name: String,
    relationship: &'static str,
    gender: &'static str,
    ssn_last4: u64,
    date_of_birth: Date,
    is_student: bool,
}

fn dependents(ctx: &Ctx, emp: &Emp) -> Vec<Dependent> {
    let mut r = Rng::new(ctx.company.config.seed, emp.index as u64, 5);
    let mut out = Vec::new();
    let base = emp.index as u64 * 4 + 1;
    let partner = match crate::bamboohr::fields::value(ctx, emp, "maritalStatus").as_deref() {
        Some("Married") => Some("spouse"),
        Some("Domestic Partnership") => Some("domestic_partner"),
        _ => None,
    };
    let born = emp.p.date_of_birth;
    if let Some(relationship) = partner {
        out.push(Dependent {
            id: base,
            first_name: r.pick(FIRST_NAMES),
            last_name: emp.last_name().to_owned(),
            relationship,
            gender: ["Female", "Male"][r.below(2) as usize],
            ssn_last4: 1000 + r.below(9000),
            date_of_birth: born.plus(r.below(6 * 365) as i64 - 3 * 365),
            is_student: false,
        });
    }
    for k in 0..r.below(3) {
        let date_of_birth = born.plus(22 * 365 + r.below(20 * 365) as i64);
        if date_of_birth >= Date::from_ymd(2026, 6, 30) {
            continue;
        }
        let age_years = (Date::from_ymd(2026, 6, 30).0 - date_of_birth.0) / 365;
        if age_years > 25 {
            continue;
        }
        out.push(Dependent {
            id: base + 1 + k,
            first_name: r.pick(FIRST_NAMES),
            last_name: emp.last_name().to_owned(),
            relationship: "child",
            gender: ["Female", "Male"][r.below(2) as usize],
            ssn_last4: 1000 + r.below(9000),
            date_of_birth,
            is_student: (18..24).contains(&age_years),
        });
    }
    out
}

fn render(ctx: &Ctx, emp: &Emp, d: &Dependent, json: bool) -> String {
    let location = LOCATIONS[emp.p.location];
    let address1 = crate::bamboohr::fields::value(ctx, emp, "address1");
    let address2 = crate::bamboohr::fields::value(ctx, emp, "address2");
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let fields: [(&str, Option<String>); 17] = [
        ("employeeId", Some(emp.id.to_string())),
        ("firstName", Some(d.first_name.to_owned())),
        ("middleName", None),
        ("lastName", Some(d.last_name.clone())),
        ("relationship", Some(d.relationship.to_owned())),
        ("gender", Some(d.gender.to_owned())),
        ("maskedSSN", Some(format!("xxx-xx-{}", d.ssn_last4))),
        ("maskedSIN", None),
        ("dateOfBirth", Some(d.date_of_birth.iso())),
        ("addressLine1", address1),
        ("addressLine2", address2),
        ("city", Some(location.1.to_owned())),
        ("state", Some(super::fields::state_name(location.2).to_owned())),
        ("zipCode", Some(location.3.to_owned())),
        ("homePhone", None),
        ("country", Some("United States".to_owned())),
        ("isUsCitizen", Some(yes_no(true).to_owned())),
    ];
    let is_student = yes_no(d.is_student);
    if json {
        let mut out = format!("{{\"id\":\"{}\"", d.id);
        for (name, value) in &fields {
            out.push_str(&format!(",\"{name}\":"));
            json_opt(&mut out, value.as_deref());
        }
        out.push_str(",\"isStudent\":");
        json_str(&mut out, is_student);
        out.push('}');
        out
    } else {
        let mut out = format!("<employee id=\"{}\">", d.id);
        for (name, value) in &fields {
            out.push_str(&format!("<field id=\"{name}\">{}</field>", escape_markup(value.as_deref().unwrap_or(""))));
        }
        out.push_str(&format!("<field id=\"isStudent\">{is_student}</field></employee>"));
        out
    }
}

/// `GET /v1/employeedependents[?employeeid=…]`: the dependents of one employee, or of every
/// employee, under the key `Employee Dependents` (streamed). JSON or XML.
pub(crate) async fn list(caller: Caller, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    if let Err(response) = caller.require_employee_access() {
        return response;
    }
    let pairs = query_pairs(raw.as_deref());
    let view = View::new(&caller.company);
    let indices: Vec<usize> = match pairs.iter().find(|(k, _)| k == "employeeid").map(|(_, v)| v.as_str()) {
        None | Some("") => (0..view.ctx().slots()).collect(),
        Some(id) => match id.parse().ok().and_then(|id| view.ctx().company.index_of(view.ctx().snap, id)) {
            Some(index) => vec![index],
            None => return error(StatusCode::BAD_REQUEST, "Invalid employeeid"),
        },
    };
    let json = wants_json(&headers);
    let mut first = true;
    let items = indices.into_iter().filter_map(move |index| {
        let ctx = view.ctx();
        let emp = ctx.emp(index)?;
        let mut out = String::new();
        for dependent in dependents(&ctx, &emp) {
            if json && !std::mem::take(&mut first) {
                out.push(',');
            }
            out.push_str(&render(&ctx, &emp, &dependent, json));
        }
        (!out.is_empty()).then_some(out)
    });
    if json {
        let body = streamed_body("{\"Employee Dependents\":[".to_owned(), items, "]}".to_owned());
        return ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    }
    let body = streamed_body(
        "<?xml version=\"1.0\"?>\n<employeeDependents>".to_owned(),
        items,
        "</employeeDependents>".to_owned(),
    );
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}
