//! Gusto's API as documented (docs.gusto.com, OpenAPI 2025-06-15): URLs and response types.
//!
//! The types hold what Joinery maps; everything else of a payload stays in `remote_data`. Gusto
//! writes most amounts as decimal strings (`"80000.00"`) but some as numbers (an employee's
//! `gross_pay` in a payroll), and the spec's examples show phone numbers and ZIP codes as
//! numbers too, so those fields accept both.

use serde::{Deserialize, Deserializer};

pub const BASE: &str = "https://api.gusto.com";
pub const AUTHORIZE_URL: &str = "https://api.gusto.com/oauth/authorize";
pub const TOKEN_URL: &str = "https://api.gusto.com/oauth/token";
/// Requests without it get the app's minimum version; pin the one Joinery is written against.
pub const API_VERSION_HEADER: &str = "X-Gusto-API-Version";
pub const API_VERSION: &str = "2025-06-15";
/// The largest page Joinery asks for (`per`); Gusto's default is 25.
pub const PER: u32 = 100;

/// The documented URL of an API path (`/v1/...`).
pub fn url(path: &str) -> String {
    format!("{BASE}{path}")
}

/// A string, a number written as text, or nothing.
fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// An amount given as a decimal string or a number.
fn amount<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(s) => s.trim().parse().ok(),
        serde_json::Value::Number(n) => n.as_f64(),
        _ => None,
    })
}

/// `null` as the type's default (Gusto sends `null` for some empty arrays).
fn or_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(deserializer: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// `GET /v1/token_info` (schema `Token-Info`).
#[derive(Debug, Deserialize)]
pub struct TokenInfo {
    pub resource: Option<Resource>,
}

#[derive(Debug, Deserialize)]
pub struct Resource {
    #[serde(rename = "type")]
    pub kind: String,
    pub uuid: String,
}

/// `GET /v1/companies/{company_id}` (schema `Company`).
#[derive(Debug, Deserialize)]
pub struct Company {
    pub uuid: String,
    pub name: Option<String>,
    pub trade_name: Option<String>,
    #[serde(default)]
    pub ein: Option<String>,
    /// "Company's first invoiceable event date": payroll history starts about then.
    #[serde(default)]
    pub join_date: Option<String>,
}

/// `GET /v1/companies/{company_id}/locations` (schema `Location`).
#[derive(Debug, Deserialize)]
pub struct Location {
    pub uuid: String,
    #[serde(default, deserialize_with = "text")]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub street_1: Option<String>,
    #[serde(default)]
    pub street_2: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub zip: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    /// Inactive locations "have been deleted".
    #[serde(default)]
    pub active: Option<bool>,
}

/// `GET /v1/companies/{company_uuid}/departments` (schema `Department`).
#[derive(Debug, Deserialize)]
pub struct Department {
    pub uuid: String,
    #[serde(default)]
    pub title: Option<String>,
}

/// `GET /v1/companies/{company_id}/employees` (schema `Employee`).
#[derive(Debug, Deserialize)]
pub struct Employee {
    pub uuid: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub preferred_first_name: Option<String>,
    /// The personal email.
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub work_email: Option<String>,
    #[serde(default)]
    pub company_uuid: Option<String>,
    #[serde(default)]
    pub manager_uuid: Option<String>,
    #[serde(default)]
    pub department_uuid: Option<String>,
    /// "Has been or is scheduled to be terminated".
    #[serde(default)]
    pub terminated: Option<bool>,
    #[serde(default)]
    pub onboarded: Option<bool>,
    #[serde(default)]
    pub onboarding_status: Option<String>,
    #[serde(default, deserialize_with = "or_default")]
    pub jobs: Vec<Job>,
    #[serde(default, deserialize_with = "or_default")]
    pub terminations: Vec<Termination>,
    #[serde(default)]
    pub date_of_birth: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub phone: Option<String>,
    #[serde(default)]
    pub ssn: Option<String>,
    /// `full_time`, `part_time_under_twenty_hours`, `part_time_twenty_plus_hours`, `variable`,
    /// `seasonal`.
    #[serde(default)]
    pub current_employment_status: Option<String>,
    #[serde(default)]
    pub employee_code: Option<String>,
    #[serde(default)]
    pub hired_at: Option<String>,
}

/// An employee's job (schema `Job`), embedded in the employee.
#[derive(Debug, Deserialize)]
pub struct Job {
    pub uuid: String,
    #[serde(default)]
    pub hire_date: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub primary: Option<bool>,
    #[serde(default)]
    pub current_compensation_uuid: Option<String>,
    #[serde(default)]
    pub location_uuid: Option<String>,
    /// The current compensation, or every effective-dated one with `include=all_compensations`.
    #[serde(default, deserialize_with = "or_default")]
    pub compensations: Vec<Compensation>,
}

/// An effective-dated pay of a job (schema `Compensation`).
#[derive(Debug, Deserialize)]
pub struct Compensation {
    pub uuid: String,
    #[serde(default, deserialize_with = "amount")]
    pub rate: Option<f64>,
    /// `Hour`, `Week`, `Month`, `Year`, `Paycheck`.
    #[serde(default)]
    pub payment_unit: Option<String>,
    /// `Exempt`, `Salaried Nonexempt`, `Nonexempt`, `Owner`, `Commission Only Exempt`,
    /// `Commission Only Nonexempt`.
    #[serde(default)]
    pub flsa_status: Option<String>,
    #[serde(default)]
    pub effective_date: Option<String>,
}

/// Schema `Termination`, embedded in the employee.
#[derive(Debug, Deserialize)]
pub struct Termination {
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub effective_date: Option<String>,
}

/// `GET /v1/employees/{employee_id}/bank_accounts` (schema `Employee-Bank-Account`).
#[derive(Debug, Deserialize)]
pub struct BankAccount {
    pub uuid: String,
    #[serde(default)]
    pub employee_uuid: Option<String>,
    /// `Checking` or `Savings`.
    #[serde(default)]
    pub account_type: Option<String>,
    /// The account's name ("BoA Checking Account"), the closest Gusto has to a bank name.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub routing_number: Option<String>,
    /// Gusto shares only a masked number (`XXXX1207`).
    #[serde(default)]
    pub hidden_account_number: Option<String>,
}

/// `GET /v1/companies/{company_id}/pay_schedules` (schema `Pay-Schedule`).
#[derive(Debug, Deserialize)]
pub struct PaySchedule {
    pub uuid: String,
    /// `Every week`, `Every other week`, `Twice per month`, `Monthly`, `Quarterly`, `Annually`.
    #[serde(default)]
    pub frequency: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// The display name (auto-generated when none was set).
    #[serde(default)]
    pub custom_name: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
}

/// `GET /v1/companies/{company_id}/pay_schedules/assignments` (schema `Pay-Schedule-Assignment`).
#[derive(Debug, Default, Deserialize)]
pub struct PayScheduleAssignment {
    /// `single`, `hourly_salaried`, `by_employee`, `by_department`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub default_pay_schedule_uuid: Option<String>,
    #[serde(default)]
    pub hourly_pay_schedule_uuid: Option<String>,
    #[serde(default)]
    pub salaried_pay_schedule_uuid: Option<String>,
    #[serde(default, deserialize_with = "or_default")]
    pub employees: Vec<EmployeeSchedule>,
    #[serde(default, deserialize_with = "or_default")]
    pub departments: Vec<DepartmentSchedule>,
}

#[derive(Debug, Deserialize)]
pub struct EmployeeSchedule {
    pub employee_uuid: String,
    #[serde(default)]
    pub pay_schedule_uuid: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct DepartmentSchedule {
    pub department_uuid: String,
    #[serde(default)]
    pub pay_schedule_uuid: Option<String>,
}

/// `GET /v1/companies/{company_id}/payrolls` (schema `Payroll`) and
/// `GET /v1/companies/{company_id}/payrolls/{payroll_id}` (schema `Payroll-Show`, which adds
/// `employee_compensations`).
#[derive(Debug, Deserialize)]
pub struct Payroll {
    #[serde(default)]
    pub payroll_uuid: Option<String>,
    #[serde(default)]
    pub uuid: Option<String>,
    #[serde(default)]
    pub processed: Option<bool>,
    #[serde(default)]
    pub off_cycle: Option<bool>,
    #[serde(default)]
    pub off_cycle_reason: Option<String>,
    #[serde(default)]
    pub final_termination_payroll: Option<bool>,
    #[serde(default)]
    pub external: Option<bool>,
    #[serde(default)]
    pub check_date: Option<String>,
    #[serde(default)]
    pub pay_period: Option<PayPeriod>,
    #[serde(default, deserialize_with = "or_default")]
    pub employee_compensations: Vec<EmployeeCompensation>,
}

impl Payroll {
    /// `payroll_uuid`, or `uuid` (the same value in current versions).
    pub fn id(&self) -> Option<&str> {
        self.payroll_uuid.as_deref().or(self.uuid.as_deref()).filter(|id| !id.is_empty())
    }
}

#[derive(Debug, Deserialize)]
pub struct PayPeriod {
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub end_date: Option<String>,
    #[serde(default)]
    pub pay_schedule_uuid: Option<String>,
}

/// One employee's pay in a payroll.
#[derive(Debug, Deserialize)]
pub struct EmployeeCompensation {
    pub employee_uuid: String,
    #[serde(default)]
    pub excluded: Option<bool>,
    #[serde(default, deserialize_with = "amount")]
    pub gross_pay: Option<f64>,
    #[serde(default, deserialize_with = "amount")]
    pub net_pay: Option<f64>,
    #[serde(default, deserialize_with = "or_default")]
    pub fixed_compensations: Vec<PayLine>,
    #[serde(default, deserialize_with = "or_default")]
    pub hourly_compensations: Vec<PayLine>,
    #[serde(default, deserialize_with = "or_default")]
    pub reimbursements: Vec<PayLine>,
    /// With `include=taxes`.
    #[serde(default, deserialize_with = "or_default")]
    pub taxes: Vec<Tax>,
    /// With `include=deductions`.
    #[serde(default, deserialize_with = "or_default")]
    pub deductions: Vec<Deduction>,
    /// With `include=benefits`.
    #[serde(default, deserialize_with = "or_default")]
    pub benefits: Vec<Benefit>,
}

/// A fixed or hourly compensation, or a reimbursement, of a payroll.
#[derive(Debug, Deserialize)]
pub struct PayLine {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "amount")]
    pub amount: Option<f64>,
}

#[derive(Debug, Deserialize)]
pub struct Tax {
    #[serde(default)]
    pub name: Option<String>,
    /// The employer's share, not the employee's.
    #[serde(default)]
    pub employer: Option<bool>,
    #[serde(default, deserialize_with = "amount")]
    pub amount: Option<f64>,
}

#[derive(Debug, Deserialize)]
pub struct Deduction {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "amount")]
    pub amount: Option<f64>,
}

#[derive(Debug, Deserialize)]
pub struct Benefit {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "amount")]
    pub employee_deduction: Option<f64>,
    #[serde(default, deserialize_with = "amount")]
    pub company_contribution: Option<f64>,
}
