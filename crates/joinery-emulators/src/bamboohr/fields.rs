//! The employee field catalogue: `GET /v1/meta/fields`, and the values `GET /v1/employees/{id}`
//! and custom reports return for the fields a client names.

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::world::{Ctx, Emp};
use super::{Caller, wants_json, xml};
use crate::data::{Date, LOCATIONS, escape_markup, timestamp};

/// One field: BambooHR's numeric id, the alias clients request it by, its display name and type,
/// and whether the mutation API may set it directly.
pub(crate) struct Field {
    pub(crate) id: u32,
    pub(crate) alias: &'static str,
    pub(crate) name: &'static str,
    pub(crate) kind: &'static str,
    pub(crate) writable: bool,
}

const fn field(id: u32, alias: &'static str, name: &'static str, kind: &'static str, writable: bool) -> Field {
    Field { id, alias, name, kind, writable }
}

const W: bool = true;
const R: bool = false;

pub(crate) const FIELDS: &[Field] = &[
    field(1, "firstName", "First Name", "text", W),
    field(2, "lastName", "Last Name", "text", W),
    field(3, "middleName", "Middle Name", "text", W),
    field(4, "preferredName", "Preferred Name", "text", W),
    field(5, "displayName", "Display Name", "text", R),
    field(6, "employeeNumber", "Employee #", "text", W),
    field(7, "status", "Status", "status", R),
    field(8, "hireDate", "Hire Date", "date", W),
    field(9, "terminationDate", "Termination Date", "date", R),
    field(10, "dateOfBirth", "Birth Date", "date", W),
    field(11, "gender", "Gender", "gender", W),
    field(12, "jobTitle", "Job Title", "list", W),
    field(13, "department", "Department", "list", W),
    field(14, "division", "Division", "list", W),
    field(15, "location", "Location", "list", W),
    field(16, "supervisor", "Reporting to", "employee", R),
    field(17, "supervisorEId", "Supervisor EID", "int", R),
    field(18, "workEmail", "Work Email", "email", W),
    field(19, "homeEmail", "Home Email", "email", W),
    field(20, "workPhone", "Work Phone", "phone", W),
    field(21, "workPhoneExtension", "Work Ext.", "text", W),
    field(22, "mobilePhone", "Mobile Phone", "phone", W),
    field(23, "employmentHistoryStatus", "Employment Status", "list", R),
    field(24, "city", "City", "text", W),
    field(25, "state", "State", "state", W),
    field(26, "country", "Country", "country", W),
    field(27, "payRate", "Pay rate", "currency", R),
    field(28, "payType", "Pay type", "pay_type", R),
    field(29, "paidPer", "Pay per", "list", R),
    field(30, "originalHireDate", "Original Hire Date", "date", W),
    field(31, "ethnicity", "Ethnicity", "list", W),
    field(32, "maritalStatus", "Marital Status", "marital_status", W),
    field(33, "ssn", "SSN", "ssn", W),
    field(34, "address1", "Address Line 1", "text", W),
    field(35, "address2", "Address Line 2", "text", W),
    field(36, "zipcode", "Zip Code", "text", W),
    field(37, "payGroup", "Pay Group", "list", W),
    field(38, "paySchedule", "Pay Schedule", "list", R),
    field(39, "exempt", "Overtime Status", "exempt", R),
    field(40, "supervisorId", "Supervisor ID", "text", R),
    field(41, "supervisorEmail", "Supervisor Email", "email", R),
    field(42, "lastChanged", "Last Changed", "timestamp", R),
    field(43, "photoUploaded", "Employee photo exists", "bool", R),
    field(44, "photoUrl", "Employee photo url", "url", R),
    field(45, "fullName1", "First Name Last Name", "text", R),
    field(46, "fullName2", "Last Name, First Name", "text", R),
    field(47, "age", "Age", "integer", R),
    field(48, "homePhone", "Home Phone", "phone", W),
    field(49, "payRateEffectiveDate", "Pay Rate Effective Date", "date", R),
    field(50, "payChangeReason", "Compensation: Change Reason", "list", R),
    field(51, "stateCode", "State Code", "text", R),
    field(52, "bestEmail", "Best Email", "email", R),
];

/// A field named in `fields=` or a report: by alias or by numeric id.
pub(crate) fn lookup(name: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.alias == name || name.parse::<u32>().is_ok_and(|id| id == f.id))
}

/// Full state names for the generated locations' state codes.
pub(crate) fn state_name(code: &str) -> &'static str {
    match code {
        "CA" => "California",
        "NY" => "New York",
        "TX" => "Texas",
        _ => "Colorado",
    }
}

pub(crate) fn photo_url(ctx: &Ctx, emp: &Emp) -> String {
    format!("https://photos.{}/employees/{}-150x150.jpg", ctx.company.email_domain(), emp.id)
}

/// Values are strings, as BambooHR sends them; an empty date reads `0000-00-00`. A test's
/// override of a writable field wins over the generated value.
pub(crate) fn value(ctx: &Ctx, emp: &Emp, alias: &str) -> Option<String> {
    if let Some(overridden) = emp.overridden(alias) {
        return overridden.map(str::to_owned);
    }
    let p = &emp.p;
    let location = LOCATIONS[p.location];
    let supervisor = || ctx.emp(emp.job.reports_to?);
    let work_email = || match emp.overridden("workEmail") {
        Some(value) => value.map(str::to_owned),
        None => Some(format!("{}@{}", p.email_local_part(), ctx.company.email_domain())),
    };
    Some(match alias {
        "firstName" => emp.first_name().to_owned(),
        "lastName" => emp.last_name().to_owned(),
        "middleName" => p.middle_name?.to_owned(),
        "preferredName" => emp.preferred_name()?.to_owned(),
        "displayName" => emp.display_name(),
        "employeeNumber" => (emp.index + 1).to_string(),
        "status" => if emp.active() { "Active" } else { "Inactive" }.to_owned(),
        "hireDate" => p.hire_date.iso(),
        "originalHireDate" => emp.x.original_hire_date.iso(),
        "terminationDate" => emp.employment.terminated_on.clone().unwrap_or_else(|| "0000-00-00".to_owned()),
        "dateOfBirth" => p.date_of_birth.iso(),
        "age" => {
            let born = value(ctx, emp, "dateOfBirth").as_deref().and_then(Date::parse)?;
            let (today, born) = (Date::parse(ctx.today)?.ymd(), born.ymd());
            let age = today.0 - born.0 - i64::from((today.1, today.2) < (born.1, born.2));
            age.to_string()
        }
        "gender" => p.gender.to_owned(),
        "maritalStatus" => emp.x.marital_status.to_owned(),
        "ethnicity" => emp.x.ethnicity?.to_owned(),
        "ssn" => emp.x.ssn(),
        "jobTitle" => emp.job.job_title?.to_owned(),
        "department" => emp.job.department?.to_owned(),
        "division" => emp.job.division?.to_owned(),
        "location" => emp.job.location?.to_owned(),
        "supervisor" => supervisor()?.display_name(),
        "supervisorEId" => supervisor()?.id.to_string(),
        "supervisorId" => value(ctx, &supervisor()?, "employeeNumber")?,
        "supervisorEmail" => value(ctx, &supervisor()?, "workEmail")?,
        "workEmail" => work_email()?,
        "homeEmail" => format!("{}@mail.example", p.email_local_part()),
        "bestEmail" => work_email().or_else(|| value(ctx, emp, "homeEmail"))?,
        "workPhone" => p.work_phone(),
        "workPhoneExtension" => {
            p.work_phone_suffix.is_multiple_of(3).then(|| (p.work_phone_suffix % 1000).to_string())?
        }
        "mobilePhone" => p.mobile_phone.clone()?,
        "homePhone" => return None,
        "employmentHistoryStatus" => emp.employment.status.clone()?,
        "address1" => emp.x.address1(),
        "address2" => emp.x.address2()?,
        "city" => location.1.to_owned(),
        "state" => state_name(location.2).to_owned(),
        "stateCode" => match emp.overridden("state") {
            // A state typed by a test is not abbreviated.
            Some(_) => return None,
            None => location.2.to_owned(),
        },
        "zipcode" => location.3.to_owned(),
        "country" => "United States".to_owned(),
        "payRate" => emp.pay.as_ref().map(|pay| format!("{} {}", pay.rate, pay.currency))?,
        "payType" => emp.pay.as_ref()?.pay_type.clone(),
        "paidPer" => emp.pay.as_ref()?.paid_per.clone(),
        "paySchedule" => emp.pay.as_ref()?.pay_schedule.clone()?,
        "exempt" => emp.pay.as_ref()?.exempt.clone()?,
        "payRateEffectiveDate" => emp.pay.as_ref()?.start_date.clone(),
        "payChangeReason" => match &emp.pay.as_ref()?.reason {
            Some(reason) => reason.clone(),
            // Generated employees: the reason of the last generated row.
            None => emp.tables(ctx.company).comp.last()?.1.reason.clone()?,
        },
        "payGroup" => if p.part_time { "US Hourly" } else { "US Salaried" }.to_owned(),
        "lastChanged" => timestamp(emp.last_changed()),
        "photoUploaded" => "false".to_owned(),
        "photoUrl" => photo_url(ctx, emp),
        "fullName1" => format!("{} {}", emp.first_name(), emp.last_name()),
        "fullName2" => format!("{}, {}", emp.last_name(), emp.first_name()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_ids_are_unique() {
        for (i, a) in FIELDS.iter().enumerate() {
            for b in &FIELDS[i + 1..] {
                assert_ne!(a.id, b.id);
                assert_ne!(a.alias, b.alias);
            }
        }
        assert_eq!(lookup("18").unwrap().alias, "workEmail");
        assert!(lookup("payPer").is_none(), "the documented name is paidPer");
    }
}
