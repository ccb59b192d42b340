//! Names of Merge's common models per category, as used in scopes (`model_id` is
//! `"<category>.<ModelName>"`, `model_name` is the bare name). Only the categories Joinery
//! implements are listed; for the others any well-formed name is accepted (see docs/decisions.md).

use crate::Category;

pub const HRIS_MODELS: &[&str] = &[
    "Employee",
    "Employment",
    "Company",
    "Location",
    "Team",
    "Group",
    "TimeOff",
    "TimeOffBalance",
    "PayrollRun",
    "EmployeePayrollRun",
    "Earning",
    "Deduction",
    "Tax",
    "Benefit",
    "EmployerBenefit",
    "BankInfo",
    "Dependent",
    "PayGroup",
    "TimesheetEntry",
];

pub const ATS_MODELS: &[&str] = &[
    "Candidate",
    "Application",
    "Job",
    "ScheduledInterview",
    "Offer",
    "Scorecard",
    "Attachment",
    "Activity",
    "Department",
    "Office",
    "JobInterviewStage",
    "RejectReason",
    "Tag",
    "Eeoc",
    "ScreeningQuestion",
    "ScreeningQuestionOption",
    "ScreeningQuestionAnswer",
    "RemoteUser",
    "JobPosting",
    "Url",
    "EmailAddress",
    "PhoneNumber",
];

/// The known model names of a category, or `None` when Joinery does not model that category yet.
pub fn models_of(category: Category) -> Option<&'static [&'static str]> {
    match category {
        Category::Hris => Some(HRIS_MODELS),
        Category::Ats => Some(ATS_MODELS),
        _ => None,
    }
}

/// Whether `name` is acceptable as a model of `category`.
pub fn is_known_model(category: Category, name: &str) -> bool {
    match models_of(category) {
        Some(models) => models.contains(&name),
        None => !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()),
    }
}
