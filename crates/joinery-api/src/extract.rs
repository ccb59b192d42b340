//! Extractors that turn a request into checked inputs, failing with Merge-shaped errors.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use joinery_domain::tokens::{TokenKind, api_key_is_well_formed, split_token_id};
use joinery_storage::LinkedAccount;
use serde_json::Value;
use uuid::Uuid;

use crate::error::ApiError;
use crate::{AppState, MAX_BODY_BYTES};

const NO_CREDENTIALS: &str = "Authentication credentials were not provided.";
const INVALID_KEY: &str = "Invalid API key.";

/// The organization behind the request's `Authorization: Bearer <API key>`.
#[derive(Debug, Clone, Copy)]
pub struct OrgAuth {
    pub organization_id: Uuid,
}

impl FromRequestParts<AppState> for OrgAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::Unauthorized(NO_CREDENTIALS));
        };
        let value = value.to_str().map_err(|_| ApiError::Unauthorized(INVALID_KEY))?.trim();
        let key = match value.split_once(' ') {
            Some((scheme, key)) if scheme.eq_ignore_ascii_case("bearer") => key.trim(),
            _ if value.is_empty() => return Err(ApiError::Unauthorized(NO_CREDENTIALS)),
            _ if value.eq_ignore_ascii_case("bearer") => return Err(ApiError::Unauthorized(INVALID_KEY)),
            _ => return Err(ApiError::Unauthorized("Invalid authorization header; expected \"Bearer <API key>\".")),
        };
        // Shape and checksum first: garbage never reaches the database.
        if !api_key_is_well_formed(key) {
            return Err(ApiError::Unauthorized(INVALID_KEY));
        }
        let hash = state.hasher.hash(TokenKind::ApiKey, key);
        if let Some(organization_id) = state.auth_cache.get(&hash) {
            return Ok(OrgAuth { organization_id });
        }
        match state.storage.organization_for_api_key(&hash).await? {
            Some(organization_id) => {
                state.auth_cache.insert(hash, organization_id);
                Ok(OrgAuth { organization_id })
            }
            None => Err(ApiError::Unauthorized(INVALID_KEY)),
        }
    }
}

/// The linked account behind `X-Account-Token`, which must belong to the API key's organization.
/// Any mismatch reads as an invalid token, so nothing tells whether a token exists elsewhere.
#[derive(Debug)]
pub struct AccountAuth {
    pub account: LinkedAccount,
}

pub const ACCOUNT_TOKEN_HEADER: &str = "x-account-token";
const NO_ACCOUNT_TOKEN: &str = "Account Token must be passed in as an X-Account-Token header.";
const INVALID_ACCOUNT_TOKEN: &str = "Invalid X-Account-Token.";

impl FromRequestParts<AppState> for AccountAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let OrgAuth { organization_id } = OrgAuth::from_request_parts(parts, state).await?;
        let token = match parts.headers.get(ACCOUNT_TOKEN_HEADER) {
            None => return Err(ApiError::Unauthorized(NO_ACCOUNT_TOKEN)),
            Some(v) => v.to_str().map_err(|_| ApiError::Unauthorized(INVALID_ACCOUNT_TOKEN))?.trim(),
        };
        let id = split_token_id(token).ok_or(ApiError::Unauthorized(INVALID_ACCOUNT_TOKEN))?;
        let hash = state.hasher.hash(TokenKind::AccountToken, token);
        let generation = state.account_cache.generation();
        if let Some(account) = state.account_cache.get(&hash) {
            return match account.organization_id == organization_id {
                true => Ok(AccountAuth { account }),
                false => Err(ApiError::Unauthorized(INVALID_ACCOUNT_TOKEN)),
            };
        }
        match state.storage.find_linked_account_by_token(id).await? {
            Some(account)
                if account.organization_id == organization_id
                    && state.hasher.verify(TokenKind::AccountToken, token, &account.account_token_hash) =>
            {
                let mut account = account;
                // Activity keeps an account from going IDLE; recorded at most hourly.
                let now = joinery_storage::now_micros();
                if account.last_active_at.is_none_or(|at| at < now - 3_600_000_000) {
                    state.storage.touch_linked_account(account.id, now).await?;
                    account.last_active_at = Some(now);
                }
                state.account_cache.insert_since(generation, hash, account.clone());
                Ok(AccountAuth { account })
            }
            _ => Err(ApiError::Unauthorized(INVALID_ACCOUNT_TOKEN)),
        }
    }
}

/// A JSON request body as a [`Value`], so validation can report every field at once rather than
/// stopping at the first type mismatch. An empty body reads as `{}` (as DRF does).
#[derive(Debug)]
pub struct JsonBody(pub Value);

fn is_json(content_type: &str) -> bool {
    let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let content_type =
            req.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap_or("<invalid>").to_owned());
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::detail(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("Request body is too large; the limit is {MAX_BODY_BYTES} bytes."),
                )
            } else {
                ApiError::detail(rejection.status(), rejection.body_text())
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(Value::Object(Default::default())));
        }
        match content_type.as_deref() {
            Some(ct) if is_json(ct) => {}
            Some(ct) => {
                return Err(ApiError::detail(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!("Unsupported media type \"{ct}\" in request; send application/json."),
                ));
            }
            None => {
                return Err(ApiError::detail(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "Missing Content-Type header; send application/json.",
                ));
            }
        }
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::detail(StatusCode::BAD_REQUEST, format!("JSON parse error - {e}")))
    }
}

/// Query parameters as raw pairs; handlers parse what they accept and name the parameter in
/// errors. Repeated keys are kept (Merge's SDK repeats list parameters).
#[derive(Debug, Default)]
pub struct RawQuery(pub Vec<(String, String)>);

impl RawQuery {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RawQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        // PostgreSQL rejects NUL in text; refuse it here, naming the parameter, as for bodies.
        if let Some((name, _)) = pairs.iter().find(|(k, v)| k.contains('\0') || v.contains('\0')) {
            return Err(ApiError::field(name, joinery_domain::validation::NULL_CHARACTERS));
        }
        Ok(RawQuery(pairs))
    }
}

#[cfg(test)]
mod tests {
    use super::is_json;

    #[test]
    fn json_content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/x-www-form-urlencoded"));
    }
}
