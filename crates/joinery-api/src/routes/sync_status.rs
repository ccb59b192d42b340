//! `GET /api/{category}/v1/sync-status` and `POST /api/{category}/v1/sync-status/resync`: the
//! per-model sync state of the account behind the account token, and a forced resync.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use joinery_domain::models;
use joinery_domain::scopes::Scopes;
use joinery_storage::{LinkedAccount, now_micros};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::datetime::iso8601;
use crate::error::ApiError;
use crate::extract::{AccountAuth, RawQuery};
use crate::openapi::ErrorDetail;
use crate::pagination::{OffsetPage, Page};
use crate::routes::link_token::CategoryPath;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(resync))
}

/// Merge's `SyncStatus`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncStatus {
    pub model_name: &'static str,
    pub model_id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_sync_start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_sync_finished: Option<String>,
    /// `DONE` or `FAILED`, once a sync of the model finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_sync_result: Option<String>,
    /// `SYNCING`, `DONE`, `FAILED`, `DISABLED`, `PAUSED` or `PARTIALLY_SYNCED`.
    pub status: String,
    pub is_initial_sync: bool,
}

/// The models the account's connector syncs, with their recorded state.
async fn statuses(state: &AppState, account: &LinkedAccount, syncing: bool) -> Result<Vec<SyncStatus>, ApiError> {
    let Some(connector) = joinery_connectors::find(&account.integration) else { return Ok(Vec::new()) };
    let recorded = state.storage.model_sync_statuses(account.id).await?;
    let active = state.storage.active_sync_job(account.id).await?.is_some();
    let scopes = Scopes::from_json(&account.scopes.0, &account.category);
    Ok(connector
        .sync_models()
        .iter()
        .filter_map(|model_id| models::by_model_id(model_id))
        .map(|spec| {
            let row = recorded.iter().find(|r| r.model == spec.model_id);
            let status = match row {
                _ if account.are_syncs_disabled || !scopes.model_enabled(spec.model_id) => "DISABLED".to_owned(),
                _ if syncing => "SYNCING".to_owned(),
                Some(r) => r.status.clone(),
                // Not started yet: queued, or waiting for the first job.
                None if active => "SYNCING".to_owned(),
                None => "PAUSED".to_owned(),
            };
            SyncStatus {
                model_name: spec.name,
                model_id: spec.model_id,
                last_sync_start: row.and_then(|r| r.last_sync_start).map(iso8601),
                last_sync_finished: row.and_then(|r| r.last_sync_finished).map(iso8601),
                last_sync_result: row.and_then(|r| r.last_sync_result.clone()),
                status,
                is_initial_sync: row.is_none_or(|r| r.is_initial_sync),
            }
        })
        .collect())
}

/// Get the sync status of each common model the linked account's integration syncs.
#[utoipa::path(get, path = "/api/{category}/v1/sync-status", tag = "sync-status",
    params(("category" = String, Path), ("X-Account-Token" = String, Header),
        ("cursor" = Option<String>, Query), ("page_size" = Option<i64>, Query)),
    responses((status = 200, body = Page<SyncStatus>), (status = 401, body = ErrorDetail)))]
async fn list(
    State(state): State<AppState>,
    _category: CategoryPath,
    auth: AccountAuth,
    query: RawQuery,
) -> Result<Json<Page<SyncStatus>>, ApiError> {
    let page = OffsetPage::from_query(&query)?;
    Ok(Json(page.apply(statuses(&state, &auth.account, false).await?)))
}

/// Force a resync of every model of the linked account. Returns the models' statuses.
#[utoipa::path(post, path = "/api/{category}/v1/sync-status/resync", tag = "sync-status",
    params(("category" = String, Path), ("X-Account-Token" = String, Header)),
    responses(
        (status = 200, body = Vec<SyncStatus>),
        (status = 400, description = "Syncs are disabled for this account", body = ErrorDetail),
        (status = 401, body = ErrorDetail),
    ))]
async fn resync(
    State(state): State<AppState>,
    _category: CategoryPath,
    auth: AccountAuth,
) -> Result<Json<Vec<SyncStatus>>, ApiError> {
    if auth.account.are_syncs_disabled {
        return Err(ApiError::detail(StatusCode::BAD_REQUEST, "Syncs are disabled for this linked account."));
    }
    let now = now_micros();
    // Already queued or running: that sync serves this request too.
    state.storage.enqueue_sync(auth.account.id, "FORCED", now, now).await?;
    tracing::info!(linked_account = %auth.account.id, "resync requested");
    Ok(Json(statuses(&state, &auth.account, true).await?))
}
