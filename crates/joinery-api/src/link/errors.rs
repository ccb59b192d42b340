//! Errors of the Link JSON API: `{"errors": [{"detail", "problem_type", "field"?}]}`, the shape
//! Merge Link hands to `onValidationError`, and `{"detail", "problem_type"}` for link-token
//! failures.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use joinery_connectors::LinkError;
use serde::Serialize;
use serde_json::json;

use super::TokenProblem;
use crate::ApiError;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    pub detail: String,
    pub problem_type: &'static str,
    /// The request member at fault, for input problems (`credentials.api_key`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Problem {
    pub fn new(problem_type: &'static str, detail: impl Into<String>) -> Self {
        Problem { detail: detail.into(), problem_type, field: None }
    }

    pub fn with_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_owned());
        self
    }
}

#[derive(Debug)]
pub enum LinkApiError {
    Token(TokenProblem),
    Problems(StatusCode, Vec<Problem>),
    Api(ApiError),
}

impl LinkApiError {
    pub fn internal(message: String) -> Self {
        LinkApiError::Api(ApiError::Internal(message))
    }
}

impl From<Problem> for LinkApiError {
    fn from(p: Problem) -> Self {
        LinkApiError::Problems(StatusCode::BAD_REQUEST, vec![p])
    }
}

impl From<TokenProblem> for LinkApiError {
    fn from(p: TokenProblem) -> Self {
        LinkApiError::Token(p)
    }
}

impl From<LinkError> for LinkApiError {
    fn from(e: LinkError) -> Self {
        LinkApiError::Problems(
            StatusCode::BAD_REQUEST,
            vec![Problem { detail: e.detail, problem_type: e.problem_type.as_str(), field: e.field }],
        )
    }
}

impl From<joinery_storage::StorageError> for LinkApiError {
    fn from(e: joinery_storage::StorageError) -> Self {
        LinkApiError::Api(e.into())
    }
}

impl From<ApiError> for LinkApiError {
    fn from(e: ApiError) -> Self {
        LinkApiError::Api(e)
    }
}

impl IntoResponse for LinkApiError {
    fn into_response(self) -> Response {
        match self {
            LinkApiError::Token(problem) => (
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({ "detail": problem.detail(), "problem_type": problem.as_str() })),
            )
                .into_response(),
            LinkApiError::Problems(status, errors) => (status, axum::Json(json!({ "errors": errors }))).into_response(),
            LinkApiError::Api(e) => e.into_response(),
        }
    }
}
