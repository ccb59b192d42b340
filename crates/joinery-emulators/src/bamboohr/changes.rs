//! Change tracking: `GET /v1/employees/changed` and `GET /v1/employees/changed/tables/{table}`.

use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::tables::RowWriter;
use super::world::{Ctx, GENERATED_UNTIL, Table, View};
use super::{Caller, error, wants_json};
use crate::data::{parse_timestamp, timestamp};
use crate::{query_pairs, streamed_body};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    Inserted,
    Updated,
    Deleted,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Inserted => "Inserted",
            Action::Updated => "Updated",
            Action::Deleted => "Deleted",
        }
    }
}

/// The required `since` (ISO 8601), in Unix seconds, or BambooHR's 400.
fn since(pairs: &[(String, String)]) -> Result<i64, Response> {
    let value = pairs.iter().find(|(k, _)| k == "since").map(|(_, v)| v.as_str());
    match value {
        None | Some("") => Err(error(StatusCode::BAD_REQUEST, "The since parameter is required")),
        Some(value) => parse_timestamp(value)
            .ok_or_else(|| error(StatusCode::BAD_REQUEST, "The since parameter must be an ISO 8601 date-time")),
    }
}

/// `(employee index, action, lastChanged)` of every employee changed at or after `since`, in id
/// order. Before the end of generated time every employee is looked at; after it, only the ones
/// tests changed.
fn changed(ctx: &Ctx, since: i64) -> Vec<(usize, Action, i64)> {
    let entry = |index: usize| -> Option<(usize, Action, i64)> {
        if let Some(deleted) = ctx.snap.employees.get(&index).and_then(|o| o.deleted) {
            return (deleted >= since).then_some((index, Action::Deleted, deleted));
        }
        let emp = ctx.emp(index)?;
        let last_changed = emp.last_changed();
        let action = if emp.created() >= since { Action::Inserted } else { Action::Updated };
        (last_changed >= since).then_some((index, action, last_changed))
    };
    if since >= GENERATED_UNTIL.unix() {
        ctx.snap.employees.keys().filter_map(|i| entry(*i)).collect()
    } else {
        (0..ctx.slots()).filter_map(entry).collect()
    }
}

/// `GET /v1/employees/changed?since=…[&type=inserted|updated|deleted]`:
/// `{latest, employees: {"<id>": {id, action, lastChanged}}}` (JSON) or `<employees latest>` (XML).
/// An employee is reported when its `lastChanged` is at or after `since`: `Inserted` if its
/// record was created since then, `Deleted` if it was removed, else `Updated`.
pub(crate) async fn employees(caller: Caller, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    if let Err(response) = caller.require_employee_access() {
        return response;
    }
    let pairs = query_pairs(raw.as_deref());
    let since = match since(&pairs) {
        Ok(since) => since,
        Err(response) => return response,
    };
    let wanted = match pairs.iter().find(|(k, _)| k == "type").map(|(_, v)| v.to_ascii_lowercase()).as_deref() {
        None => None,
        Some("inserted") => Some(Action::Inserted),
        Some("updated") => Some(Action::Updated),
        Some("deleted") => Some(Action::Deleted),
        Some(_) => return error(StatusCode::BAD_REQUEST, "The type parameter must be inserted, updated or deleted"),
    };
    let view = View::new(&caller.company);
    let ctx = view.ctx();
    let entries: Vec<(u64, Action, i64)> = changed(&ctx, since)
        .into_iter()
        .filter(|(_, action, _)| wanted.is_none_or(|w| w == *action))
        .map(|(index, action, at)| (ctx.company.employee_id(index), action, at))
        .collect();
    // With nothing changed, `latest` echoes `since`.
    let latest = timestamp(entries.iter().map(|e| e.2).max().unwrap_or(since));
    if wants_json(&headers) {
        let head = format!("{{\"latest\":\"{latest}\",\"employees\":{{");
        let items = entries.into_iter().enumerate().map(|(n, (id, action, at))| {
            format!(
                "{}\"{id}\":{{\"id\":\"{id}\",\"action\":\"{}\",\"lastChanged\":\"{}\"}}",
                if n == 0 { "" } else { "," },
                action.name(),
                timestamp(at)
            )
        });
        let body = streamed_body(head, items, "}}".to_owned());
        return ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    }
    let head = format!("<?xml version=\"1.0\"?>\n<employees latest=\"{latest}\">");
    let items = entries.into_iter().map(|(id, action, at)| {
        format!("<employee id=\"{id}\" action=\"{}\" lastChanged=\"{}\"/>", action.name(), timestamp(at))
    });
    let body = streamed_body(head, items, "</employees>".to_owned());
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

/// `GET /v1/employees/changed/tables/{table}?since=…`: `{table, employees: {"<id>": {lastChanged,
/// rows: [...]}}}`, every row of each employee changed at or after `since` (a change to any
/// field brings all of the employee's rows, as documented). Rows have the shape of the table
/// endpoint's. JSON only. Deleted employees have no rows and are left out.
pub(crate) async fn tables(
    caller: Caller,
    Path(params): Path<Vec<(String, String)>>,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Err(response) = caller.require_employee_access() {
        return response;
    }
    let table_name = params.iter().find(|(n, _)| n == "table").map(|(_, v)| v.as_str()).unwrap_or_default();
    let Some(table) = Table::from_alias(table_name) else {
        return error(StatusCode::NOT_FOUND, "Table not found");
    };
    let since = match since(&query_pairs(raw.as_deref())) {
        Ok(since) => since,
        Err(response) => return response,
    };
    let view = View::new(&caller.company);
    let entries: Vec<(usize, i64)> = changed(&view.ctx(), since)
        .into_iter()
        .filter(|(_, action, _)| *action != Action::Deleted)
        .map(|(index, _, at)| (index, at))
        .collect();
    let head = format!("{{\"table\":\"{}\",\"employees\":{{", table.alias());
    let mut writer = RowWriter::new(true);
    let items = entries.into_iter().enumerate().filter_map(move |(n, (index, at))| {
        let ctx = view.ctx();
        let emp = ctx.emp(index)?;
        let mut rows = String::new();
        writer.rows(&ctx, &emp, &emp.table(ctx.company, table), table, &mut rows);
        if rows.ends_with(',') {
            rows.pop();
        }
        Some(format!(
            "{}\"{}\":{{\"lastChanged\":\"{}\",\"rows\":[{rows}]}}",
            if n == 0 { "" } else { "," },
            emp.id,
            timestamp(at)
        ))
    });
    let body = streamed_body(head, items, "}}".to_owned());
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}
