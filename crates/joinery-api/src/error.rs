//! The one error type of the API, rendered the way Merge (Django REST Framework) renders errors:
//! `{"detail": "..."}` for request-level problems and `{"field": ["..."]}` for validation.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use joinery_domain::validation::FieldErrors;
use serde_json::{Value, json};

#[derive(Debug)]
pub enum ApiError {
    /// 400 with per-field messages.
    Validation(FieldErrors),
    /// A request-level client error with a `detail` message.
    Detail(StatusCode, String),
    /// 401; the message says what was wrong with the credentials.
    Unauthorized(&'static str),
    /// Anything the client cannot fix. Logged; the response says nothing about internals.
    Internal(String),
}

impl ApiError {
    pub fn detail(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError::Detail(status, message.into())
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        ApiError::Validation(errors)
    }
}

impl From<FieldErrors> for ApiError {
    fn from(e: FieldErrors) -> Self {
        ApiError::Validation(e)
    }
}

impl From<joinery_storage::StorageError> for ApiError {
    fn from(e: joinery_storage::StorageError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

fn body(status: StatusCode, value: Value) -> Response {
    (status, axum::Json(value)).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Validation(errors) => body(StatusCode::BAD_REQUEST, errors.into_value()),
            ApiError::Detail(status, detail) => body(status, json!({ "detail": detail })),
            ApiError::Unauthorized(detail) => {
                let mut res = body(StatusCode::UNAUTHORIZED, json!({ "detail": detail }));
                res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                res
            }
            ApiError::Internal(message) => {
                tracing::error!(error = %message, "internal error");
                body(StatusCode::INTERNAL_SERVER_ERROR, json!({ "detail": "Internal server error." }))
            }
        }
    }
}

pub async fn not_found() -> ApiError {
    ApiError::detail(StatusCode::NOT_FOUND, "Not found.")
}

pub async fn method_not_allowed(method: axum::http::Method) -> ApiError {
    ApiError::detail(StatusCode::METHOD_NOT_ALLOWED, format!("Method \"{method}\" not allowed."))
}

pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::Internal("a request handler panicked".into()).into_response()
}
