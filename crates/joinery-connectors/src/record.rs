//! What a connector hands the sync: records already mapped to a common model, each with the
//! provider payloads it was made from.

use std::any::Any;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;

/// One provider object as a connector reads it, already mapped to a common model: `fields` are
/// the model's fields by name (relations as the related object's *remote* id, datetimes as
/// provider dates or RFC 3339), `enum_origins` the provider's raw values of enum fields.
#[derive(Debug, Clone, Default)]
pub struct RemoteRecord {
    pub remote_id: String,
    pub fields: Fields,
    pub enum_origins: Fields,
    /// What `remote_data` serves (`[{"path", "data"}]` with `include_remote_data`).
    pub remote_data: Vec<RemotePayload>,
}

/// Field values by name. A model has a few dozen fields at most, so a list beats a map, and the
/// names are the catalogue's (`&'static str`), never allocated. Setting a field again replaces
/// it: the last value set wins.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fields(Vec<(&'static str, Value)>);

static NULL: Value = Value::Null;

impl Fields {
    pub fn new() -> Self {
        Fields(Vec::new())
    }

    /// Room for `n` fields (a model's field count) without growing.
    pub fn with_capacity(n: usize) -> Self {
        Fields(Vec::with_capacity(n))
    }

    /// Sets a field (a later value of the same field replaces it; setting is a push, the
    /// lookups find the last one).
    pub fn insert(&mut self, name: &'static str, value: Value) {
        self.0.push((name, value));
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().rev().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// Each field once, with its last value, in the order fields were first set.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Value)> {
        self.0.iter().enumerate().filter_map(|(i, (name, first))| {
            if self.0[..i].iter().any(|(n, _)| n == name) {
                return None;
            }
            Some((*name, self.0[i + 1..].iter().rev().find(|(n, _)| n == name).map_or(first, |(_, v)| v)))
        })
    }

    pub fn len(&self) -> usize {
        self.iter().count()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `fields["name"]`: the value, or null when the field was not set (as `serde_json::Value`'s
/// index does).
impl std::ops::Index<&str> for Fields {
    type Output = Value;

    fn index(&self, name: &str) -> &Value {
        self.get(name).unwrap_or(&NULL)
    }
}

/// One provider payload a record was made from: where it was read and its JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePayload {
    /// The provider's path (`/api/v1/employees/all/tables/compensation`).
    pub path: Cow<'static, str>,
    pub data: RawJson,
}

impl RemotePayload {
    pub fn new(path: impl Into<Cow<'static, str>>, data: RawJson) -> Self {
        RemotePayload { path: path.into(), data }
    }
}

/// JSON text known to be valid: a payload as the provider sent it (streamed answers keep the
/// provider's own text, less whitespace outside strings), or a value serialized once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawJson(Box<str>);

impl RawJson {
    /// The JSON text of a value.
    pub fn of(value: &Value) -> RawJson {
        RawJson(value.to_string().into_boxed_str())
    }

    /// Text the caller has checked to be one valid JSON value (serde_json parsed exactly these
    /// bytes).
    pub(crate) fn checked(text: String) -> RawJson {
        RawJson(text.into_boxed_str())
    }

    /// A payload as the provider wrote it, less whitespace outside strings (as streamed
    /// elements are kept).
    pub fn from_raw(raw: &serde_json::value::RawValue) -> RawJson {
        let text = raw.get();
        let minified = joinery_domain::json_text::minify(text.as_bytes());
        match String::from_utf8(minified) {
            Ok(text) => RawJson(text.into_boxed_str()),
            Err(_) => RawJson(text.into()),
        }
    }

    /// `null`.
    pub fn null() -> RawJson {
        RawJson(Box::from("null"))
    }

    pub fn get(&self) -> &str {
        &self.0
    }

    /// The payload as a value (tests and mappings that need to look inside).
    pub fn value(&self) -> Value {
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }
}

/// What one model's read of a sync leaves for a later model's read of the same sync, by key: a
/// large provider table that two models are made from is then read once. A value is taken once;
/// a read that finds nothing reads the provider itself.
#[derive(Default)]
pub struct SyncScratch(Mutex<HashMap<&'static str, Box<dyn Any + Send>>>);

impl SyncScratch {
    pub fn put<T: Any + Send>(&self, key: &'static str, value: T) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(key, Box::new(value));
        }
    }

    pub fn take<T: Any + Send>(&self, key: &'static str) -> Option<T> {
        let mut map = self.0.lock().ok()?;
        if !map.get(key)?.is::<T>() {
            return None;
        }
        map.remove(key)?.downcast::<T>().ok().map(|b| *b)
    }
}

impl std::fmt::Debug for SyncScratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<&str> = self.0.lock().map(|m| m.keys().copied().collect()).unwrap_or_default();
        f.debug_tuple("SyncScratch").field(&keys).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_keep_their_order_and_replace_in_place() {
        let mut f = Fields::new();
        f.insert("a", json!(1));
        f.insert("b", json!(2));
        f.insert("a", json!(3));
        assert_eq!(f.iter().collect::<Vec<_>>(), vec![("a", &json!(3)), ("b", &json!(2))]);
        assert_eq!((f["a"].clone(), f.len()), (json!(3), 2));
        assert_eq!(f["missing"], Value::Null);
    }

    #[test]
    fn raw_payloads_lose_whitespace_outside_strings_only() {
        let raw = serde_json::value::RawValue::from_string(r#"{ "a" : [1, "x y"] }"#.to_owned()).unwrap();
        assert_eq!(RawJson::from_raw(&raw).get(), r#"{"a":[1,"x y"]}"#);
    }

    #[test]
    fn scratch_hands_a_value_over_once() {
        let scratch = SyncScratch::default();
        scratch.put("k", vec![1u32, 2]);
        assert_eq!(scratch.take::<String>("k"), None, "another type is not handed out");
        assert_eq!(scratch.take::<Vec<u32>>("k"), Some(vec![1, 2]));
        assert_eq!(scratch.take::<Vec<u32>>("k"), None);
    }
}
