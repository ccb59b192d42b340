//! The catalogue checked twice: against itself (every reference resolves, every filter reads a
//! field of the right kind…), and against Merge's HRIS OpenAPI document, the oracle for fields,
//! their order and kinds, and every query parameter of every endpoint. Ref targets, which the
//! document does not name (it only says `format: uuid`), are checked against the SDK-derived
//! field tables of `merge-api.md`. Both files live in `shared/reference/` beside the repository;
//! without them the oracle tests say SKIPPED and pass.
//!
//! Every check collects its problems and fails once with all of them, one per line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_norway::Value;

use super::*;
use crate::common_models;

fn report(problems: Vec<String>) {
    assert!(problems.is_empty(), "{} problem(s):\n  {}", problems.len(), problems.join("\n  "));
}

fn kind_name(kind: &FieldKind) -> String {
    match kind {
        FieldKind::Enum(_) => "Enum".into(),
        other => format!("{other:?}"),
    }
}

// =============================================================================================
// Internal consistency (no files needed)
// =============================================================================================

#[test]
fn models_hris_names_are_the_common_model_names() {
    let names: Vec<&str> = hris().iter().map(|m| m.name).collect();
    assert_eq!(names, common_models::HRIS_MODELS);
    assert!(hris().iter().all(|m| m.category == Category::Hris));
}

#[test]
fn models_ids_paths_and_lookups() {
    let mut problems = Vec::new();
    let mut paths = BTreeSet::new();
    for m in all() {
        let expected = format!("{}.{}", m.category.as_str(), m.name);
        if m.model_id != expected {
            problems.push(format!("{}: model_id {:?}, expected {expected:?}", m.name, m.model_id));
        }
        if m.is_listable() {
            if !paths.insert((m.category, m.path)) {
                problems.push(format!("{}: path {:?} used twice in {}", m.name, m.path, m.category));
            }
            if !m.path.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
                problems.push(format!("{}: path {:?} is not a lowercase URL segment", m.name, m.path));
            }
            if !find(m.category, m.path).is_some_and(|found| std::ptr::eq(found, m)) {
                problems.push(format!("{}: find({}, {:?}) does not return it", m.name, m.category, m.path));
            }
        }
        if !by_name(m.category, m.name).is_some_and(|found| std::ptr::eq(found, m)) {
            problems.push(format!("{}: by_name does not return it", m.name));
        }
        if !by_model_id(m.model_id).is_some_and(|found| std::ptr::eq(found, m)) {
            problems.push(format!("{}: by_model_id does not return it", m.name));
        }
    }
    report(problems);
    assert!(find(Category::Hris, "").is_none(), "nested-only models have no path to find");
    assert!(find(Category::Hris, "nope").is_none());
    assert!(find(Category::Ats, "employees").is_none());
    assert_eq!(by_name(Category::Hris, "Employee").map(|m| m.path), Some("employees"));
}

#[test]
fn models_fields_are_unique_and_not_common() {
    let mut problems = Vec::new();
    for m in all() {
        let mut seen = BTreeSet::new();
        for field in m.fields {
            if !seen.insert(field.name) {
                problems.push(format!("{}.{}: listed twice", m.name, field.name));
            }
            if is_common_field(field.name) {
                problems.push(format!("{}.{}: a common field, implied for every model", m.name, field.name));
            }
            if let Some(values) = field.kind.enum_values() {
                let unique: BTreeSet<_> = values.iter().collect();
                if values.is_empty() || unique.len() != values.len() {
                    problems.push(format!("{}.{}: enum values empty or repeated", m.name, field.name));
                }
            }
        }
    }
    report(problems);
}

#[test]
fn models_references_point_at_models_of_the_category() {
    let mut problems = Vec::new();
    for m in all() {
        for field in m.fields {
            let Some(target) = field.kind.target() else { continue };
            match by_name(m.category, target) {
                None => problems.push(format!("{}.{}: {target} is not a {} model", m.name, field.name, m.category)),
                // Nested models are embedded, never fetched by themselves, and vice versa.
                Some(t) if matches!(field.kind, FieldKind::Nested(_)) && t.is_listable() => problems
                    .push(format!("{}.{}: nested {target} has its own endpoint (use Ref/RefList)", m.name, field.name)),
                Some(t) if !matches!(field.kind, FieldKind::Nested(_)) && !t.is_listable() => problems
                    .push(format!("{}.{}: {target} is nested-only and cannot be referenced by id", m.name, field.name)),
                Some(_) => {}
            }
        }
    }
    // Every nested-only model is embedded somewhere.
    for m in all().filter(|m| !m.is_listable()) {
        let embedded =
            of(m.category).iter().any(|owner| owner.fields.iter().any(|f| f.kind == FieldKind::Nested(m.name)));
        if !embedded {
            problems.push(format!("{}: has no path and no model embeds it", m.name));
        }
    }
    report(problems);
}

#[test]
fn models_filters_read_fields_of_the_right_kind() {
    let mut problems = Vec::new();
    for m in all() {
        let mut params = BTreeSet::new();
        for filter in m.filters {
            let at = format!("{} ?{}", m.name, filter.param);
            if !params.insert(filter.param) {
                problems.push(format!("{at}: listed twice"));
            }
            if STD_LIST_PARAMS.contains(&filter.param) {
                problems.push(format!("{at}: a standard parameter, implied"));
            }
            if let FilterOp::Related { model, back_ref, field } = filter.op {
                let Some(related) = by_name(m.category, model) else {
                    problems.push(format!("{at}: related model {model} does not exist"));
                    continue;
                };
                match related.field(back_ref).map(|f| f.kind) {
                    Some(FieldKind::Ref(target)) if target == m.name => {}
                    other => problems.push(format!("{at}: {model}.{back_ref} is {other:?}, not Ref({:?})", m.name)),
                }
                match related.field(field).map(|f| f.kind) {
                    Some(FieldKind::String | FieldKind::Enum(_)) => {}
                    other => problems.push(format!("{at}: {model}.{field} is {other:?}, not a String or Enum")),
                }
                continue;
            }
            let field = filter.op.field();
            let Some(spec) = m.field(field) else {
                problems.push(format!("{at}: {field} is not a field of {}", m.name));
                continue;
            };
            let kind_ok = match filter.op {
                FilterOp::Equals(_) => spec.kind == FieldKind::String,
                FilterOp::RefEquals(_) => matches!(spec.kind, FieldKind::Ref(_)),
                FilterOp::EnumEquals(_) => matches!(spec.kind, FieldKind::Enum(_)),
                FilterOp::After(_) | FilterOp::Before(_) => spec.kind == FieldKind::DateTime,
                FilterOp::BoolEquals(_) => spec.kind == FieldKind::Bool,
                FilterOp::RefListContainsAny(_) => matches!(spec.kind, FieldKind::RefList(_)),
                FilterOp::OneOf(_) => matches!(spec.kind, FieldKind::String | FieldKind::Enum(_)),
                FilterOp::Related { .. } => unreachable!(),
            };
            if !kind_ok {
                problems.push(format!("{at}: {:?} cannot read {field}, a {}", filter.op, kind_name(&spec.kind)));
            }
            // Merge's naming conventions, which every parameter follows.
            let name_ok = match filter.op {
                FilterOp::Equals(f) | FilterOp::EnumEquals(f) | FilterOp::BoolEquals(f) => filter.param == f,
                FilterOp::RefEquals(f) => filter.param == format!("{f}_id"),
                FilterOp::After(_) => filter.param.ends_with("_after"),
                FilterOp::Before(_) => filter.param.ends_with("_before"),
                _ => true,
            };
            if !name_ok {
                problems.push(format!("{at}: the parameter's name does not match {:?}", filter.op));
            }
        }
        if !m.is_listable() && !m.filters.is_empty() {
            problems.push(format!("{}: nested-only but has filters", m.name));
        }
    }
    report(problems);
}

#[test]
fn models_expand_enum_origins_order_by_and_sensitive_fields_name_fields_of_the_right_kind() {
    let mut problems = Vec::new();
    for m in all() {
        for name in m.expand {
            match m.field(name).map(|f| f.kind) {
                Some(FieldKind::Ref(_) | FieldKind::RefList(_)) => {}
                other => problems.push(format!("{} expand={name}: {other:?} is not a relation", m.name)),
            }
        }
        for name in m.enum_origins {
            if !m.field(name).is_some_and(|f| matches!(f.kind, FieldKind::Enum(_))) {
                problems.push(format!("{} show_enum_origins={name}: not an Enum field", m.name));
            }
        }
        for name in m.order_by {
            if name.starts_with('-') || m.field(name).is_none() {
                problems.push(format!("{} order_by={name}: not a field (or signed)", m.name));
            }
        }
        for name in m.sensitive_fields {
            if m.field(name).is_none() {
                problems.push(format!("{} sensitive {name}: not a field", m.name));
            }
        }
        if m.accepts_sensitive == m.sensitive_fields.is_empty() {
            problems
                .push(format!("{}: include_sensitive_fields exists exactly when there are sensitive fields", m.name));
        }
        for (what, values) in [("expand", m.expand), ("enum_origins", m.enum_origins), ("order_by", m.order_by)] {
            if values.iter().collect::<BTreeSet<_>>().len() != values.len() {
                problems.push(format!("{}: {what} repeats a value", m.name));
            }
        }
        let has_endpoint_params =
            !(m.expand.is_empty() && m.enum_origins.is_empty() && m.order_by.is_empty()) || m.accepts_sensitive;
        if !m.is_listable() && has_endpoint_params {
            problems.push(format!("{}: nested-only but has endpoint parameters", m.name));
        }
        let list = m.list_params();
        if list.iter().collect::<BTreeSet<_>>().len() != list.len() {
            problems.push(format!("{}: list parameters repeat: {list:?}", m.name));
        }
    }
    report(problems);
}

#[test]
fn models_params_of_an_endpoint() {
    let employee = by_name(Category::Hris, "Employee").unwrap();
    let list = employee.list_params();
    assert!(list.starts_with(STD_LIST_PARAMS));
    for p in ["company_id", "expand", "show_enum_origins", "remote_fields", "include_sensitive_fields"] {
        assert!(list.contains(&p), "{p} missing from {list:?}");
    }
    assert!(!list.contains(&"order_by"));
    assert_eq!(
        employee.get_params(),
        [
            "include_remote_data",
            "include_shell_data",
            "expand",
            "show_enum_origins",
            "remote_fields",
            "include_sensitive_fields"
        ]
    );
    let company = by_name(Category::Hris, "Company").unwrap();
    assert_eq!(company.list_params(), STD_LIST_PARAMS);
    assert_eq!(company.get_params(), STD_GET_PARAMS);
    let employments = by_name(Category::Hris, "Employment").unwrap();
    assert!(employments.list_params().contains(&"order_by"));
    assert!(!employments.get_params().contains(&"order_by"));
    let earning = by_name(Category::Hris, "Earning").unwrap();
    assert!(earning.list_params().is_empty() && earning.get_params().is_empty());
    assert_eq!(employee.filter("team_id").map(|f| f.op), Some(FilterOp::RefEquals("team")));
    assert_eq!(
        FilterOp::Related { model: "Employment", back_ref: "employee", field: "job_title" }.field(),
        "job_title"
    );
}

// =============================================================================================
// Oracle: Merge's OpenAPI document (and merge-api.md for Ref targets)
// =============================================================================================

/// Models of the catalogue that Merge's current OpenAPI document no longer has (kept from the SDK,
/// see `hris.rs`). Checked against merge-api.md instead.
const ABSENT_FROM_OPENAPI: &[&str] = &["Team"];

/// `JOINERY_REFERENCE_DIR` (set by `.ci/run` when it finds the reference), else
/// `shared/reference` beside the repository.
fn reference_file(relative: &str) -> Option<String> {
    let base: PathBuf = match std::env::var_os("JOINERY_REFERENCE_DIR") {
        Some(dir) => dir.into(),
        None => [env!("CARGO_MANIFEST_DIR"), "..", "..", "..", "shared", "reference"].iter().collect(),
    };
    let path = base.join(relative);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) => {
            eprintln!(
                "SKIPPED: {} not readable ({e}); the Merge oracle tests need shared/ beside the repo",
                path.display()
            );
            None
        }
    }
}

fn load_openapi() -> Option<Value> {
    let text = reference_file("openapi/merge-hris.yaml")?;
    Some(serde_norway::from_str(&text).expect("merge-hris.yaml parses"))
}

struct Doc {
    root: Value,
}

impl Doc {
    fn schemas(&self) -> &Value {
        &self.root["components"]["schemas"]
    }

    fn schema(&self, name: &str) -> Option<&Value> {
        self.schemas().get(name)
    }

    /// The schema a `$ref` names, by its last segment.
    fn ref_name(value: &Value) -> Option<&str> {
        value.get("$ref")?.as_str()?.rsplit('/').next()
    }

    fn enum_values(&self, schema: &Value) -> Option<Vec<String>> {
        let schema = match Doc::ref_name(schema) {
            Some(name) => self.schema(name)?,
            None => schema,
        };
        Some(schema.get("enum")?.as_sequence()?.iter().filter_map(|v| v.as_str().map(String::from)).collect())
    }

    fn get_operation(&self, path: &str) -> Option<&Value> {
        self.root["paths"].get(path)?.get("get")
    }

    /// The query parameters of an operation, by name.
    fn query_params<'a>(&self, op: &'a Value) -> BTreeMap<&'a str, &'a Value> {
        op["parameters"]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter(|p| p["in"].as_str() == Some("query"))
            .filter_map(|p| Some((p["name"].as_str()?, p)))
            .collect()
    }

    fn response_schema<'a>(&self, op: &'a Value) -> Option<&'a str> {
        Doc::ref_name(&op["responses"]["200"]["content"]["application/json"]["schema"])
    }
}

/// The non-null JSON types a property allows (`type: [string, 'null']` → {"string"}).
fn types_of(property: &Value) -> BTreeSet<String> {
    match &property["type"] {
        Value::String(t) => [t.clone()].into(),
        Value::Sequence(ts) => {
            ts.iter().filter_map(|t| t.as_str()).filter(|t| *t != "null").map(String::from).collect()
        }
        _ => BTreeSet::new(),
    }
}

fn is_only(property: &Value, ty: &str) -> bool {
    types_of(property) == BTreeSet::from([ty.to_string()])
}

/// Why `kind` does not describe `property`, if it does not.
fn kind_mismatch(doc: &Doc, kind: &FieldKind, property: &Value) -> Option<String> {
    let format = property["format"].as_str();
    let items = &property["items"];
    let ok = match kind {
        FieldKind::String => is_only(property, "string") && !matches!(format, Some("uuid" | "date-time")),
        FieldKind::DateTime => is_only(property, "string") && format == Some("date-time"),
        FieldKind::Bool => is_only(property, "boolean"),
        FieldKind::Integer => is_only(property, "integer"),
        FieldKind::Number => is_only(property, "number"),
        FieldKind::Object => is_only(property, "object"),
        FieldKind::Ref(_) => is_only(property, "string") && format == Some("uuid"),
        FieldKind::RefList(_) => {
            is_only(property, "array") && is_only(items, "string") && items["format"].as_str() == Some("uuid")
        }
        FieldKind::StringList => is_only(property, "array") && is_only(items, "string") && items["format"].is_null(),
        FieldKind::Nested(target) => is_only(property, "array") && Doc::ref_name(items) == Some(target),
        FieldKind::Enum(values) => {
            let referenced = property["oneOf"]
                .as_sequence()
                .into_iter()
                .flatten()
                .find_map(Doc::ref_name)
                .and_then(|name| doc.schema(name));
            match referenced.and_then(|schema| doc.enum_values(schema)) {
                Some(expected) if expected == *values => true,
                Some(expected) => return Some(format!("enum values differ: the document has {expected:?}")),
                None => false,
            }
        }
    };
    (!ok).then(|| {
        format!(
            "{} does not describe {}",
            kind_name(kind),
            serde_norway::to_string(property).unwrap_or_default().replace('\n', " ")
        )
    })
}

#[test]
fn models_oracle_fields_match_the_openapi_schemas() {
    let Some(root) = load_openapi() else { return };
    let doc = Doc { root };
    let mut problems = Vec::new();
    let mut absent = Vec::new();
    for m in hris() {
        let Some(schema) = doc.schema(m.name) else {
            absent.push(m.name);
            continue;
        };
        let properties = schema["properties"].as_mapping().expect("a model schema has properties");
        let names: Vec<&str> = properties.keys().filter_map(|k| k.as_str()).collect();
        let expected: Vec<&str> = LEADING_COMMON_FIELDS
            .iter()
            .copied()
            .chain(m.fields.iter().map(|f| f.name))
            .chain(TRAILING_COMMON_FIELDS.iter().copied())
            .collect();
        if names != expected {
            problems.push(format!(
                "{}: the document's properties are\n      {names:?}\n    the catalogue gives\n      {expected:?}",
                m.name
            ));
            continue;
        }
        for field in m.fields {
            if let Some(why) = kind_mismatch(&doc, &field.kind, &properties[field.name]) {
                problems.push(format!("{}.{}: {why}", m.name, field.name));
            }
        }
    }
    if absent != ABSENT_FROM_OPENAPI {
        problems.push(format!(
            "models without a schema in the document: {absent:?}, expected {ABSENT_FROM_OPENAPI:?} (update the list and hris.rs's docs)"
        ));
    }
    // And the other way: every common model the document describes is in the catalogue.
    let required: BTreeSet<&str> = LEADING_COMMON_FIELDS.iter().chain(TRAILING_COMMON_FIELDS).copied().collect();
    for (name, schema) in doc.schemas().as_mapping().expect("schemas").iter() {
        let name = name.as_str().unwrap_or_default();
        let Some(properties) = schema["properties"].as_mapping() else { continue };
        let has: BTreeSet<&str> = properties.keys().filter_map(|k| k.as_str()).collect();
        if required.is_subset(&has) && by_name(Category::Hris, name).is_none() {
            problems.push(format!("{name}: a common model in the document but not in the catalogue"));
        }
    }
    report(problems);
}

/// Every comma-joined combination of `fields`, as Merge enumerates `show_enum_origins` values.
fn combinations(fields: &[&str]) -> BTreeSet<String> {
    let mut sorted = fields.to_vec();
    sorted.sort_unstable();
    (1u32..1 << sorted.len())
        .map(|mask| {
            let chosen: Vec<&str> =
                sorted.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, f)| *f).collect();
            chosen.join(",")
        })
        .collect()
}

/// Checks one query parameter of a model's endpoint against the catalogue.
fn check_param(doc: &Doc, m: &ModelSpec, at: &str, name: &str, param: &Value, problems: &mut Vec<String>) {
    let schema = &param["schema"];
    let description = param["description"].as_str().unwrap_or_default().to_lowercase();
    let enum_set = |schema: &Value| doc.enum_values(schema).map(|v| v.into_iter().collect::<BTreeSet<_>>());
    let mut problem = |what: String| problems.push(format!("{at} ?{name}: {what}"));
    match name {
        "expand" => {
            let values = doc.enum_values(&schema["items"]);
            if values.as_deref() != Some(&m.expand.iter().map(|s| s.to_string()).collect::<Vec<_>>()[..]) {
                problem(format!("the document allows {values:?}, the catalogue {:?}", m.expand));
            }
        }
        "show_enum_origins" | "remote_fields" => {
            // Merge enumerates every comma-joined combination of the fields; name the fields.
            let theirs = enum_set(schema).unwrap_or_default();
            if theirs != combinations(m.enum_origins) {
                let fields: BTreeSet<&str> = theirs.iter().flat_map(|v| v.split(',')).collect();
                problem(format!(
                    "the document combines {fields:?} ({} values), the catalogue {:?}",
                    theirs.len(),
                    m.enum_origins
                ));
            }
        }
        "order_by" => {
            let expected: BTreeSet<String> = m.order_by.iter().flat_map(|f| [f.to_string(), format!("-{f}")]).collect();
            if enum_set(schema).as_ref() != Some(&expected) {
                problem(format!("the document allows {:?}, the catalogue {expected:?}", enum_set(schema)));
            }
        }
        "include_sensitive_fields" => {
            if !is_only(schema, "boolean") {
                problem("not a boolean".into());
            }
        }
        _ if STD_LIST_PARAMS.contains(&name) => {}
        _ => {
            let Some(filter) = m.filter(name) else {
                return problem("not in the catalogue".into());
            };
            let multi = description.contains("comma");
            let ok = match filter.op {
                FilterOp::EnumEquals(field) => {
                    let field_values = m.field(field).and_then(|f| f.kind.enum_values()).unwrap_or_default();
                    let expected: BTreeSet<String> = field_values.iter().map(|s| s.to_string()).collect();
                    enum_set(schema) == Some(expected)
                }
                FilterOp::After(_) => schema["format"].as_str() == Some("date-time") && description.contains(" after "),
                FilterOp::Before(_) => {
                    schema["format"].as_str() == Some("date-time") && description.contains(" before ")
                }
                // Merge types `is_commonly_used_as_team` as a string holding "true"/"false".
                FilterOp::BoolEquals(_) => is_only(schema, "boolean") || is_only(schema, "string"),
                FilterOp::RefListContainsAny(_) | FilterOp::OneOf(_) => is_only(schema, "string") && multi,
                FilterOp::Equals(_) | FilterOp::RefEquals(_) | FilterOp::Related { .. } => {
                    is_only(schema, "string") && schema["format"].is_null() && !multi
                }
            };
            if !ok {
                problem(format!(
                    "{:?} does not fit the document's parameter ({}; {description:?})",
                    filter.op,
                    serde_norway::to_string(schema).unwrap_or_default().replace('\n', " ")
                ));
            }
        }
    }
}

#[test]
fn models_oracle_endpoints_match_the_openapi_paths() {
    let Some(root) = load_openapi() else { return };
    let doc = Doc { root };
    let mut problems = Vec::new();
    let mut absent = Vec::new();
    for m in hris().iter().filter(|m| m.is_listable()) {
        let list_path = format!("/hris/v1/{}", m.path);
        let get_path = format!("/hris/v1/{}/{{id}}", m.path);
        let (Some(list), Some(get)) = (doc.get_operation(&list_path), doc.get_operation(&get_path)) else {
            absent.push(m.name);
            continue;
        };
        for (at, op, ours, response) in [
            (&list_path, list, m.list_params(), format!("Paginated{}List", m.name)),
            (&get_path, get, m.get_params(), m.name.to_string()),
        ] {
            if doc.response_schema(op) != Some(response.as_str()) {
                problems.push(format!("{at}: answers {:?}, not {response}", doc.response_schema(op)));
            }
            let theirs = doc.query_params(op);
            let theirs_names: BTreeSet<&str> = theirs.keys().copied().collect();
            let ours_names: BTreeSet<&str> = ours.iter().copied().collect();
            for missing in theirs_names.difference(&ours_names) {
                problems.push(format!("{at} ?{missing}: in the document, not in the catalogue"));
            }
            for extra in ours_names.difference(&theirs_names) {
                problems.push(format!("{at} ?{extra}: in the catalogue, not in the document"));
            }
            for (name, param) in &theirs {
                if ours_names.contains(name) {
                    check_param(&doc, m, at, name, param, &mut problems);
                }
            }
        }
    }
    if absent != ABSENT_FROM_OPENAPI {
        problems
            .push(format!("models without endpoints in the document: {absent:?}, expected {ABSENT_FROM_OPENAPI:?}"));
    }
    // And the other way: every list of common models the document serves is in the catalogue.
    for (path, item) in doc.root["paths"].as_mapping().expect("paths").iter() {
        let path = path.as_str().unwrap_or_default();
        let Some(segment) = path.strip_prefix("/hris/v1/").filter(|s| !s.contains('/')) else { continue };
        let Some(op) = item.get("get") else { continue };
        let Some(model) = doc.response_schema(op).and_then(|r| r.strip_prefix("Paginated")?.strip_suffix("List"))
        else {
            continue;
        };
        if doc.schema(model).is_some_and(|s| s["properties"].get("remote_was_deleted").is_some())
            && find(Category::Hris, segment).map(|m| m.name) != Some(model)
        {
            problems.push(format!("{path}: lists {model}, which the catalogue does not serve there"));
        }
    }
    report(problems);
}

// --- merge-api.md (SDK 4.2.1 tables) -------------------------------------------------------------

/// `merge-api.md` §4.1: model → [(field, type cell)], in table order.
fn sdk_field_tables(markdown: &str) -> BTreeMap<String, Vec<(String, String)>> {
    let section = markdown
        .split("### 4.1 HRIS models")
        .nth(1)
        .and_then(|rest| rest.split("### 4.2").next())
        .expect("merge-api.md has §4.1");
    let mut tables: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut current = None;
    for line in section.lines() {
        if let Some(name) = line.strip_prefix("#### ") {
            current = Some(name.trim().to_string());
        } else if let (Some(model), Some(row)) = (&current, line.strip_prefix("| `")) {
            let row = row.replace("\\|", "\u{1}");
            let mut cells = row.split('|');
            let field = cells.next().unwrap_or_default().trim().trim_end_matches('`').to_string();
            let ty = cells.next().unwrap_or_default().trim().replace('\u{1}', "|");
            tables.entry(model.clone()).or_default().push((field, ty));
        }
    }
    tables
}

/// The target of a `string | Model` or `(string | Model)[]` type cell.
fn sdk_ref_target(ty: &str) -> Option<&str> {
    let inner = ty.strip_prefix('(').and_then(|t| t.strip_suffix(")[]")).unwrap_or(ty);
    inner.strip_prefix("string | ").map(str::trim)
}

fn camel(snake: &str) -> String {
    snake
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

#[test]
fn models_oracle_ref_targets_match_the_sdk() {
    let Some(markdown) = reference_file("merge-api.md") else { return };
    let tables = sdk_field_tables(&markdown);
    let mut problems = Vec::new();
    for m in hris() {
        let table = tables.get(m.name);
        for field in m.fields {
            let Some(target) = field.kind.target() else { continue };
            if matches!(field.kind, FieldKind::Nested(_)) {
                continue; // the OpenAPI check compares the nested schema itself
            }
            let sdk =
                table.and_then(|t| t.iter().find(|(f, _)| f == field.name)).and_then(|(_, ty)| sdk_ref_target(ty));
            // Where the SDK types the field as a bare string (not expandable), the field's name says
            // what it points at: `employee` → Employee, `home_location` → Location.
            let from_name = [field.name, field.name.trim_start_matches("home_").trim_start_matches("parent_")]
                .into_iter()
                .map(camel)
                .find(|c| by_name(Category::Hris, c).is_some());
            let expected = sdk.map(String::from).or(from_name);
            match expected {
                Some(expected) if expected == target => {}
                Some(expected) => {
                    problems.push(format!("{}.{}: points at {target}, the SDK says {expected}", m.name, field.name))
                }
                None => problems.push(format!("{}.{}: nothing confirms the target {target}", m.name, field.name)),
            }
        }
    }
    report(problems);
}

/// `merge-api.md` §3.1: the query parameters of `GET <path>` (STD-LIST and STD-GET expanded).
fn sdk_query_params(markdown: &str, path: &str) -> Option<BTreeSet<String>> {
    let row = markdown.lines().find(|l| l.starts_with(&format!("| GET | `{path}` |")))?;
    let cell = row.split(" | ").nth(3)?;
    let mut params = BTreeSet::new();
    for item in cell.split(';').map(str::trim) {
        match item {
            "**STD-LIST**" => params.extend(STD_LIST_PARAMS.iter().map(|p| p.to_string())),
            "**STD-GET**" => params.extend(STD_GET_PARAMS.iter().map(|p| p.to_string())),
            _ => params.extend(item.split('`').nth(1).map(String::from)),
        }
    }
    Some(params)
}

/// Models the OpenAPI document lacks are checked against the SDK instead: fields in its order,
/// and the parameters of both endpoints.
#[test]
fn models_oracle_models_absent_from_openapi_match_the_sdk() {
    let Some(markdown) = reference_file("merge-api.md") else { return };
    let tables = sdk_field_tables(&markdown);
    let mut problems = Vec::new();
    for name in ABSENT_FROM_OPENAPI {
        let m = by_name(Category::Hris, name).unwrap();
        let sdk: Vec<&str> = tables[*name].iter().map(|(f, _)| f.as_str()).filter(|f| !is_common_field(f)).collect();
        let ours: Vec<&str> = m.fields.iter().map(|f| f.name).collect();
        if sdk != ours {
            problems.push(format!("{name}: the SDK's fields are {sdk:?}, the catalogue's {ours:?}"));
        }
        for (path, ours) in [
            (format!("/api/hris/v1/{}", m.path), m.list_params()),
            (format!("/api/hris/v1/{}/{{id}}", m.path), m.get_params()),
        ] {
            let ours: BTreeSet<String> = ours.into_iter().map(String::from).collect();
            match sdk_query_params(&markdown, &path) {
                Some(sdk) if sdk == ours => {}
                sdk => problems.push(format!("GET {path}: the SDK takes {sdk:?}, the catalogue {ours:?}")),
            }
        }
    }
    report(problems);
}
