//! One company's world: employees generated on demand from `(seed, index)` (with their job,
//! employment-status and compensation histories), plus the few changes tests made through
//! [`CompanyHandle`], kept as a small map of overrides. Nothing is stored per generated employee.
//!
//! Every generated history ends before [`GENERATED_UNTIL`] (2026-07-01T00:00:00Z), and so does
//! every generated `lastChanged`; changes made through the handle are stamped with the emulator's
//! clock, so `GET /v1/employees/changed?since=<anything after 2026-07-01>` reports exactly them.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, RwLock};

use super::lists::{self, ListId};
use super::{Company, RateLimit};
use crate::Clock;
use crate::data::{DEPARTMENTS, Date, LOCATIONS, Person, Rng, mix};

/// Generated histories and `lastChanged` values all fall before this day.
pub(crate) const GENERATED_UNTIL: Date = Date::from_ymd(2026, 7, 1);

/// Row ids handed out by the mutation API start here, far above any generated row id.
const FIRST_ADDED_ROW_ID: u64 = 1 << 40;

/// Up to three dates, in increasing order.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dates {
    len: usize,
    dates: [Date; 3],
}

impl Dates {
    pub(crate) fn as_slice(&self) -> &[Date] {
        &self.dates[..self.len]
    }

    /// `start`, then up to `n - 1` distinct later days no later than `end`.
    fn spread(r: &mut Rng, start: Date, end: Date, n: usize) -> Dates {
        let mut dates = Dates { len: 1, dates: [start; 3] };
        let span = end.0 - start.0;
        if span <= 0 {
            return dates;
        }
        let mut offsets: Vec<i64> = (1..n.min(3)).map(|_| 1 + r.below(span as u64) as i64).collect();
        offsets.sort_unstable();
        offsets.dedup();
        for offset in offsets {
            dates.dates[dates.len] = start.plus(offset);
            dates.len += 1;
        }
        dates
    }

    fn last(&self) -> Date {
        self.dates[self.len - 1]
    }
}

/// BambooHR-only generated facts about an employee, on top of the shared [`Person`]. Drawn from
/// their own random streams, so the shared fields keep their values.
#[derive(Clone, Debug)]
pub(crate) struct Extras {
    pub(crate) marital_status: &'static str,
    pub(crate) ethnicity: Option<&'static str>,
    /// The SSN's area, group and serial numbers (formatted when asked for: most answers have no
    /// SSN or address, and formatting them for every employee was most of a table's cost).
    ssn: (u64, u64, u64),
    /// House number, street and street kind.
    address1: (u64, &'static str, &'static str),
    /// Apartment number.
    address2: Option<u64>,
    pub(crate) original_hire_date: Date,
    pub(crate) pay_schedule: &'static str,
    /// `jobInfo` and `compensation` row dates; `employmentStatus` dates (a conversion from
    /// contractor, then the termination, when they happened).
    pub(crate) job_dates: Dates,
    pub(crate) comp_dates: Dates,
    pub(crate) contractor_until: Option<Date>,
    pub(crate) termination: [u64; 4],
    pub(crate) created: i64,
    pub(crate) last_changed: i64,
}

const MARITAL: &[&str] = &["Single", "Married", "Married", "Domestic Partnership", "Divorced", "Widowed"];
const STREETS: &[&str] = &["Oak", "Maple", "Cedar", "Pine", "Elm", "Lake", "Hill", "Park", "Washington", "Sunset"];
const STREET_KINDS: &[&str] = &["St", "Ave", "Blvd", "Rd", "Ln", "Way"];

impl Extras {
    pub(crate) fn ssn(&self) -> String {
        let (area, group, serial) = self.ssn;
        format!("{area:03}-{group:02}-{serial:04}")
    }

    pub(crate) fn address1(&self) -> String {
        let (number, street, kind) = self.address1;
        format!("{number} {street} {kind}")
    }

    pub(crate) fn address2(&self) -> Option<String> {
        self.address2.map(|apartment| format!("Apt {apartment}"))
    }

    pub(crate) fn generate(seed: u64, p: &Person) -> Extras {
        let mut r = Rng::new(seed, p.index as u64, 2);
        let marital_status = r.pick(MARITAL);
        let ethnicity = r.chance(85).then(|| r.pick(lists::ETHNICITIES));
        // Never 000, 666 or 9xx in the area number, as issued numbers are.
        let area = 1 + r.below(665);
        let ssn = (area, 1 + r.below(99), 1 + r.below(9999));
        let address1 = (10 + r.below(9990), r.pick(STREETS), r.pick(STREET_KINDS));
        let address2 = r.chance(25).then(|| 1 + r.below(40));
        let original_hire_date = if r.chance(4) {
            Date((p.hire_date.0 - 365 - r.below(4 * 365) as i64).max(Date::from_ymd(2008, 1, 1).0))
        } else {
            p.hire_date
        };
        let pay_schedule = if p.part_time { "Every other week" } else { "Twice a month" };

        let mut h = Rng::new(seed, p.index as u64, 3);
        // Rows that change a job or a salary happen before the termination (or the generation end).
        let end = p.termination_date.map_or(GENERATED_UNTIL.plus(-1), |t| t.plus(-1));
        let rows = 1 + h.below(3) as usize;
        let job_dates = Dates::spread(&mut h, p.hire_date, end, rows);
        let rows = 1 + h.below(3) as usize;
        let comp_dates = Dates::spread(&mut h, p.hire_date, end, rows);
        let contractor_until = (h.chance(12) && end.0 > p.hire_date.0)
            .then(|| p.hire_date.plus(1 + h.below((end.0 - p.hire_date.0) as u64) as i64));
        let termination = [
            h.below(lists::len(ListId::TerminationType) as u64),
            h.below(lists::len(ListId::TerminationReason) as u64),
            h.below(lists::len(ListId::TerminationRehire) as u64),
            h.below(lists::len(ListId::TerminationRegrettable) as u64),
        ];
        let last_event = [Some(job_dates.last()), Some(comp_dates.last()), contractor_until, p.termination_date]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(p.hire_date);
        // The record is created a few weeks before the first day, then last edited some time after
        // the last event, always before the end of generated time.
        let created = p.hire_date.unix() - 86_400 - h.below(30 * 86_400) as i64;
        let room = (GENERATED_UNTIL.unix() - 1 - last_event.unix()).clamp(0, 90 * 86_400);
        let last_changed = last_event.unix() + h.below(room as u64 + 1) as i64;
        Extras {
            marital_status,
            ethnicity,
            ssn,
            address1,
            address2,
            original_hire_date,
            pay_schedule,
            job_dates,
            comp_dates,
            contractor_until,
            termination,
            created,
            last_changed: last_changed.max(created),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Table rows (public: the mutation API reads and writes them)
// ---------------------------------------------------------------------------------------------

/// The tables the emulator models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Table {
    /// `jobInfo`: date, location, division, department, jobTitle, reportsTo.
    JobInfo,
    /// `employmentStatus`: date, employmentStatus, termination ids, comment.
    EmploymentStatus,
    /// `compensation`: startDate, rate, type, exempt, reason, comment, paidPer, paySchedule.
    Compensation,
}

impl Table {
    pub const ALL: [Table; 3] = [Table::JobInfo, Table::EmploymentStatus, Table::Compensation];

    /// The name the API uses in paths.
    pub fn alias(self) -> &'static str {
        match self {
            Table::JobInfo => "jobInfo",
            Table::EmploymentStatus => "employmentStatus",
            Table::Compensation => "compensation",
        }
    }

    pub fn from_alias(alias: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.alias() == alias)
    }
}

/// A `jobInfo` row. List values must be options of the matching list in `GET /v1/meta/lists`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobInfoRow {
    /// Effective date, `YYYY-MM-DD`.
    pub date: String,
    pub location: Option<String>,
    pub division: Option<String>,
    pub department: Option<String>,
    pub job_title: Option<String>,
    /// The manager's employee id (the API shows the manager's name).
    pub reports_to: Option<u64>,
}

/// An `employmentStatus` row. `employment_status` is an option of the "Employment Status" list
/// (`Terminated` ends the employment); the termination ids are option ids of their lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmploymentStatusRow {
    /// Effective date, `YYYY-MM-DD`.
    pub date: String,
    pub employment_status: String,
    pub termination_type_id: Option<u64>,
    pub termination_reason_id: Option<u64>,
    pub termination_rehire_id: Option<u64>,
    pub termination_regrettable_id: Option<u64>,
    pub comment: Option<String>,
}

/// A `compensation` row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompensationRow {
    /// Effective date, `YYYY-MM-DD`.
    pub start_date: String,
    /// A decimal amount without separators, e.g. `"85000.00"`.
    pub rate: String,
    /// ISO 4217, e.g. `"USD"`.
    pub currency: String,
    /// `Salary`, `Hourly`, `Commission`, `Exception Hourly`, `Monthly`, `Weekly`, `Piece Rate`,
    /// `Contract`, `Daily` or `Pro Rata`.
    pub pay_type: String,
    /// `Hour`, `Day`, `Week`, `Month`, `Quarter` or `Year`.
    pub paid_per: String,
    /// An option of the "Pay Schedule" list.
    pub pay_schedule: Option<String>,
    /// `Exempt` or `Non-exempt`.
    pub exempt: Option<String>,
    /// An option of the "Compensation: Change Reason" list.
    pub reason: Option<String>,
    pub comment: Option<String>,
}

/// A row of any of the [`Table`]s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TableRow {
    JobInfo(JobInfoRow),
    EmploymentStatus(EmploymentStatusRow),
    Compensation(CompensationRow),
}

impl TableRow {
    pub fn table(&self) -> Table {
        match self {
            TableRow::JobInfo(_) => Table::JobInfo,
            TableRow::EmploymentStatus(_) => Table::EmploymentStatus,
            TableRow::Compensation(_) => Table::Compensation,
        }
    }

    pub(crate) fn date(&self) -> &str {
        match self {
            TableRow::JobInfo(r) => &r.date,
            TableRow::EmploymentStatus(r) => &r.date,
            TableRow::Compensation(r) => &r.start_date,
        }
    }
}

/// All of one employee's rows, each table sorted by effective date (then row id).
#[derive(Clone, Debug, Default)]
pub(crate) struct Tables {
    pub(crate) job: Vec<(u64, JobInfoRow)>,
    pub(crate) status: Vec<(u64, EmploymentStatusRow)>,
    pub(crate) comp: Vec<(u64, CompensationRow)>,
}

impl Tables {
    fn sort(&mut self) {
        self.job.sort_by(|a, b| (&a.1.date, a.0).cmp(&(&b.1.date, b.0)));
        self.status.sort_by(|a, b| (&a.1.date, a.0).cmp(&(&b.1.date, b.0)));
        self.comp.sort_by(|a, b| (&a.1.start_date, a.0).cmp(&(&b.1.start_date, b.0)));
    }

    pub(crate) fn rows(&self, table: Table) -> Vec<(u64, TableRow)> {
        match table {
            Table::JobInfo => self.job.iter().map(|(id, r)| (*id, TableRow::JobInfo(r.clone()))).collect(),
            Table::EmploymentStatus => {
                self.status.iter().map(|(id, r)| (*id, TableRow::EmploymentStatus(r.clone()))).collect()
            }
            Table::Compensation => self.comp.iter().map(|(id, r)| (*id, TableRow::Compensation(r.clone()))).collect(),
        }
    }

    pub(crate) fn remove(&mut self, table: Table, row_id: u64) -> bool {
        let before = self.len(table);
        match table {
            Table::JobInfo => self.job.retain(|(id, _)| *id != row_id),
            Table::EmploymentStatus => self.status.retain(|(id, _)| *id != row_id),
            Table::Compensation => self.comp.retain(|(id, _)| *id != row_id),
        }
        self.len(table) != before
    }

    fn len(&self, table: Table) -> usize {
        match table {
            Table::JobInfo => self.job.len(),
            Table::EmploymentStatus => self.status.len(),
            Table::Compensation => self.comp.len(),
        }
    }

    pub(crate) fn insert(&mut self, row_id: u64, row: TableRow) {
        match row {
            TableRow::JobInfo(r) => self.job.push((row_id, r)),
            TableRow::EmploymentStatus(r) => self.status.push((row_id, r)),
            TableRow::Compensation(r) => self.comp.push((row_id, r)),
        }
        self.sort();
    }
}

/// The row in effect: the last one dated no later than `today`, or with `only_current == false`
/// the last one of all (future-dated rows included).
pub(crate) fn current<'a, R>(
    rows: &'a [(u64, R)],
    date: impl Fn(&R) -> &str,
    today: &str,
    only_current: bool,
) -> Option<&'a R> {
    rows.iter().rev().map(|(_, r)| r).find(|r| !only_current || date(r) <= today)
}

/// A generated employee's hourly rate, from the annual salary of a 2080-hour year.
fn hourly(salary: u64) -> String {
    let cents = salary * 100 / 2080;
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// The generated rows, ids `index * 4 + 1 …`. The last row of each table holds the person's
/// current values, which is what the fast path of [`Emp`] reads without building rows.
pub(crate) fn generated_tables(company: &CompanyState, p: &Person, x: &Extras) -> Tables {
    generated(company, p, x, None)
}

/// The generated rows of one table (the others left empty), or of all with `None`.
fn generated(company: &CompanyState, p: &Person, x: &Extras, only: Option<Table>) -> Tables {
    let wanted = |table: Table| only.is_none_or(|t| t == table);
    let base = p.index as u64 * 4 + 1;
    let titles = DEPARTMENTS[crate::data::department_index(p.department)].1;
    let manager = p.manager.map(|m| company.employee_id(m));
    let mut r = Rng::new(company.config.seed, p.index as u64, 4);
    let job_dates = if wanted(Table::JobInfo) { x.job_dates.as_slice() } else { &[] };
    let job = job_dates
        .iter()
        .enumerate()
        .map(|(k, date)| {
            let last = k + 1 == job_dates.len();
            let (title, location) = if last {
                (p.job_title, p.location)
            } else {
                (r.pick(titles), r.below(LOCATIONS.len() as u64) as usize)
            };
            let row = JobInfoRow {
                date: date.iso(),
                location: Some(LOCATIONS[location].0.to_owned()),
                division: Some(p.division.to_owned()),
                department: Some(p.department.to_owned()),
                job_title: Some(title.to_owned()),
                reports_to: manager,
            };
            (base + k as u64, row)
        })
        .collect();

    let working = if p.part_time { "Part-Time" } else { "Full-Time" };
    let plain = |date: Date, status: &str| EmploymentStatusRow {
        date: date.iso(),
        employment_status: status.to_owned(),
        termination_type_id: None,
        termination_reason_id: None,
        termination_rehire_id: None,
        termination_regrettable_id: None,
        comment: None,
    };
    let mut status = Vec::with_capacity(3);
    match x.contractor_until {
        _ if !wanted(Table::EmploymentStatus) => {}
        Some(converted) => {
            status.push((base, plain(p.hire_date, "Contractor")));
            status.push((base + 1, plain(converted, working)));
        }
        None => status.push((base, plain(p.hire_date, working))),
    }
    if let Some(terminated) = p.termination_date.filter(|_| wanted(Table::EmploymentStatus)) {
        let [kind, reason, rehire, regrettable] = x.termination;
        status.push((
            base + status.len() as u64,
            EmploymentStatusRow {
                termination_type_id: Some(lists::option_id(ListId::TerminationType, kind as usize)),
                termination_reason_id: Some(lists::option_id(ListId::TerminationReason, reason as usize)),
                termination_rehire_id: Some(lists::option_id(ListId::TerminationRehire, rehire as usize)),
                termination_regrettable_id: Some(lists::option_id(
                    ListId::TerminationRegrettable,
                    regrettable as usize,
                )),
                ..plain(terminated, "Terminated")
            },
        ));
    }

    // The job rows drew from `r` first; compensation always draws after them.
    if !wanted(Table::JobInfo) {
        for _ in 0..x.job_dates.as_slice().len() - 1 {
            r.pick(titles);
            r.below(LOCATIONS.len() as u64);
        }
    }
    let comp_dates = if wanted(Table::Compensation) { x.comp_dates.as_slice() } else { &[] };
    let mut salary = p.salary;
    let mut salaries = vec![salary; comp_dates.len()];
    for k in (0..comp_dates.len().saturating_sub(1)).rev() {
        // Each earlier salary was 3–10 % lower, in whole hundreds.
        salary = salary * (90 + r.below(8)) / 100 / 100 * 100;
        salaries[k] = salary;
    }
    let comp = comp_dates
        .iter()
        .zip(salaries)
        .enumerate()
        .map(|(k, (date, salary))| {
            let row = CompensationRow {
                start_date: date.iso(),
                rate: if p.part_time { hourly(salary) } else { format!("{salary}.00") },
                currency: "USD".to_owned(),
                pay_type: if p.part_time { "Hourly" } else { "Salary" }.to_owned(),
                paid_per: if p.part_time { "Hour" } else { "Year" }.to_owned(),
                pay_schedule: Some(x.pay_schedule.to_owned()),
                exempt: Some(if p.part_time { "Non-exempt" } else { "Exempt" }.to_owned()),
                reason: Some(
                    if k == 0 { "New Hire" } else { r.pick(&["Promotion", "Merit Increase", "Market Adjustment"]) }
                        .to_owned(),
                ),
                comment: None,
            };
            (base + k as u64, row)
        })
        .collect();
    Tables { job, status, comp }
}

// ---------------------------------------------------------------------------------------------
// Overrides and the company state
// ---------------------------------------------------------------------------------------------

/// What tests changed about one employee.
#[derive(Clone, Debug, Default)]
pub(crate) struct EmployeeOverride {
    /// Field values by alias (`None` clears the field).
    pub(crate) fields: BTreeMap<&'static str, Option<String>>,
    /// All three tables, copied from the generated ones on the first table change.
    pub(crate) tables: Option<Tables>,
    pub(crate) last_changed: Option<i64>,
    /// Set for employees added through the handle.
    pub(crate) created: Option<i64>,
    pub(crate) deleted: Option<i64>,
}

/// Everything tests changed, shared copy-on-write: a request reads one consistent snapshot.
#[derive(Clone, Debug, Default)]
pub(crate) struct Overrides {
    /// By employee index (added employees take the indices after the generated ones).
    pub(crate) employees: BTreeMap<usize, EmployeeOverride>,
    pub(crate) added: usize,
    /// Bumped by every change, so caches built from an older world are dropped.
    pub(crate) version: u64,
    pub(crate) next_row_id: u64,
}

/// A key's token bucket.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bucket {
    tokens: f64,
    at: std::time::Instant,
}

/// A cached employee order: the world version it was built from, and the employee indices.
pub(crate) type SortedOrder = (u64, Arc<Vec<u32>>);

pub(crate) struct CompanyState {
    pub(crate) config: Company,
    pub(crate) clock: Clock,
    overrides: RwLock<Arc<Overrides>>,
    /// Employee orders for `sort` values other than the natural one: `(world version, order)`.
    pub(crate) sorted: Mutex<HashMap<String, SortedOrder>>,
    buckets: Mutex<HashMap<usize, Bucket>>,
    /// `acme.example`: the domain of generated email addresses.
    email_domain: String,
}

impl CompanyState {
    pub(crate) fn new(config: Company, clock: Clock) -> Self {
        CompanyState {
            email_domain: format!("{}.example", config.domain.to_ascii_lowercase()),
            config,
            clock,
            overrides: RwLock::new(Arc::new(Overrides { next_row_id: FIRST_ADDED_ROW_ID, ..Overrides::default() })),
            sorted: Mutex::new(HashMap::new()),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn snapshot(&self) -> Arc<Overrides> {
        self.overrides.read().expect("overrides lock").clone()
    }

    pub(crate) fn mutate<T>(
        &self,
        change: impl FnOnce(&mut Overrides) -> Result<T, WorldError>,
    ) -> Result<T, WorldError> {
        let mut guard = self.overrides.write().expect("overrides lock");
        let mut next = (**guard).clone();
        let out = change(&mut next)?;
        next.version += 1;
        *guard = Arc::new(next);
        Ok(out)
    }

    /// Employee ids grow with the index but leave gaps, as real ones do, so clients cannot assume
    /// they are contiguous.
    pub(crate) fn employee_id(&self, index: usize) -> u64 {
        100 + 3 * index as u64 + mix(self.config.seed ^ index as u64) % 3
    }

    /// The index of an id that exists in `snap` (generated or added, deleted or not).
    pub(crate) fn index_of(&self, snap: &Overrides, id: u64) -> Option<usize> {
        let index = usize::try_from(id.checked_sub(100)? / 3).ok()?;
        (index < self.slots(snap) && self.employee_id(index) == id).then_some(index)
    }

    /// Generated plus added employees (deleted ones included).
    pub(crate) fn slots(&self, snap: &Overrides) -> usize {
        self.config.employees + snap.added
    }

    pub(crate) fn email_domain(&self) -> &str {
        &self.email_domain
    }

    pub(crate) fn today(&self) -> Date {
        Date::of_unix(self.clock.unix_secs() as i64)
    }

    /// Takes a token from the key's bucket; `Err(retry_after_secs)` when it is empty.
    pub(crate) fn take_token(&self, key_index: usize, limit: RateLimit) -> Result<(), u64> {
        let now = self.clock.now();
        let mut buckets = self.buckets.lock().expect("bucket lock");
        let capacity = f64::from(limit.burst.max(1));
        let rate = f64::from(limit.per_second.max(1));
        let bucket = buckets.entry(key_index).or_insert(Bucket { tokens: capacity, at: now });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(capacity);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}

/// What a request reads, owned: the company, one snapshot of the overrides, and the day. Streamed
/// bodies keep one and borrow a [`Ctx`] from it per item.
pub(crate) struct View {
    pub(crate) company: Arc<CompanyState>,
    pub(crate) snap: Arc<Overrides>,
    pub(crate) today: String,
    /// `false` lets future-dated table rows count as current (custom reports' `onlyCurrent`).
    pub(crate) only_current: bool,
}

impl View {
    pub(crate) fn new(company: &Arc<CompanyState>) -> View {
        View { company: company.clone(), snap: company.snapshot(), today: company.today().iso(), only_current: true }
    }

    pub(crate) fn ctx(&self) -> Ctx<'_> {
        Ctx { company: &self.company, snap: &self.snap, today: &self.today, only_current: self.only_current }
    }
}

/// A [`View`], borrowed.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub(crate) company: &'a CompanyState,
    pub(crate) snap: &'a Overrides,
    pub(crate) today: &'a str,
    pub(crate) only_current: bool,
}

impl<'a> Ctx<'a> {
    pub(crate) fn slots(&self) -> usize {
        self.company.slots(self.snap)
    }

    /// The employee at `index`, unless it does not exist or was deleted.
    pub(crate) fn emp(&self, index: usize) -> Option<Emp<'a>> {
        if index >= self.slots() {
            return None;
        }
        let over = self.snap.employees.get(&index);
        if over.is_some_and(|o| o.deleted.is_some()) {
            return None;
        }
        Some(Emp::new(self, index, over))
    }

    pub(crate) fn emp_by_id(&self, id: u64) -> Option<Emp<'a>> {
        self.emp(self.company.index_of(self.snap, id)?)
    }

    /// Every existing employee, in id order.
    pub(crate) fn all(&self) -> impl Iterator<Item = Emp<'a>> + '_ {
        (0..self.slots()).filter_map(|i| self.emp(i))
    }
}

/// One employee as a request sees it: generated values, the overrides on top, and the rows in
/// effect today.
pub(crate) struct Emp<'a> {
    pub(crate) index: usize,
    pub(crate) id: u64,
    pub(crate) p: Person,
    pub(crate) x: Extras,
    pub(crate) over: Option<&'a EmployeeOverride>,
    pub(crate) job: Job<'a>,
    pub(crate) employment: Employment,
    pub(crate) pay: Option<Pay>,
}

pub(crate) struct Job<'a> {
    pub(crate) department: Option<&'a str>,
    pub(crate) division: Option<&'a str>,
    pub(crate) location: Option<&'a str>,
    pub(crate) job_title: Option<&'a str>,
    /// Employee index of the manager.
    pub(crate) reports_to: Option<usize>,
}

pub(crate) struct Employment {
    /// The current `employmentStatus` value (`employmentHistoryStatus`).
    pub(crate) status: Option<String>,
    /// Set while the current status is `Terminated`.
    pub(crate) terminated_on: Option<String>,
}

pub(crate) struct Pay {
    pub(crate) rate: String,
    pub(crate) currency: String,
    pub(crate) pay_type: String,
    pub(crate) paid_per: String,
    pub(crate) pay_schedule: Option<String>,
    pub(crate) exempt: Option<String>,
    pub(crate) reason: Option<String>,
    pub(crate) start_date: String,
}

impl<'a> Emp<'a> {
    fn new(ctx: &Ctx<'a>, index: usize, over: Option<&'a EmployeeOverride>) -> Emp<'a> {
        let company = ctx.company;
        let p = Person::generate(company.config.seed, index);
        let x = Extras::generate(company.config.seed, &p);
        let id = company.employee_id(index);
        let (job, employment, pay) = match over.and_then(|o| o.tables.as_ref()) {
            None => {
                let job = Job {
                    department: Some(p.department),
                    division: Some(p.division),
                    location: Some(LOCATIONS[p.location].0),
                    job_title: Some(p.job_title),
                    reports_to: p.manager,
                };
                let employment = Employment {
                    status: Some(
                        match (p.termination_date, p.part_time) {
                            (Some(_), _) => "Terminated",
                            (None, true) => "Part-Time",
                            (None, false) => "Full-Time",
                        }
                        .to_owned(),
                    ),
                    terminated_on: p.termination_date.map(Date::iso),
                };
                let pay = Pay {
                    rate: if p.part_time { hourly(p.salary) } else { format!("{}.00", p.salary) },
                    currency: "USD".to_owned(),
                    pay_type: if p.part_time { "Hourly" } else { "Salary" }.to_owned(),
                    paid_per: if p.part_time { "Hour" } else { "Year" }.to_owned(),
                    pay_schedule: Some(x.pay_schedule.to_owned()),
                    exempt: Some(if p.part_time { "Non-exempt" } else { "Exempt" }.to_owned()),
                    // The generated reason of the last row, without building the rows.
                    reason: None,
                    start_date: x.comp_dates.last().iso(),
                };
                (job, employment, Some(pay))
            }
            Some(tables) => {
                let (today, only) = (ctx.today, ctx.only_current);
                let job = match current(&tables.job, |r| &r.date, today, only) {
                    Some(row) => Job {
                        department: row.department.as_deref(),
                        division: row.division.as_deref(),
                        location: row.location.as_deref(),
                        job_title: row.job_title.as_deref(),
                        reports_to: row.reports_to.and_then(|m| company.index_of(ctx.snap, m)),
                    },
                    None => Job { department: None, division: None, location: None, job_title: None, reports_to: None },
                };
                let status = current(&tables.status, |r| &r.date, today, only);
                let employment = Employment {
                    status: status.map(|r| r.employment_status.clone()),
                    terminated_on: status.filter(|r| r.employment_status == "Terminated").map(|r| r.date.clone()),
                };
                let pay = current(&tables.comp, |r| &r.start_date, today, only).map(|r| Pay {
                    rate: r.rate.clone(),
                    currency: r.currency.clone(),
                    pay_type: r.pay_type.clone(),
                    paid_per: r.paid_per.clone(),
                    pay_schedule: r.pay_schedule.clone(),
                    exempt: r.exempt.clone(),
                    reason: r.reason.clone(),
                    start_date: r.start_date.clone(),
                });
                (job, employment, pay)
            }
        };
        Emp { index, id, p, x, over, job, employment, pay }
    }

    /// The overridden value of a field, if a test set one.
    pub(crate) fn overridden(&self, alias: &str) -> Option<Option<&'a str>> {
        self.over?.fields.get(alias).map(|v| v.as_deref())
    }

    pub(crate) fn first_name(&self) -> &str {
        self.overridden("firstName").map_or(self.p.first_name, |v| v.unwrap_or(""))
    }

    pub(crate) fn last_name(&self) -> &str {
        self.overridden("lastName").map_or(self.p.last_name, |v| v.unwrap_or(""))
    }

    pub(crate) fn preferred_name(&self) -> Option<&str> {
        self.overridden("preferredName").unwrap_or(self.p.preferred_name)
    }

    /// Preferred (else first) name, a space, the last name: how BambooHR shows an employee.
    pub(crate) fn display_name(&self) -> String {
        format!("{} {}", self.preferred_name().unwrap_or(self.first_name()), self.last_name())
    }

    pub(crate) fn active(&self) -> bool {
        self.employment.terminated_on.is_none()
    }

    pub(crate) fn last_changed(&self) -> i64 {
        self.over.and_then(|o| o.last_changed).unwrap_or(self.x.last_changed)
    }

    pub(crate) fn created(&self) -> i64 {
        self.over.and_then(|o| o.created).unwrap_or(self.x.created)
    }

    /// The hire date, for histories generated around it (time off).
    pub(crate) fn hire_date(&self) -> Option<Date> {
        match self.overridden("hireDate") {
            Some(value) => value.and_then(Date::parse),
            None => Some(self.p.hire_date),
        }
    }

    pub(crate) fn termination_date(&self) -> Option<Date> {
        self.employment.terminated_on.as_deref().and_then(Date::parse)
    }

    /// The rows of every table: the overridden ones, else the generated ones.
    pub(crate) fn tables(&self, company: &CompanyState) -> std::borrow::Cow<'a, Tables> {
        match self.over.and_then(|o| o.tables.as_ref()) {
            Some(tables) => std::borrow::Cow::Borrowed(tables),
            None => std::borrow::Cow::Owned(generated_tables(company, &self.p, &self.x)),
        }
    }

    /// Like [`Emp::tables`], but only `table` is sure to be filled.
    pub(crate) fn table(&self, company: &CompanyState, table: Table) -> std::borrow::Cow<'a, Tables> {
        match self.over.and_then(|o| o.tables.as_ref()) {
            Some(tables) => std::borrow::Cow::Borrowed(tables),
            None => std::borrow::Cow::Owned(generated(company, &self.p, &self.x, Some(table))),
        }
    }
}

/// Why a change through the mutation API was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorldError {
    UnknownCompany(String),
    /// No such employee (or it was deleted).
    UnknownEmployee(u64),
    UnknownField(String),
    /// The field is computed (e.g. `status`, `displayName`) or kept in a table other than
    /// `jobInfo` (e.g. `payRate`): change the table instead.
    ReadOnlyField(String),
    InvalidValue {
        field: String,
        value: String,
        reason: String,
    },
    UnknownRow(u64),
}

impl fmt::Display for WorldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorldError::UnknownCompany(domain) => write!(f, "no company {domain:?}"),
            WorldError::UnknownEmployee(id) => write!(f, "no employee {id}"),
            WorldError::UnknownField(field) => write!(f, "no field {field:?}"),
            WorldError::ReadOnlyField(field) => write!(f, "field {field:?} cannot be set directly"),
            WorldError::InvalidValue { field, value, reason } => write!(f, "{field} = {value:?}: {reason}"),
            WorldError::UnknownRow(id) => write!(f, "no table row {id}"),
        }
    }
}

impl std::error::Error for WorldError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn company(employees: usize) -> CompanyState {
        CompanyState::new(
            Company {
                domain: "Acme".into(),
                name: "Acme".into(),
                employees,
                seed: 5,
                api_keys: vec![],
                rate_limit: None,
            },
            Clock::default(),
        )
    }

    #[test]
    fn employee_ids_are_sparse_increasing_and_reversible() {
        let company = company(1000);
        let snap = company.snapshot();
        let ids: Vec<u64> = (0..1000).map(|i| company.employee_id(i)).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert!(ids.windows(2).any(|w| w[1] - w[0] != 1), "ids leave gaps");
        for (index, id) in ids.iter().enumerate() {
            assert_eq!(company.index_of(&snap, *id), Some(index));
        }
        assert_eq!(company.index_of(&snap, 0), None);
        assert_eq!(company.index_of(&snap, company.employee_id(1000)), None, "past the end");
        let absent = (ids[0]..ids[999]).find(|id| !ids.contains(id)).unwrap();
        assert_eq!(company.index_of(&snap, absent), None);
    }

    #[test]
    fn generated_histories_end_with_the_current_values_and_before_the_cutoff() {
        let company = company(3000);
        let company = Arc::new(company);
        let view = View::new(&company);
        let ctx = view.ctx();
        for emp in ctx.all() {
            let tables = generated_tables(&company, &emp.p, &emp.x);
            for rows in [tables.job.len(), tables.status.len(), tables.comp.len()] {
                assert!((1..=3).contains(&rows), "1–3 rows per table");
            }
            let last_job = &tables.job.last().unwrap().1;
            assert_eq!(last_job.department.as_deref(), emp.job.department);
            assert_eq!(last_job.job_title.as_deref(), emp.job.job_title);
            assert_eq!(tables.job.first().unwrap().1.date, emp.p.hire_date.iso());
            let last_status = &tables.status.last().unwrap().1;
            assert_eq!(Some(&last_status.employment_status), emp.employment.status.as_ref());
            assert_eq!(tables.comp.last().unwrap().1.rate, emp.pay.as_ref().unwrap().rate);
            let mut sorted = tables.clone();
            sorted.sort();
            assert_eq!(format!("{:?}", sorted.job), format!("{:?}", tables.job), "dates increase");
            assert_eq!(format!("{:?}", sorted.status), format!("{:?}", tables.status));
            assert_eq!(format!("{:?}", sorted.comp), format!("{:?}", tables.comp));
            let cutoff = GENERATED_UNTIL.iso();
            assert!(tables.job.iter().all(|(_, r)| r.date < cutoff));
            assert!(emp.x.last_changed < GENERATED_UNTIL.unix());
            assert!(emp.x.created <= emp.x.last_changed);
            assert!(emp.x.last_changed >= Date::parse(&last_status.date).unwrap().unix());
        }
    }

    #[test]
    fn one_generated_table_is_the_same_as_in_all_of_them() {
        let company = company(500);
        for index in 0..500 {
            let p = Person::generate(5, index);
            let x = Extras::generate(5, &p);
            let all = generated_tables(&company, &p, &x);
            for table in Table::ALL {
                assert_eq!(generated(&company, &p, &x, Some(table)).rows(table), all.rows(table), "{index} {table:?}");
            }
        }
    }

    #[test]
    fn token_buckets_refill_with_time() {
        let company = company(1);
        let limit = RateLimit { burst: 2, per_second: 1 };
        assert_eq!(company.take_token(0, limit), Ok(()));
        assert_eq!(company.take_token(0, limit), Ok(()));
        assert_eq!(company.take_token(0, limit), Err(1));
        assert_eq!(company.take_token(1, limit), Ok(()), "one bucket per key");
        company.clock.advance(std::time::Duration::from_millis(1100));
        assert_eq!(company.take_token(0, limit), Ok(()));
    }
}
