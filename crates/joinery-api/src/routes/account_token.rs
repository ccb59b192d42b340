//! Exchanging a public token for the account token, and rotating account tokens.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use joinery_domain::tokens::{SplitToken, TokenKind, generate_split_token, split_token_id};
use joinery_storage::{NewAccountToken, now_micros};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::extract::{AccountAuth, OrgAuth};
use crate::link::context;
use crate::openapi::ErrorDetail;
use crate::routes::integrations::IntegrationMetadata;
use crate::routes::link_token::CategoryPath;
use crate::{AppState, AppStateInner};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(exchange)).routes(routes!(exchange_any_category)).routes(routes!(regenerate))
}

/// Merge's `AccountToken`.
// No Debug: it holds a token.
#[derive(Serialize, ToSchema)]
pub struct AccountToken {
    /// The linked account's permanent credential: keep it server-side.
    pub account_token: String,
    pub integration: IntegrationMetadata,
    /// The linked account's id.
    pub id: String,
}

/// Merge's `RegenerateAccountToken`.
// No Debug: it holds a token.
#[derive(Serialize, ToSchema)]
pub struct RegenerateAccountToken {
    pub linked_account_id: String,
    pub account_token: String,
}

const PUBLIC_TOKEN_GONE: &str = "Public token not found: it is invalid, already used, or expired.";

/// Returns the account token for the end user with the provided public token. Public tokens are
/// single use and expire 10 minutes after the link.
#[utoipa::path(get, path = "/api/{category}/v1/account-token/{public_token}", tag = "account-token",
    params(
        ("category" = String, Path, description = "Any Merge category"),
        ("public_token" = String, Path, description = "The public token from Link's onSuccess"),
    ),
    responses((status = 200, body = AccountToken), (status = 401, body = ErrorDetail), (status = 404, body = ErrorDetail)))]
async fn exchange(
    State(state): State<AppState>,
    _category: CategoryPath,
    auth: OrgAuth,
    Path((_, public_token)): Path<(String, String)>,
) -> Result<Json<AccountToken>, ApiError> {
    exchange_token(&state, auth, &public_token).await
}

/// Merge's category-agnostic alias of `GET /api/{category}/v1/account-token/{public_token}`.
#[utoipa::path(get, path = "/api/integrations/account-token/{public_token}", tag = "account-token",
    params(("public_token" = String, Path, description = "The public token from Link's onSuccess")),
    responses((status = 200, body = AccountToken), (status = 401, body = ErrorDetail), (status = 404, body = ErrorDetail)))]
async fn exchange_any_category(
    State(state): State<AppState>,
    auth: OrgAuth,
    Path(public_token): Path<String>,
) -> Result<Json<AccountToken>, ApiError> {
    exchange_token(&state, auth, &public_token).await
}

async fn exchange_token(
    state: &AppStateInner,
    auth: OrgAuth,
    public_token: &str,
) -> Result<Json<AccountToken>, ApiError> {
    let gone = || ApiError::detail(StatusCode::NOT_FOUND, PUBLIC_TOKEN_GONE);
    let id = split_token_id(public_token.trim()).ok_or_else(gone)?;
    let record = state.storage.find_public_token(id).await?.ok_or_else(gone)?;
    // Another organization's token reads exactly like a missing one.
    if record.organization_id != auth.organization_id
        || !state.hasher.verify(TokenKind::PublicToken, public_token.trim(), &record.token_hash)
        || !state.storage.consume_public_token(id, now_micros()).await?
    {
        return Err(gone());
    }
    let account = state.storage.find_linked_account(record.linked_account_id).await?.ok_or_else(gone)?;
    let token = state
        .keyring
        .open(&account.account_token_sealed, &context::account_token(account.id))
        .map_err(|e| ApiError::Internal(format!("opening the account token of {}: {e}", account.id)))?;
    let account_token = String::from_utf8(token).map_err(|e| ApiError::Internal(e.to_string()))?;
    tracing::info!(linked_account = %account.id, "public token exchanged for the account token");
    let integration = joinery_domain::integrations::find(&account.integration)
        .ok_or_else(|| ApiError::Internal(format!("unknown integration {}", account.integration)))?;
    Ok(Json(AccountToken {
        account_token,
        integration: IntegrationMetadata::new(state, integration),
        id: account.id.to_string(),
    }))
}

/// Exchange the linked account's account token for a new one; the old one stops working at once.
#[utoipa::path(post, path = "/api/{category}/v1/account-token/regenerate", tag = "account-token",
    params(("category" = String, Path, description = "Any Merge category"), ("X-Account-Token" = String, Header)),
    responses((status = 200, body = RegenerateAccountToken), (status = 401, body = ErrorDetail)))]
async fn regenerate(
    State(state): State<AppState>,
    _category: CategoryPath,
    auth: AccountAuth,
) -> Result<Json<RegenerateAccountToken>, ApiError> {
    let account = auth.account;
    let SplitToken { id, token } = generate_split_token();
    let new = NewAccountToken {
        id,
        hash: state.hasher.hash(TokenKind::AccountToken, &token),
        sealed: state.keyring.seal(token.as_bytes(), &context::account_token(account.id)),
    };
    if !state.storage.rotate_account_token(account.id, account.account_token_id, &new, now_micros()).await? {
        // Rotated or deleted by a concurrent request: this token is no longer the account's.
        return Err(ApiError::Unauthorized("Invalid X-Account-Token."));
    }
    // The old token stops working here at once (other processes forget it within a second).
    state.account_cache.clear();
    tracing::info!(linked_account = %account.id, "account token regenerated");
    Ok(Json(RegenerateAccountToken { linked_account_id: account.id.to_string(), account_token: token }))
}
