//! Tabular data: `GET /v1/employees/{id}/tables/{table}`, with `all` for every employee.

use std::fmt::Write;

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::employees::employee_index;
use super::world::{Ctx, Emp, Table, Tables, View};
use super::{Caller, error, wants_json};
use crate::data::{escape_markup, json_opt, json_str};
use crate::streamed_body;

/// Renders rows as JSON objects or XML `<row>` elements, remembering the last manager's name
/// (employees of one manager come in runs).
pub(crate) struct RowWriter {
    pub(crate) json: bool,
    manager: Option<(u64, Option<String>)>,
}

impl RowWriter {
    pub(crate) fn new(json: bool) -> RowWriter {
        RowWriter { json, manager: None }
    }

    fn manager_name(&mut self, ctx: &Ctx, id: u64) -> Option<String> {
        if let Some((cached, name)) = &self.manager
            && *cached == id
        {
            return name.clone();
        }
        let name = ctx.emp_by_id(id).map(|m| m.display_name());
        self.manager = Some((id, name.clone()));
        name
    }

    /// Every row of `table` for `emp`, each followed by a comma in JSON (the caller trims).
    pub(crate) fn rows(&mut self, ctx: &Ctx, emp: &Emp, tables: &Tables, table: Table, out: &mut String) {
        let employee_id = emp.id.to_string();
        match table {
            Table::JobInfo => {
                for (row_id, row) in &tables.job {
                    let manager = row.reports_to.and_then(|m| self.manager_name(ctx, m));
                    self.row(
                        out,
                        *row_id,
                        &employee_id,
                        &[
                            ("date", Some(&row.date), None),
                            ("location", row.location.as_deref(), None),
                            ("department", row.department.as_deref(), None),
                            ("division", row.division.as_deref(), None),
                            ("jobTitle", row.job_title.as_deref(), None),
                            ("reportsTo", manager.as_deref(), None),
                        ],
                    );
                }
            }
            Table::EmploymentStatus => {
                for (row_id, row) in &tables.status {
                    let ids = [
                        row.termination_reason_id.map(|id| id.to_string()),
                        row.termination_type_id.map(|id| id.to_string()),
                        row.termination_rehire_id.map(|id| id.to_string()),
                        row.termination_regrettable_id.map(|id| id.to_string()),
                    ];
                    self.row(
                        out,
                        *row_id,
                        &employee_id,
                        &[
                            ("date", Some(&row.date), None),
                            ("employmentStatus", Some(&row.employment_status), None),
                            ("comment", row.comment.as_deref(), None),
                            ("terminationReasonId", ids[0].as_deref(), None),
                            ("terminationTypeId", ids[1].as_deref(), None),
                            ("terminationRehireId", ids[2].as_deref(), None),
                            ("terminationRegrettableId", ids[3].as_deref(), None),
                        ],
                    );
                }
            }
            Table::Compensation => {
                for (row_id, row) in &tables.comp {
                    self.row(
                        out,
                        *row_id,
                        &employee_id,
                        &[
                            ("startDate", Some(&row.start_date), None),
                            ("rate", Some(&row.rate), Some(&row.currency)),
                            ("type", Some(&row.pay_type), None),
                            ("exempt", row.exempt.as_deref(), None),
                            ("reason", row.reason.as_deref(), None),
                            ("comment", row.comment.as_deref(), None),
                            ("paidPer", Some(&row.paid_per), None),
                            ("paySchedule", row.pay_schedule.as_deref(), None),
                        ],
                    );
                }
            }
        }
    }

    /// One row: `(field, value, currency)`; a currency makes the value `{value, currency}`.
    fn row(&self, out: &mut String, row_id: u64, employee_id: &str, fields: &[(&str, Option<&str>, Option<&str>)]) {
        if self.json {
            out.push_str("{\"id\":\"");
            out.push_str(itoa::Buffer::new().format(row_id));
            out.push_str("\",\"employeeId\":\"");
            out.push_str(employee_id);
            out.push('"');
            for (field, value, currency) in fields {
                out.push_str(",\"");
                out.push_str(field);
                out.push_str("\":");
                match currency {
                    Some(currency) => {
                        out.push_str("{\"value\":");
                        json_opt(out, *value);
                        out.push_str(",\"currency\":");
                        json_str(out, currency);
                        out.push('}');
                    }
                    None => json_opt(out, *value),
                }
            }
            out.push_str("},");
        } else {
            let _ = write!(out, "<row id=\"{row_id}\" employeeId=\"{employee_id}\">");
            for (field, value, currency) in fields {
                let currency = currency.map(|c| format!(" currency=\"{}\"", escape_markup(c))).unwrap_or_default();
                let _ =
                    write!(out, "<field id=\"{field}\"{currency}>{}</field>", escape_markup(value.unwrap_or_default()));
            }
            out.push_str("</row>");
        }
    }
}

/// `GET /v1/employees/{id}/tables/{table}`: every row of the table for one employee, or with
/// `all` for every employee (terminated ones included; streamed). JSON or XML by `Accept`.
/// Unknown tables and employees are 404.
pub(crate) async fn get(caller: Caller, Path(params): Path<Vec<(String, String)>>, headers: HeaderMap) -> Response {
    if let Err(response) = caller.require_employee_access() {
        return response;
    }
    let param = |name: &str| params.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let Some(table) = Table::from_alias(&param("table")) else {
        return error(StatusCode::NOT_FOUND, "Table not found");
    };
    let json = wants_json(&headers);
    let view = View::new(&caller.company);
    let (head, tail, content_type) = if json {
        ("[", "]", "application/json")
    } else {
        ("<?xml version=\"1.0\"?>\n<table>", "</table>", "text/xml; charset=utf-8")
    };
    let id = param("id");
    let mut writer = RowWriter::new(json);
    if id != "all" {
        let ctx = view.ctx();
        let emp = match employee_index(&caller, &ctx, &id) {
            Ok(Some(index)) => ctx.emp(index).expect("the employee exists"),
            Ok(None) => return error(StatusCode::NOT_FOUND, "Employee not found"),
            Err(response) => return response,
        };
        let mut body = String::from(head);
        writer.rows(&ctx, &emp, &emp.table(ctx.company, table), table, &mut body);
        if json && body.ends_with(',') {
            body.pop();
        }
        body.push_str(tail);
        return ([(header::CONTENT_TYPE, content_type)], body).into_response();
    }
    let slots = view.ctx().slots();
    let mut first = true;
    let items = (0..slots).filter_map(move |index| {
        let ctx = view.ctx();
        let emp = ctx.emp(index)?;
        let mut out = String::new();
        writer.rows(&ctx, &emp, &emp.table(ctx.company, table), table, &mut out);
        if json {
            // Commas go between rows, never after the last one of the array.
            out.pop();
            if out.is_empty() {
                return None;
            }
            if !std::mem::take(&mut first) {
                out.insert(0, ',');
            }
        }
        Some(out)
    });
    let body = streamed_body(head.to_owned(), items, tail.to_owned());
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}
