//! `POST /api/{category}/v1/link-token` and Merge's category-agnostic alias
//! `POST /api/integrations/create-link-token`.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use joinery_domain::Category;
use joinery_domain::link_token;
use joinery_domain::tokens::{SplitToken, TokenKind, generate_split_token};
use joinery_storage::{NewLinkToken, now_micros};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{JsonBody, OrgAuth};
use crate::openapi::{EndUserDetailsRequest, ErrorDetail};

/// Merge's `LinkToken`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkToken {
    /// Opaque, single-use token for Joinery Link; valid for `link_expiry_mins`.
    pub link_token: String,
    /// Display name of the pre-selected integration, or null.
    pub integration_name: Option<&'static str>,
    /// Hosted Link URL, when `should_create_magic_link_url` was true; otherwise null.
    pub magic_link_url: Option<String>,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_link_token)).routes(routes!(create_link_token_any_category))
}

/// The `{category}` path segment. Unknown categories are 404s (as any unknown path is), checked
/// before authentication.
pub struct CategoryPath(#[allow(dead_code)] pub Category);

impl<S: Send + Sync> FromRequestParts<S> for CategoryPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let segment = parts.uri.path().trim_start_matches("/api/").split('/').next().unwrap_or("");
        Category::parse(segment).map(CategoryPath).ok_or_else(|| ApiError::detail(StatusCode::NOT_FOUND, "Not found."))
    }
}

/// Creates a link token to be used when linking a new end user. The link token expires after
/// single use, or after `link_expiry_mins`. The category in the path does not restrict the
/// `categories` of the body (as in Merge).
#[utoipa::path(post, path = "/api/{category}/v1/link-token", tag = "link-token",
    params(("category" = String, Path, description = "Any Merge category: hris, ats, accounting, ticketing, crm, mktg, filestorage, knowledgebase")),
    request_body = EndUserDetailsRequest,
    responses(
        (status = 200, body = LinkToken),
        (status = 400, description = "Validation failed; each offending field is named", body = Object),
        (status = 401, body = ErrorDetail),
        (status = 404, description = "Unknown category", body = ErrorDetail),
        (status = 413, body = ErrorDetail),
        (status = 415, body = ErrorDetail),
    ))]
async fn create_link_token(
    State(state): State<AppState>,
    _category: CategoryPath,
    auth: OrgAuth,
    JsonBody(body): JsonBody,
) -> Result<Json<LinkToken>, ApiError> {
    create(&state, auth, body).await
}

/// Merge's category-agnostic alias of `POST /api/{category}/v1/link-token`.
#[utoipa::path(post, path = "/api/integrations/create-link-token", tag = "link-token",
    request_body = EndUserDetailsRequest,
    responses(
        (status = 200, body = LinkToken),
        (status = 400, description = "Validation failed; each offending field is named", body = Object),
        (status = 401, body = ErrorDetail),
    ))]
async fn create_link_token_any_category(
    State(state): State<AppState>,
    auth: OrgAuth,
    JsonBody(body): JsonBody,
) -> Result<Json<LinkToken>, ApiError> {
    create(&state, auth, body).await
}

async fn create(state: &AppState, auth: OrgAuth, body: Value) -> Result<Json<LinkToken>, ApiError> {
    // Only a request naming an integration needs the organization's settings.
    let names_integration = body.get("integration").is_some_and(|v| !v.is_null());
    let disabled =
        if names_integration { state.storage.disabled_integrations(auth.organization_id).await? } else { Vec::new() };
    let request = link_token::parse(&body, |slug| !disabled.iter().any(|d| d == slug))?;

    let SplitToken { id, token } = generate_split_token();
    let created_at = now_micros();
    let expires_at = created_at + request.link_expiry_mins * 60 * 1_000_000;
    let magic_link_url = request.should_create_magic_link_url.then(|| state.url(&format!("/link?link_token={token}")));
    let integration_name = request.integration().map(|i| i.name);
    state
        .storage
        .insert_link_token(NewLinkToken {
            id,
            organization_id: auth.organization_id,
            token_hash: state.hasher.hash(TokenKind::LinkToken, &token),
            request,
            created_at,
            expires_at,
        })
        .await?;
    Ok(Json(LinkToken { link_token: token, integration_name, magic_link_url }))
}
