//! The mutation API tests use to change a company while the emulator serves it.

use std::collections::HashMap;
use std::sync::Arc;

use super::lists::{self, ListId};
use super::world::{
    CompanyState, EmploymentStatusRow, Extras, JobInfoRow, Overrides, Table, TableRow, Tables, View, current,
    generated_tables,
};
use crate::Clock;
use crate::data::{Date, Person, timestamp};

pub use super::world::WorldError;

/// Test access to the data of every company an emulator serves. Cloning is cheap (one `Arc`).
#[derive(Clone)]
pub struct World {
    pub(crate) companies: Arc<HashMap<String, Arc<CompanyState>>>,
}

impl World {
    /// The world of `config`: the same config (seeds) always gives the same generated employees.
    pub fn new(config: super::Config) -> World {
        let clock = Clock::default();
        let companies = config
            .companies
            .into_iter()
            .map(|company| (company.domain.to_ascii_lowercase(), Arc::new(CompanyState::new(company, clock.clone()))))
            .collect();
        World { companies: Arc::new(companies) }
    }

    /// One company, by its domain (case-insensitive).
    pub fn company(&self, domain: &str) -> Result<CompanyHandle, WorldError> {
        self.companies
            .get(&domain.to_ascii_lowercase())
            .map(|state| CompanyHandle { state: state.clone() })
            .ok_or_else(|| WorldError::UnknownCompany(domain.to_owned()))
    }
}

/// Reads and changes one company. Every change stamps the employee's `lastChanged` with the
/// emulator's clock (whole seconds), so `GET /v1/employees/changed` reports it; the generated
/// employees stay generated, only the changed ones are stored.
#[derive(Clone)]
pub struct CompanyHandle {
    state: Arc<CompanyState>,
}

/// Field changes that land in a new `jobInfo` row, as BambooHR does for these fields.
const JOB_FIELDS: &[&str] = &["department", "division", "location", "jobTitle"];

impl CompanyHandle {
    /// The id of the `index`-th generated or added employee (deleted ones included).
    pub fn employee_id(&self, index: usize) -> Option<u64> {
        let snap = self.state.snapshot();
        (index < self.state.slots(&snap)).then(|| self.state.employee_id(index))
    }

    /// The ids of every employee that exists (not deleted), ascending. O(employees).
    pub fn employee_ids(&self) -> Vec<u64> {
        let snap = self.state.snapshot();
        (0..self.state.slots(&snap))
            .filter(|i| snap.employees.get(i).is_none_or(|o| o.deleted.is_none()))
            .map(|i| self.state.employee_id(i))
            .collect()
    }

    /// A field's value as `GET /v1/employees/{id}?fields=` shows it (`None` when empty).
    pub fn field(&self, id: u64, field: &str) -> Result<Option<String>, WorldError> {
        let view = View::new(&self.state);
        let ctx = view.ctx();
        let emp = ctx.emp_by_id(id).ok_or(WorldError::UnknownEmployee(id))?;
        let field = super::fields::lookup(field).ok_or_else(|| WorldError::UnknownField(field.to_owned()))?;
        Ok(super::fields::value(&ctx, &emp, field.alias))
    }

    /// The employee's `lastChanged`, `YYYY-MM-DDTHH:MM:SS+00:00`.
    pub fn last_changed(&self, id: u64) -> Result<String, WorldError> {
        let view = View::new(&self.state);
        let ctx = view.ctx();
        let emp = ctx.emp_by_id(id).ok_or(WorldError::UnknownEmployee(id))?;
        Ok(timestamp(emp.last_changed()))
    }

    /// Sets (or with `None` clears) a field. Personal fields are stored as given (dates and
    /// list values are checked); `department`, `division`, `location` and `jobTitle` add a
    /// `jobInfo` row effective today (or change today's row); computed fields are refused.
    pub fn set_field(&self, id: u64, field: &str, value: Option<&str>) -> Result<(), WorldError> {
        let alias = checked(field, value)?;
        let now = self.state.clock.unix_secs() as i64;
        let today = self.state.today().iso();
        let state = &self.state;
        state.mutate(|world| {
            let index = existing(state, world, id)?;
            if JOB_FIELDS.contains(&alias) {
                let row_id = world.next_row_id;
                let tables = tables_mut(state, world, index);
                let mut row = current(&tables.job, |r| &r.date, &today, true).cloned().unwrap_or(JobInfoRow {
                    date: today.clone(),
                    location: None,
                    division: None,
                    department: None,
                    job_title: None,
                    reports_to: None,
                });
                let slot = match alias {
                    "department" => &mut row.department,
                    "division" => &mut row.division,
                    "location" => &mut row.location,
                    _ => &mut row.job_title,
                };
                *slot = value.map(str::to_owned);
                match tables.job.iter_mut().find(|(_, r)| r.date == today) {
                    Some((_, existing)) => *existing = JobInfoRow { date: today.clone(), ..row },
                    None => {
                        tables.insert(row_id, TableRow::JobInfo(JobInfoRow { date: today.clone(), ..row }));
                        world.next_row_id += 1;
                    }
                }
            } else {
                world.employees.entry(index).or_default().fields.insert(alias, value.map(str::to_owned));
            }
            world.employees.entry(index).or_default().last_changed = Some(now);
            Ok(())
        })
    }

    /// Adds an employee: generated like the others (name, contact details, a job), hired today
    /// unless `fields` names a `hireDate`, with one row in each table; then `fields` are set as
    /// by [`CompanyHandle::set_field`]. Returns the new employee id (larger than every other).
    pub fn add_employee(&self, fields: &[(&str, &str)]) -> Result<u64, WorldError> {
        // Everything is checked first, so a refused field adds no one.
        for (field, value) in fields {
            checked(field, Some(value))?;
        }
        let now = self.state.clock.unix_secs() as i64;
        let hire = fields
            .iter()
            .find(|(f, _)| *f == "hireDate")
            .map_or_else(|| self.state.today().iso(), |(_, v)| (*v).to_owned());
        let state = &self.state;
        let id = state.mutate(|world| {
            let index = state.config.employees + world.added;
            world.added += 1;
            let p = Person::generate(state.config.seed, index);
            let x = Extras::generate(state.config.seed, &p);
            let generated = generated_tables(state, &p, &x);
            let mut tables = Tables::default();
            let first_row = world.next_row_id;
            world.next_row_id += 3;
            let mut job = generated.job.last().expect("a job row").1.clone();
            job.date = hire.clone();
            // The generated manager may have been deleted.
            job.reports_to = job.reports_to.filter(|m| {
                state.index_of(world, *m).is_some_and(|i| world.employees.get(&i).is_none_or(|o| o.deleted.is_none()))
            });
            tables.job.push((first_row, job));
            let working = if p.part_time { "Part-Time" } else { "Full-Time" };
            let mut status = generated.status[0].1.clone();
            status.date = hire.clone();
            status.employment_status = working.to_owned();
            tables.status.push((first_row + 1, status));
            let mut comp = generated.comp.last().expect("a compensation row").1.clone();
            comp.start_date = hire.clone();
            comp.reason = Some("New Hire".to_owned());
            tables.comp.push((first_row + 2, comp));
            let over = world.employees.entry(index).or_default();
            over.tables = Some(tables);
            over.created = Some(now);
            over.last_changed = Some(now);
            over.fields.insert("hireDate", Some(hire.clone()));
            over.fields.insert("originalHireDate", Some(hire.clone()));
            Ok(state.employee_id(index))
        })?;
        for (field, value) in fields.iter().filter(|(f, _)| *f != "hireDate") {
            self.set_field(id, field, Some(value))?;
        }
        Ok(id)
    }

    /// Ends the employment on `date` (`YYYY-MM-DD`): adds a `Terminated` `employmentStatus`
    /// row (type "Voluntary", reason "Other", rehire "Yes", "Non-Regrettable"). The employee stays
    /// listed, `Inactive` from that day.
    pub fn terminate_employee(&self, id: u64, date: &str) -> Result<u64, WorldError> {
        let option = |list: ListId, name: &str| lists::find(list, name);
        self.add_table_row(
            id,
            TableRow::EmploymentStatus(EmploymentStatusRow {
                date: date.to_owned(),
                employment_status: "Terminated".to_owned(),
                termination_type_id: option(ListId::TerminationType, "Voluntary"),
                termination_reason_id: option(ListId::TerminationReason, "Other"),
                termination_rehire_id: option(ListId::TerminationRehire, "Yes"),
                termination_regrettable_id: option(ListId::TerminationRegrettable, "Non-Regrettable"),
                comment: None,
            }),
        )
    }

    /// Removes the employee, as deleting a record in BambooHR does: gone from every endpoint,
    /// reported `Deleted` by `GET /v1/employees/changed`.
    pub fn delete_employee(&self, id: u64) -> Result<(), WorldError> {
        let now = self.state.clock.unix_secs() as i64;
        let state = &self.state;
        state.mutate(|world| {
            let index = existing(state, world, id)?;
            let over = world.employees.entry(index).or_default();
            over.deleted = Some(now);
            over.last_changed = Some(now);
            Ok(())
        })
    }

    /// The employee's rows of `table`, sorted by effective date, with their row ids.
    pub fn table_rows(&self, id: u64, table: Table) -> Result<Vec<(u64, TableRow)>, WorldError> {
        let view = View::new(&self.state);
        let ctx = view.ctx();
        let emp = ctx.emp_by_id(id).ok_or(WorldError::UnknownEmployee(id))?;
        Ok(emp.tables(&self.state).rows(table))
    }

    /// Adds a row (its table is the variant's); returns the new row id.
    pub fn add_table_row(&self, id: u64, row: TableRow) -> Result<u64, WorldError> {
        self.check_row(&row)?;
        let now = self.state.clock.unix_secs() as i64;
        let state = &self.state;
        state.mutate(|world| {
            let index = existing(state, world, id)?;
            let row_id = world.next_row_id;
            world.next_row_id += 1;
            tables_mut(state, world, index).insert(row_id, row);
            world.employees.entry(index).or_default().last_changed = Some(now);
            Ok(row_id)
        })
    }

    /// Replaces the row `row_id` of the row's table.
    pub fn update_table_row(&self, id: u64, row_id: u64, row: TableRow) -> Result<(), WorldError> {
        self.check_row(&row)?;
        let now = self.state.clock.unix_secs() as i64;
        let state = &self.state;
        state.mutate(|world| {
            let index = existing(state, world, id)?;
            let tables = tables_mut(state, world, index);
            if !tables.remove(row.table(), row_id) {
                return Err(WorldError::UnknownRow(row_id));
            }
            tables.insert(row_id, row);
            world.employees.entry(index).or_default().last_changed = Some(now);
            Ok(())
        })
    }

    /// Deletes the row `row_id` of `table`.
    pub fn delete_table_row(&self, id: u64, table: Table, row_id: u64) -> Result<(), WorldError> {
        let now = self.state.clock.unix_secs() as i64;
        let state = &self.state;
        state.mutate(|world| {
            let index = existing(state, world, id)?;
            if !tables_mut(state, world, index).remove(table, row_id) {
                return Err(WorldError::UnknownRow(row_id));
            }
            world.employees.entry(index).or_default().last_changed = Some(now);
            Ok(())
        })
    }

    fn check_row(&self, row: &TableRow) -> Result<(), WorldError> {
        let invalid = |field: &str, value: &str, reason: &str| WorldError::InvalidValue {
            field: field.to_owned(),
            value: value.to_owned(),
            reason: reason.to_owned(),
        };
        if Date::parse(row.date()).is_none() {
            return Err(invalid("date", row.date(), "not a YYYY-MM-DD date"));
        }
        let option = |field: &str, list: ListId, value: &Option<String>| match value {
            Some(v) if lists::find(list, v).is_none() => Err(invalid(field, v, "not an option of its list")),
            _ => Ok(()),
        };
        let option_id = |field: &str, list: ListId, value: Option<u64>| match value {
            Some(v) if !lists::has_id(list, v) => Err(invalid(field, &v.to_string(), "not an option id of its list")),
            _ => Ok(()),
        };
        match row {
            TableRow::JobInfo(r) => {
                option("location", ListId::Location, &r.location)?;
                option("division", ListId::Division, &r.division)?;
                option("department", ListId::Department, &r.department)?;
                option("jobTitle", ListId::JobTitle, &r.job_title)?;
                if let Some(manager) = r.reports_to
                    && View::new(&self.state).ctx().emp_by_id(manager).is_none()
                {
                    return Err(invalid("reportsTo", &manager.to_string(), "no such employee"));
                }
            }
            TableRow::EmploymentStatus(r) => {
                option("employmentStatus", ListId::EmploymentStatus, &Some(r.employment_status.clone()))?;
                option_id("terminationTypeId", ListId::TerminationType, r.termination_type_id)?;
                option_id("terminationReasonId", ListId::TerminationReason, r.termination_reason_id)?;
                option_id("terminationRehireId", ListId::TerminationRehire, r.termination_rehire_id)?;
                option_id("terminationRegrettableId", ListId::TerminationRegrettable, r.termination_regrettable_id)?;
            }
            TableRow::Compensation(r) => {
                if r.rate.parse::<f64>().is_err() {
                    return Err(invalid("rate", &r.rate, "not a decimal amount"));
                }
                option("paySchedule", ListId::PaySchedule, &r.pay_schedule)?;
                option("reason", ListId::PayChangeReason, &r.reason)?;
            }
        }
        Ok(())
    }
}

/// The alias of a field the mutation API may set to `value`, or why not.
fn checked(field: &str, value: Option<&str>) -> Result<&'static str, WorldError> {
    let def = super::fields::lookup(field).ok_or_else(|| WorldError::UnknownField(field.to_owned()))?;
    if !def.writable {
        return Err(WorldError::ReadOnlyField(def.alias.to_owned()));
    }
    let invalid = |reason: &str| WorldError::InvalidValue {
        field: def.alias.to_owned(),
        value: value.unwrap_or_default().to_owned(),
        reason: reason.to_owned(),
    };
    if let Some(value) = value {
        if def.kind == "date" && Date::parse(value).is_none() {
            return Err(invalid("not a YYYY-MM-DD date"));
        }
        if let Some(list) = lists::for_field(def.alias)
            && lists::find(list, value).is_none()
        {
            return Err(invalid("not an option of its list (GET /v1/meta/lists)"));
        }
    }
    Ok(def.alias)
}

/// The index of an employee that exists in `world` and was not deleted.
fn existing(state: &CompanyState, world: &Overrides, id: u64) -> Result<usize, WorldError> {
    state
        .index_of(world, id)
        .filter(|i| world.employees.get(i).is_none_or(|o| o.deleted.is_none()))
        .ok_or(WorldError::UnknownEmployee(id))
}

/// The employee's stored tables, copied from the generated ones first if need be.
fn tables_mut<'w>(state: &CompanyState, world: &'w mut Overrides, index: usize) -> &'w mut Tables {
    let over = world.employees.entry(index).or_default();
    over.tables.get_or_insert_with(|| {
        let p = Person::generate(state.config.seed, index);
        let x = Extras::generate(state.config.seed, &p);
        generated_tables(state, &p, &x)
    })
}
