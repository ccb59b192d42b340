//! The company's list fields and their options: `GET /v1/meta/lists`. Every list value an
//! employee, a table row or a time-off request shows is an option here, so clients can resolve
//! names to option ids (and back).

use std::sync::OnceLock;

/// The ethnicity list's options (generated employees pick from them).
pub(crate) const ETHNICITIES: &[&str] = &[
    "White",
    "Black or African American",
    "Hispanic or Latino",
    "Asian",
    "Two or More Races",
    "American Indian or Alaska Native",
    "Native Hawaiian or Other Pacific Islander",
];

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::{Caller, wants_json, xml};
use crate::data::{DEPARTMENTS, DIVISIONS, LOCATIONS, escape_markup, json_opt, json_str};

/// The lists the emulator models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ListId {
    Department,
    Division,
    Location,
    JobTitle,
    EmploymentStatus,
    TerminationType,
    TerminationReason,
    TerminationRehire,
    TerminationRegrettable,
    PayChangeReason,
    PaySchedule,
    PayGroup,
    MaritalStatus,
    Ethnicity,
}

const ALL: [ListId; 14] = [
    ListId::Department,
    ListId::Division,
    ListId::Location,
    ListId::JobTitle,
    ListId::EmploymentStatus,
    ListId::TerminationType,
    ListId::TerminationReason,
    ListId::TerminationRehire,
    ListId::TerminationRegrettable,
    ListId::PayChangeReason,
    ListId::PaySchedule,
    ListId::PayGroup,
    ListId::MaritalStatus,
    ListId::Ethnicity,
];

pub(crate) struct ListOption {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) created: &'static str,
    /// The day it was archived: kept so history can still name it, not offered any more.
    pub(crate) archived: Option<&'static str>,
}

pub(crate) struct List {
    pub(crate) id: ListId,
    /// The field the list belongs to (`fieldId`), and its alias.
    pub(crate) field_id: u32,
    pub(crate) alias: &'static str,
    pub(crate) name: &'static str,
    pub(crate) manageable: bool,
    pub(crate) options: Vec<ListOption>,
}

/// `(list, field id, alias, name, manageable, options, archived options)`
type Def = (ListId, u32, &'static str, &'static str, bool, Vec<&'static str>, &'static [&'static str]);

fn definitions() -> Vec<Def> {
    let mut titles: Vec<&str> = DEPARTMENTS.iter().flat_map(|(_, titles)| titles.iter().copied()).collect();
    titles.dedup();
    vec![
        (
            ListId::Department,
            13,
            "department",
            "Department",
            true,
            DEPARTMENTS.iter().map(|d| d.0).collect(),
            &["Research"],
        ),
        (ListId::Division, 14, "division", "Division", true, DIVISIONS.to_vec(), &[]),
        (
            ListId::Location,
            15,
            "location",
            "Location",
            true,
            LOCATIONS.iter().map(|l| l.0).collect(),
            &["Boston Office"],
        ),
        (ListId::JobTitle, 12, "jobTitle", "Job Title", true, titles, &["Intern"]),
        (
            ListId::EmploymentStatus,
            23,
            "employmentHistoryStatus",
            "Employment Status",
            true,
            vec!["Full-Time", "Part-Time", "Contractor", "Terminated"],
            &[],
        ),
        (
            ListId::TerminationType,
            1024,
            "terminationTypeId",
            "Termination Type",
            true,
            vec!["Voluntary", "Involuntary"],
            &[],
        ),
        (
            ListId::TerminationReason,
            1025,
            "terminationReasonId",
            "Termination Reason",
            true,
            vec!["Attendance", "Better Opportunity", "Career Change", "Performance", "Relocation", "Layoff", "Other"],
            &[],
        ),
        (
            ListId::TerminationRehire,
            1026,
            "terminationRehireId",
            "Eligible For Re-hire",
            true,
            vec!["Yes", "No", "Upon review"],
            &[],
        ),
        (
            ListId::TerminationRegrettable,
            1027,
            "terminationRegrettableId",
            "Regrettable or Non-Regrettable",
            true,
            vec!["Regrettable", "Non-Regrettable"],
            &[],
        ),
        (
            ListId::PayChangeReason,
            50,
            "payChangeReason",
            "Compensation: Change Reason",
            true,
            vec!["New Hire", "Promotion", "Merit Increase", "Market Adjustment", "Role Change"],
            &[],
        ),
        (ListId::PaySchedule, 38, "paySchedule", "Pay Schedule", false, vec!["Twice a month", "Every other week"], &[]),
        (ListId::PayGroup, 37, "payGroup", "Pay Group", true, vec!["US Salaried", "US Hourly"], &[]),
        (
            ListId::MaritalStatus,
            32,
            "maritalStatus",
            "Marital Status",
            true,
            vec!["Single", "Married", "Domestic Partnership", "Divorced", "Widowed"],
            &[],
        ),
        (ListId::Ethnicity, 31, "ethnicity", "Ethnicity", true, ETHNICITIES.to_vec(), &[]),
    ]
}

/// Every list, built once.
pub(crate) fn all() -> &'static [List] {
    static LISTS: OnceLock<Vec<List>> = OnceLock::new();
    LISTS.get_or_init(|| {
        definitions()
            .into_iter()
            .enumerate()
            .map(|(position, (id, field_id, alias, name, manageable, options, archived))| {
                // Option ids are unique across lists: 1000 per list.
                let base = 1000 * (position as u64 + 1);
                let mut list: Vec<ListOption> = options
                    .iter()
                    .enumerate()
                    .map(|(i, name)| ListOption {
                        id: base + i as u64 + 1,
                        name: (*name).to_owned(),
                        created: "2011-06-05",
                        archived: None,
                    })
                    .collect();
                for (i, name) in archived.iter().enumerate() {
                    list.push(ListOption {
                        id: base + 900 + i as u64,
                        name: (*name).to_owned(),
                        created: "2011-06-05",
                        archived: Some("2019-03-01"),
                    });
                }
                List { id, field_id, alias, name, manageable, options: list }
            })
            .collect()
    })
}

pub(crate) fn get(id: ListId) -> &'static List {
    all().iter().find(|l| l.id == id).expect("every list is defined")
}

/// How many current (not archived) options the list has.
pub(crate) fn len(id: ListId) -> usize {
    get(id).options.iter().filter(|o| o.archived.is_none()).count()
}

/// The id of the `n`-th current option.
pub(crate) fn option_id(id: ListId, n: usize) -> u64 {
    get(id).options.iter().filter(|o| o.archived.is_none()).nth(n).expect("option in range").id
}

/// The id of the current option called `name`.
pub(crate) fn find(id: ListId, name: &str) -> Option<u64> {
    get(id).options.iter().find(|o| o.archived.is_none() && o.name == name).map(|o| o.id)
}

pub(crate) fn has_id(id: ListId, option: u64) -> bool {
    get(id).options.iter().any(|o| o.id == option)
}

/// The list an employee field takes its values from.
pub(crate) fn for_field(alias: &str) -> Option<ListId> {
    let list = ALL.into_iter().find(|id| get(*id).alias == alias)?;
    // The termination lists belong to table fields, not employee fields.
    (!matches!(
        list,
        ListId::TerminationType
            | ListId::TerminationReason
            | ListId::TerminationRehire
            | ListId::TerminationRegrettable
    ))
    .then_some(list)
}

/// `GET /v1/meta/lists`: `[{fieldId, alias, manageable, multiple, name, options: [{id, archived,
/// createdDate, archivedDate, name}]}]`, or `<lists>` in XML. Readable by any key.
pub(crate) async fn list(_caller: Caller, headers: HeaderMap) -> Response {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    if wants_json(&headers) {
        let mut out = String::from("[");
        for (n, list) in all().iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            out.push_str(&format!("{{\"fieldId\":{},\"alias\":", list.field_id));
            json_str(&mut out, list.alias);
            out.push_str(&format!(",\"manageable\":\"{}\",\"multiple\":\"no\",\"name\":", yes_no(list.manageable)));
            json_str(&mut out, list.name);
            out.push_str(",\"options\":[");
            for (i, option) in list.options.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&format!(
                    "{{\"id\":{},\"archived\":\"{}\",\"createdDate\":\"{}\",\"archivedDate\":",
                    option.id,
                    yes_no(option.archived.is_some()),
                    option.created
                ));
                json_opt(&mut out, option.archived);
                out.push_str(",\"name\":");
                json_str(&mut out, &option.name);
                out.push('}');
            }
            out.push_str("]}");
        }
        out.push(']');
        return ([(axum::http::header::CONTENT_TYPE, "application/json")], out).into_response();
    }
    let mut body = String::from("<?xml version=\"1.0\"?>\n<lists>");
    for list in all() {
        body.push_str(&format!(
            "<list fieldId=\"{}\" alias=\"{}\" manageable=\"{}\" multiple=\"no\"><name>{}</name><options>",
            list.field_id,
            list.alias,
            yes_no(list.manageable),
            escape_markup(list.name)
        ));
        for option in &list.options {
            body.push_str(&format!(
                "<option id=\"{}\" archived=\"{}\" createdDate=\"{}\"{}>{}</option>",
                option.id,
                yes_no(option.archived.is_some()),
                option.created,
                option.archived.map(|d| format!(" archivedDate=\"{d}\"")).unwrap_or_default(),
                escape_markup(&option.name)
            ));
        }
        body.push_str("</options></list>");
    }
    body.push_str("</lists>");
    xml(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_ids_are_unique_and_names_resolve() {
        let mut ids: Vec<u64> = all().iter().flat_map(|l| l.options.iter().map(|o| o.id)).collect();
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count);
        for (department, _) in DEPARTMENTS {
            assert!(find(ListId::Department, department).is_some());
        }
        assert_eq!(find(ListId::Department, "Research"), None, "archived options are not offered");
        assert!(has_id(ListId::Department, get(ListId::Department).options.last().unwrap().id));
        assert_eq!(for_field("department"), Some(ListId::Department));
        assert_eq!(for_field("terminationTypeId"), None);
        assert_eq!(for_field("firstName"), None);
    }
}
