//! Merge's HRIS common models.
//!
//! Source: Merge's HRIS OpenAPI document (fields, their order and kinds, every query parameter of
//! `/hris/v1/<path>` and `/hris/v1/<path>/{id}`), cross-checked by `models::tests`. Where it and
//! the Python SDK 4.2.1 (docs `merge-api.md`) disagree:
//!
//! - **Team** has no schema and no endpoint in the OpenAPI document but is in the SDK (and
//!   `Employee.team` and `expand=team` still are in both). It is kept, as the SDK describes it:
//!   `GET /teams` with `parent_team_id` and `expand=parent_team`.
//! - `Employee.employee_url` and `Group.group_url` are SDK-only; the catalogue follows the OpenAPI
//!   document and has neither.
//! - `GET /groups` takes `expand=parent_group` in the OpenAPI document only; it is listed.
//!
//! Filters: the comparison of each one is read from its parameter's description, not its name
//! alone. Some of Merge's descriptions are copy-pasted and wrong; the field is then the one the
//! parameter names: `employee-payroll-runs?payroll_run_id` ("…for this employee") compares
//! `payroll_run`, `payroll-runs?run_type` ("…with this status") compares `run_type`,
//! `time-off?ended_after` ("…employees that ended…") compares the time off's `end_time`.
//! `groups?is_commonly_used_as_team` is typed as a string in the document but holds a boolean.
//!
//! Sensitive fields: Merge's `include_sensitive_fields` (on employees and dependents only) is
//! documented as "sensitive fields (such as social security numbers)", and SSN is the only field
//! it ever names. So `ssn` is the one sensitive field, on Employee and on Dependent, and is `null`
//! unless the parameter is true. `date_of_birth` is served as Merge documents it, unconditionally:
//! hiding it would silently null a field clients read without the flag today. `BankInfo`'s
//! account and routing numbers are likewise always served: its endpoint has no such parameter.
//! Anything else is for Common Model Scopes (per field) to switch off.

use super::codes::{COUNTRY_CODES, CURRENCY_CODES};
use super::{FieldKind as K, FieldSpec, FilterOp as Op, FilterSpec, ModelSpec};
use crate::Category;

const fn f(name: &'static str, kind: K) -> FieldSpec {
    FieldSpec { name, kind }
}

const fn q(param: &'static str, op: Op) -> FilterSpec {
    FilterSpec { param, op }
}

// ---------------------------------------------------------------------------------------------
// Enums (normalized values, in Merge's order)
// ---------------------------------------------------------------------------------------------

/// Employee.gender, Dependent.gender (HRIS's `GenderEnum`; ATS has its own).
pub const GENDER: &[&str] = &["MALE", "FEMALE", "NON-BINARY", "OTHER", "PREFER_NOT_TO_DISCLOSE"];
/// Employee.ethnicity.
pub const ETHNICITY: &[&str] = &[
    "AMERICAN_INDIAN_OR_ALASKA_NATIVE",
    "ASIAN_OR_INDIAN_SUBCONTINENT",
    "BLACK_OR_AFRICAN_AMERICAN",
    "HISPANIC_OR_LATINO",
    "NATIVE_HAWAIIAN_OR_OTHER_PACIFIC_ISLANDER",
    "TWO_OR_MORE_RACES",
    "WHITE",
    "PREFER_NOT_TO_DISCLOSE",
];
/// Employee.marital_status.
pub const MARITAL_STATUS: &[&str] = &[
    "SINGLE",
    "MARRIED_FILING_JOINTLY",
    "MARRIED_FILING_SEPARATELY",
    "HEAD_OF_HOUSEHOLD",
    "QUALIFYING_WIDOW_OR_WIDOWER_WITH_DEPENDENT_CHILD",
];
/// Employee.employment_status.
pub const EMPLOYMENT_STATUS: &[&str] = &["ACTIVE", "PENDING", "INACTIVE"];
/// Employment.pay_period.
pub const PAY_PERIOD: &[&str] =
    &["HOUR", "DAY", "WEEK", "EVERY_TWO_WEEKS", "SEMIMONTHLY", "MONTH", "QUARTER", "EVERY_SIX_MONTHS", "YEAR"];
/// Employment.pay_frequency.
pub const PAY_FREQUENCY: &[&str] = &[
    "WEEKLY",
    "BIWEEKLY",
    "MONTHLY",
    "QUARTERLY",
    "SEMIANNUALLY",
    "ANNUALLY",
    "THIRTEEN-MONTHLY",
    "PRO_RATA",
    "SEMIMONTHLY",
];
/// Employment.flsa_status.
pub const FLSA_STATUS: &[&str] = &["EXEMPT", "SALARIED_NONEXEMPT", "NONEXEMPT", "OWNER"];
/// Employment.employment_type.
pub const EMPLOYMENT_TYPE: &[&str] = &["FULL_TIME", "PART_TIME", "INTERN", "CONTRACTOR", "FREELANCE"];
/// Location.location_type.
pub const LOCATION_TYPE: &[&str] = &["HOME", "WORK"];
/// Group.type.
pub const GROUP_TYPE: &[&str] = &["TEAM", "DEPARTMENT", "COST_CENTER", "BUSINESS_UNIT", "GROUP"];
/// TimeOff.status.
pub const TIME_OFF_STATUS: &[&str] = &["REQUESTED", "APPROVED", "DECLINED", "CANCELLED", "DELETED"];
/// TimeOff.units.
pub const UNITS: &[&str] = &["HOURS", "DAYS"];
/// TimeOff.request_type.
pub const REQUEST_TYPE: &[&str] = &["VACATION", "SICK", "PERSONAL", "JURY_DUTY", "VOLUNTEER", "BEREAVEMENT"];
/// TimeOffBalance.policy_type (a distinct Merge enum with the same values as `REQUEST_TYPE`).
pub const POLICY_TYPE: &[&str] = REQUEST_TYPE;
/// PayrollRun.run_state.
pub const RUN_STATE: &[&str] = &["PAID", "DRAFT", "APPROVED", "FAILED", "CLOSED"];
/// PayrollRun.run_type.
pub const RUN_TYPE: &[&str] = &["REGULAR", "OFF_CYCLE", "CORRECTION", "TERMINATION", "SIGN_ON_BONUS"];
/// Earning.type.
pub const EARNING_TYPE: &[&str] = &["SALARY", "REIMBURSEMENT", "OVERTIME", "BONUS"];
/// EmployerBenefit.benefit_plan_type (Benefit.benefit_plan_type is a plain string).
pub const BENEFIT_PLAN_TYPE: &[&str] = &["MEDICAL", "HEALTH_SAVINGS", "INSURANCE", "RETIREMENT", "OTHER"];
/// BankInfo.account_type.
pub const ACCOUNT_TYPE: &[&str] = &["SAVINGS", "CHECKING"];
/// Dependent.relationship.
pub const RELATIONSHIP: &[&str] = &["CHILD", "SPOUSE", "DOMESTIC_PARTNER"];
/// Location.country: ISO 3166-1 alpha-2.
pub const COUNTRY: &[&str] = COUNTRY_CODES;
/// Employment.pay_currency: ISO 4217.
pub const PAY_CURRENCY: &[&str] = CURRENCY_CODES;

// ---------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------

const EMPLOYEE: ModelSpec = ModelSpec {
    category: Category::Hris,
    name: "Employee",
    model_id: "hris.Employee",
    path: "employees",
    fields: &[
        f("employee_number", K::String),
        f("company", K::Ref("Company")),
        f("first_name", K::String),
        f("last_name", K::String),
        f("preferred_name", K::String),
        f("display_full_name", K::String),
        f("username", K::String),
        f("groups", K::RefList("Group")),
        f("work_email", K::String),
        f("personal_email", K::String),
        f("mobile_phone_number", K::String),
        f("employments", K::RefList("Employment")),
        f("home_location", K::Ref("Location")),
        f("work_location", K::Ref("Location")),
        f("manager", K::Ref("Employee")),
        f("team", K::Ref("Team")),
        f("pay_group", K::Ref("PayGroup")),
        f("ssn", K::String),
        f("gender", K::Enum(GENDER)),
        f("ethnicity", K::Enum(ETHNICITY)),
        f("marital_status", K::Enum(MARITAL_STATUS)),
        f("date_of_birth", K::DateTime),
        f("hire_date", K::DateTime),
        f("start_date", K::DateTime),
        f("remote_created_at", K::DateTime),
        f("employment_status", K::Enum(EMPLOYMENT_STATUS)),
        f("termination_date", K::DateTime),
        f("avatar", K::String),
        f("custom_fields", K::Object),
    ],
    filters: &[
        q("company_id", Op::RefEquals("company")),
        q("display_full_name", Op::Equals("display_full_name")),
        q("employee_number", Op::Equals("employee_number")),
        q("employment_status", Op::EnumEquals("employment_status")),
        q("employment_type", Op::Related { model: "Employment", back_ref: "employee", field: "employment_type" }),
        q("first_name", Op::Equals("first_name")),
        q("groups", Op::RefListContainsAny("groups")),
        q("home_location_id", Op::RefEquals("home_location")),
        q("job_title", Op::Related { model: "Employment", back_ref: "employee", field: "job_title" }),
        q("last_name", Op::Equals("last_name")),
        q("manager_id", Op::RefEquals("manager")),
        q("pay_group_id", Op::RefEquals("pay_group")),
        q("personal_email", Op::Equals("personal_email")),
        q("started_after", Op::After("start_date")),
        q("started_before", Op::Before("start_date")),
        q("team_id", Op::RefEquals("team")),
        q("terminated_after", Op::After("termination_date")),
        q("terminated_before", Op::Before("termination_date")),
        q("work_email", Op::Equals("work_email")),
        q("work_location_id", Op::RefEquals("work_location")),
    ],
    expand: &["company", "employments", "groups", "home_location", "manager", "pay_group", "team", "work_location"],
    enum_origins: &["employment_status", "ethnicity", "gender", "marital_status"],
    order_by: &[],
    sensitive_fields: &["ssn"],
    accepts_sensitive: true,
};

const EMPLOYMENT: ModelSpec = ModelSpec {
    category: Category::Hris,
    name: "Employment",
    model_id: "hris.Employment",
    path: "employments",
    fields: &[
        f("employee", K::Ref("Employee")),
        f("job_title", K::String),
        f("pay_rate", K::Number),
        f("pay_period", K::Enum(PAY_PERIOD)),
        f("pay_frequency", K::Enum(PAY_FREQUENCY)),
        f("pay_currency", K::Enum(PAY_CURRENCY)),
        f("pay_group", K::Ref("PayGroup")),
        f("flsa_status", K::Enum(FLSA_STATUS)),
        f("effective_date", K::DateTime),
        f("employment_type", K::Enum(EMPLOYMENT_TYPE)),
    ],
    filters: &[q("employee_id", Op::RefEquals("employee"))],
    expand: &["employee", "pay_group"],
    enum_origins: &["employment_type", "flsa_status", "pay_frequency", "pay_period"],
    order_by: &["effective_date"],
    sensitive_fields: &[],
    accepts_sensitive: false,
};

const COMPANY: ModelSpec = ModelSpec {
    category: Category::Hris,
    name: "Company",
    model_id: "hris.Company",
    path: "companies",
    fields: &[f("legal_name", K::String), f("display_name", K::String), f("eins", K::StringList)],
    filters: &[],
    expand: &[],
    enum_origins: &[],
    order_by: &[],
    sensitive_fields: &[],
    accepts_sensitive: false,
};

const LOCATION: ModelSpec = ModelSpec {
    category: Category::Hris,
    name: "Location",
    model_id: "hris.Location",
    path: "locations",
    fields: &[
        f("name", K::String),
        f("phone_number", K::String),
        f("street_1", K::String),
        f("street_2", K::String),
        f("city", K::String),
        f("state", K::String),
        f("zip_code", K::String),
        f("country", K::Enum(COUNTRY)),
        f("location_type", K::Enum(LOCATION_TYPE)),
    ],
    filters: &[q("location_type", Op::EnumEquals("location_type"))],
    expand: &[],
    enum_origins: &["country", "location_type"],
    order_by: &[],
    sensitive_fields: &[],
    accepts_sensitive: false,
};

/// Not in Merge's current OpenAPI document; as the SDK 4.2.1 describes it (see the module docs).
const TEAM: ModelSpec = ModelSpec {
    category: Category::Hris,
    name: "Team",
    model_id: "hris.Team",
    path: "teams",
    fields: &[f("name", K::String), f("parent_team", K::Ref("Team"))],
    filters: &[q("parent_team_id", Op::RefEquals("parent_team"))],
    expand: &["parent_team"],
    enum_origins: &[],
    order_by: &[],
    sensitive_fields: &[],
    accepts_sensitive: false,
};

const GROUP: ModelSpec = ModelSpec {
    category: Category::Hris,
    name: "Group",
    model_id: "hris.Group",
    path: "groups",
    fields: &[
        f("parent_group", K::Ref("Group")),
        f("name", K::String),
        f("type", K::Enum(GROUP_TYPE)),
        f("is_commonly_used_as_team", K::Bool),
    ],
    filters: &[
        q("is_commonly_used_as_team", Op::BoolEquals("is_commonly_used_as_team")),
        q("names", Op::OneOf("name")),
        q("types", Op::OneOf("type")),
    ],
    expand: &["parent_group"],
    enum_origins: &["type"],
    order_by: &[],
    sensitive_fields: &[],
    accepts_sensitive: false,
};

const TIME_OFF: ModelSpec = ModelSpec {
    category: Category::Hris,
    name: "TimeOff",
    model_id: "hris.TimeOff",
    path: "time-off",
    fields: &[
        f("employee", K::Ref("Employee")),
        f("approver", K::Ref("Employee")),
        f("status", K::Enum(TIME_OFF_STATUS)),
        f("employee_note", K::String),
        f("units", K::Enum(UNITS)),
        f("amount", K::Number),
        f("request_type", K::Enum(REQUEST_TYPE)),
        f("start_time", K::DateTime),
        f("end_time", K::DateTime),
    ],
    filters: &[
        q("approver_id", Op::RefEquals("approver")),
        q("employee_id", Op::RefEquals("employee")),
        q("ended_after", Op::After("end_time")),
        q("ended_before", Op::Before("end_time")),
        q("request_type", Op::EnumEquals("request_type")),
        q("started_after", Op::After("start_time")),
        q("started_before", Op::Before("start_time")),
        q("status", Op::EnumEquals("status")),
    ],
    expand: &["approver", "employee"],
    enum_origins: &["request_type", "status", "units"],
    order_by: &[],
    sensitive_fields: &[],
    accepts_sensitive: false,
};

const TIME_OFF_BALANCE: ModelSpec = ModelSpec {
    category: Category::Hris,
    name: "TimeOffBalance",
    model_id: "hris.TimeOffBalance",
    path: "time-off-balances",
    fields: &[
        f("employee", K::Ref("Employee")),
        f("balance", K::Number),
        f("used", K::Number),
        f("policy_type", K::Enum(POLICY_TYPE)),
    ],
    filters: &[q("employee_id", Op::RefEquals("employee")), q("policy_type", Op::EnumEquals("policy_type"))],
    expand: &["employee"],
    enum_origins: &["policy_type"],
    order_by: &[],
    sensitive_fields: &[],
    accepts_sensitive: false,
};

const PAYROLL_RUN: ModelSpec = ModelSpec {
    category: Category::Hris,
    name: "PayrollRun",
    model_id: "hris.PayrollRun",
    path: "payroll-runs",
    fields: &[
        f("run_state", K::Enum(RUN_STATE)),
        f("run_type", K::Enum(RUN_TYPE)),
        f("start_date", K::DateTime),
        f("end_date", K::DateTime),
        f("check_date", K::DateTime),
    ],
    filters: &[
        q("ended_after", Op::After("end_date")),
        q("ended_before", Op::Before("end_date")),
        q("run_type", Op::EnumEquals("run_type")),
        q("started_after", Op::After("start_date")),
        q("started_before", Op::Before("start_date")),
    ],
    expand: &[],
    enum_origins: &["run_state", "run_type"],
    order_by: &[],
    sensitive_fields: &[],
    accepts_sensitive: false,
};

const EMPLOYEE_PAYROLL_RUN: ModelSpec = ModelSpec {
    category: Category::Hris,
    name: "EmployeePayrollRun",
    model_id: "hris.EmployeePayrollRun",
    path: "employee-payroll-runs",
    fields: &[
        f("employee", K::Ref("Employee")),
        f("payroll_run", K::Ref("PayrollRun")),
        f("gross_pay", K::Number),
        f("net_pay", K::Number),
        f("start_date", K::DateTime),
        f("end_date", K::DateTime),
        f("check_date", K::DateTime),
        f("earnings", K::Nested("Earning")),
        f("deductions", K::Nested("Deduction")),
        f("taxes", K::Nested("Tax")),
    ],
    filters: &[
        q("employee_id", Op::RefEquals("employee")),
        q("ended_after", Op::After("end_date")),
        q("ended_before", Op::Before("end_date")),
        q("payroll_run_id", Op::RefEquals("payroll_run")),
        q("started_after", Op::After("start_date")),
        q("started_before", Op::Before("start_date")),
    ],
    expand: &["employee", "payroll_run"],
    enum_origins: &[],
    order_by: &[],
    sensitive_fields: &[],
    accepts_sensitive: false,
};

/// Served only inside `EmployeePayrollRun.earnings`.
const EARNING: ModelSpec = ModelSpec {
    category: Category::Hris,
    name: "Earning",
    model_id: "hris.Earning",
    path: "",
    fields: &[
        f("employee_payroll_run", K::Ref("EmployeePayrollRun")),
        f("amount", K::Number),
        f("type", K::Enum(EARNING_TYPE)),
    ],
    filters: &[],
    expand: &[],
    enum_origins: &[],
    order_by: &[],
    sensitive_fields: &[],
    accepts_sensitive: false,
};

/// Served only inside `EmployeePayrollRun.deductions`.
const DEDUCTION: ModelSpec = ModelSpec {
    category: Category::Hris,
    name: "Deduction",
    model_id: "hris.Deduction",
    path: "",
    fields: &[
        f("employee_payroll_run", K::Ref("EmployeePayrollRun")),
        f("name", K::String),
        f("employee_deduction", K::Number),
        f("company_deduction", K::Number),
    ],
    filters: &[],
    expand: &[],
    enum_origins: &[],
    order_by: &[],
    sensitive_fields: &[],
    accepts_sensitive: false,
};

/// Served only inside `EmployeePayrollRun.taxes`.
const TAX: ModelSpec = ModelSpec {
    category: Category::Hris,
    name: "Tax",
    model_id: "hris.Tax",
    path: "",
    fields: &[
        f("employee_payroll_run", K::Ref("EmployeePayrollRun")),
        f("name", K::String),
        f("amount", K::Number),
        f("employer_tax", K::Bool),
    ],
    filters: &[],
    expand: &[],
    enum_origins: &[],
    order_by: &[],
    sensitive_fields: &[],
    accepts_sensitive: false,
};

const BENEFIT: ModelSpec = ModelSpec {
    category: Category::Hris,
    name: "Benefit",
    model_id: "hris.Benefit",
    path: "benefits",
    fields: &[
        f("employee", K::Ref("Employee")),
        f("provider_name", K::String),
        f("benefit_plan_type", K::String),
        f("employee_contribution", K::Number),
        f("company_contribution", K::Number),
        f("start_date", K::DateTime),
        f("end_date", K::DateTime),
        f("employer_benefit", K::Ref("EmployerBenefit")),
    ],
    filters: &[q("employee_id", Op::RefEquals("employee"))],
    expand: &["employee"],
    enum_origins: &[],
    order_by: &[],
    sensitive_fields: &[],
    accepts_sensitive: false,
};

const EMPLOYER_BENEFIT: ModelSpec = ModelSpec {
    category: Category::Hris,
    name: "EmployerBenefit",
    model_id: "hris.EmployerBenefit",
    path: "employer-benefits",
    fields: &[
        f("benefit_plan_type", K::Enum(BENEFIT_PLAN_TYPE)),
        f("name", K::String),
        f("description", K::String),
        f("deduction_code", K::String),
    ],
    filters: &[],
    expand: &[],
    enum_origins: &[],
    order_by: &[],
    sensitive_fields: &[],
    accepts_sensitive: false,
};

const BANK_INFO: ModelSpec = ModelSpec {
    category: Category::Hris,
    name: "BankInfo",
    model_id: "hris.BankInfo",
    path: "bank-info",
    fields: &[
        f("employee", K::Ref("Employee")),
        f("account_number", K::String),
        f("routing_number", K::String),
        f("bank_name", K::String),
        f("account_type", K::Enum(ACCOUNT_TYPE)),
        f("remote_created_at", K::DateTime),
    ],
    filters: &[
        q("account_type", Op::EnumEquals("account_type")),
        q("bank_name", Op::Equals("bank_name")),
        q("employee_id", Op::RefEquals("employee")),
    ],
    expand: &["employee"],
    enum_origins: &["account_type"],
    order_by: &["remote_created_at"],
    sensitive_fields: &[],
    accepts_sensitive: false,
};

/// `employee` and `home_location` are UUIDs that Merge does not offer to expand.
const DEPENDENT: ModelSpec = ModelSpec {
    category: Category::Hris,
    name: "Dependent",
    model_id: "hris.Dependent",
    path: "dependents",
    fields: &[
        f("first_name", K::String),
        f("middle_name", K::String),
        f("last_name", K::String),
        f("relationship", K::Enum(RELATIONSHIP)),
        f("employee", K::Ref("Employee")),
        f("date_of_birth", K::DateTime),
        f("gender", K::Enum(GENDER)),
        f("phone_number", K::String),
        f("home_location", K::Ref("Location")),
        f("is_student", K::Bool),
        f("ssn", K::String),
    ],
    filters: &[q("employee_id", Op::RefEquals("employee"))],
    expand: &[],
    enum_origins: &[],
    order_by: &[],
    sensitive_fields: &["ssn"],
    accepts_sensitive: true,
};

const PAY_GROUP: ModelSpec = ModelSpec {
    category: Category::Hris,
    name: "PayGroup",
    model_id: "hris.PayGroup",
    path: "pay-groups",
    fields: &[f("pay_group_name", K::String)],
    filters: &[],
    expand: &[],
    enum_origins: &[],
    order_by: &[],
    sensitive_fields: &[],
    accepts_sensitive: false,
};

const TIMESHEET_ENTRY: ModelSpec = ModelSpec {
    category: Category::Hris,
    name: "TimesheetEntry",
    model_id: "hris.TimesheetEntry",
    path: "timesheet-entries",
    fields: &[
        f("employee", K::Ref("Employee")),
        f("hours_worked", K::Number),
        f("start_time", K::DateTime),
        f("end_time", K::DateTime),
    ],
    filters: &[
        q("employee_id", Op::RefEquals("employee")),
        q("ended_after", Op::After("end_time")),
        q("ended_before", Op::Before("end_time")),
        q("started_after", Op::After("start_time")),
        q("started_before", Op::Before("start_time")),
    ],
    expand: &["employee"],
    enum_origins: &[],
    order_by: &["start_time"],
    sensitive_fields: &[],
    accepts_sensitive: false,
};

/// Every HRIS model, in the order of `common_models::HRIS_MODELS`.
pub static MODELS: &[ModelSpec] = &[
    EMPLOYEE,
    EMPLOYMENT,
    COMPANY,
    LOCATION,
    TEAM,
    GROUP,
    TIME_OFF,
    TIME_OFF_BALANCE,
    PAYROLL_RUN,
    EMPLOYEE_PAYROLL_RUN,
    EARNING,
    DEDUCTION,
    TAX,
    BENEFIT,
    EMPLOYER_BENEFIT,
    BANK_INFO,
    DEPENDENT,
    PAY_GROUP,
    TIMESHEET_ENTRY,
];
