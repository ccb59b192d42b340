//! Merge's integration metadata endpoints: `GET /api/integrations` (every integration, public)
//! and `GET /api/organizations/integrations` (those enabled for the caller; paginated).

use axum::Json;
use axum::extract::State;
use joinery_domain::integrations::{self, Integration};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::extract::{OrgAuth, RawQuery};
use crate::openapi::ErrorDetail;
use crate::pagination::{OffsetPage, Page};
use crate::{AppState, AppStateInner};

/// Merge's integration metadata (`AccountIntegration`).
#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationMetadata {
    pub name: &'static str,
    pub abbreviated_name: Option<&'static str>,
    pub categories: Vec<&'static str>,
    /// Rectangular logo, served by Joinery.
    pub image: String,
    /// Square logo, served by Joinery.
    pub square_image: String,
    pub color: &'static str,
    pub slug: &'static str,
    #[schema(value_type = Object)]
    pub api_endpoints_to_documentation_urls: Map<String, Value>,
    pub webhook_setup_guide_url: Option<String>,
    #[schema(value_type = Object)]
    pub category_beta_status: Map<String, Value>,
}

impl IntegrationMetadata {
    pub fn new(state: &AppStateInner, i: &'static Integration) -> Self {
        Self {
            name: i.name,
            abbreviated_name: i.abbreviated_name,
            categories: i.categories.iter().map(|c| c.as_str()).collect(),
            image: state.url(&format!("/assets/integrations/{}/image.svg", i.slug)),
            square_image: state.url(&format!("/assets/integrations/{}/square_image.svg", i.slug)),
            color: i.color,
            slug: i.slug,
            // Filled per endpoint once the integration's connector declares what it calls.
            api_endpoints_to_documentation_urls: Map::new(),
            webhook_setup_guide_url: None,
            category_beta_status: i.categories.iter().map(|c| (c.as_str().to_owned(), Value::Bool(false))).collect(),
        }
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_all)).routes(routes!(list_enabled))
}

/// Every integration Joinery knows, with names, categories, logos and brand colors. Public: no
/// authentication, as in Merge.
#[utoipa::path(get, path = "/api/integrations", tag = "integrations", security(()),
    responses((status = 200, body = Vec<IntegrationMetadata>)))]
async fn list_all(State(state): State<AppState>) -> Json<Vec<IntegrationMetadata>> {
    Json(integrations::all().iter().map(|i| IntegrationMetadata::new(&state, i)).collect())
}

/// The integrations enabled for the calling organization, paginated.
#[utoipa::path(get, path = "/api/organizations/integrations", tag = "integrations",
    params(
        ("cursor" = Option<String>, Query, description = "The pagination cursor value."),
        ("page_size" = Option<u32>, Query, description = "Number of results to return per page (default 30, max 100)."),
    ),
    responses(
        (status = 200, body = Page<IntegrationMetadata>),
        (status = 400, description = "Bad `cursor` or `page_size`", body = Object),
        (status = 401, body = ErrorDetail),
    ))]
async fn list_enabled(
    State(state): State<AppState>,
    auth: OrgAuth,
    query: RawQuery,
) -> Result<Json<Page<IntegrationMetadata>>, ApiError> {
    let page = OffsetPage::from_query(&query)?;
    let disabled = state.storage.disabled_integrations(auth.organization_id).await?;
    let enabled: Vec<_> = integrations::all()
        .iter()
        .filter(|i| !disabled.iter().any(|d| d == i.slug))
        .map(|i| IntegrationMetadata::new(&state, i))
        .collect();
    Ok(Json(page.apply(enabled)))
}
