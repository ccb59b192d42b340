//! Linked accounts: the organization-wide list, and the account behind an account token
//! (`account-details`, `delete-account`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use joinery_domain::Category;
use joinery_domain::integrations::{self, Integration};
use joinery_storage::{AccountPosition, LinkedAccount, LinkedAccountFilter, now_micros, status};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::AppStateInner;
use crate::datetime::iso8601;
use crate::error::ApiError;
use crate::extract::{AccountAuth, OrgAuth, RawQuery};
use crate::openapi::ErrorDetail;
use crate::pagination::{Page, page_size};
use crate::routes::link_token::CategoryPath;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(account_details)).routes(routes!(delete_account))
}

/// Merge's `AccountDetailsAndActionsIntegration`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountIntegrationSummary {
    pub name: &'static str,
    pub categories: Vec<&'static str>,
    pub image: String,
    pub square_image: String,
    pub color: &'static str,
    pub slug: &'static str,
    pub passthrough_available: bool,
    #[schema(value_type = Vec<Object>)]
    pub available_model_operations: Vec<Value>,
}

/// Merge's `AccountDetailsAndActions`: a linked account as the organization sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountDetailsAndActions {
    pub id: String,
    pub category: String,
    /// `COMPLETE`, `INCOMPLETE`, `RELINK_NEEDED` or `IDLE`.
    pub status: String,
    /// Why the account needs attention; empty when it does not.
    pub status_detail: String,
    pub end_user_origin_id: String,
    pub end_user_organization_name: String,
    pub end_user_email_address: String,
    /// The tenant or domain the end user gave access to; empty when the provider has none.
    pub subdomain: String,
    /// Joinery has no third-party webhook receivers yet: always empty.
    pub webhook_listener_url: String,
    /// Whether another of the organization's accounts links the same provider instance.
    pub is_duplicate: Option<bool>,
    pub integration: AccountIntegrationSummary,
    /// `PRODUCTION` (Joinery has no test accounts).
    pub account_type: &'static str,
    pub completed_at: String,
    #[schema(value_type = Object)]
    pub integration_specific_fields: Map<String, Value>,
}

/// Merge's `AccountDetails`: the account behind an account token.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountDetails {
    pub id: String,
    /// The integration's name.
    pub integration: String,
    pub integration_slug: String,
    pub category: String,
    pub end_user_origin_id: String,
    pub end_user_organization_name: String,
    pub end_user_email_address: String,
    pub status: String,
    /// Joinery has no third-party webhook receivers yet: left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_listener_url: Option<String>,
    pub is_duplicate: Option<bool>,
    pub account_type: &'static str,
    pub completed_at: Option<String>,
    /// The provider instance (company, tenant) the account links.
    pub instance_id: String,
    pub instance_display_value: String,
}

fn integration_of(account: &LinkedAccount) -> Result<&'static Integration, ApiError> {
    integrations::find(&account.integration)
        .ok_or_else(|| ApiError::Internal(format!("linked account {} has unknown integration", account.id)))
}

fn details_and_actions(state: &AppStateInner, account: LinkedAccount) -> Result<AccountDetailsAndActions, ApiError> {
    let i = integration_of(&account)?;
    let status = account.effective_status(now_micros()).to_owned();
    Ok(AccountDetailsAndActions {
        id: account.id.to_string(),
        category: account.category,
        status,
        status_detail: account.status_detail.unwrap_or_default(),
        end_user_origin_id: account.end_user_origin_id,
        end_user_organization_name: account.end_user_organization_name,
        end_user_email_address: account.end_user_email_address,
        subdomain: account.subdomain.unwrap_or_default(),
        webhook_listener_url: String::new(),
        is_duplicate: Some(account.is_duplicate),
        integration: AccountIntegrationSummary {
            name: i.name,
            categories: i.categories.iter().map(|c| c.as_str()).collect(),
            image: state.url(&format!("/assets/integrations/{}/image.svg", i.slug)),
            square_image: state.url(&format!("/assets/integrations/{}/square_image.svg", i.slug)),
            color: i.color,
            slug: i.slug,
            passthrough_available: false,
            available_model_operations: Vec::new(),
        },
        account_type: "PRODUCTION",
        completed_at: iso8601(account.completed_at.unwrap_or(account.created_at)),
        integration_specific_fields: Map::new(),
    })
}

/// Opaque keyset cursors: `k` (after) or `b` (before) a (created_at, id).
fn encode_cursor(kind: char, created_at: i64, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}{created_at}.{id}"))
}

fn decode_cursor(raw: &str) -> Option<AccountPosition> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(raw.trim()).ok()?).ok()?;
    let (kind, rest) = text.split_at_checked(1)?;
    let (created_at, id) = rest.split_once('.')?;
    let (created_at, id) = (created_at.parse().ok()?, Uuid::parse_str(id).ok()?);
    match kind {
        "k" => Some(AccountPosition::After(created_at, id)),
        "b" => Some(AccountPosition::Before(created_at, id)),
        _ => None,
    }
}

/// A comma-separated list parameter (Merge's `ids`, `end_user_origin_ids`).
fn list_param(query: &RawQuery, name: &str) -> Option<Vec<String>> {
    query.get(name).map(|raw| raw.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
}

fn uuid_param(name: &str, raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw.trim()).map_err(|_| ApiError::field(name, format!("\"{raw}\" is not a valid UUID.")))
}

fn bool_param(name: &str, raw: &str) -> Result<bool, ApiError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(ApiError::field(name, "Must be a valid boolean.")),
    }
}

fn filter_from(query: &RawQuery) -> Result<LinkedAccountFilter, ApiError> {
    let mut filter = LinkedAccountFilter::default();
    if let Some(raw) = query.get("category") {
        let category = Category::parse(raw.trim())
            .ok_or_else(|| ApiError::field("category", format!("\"{raw}\" is not a valid choice.")))?;
        filter.category = Some(category.as_str().to_owned());
    }
    filter.end_user_email_address = query.get("end_user_email_address").map(str::to_owned);
    filter.end_user_organization_name = query.get("end_user_organization_name").map(str::to_owned);
    let mut origin_ids = list_param(query, "end_user_origin_ids").unwrap_or_default();
    origin_ids.extend(query.get("end_user_origin_id").map(str::to_owned));
    filter.end_user_origin_ids =
        (query.get("end_user_origin_ids").is_some() || query.get("end_user_origin_id").is_some()).then_some(origin_ids);
    let mut ids = Vec::new();
    for raw in list_param(query, "ids").unwrap_or_default() {
        ids.push(uuid_param("ids", &raw)?);
    }
    let id = query.get("id").map(|raw| uuid_param("id", raw)).transpose()?;
    ids.extend(id);
    filter.ids = (query.get("ids").is_some() || id.is_some()).then_some(ids);
    if let Some(raw) = query.get("integration_name") {
        // Merge filters by the integration's name; slugs are accepted too.
        let wanted = raw.trim();
        let slugs: Vec<String> = integrations::CATALOGUE
            .iter()
            .filter(|i| i.name.eq_ignore_ascii_case(wanted) || i.slug.eq_ignore_ascii_case(wanted))
            .map(|i| i.slug.to_owned())
            .collect();
        filter.integrations = Some(slugs);
    }
    // Merge: "If included, will only include test linked accounts."
    filter.is_test_account = query.get("is_test_account").is_some();
    if let Some(raw) = query.get("status") {
        let value = raw.trim().to_ascii_uppercase();
        if !status::ALL.contains(&value.as_str()) {
            return Err(ApiError::field("status", format!("\"{raw}\" is not a valid choice.")));
        }
        filter.status = Some(value);
    }
    if let Some(raw) = query.get("include_duplicates")
        && bool_param("include_duplicates", raw)?
    {
        filter.duplicates_of = Some(id.ok_or_else(|| {
            ApiError::field("include_duplicates", "Requires the id parameter: duplicates of which linked account?")
        })?);
    }
    Ok(filter)
}

/// List the organization's linked accounts, oldest first.
#[utoipa::path(get, path = "/api/{category}/v1/linked-accounts", tag = "linked-accounts",
    params(
        ("category" = String, Path, description = "Any Merge category; it does not filter (use the `category` parameter)"),
        ("category" = Option<String>, Query, description = "hris, ats, accounting, ticketing, crm, mktg, filestorage"),
        ("end_user_email_address" = Option<String>, Query),
        ("end_user_organization_name" = Option<String>, Query),
        ("end_user_origin_id" = Option<String>, Query),
        ("end_user_origin_ids" = Option<String>, Query, description = "Comma-separated"),
        ("id" = Option<String>, Query),
        ("ids" = Option<String>, Query, description = "Comma-separated"),
        ("include_duplicates" = Option<bool>, Query, description = "With `id`: also the accounts linking the same provider instance"),
        ("integration_name" = Option<String>, Query),
        ("is_test_account" = Option<String>, Query, description = "If included, only test accounts (Joinery has none)"),
        ("status" = Option<String>, Query, description = "COMPLETE, INCOMPLETE, RELINK_NEEDED, IDLE"),
        ("cursor" = Option<String>, Query),
        ("page_size" = Option<i64>, Query),
    ),
    responses(
        (status = 200, body = Page<AccountDetailsAndActions>),
        (status = 400, description = "A parameter is invalid; it is named", body = Object),
        (status = 401, body = ErrorDetail),
    ))]
async fn list(
    State(state): State<AppState>,
    _category: CategoryPath,
    auth: OrgAuth,
    query: RawQuery,
) -> Result<Json<Page<AccountDetailsAndActions>>, ApiError> {
    let limit = page_size(&query)?;
    let position = match query.get("cursor").filter(|c| !c.is_empty()) {
        None => AccountPosition::Start,
        Some(cursor) => decode_cursor(cursor).ok_or_else(|| ApiError::field("cursor", "Invalid cursor."))?,
    };
    let filter = filter_from(&query)?;
    let mut rows = state.storage.list_linked_accounts(auth.organization_id, &filter, &position, limit as i64).await?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let backwards = matches!(position, AccountPosition::Before(..));
    let next = (if backwards { !rows.is_empty() } else { more })
        .then(|| rows.last().map(|a| encode_cursor('k', a.created_at, a.id)))
        .flatten();
    let previous = (if backwards { more } else { position != AccountPosition::Start })
        .then(|| rows.first().map(|a| encode_cursor('b', a.created_at, a.id)))
        .flatten();
    let results = rows.into_iter().map(|a| details_and_actions(&state, a)).collect::<Result<Vec<_>, _>>()?;
    Ok(Json(Page { next, previous, results }))
}

/// The linked account behind the account token.
#[utoipa::path(get, path = "/api/{category}/v1/account-details", tag = "linked-accounts",
    params(("category" = String, Path), ("X-Account-Token" = String, Header)),
    responses((status = 200, body = AccountDetails), (status = 401, body = ErrorDetail)))]
async fn account_details(
    State(state): State<AppState>,
    _category: CategoryPath,
    auth: AccountAuth,
) -> Result<Json<AccountDetails>, ApiError> {
    // The account as it is now: authentication may have come from a second-old memory, and a
    // sync may have changed the status since.
    let account = state
        .storage
        .find_linked_account(auth.account.id)
        .await?
        .ok_or(ApiError::Unauthorized("Invalid X-Account-Token."))?;
    let i = integration_of(&account)?;
    let status = account.effective_status(now_micros()).to_owned();
    Ok(Json(AccountDetails {
        id: account.id.to_string(),
        integration: i.name.to_owned(),
        integration_slug: i.slug.to_owned(),
        category: account.category,
        end_user_origin_id: account.end_user_origin_id,
        end_user_organization_name: account.end_user_organization_name,
        end_user_email_address: account.end_user_email_address,
        status,
        webhook_listener_url: None,
        is_duplicate: Some(account.is_duplicate),
        account_type: "PRODUCTION",
        completed_at: account.completed_at.map(iso8601),
        instance_id: account.instance_id,
        instance_display_value: account.instance_display_value,
    }))
}

/// Delete the linked account: its credentials, tokens and every row synced for it. The account
/// token stops working at once.
#[utoipa::path(post, path = "/api/{category}/v1/delete-account", tag = "linked-accounts",
    params(("category" = String, Path), ("X-Account-Token" = String, Header)),
    responses((status = 200, description = "Deleted; empty body"), (status = 401, body = ErrorDetail)))]
async fn delete_account(
    State(state): State<AppState>,
    _category: CategoryPath,
    auth: AccountAuth,
) -> Result<StatusCode, ApiError> {
    state.storage.delete_linked_account(auth.account.id).await?;
    // Its token stops working here at once (other processes forget it within a second).
    state.account_cache.clear();
    tracing::info!(linked_account = %auth.account.id, "linked account deleted");
    Ok(StatusCode::OK)
}
