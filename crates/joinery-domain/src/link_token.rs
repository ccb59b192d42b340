//! `POST /api/{category}/v1/link-token`: Merge's `EndUserDetailsRequest`, validated field by field.
//!
//! The validated request is what a link token records: the Link flow reads it back to know the end
//! user, the categories and integration to offer, the language and the scopes to apply.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::Category;
use crate::common_models;
use crate::integrations::{self, Integration};
use crate::validation::{
    FieldErrors, NULL_CHARACTERS, Text, as_text, choice, field_bool, field_choice, field_free_object, field_int,
    field_list, field_object, field_text, field_uuid, not_a_dict, python_type,
};

pub const DEFAULT_EXPIRY_MINS: i64 = 30;
pub const MIN_EXPIRY_MINS: i64 = 30;
pub const MAX_EXPIRY_MINS: i64 = 720;
pub const MAX_MAGIC_LINK_EXPIRY_MINS: i64 = 10080;
/// Length limits of the end-user identity fields.
pub const END_USER_FIELD_MAX: usize = 100;

pub const LANGUAGES: &[&str] = &["en", "de"];
pub const ACTIONS: &[&str] = &["READ", "WRITE"];
pub const INITIAL_SCREENS: &[&str] = &["SELECTIVE_SYNC"];

/// `CommonModelScopesBodyRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommonModelScope {
    pub model_id: String,
    pub enabled_actions: Vec<String>,
    pub disabled_fields: Vec<String>,
}

/// `ModelPermissionDeserializerRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelPermission {
    pub is_enabled: Option<bool>,
}

/// `FieldPermissionDeserializerRequest`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldPermissions {
    pub enabled_fields: Vec<String>,
    pub disabled_fields: Vec<String>,
}

/// `IndividualCommonModelScopeDeserializerRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelScope {
    pub model_name: String,
    pub model_permissions: Option<BTreeMap<String, ModelPermission>>,
    pub field_permissions: Option<FieldPermissions>,
}

/// A validated link-token request, with defaults applied. Stored as JSON with absent optional
/// members left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkTokenRequest {
    pub end_user_email_address: String,
    pub end_user_organization_name: String,
    pub end_user_origin_id: String,
    pub categories: Vec<Category>,
    /// Slug of the pre-selected integration (canonical lowercase form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration: Option<String>,
    pub link_expiry_mins: i64,
    pub should_create_magic_link_url: bool,
    pub hide_admin_magic_link: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_models: Option<Vec<CommonModelScope>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_common_model_scopes: Option<BTreeMap<Category, Vec<ModelScope>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub are_syncs_disabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_specific_config: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_account_initial_screen: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_destination_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_id: Option<Uuid>,
    pub ekm_enabled: bool,
}

impl LinkTokenRequest {
    pub fn integration(&self) -> Option<&'static Integration> {
        self.integration.as_deref().and_then(integrations::find)
    }
}

/// Validates a request body. `integration_enabled(slug)` says whether the calling organization
/// has that integration enabled.
pub fn parse(body: &Value, integration_enabled: impl Fn(&str) -> bool) -> Result<LinkTokenRequest, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Value::Object(obj) = body else {
        errors.add("non_field_errors", not_a_dict(body));
        return Err(errors);
    };
    let identity = Text::required(1, END_USER_FIELD_MAX);
    let email = field_text(obj, "end_user_email_address", identity, &mut errors);
    let org_name = field_text(obj, "end_user_organization_name", identity, &mut errors);
    let origin_id = field_text(obj, "end_user_origin_id", identity, &mut errors);
    let categories = parse_categories(obj, &mut errors);

    let magic = field_bool(obj, "should_create_magic_link_url", true, &mut errors).unwrap_or(false);
    let max_expiry = if magic { MAX_MAGIC_LINK_EXPIRY_MINS } else { MAX_EXPIRY_MINS };
    let expiry = field_int(obj, "link_expiry_mins", true, (MIN_EXPIRY_MINS, max_expiry), &mut errors)
        .unwrap_or(DEFAULT_EXPIRY_MINS);
    let hide_admin_magic_link = field_bool(obj, "hide_admin_magic_link", true, &mut errors).unwrap_or(false);
    let are_syncs_disabled = field_bool(obj, "are_syncs_disabled", true, &mut errors).unwrap_or(false);
    let ekm_enabled = field_bool(obj, "ekm_enabled", true, &mut errors).unwrap_or(false);
    let language = field_choice(obj, "language", true, LANGUAGES, &mut errors).map(str::to_owned);
    let initial_screen =
        field_choice(obj, "completed_account_initial_screen", true, INITIAL_SCREENS, &mut errors).map(str::to_owned);
    let linked_destination_id = field_uuid(obj, "linked_destination_id", &mut errors);
    let credential_id = field_uuid(obj, "credential_id", &mut errors);
    let integration_specific_config = field_free_object(obj, "integration_specific_config", &mut errors);
    let common_models = parse_common_models(obj, &mut errors);
    let category_scopes = parse_category_scopes(obj, &mut errors);

    let integration = field_text(obj, "integration", Text::optional(), &mut errors).and_then(|slug| {
        let Some(found) = integrations::find(&slug) else {
            errors.add("integration", format!("\"{slug}\" is not a valid integration."));
            return None;
        };
        if !integration_enabled(found.slug) {
            errors.add("integration", format!("\"{}\" is not enabled for your organization.", found.slug));
            return None;
        }
        if let Some(categories) = &categories
            && !found.serves_any(categories)
        {
            let wanted: Vec<&str> = categories.iter().map(|c| c.as_str()).collect();
            errors.add(
                "integration",
                format!("\"{}\" does not serve any of the requested categories ({}).", found.slug, wanted.join(", ")),
            );
            return None;
        }
        Some(found.slug.to_owned())
    });

    errors.finish(|| LinkTokenRequest {
        end_user_email_address: email.expect("checked"),
        end_user_organization_name: org_name.expect("checked"),
        end_user_origin_id: origin_id.expect("checked"),
        categories: categories.expect("checked"),
        integration,
        link_expiry_mins: expiry,
        should_create_magic_link_url: magic,
        hide_admin_magic_link,
        common_models,
        category_common_model_scopes: category_scopes,
        language,
        are_syncs_disabled,
        integration_specific_config,
        completed_account_initial_screen: initial_screen,
        linked_destination_id,
        credential_id,
        ekm_enabled,
    })
}

const CATEGORY_CHOICES: &[&str] =
    &["hris", "ats", "accounting", "ticketing", "crm", "mktg", "filestorage", "knowledgebase"];

fn parse_categories(obj: &Map<String, Value>, errors: &mut FieldErrors) -> Option<Vec<Category>> {
    let items = field_list(obj, "categories", true, false, false, errors)?;
    let mut item_errors = FieldErrors::new();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match choice(item, CATEGORY_CHOICES) {
            Ok(c) => {
                let c = Category::parse(c).expect("choices are categories");
                if !out.contains(&c) {
                    out.push(c);
                }
            }
            Err(msg) => item_errors.add(&i.to_string(), msg),
        }
    }
    if item_errors.is_empty() {
        Some(out)
    } else {
        errors.nest("categories", item_errors);
        None
    }
}

/// Reads a list of strings (field names), recording per-index errors.
fn string_list(obj: &Map<String, Value>, field: &str, required: bool, errors: &mut FieldErrors) -> Option<Vec<String>> {
    let items = field_list(obj, field, required, false, true, errors)?;
    let mut item_errors = FieldErrors::new();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match as_text(item) {
            Some(s) if s.contains('\0') => item_errors.add(&i.to_string(), NULL_CHARACTERS),
            Some(s) if !s.is_empty() => out.push(s),
            Some(_) => item_errors.add(&i.to_string(), crate::validation::NOT_BLANK),
            None => item_errors.add(&i.to_string(), "Not a valid string."),
        }
    }
    if item_errors.is_empty() {
        Some(out)
    } else {
        errors.nest(field, item_errors);
        None
    }
}

/// `model_id` is `"<category>.<ModelName>"`, e.g. `hris.Employee`.
fn check_model_id(model_id: &str) -> Result<(), String> {
    let known = model_id
        .split_once('.')
        .and_then(|(cat, name)| Category::parse(cat).map(|c| (c, name)))
        .is_some_and(|(c, name)| common_models::is_known_model(c, name));
    if known {
        Ok(())
    } else {
        Err(format!("\"{model_id}\" is not a valid model id; expected \"<category>.<Model>\", e.g. \"hris.Employee\"."))
    }
}

fn parse_common_models(obj: &Map<String, Value>, errors: &mut FieldErrors) -> Option<Vec<CommonModelScope>> {
    let items = field_list(obj, "common_models", false, true, true, errors)?;
    let mut list_errors = FieldErrors::new();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Value::Object(scope) = item else {
            list_errors.add(&i.to_string(), not_a_dict(item));
            continue;
        };
        let mut e = FieldErrors::new();
        let model_id = field_text(scope, "model_id", Text::required(1, 200), &mut e);
        if let Some(id) = &model_id
            && let Err(msg) = check_model_id(id)
        {
            e.add("model_id", msg);
        }
        let actions = field_list(scope, "enabled_actions", true, false, true, &mut e).and_then(|items| {
            let mut action_errors = FieldErrors::new();
            let mut actions = Vec::new();
            for (j, a) in items.iter().enumerate() {
                match choice(a, ACTIONS) {
                    Ok(a) if !actions.iter().any(|x: &String| x == a) => actions.push(a.to_owned()),
                    Ok(_) => {}
                    Err(msg) => action_errors.add(&j.to_string(), msg),
                }
            }
            let ok = action_errors.is_empty();
            e.nest("enabled_actions", action_errors);
            ok.then_some(actions)
        });
        let disabled = string_list(scope, "disabled_fields", true, &mut e);
        if e.is_empty() {
            out.push(CommonModelScope {
                model_id: model_id.expect("checked"),
                enabled_actions: actions.expect("checked"),
                disabled_fields: disabled.expect("checked"),
            });
        } else {
            list_errors.nest(&i.to_string(), e);
        }
    }
    if list_errors.is_empty() {
        Some(out)
    } else {
        errors.nest("common_models", list_errors);
        None
    }
}

fn parse_category_scopes(
    obj: &Map<String, Value>,
    errors: &mut FieldErrors,
) -> Option<BTreeMap<Category, Vec<ModelScope>>> {
    let map = field_object(obj, "category_common_model_scopes", false, true, errors)?;
    let mut map_errors = FieldErrors::new();
    let mut out = BTreeMap::new();
    for (key, scopes) in map {
        let Some(category) = Category::parse(key) else {
            map_errors.add(key, format!("\"{key}\" is not a valid category."));
            continue;
        };
        let scopes = match scopes {
            Value::Null => Vec::new(),
            Value::Array(items) => {
                let mut list_errors = FieldErrors::new();
                let mut parsed = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match parse_model_scope(category, item) {
                        Ok(s) => parsed.push(s),
                        Err(e) => list_errors.nest(&i.to_string(), e),
                    }
                }
                if !list_errors.is_empty() {
                    map_errors.nest(key, list_errors);
                    continue;
                }
                parsed
            }
            other => {
                map_errors.add(key, format!("Expected a list of items but got type \"{}\".", python_type(other)));
                continue;
            }
        };
        out.insert(category, scopes);
    }
    if map_errors.is_empty() {
        Some(out)
    } else {
        errors.nest("category_common_model_scopes", map_errors);
        None
    }
}

fn parse_model_scope(category: Category, item: &Value) -> Result<ModelScope, FieldErrors> {
    let mut e = FieldErrors::new();
    let Value::Object(scope) = item else {
        e.add("non_field_errors", not_a_dict(item));
        return Err(e);
    };
    let model_name = field_text(scope, "model_name", Text::required(1, 200), &mut e);
    if let Some(name) = &model_name
        && !common_models::is_known_model(category, name)
    {
        e.add("model_name", format!("\"{name}\" is not a {category} common model."));
    }
    let model_permissions = field_object(scope, "model_permissions", false, true, &mut e).and_then(|perms| {
        let mut perm_errors = FieldErrors::new();
        let mut out = BTreeMap::new();
        for (action, perm) in perms {
            if let Err(msg) = choice(&Value::String(action.clone()), ACTIONS) {
                perm_errors.add(action, msg);
                continue;
            }
            let Value::Object(perm) = perm else {
                perm_errors.add(action, not_a_dict(perm));
                continue;
            };
            let mut pe = FieldErrors::new();
            let is_enabled = field_bool(perm, "is_enabled", true, &mut pe);
            if pe.is_empty() {
                out.insert(action.clone(), ModelPermission { is_enabled });
            } else {
                perm_errors.nest(action, pe);
            }
        }
        let ok = perm_errors.is_empty();
        e.nest("model_permissions", perm_errors);
        ok.then_some(out)
    });
    let field_permissions = field_object(scope, "field_permissions", false, true, &mut e).and_then(|fp| {
        let mut fe = FieldErrors::new();
        let enabled = string_list(fp, "enabled_fields", false, &mut fe).unwrap_or_default();
        let disabled = string_list(fp, "disabled_fields", false, &mut fe).unwrap_or_default();
        let ok = fe.is_empty();
        e.nest("field_permissions", fe);
        ok.then_some(FieldPermissions { enabled_fields: enabled, disabled_fields: disabled })
    });
    e.finish(|| ModelScope { model_name: model_name.expect("checked"), model_permissions, field_permissions })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal() -> Value {
        json!({
            "end_user_email_address": "ada@example.com",
            "end_user_organization_name": "Example Corp",
            "end_user_origin_id": "user-1",
            "categories": ["hris"],
        })
    }

    fn with(extra: Value) -> Value {
        let mut v = minimal();
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        v
    }

    fn errors_of(body: Value) -> Value {
        parse(&body, |_| true).unwrap_err().into_value()
    }

    #[test]
    fn minimal_request_gets_merge_defaults() {
        let r = parse(&minimal(), |_| true).unwrap();
        assert_eq!(r.categories, vec![Category::Hris]);
        assert_eq!(r.link_expiry_mins, 30);
        assert!(!r.should_create_magic_link_url && !r.hide_admin_magic_link && !r.are_syncs_disabled);
        assert_eq!(r.integration, None);
        assert_eq!(r.language, None);
    }

    #[test]
    fn nulls_mean_not_given() {
        let body = with(json!({
            "integration": null, "link_expiry_mins": null, "should_create_magic_link_url": null,
            "hide_admin_magic_link": null, "common_models": null, "category_common_model_scopes": null,
            "language": null, "are_syncs_disabled": null, "integration_specific_config": null,
            "completed_account_initial_screen": null, "linked_destination_id": null, "credential_id": null,
        }));
        assert_eq!(parse(&body, |_| true).unwrap(), parse(&minimal(), |_| true).unwrap());
    }

    #[test]
    fn every_field_is_read() {
        let body = with(json!({
            "categories": ["hris", "ats", "hris"],
            "integration": "BambooHR",
            "link_expiry_mins": 10080,
            "should_create_magic_link_url": true,
            "hide_admin_magic_link": true,
            "common_models": [{"model_id": "hris.Employee", "enabled_actions": ["READ"], "disabled_fields": ["ssn"]}],
            "category_common_model_scopes": {"hris": [{
                "model_name": "Employee",
                "model_permissions": {"READ": {"is_enabled": true}, "WRITE": {"is_enabled": false}},
                "field_permissions": {"enabled_fields": ["first_name"], "disabled_fields": ["ssn"]}
            }]},
            "language": "de",
            "are_syncs_disabled": true,
            "integration_specific_config": {"anything": [1, 2]},
            "completed_account_initial_screen": "SELECTIVE_SYNC",
            "linked_destination_id": "5f0e7e4e-1c43-4f5e-9c39-0b7e0b0f7a11",
            "credential_id": "6f0e7e4e-1c43-4f5e-9c39-0b7e0b0f7a11",
            "ekm_enabled": false,
        }));
        let r = parse(&body, |_| true).unwrap();
        assert_eq!(r.categories, vec![Category::Hris, Category::Ats]);
        assert_eq!(r.integration.as_deref(), Some("bamboohr"));
        assert_eq!(r.link_expiry_mins, 10080);
        assert_eq!(r.language.as_deref(), Some("de"));
        assert_eq!(r.common_models.as_ref().unwrap()[0].disabled_fields, vec!["ssn"]);
        let scopes = &r.category_common_model_scopes.as_ref().unwrap()[&Category::Hris][0];
        assert_eq!(scopes.model_permissions.as_ref().unwrap()["WRITE"].is_enabled, Some(false));
        assert_eq!(scopes.field_permissions.as_ref().unwrap().enabled_fields, vec!["first_name"]);
        // A stored request reads back identically.
        let stored = serde_json::to_value(&r).unwrap();
        assert_eq!(serde_json::from_value::<LinkTokenRequest>(stored).unwrap(), r);
    }

    #[test]
    fn missing_empty_and_too_long_identity_fields() {
        let long = "x".repeat(101);
        let errs = errors_of(json!({
            "end_user_email_address": "",
            "end_user_organization_name": long,
            "categories": [],
        }));
        assert_eq!(
            errs,
            json!({
                "end_user_email_address": ["This field may not be blank."],
                "end_user_organization_name": ["Ensure this field has no more than 100 characters."],
                "end_user_origin_id": ["This field is required."],
                "categories": ["This list may not be empty."],
            })
        );
    }

    #[test]
    fn expiry_range_depends_on_magic_link() {
        assert_eq!(
            errors_of(with(json!({"link_expiry_mins": 721}))),
            json!({"link_expiry_mins": ["Ensure this value is less than or equal to 720."]})
        );
        assert!(parse(&with(json!({"link_expiry_mins": 721, "should_create_magic_link_url": true})), |_| true).is_ok());
        assert_eq!(
            errors_of(with(json!({"link_expiry_mins": 10081, "should_create_magic_link_url": true}))),
            json!({"link_expiry_mins": ["Ensure this value is less than or equal to 10080."]})
        );
        assert_eq!(
            errors_of(with(json!({"link_expiry_mins": 29}))),
            json!({"link_expiry_mins": ["Ensure this value is greater than or equal to 30."]})
        );
        assert_eq!(
            errors_of(with(json!({"link_expiry_mins": "soon"}))),
            json!({"link_expiry_mins": ["A valid integer is required."]})
        );
    }

    #[test]
    fn enums_uuids_and_types() {
        let errs = errors_of(with(json!({
            "categories": ["hris", "payroll"],
            "language": "fr",
            "linked_destination_id": "not-a-uuid",
            "completed_account_initial_screen": "START",
            "are_syncs_disabled": "perhaps",
            "integration_specific_config": "x",
        })));
        assert_eq!(
            errs,
            json!({
                "categories": {"1": ["\"payroll\" is not a valid choice."]},
                "language": ["\"fr\" is not a valid choice."],
                "linked_destination_id": ["Must be a valid UUID."],
                "completed_account_initial_screen": ["\"START\" is not a valid choice."],
                "are_syncs_disabled": ["Must be a valid boolean."],
                "integration_specific_config": ["Expected a dictionary of items but got type \"str\"."],
            })
        );
        assert_eq!(
            errors_of(with(json!({"categories": "hris"}))),
            json!({"categories": ["Expected a list of items but got type \"str\"."]})
        );
        assert_eq!(
            errors_of(json!(["not", "an", "object"])),
            json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]})
        );
    }

    #[test]
    fn integration_must_exist_be_enabled_and_serve_a_requested_category() {
        assert_eq!(
            errors_of(with(json!({"integration": "nope"}))),
            json!({"integration": ["\"nope\" is not a valid integration."]})
        );
        assert_eq!(
            errors_of(with(json!({"integration": "lever"}))),
            json!({"integration": ["\"lever\" does not serve any of the requested categories (hris)."]})
        );
        assert_eq!(
            errors_of(with(json!({"integration": ""}))),
            json!({"integration": ["This field may not be blank."]})
        );
        let disabled = parse(&with(json!({"integration": "bamboohr"})), |slug| slug != "bamboohr");
        assert_eq!(
            disabled.unwrap_err().into_value(),
            json!({"integration": ["\"bamboohr\" is not enabled for your organization."]})
        );
        assert!(parse(&with(json!({"categories": ["ats"], "integration": "lever"})), |_| true).is_ok());
    }

    #[test]
    fn null_characters_are_refused_wherever_they_would_be_stored() {
        let errs = errors_of(with(json!({
            "end_user_origin_id": "user\u{0}1",
            "integration_specific_config": {"k": "v\u{0}"},
            "common_models": [{"model_id": "hris.Employee", "enabled_actions": ["READ"], "disabled_fields": ["a\u{0}"]}],
        })));
        assert_eq!(
            errs,
            json!({
                "end_user_origin_id": ["Null characters are not allowed."],
                "integration_specific_config": ["Null characters are not allowed."],
                "common_models": {"0": {"disabled_fields": {"0": ["Null characters are not allowed."]}}},
            })
        );
    }

    #[test]
    fn scope_errors_point_inside_the_structure() {
        let errs = errors_of(with(json!({
            "common_models": [
                {"model_id": "hris.Employee", "enabled_actions": ["READ"], "disabled_fields": []},
                {"model_id": "Employee", "enabled_actions": ["DELETE"]},
                "x"
            ],
            "category_common_model_scopes": {
                "hris": [{"model_name": "Candidate", "model_permissions": {"READ": {"is_enabled": "maybe"}}}],
                "payroll": []
            }
        })));
        assert_eq!(
            errs,
            json!({
                "common_models": {
                    "1": {
                        "model_id": ["\"Employee\" is not a valid model id; expected \"<category>.<Model>\", e.g. \"hris.Employee\"."],
                        "enabled_actions": {"0": ["\"DELETE\" is not a valid choice."]},
                        "disabled_fields": ["This field is required."]
                    },
                    "2": ["Invalid data. Expected a dictionary, but got str."]
                },
                "category_common_model_scopes": {
                    "hris": {"0": {
                        "model_name": ["\"Candidate\" is not a hris common model."],
                        "model_permissions": {"READ": {"is_enabled": ["Must be a valid boolean."]}}
                    }},
                    "payroll": ["\"payroll\" is not a valid category."]
                }
            })
        );
    }
}
