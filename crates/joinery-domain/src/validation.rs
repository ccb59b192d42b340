//! Request validation with Django REST Framework's semantics and messages, because Merge runs on
//! DRF and its clients see DRF-shaped 400s: `{"field": ["message", ...]}`, nested objects for
//! nested serializers and `{"<index>": [...]}` maps for items of a list.
//!
//! Each `field_*` function reads one member of a JSON object and either returns the parsed value
//! or records why not, so one pass reports every offending field at once.

use serde_json::{Map, Value};

pub const REQUIRED: &str = "This field is required.";
pub const NOT_NULL: &str = "This field may not be null.";
pub const NOT_BLANK: &str = "This field may not be blank.";
pub const NOT_EMPTY_LIST: &str = "This list may not be empty.";
/// PostgreSQL cannot store U+0000 in text or JSONB, so (like DRF) it is refused up front.
pub const NULL_CHARACTERS: &str = "Null characters are not allowed.";

/// DRF-shaped validation errors, keyed by field.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct FieldErrors(Map<String, Value>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a message to `field`'s list.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        let entry = self.0.entry(field.to_owned()).or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = entry {
            list.push(Value::String(message.into()));
        }
    }

    /// Records the errors of a nested object or list under `field`.
    pub fn nest(&mut self, field: &str, nested: FieldErrors) {
        if !nested.is_empty() {
            self.0.insert(field.to_owned(), nested.into_value());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }

    /// `Ok(value)` when nothing was recorded.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, FieldErrors> {
        if self.is_empty() { Ok(value()) } else { Err(self) }
    }
}

/// Python's name for a JSON value's type, as DRF's messages print it.
pub fn python_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// Reads a field's raw value, handling presence and `null` the same way for every type:
/// `Ok(None)` for an absent or allowed-null field, `Err(())` when an error was recorded.
fn presence<'a>(
    obj: &'a Map<String, Value>,
    field: &str,
    required: bool,
    allow_null: bool,
    errors: &mut FieldErrors,
) -> Result<Option<&'a Value>, ()> {
    match obj.get(field) {
        None if required => {
            errors.add(field, REQUIRED);
            Err(())
        }
        None => Ok(None),
        Some(Value::Null) if allow_null => Ok(None),
        Some(Value::Null) => {
            errors.add(field, NOT_NULL);
            Err(())
        }
        Some(v) => Ok(Some(v)),
    }
}

/// Options of a DRF `CharField`.
#[derive(Debug, Clone, Copy)]
pub struct Text {
    pub required: bool,
    pub allow_null: bool,
    pub min_len: usize,
    pub max_len: Option<usize>,
}

impl Text {
    pub const fn required(min_len: usize, max_len: usize) -> Self {
        Self { required: true, allow_null: false, min_len, max_len: Some(max_len) }
    }
    pub const fn optional() -> Self {
        Self { required: false, allow_null: true, min_len: 1, max_len: None }
    }
}

/// Converts a JSON scalar into a string the way DRF's `CharField` does (numbers are accepted and
/// stringified; booleans, lists and objects are not), trimming surrounding whitespace.
pub fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub fn field_text(obj: &Map<String, Value>, field: &str, opts: Text, errors: &mut FieldErrors) -> Option<String> {
    let v = presence(obj, field, opts.required, opts.allow_null, errors).ok()??;
    let Some(s) = as_text(v) else {
        errors.add(field, "Not a valid string.");
        return None;
    };
    if s.contains('\0') {
        errors.add(field, NULL_CHARACTERS);
        return None;
    }
    let len = s.chars().count();
    if len == 0 {
        errors.add(field, NOT_BLANK);
        return None;
    }
    if len < opts.min_len {
        errors.add(field, format!("Ensure this field has at least {} characters.", opts.min_len));
        return None;
    }
    if let Some(max) = opts.max_len
        && len > max
    {
        errors.add(field, format!("Ensure this field has no more than {max} characters."));
        return None;
    }
    Some(s)
}

/// Whether a string or object key anywhere inside `v` holds U+0000.
pub fn contains_null_character(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(contains_null_character),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || contains_null_character(v)),
        _ => false,
    }
}

/// A DRF `BooleanField` (accepts `true`/`false` and DRF's string and 0/1 spellings). Absent or
/// `null` yields `None`; the caller applies the default.
pub fn field_bool(obj: &Map<String, Value>, field: &str, allow_null: bool, errors: &mut FieldErrors) -> Option<bool> {
    let v = presence(obj, field, false, allow_null, errors).ok()??;
    let parsed = match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.as_str() {
            "t" | "T" | "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" | "1" => {
                Some(true)
            }
            "f" | "F" | "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" | "0" => {
                Some(false)
            }
            _ => None,
        },
        _ => None,
    };
    if parsed.is_none() {
        errors.add(field, "Must be a valid boolean.");
    }
    parsed
}

/// A DRF `IntegerField` with inclusive bounds. Integral numbers and numeric strings are accepted.
pub fn field_int(
    obj: &Map<String, Value>,
    field: &str,
    allow_null: bool,
    (min, max): (i64, i64),
    errors: &mut FieldErrors,
) -> Option<i64> {
    let v = presence(obj, field, false, allow_null, errors).ok()??;
    let parsed = match v {
        Value::Number(n) => {
            n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15).map(|f| f as i64))
        }
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    let Some(n) = parsed else {
        errors.add(field, "A valid integer is required.");
        return None;
    };
    if n < min {
        errors.add(field, format!("Ensure this value is greater than or equal to {min}."));
        return None;
    }
    if n > max {
        errors.add(field, format!("Ensure this value is less than or equal to {max}."));
        return None;
    }
    Some(n)
}

/// A DRF `ChoiceField`: the value must be one of `choices` exactly.
pub fn choice<'c>(v: &Value, choices: &'c [&'c str]) -> Result<&'c str, String> {
    let input = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    choices.iter().copied().find(|c| *c == input).ok_or_else(|| format!("\"{input}\" is not a valid choice."))
}

pub fn field_choice<'c>(
    obj: &Map<String, Value>,
    field: &str,
    allow_null: bool,
    choices: &'c [&'c str],
    errors: &mut FieldErrors,
) -> Option<&'c str> {
    let v = presence(obj, field, false, allow_null, errors).ok()??;
    match choice(v, choices) {
        Ok(c) => Some(c),
        Err(msg) => {
            errors.add(field, msg);
            None
        }
    }
}

/// A DRF `UUIDField` (hyphenated or plain hex).
pub fn field_uuid(obj: &Map<String, Value>, field: &str, errors: &mut FieldErrors) -> Option<uuid::Uuid> {
    let v = presence(obj, field, false, true, errors).ok()??;
    match v.as_str().and_then(|s| uuid::Uuid::parse_str(s.trim()).ok()) {
        Some(u) => Some(u),
        None => {
            errors.add(field, "Must be a valid UUID.");
            None
        }
    }
}

/// A list field: returns the items, or records DRF's type / emptiness error.
pub fn field_list<'a>(
    obj: &'a Map<String, Value>,
    field: &str,
    required: bool,
    allow_null: bool,
    allow_empty: bool,
    errors: &mut FieldErrors,
) -> Option<&'a Vec<Value>> {
    let v = presence(obj, field, required, allow_null, errors).ok()??;
    match v {
        Value::Array(items) if items.is_empty() && !allow_empty => {
            errors.add(field, NOT_EMPTY_LIST);
            None
        }
        Value::Array(items) => Some(items),
        other => {
            errors.add(field, format!("Expected a list of items but got type \"{}\".", python_type(other)));
            None
        }
    }
}

/// A dict field: returns the object, or records DRF's type error.
pub fn field_object<'a>(
    obj: &'a Map<String, Value>,
    field: &str,
    required: bool,
    allow_null: bool,
    errors: &mut FieldErrors,
) -> Option<&'a Map<String, Value>> {
    let v = presence(obj, field, required, allow_null, errors).ok()??;
    match v {
        Value::Object(map) => Some(map),
        other => {
            errors.add(field, format!("Expected a dictionary of items but got type \"{}\".", python_type(other)));
            None
        }
    }
}

/// A free-form dict field (stored as given), refusing U+0000 anywhere inside it.
pub fn field_free_object(
    obj: &Map<String, Value>,
    field: &str,
    errors: &mut FieldErrors,
) -> Option<Map<String, Value>> {
    let map = field_object(obj, field, false, true, errors)?;
    if map.iter().any(|(k, v)| k.contains('\0') || contains_null_character(v)) {
        errors.add(field, NULL_CHARACTERS);
        return None;
    }
    Some(map.clone())
}

/// The error recorded for a list item or dict member that is not an object.
pub fn not_a_dict(v: &Value) -> String {
    format!("Invalid data. Expected a dictionary, but got {}.", python_type(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn text_rules_follow_drf() {
        let o = obj(json!({"a": "  x  ", "b": "", "c": "abcdef", "d": 12, "e": true, "f": null}));
        let mut e = FieldErrors::new();
        assert_eq!(field_text(&o, "a", Text::required(1, 5), &mut e), Some("x".into()));
        assert_eq!(field_text(&o, "b", Text::required(1, 5), &mut e), None);
        assert_eq!(field_text(&o, "c", Text::required(1, 5), &mut e), None);
        assert_eq!(field_text(&o, "d", Text::required(1, 5), &mut e), Some("12".into()));
        assert_eq!(field_text(&o, "e", Text::required(1, 5), &mut e), None);
        assert_eq!(field_text(&o, "f", Text::required(1, 5), &mut e), None);
        assert_eq!(field_text(&o, "g", Text::required(1, 5), &mut e), None);
        assert_eq!(field_text(&o, "f", Text::optional(), &mut e), None);
        assert_eq!(
            e.into_value(),
            json!({
                "b": [NOT_BLANK],
                "c": ["Ensure this field has no more than 5 characters."],
                "e": ["Not a valid string."],
                "f": [NOT_NULL],
                "g": [REQUIRED],
            })
        );
    }

    #[test]
    fn ints_bools_and_choices() {
        let o = obj(json!({"i": "45", "j": 12, "k": 1000, "l": 4.5, "m": 60.0, "b": "yes", "c": "maybe", "x": "DE"}));
        let mut e = FieldErrors::new();
        assert_eq!(field_int(&o, "i", false, (30, 720), &mut e), Some(45));
        assert_eq!(field_int(&o, "j", false, (30, 720), &mut e), None);
        assert_eq!(field_int(&o, "k", false, (30, 720), &mut e), None);
        assert_eq!(field_int(&o, "l", false, (30, 720), &mut e), None);
        assert_eq!(field_int(&o, "m", false, (30, 720), &mut e), Some(60));
        assert_eq!(field_bool(&o, "b", true, &mut e), Some(true));
        assert_eq!(field_bool(&o, "c", true, &mut e), None);
        assert_eq!(field_choice(&o, "x", true, &["en", "de"], &mut e), None);
        assert_eq!(
            e.into_value(),
            json!({
                "j": ["Ensure this value is greater than or equal to 30."],
                "k": ["Ensure this value is less than or equal to 720."],
                "l": ["A valid integer is required."],
                "c": ["Must be a valid boolean."],
                "x": ["\"DE\" is not a valid choice."],
            })
        );
    }

    #[test]
    fn null_characters_are_refused() {
        let o = obj(json!({"t": "a\u{0}b", "o": {"k": ["x\u{0}"]}, "p": {"k\u{0}": 1}, "q": {"k": [1, "ok"]}}));
        let mut e = FieldErrors::new();
        assert_eq!(field_text(&o, "t", Text::required(1, 5), &mut e), None);
        assert!(field_free_object(&o, "o", &mut e).is_none());
        assert!(field_free_object(&o, "p", &mut e).is_none());
        assert!(field_free_object(&o, "q", &mut e).is_some());
        assert_eq!(e.into_value(), json!({"t": [NULL_CHARACTERS], "o": [NULL_CHARACTERS], "p": [NULL_CHARACTERS]}));
    }

    #[test]
    fn lists_objects_and_uuids() {
        let o = obj(json!({"l": "hris", "e": [], "o": [1], "u": "nope", "v": "5f0e7e4e-1c43-4f5e-9c39-0b7e0b0f7a11"}));
        let mut e = FieldErrors::new();
        assert!(field_list(&o, "l", true, false, false, &mut e).is_none());
        assert!(field_list(&o, "e", true, false, false, &mut e).is_none());
        assert!(field_object(&o, "o", false, true, &mut e).is_none());
        assert!(field_uuid(&o, "u", &mut e).is_none());
        assert!(field_uuid(&o, "v", &mut e).is_some());
        assert_eq!(
            e.into_value(),
            json!({
                "l": ["Expected a list of items but got type \"str\"."],
                "e": [NOT_EMPTY_LIST],
                "o": ["Expected a dictionary of items but got type \"list\"."],
                "u": ["Must be a valid UUID."],
            })
        );
    }
}
