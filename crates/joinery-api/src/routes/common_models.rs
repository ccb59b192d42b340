//! The common-model read API (`GET /api/{category}/v1/{model path}` and `…/{id}`), one generic
//! handler pair for every model of the catalogue (`joinery_domain::models`): parameters, filters,
//! expansion, enum origins and sensitive fields all follow the model's description.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use joinery_domain::json_text;
use joinery_domain::models::{self, FieldKind, FilterOp, ModelSpec};
use joinery_storage::{RowFilter, RowPosition, RowQuery, StoredRow};
use serde_json::Value;
use serde_json::value::RawValue;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::AppState;
use crate::datetime::iso8601;
use crate::error::ApiError;
use crate::extract::{AccountAuth, RawQuery};
use crate::pagination::page_size;

/// Routes of every listable model of every category the catalogue describes.
pub fn router() -> Router<AppState> {
    // Merge's one non-CRUD read: the distinct group types (`{"types": [...]}`).
    let mut router = Router::new().route("/api/hris/v1/groups/types", get(group_types));
    for spec in models::all().filter(|m| m.is_listable()) {
        let base = format!("/api/{}/v1/{}", spec.category.as_str(), spec.path);
        router = router.route(&base, get(move |state, auth, query| list(state, auth, query, spec))).route(
            &format!("{base}/{{id}}"),
            get(move |state, auth, id, query| retrieve(state, auth, id, query, spec)),
        );
    }
    router
}

/// `GET /api/hris/v1/groups/types`: the distinct types of the account's groups.
async fn group_types(State(state): State<AppState>, auth: AccountAuth, query: RawQuery) -> Result<Response, ApiError> {
    let spec =
        models::by_model_id("hris.Group").ok_or_else(|| ApiError::Internal("catalogue: no hris.Group".into()))?;
    check_category(&auth, spec)?;
    let origins =
        !choices("show_enum_origins", list_values(&query, "show_enum_origins").unwrap_or_default(), spec.enum_origins)?
            .is_empty();
    let include_deleted = parse_bool(&query, "include_deleted_data")?;
    let types =
        state.storage.distinct_field_values(auth.account.id, spec.model_id, "type", origins, include_deleted).await?;
    Ok(axum::Json(serde_json::json!({ "types": types })).into_response())
}

/// What the response rendering needs from the query.
struct RenderOptions {
    expand: Vec<&'static str>,
    enum_origins: Vec<&'static str>,
    include_remote_data: bool,
    include_sensitive: bool,
}

fn parse_bool(query: &RawQuery, name: &str) -> Result<bool, ApiError> {
    match query.get(name).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(false),
        Some(v) if matches!(v.as_str(), "true" | "1" | "yes" | "on") => Ok(true),
        Some(v) if matches!(v.as_str(), "false" | "0" | "no" | "off" | "") => Ok(false),
        Some(_) => Err(ApiError::field(name, "Must be a valid boolean.")),
    }
}

/// ISO 8601 datetime (or date) → microseconds since the epoch.
fn parse_datetime(name: &str, raw: &str) -> Result<i64, ApiError> {
    let raw = raw.trim();
    let parsed = OffsetDateTime::parse(raw, &Rfc3339).ok().or_else(|| {
        // Merge's SDK sends naive datetimes as given; a date alone means its midnight UTC.
        let with_zone = if raw.len() == 10 { format!("{raw}T00:00:00Z") } else { format!("{raw}Z") };
        OffsetDateTime::parse(&with_zone, &Rfc3339).ok()
    });
    parsed.map(|t| (t.unix_timestamp_nanos() / 1000) as i64).ok_or_else(|| {
        ApiError::field(name, "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].")
    })
}

/// Normalized datetime text, as stored in rows (whole seconds), for comparisons with stored
/// values. Stored values have no fraction, so a bound with one is rounded where the comparison
/// keeps its meaning: down for "after" (`x > 5.5` ⇔ `x > 5`), up for "before" (`x < 5.5` ⇔
/// `x < 6`).
fn normalized_datetime(name: &str, raw: &str, round_up: bool) -> Result<String, ApiError> {
    let micros = parse_datetime(name, raw)?;
    let seconds = micros.div_euclid(1_000_000) + i64::from(round_up && micros.rem_euclid(1_000_000) != 0);
    let t = OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| ApiError::field(name, "Out of range."))?;
    Ok(models::stored_datetime(t))
}

/// A comma list (repeated keys are accepted too, as the SDK sends some lists that way).
fn list_values(query: &RawQuery, name: &str) -> Option<Vec<String>> {
    let values: Vec<String> = query
        .0
        .iter()
        .filter(|(k, _)| k == name)
        .flat_map(|(_, v)| v.split(','))
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    query.get(name).map(|_| values)
}

fn choices(name: &str, values: Vec<String>, allowed: &'static [&'static str]) -> Result<Vec<&'static str>, ApiError> {
    values
        .into_iter()
        .map(|v| {
            allowed
                .iter()
                .copied()
                .find(|a| *a == v)
                .ok_or_else(|| ApiError::field(name, format!("\"{v}\" is not a valid choice.")))
        })
        .collect()
}

fn uuid_text(name: &str, raw: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(raw.trim())
        .map(|u| u.to_string())
        .map_err(|_| ApiError::field(name, format!("\"{raw}\" is not a valid UUID.")))
}

fn render_options(query: &RawQuery, spec: &'static ModelSpec) -> Result<RenderOptions, ApiError> {
    let expand = choices("expand", list_values(query, "expand").unwrap_or_default(), spec.expand)?;
    let mut enum_origins =
        choices("show_enum_origins", list_values(query, "show_enum_origins").unwrap_or_default(), spec.enum_origins)?;
    enum_origins.extend(choices(
        "remote_fields",
        list_values(query, "remote_fields").unwrap_or_default(),
        spec.enum_origins,
    )?);
    Ok(RenderOptions {
        expand,
        enum_origins,
        include_remote_data: parse_bool(query, "include_remote_data")?,
        include_sensitive: spec.accepts_sensitive && parse_bool(query, "include_sensitive_fields")?,
    })
}

/// A model-specific filter parameter as a row condition.
fn filter(
    spec: &'static ModelSpec,
    param: &'static str,
    op: FilterOp,
    raw: &str,
    query: &RawQuery,
) -> Result<RowFilter, ApiError> {
    Ok(match op {
        FilterOp::Equals(field) => RowFilter::Equals { field, value: raw.to_owned() },
        FilterOp::RefEquals(field) => RowFilter::Equals { field, value: uuid_text(param, raw)? },
        FilterOp::EnumEquals(field) => {
            let allowed = spec.field(field).and_then(|f| f.kind.enum_values()).unwrap_or(&[]);
            let value = choices(param, vec![raw.trim().to_owned()], allowed)?.remove(0);
            RowFilter::Equals { field, value: value.to_owned() }
        }
        FilterOp::After(field) => RowFilter::After { field, value: normalized_datetime(param, raw, false)? },
        FilterOp::Before(field) => RowFilter::Before { field, value: normalized_datetime(param, raw, true)? },
        FilterOp::BoolEquals(field) => RowFilter::Bool { field, value: parse_bool(query, param)? },
        FilterOp::RefListContainsAny(field) => {
            let values = list_values(query, param).unwrap_or_default();
            RowFilter::ListContainsAny {
                field,
                values: values.iter().map(|v| uuid_text(param, v)).collect::<Result<_, _>>()?,
            }
        }
        FilterOp::OneOf(field) => {
            let values = list_values(query, param).unwrap_or_default();
            match spec.field(field).and_then(|f| f.kind.enum_values()) {
                Some(allowed) => RowFilter::OneOf {
                    field,
                    values: choices(param, values, allowed)?.into_iter().map(str::to_owned).collect(),
                },
                None => RowFilter::OneOf { field, values },
            }
        }
        FilterOp::Related { model, back_ref, field } => {
            let related = models::by_name(spec.category, model)
                .ok_or_else(|| ApiError::Internal(format!("catalogue: unknown model {model}")))?;
            RowFilter::Related { model: related.model_id, back_ref, field, value: raw.to_owned() }
        }
    })
}

/// Cursors: `k<created_at>.<id>` (after), `b<created_at>.<id>` (before), `o<offset>`.
fn encode_cursor(kind: char, body: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}{body}"))
}

fn decode_cursor(raw: &str, ordered: bool) -> Result<RowPosition, ApiError> {
    let invalid = || ApiError::field("cursor", "Invalid cursor.");
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| invalid())?).map_err(|_| invalid())?;
    let (kind, body) = text.split_at_checked(1).ok_or_else(invalid)?;
    match (kind, ordered) {
        ("o", true) => body.parse::<i64>().ok().filter(|o| *o >= 0).map(RowPosition::Offset).ok_or_else(invalid),
        ("k" | "b", false) => {
            let (created_at, id) = body.split_once('.').ok_or_else(invalid)?;
            let created_at = created_at.parse().map_err(|_| invalid())?;
            Ok(if kind == "k" {
                RowPosition::After(created_at, id.to_owned())
            } else {
                RowPosition::Before(created_at, id.to_owned())
            })
        }
        _ => Err(invalid()),
    }
}

fn row_query(auth: &AccountAuth, spec: &'static ModelSpec, query: &RawQuery) -> Result<RowQuery, ApiError> {
    let mut q = RowQuery::new(auth.account.id, spec.model_id);
    q.include_deleted = parse_bool(query, "include_deleted_data")?;
    q.with_remote_data = parse_bool(query, "include_remote_data")?;
    for (name, slot) in [
        ("created_after", &mut q.created_after),
        ("created_before", &mut q.created_before),
        ("modified_after", &mut q.modified_after),
        ("modified_before", &mut q.modified_before),
    ] {
        if let Some(raw) = query.get(name) {
            *slot = Some(parse_datetime(name, raw)?);
        }
    }
    // Deterministic ids: the remote id names exactly one row.
    if let Some(remote_id) = query.get("remote_id") {
        q.ids = Some(vec![row_id(auth.account.id, spec.model_id, remote_id)]);
    }
    for f in spec.filters {
        if let Some(raw) = query.get(f.param) {
            q.filters.push(filter(spec, f.param, f.op, raw, query)?);
        }
    }
    if let Some(raw) = query.get("order_by") {
        let (field, descending) = match raw.trim().strip_prefix('-') {
            Some(f) => (f, true),
            None => (raw.trim(), false),
        };
        let field = spec
            .order_by
            .iter()
            .copied()
            .find(|o| *o == field)
            .ok_or_else(|| ApiError::field("order_by", format!("\"{raw}\" is not a valid choice.")))?;
        q.order_by = Some((field, descending));
    }
    q.limit = page_size(query)? as i64;
    if let Some(cursor) = query.get("cursor").filter(|c| !c.is_empty()) {
        q.position = decode_cursor(cursor, q.order_by.is_some())?;
    }
    Ok(q)
}

/// Joinery's id of a remote object: a UUIDv5 of the linked account, the model and the remote id.
pub fn row_id(account: uuid::Uuid, model_id: &str, remote_id: &str) -> String {
    joinery_domain::models::row_id(account, model_id, remote_id).to_string()
}

fn check_category(auth: &AccountAuth, spec: &ModelSpec) -> Result<(), ApiError> {
    if auth.account.category == spec.category.as_str() {
        Ok(())
    } else {
        Err(ApiError::detail(
            StatusCode::BAD_REQUEST,
            format!(
                "This account token is for a {} linked account, not {}.",
                auth.account.category,
                spec.category.as_str()
            ),
        ))
    }
}

async fn list(
    State(state): State<AppState>,
    auth: AccountAuth,
    query: RawQuery,
    spec: &'static ModelSpec,
) -> Result<Response, ApiError> {
    check_category(&auth, spec)?;
    let options = render_options(&query, spec)?;
    let mut q = row_query(&auth, spec, &query)?;
    q.with_enum_origins = !options.enum_origins.is_empty();
    let rows = state.storage.query_rows(&q).await?;
    let limit = q.limit as usize;
    let more = rows.len() > limit;
    let rows: Vec<StoredRow> = rows.into_iter().take(limit).collect();
    let (next, previous) = match &q.position {
        RowPosition::Offset(offset) => (
            more.then(|| encode_cursor('o', &(offset + q.limit).to_string())),
            (*offset > 0).then(|| encode_cursor('o', &(offset - q.limit).max(0).to_string())),
        ),
        position => {
            let ordered = q.order_by.is_some();
            let last = rows.last();
            let first = rows.first();
            let backwards = matches!(position, RowPosition::Before(..));
            let next = if ordered {
                more.then(|| encode_cursor('o', &q.limit.to_string()))
            } else if backwards || more {
                last.map(|r| encode_cursor('k', &format!("{}.{}", r.created_at, r.id)))
            } else {
                None
            };
            let has_previous = if backwards { more } else { !matches!(position, RowPosition::Start) };
            let previous = (has_previous && !ordered)
                .then(|| first.map(|r| encode_cursor('b', &format!("{}.{}", r.created_at, r.id))))
                .flatten();
            (next, previous)
        }
    };
    let cursor = |c: Option<String>| c.as_deref().map_or_else(|| "null".to_owned(), quoted);
    let mut body = String::with_capacity(256);
    body.push_str("{\"next\":");
    body.push_str(&cursor(next));
    body.push_str(",\"previous\":");
    body.push_str(&cursor(previous));
    body.push_str(",\"results\":[");
    render(&state, &auth, spec, &options, &rows, &mut body).await?;
    body.push_str("]}");
    Ok(json_response(body))
}

async fn retrieve(
    State(state): State<AppState>,
    auth: AccountAuth,
    Path(id): Path<String>,
    query: RawQuery,
    spec: &'static ModelSpec,
) -> Result<Response, ApiError> {
    check_category(&auth, spec)?;
    let options = render_options(&query, spec)?;
    let not_found = || ApiError::detail(StatusCode::NOT_FOUND, "Not found.");
    let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| not_found())?.to_string();
    let mut q = RowQuery::new(auth.account.id, spec.model_id);
    q.include_deleted = true;
    q.ids = Some(vec![id]);
    q.limit = 1;
    let rows: Vec<StoredRow> = state.storage.query_rows(&q).await?.into_iter().take(1).collect();
    if rows.is_empty() {
        return Err(not_found());
    }
    let mut body = String::new();
    render(&state, &auth, spec, &options, &rows, &mut body).await?;
    Ok(json_response(body))
}

/// Rows as Merge's JSON objects (JSON text), written one after another (comma-separated) into
/// `out`, with expansions fetched in one query per page.
///
/// Stored rows are JSON objects of the model's fields in Merge's order, so an object is spliced
/// from slices of the stored text (delimited, not parsed: keys are catalogue names, values stay
/// raw) rather than parsed into values and serialized again.
async fn render(
    state: &AppState,
    auth: &AccountAuth,
    spec: &'static ModelSpec,
    options: &RenderOptions,
    rows: &[StoredRow],
    out: &mut String,
) -> Result<(), ApiError> {
    let plan = FieldPlan::of(spec, options);
    let mut expanded: HashMap<String, String> = HashMap::new();
    if !options.expand.is_empty() {
        // Ids to expand, across the page.
        let mut wanted: Vec<String> = Vec::new();
        for row in rows {
            for (name, raw) in json_text::members(&row.data) {
                if !options.expand.contains(&name) {
                    continue;
                }
                match serde_json::from_str::<Value>(raw) {
                    Ok(Value::String(id)) => wanted.push(id),
                    Ok(Value::Array(ids)) => wanted.extend(ids.into_iter().filter_map(|v| match v {
                        Value::String(id) => Some(id),
                        _ => None,
                    })),
                    _ => {}
                }
            }
        }
        wanted.sort();
        wanted.dedup();
        if !wanted.is_empty() {
            let nested = RenderOptions {
                expand: Vec::new(),
                enum_origins: Vec::new(),
                include_remote_data: options.include_remote_data,
                include_sensitive: options.include_sensitive,
            };
            for row in state.storage.rows_by_ids(auth.account.id, &wanted).await? {
                let Some(target) = models::by_model_id(&row.model) else { continue };
                let mut text = String::with_capacity(row.data.len() + 256);
                object(&mut text, &FieldPlan::of(target, &nested), &nested, &row, &HashMap::new());
                expanded.insert(row.id.clone(), text);
            }
        }
    }
    out.reserve(rows.iter().map(|r| r.data.len() + 256).sum());
    for (n, row) in rows.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        object(out, &plan, options, row, &expanded);
    }
    Ok(())
}

/// How each field of a model is written for one request (worked out once, not per row).
struct FieldPlan {
    name: &'static str,
    kind: FieldKind,
    /// Sensitive, and not asked for: always null.
    hidden: bool,
    /// Written as the provider's value (`show_enum_origins`).
    origin: bool,
    expand: bool,
}

impl FieldPlan {
    fn of(spec: &'static ModelSpec, options: &RenderOptions) -> Vec<FieldPlan> {
        spec.fields
            .iter()
            .map(|f| FieldPlan {
                name: f.name,
                kind: f.kind,
                hidden: spec.sensitive_fields.contains(&f.name) && !options.include_sensitive,
                origin: options.enum_origins.contains(&f.name),
                expand: options.expand.contains(&f.name),
            })
            .collect()
    }
}

/// A stored object's members looked up in the catalogue's order. The sync writes them in that
/// order, so each lookup is the next member; a row written before the catalogue changed is
/// searched instead.
struct StoredMembers<'a> {
    text: &'a str,
    next: json_text::Members<'a>,
}

impl<'a> StoredMembers<'a> {
    fn new(text: &'a str) -> Self {
        StoredMembers { text, next: json_text::members(text) }
    }

    fn get(&mut self, name: &str) -> Option<&'a str> {
        if let Some(value) = self.next.next_if_key(name) {
            return Some(value);
        }
        let mut ahead = self.next.clone();
        if let Some((key, value)) = ahead.next()
            && key == name
        {
            self.next = ahead;
            return Some(value);
        }
        json_text::members(self.text).find(|(key, _)| *key == name).map(|(_, value)| value)
    }
}

/// JSON text of a string.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    push_quoted(&mut out, text);
    out
}

/// Appends a string as JSON text; most (ids, timestamps) need no escaping.
fn push_quoted(out: &mut String, text: &str) {
    if text.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.push_str(&serde_json::to_string(text).unwrap_or_else(|_| "null".to_owned()));
    } else {
        out.push('"');
        out.push_str(text);
        out.push('"');
    }
}

fn object(
    out: &mut String,
    plan: &[FieldPlan],
    options: &RenderOptions,
    row: &StoredRow,
    expanded: &HashMap<String, String>,
) {
    let mut fields = StoredMembers::new(&row.data);
    let origin = |name: &str| -> Option<&str> {
        let origins = row.enum_origins.as_deref()?;
        json_text::members(origins).find(|(key, _)| *key == name).map(|(_, value)| value)
    };
    out.push_str("{\"id\":");
    push_quoted(out, &row.id);
    out.push_str(",\"remote_id\":");
    push_quoted(out, &row.remote_id);
    out.push_str(",\"created_at\":");
    push_quoted(out, &iso8601(row.created_at));
    out.push_str(",\"modified_at\":");
    push_quoted(out, &iso8601(row.modified_at));
    let push_expanded = |out: &mut String, id: &str| match expanded.get(id) {
        Some(text) => out.push_str(text),
        None => push_quoted(out, id),
    };
    for field in plan {
        out.push_str(",\"");
        out.push_str(field.name);
        out.push_str("\":");
        let raw = fields.get(field.name).unwrap_or("null");
        if field.hidden {
            out.push_str("null");
        } else if let Some(origin) = field.origin.then(|| origin(field.name)).flatten() {
            out.push_str(origin);
        } else if field.expand {
            match (field.kind, serde_json::from_str::<Value>(raw)) {
                (FieldKind::Ref(_), Ok(Value::String(id))) => push_expanded(out, &id),
                (FieldKind::RefList(_), Ok(Value::Array(ids))) => {
                    out.push('[');
                    for (n, v) in ids.iter().enumerate() {
                        if n > 0 {
                            out.push(',');
                        }
                        match v {
                            Value::String(id) => push_expanded(out, id),
                            other => out.push_str(&other.to_string()),
                        }
                    }
                    out.push(']');
                }
                _ => out.push_str(raw),
            }
        } else {
            out.push_str(raw);
        }
    }
    out.push_str(",\"remote_was_deleted\":");
    out.push_str(if row.remote_was_deleted { "true" } else { "false" });
    out.push_str(",\"field_mappings\":{\"organization_defined_targets\":{},\"linked_account_defined_targets\":{}}");
    out.push_str(",\"remote_data\":");
    match (options.include_remote_data, row.remote_data.as_deref()) {
        (false, _) => out.push_str("null"),
        // Written by the sync as a JSON array; anything else is served as an empty list.
        (true, Some(data)) if serde_json::from_str::<&RawValue>(data).is_ok() => out.push_str(data),
        (true, _) => out.push_str("[]"),
    }
    out.push('}');
}

/// A JSON answer from ready JSON text.
fn json_response(body: String) -> Response {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Adds the generic model routes to the OpenAPI document: one list and one retrieve operation
/// per catalogued model, with every parameter the catalogue gives it.
pub fn document(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::ResponseBuilder;
    use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterIn};

    let mut models: Vec<&'static ModelSpec> = models::all().filter(|m| m.is_listable()).collect();
    models.sort_by_key(|m| (m.category.as_str(), m.path));
    for spec in models {
        let base = format!("/api/{}/v1/{}", spec.category.as_str(), spec.path);
        let tag = format!("{}-{}", spec.category.as_str(), spec.path);
        let common = |builder: OperationBuilder| {
            builder
                .tag(tag.clone())
                .parameter(param("X-Account-Token", ParameterIn::Header, true))
                .response("400", ResponseBuilder::new().description("A parameter is invalid; it is named").build())
                .response(
                    "401",
                    ResponseBuilder::new().description("Missing or invalid API key or account token").build(),
                )
        };
        let list = spec.list_params().into_iter().fold(
            common(OperationBuilder::new())
                .summary(Some(format!("List {} objects", spec.name)))
                .response("200", ResponseBuilder::new().description(format!("Paginated{}List", spec.name)).build()),
            |op, name| op.parameter(param(name, ParameterIn::Query, false)),
        );
        api.paths.add_path_operation(&base, vec![HttpMethod::Get], list.build());
        let retrieve = spec.get_params().into_iter().fold(
            common(OperationBuilder::new())
                .summary(Some(format!("Retrieve a {} object", spec.name)))
                .parameter(param("id", ParameterIn::Path, true))
                .response("200", ResponseBuilder::new().description(spec.name).build())
                .response("404", ResponseBuilder::new().description("Unknown id").build()),
            |op, name| op.parameter(param(name, ParameterIn::Query, false)),
        );
        api.paths.add_path_operation(format!("{base}/{{id}}"), vec![HttpMethod::Get], retrieve.build());
    }
    let types = common_types_operation();
    api.paths.add_path_operation("/api/hris/v1/groups/types", vec![HttpMethod::Get], types);
}

/// A documented parameter.
fn param(name: &str, location: utoipa::openapi::path::ParameterIn, required: bool) -> utoipa::openapi::path::Parameter {
    use utoipa::openapi::Required;
    utoipa::openapi::path::ParameterBuilder::new()
        .name(name)
        .parameter_in(location)
        .required(if required { Required::True } else { Required::False })
        .build()
}

fn common_types_operation() -> utoipa::openapi::path::Operation {
    use utoipa::openapi::ResponseBuilder;
    use utoipa::openapi::path::{OperationBuilder, ParameterIn};
    OperationBuilder::new()
        .tag("hris-groups")
        .summary(Some("The distinct types of the account's groups: {\"types\": [...]}"))
        .parameter(param("X-Account-Token", ParameterIn::Header, true))
        .parameter(param("include_deleted_data", ParameterIn::Query, false))
        .parameter(param("show_enum_origins", ParameterIn::Query, false))
        .response("200", ResponseBuilder::new().description("{\"types\": [string]}").build())
        .build()
}

#[cfg(test)]
mod tests {
    use super::normalized_datetime;

    #[test]
    fn fractional_bounds_round_the_way_the_comparison_needs() {
        let at = |raw: &str, up: bool| normalized_datetime("started_before", raw, up).unwrap();
        assert_eq!(at("2019-03-12T00:00:00.5Z", true), "2019-03-12T00:00:01Z");
        assert_eq!(at("2019-03-12T00:00:00.5Z", false), "2019-03-12T00:00:00Z");
        assert_eq!(at("2019-03-12T00:00:00Z", true), "2019-03-12T00:00:00Z");
        assert_eq!(at("1969-12-31T23:59:59.5Z", true), "1970-01-01T00:00:00Z");
        assert_eq!(at("1969-12-31T23:59:59.5Z", false), "1969-12-31T23:59:59Z");
    }
}
