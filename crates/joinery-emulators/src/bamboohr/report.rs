//! `POST /v1/reports/custom`: many fields of every employee in one answer, the way connectors read
//! a whole company without one request per employee.

use std::collections::BTreeSet;
use std::fmt::Write;

use axum::body::Bytes;
use axum::extract::RawQuery;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::fields::{self, Field, lookup};
use super::world::View;
use super::{Caller, error};
use crate::data::{escape_markup, json_opt, json_str, parse_timestamp};
use crate::{query_pairs, streamed_body};

/// At most this many fields per report, as documented.
const MAX_FIELDS: usize = 400;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
    Csv,
}

/// What the request body asks for.
#[derive(Debug, Default)]
struct Request {
    title: String,
    fields: Vec<String>,
    last_changed: Option<i64>,
    employee_ids: Option<BTreeSet<u64>>,
}

/// The output format: `format` (case-insensitive) or, without it, one of the exact `Accept`
/// values the documentation lists (anything else is 404).
fn format(pairs: &[(String, String)], headers: &HeaderMap) -> Result<Format, Response> {
    let unsupported = || error(StatusCode::BAD_REQUEST, "The emulator renders reports as JSON, XML or CSV only");
    match pairs.iter().find(|(k, _)| k == "format").map(|(_, v)| v.to_ascii_uppercase()) {
        Some(format) => match format.as_str() {
            "JSON" => Ok(Format::Json),
            "XML" => Ok(Format::Xml),
            "CSV" => Ok(Format::Csv),
            "PDF" | "XLS" => Err(unsupported()),
            _ => Err(error(StatusCode::BAD_REQUEST, "Invalid report format")),
        },
        None => match headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("") {
            "application/json" => Ok(Format::Json),
            "text/xml" => Ok(Format::Xml),
            "text/csv" => Ok(Format::Csv),
            "application/pdf" | "application/vnd.ms-excel" => Err(unsupported()),
            _ => Err(error(StatusCode::NOT_FOUND, "Unsupported report format")),
        },
    }
}

fn parse_json(body: &[u8]) -> Result<Request, Response> {
    let malformed = || error(StatusCode::BAD_REQUEST, "Malformed JSON");
    let value: Value = serde_json::from_slice(body).map_err(|_| malformed())?;
    let object = value.as_object().ok_or_else(malformed)?;
    let mut request = Request {
        title: object.get("title").and_then(Value::as_str).unwrap_or_default().to_owned(),
        ..Request::default()
    };
    match object.get("fields") {
        None | Some(Value::Null) => {}
        Some(Value::Array(fields)) => {
            // Entries that are not field ids are like unknown field ids: left out.
            request.fields = fields.iter().filter_map(Value::as_str).map(str::to_owned).collect();
        }
        Some(_) => return Err(malformed()),
    }
    if let Some(filters) = object.get("filters").and_then(Value::as_object) {
        if let Some(changed) = filters.get("lastChanged").and_then(Value::as_object)
            && let Some(value) = changed.get("value").and_then(Value::as_str)
        {
            request.last_changed = Some(parse_timestamp(value).ok_or_else(|| {
                error(StatusCode::BAD_REQUEST, "filters.lastChanged.value must be an ISO 8601 date-time")
            })?);
        }
        if let Some(ids) = filters.get("employeeIds") {
            let ids = ids.as_array().ok_or_else(malformed)?;
            let mut set = BTreeSet::new();
            for id in ids {
                let id = id.as_u64().or_else(|| id.as_str().and_then(|s| s.parse().ok())).ok_or_else(malformed)?;
                set.insert(id);
            }
            request.employee_ids = Some(set);
        }
    }
    Ok(request)
}

/// The `<report>` document: `<title>`, `<fields><field id="…"/></fields>`, and optionally
/// `<filters><lastChanged includeNull="…">ISO 8601</lastChanged></filters>`.
fn parse_xml(body: &[u8]) -> Result<Request, Response> {
    let malformed = || error(StatusCode::BAD_REQUEST, "Malformed XML");
    let text = std::str::from_utf8(body).map_err(|_| malformed())?.trim();
    let text = text.strip_prefix("<?xml").map_or(Some(text), |rest| rest.split_once("?>").map(|(_, r)| r.trim()));
    let text = text.ok_or_else(malformed)?;
    if !text.starts_with("<report") || !text.ends_with("</report>") {
        return Err(malformed());
    }
    let inner = |tag: &str| -> Option<&str> {
        let start = text.find(&format!("<{tag}"))?;
        let open_end = start + text[start..].find('>')?;
        let close = text[open_end..].find(&format!("</{tag}>"))? + open_end;
        Some(&text[open_end + 1..close])
    };
    let mut request = Request { title: inner("title").unwrap_or_default().trim().to_owned(), ..Request::default() };
    if let Some(fields) = inner("fields") {
        let mut rest = fields;
        while let Some(at) = rest.find("<field") {
            rest = &rest[at + 6..];
            let end = rest.find('>').ok_or_else(malformed)?;
            let attributes = &rest[..end];
            let id = attributes.split_once("id=\"").and_then(|(_, v)| v.split_once('"')).map(|(id, _)| id);
            request.fields.push(id.ok_or_else(malformed)?.to_owned());
            rest = &rest[end..];
        }
    }
    if let Some(value) = inner("lastChanged") {
        request.last_changed = Some(
            parse_timestamp(value.trim())
                .ok_or_else(|| error(StatusCode::BAD_REQUEST, "lastChanged must be an ISO 8601 date-time"))?,
        );
    }
    Ok(request)
}

/// `POST /v1/reports/custom?format=JSON` with `{title, fields: [...], filters: {lastChanged:
/// {includeNull, value}, employeeIds: [...]}}`: every employee, active or not, in id order
/// (streamed), with `id` and the requested fields that exist — keyed as requested (alias or
/// numeric id); unknown fields are left out. JSON bodies need `Content-Type: application/json`
/// exactly, anything else is read as the XML `<report>` form.
pub(crate) async fn custom(caller: Caller, headers: HeaderMap, RawQuery(raw): RawQuery, body: Bytes) -> Response {
    if let Err(response) = caller.require_employee_access() {
        return response;
    }
    let pairs = query_pairs(raw.as_deref());
    let format = match format(&pairs, &headers) {
        Ok(format) => format,
        Err(response) => return response,
    };
    let is_json = headers.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes() == b"application/json");
    let request = match if is_json { parse_json(&body) } else { parse_xml(&body) } {
        Ok(request) => request,
        Err(response) => return response,
    };
    if request.fields.is_empty() {
        return error(StatusCode::BAD_REQUEST, "The report names no fields");
    }
    if request.fields.len() > MAX_FIELDS {
        return error(StatusCode::BAD_REQUEST, "Too many fields requested (at most 400)");
    }
    let mut columns: Vec<(String, &'static Field)> = Vec::new();
    for name in &request.fields {
        if let Some(field) = lookup(name)
            && !columns.iter().any(|(_, f)| f.alias == field.alias)
        {
            columns.push((name.clone(), field));
        }
    }
    let only_current = pairs
        .iter()
        .find(|(k, _)| k == "onlyCurrent")
        .is_none_or(|(_, v)| !matches!(v.to_ascii_lowercase().as_str(), "false" | "0" | "no"));
    let mut view = View::new(&caller.company);
    view.only_current = only_current;

    let indices: Vec<usize> = match &request.employee_ids {
        Some(ids) => ids.iter().filter_map(|id| view.ctx().company.index_of(view.ctx().snap, *id)).collect(),
        None => (0..view.ctx().slots()).collect(),
    };
    let last_changed = request.last_changed;
    let mut first = true;
    let rows = indices.into_iter().filter_map({
        let columns = columns.clone();
        move |index| {
            let ctx = view.ctx();
            let emp = ctx.emp(index)?;
            if last_changed.is_some_and(|since| emp.last_changed() < since) {
                return None;
            }
            let values = columns.iter().map(|(_, f)| fields::value(&ctx, &emp, f.alias));
            let mut out = String::with_capacity(64 + 24 * columns.len());
            match format {
                Format::Json => {
                    if !std::mem::take(&mut first) {
                        out.push(',');
                    }
                    let _ = write!(out, "{{\"id\":\"{}\"", emp.id);
                    for ((key, _), value) in columns.iter().zip(values) {
                        out.push(',');
                        json_str(&mut out, key);
                        out.push(':');
                        json_opt(&mut out, value.as_deref());
                    }
                    out.push('}');
                }
                Format::Xml => {
                    out.push_str(&format!("<employee id=\"{}\">", emp.id));
                    for ((key, _), value) in columns.iter().zip(values) {
                        out.push_str(&format!(
                            "<field id=\"{}\">{}</field>",
                            escape_markup(key),
                            escape_markup(value.as_deref().unwrap_or(""))
                        ));
                    }
                    out.push_str("</employee>");
                }
                Format::Csv => {
                    out.push_str(&csv(&emp.id.to_string()));
                    for value in values {
                        out.push(',');
                        out.push_str(&csv(value.as_deref().unwrap_or("")));
                    }
                    out.push_str("\r\n");
                }
            }
            Some(out)
        }
    });
    let (head, tail, content_type) = match format {
        Format::Json => {
            let mut head = String::from("{\"title\":");
            json_str(&mut head, &request.title);
            head.push_str(",\"fields\":[");
            for (n, (key, field)) in columns.iter().enumerate() {
                if n > 0 {
                    head.push(',');
                }
                head.push_str("{\"id\":");
                json_str(&mut head, key);
                head.push_str(&format!(",\"type\":\"{}\",\"name\":", field.kind));
                json_str(&mut head, field.name);
                head.push('}');
            }
            head.push_str("],\"employees\":[");
            (head, "]}", "application/json")
        }
        Format::Xml => {
            let mut head =
                format!("<?xml version=\"1.0\"?>\n<report><title>{}</title><fields>", escape_markup(&request.title));
            for (key, field) in &columns {
                head.push_str(&format!(
                    "<field id=\"{}\" type=\"{}\">{}</field>",
                    escape_markup(key),
                    field.kind,
                    escape_markup(field.name)
                ));
            }
            head.push_str("</fields><employees>");
            (head, "</employees></report>", "text/xml; charset=utf-8")
        }
        Format::Csv => {
            let mut head = csv("id");
            for (_, field) in &columns {
                head.push(',');
                head.push_str(&csv(field.name));
            }
            head.push_str("\r\n");
            (head, "", "text/csv; charset=utf-8")
        }
    };
    ([(header::CONTENT_TYPE, content_type)], streamed_body(head, rows, tail.to_owned())).into_response()
}

/// A CSV cell, always quoted.
fn csv(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_report_requests_are_read() {
        let body = br#"<?xml version="1.0"?>
            <report><title>Everyone</title><filters><lastChanged includeNull="no">2026-01-01T00:00:00Z</lastChanged></filters>
            <fields><field id="firstName" /><field id="18"/></fields></report>"#;
        let request = parse_xml(body).unwrap();
        assert_eq!(request.title, "Everyone");
        assert_eq!(request.fields, vec!["firstName", "18"]);
        assert_eq!(request.last_changed, parse_timestamp("2026-01-01T00:00:00Z"));
        assert!(parse_xml(b"{\"fields\":[\"firstName\"]}").is_err());
        assert!(parse_xml(b"<report><fields><field/></fields></report>").is_err());
    }

    #[test]
    fn json_report_requests_are_read() {
        let body =
            br#"{"title":"t","fields":["firstName",{"id":"x"},"lastName"],"filters":{"employeeIds":[101,"104"]}}"#;
        let request = parse_json(body).unwrap();
        assert_eq!(request.fields, vec!["firstName", "lastName"]);
        assert_eq!(request.employee_ids, Some([101, 104].into()));
        assert!(parse_json(b"[]").is_err());
        assert!(parse_json(br#"{"fields":"firstName"}"#).is_err());
    }
}
