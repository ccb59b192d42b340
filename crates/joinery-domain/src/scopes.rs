//! Common Model Scopes: which models and fields a linked account shares, as its link token set
//! them. The sync stores disabled fields as null and skips disabled models; sync-status reports
//! those models as DISABLED.

use std::collections::HashSet;

use serde_json::Value;

/// The account's scopes from its link token: disabled models and fields.
#[derive(Debug, Default)]
pub struct Scopes {
    disabled_models: HashSet<String>,
    /// (model id, field)
    disabled_fields: HashSet<(String, String)>,
}

impl Scopes {
    /// Reads `{"common_models": [...], "category_common_model_scopes": {...}}` as stored from
    /// the link token (Merge's two formats).
    pub fn from_json(scopes: &Value, category: &str) -> Self {
        let mut out = Scopes::default();
        for scope in scopes.get("common_models").and_then(Value::as_array).into_iter().flatten() {
            let Some(model_id) = scope.get("model_id").and_then(Value::as_str) else { continue };
            let reads = scope
                .get("enabled_actions")
                .and_then(Value::as_array)
                .is_none_or(|actions| actions.iter().any(|a| a == "READ"));
            if !reads {
                out.disabled_models.insert(model_id.to_owned());
            }
            for field in scope.get("disabled_fields").and_then(Value::as_array).into_iter().flatten() {
                if let Some(field) = field.as_str() {
                    out.disabled_fields.insert((model_id.to_owned(), field.to_owned()));
                }
            }
        }
        let per_category = scopes.get("category_common_model_scopes").and_then(|c| c.get(category));
        for scope in per_category.and_then(Value::as_array).into_iter().flatten() {
            let Some(name) = scope.get("model_name").and_then(Value::as_str) else { continue };
            let model_id = format!("{category}.{name}");
            let read = scope.get("model_permissions").and_then(|p| p.get("READ")).and_then(|r| r.get("is_enabled"));
            if read == Some(&Value::Bool(false)) {
                out.disabled_models.insert(model_id.clone());
            }
            let fields = scope.get("field_permissions").and_then(|f| f.get("disabled_fields"));
            for field in fields.and_then(Value::as_array).into_iter().flatten() {
                if let Some(field) = field.as_str() {
                    out.disabled_fields.insert((model_id.clone(), field.to_owned()));
                }
            }
        }
        out
    }

    pub fn model_enabled(&self, model_id: &str) -> bool {
        !self.disabled_models.contains(model_id)
    }

    /// Whether the account switched off any field of the model.
    pub fn has_disabled_fields(&self, model_id: &str) -> bool {
        self.disabled_fields.iter().any(|(model, _)| model == model_id)
    }

    /// The fields of the model the account switched off.
    pub fn disabled_fields_of(&self, model_id: &str) -> Vec<String> {
        self.disabled_fields.iter().filter(|(model, _)| model == model_id).map(|(_, field)| field.clone()).collect()
    }

    pub fn field_enabled(&self, model_id: &str, field: &str) -> bool {
        !self.disabled_fields.contains(&(model_id.to_owned(), field.to_owned()))
    }
}
