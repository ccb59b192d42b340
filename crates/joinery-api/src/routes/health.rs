use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiError;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the server can reach its database.
    status: &'static str,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health))
}

/// Liveness and readiness: answers once the database answers. Needs no authentication.
#[utoipa::path(get, path = "/api/health", tag = "meta", security(()),
    responses((status = 200, body = Health), (status = 503, description = "The database is unreachable")))]
async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.storage.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "health check failed");
        ApiError::detail(StatusCode::SERVICE_UNAVAILABLE, "The database is unreachable.")
    })?;
    Ok(Json(Health { status: "ok" }))
}
