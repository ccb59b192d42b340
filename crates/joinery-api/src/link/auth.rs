//! The Link JSON API is authorized by the link token (`X-Link-Token`), not by an API key.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use joinery_domain::tokens::{TokenKind, split_token_id};
use joinery_storage::{LinkTokenRecord, now_micros};

use super::LinkApiError;
use crate::AppState;

pub const HEADER: &str = "x-link-token";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    Invalid,
    Expired,
    Used,
    /// Too many refused credential checks.
    Locked,
}

/// Refused credential checks a link token survives; the next request is refused.
pub const MAX_FAILED_ATTEMPTS: i32 = 10;

impl TokenProblem {
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenProblem::Invalid => "LINK_TOKEN_INVALID",
            TokenProblem::Expired => "LINK_TOKEN_EXPIRED",
            TokenProblem::Used => "LINK_TOKEN_USED",
            TokenProblem::Locked => "LINK_TOKEN_LOCKED",
        }
    }

    pub const fn detail(self) -> &'static str {
        match self {
            TokenProblem::Invalid => "The link token is missing or invalid.",
            TokenProblem::Expired => "The link token has expired; ask for a new link.",
            TokenProblem::Used => "The link token has already been used to link an account; ask for a new link.",
            TokenProblem::Locked => "Too many failed attempts with this link token; ask for a new link.",
        }
    }
}

/// A live link token: genuine, not used, not expired.
#[derive(Debug)]
pub struct LinkSession(pub LinkTokenRecord);

impl FromRequestParts<AppState> for LinkSession {
    type Rejection = LinkApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, LinkApiError> {
        let token = parts.headers.get(HEADER).and_then(|v| v.to_str().ok()).map(str::trim).unwrap_or("");
        let id = split_token_id(token).ok_or(TokenProblem::Invalid)?;
        let record = state.storage.find_link_token(id).await?.ok_or(TokenProblem::Invalid)?;
        if !state.hasher.verify(TokenKind::LinkToken, token, &record.token_hash) {
            return Err(TokenProblem::Invalid.into());
        }
        if record.consumed_at.is_some() {
            return Err(TokenProblem::Used.into());
        }
        if record.expires_at <= now_micros() {
            return Err(TokenProblem::Expired.into());
        }
        if record.failed_attempts >= MAX_FAILED_ATTEMPTS {
            return Err(TokenProblem::Locked.into());
        }
        Ok(LinkSession(record))
    }
}
