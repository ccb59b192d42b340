//! The companies' data: generated on demand from each company's seed and size, plus the changes
//! tests make through [`World`] (renamed, removed and added employees), and the grants' tokens.
//!
//! Employees, their jobs and compensations, bank accounts, locations, departments and the pay
//! schedule are pure functions of `(seed, index)`; only the changes are stored. Dates that depend
//! on "today" (raises, payroll history) use the day the emulator started, so one emulator answers
//! the same all its life.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::{AppState, Company};
use crate::data::{DEPARTMENTS, Date, LOCATIONS, Person, Rng, department_index, index_from_uuid, mix, uuid_for};

// Salts keep the UUIDs of different kinds of record apart.
pub(crate) const EMPLOYEE: u64 = 1;
const JOB: u64 = 2;
const COMPENSATION: u64 = 3;
const DEPARTMENT: u64 = 4;
pub(crate) const LOCATION: u64 = 5;
const TERMINATION: u64 = 6;
const VERSION: u64 = 7;
const ONBOARDING: u64 = 8;
const BANK_ACCOUNT: u64 = 9;
const PAY_SCHEDULE: u64 = 10;
pub(crate) const PAYROLL: u64 = 11;
pub(crate) const OFF_CYCLE_PAYROLL: u64 = 12;
const RAISE: u64 = 13;
const SAVINGS: u64 = 14;

/// An opaque version string, as Gusto's `version` fields are.
pub(crate) fn version(seed: u64, salt: u64, index: usize) -> String {
    format!("{:016x}{:016x}", mix(seed ^ salt ^ index as u64), mix(seed ^ mix(salt) ^ index as u64))
}

/// Dollars and cents as Gusto writes amounts: `80000.00`.
pub(crate) fn money(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// What tests changed in one company.
#[derive(Clone, Default)]
pub(crate) struct Changes {
    /// (first name, last name) of renamed employees.
    names: HashMap<usize, (String, String)>,
    removed: BTreeSet<usize>,
    /// Hire dates of added employees; the `i`-th has index `employees + i`.
    added: Vec<Date>,
    /// Bumped by every change of an employee, so its `version` changes.
    revisions: HashMap<usize, u64>,
}

/// One company's mutable state.
pub(crate) struct CompanyState {
    /// The emulator's start day: raises and payroll history are computed for it.
    pub(crate) today: Date,
    changes: Mutex<Changes>,
}

impl CompanyState {
    pub(crate) fn new(today: Date) -> Self {
        CompanyState { today, changes: Mutex::new(Changes::default()) }
    }
}

/// A consistent snapshot of one company, to render a response from.
#[derive(Clone)]
pub(crate) struct View {
    pub(crate) company: Company,
    pub(crate) today: Date,
    changes: Changes,
}

/// One employee as the emulator renders it.
pub(crate) struct Emp {
    pub(crate) p: Person,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) revision: u64,
    /// The manager's index, when the manager exists.
    pub(crate) manager: Option<usize>,
}

/// One effective-dated compensation of an employee's (only) job.
pub(crate) struct Pay {
    pub(crate) uuid: String,
    /// The rate in cents per `unit`.
    pub(crate) cents: u64,
    pub(crate) unit: &'static str,
    pub(crate) flsa: &'static str,
    pub(crate) effective: Date,
}

impl View {
    pub(crate) fn of(state: &AppState, company: usize) -> View {
        let company_state = &state.companies[company];
        let changes = company_state.changes.lock().expect("changes lock").clone();
        View { company: state.config.companies[company].clone(), today: company_state.today, changes }
    }

    pub(crate) fn seed(&self) -> u64 {
        self.company.seed
    }

    fn slots(&self) -> usize {
        self.company.employees + self.changes.added.len()
    }

    fn exists(&self, index: usize) -> bool {
        index < self.slots() && !self.changes.removed.contains(&index)
    }

    /// The indexes of the employees that exist, in list order.
    pub(crate) fn indexes(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.slots()).filter(|i| !self.changes.removed.contains(i))
    }

    pub(crate) fn count(&self) -> usize {
        self.slots() - self.changes.removed.len()
    }

    /// The index of an existing employee's UUID.
    pub(crate) fn employee_index(&self, uuid: &str) -> Option<usize> {
        index_from_uuid(self.seed(), EMPLOYEE, uuid).filter(|i| self.exists(*i))
    }

    pub(crate) fn employee_uuid(&self, index: usize) -> String {
        uuid_for(self.seed(), EMPLOYEE, index)
    }

    pub(crate) fn employee(&self, index: usize) -> Emp {
        let mut p = Person::generate(self.seed(), index);
        if let Some(hired) = index.checked_sub(self.company.employees).and_then(|i| self.changes.added.get(i)) {
            p.hire_date = *hired;
            p.termination_date = None;
        }
        let (first_name, last_name) = match self.changes.names.get(&index) {
            Some((first, last)) => (first.clone(), last.clone()),
            None => (p.first_name.to_owned(), p.last_name.to_owned()),
        };
        let manager = p.manager.filter(|m| self.exists(*m));
        let revision = self.changes.revisions.get(&index).copied().unwrap_or(0);
        Emp { p, first_name, last_name, revision, manager }
    }

    /// Every compensation of the employee's job, oldest first: the one it was hired with, and
    /// for about half of those who stayed a year, a 5% raise on their first anniversary.
    pub(crate) fn compensations(&self, e: &Emp) -> Vec<Pay> {
        let (seed, index) = (self.seed(), e.p.index);
        let hourly = e.p.part_time;
        let (cents, unit, flsa) =
            if hourly { (e.p.salary * 100 / 2080, "Hour", "Nonexempt") } else { (e.p.salary * 100, "Year", "Exempt") };
        let mut pays =
            vec![Pay { uuid: uuid_for(seed, COMPENSATION, index), cents, unit, flsa, effective: e.p.hire_date }];
        let anniversary = e.p.hire_date.plus(365);
        let stayed = e.p.termination_date.is_none_or(|t| anniversary < t);
        if stayed && anniversary <= self.today && Rng::new(seed, index as u64, RAISE).chance(50) {
            let raised = cents * 105 / 100;
            pays.push(Pay { uuid: uuid_for(seed, RAISE, index), cents: raised, unit, flsa, effective: anniversary });
        }
        pays
    }

    /// The compensation in effect on `day` (the first one before the hire date).
    pub(crate) fn pay_on<'a>(&self, pays: &'a [Pay], day: Date) -> &'a Pay {
        pays.iter().rev().find(|p| p.effective <= day).unwrap_or(&pays[0])
    }

    pub(crate) fn job_uuid(&self, index: usize) -> String {
        uuid_for(self.seed(), JOB, index)
    }

    pub(crate) fn onboarded(&self, e: &Emp) -> bool {
        // Terminated employees were onboarded; about one current employee in twenty is mid-onboarding.
        !e.p.active() || !Rng::new(self.seed(), e.p.index as u64, ONBOARDING).chance(5)
    }

    pub(crate) fn payment_method(&self, e: &Emp) -> &'static str {
        if e.p.index.is_multiple_of(5) { "Check" } else { "Direct Deposit" }
    }

    pub(crate) fn department_uuid(&self, department: usize) -> String {
        uuid_for(self.seed(), DEPARTMENT, department)
    }

    pub(crate) fn location_uuid(&self, location: usize) -> String {
        uuid_for(self.seed(), LOCATION, location)
    }

    pub(crate) fn pay_schedule_uuid(&self) -> String {
        uuid_for(self.seed(), PAY_SCHEDULE, 0)
    }

    /// The Employee schema of `GET /v1/companies/{id}/employees`: each job with its current
    /// compensation, or all of them with `include=all_compensations`.
    pub(crate) fn employee_json(&self, e: &Emp, all_compensations: bool) -> Value {
        let seed = self.seed();
        let p = &e.p;
        let uuid = self.employee_uuid(p.index);
        let job_uuid = self.job_uuid(p.index);
        let pays = self.compensations(e);
        let current = self.pay_on(&pays, self.today);
        let onboarded = self.onboarded(e);
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
        let compensation = |pay: &Pay| {
            json!({
                "uuid": pay.uuid,
                "version": version(seed, COMPENSATION, pay.effective.0 as usize ^ p.index),
                "job_uuid": job_uuid,
                "employee_uuid": uuid,
                "rate": money(pay.cents),
                "payment_unit": pay.unit,
                "flsa_status": pay.flsa,
                "adjust_for_minimum_wage": false,
                "minimum_wages": [],
                "effective_date": pay.effective.iso(),
            })
        };
        let compensations: Vec<Value> =
            if all_compensations { pays.iter().map(compensation).collect() } else { vec![compensation(current)] };
        let job = json!({
            "uuid": job_uuid,
            "version": version(seed, JOB, p.index),
            "employee_uuid": uuid,
            "hire_date": p.hire_date.iso(),
            "title": p.job_title,
            "primary": true,
            "rate": money(current.cents),
            "payment_unit": current.unit,
            "current_compensation_uuid": current.uuid,
            "two_percent_shareholder": false,
            "state_wc_covered": null,
            "state_wc_class_code": null,
            "location_uuid": self.location_uuid(p.location),
            "compensations": compensations,
        });
        let version = if e.revision == 0 {
            version(seed, VERSION, p.index)
        } else {
            version(seed ^ mix(e.revision), VERSION, p.index)
        };
        json!({
            "uuid": uuid,
            "first_name": e.first_name,
            "middle_initial": p.middle_name.and_then(|m| m.chars().next()).map(String::from),
            "last_name": e.last_name,
            "preferred_first_name": p.preferred_name,
            "email": format!("{local}@mail.example"),
            "work_email": format!("{local}@{}.example", slug(&self.company.name)),
            "company_uuid": self.company.uuid,
            "manager_uuid": e.manager.map(|m| self.employee_uuid(m)),
            "version": version,
            "department": p.department,
            "department_uuid": self.department_uuid(department_index(p.department)),
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
            "payment_method": self.payment_method(e),
            "current_employment_status": if p.part_time { "part_time_twenty_plus_hours" } else { "full_time" },
            "historical": false,
            "employee_code": format!("{:06x}", mix(seed ^ p.index as u64) & 0xFF_FFFF),
            "title": p.job_title,
            "hired_at": p.hire_date.iso(),
            "flsa_status": current.flsa,
        })
    }

    /// The Employee-Bank-Account list of an employee: one checking account for those paid by
    /// direct deposit, and for some a savings account too (a split deposit).
    pub(crate) fn bank_accounts(&self, e: &Emp) -> Vec<Value> {
        if self.payment_method(e) != "Direct Deposit" {
            return Vec::new();
        }
        const BANKS: &[&str] = &["Chase", "BoA", "Wells Fargo", "Citi", "US Bank", "Capital One", "PNC", "Ally"];
        let (seed, index) = (self.seed(), e.p.index);
        let mut r = Rng::new(seed, index as u64, BANK_ACCOUNT);
        let bank = r.pick(BANKS);
        let routing = routing_number(&mut r);
        let mut accounts = vec![(0, "Checking")];
        if Rng::new(seed, index as u64, SAVINGS).chance(30) {
            accounts.push((1, "Savings"));
        }
        accounts
            .into_iter()
            .map(|(k, kind)| {
                json!({
                    "uuid": uuid_for(seed, BANK_ACCOUNT, index * 2 + k),
                    "employee_uuid": self.employee_uuid(index),
                    "name": format!("{bank} {kind} Account"),
                    "routing_number": routing,
                    "hidden_account_number": format!("XXXX{:04}", r.below(10_000)),
                    "account_type": kind,
                })
            })
            .collect()
    }

    /// The Location schema of the company's `i`-th location.
    pub(crate) fn location_json(&self, i: usize) -> Value {
        let (_, city, state, zip, area) = LOCATIONS[i];
        json!({
            "uuid": self.location_uuid(i),
            "version": version(self.seed(), LOCATION, i),
            "company_uuid": self.company.uuid,
            "phone_number": format!("{area}555{:04}", 100 + i),
            "street_1": format!("{} Main Street", 100 + i * 10),
            "street_2": if i == 0 { Value::from("Suite 400") } else { Value::Null },
            "city": city,
            "state": state,
            "zip": zip,
            "country": "USA",
            "mailing_address": i == 0,
            "filing_address": i == 0,
            "created_at": "2019-01-15T09:00:00.000-08:00",
            "updated_at": "2019-01-15T09:00:00.000-08:00",
            "active": true,
            "inactive": false,
        })
    }

    /// The Department list, each with the employees assigned to it.
    pub(crate) fn departments_json(&self) -> Vec<Value> {
        let mut members: Vec<Vec<Value>> = vec![Vec::new(); DEPARTMENTS.len()];
        for index in self.indexes() {
            let p = Person::generate(self.seed(), index);
            members[department_index(p.department)].push(json!({ "uuid": self.employee_uuid(index) }));
        }
        DEPARTMENTS
            .iter()
            .zip(members)
            .enumerate()
            .map(|(i, ((title, _), employees))| {
                json!({
                    "uuid": self.department_uuid(i),
                    "company_uuid": self.company.uuid,
                    "title": title,
                    "version": version(self.seed(), DEPARTMENT, i),
                    "employees": employees,
                    "contractors": [],
                })
            })
            .collect()
    }
}

/// Nine digits with a valid ABA checksum.
fn routing_number(r: &mut Rng) -> String {
    let mut digits: Vec<u64> = (0..8).map(|_| r.below(10)).collect();
    digits[0] = 1 + r.below(3);
    let weighted =
        3 * (digits[0] + digits[3] + digits[6]) + 7 * (digits[1] + digits[4] + digits[7]) + digits[2] + digits[5];
    digits.push((10 - weighted % 10) % 10);
    digits.iter().map(|d| char::from(b'0' + *d as u8)).collect()
}

/// Why a change through [`CompanyHandle`] was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorldError {
    UnknownCompany(String),
    /// No such employee (or it was removed).
    UnknownEmployee(String),
}

impl fmt::Display for WorldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorldError::UnknownCompany(uuid) => write!(f, "no company {uuid}"),
            WorldError::UnknownEmployee(uuid) => write!(f, "no employee {uuid}"),
        }
    }
}

impl std::error::Error for WorldError {}

/// Test access to a running Gusto emulator: its companies' data and its grants. Cloning is cheap.
#[derive(Clone)]
pub struct World {
    pub(crate) state: Arc<AppState>,
}

impl World {
    /// One company, by its UUID.
    pub fn company(&self, uuid: &str) -> Result<CompanyHandle, WorldError> {
        let index = self
            .state
            .config
            .companies
            .iter()
            .position(|c| c.uuid == uuid)
            .ok_or_else(|| WorldError::UnknownCompany(uuid.to_owned()))?;
        Ok(CompanyHandle { state: self.state.clone(), index })
    }
}

/// Reads and changes one company, and the grants given for it.
#[derive(Clone)]
pub struct CompanyHandle {
    state: Arc<AppState>,
    index: usize,
}

impl CompanyHandle {
    fn view(&self) -> View {
        View::of(&self.state, self.index)
    }

    fn change<T>(&self, uuid: &str, change: impl FnOnce(&mut Changes, usize) -> T) -> Result<T, WorldError> {
        let view = self.view();
        let index = view.employee_index(uuid).ok_or_else(|| WorldError::UnknownEmployee(uuid.to_owned()))?;
        let mut changes = self.state.companies[self.index].changes.lock().expect("changes lock");
        *changes.revisions.entry(index).or_default() += 1;
        Ok(change(&mut changes, index))
    }

    /// The UUIDs of the company's employees (current and terminated), in list order.
    pub fn employee_uuids(&self) -> Vec<String> {
        let view = self.view();
        view.indexes().map(|i| view.employee_uuid(i)).collect()
    }

    /// An employee as `GET /v1/companies/{id}/employees?include=all_compensations` shows it.
    pub fn employee(&self, uuid: &str) -> Option<Value> {
        let view = self.view();
        let index = view.employee_index(uuid)?;
        Some(view.employee_json(&view.employee(index), true))
    }

    /// Renames an employee (its `version` changes).
    pub fn rename_employee(&self, uuid: &str, first_name: &str, last_name: &str) -> Result<(), WorldError> {
        self.change(uuid, |changes, index| {
            changes.names.insert(index, (first_name.to_owned(), last_name.to_owned()));
        })
    }

    /// Removes an employee: it is in no list any more (`DELETE /v1/employees/{id}`).
    pub fn remove_employee(&self, uuid: &str) -> Result<(), WorldError> {
        self.change(uuid, |changes, index| {
            changes.removed.insert(index);
        })
    }

    /// Adds an employee, generated like the others, hired today (the emulator's clock) with
    /// this name; returns its UUID.
    pub fn add_employee(&self, first_name: &str, last_name: &str) -> String {
        let today = Date::of_unix(self.state.clock.unix_secs() as i64);
        let mut changes = self.state.companies[self.index].changes.lock().expect("changes lock");
        let index = self.state.config.companies[self.index].employees + changes.added.len();
        changes.added.push(today);
        changes.names.insert(index, (first_name.to_owned(), last_name.to_owned()));
        uuid_for(self.state.config.companies[self.index].seed, EMPLOYEE, index)
    }

    /// Makes every access token issued for this company expire now; the refresh tokens still
    /// work.
    pub fn expire_access_tokens(&self) {
        let now = self.state.clock.now();
        let mut store = self.state.store.lock().expect("store lock");
        for token in store.access_tokens.values_mut().filter(|t| t.grant.company == self.index) {
            token.expires_at = token.expires_at.min(now);
        }
    }

    /// Revokes every grant of this company, as disconnecting the app in Gusto does: its refresh
    /// and access tokens stop working (a refresh is answered `invalid_grant`).
    pub fn revoke_grants(&self) {
        let mut store = self.state.store.lock().expect("store lock");
        store.refresh_tokens.retain(|_, t| t.grant.company != self.index);
        store.access_tokens.retain(|_, t| t.grant.company != self.index);
    }

    /// How many `refresh_token` grants for this company the token endpoint has granted.
    pub fn refreshes(&self) -> u64 {
        self.state.store.lock().expect("store lock").refreshes.get(&self.index).copied().unwrap_or(0)
    }

    /// How many refresh tokens of this company work now (one per grant, since refreshing
    /// rotates them).
    pub fn live_refresh_tokens(&self) -> usize {
        let store = self.state.store.lock().expect("store lock");
        store.refresh_tokens.values().filter(|t| t.grant.company == self.index).count()
    }
}

/// The company name as a domain label: `Acme Payroll` → `acme-payroll`.
pub(crate) fn slug(name: &str) -> String {
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
