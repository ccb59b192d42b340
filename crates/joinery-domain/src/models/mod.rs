//! The catalogue of Merge's common models, as data.
//!
//! Each model is one [`ModelSpec`]: its fields in Merge's JSON order with their kinds, the list
//! filters its endpoint accepts and how each one compares, and the values `expand`,
//! `show_enum_origins` and `order_by` take. The API (list, retrieve, filters, expansion, enum
//! origins), storage and the tests read this one description instead of a hand-written copy per
//! model. `tests.rs` checks it against Merge's OpenAPI document.
//!
//! Only the model-specific part is described: the fields every model has ([`LEADING_COMMON_FIELDS`]
//! and [`TRAILING_COMMON_FIELDS`]) and the query parameters every endpoint has ([`STD_LIST_PARAMS`],
//! [`STD_GET_PARAMS`]) are implied.

use crate::Category;

pub mod codes;
pub mod hris;

#[cfg(test)]
mod tests;

/// One Merge common model.
#[derive(Debug)]
pub struct ModelSpec {
    pub category: Category,
    /// Merge's name, e.g. "Employee".
    pub name: &'static str,
    /// "hris.Employee" (what sync-status and scopes call `model_id`).
    pub model_id: &'static str,
    /// URL segment of the endpoints: "employees" → /api/hris/v1/employees and /employees/{id}.
    /// Empty for models served only nested inside another (Earning, Deduction, Tax).
    pub path: &'static str,
    /// Model-specific fields in Merge's JSON order, WITHOUT the common ones every model has
    /// (id, remote_id, created_at, modified_at, remote_was_deleted, field_mappings, remote_data),
    /// which the API adds itself.
    pub fields: &'static [FieldSpec],
    /// Model-specific list filters (the STD-LIST ones — cursor, page_size, created_after/before,
    /// modified_after/before, include_deleted_data, include_remote_data, include_shell_data,
    /// remote_id — are implied for every listable model).
    pub filters: &'static [FilterSpec],
    /// Allowed `expand` values (relation field names), in Merge's order.
    pub expand: &'static [&'static str],
    /// Fields allowed in `show_enum_origins` (and the deprecated `remote_fields`).
    pub enum_origins: &'static [&'static str],
    /// `order_by` values without sign (e.g. ["effective_date"]; "-effective_date" is implied).
    pub order_by: &'static [&'static str],
    /// Fields returned only with `include_sensitive_fields=true` (e.g. Employee.ssn); empty when the
    /// endpoint has no such parameter. `accepts_sensitive` says whether the parameter exists.
    pub sensitive_fields: &'static [&'static str],
    pub accepts_sensitive: bool,
}

/// One model-specific field.
#[derive(Debug)]
pub struct FieldSpec {
    pub name: &'static str,
    pub kind: FieldKind,
}

/// What a field holds on the wire. Every field may also be `null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    String,
    /// ISO-8601 datetime (Merge uses datetimes even for dates such as hire_date).
    DateTime,
    Bool,
    Integer,
    /// JSON number (money amounts, hours, balances).
    Number,
    /// A Merge enum: normalized values (the raw remote value is served with show_enum_origins).
    Enum(&'static [&'static str]),
    /// UUID of another model of the same category, or that model expanded: `Ref("Company")`.
    Ref(&'static str),
    /// A list of such UUIDs/objects: `RefList("Employment")`.
    RefList(&'static str),
    /// A list of nested objects always embedded (not expandable), e.g. EmployeePayrollRun.earnings:
    /// `Nested("Earning")`.
    Nested(&'static str),
    /// Free JSON object (custom_fields).
    Object,
    /// A list of plain strings (Company.eins).
    StringList,
}

impl FieldKind {
    /// The model a `Ref`, `RefList` or `Nested` field points at.
    pub fn target(&self) -> Option<&'static str> {
        match *self {
            FieldKind::Ref(model) | FieldKind::RefList(model) | FieldKind::Nested(model) => Some(model),
            _ => None,
        }
    }

    /// The normalized values of an `Enum` field.
    pub fn enum_values(&self) -> Option<&'static [&'static str]> {
        match *self {
            FieldKind::Enum(values) => Some(values),
            _ => None,
        }
    }
}

/// One model-specific list filter: a query parameter and how it selects rows.
#[derive(Debug)]
pub struct FilterSpec {
    /// Query parameter name.
    pub param: &'static str,
    pub op: FilterOp,
}

/// How a filter's value is compared. Every variant names the field it reads (for `Related`, a
/// field of the related model).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOp {
    /// field == value (strings, exact).
    Equals(&'static str),
    /// field (a Ref) == the UUID given; a malformed UUID is a 400.
    RefEquals(&'static str),
    /// field (an Enum) == value; the value must be one of the enum's values (else 400).
    EnumEquals(&'static str),
    /// field (a DateTime) > value / < value.
    After(&'static str),
    Before(&'static str),
    /// field (a Bool) == value.
    BoolEquals(&'static str),
    /// A comma-separated list; matches when field (a RefList) contains ANY of the UUIDs.
    RefListContainsAny(&'static str),
    /// A comma-separated list; field (String or Enum) is one of the values.
    OneOf(&'static str),
    /// Matches through a related model: rows whose related `via` rows (e.g. the employee's
    /// Employments, found by their `back_ref` field pointing to this row) have `field` == value.
    /// Used for Employee's `employment_type` and `job_title` filters.
    Related {
        model: &'static str,
        back_ref: &'static str,
        field: &'static str,
    },
}

impl FilterOp {
    /// The field compared: of this model, or of `model` for `Related`.
    pub fn field(&self) -> &'static str {
        match *self {
            FilterOp::Equals(field)
            | FilterOp::RefEquals(field)
            | FilterOp::EnumEquals(field)
            | FilterOp::After(field)
            | FilterOp::Before(field)
            | FilterOp::BoolEquals(field)
            | FilterOp::RefListContainsAny(field)
            | FilterOp::OneOf(field)
            | FilterOp::Related { field, .. } => field,
        }
    }
}

/// Query parameters every list endpoint of a common model takes (Merge's STD-LIST).
pub const STD_LIST_PARAMS: &[&str] = &[
    "cursor",
    "page_size",
    "created_after",
    "created_before",
    "modified_after",
    "modified_before",
    "include_deleted_data",
    "include_remote_data",
    "include_shell_data",
    "remote_id",
];

/// Query parameters every retrieve endpoint (`/{path}/{id}`) of a common model takes (STD-GET).
pub const STD_GET_PARAMS: &[&str] = &["include_remote_data", "include_shell_data"];

/// Common fields that come before the model-specific ones in Merge's JSON.
pub const LEADING_COMMON_FIELDS: &[&str] = &["id", "remote_id", "created_at", "modified_at"];

/// Common fields that come after the model-specific ones in Merge's JSON.
pub const TRAILING_COMMON_FIELDS: &[&str] = &["remote_was_deleted", "field_mappings", "remote_data"];

/// Whether `name` is one of the fields every model has.
pub fn is_common_field(name: &str) -> bool {
    LEADING_COMMON_FIELDS.contains(&name) || TRAILING_COMMON_FIELDS.contains(&name)
}

impl ModelSpec {
    /// Whether the model has its own endpoints (nested-only models have none).
    pub fn is_listable(&self) -> bool {
        !self.path.is_empty()
    }

    /// A model-specific field by name.
    pub fn field(&self, name: &str) -> Option<&'static FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// A model-specific filter by its query parameter.
    pub fn filter(&self, param: &str) -> Option<&'static FilterSpec> {
        self.filters.iter().find(|f| f.param == param)
    }

    /// Every query parameter the list endpoint takes: STD-LIST, the filters, then `expand`,
    /// `show_enum_origins` + `remote_fields`, `order_by` and `include_sensitive_fields` where the
    /// model has them. Empty for nested-only models.
    pub fn list_params(&self) -> Vec<&'static str> {
        if !self.is_listable() {
            return Vec::new();
        }
        let mut params = STD_LIST_PARAMS.to_vec();
        params.extend(self.filters.iter().map(|f| f.param));
        params.extend(self.shared_params());
        if !self.order_by.is_empty() {
            params.push("order_by");
        }
        params
    }

    /// Every query parameter the retrieve endpoint takes: STD-GET, then `expand`,
    /// `show_enum_origins` + `remote_fields` and `include_sensitive_fields` where the model has
    /// them. Empty for nested-only models.
    pub fn get_params(&self) -> Vec<&'static str> {
        if !self.is_listable() {
            return Vec::new();
        }
        let mut params = STD_GET_PARAMS.to_vec();
        params.extend(self.shared_params());
        params
    }

    /// The parameters list and retrieve share.
    fn shared_params(&self) -> Vec<&'static str> {
        let mut params = Vec::new();
        if !self.expand.is_empty() {
            params.push("expand");
        }
        if !self.enum_origins.is_empty() {
            params.extend(["show_enum_origins", "remote_fields"]);
        }
        if self.accepts_sensitive {
            params.push("include_sensitive_fields");
        }
        params
    }
}

/// Every HRIS model, in Merge's order.
pub fn hris() -> &'static [ModelSpec] {
    hris::MODELS
}

/// The models of a category; empty for the categories Joinery does not serve yet.
pub fn of(category: Category) -> &'static [ModelSpec] {
    match category {
        Category::Hris => hris::MODELS,
        _ => &[],
    }
}

/// Every model of every category.
pub fn all() -> impl Iterator<Item = &'static ModelSpec> {
    Category::ALL.into_iter().flat_map(of)
}

/// The model served at `/api/{category}/v1/{path}` (never a nested-only model).
pub fn find(category: Category, path: &str) -> Option<&'static ModelSpec> {
    if path.is_empty() {
        return None;
    }
    of(category).iter().find(|m| m.path == path)
}

/// A model by its Merge name, e.g. `by_name(Category::Hris, "Employee")`.
pub fn by_name(category: Category, name: &str) -> Option<&'static ModelSpec> {
    of(category).iter().find(|m| m.name == name)
}

/// A model by its `model_id`, e.g. `by_model_id("hris.Employee")`.
pub fn by_model_id(model_id: &str) -> Option<&'static ModelSpec> {
    all().find(|m| m.model_id == model_id)
}

/// A datetime as stored in rows' data and compared by filters: `YYYY-MM-DDTHH:MM:SSZ` in UTC, one
/// fixed format so comparing the text compares the times.
pub fn stored_datetime(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Namespace of Joinery's row ids (a fixed random UUID; changing it would change every id).
const ROW_ID_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6f1c_5d0e_93a4_4b8e_9a57_2c1e_8d3f_b4a6);

/// Joinery's id of a remote object: a UUIDv5 of (linked account, model id, remote id). The same
/// object always gets the same id, so relations are computed without lookups and a re-run sync
/// cannot duplicate rows.
pub fn row_id(linked_account: uuid::Uuid, model_id: &str, remote_id: &str) -> uuid::Uuid {
    let mut name = Vec::with_capacity(16 + model_id.len() + 1 + remote_id.len());
    name.extend_from_slice(linked_account.as_bytes());
    name.extend_from_slice(model_id.as_bytes());
    name.push(0);
    name.extend_from_slice(remote_id.as_bytes());
    uuid::Uuid::new_v5(&ROW_ID_NAMESPACE, &name)
}
