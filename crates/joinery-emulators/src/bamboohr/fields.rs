//! The employee field catalogue: `GET /v1/meta/fields`, and the values `GET /v1/employees/{id}`
//! returns for the fields a client names.

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::{Caller, CompanyState, wants_json, xml};
use crate::data::{LOCATIONS, Person, escape_markup};

/// One field: BambooHR's numeric id, the alias clients request it by, its display name and type.
pub(crate) struct Field {
    pub(crate) id: u32,
    pub(crate) alias: &'static str,
    pub(crate) name: &'static str,
    pub(crate) kind: &'static str,
}

const fn field(id: u32, alias: &'static str, name: &'static str, kind: &'static str) -> Field {
    Field { id, alias, name, kind }
}

pub(crate) const FIELDS: &[Field] = &[
    field(1, "firstName", "First Name", "text"),
    field(2, "lastName", "Last Name", "text"),
    field(3, "middleName", "Middle Name", "text"),
    field(4, "preferredName", "Preferred Name", "text"),
    field(5, "displayName", "Display Name", "text"),
    field(6, "employeeNumber", "Employee #", "text"),
    field(7, "status", "Status", "status"),
    field(8, "hireDate", "Hire Date", "date"),
    field(9, "terminationDate", "Termination Date", "date"),
    field(10, "dateOfBirth", "Birth Date", "date"),
    field(11, "gender", "Gender", "gender"),
    field(12, "jobTitle", "Job Title", "list"),
    field(13, "department", "Department", "list"),
    field(14, "division", "Division", "list"),
    field(15, "location", "Location", "list"),
    field(16, "supervisor", "Reporting to", "employee"),
    field(17, "supervisorEId", "Supervisor EID", "int"),
    field(18, "workEmail", "Work Email", "email"),
    field(19, "homeEmail", "Home Email", "email"),
    field(20, "workPhone", "Work Phone", "phone"),
    field(21, "workPhoneExtension", "Work Ext.", "text"),
    field(22, "mobilePhone", "Mobile Phone", "phone"),
    field(23, "employmentHistoryStatus", "Employment Status", "list"),
    field(24, "city", "City", "text"),
    field(25, "state", "State", "state"),
    field(26, "country", "Country", "country"),
    field(27, "payRate", "Pay rate", "currency"),
    field(28, "payType", "Pay type", "pay_type"),
    field(29, "payPer", "Pay per", "list"),
];

/// A field named in `fields=`: by alias or by numeric id.
pub(crate) fn lookup(name: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.alias == name || name.parse::<u32>().is_ok_and(|id| id == f.id))
}

/// BambooHR values are strings; an empty date reads `0000-00-00`, as BambooHR sends it.
pub(crate) fn value(company: &CompanyState, p: &Person, alias: &str) -> Option<String> {
    let location = LOCATIONS[p.location];
    let supervisor = p.manager.map(|m| company.person(m));
    Some(match alias {
        "firstName" => p.first_name.to_owned(),
        "lastName" => p.last_name.to_owned(),
        "middleName" => p.middle_name?.to_owned(),
        "preferredName" => p.preferred_name?.to_owned(),
        "displayName" => format!("{} {}", p.display_first_name(), p.last_name),
        "employeeNumber" => (p.index + 1).to_string(),
        "status" => if p.active() { "Active" } else { "Inactive" }.to_owned(),
        "hireDate" => p.hire_date.iso(),
        "terminationDate" => p.termination_date.map_or_else(|| "0000-00-00".to_owned(), |d| d.iso()),
        "dateOfBirth" => p.date_of_birth.iso(),
        "gender" => p.gender.to_owned(),
        "jobTitle" => p.job_title.to_owned(),
        "department" => p.department.to_owned(),
        "division" => p.division.to_owned(),
        "location" => location.0.to_owned(),
        "supervisor" => supervisor.map(|s| format!("{} {}", s.display_first_name(), s.last_name))?,
        "supervisorEId" => company.employee_id(p.manager?).to_string(),
        "workEmail" => format!("{}@{}", p.email_local_part(), company.email_domain()),
        "homeEmail" => format!("{}@mail.example", p.email_local_part()),
        "workPhone" => p.work_phone(),
        "workPhoneExtension" => {
            p.work_phone_suffix.is_multiple_of(3).then(|| (p.work_phone_suffix % 1000).to_string())?
        }
        "mobilePhone" => p.mobile_phone.clone()?,
        "employmentHistoryStatus" => match (p.active(), p.part_time) {
            (false, _) => "Terminated",
            (true, true) => "Part-Time",
            (true, false) => "Full-Time",
        }
        .to_owned(),
        "city" => location.1.to_owned(),
        "state" => location.2.to_owned(),
        "country" => "United States".to_owned(),
        "payRate" => format!("{}.00 USD", p.salary),
        "payType" => "Salary".to_owned(),
        "payPer" => "Year".to_owned(),
        _ => return None,
    })
}

/// `GET /v1/meta/fields`: `[{id, name, type, alias}]`, or `<fields>` in XML.
pub(crate) async fn list(_caller: Caller, headers: HeaderMap) -> Response {
    if wants_json(&headers) {
        let fields: Vec<_> = FIELDS
            .iter()
            .map(|f| serde_json::json!({ "id": f.id, "name": f.name, "type": f.kind, "alias": f.alias }))
            .collect();
        return axum::Json(fields).into_response();
    }
    let mut body = String::from("<?xml version=\"1.0\"?>\n<fields>");
    for f in FIELDS {
        body.push_str(&format!(
            "<field id=\"{}\" type=\"{}\" alias=\"{}\">{}</field>",
            f.id,
            f.kind,
            f.alias,
            escape_markup(f.name)
        ));
    }
    body.push_str("</fields>");
    xml(body)
}
