//! The employee endpoints: the cursor-paginated list, the directory and one employee.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::fields::{self, lookup};
use super::world::{CompanyState, Ctx, Emp, View};
use super::{Caller, bad_request, error, wants_json, xml};
use crate::data::escape_markup;
use crate::{query_pairs, streamed_body};

/// `page[limit]` when absent, and its largest accepted value (the official SDK's
/// `EmployeeCursorPaginationQueryObject`).
pub(crate) const DEFAULT_LIMIT: usize = 250;
pub(crate) const MAX_LIMIT: usize = 2500;

/// The fields `sort` accepts.
const SORTABLE: &[&str] = &["employeeId", "firstName", "lastName", "preferredName", "jobTitleName", "status"];

/// The extra fields `fields=` may add to each record.
const OPTIONAL_FIELDS: &[&str] = &[
    "workEmail",
    "homeEmail",
    "bestEmail",
    "middleName",
    "workPhone",
    "workPhoneExtension",
    "mobilePhone",
    "homePhone",
    "skypeUsername",
    "linkedinUrl",
    "facebookUrl",
    "instagramUrl",
    "twitterUrl",
    "pinterestUrl",
];

/// `GET /v1/employees/{id}` accepts at most this many fields.
const MAX_FIELDS: usize = 400;

#[derive(Default)]
struct Filter {
    /// `Some(true)` for `active`, `Some(false)` for `inactive`.
    active: Option<bool>,
    first_name: Option<String>,
    last_name: Option<String>,
    job_title: Option<String>,
    ids: Option<HashSet<u64>>,
}

impl Filter {
    fn is_empty(&self) -> bool {
        self.active.is_none()
            && self.first_name.is_none()
            && self.last_name.is_none()
            && self.job_title.is_none()
            && self.ids.is_none()
    }

    fn matches(&self, emp: &Emp) -> bool {
        let contains = |haystack: &str, needle: &Option<String>| {
            needle.as_ref().is_none_or(|n| haystack.to_lowercase().contains(n.as_str()))
        };
        self.active.is_none_or(|a| a == emp.active())
            && contains(emp.first_name(), &self.first_name)
            && contains(emp.last_name(), &self.last_name)
            && contains(emp.job.job_title.unwrap_or(""), &self.job_title)
            && self.ids.as_ref().is_none_or(|ids| ids.contains(&emp.id))
    }
}

struct ListQuery {
    limit: usize,
    after: Option<String>,
    before: Option<String>,
    filter: Filter,
    /// `(field, descending)`, always ending with `employeeId` so the order is total.
    sort: Vec<(&'static str, bool)>,
    fields: Vec<&'static str>,
}

fn parse_list_query(pairs: &[(String, String)]) -> Result<ListQuery, Response> {
    let mut query = ListQuery {
        limit: DEFAULT_LIMIT,
        after: None,
        before: None,
        filter: Filter::default(),
        sort: Vec::new(),
        fields: Vec::new(),
    };
    for (key, value) in pairs {
        match key.as_str() {
            "page[limit]" => {
                query.limit = value.parse().ok().filter(|l| (1..=MAX_LIMIT).contains(l)).ok_or_else(|| {
                    bad_request("BadRequest", &format!("page[limit] must be an integer from 1 to {MAX_LIMIT}"))
                })?;
            }
            "page[after]" => query.after = Some(value.clone()),
            "page[before]" => query.before = Some(value.clone()),
            "filter[status]" => {
                query.filter.active = Some(match value.as_str() {
                    "active" => true,
                    "inactive" => false,
                    _ => return Err(bad_request("BadRequest", "filter[status] must be active or inactive")),
                });
            }
            "filter[firstName]" => query.filter.first_name = Some(value.to_lowercase()),
            "filter[lastName]" => query.filter.last_name = Some(value.to_lowercase()),
            "filter[jobTitleName]" => query.filter.job_title = Some(value.to_lowercase()),
            "filter[ids]" | "filter[ids][]" => {
                let ids = query.filter.ids.get_or_insert_with(HashSet::new);
                for id in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    ids.insert(id.parse().map_err(|_| bad_request("BadRequest", "filter[ids] must be employee ids"))?);
                }
            }
            "sort" => {
                for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let (name, descending) = item.strip_prefix('-').map_or((item, false), |n| (n, true));
                    let Some(field) = SORTABLE.iter().find(|f| **f == name) else {
                        return Err(bad_request("BadRequest", &format!("Invalid sort field: {name}")));
                    };
                    query.sort.push((field, descending));
                }
            }
            "fields" | "fields[]" => {
                for name in value.split(',').map(str::trim) {
                    if let Some(field) = OPTIONAL_FIELDS.iter().find(|f| **f == name)
                        && !query.fields.contains(field)
                    {
                        query.fields.push(field);
                    }
                }
            }
            other if other.starts_with("filter[") => {
                return Err(bad_request("BadRequest", &format!("Unknown filter: {other}")));
            }
            _ => {}
        }
    }
    if query.after.is_some() && query.before.is_some() {
        return Err(bad_request("BadRequest", "page[after] and page[before] cannot be combined"));
    }
    if !query.sort.iter().any(|(f, _)| *f == "employeeId") {
        query.sort.push(("employeeId", false));
    }
    Ok(query)
}

/// The sequence employees are listed in: positions `0..len` over the employee slots (deleted
/// employees keep their slot and are skipped like non-matching ones).
enum Order {
    /// By employee id, which is index order.
    Ascending,
    Descending,
    /// Any other `sort`: the existing employees' indices in order, built once per company, sort and
    /// world version.
    Sorted(Arc<Vec<u32>>),
}

impl Order {
    fn for_sort(ctx: &Ctx, sort: &[(&'static str, bool)]) -> Order {
        match sort {
            [("employeeId", false)] => return Order::Ascending,
            [("employeeId", true)] => return Order::Descending,
            _ => {}
        }
        let company: &CompanyState = ctx.company;
        let cache_key =
            sort.iter().map(|(f, d)| format!("{}{f}", if *d { "-" } else { "" })).collect::<Vec<_>>().join(",");
        let mut cache = company.sorted.lock().expect("sort cache lock");
        if let Some((version, order)) = cache.get(&cache_key)
            && *version == ctx.snap.version
        {
            return Order::Sorted(order.clone());
        }
        let keys: Vec<SortKey> = ctx.all().map(|e| SortKey::of(&e)).collect();
        let mut positions: Vec<usize> = (0..keys.len()).collect();
        positions.sort_by(|a, b| compare(&keys[*a], &keys[*b], sort));
        let order = Arc::new(positions.into_iter().map(|p| keys[p].index as u32).collect::<Vec<u32>>());
        // Bounded: a handful of sorts per company is all any client uses.
        if cache.len() >= 8 {
            cache.clear();
        }
        cache.insert(cache_key, (ctx.snap.version, order.clone()));
        Order::Sorted(order)
    }

    fn len(&self, slots: usize) -> usize {
        match self {
            Order::Sorted(order) => order.len(),
            _ => slots,
        }
    }

    fn index_at(&self, len: usize, position: usize) -> usize {
        match self {
            Order::Ascending => position,
            Order::Descending => len - 1 - position,
            Order::Sorted(order) => order[position] as usize,
        }
    }

    fn position_of(&self, ctx: &Ctx, len: usize, emp: &Emp, sort: &[(&str, bool)]) -> usize {
        match self {
            Order::Ascending => emp.index,
            Order::Descending => len - 1 - emp.index,
            Order::Sorted(order) => {
                let target = SortKey::of(emp);
                order
                    .binary_search_by(|probe| {
                        let probe = ctx.emp(*probe as usize).expect("sorted employees exist");
                        compare(&SortKey::of(&probe), &target, sort)
                    })
                    .expect("every employee is in the order")
            }
        }
    }
}

/// What employees are sorted on, lowercased so the order is case-insensitive.
struct SortKey {
    index: usize,
    first_name: String,
    last_name: String,
    preferred_name: Option<String>,
    job_title: String,
    status: &'static str,
}

impl SortKey {
    fn of(emp: &Emp) -> SortKey {
        SortKey {
            index: emp.index,
            first_name: emp.first_name().to_lowercase(),
            last_name: emp.last_name().to_lowercase(),
            preferred_name: emp.preferred_name().map(str::to_lowercase),
            job_title: emp.job.job_title.unwrap_or("").to_lowercase(),
            status: if emp.active() { "active" } else { "inactive" },
        }
    }
}

/// Nulls sort first ascending and last descending, as documented: `Option`'s order, reversed.
fn compare(a: &SortKey, b: &SortKey, sort: &[(&str, bool)]) -> Ordering {
    for (field, descending) in sort {
        let ordering = match *field {
            "employeeId" => a.index.cmp(&b.index),
            "firstName" => a.first_name.cmp(&b.first_name),
            "lastName" => a.last_name.cmp(&b.last_name),
            "preferredName" => a.preferred_name.cmp(&b.preferred_name),
            "jobTitleName" => a.job_title.cmp(&b.job_title),
            _ => a.status.cmp(b.status),
        };
        let ordering = if *descending { ordering.reverse() } else { ordering };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    Ordering::Equal
}

/// Cursors name the employee at the edge of a page and the direction they may be used in.
fn encode_cursor(direction: char, employee_id: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{direction}:{employee_id}"))
}

fn decode_cursor(cursor: &str, direction: char) -> Option<u64> {
    let decoded = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    let (d, id) = decoded.split_once(':')?;
    (d.len() == 1 && d.starts_with(direction)).then_some(())?;
    id.parse().ok()
}

/// `GET /v1/employees`
pub(crate) async fn list(caller: Caller, uri: Uri, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    if let Err(response) = caller.require_employee_access() {
        return response;
    }
    let pairs = query_pairs(raw.as_deref());
    let query = match parse_list_query(&pairs) {
        Ok(query) => query,
        Err(response) => return response,
    };
    let view = View::new(&caller.company);
    let ctx = view.ctx();
    let order = Order::for_sort(&ctx, &query.sort);
    let len = order.len(ctx.slots());
    let matching = |index: usize| -> Option<Emp> { ctx.emp(index).filter(|e| query.filter.matches(e)) };

    // The cursor's employee must still exist and match, else the page boundary is lost (BadPage).
    let boundary = |cursor: &str, direction: char| -> Result<usize, Response> {
        decode_cursor(cursor, direction)
            .and_then(|id| ctx.emp_by_id(id))
            .filter(|emp| query.filter.matches(emp))
            .map(|emp| order.position_of(&ctx, len, &emp, &query.sort))
            .ok_or_else(|| bad_request("BadPage", "The page cursor is invalid or no longer valid"))
    };

    let mut page: Vec<Emp> = Vec::with_capacity(query.limit.min(len));
    let (more_before, more_after);
    if let Some(cursor) = &query.before {
        let start = match boundary(cursor, 'p') {
            Ok(position) => position,
            Err(response) => return response,
        };
        for position in (0..start).rev() {
            if let Some(emp) = matching(order.index_at(len, position)) {
                page.push(emp);
                if page.len() > query.limit {
                    break;
                }
            }
        }
        more_before = page.len() > query.limit;
        page.truncate(query.limit);
        page.reverse();
        more_after = true;
    } else {
        let start = match &query.after {
            Some(cursor) => match boundary(cursor, 'n') {
                Ok(position) => position + 1,
                Err(response) => return response,
            },
            None => 0,
        };
        for position in start..len {
            if let Some(emp) = matching(order.index_at(len, position)) {
                page.push(emp);
                if page.len() > query.limit {
                    break;
                }
            }
        }
        more_after = page.len() > query.limit;
        page.truncate(query.limit);
        more_before = query.after.is_some();
    }

    let total = if query.filter.is_empty() {
        ctx.slots() - ctx.snap.employees.values().filter(|o| o.deleted.is_some()).count()
    } else {
        (0..ctx.slots()).filter(|i| matching(*i).is_some()).count()
    };
    let next_cursor = (more_after && !page.is_empty()).then(|| encode_cursor('n', page[page.len() - 1].id));
    let prev_cursor = (more_before && !page.is_empty()).then(|| encode_cursor('p', page[0].id));

    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let href = |cursor: Option<(&str, &str)>| -> String {
        let mut serializer = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs.iter().filter(|(k, _)| cursor.is_none() || (k != "page[after]" && k != "page[before]")) {
            serializer.append_pair(k, v);
        }
        if let Some((k, v)) = cursor {
            serializer.append_pair(k, v);
        }
        let query = serializer.finish();
        let sep = if query.is_empty() { "" } else { "?" };
        format!("http://{host}{}{sep}{query}", uri.path())
    };
    let mut links = Map::new();
    links.insert("self".into(), json!({ "href": href(None) }));
    if let Some(cursor) = &next_cursor {
        links.insert("next".into(), json!({ "href": href(Some(("page[after]", cursor))) }));
    }
    if let Some(cursor) = &prev_cursor {
        links.insert("prev".into(), json!({ "href": href(Some(("page[before]", cursor))) }));
    }

    let data: Vec<Value> = page.iter().map(|emp| list_record(&ctx, emp, &query.fields)).collect();
    axum::Json(json!({
        "data": data,
        "meta": {
            "total": total,
            "page": { "limit": query.limit, "nextCursor": next_cursor, "prevCursor": prev_cursor },
        },
        "_links": links,
    }))
    .into_response()
}

/// One record of the list: the default fields, then the requested optional ones.
fn list_record(ctx: &Ctx, emp: &Emp, optional: &[&str]) -> Value {
    let mut record = Map::new();
    record.insert("employeeId".into(), emp.id.to_string().into());
    record.insert("firstName".into(), emp.first_name().into());
    record.insert("lastName".into(), emp.last_name().into());
    record.insert("preferredName".into(), emp.preferred_name().into());
    record.insert("photoUrl".into(), fields::photo_url(ctx, emp).into());
    record.insert("jobTitleName".into(), emp.job.job_title.into());
    record.insert("status".into(), if emp.active() { "Active" } else { "Inactive" }.into());
    for name in optional {
        let value = match *name {
            "linkedinUrl" => {
                emp.index.is_multiple_of(4).then(|| format!("https://www.linkedin.com/in/{}", emp.p.email_local_part()))
            }
            "skypeUsername" | "facebookUrl" | "instagramUrl" | "twitterUrl" | "pinterestUrl" => None,
            other => fields::value(ctx, emp, other),
        };
        record.insert((*name).into(), value.into());
    }
    Value::Object(record)
}

/// The directory's fieldset: `(id, type, name)`.
const DIRECTORY_FIELDS: &[(&str, &str, &str)] = &[
    ("displayName", "text", "Display name"),
    ("firstName", "text", "First name"),
    ("lastName", "text", "Last name"),
    ("preferredName", "text", "Preferred name"),
    ("jobTitle", "list", "Job title"),
    ("workPhone", "text", "Work Phone"),
    ("mobilePhone", "text", "Mobile Phone"),
    ("workEmail", "email", "Work Email"),
    ("department", "list", "Department"),
    ("location", "list", "Location"),
    ("division", "list", "Division"),
    ("linkedIn", "text", "LinkedIn URL"),
    ("pronouns", "pronoun", "Pronouns"),
    ("workPhoneExtension", "text", "Work Ext."),
    ("supervisor", "employee", "Manager"),
    ("photoUploaded", "bool", "Employee photo exists"),
    ("photoUrl", "url", "Employee photo url"),
    ("canUploadPhoto", "bool", "Can upload photo"),
];

fn directory_value(ctx: &Ctx, emp: &Emp, field: &str) -> Value {
    match field {
        "linkedIn" => emp
            .index
            .is_multiple_of(4)
            .then(|| format!("https://www.linkedin.com/in/{}", emp.p.email_local_part()))
            .into(),
        "pronouns" => Value::Null,
        "photoUploaded" => false.into(),
        "canUploadPhoto" => 0.into(),
        other => fields::value(ctx, emp, other).into(),
    }
}

/// `GET /v1/employees/directory`: every active employee in one answer (streamed); 404 when the
/// directory is empty. JSON or XML by `Accept`.
pub(crate) async fn directory(caller: Caller, headers: HeaderMap) -> Response {
    if let Err(response) = caller.require_employee_access() {
        return response;
    }
    let view = View::new(&caller.company);
    if !view.ctx().all().any(|e| e.active()) {
        return error(StatusCode::NOT_FOUND, "The directory is empty");
    }
    let slots = view.ctx().slots();
    // Each item renders one active employee (or nothing), borrowing the view only meanwhile.
    let render = move |index: usize, json: bool| -> Option<String> {
        let ctx = view.ctx();
        let emp = ctx.emp(index).filter(Emp::active)?;
        Some(if json {
            let mut record = Map::new();
            record.insert("id".into(), emp.id.to_string().into());
            for (field, _, _) in DIRECTORY_FIELDS {
                record.insert((*field).into(), directory_value(&ctx, &emp, field));
            }
            Value::Object(record).to_string()
        } else {
            let mut entry = format!("<employee id=\"{}\">", emp.id);
            for (field, _, _) in DIRECTORY_FIELDS {
                let text = match directory_value(&ctx, &emp, field) {
                    Value::Null => String::new(),
                    Value::String(s) => escape_markup(&s),
                    other => other.to_string(),
                };
                entry.push_str(&format!("<field id=\"{field}\">{text}</field>"));
            }
            entry.push_str("</employee>");
            entry
        })
    };
    if wants_json(&headers) {
        let fieldset: Vec<Value> =
            DIRECTORY_FIELDS.iter().map(|(id, kind, name)| json!({ "id": id, "type": kind, "name": name })).collect();
        let head = format!("{{\"fields\":{},\"employees\":[", Value::from(fieldset));
        let items = (0..slots)
            .filter_map(move |i| render(i, true))
            .enumerate()
            .map(|(n, record)| if n == 0 { record } else { format!(",{record}") });
        let body = streamed_body(head, items, "]}".to_owned());
        return ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    }
    let mut head = String::from("<?xml version=\"1.0\"?>\n<directory><fieldset>");
    for (id, _, name) in DIRECTORY_FIELDS {
        head.push_str(&format!("<field id=\"{id}\">{}</field>", escape_markup(name)));
    }
    head.push_str("</fieldset><employees>");
    let items = (0..slots).filter_map(move |i| render(i, false));
    let body = streamed_body(head, items, "</employees></directory>".to_owned());
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

/// The employee a path's `{id}` names: `0` is the API key's own employee record (`Ok(None)`
/// when the company has none); unknown or deleted employees are 404.
pub(crate) fn employee_index(caller: &Caller, ctx: &Ctx, id: &str) -> Result<Option<usize>, Response> {
    if id == "0" {
        let existing: Vec<usize> = ctx.all().take(caller.key_index + 1).map(|e| e.index).collect();
        return Ok(match existing.len() {
            0 => None,
            n => Some(existing[caller.key_index % n]),
        });
    }
    id.parse()
        .ok()
        .and_then(|id| ctx.emp_by_id(id))
        .map(|emp| Some(emp.index))
        .ok_or_else(|| error(StatusCode::NOT_FOUND, "Employee not found"))
}

/// `GET /v1/employees/{id}?fields=a,b`: `id` always, the named fields that exist, nothing else.
/// The id `0` is the API key's own employee record.
pub(crate) async fn get_one(
    caller: Caller,
    Path(params): Path<Vec<(String, String)>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Err(response) = caller.require_employee_access() {
        return response;
    }
    let view = View::new(&caller.company);
    let ctx = view.ctx();
    let id = params.iter().find(|(name, _)| name == "id").map(|(_, v)| v.as_str()).unwrap_or_default();
    let index = match employee_index(&caller, &ctx, id) {
        Ok(index) => index,
        Err(response) => return response,
    };
    let pairs = query_pairs(raw.as_deref());
    let requested: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "fields")
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if requested.len() > MAX_FIELDS {
        return error(StatusCode::BAD_REQUEST, "Too many fields requested");
    }
    let mut values: Vec<(&str, Option<String>)> = Vec::new();
    let employee_id = match index.and_then(|i| ctx.emp(i)) {
        Some(emp) => {
            for name in &requested {
                if let Some(field) = lookup(name)
                    && !values.iter().any(|(alias, _)| *alias == field.alias)
                {
                    values.push((field.alias, fields::value(&ctx, &emp, field.alias)));
                }
            }
            emp.id.to_string()
        }
        None => "0".to_owned(),
    };
    if wants_json(&headers) {
        let mut record = Map::new();
        record.insert("id".into(), employee_id.into());
        for (alias, value) in values {
            record.insert(alias.into(), value.into());
        }
        return axum::Json(Value::Object(record)).into_response();
    }
    let mut body = format!("<?xml version=\"1.0\"?>\n<employee id=\"{employee_id}\">");
    for (alias, value) in values {
        body.push_str(&format!("<field id=\"{alias}\">{}</field>", escape_markup(value.as_deref().unwrap_or(""))));
    }
    body.push_str("</employee>");
    xml(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_only_in_their_direction() {
        let next = encode_cursor('n', 1234);
        assert_eq!(decode_cursor(&next, 'n'), Some(1234));
        assert_eq!(decode_cursor(&next, 'p'), None);
        assert_eq!(decode_cursor("garbage!", 'n'), None);
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode("n:abc"), 'n'), None);
    }

    #[test]
    fn nulls_sort_first_ascending_and_last_descending() {
        let key = |index, preferred: Option<&str>| SortKey {
            index,
            first_name: String::new(),
            last_name: String::new(),
            preferred_name: preferred.map(str::to_owned),
            job_title: String::new(),
            status: "active",
        };
        let (none, some) = (key(1, None), key(2, Some("a")));
        assert_eq!(compare(&none, &some, &[("preferredName", false)]), Ordering::Less);
        assert_eq!(compare(&none, &some, &[("preferredName", true)]), Ordering::Greater);
        assert_eq!(
            compare(&key(1, None), &key(2, None), &[("preferredName", true), ("employeeId", false)]),
            Ordering::Less
        );
    }
}
