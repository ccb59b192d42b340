//! A connector's record → a stored row: fields in the model's order, relations as Joinery ids,
//! datetimes in one format, fields disabled by the account's scopes as null, and a content hash.

use joinery_connectors::RemoteRecord;
use joinery_domain::models::{self, FieldKind, ModelSpec, row_id};
pub use joinery_domain::scopes::Scopes;
use joinery_storage::RowWrite;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// A provider date or datetime as `YYYY-MM-DDTHH:MM:SSZ` (UTC), the stored form that filters
/// compare as text; anything unreadable is null.
pub fn datetime(value: &Value) -> Value {
    let Some(text) = value.as_str().map(str::trim) else { return Value::Null };
    let parsed = OffsetDateTime::parse(text, &Rfc3339).ok().or_else(|| {
        let date = Date::parse(text.get(..10)?, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
        (text.len() == 10).then(|| date.midnight().assume_utc())
    });
    parsed.map_or(Value::Null, |t| Value::String(models::stored_datetime(t)))
}

fn reference(account: Uuid, category: joinery_domain::Category, target: &str, remote: &Value) -> Value {
    let remote = match remote {
        Value::String(s) if !s.is_empty() => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Value::Null,
    };
    match models::by_name(category, target) {
        Some(spec) => Value::String(row_id(account, spec.model_id, &remote).to_string()),
        None => Value::Null,
    }
}

pub fn normalize(account: Uuid, spec: &'static ModelSpec, record: &RemoteRecord, scopes: &Scopes) -> RowWrite {
    let mut data = Map::with_capacity(spec.fields.len());
    for field in spec.fields {
        let raw = record.fields.get(field.name).cloned().unwrap_or(Value::Null);
        let value = if !scopes.field_enabled(spec.model_id, field.name) {
            Value::Null
        } else {
            match field.kind {
                FieldKind::Ref(target) => reference(account, spec.category, target, &raw),
                FieldKind::RefList(target) => Value::Array(
                    raw.as_array()
                        .into_iter()
                        .flatten()
                        .map(|v| reference(account, spec.category, target, v))
                        .filter(|v| !v.is_null())
                        .collect(),
                ),
                FieldKind::DateTime => datetime(&raw),
                _ => raw,
            }
        };
        data.insert(field.name.to_owned(), value);
    }
    let data = Value::Object(data).to_string();
    // A disabled field's raw value must not survive elsewhere: its enum origin is dropped, and
    // the provider payloads (which cannot be scrubbed field by field) of a model with disabled
    // fields are not kept at all.
    let origins: Map<String, Value> = record
        .enum_origins
        .iter()
        .filter(|(name, _)| scopes.field_enabled(spec.model_id, name))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let enum_origins = (!origins.is_empty()).then(|| Value::Object(origins).to_string());
    let keep_remote_data = !record.remote_data.is_empty() && !scopes.has_disabled_fields(spec.model_id);
    let remote_data = keep_remote_data.then(|| Value::Array(record.remote_data.clone()).to_string());
    let mut hash = Sha256::new();
    for part in [Some(&data), enum_origins.as_ref(), remote_data.as_ref()] {
        hash.update(part.map_or(&b""[..], |p| p.as_bytes()));
        hash.update([0]);
    }
    RowWrite {
        id: row_id(account, spec.model_id, &record.remote_id).to_string(),
        linked_account_id: account,
        model: spec.model_id,
        remote_id: record.remote_id.clone(),
        data,
        enum_origins,
        remote_data,
        content_hash: hash.finalize().into(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn datetimes_are_normalized() {
        assert_eq!(datetime(&json!("2020-01-02")), json!("2020-01-02T00:00:00Z"));
        assert_eq!(datetime(&json!("2020-01-02T10:00:00+02:00")), json!("2020-01-02T08:00:00Z"));
        assert_eq!(datetime(&json!("0000-00-00")), Value::Null);
        assert_eq!(datetime(&json!("soon")), Value::Null);
        assert_eq!(datetime(&Value::Null), Value::Null);
    }

    #[test]
    fn records_become_rows_in_model_order_with_ids_and_scopes() {
        let spec = models::by_model_id("hris.Employee").unwrap();
        let account = Uuid::now_v7();
        let mut record = RemoteRecord { remote_id: "7".into(), ..Default::default() };
        record.fields.insert("manager".into(), json!("3"));
        record.fields.insert("first_name".into(), json!("Ada"));
        record.fields.insert("ssn".into(), json!("123"));
        record.fields.insert("start_date".into(), json!("2020-01-02"));
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
        assert_eq!(data["ssn"], Value::Null, "disabled by scope");
        assert_eq!(data["start_date"], json!("2020-01-02T00:00:00Z"));
        assert_eq!(row.id, row_id(account, "hris.Employee", "7").to_string());
        // Same content, same hash; any change, another.
        assert_eq!(normalize(account, spec, &record, &scopes).content_hash, row.content_hash);
        record.fields.insert("first_name".into(), json!("Ada B."));
        assert_ne!(normalize(account, spec, &record, &scopes).content_hash, row.content_hash);

        let off = Scopes::from_json(
            &json!({"category_common_model_scopes": {"hris": [{"model_name": "Employee", "model_permissions": {"READ": {"is_enabled": false}}}]}}),
            "hris",
        );
        assert!(!off.model_enabled("hris.Employee"));
        assert!(off.model_enabled("hris.Company"));
    }
}
