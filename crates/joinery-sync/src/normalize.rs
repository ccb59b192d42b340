//! A connector's record → a stored row: fields in the model's order, relations as Joinery ids,
//! datetimes in one format, fields disabled by the account's scopes as null, and a content hash.
//!
//! The row's JSON is written as text directly (the stored form the read API splices), and the
//! provider payloads are copied as the provider's text: no value is cloned or serialized twice.

use joinery_connectors::RemoteRecord;
use joinery_domain::models::{self, FieldKind, ModelSpec, row_id};
pub use joinery_domain::scopes::Scopes;
use joinery_storage::RowWrite;
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// A provider date or datetime as `YYYY-MM-DDTHH:MM:SSZ` (UTC), the stored form that filters
/// compare as text; anything unreadable is null.
pub fn datetime(value: &Value) -> Value {
    let Some(text) = value.as_str().map(str::trim) else { return Value::Null };
    if let Some(date) = plain_date(text) {
        return Value::String(format!("{date}T00:00:00Z"));
    }
    let parsed = OffsetDateTime::parse(text, &Rfc3339).ok();
    parsed.map_or(Value::Null, |t| Value::String(models::stored_datetime(t)))
}

/// `YYYY-MM-DD` when the text is exactly a valid calendar date (most providers' dates): it needs
/// no conversion.
fn plain_date(text: &str) -> Option<&str> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) || !digits(5..7) || !digits(8..10) {
        return None;
    }
    let number = |r: std::ops::Range<usize>| text[r].parse::<u16>().ok();
    let month = time::Month::try_from(number(5..7)? as u8).ok()?;
    Date::from_calendar_date(i32::from(number(0..4)?), month, number(8..10)? as u8).ok()?;
    Some(text)
}

/// How one field is written, worked out once per model and sync.
struct FieldPlan {
    name: &'static str,
    /// Switched off by the account's scopes: stored as null.
    enabled: bool,
    kind: Kind,
}

enum Kind {
    /// A relation to the model with this id: the remote id becomes a Joinery id.
    Ref(Option<&'static str>),
    RefList(Option<&'static str>),
    DateTime,
    Plain,
}

/// Relations to few distinct objects (the company, teams, locations) are looked up, not hashed
/// again: each field remembers this many ids, then stops remembering.
const REFERENCE_CACHE: usize = 1024;

/// Turns one model's records into rows for one account.
pub struct Normalizer {
    account: Uuid,
    spec: &'static ModelSpec,
    fields: Vec<FieldPlan>,
    /// Per field (by position): remote id → Joinery id.
    references: Vec<std::cell::RefCell<foldhash::HashMap<String, Uuid>>>,
    /// Names of the fields switched off, whose enum origins are dropped (and with them, the
    /// provider payloads).
    disabled: Vec<String>,
}

impl Normalizer {
    pub fn new(account: Uuid, spec: &'static ModelSpec, scopes: &Scopes) -> Self {
        let target = |name: &str| models::by_name(spec.category, name).map(|m| m.model_id);
        let disabled = scopes.disabled_fields_of(spec.model_id);
        let fields: Vec<FieldPlan> = spec
            .fields
            .iter()
            .map(|f| FieldPlan {
                name: f.name,
                enabled: !disabled.iter().any(|d| d == f.name),
                kind: match f.kind {
                    FieldKind::Ref(model) => Kind::Ref(target(model)),
                    FieldKind::RefList(model) => Kind::RefList(target(model)),
                    FieldKind::DateTime => Kind::DateTime,
                    _ => Kind::Plain,
                },
            })
            .collect();
        let references = fields.iter().map(|_| Default::default()).collect();
        Normalizer { account, spec, fields, references, disabled }
    }

    /// The row of a record, and its id.
    pub fn row(&self, record: &RemoteRecord) -> (Uuid, RowWrite) {
        let mut data = Vec::with_capacity(64 + 32 * self.fields.len());
        data.push(b'{');
        for (n, field) in self.fields.iter().enumerate() {
            if n > 0 {
                data.push(b',');
            }
            data.push(b'"');
            data.extend_from_slice(field.name.as_bytes());
            data.extend_from_slice(b"\":");
            let raw = record.fields.get(field.name).unwrap_or(&Value::Null);
            if !field.enabled {
                data.extend_from_slice(b"null");
                continue;
            }
            match field.kind {
                Kind::Ref(target) => self.reference(&mut data, n, target, raw),
                Kind::RefList(target) => {
                    data.push(b'[');
                    let mut first = true;
                    for remote in raw.as_array().into_iter().flatten() {
                        if remote_text(remote).is_none() || target.is_none() {
                            continue;
                        }
                        if !std::mem::take(&mut first) {
                            data.push(b',');
                        }
                        self.reference(&mut data, n, target, remote);
                    }
                    data.push(b']');
                }
                Kind::DateTime => match raw.as_str().map(str::trim).and_then(plain_date) {
                    Some(date) => {
                        data.push(b'"');
                        data.extend_from_slice(date.as_bytes());
                        data.extend_from_slice(b"T00:00:00Z\"");
                    }
                    None => write_value(&mut data, &datetime(raw)),
                },
                Kind::Plain => write_value(&mut data, raw),
            }
        }
        data.push(b'}');
        let data = text(data);

        // A disabled field's raw value must not survive elsewhere: its enum origin is dropped, and
        // the provider payloads (which cannot be scrubbed field by field) of a model with disabled
        // fields are not kept at all.
        let mut origins = Vec::new();
        for (name, value) in record.enum_origins.iter().filter(|(name, _)| !self.disabled.iter().any(|d| d == name)) {
            origins.push(if origins.is_empty() { b'{' } else { b',' });
            write_value(&mut origins, &Value::String(name.to_owned()));
            origins.push(b':');
            write_value(&mut origins, value);
        }
        let enum_origins = (!origins.is_empty()).then(|| {
            origins.push(b'}');
            text(origins)
        });
        let keep_remote_data = !record.remote_data.is_empty() && self.disabled.is_empty();
        let remote_data = keep_remote_data.then(|| {
            let mut out = String::with_capacity(record.remote_data.iter().map(|p| p.data.get().len() + 32).sum());
            for (n, payload) in record.remote_data.iter().enumerate() {
                out.push_str(if n == 0 { "[{\"path\":" } else { ",{\"path\":" });
                out.push_str(&serde_json::to_string(payload.path.as_ref()).unwrap_or_default());
                out.push_str(",\"data\":");
                out.push_str(payload.data.get());
                out.push('}');
            }
            out.push(']');
            out
        });

        let mut hash = Sha256::new();
        for part in [Some(&data), enum_origins.as_ref(), remote_data.as_ref()] {
            hash.update(part.map_or(&b""[..], |p| p.as_bytes()));
            hash.update([0]);
        }
        let id = row_id(self.account, self.spec.model_id, &record.remote_id);
        let row = RowWrite {
            id: id.to_string(),
            linked_account_id: self.account,
            model: self.spec.model_id,
            remote_id: record.remote_id.clone(),
            data,
            enum_origins,
            remote_data,
            content_hash: hash.finalize().into(),
        };
        (id, row)
    }

    /// A relation (of field number `field`): the Joinery id of the remote id (a string, or a
    /// number's text), else null.
    fn reference(&self, out: &mut Vec<u8>, field: usize, target: Option<&'static str>, remote: &Value) {
        match (target, remote_text(remote)) {
            (Some(model), Some(remote)) => {
                let mut cache = self.references[field].borrow_mut();
                let id = match cache.get(remote.as_ref()) {
                    Some(id) => *id,
                    None => {
                        let id = row_id(self.account, model, &remote);
                        if cache.len() < REFERENCE_CACHE {
                            cache.insert(remote.into_owned(), id);
                        }
                        id
                    }
                };
                out.push(b'"');
                out.extend_from_slice(id.hyphenated().encode_lower(&mut Uuid::encode_buffer()).as_bytes());
                out.push(b'"');
            }
            _ => out.extend_from_slice(b"null"),
        }
    }
}

fn remote_text(remote: &Value) -> Option<std::borrow::Cow<'_, str>> {
    match remote {
        Value::String(s) if !s.is_empty() => Some(std::borrow::Cow::Borrowed(s)),
        Value::Number(n) => Some(std::borrow::Cow::Owned(n.to_string())),
        _ => None,
    }
}

/// JSON text of a value, as serde_json writes it.
fn write_value(out: &mut Vec<u8>, value: &Value) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
}

/// The bytes written above: serde_json's output and catalogue names, so always UTF-8.
fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// One record's row (tests; the sync keeps a [`Normalizer`] per model).
#[cfg(test)]
pub fn normalize(account: Uuid, spec: &'static ModelSpec, record: &RemoteRecord, scopes: &Scopes) -> RowWrite {
    Normalizer::new(account, spec, scopes).row(record).1
}

#[cfg(test)]
mod tests {
    use joinery_connectors::{RawJson, RemotePayload};
    use serde_json::{Map, json};

    use super::*;

    #[test]
    fn datetimes_are_normalized() {
        assert_eq!(datetime(&json!("2020-01-02")), json!("2020-01-02T00:00:00Z"));
        assert_eq!(datetime(&json!(" 2020-02-29 ")), json!("2020-02-29T00:00:00Z"));
        assert_eq!(datetime(&json!("2021-02-29")), Value::Null, "not a date");
        assert_eq!(datetime(&json!("2020-13-01")), Value::Null);
        assert_eq!(datetime(&json!("2020-01-02T10:00:00+02:00")), json!("2020-01-02T08:00:00Z"));
        assert_eq!(datetime(&json!("0000-00-00")), Value::Null);
        assert_eq!(datetime(&json!("soon")), Value::Null);
        assert_eq!(datetime(&Value::Null), Value::Null);
    }

    /// The rows as serde_json would build them from maps (the previous way, and the stored form
    /// rows already in databases have): the same bytes, so the same hashes.
    fn serde_form(account: Uuid, spec: &'static ModelSpec, record: &RemoteRecord) -> String {
        let mut data = Map::new();
        for field in spec.fields {
            let raw = record.fields.get(field.name).cloned().unwrap_or(Value::Null);
            let reference = |v: &Value| match (remote_text(v), field.kind) {
                (Some(remote), FieldKind::Ref(m) | FieldKind::RefList(m)) => {
                    json!(row_id(account, models::by_name(spec.category, m).unwrap().model_id, &remote).to_string())
                }
                _ => Value::Null,
            };
            let value = match field.kind {
                FieldKind::Ref(_) => reference(&raw),
                FieldKind::RefList(_) => {
                    Value::Array(raw.as_array().into_iter().flatten().map(reference).filter(|v| !v.is_null()).collect())
                }
                FieldKind::DateTime => datetime(&raw),
                _ => raw,
            };
            data.insert(field.name.to_owned(), value);
        }
        Value::Object(data).to_string()
    }

    #[test]
    fn records_become_rows_in_model_order_with_ids_and_scopes() {
        let spec = models::by_model_id("hris.Employee").unwrap();
        let account = Uuid::now_v7();
        let mut record = RemoteRecord { remote_id: "7".into(), ..Default::default() };
        record.fields.insert("manager", json!("3"));
        record.fields.insert("first_name", json!("Ada \"the first\""));
        record.fields.insert("ssn", json!("123"));
        record.fields.insert("start_date", json!("2020-01-02"));
        record.fields.insert("employments", json!(["e1", 2, "", null]));
        record.fields.insert("gender", json!("FEMALE"));
        record.enum_origins.insert("gender", json!("Female"));
        record.enum_origins.insert("ssn", json!("123"));
        record.remote_data = vec![RemotePayload::new("/v1/x", RawJson::of(&json!({"id": "7"})))];
        let everything = Scopes::default();
        let row = normalize(account, spec, &record, &everything);
        assert_eq!(row.data, serde_form(account, spec, &record));
        assert_eq!(row.enum_origins.as_deref(), Some(r#"{"gender":"Female","ssn":"123"}"#));
        assert_eq!(row.remote_data.as_deref(), Some(r#"[{"path":"/v1/x","data":{"id":"7"}}]"#));

        let scopes = Scopes::from_json(
            &json!({"common_models": [{"model_id": "hris.Employee", "enabled_actions": ["READ"], "disabled_fields": ["ssn"]}]}),
            "hris",
        );
        let row = normalize(account, spec, &record, &scopes);
        let data: Map<String, Value> = serde_json::from_str(&row.data).unwrap();
        let keys: Vec<&str> = data.keys().map(String::as_str).collect();
        let expected: Vec<&str> = spec.fields.iter().map(|f| f.name).collect();
        assert_eq!(keys, expected);
        assert_eq!(data["manager"], json!(row_id(account, "hris.Employee", "3").to_string()));
        assert_eq!(
            data["employments"],
            json!([
                row_id(account, "hris.Employment", "e1").to_string(),
                row_id(account, "hris.Employment", "2").to_string()
            ])
        );
        assert_eq!(data["ssn"], Value::Null, "disabled by scope");
        assert_eq!(row.enum_origins.as_deref(), Some(r#"{"gender":"Female"}"#), "its origin goes too");
        assert_eq!(row.remote_data, None, "payloads of a model with disabled fields are not kept");
        assert_eq!(data["start_date"], json!("2020-01-02T00:00:00Z"));
        assert_eq!(row.id, row_id(account, "hris.Employee", "7").to_string());
        // Same content, same hash; any change, another.
        assert_eq!(normalize(account, spec, &record, &scopes).content_hash, row.content_hash);
        record.fields.insert("first_name", json!("Ada B."));
        assert_ne!(normalize(account, spec, &record, &scopes).content_hash, row.content_hash);

        let off = Scopes::from_json(
            &json!({"category_common_model_scopes": {"hris": [{"model_name": "Employee", "model_permissions": {"READ": {"is_enabled": false}}}]}}),
            "hris",
        );
        assert!(!off.model_enabled("hris.Employee"));
        assert!(off.model_enabled("hris.Company"));
    }
}
