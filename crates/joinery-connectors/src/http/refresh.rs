//! Renewing an OAuth grant (RFC 6749 §6) during a sync.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{AccountHttp, ProviderHttp, SyncError};
use crate::Credentials;
use crate::oauth::{ACCESS_TOKEN, EXPIRES_AT, OAuthSpec, REFRESH_TOKEN, TokenBody, unix_now};

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    refresh_token: Option<String>,
    expires_in: Option<i64>,
}

#[derive(Deserialize)]
struct TokenError {
    error: Option<String>,
}

/// Renews a grant with `grant_type=refresh_token` and the configured OAuth client, retrying
/// transient failures like [`AccountHttp::send`]. Returns `access_token`, `refresh_token` (the
/// new one when the provider rotates it, else `refresh_token` itself) and `expires_at` when the
/// provider says; merge them into the stored credentials, which keep everything else.
///
/// A revoked or expired refresh token (`invalid_grant`) or a rejected OAuth client
/// (`invalid_client`) is [`SyncError::Unauthorized`].
pub async fn refresh_grant(
    http: &ProviderHttp,
    slug: &'static str,
    name: &'static str,
    spec: &OAuthSpec,
    refresh_token: &str,
) -> Result<Credentials, SyncError> {
    http.for_account(slug, name, None).refresh_grant(spec, refresh_token).await
}

impl AccountHttp {
    /// [`refresh_grant`] under this account's rate limit and retry policy.
    pub async fn refresh_grant(&self, spec: &OAuthSpec, refresh_token: &str) -> Result<Credentials, SyncError> {
        let (slug, name) = (self.slug(), self.name());
        let Some((client_id, client_secret)) = self.provider_http().oauth_client(slug) else {
            return Err(SyncError::Unauthorized(format!(
                "No OAuth client is configured for {name} (JOINERY_PROVIDER_{}_CLIENT_ID and _CLIENT_SECRET), so its grants cannot be renewed.",
                slug.to_ascii_uppercase()
            )));
        };
        let params = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", client_id),
            ("client_secret", client_secret),
        ];
        let url = self.url(spec.token_url);
        let response = self
            .send(|client| {
                let request = client.post(url.clone()).header("Accept", "application/json");
                match spec.token_body {
                    TokenBody::Form => request.form(&params),
                    TokenBody::Json => request.json(&params.into_iter().collect::<BTreeMap<_, _>>()),
                }
            })
            .await?;

        let status = response.status();
        if status.is_success() {
            let grant: TokenResponse = self.json(response).await?;
            let mut credentials = Credentials::default();
            credentials.insert(ACCESS_TOKEN, grant.access_token);
            credentials.insert(REFRESH_TOKEN, grant.refresh_token.unwrap_or_else(|| refresh_token.to_owned()));
            if let Some(expires_in) = grant.expires_in {
                credentials.insert(EXPIRES_AT, (unix_now() + expires_in).to_string());
            }
            return Ok(credentials);
        }
        if !matches!(status.as_u16(), 400 | 401 | 403) {
            return Err(self.unexpected(status));
        }
        // Only the RFC 6749 error code is used: descriptions are free text from the provider.
        let error = response
            .json::<TokenError>()
            .await
            .ok()
            .and_then(|e| e.error)
            .map(|code| if is_error_code(&code) { code } else { "an unrecognized error".to_owned() })
            .unwrap_or_default();
        tracing::warn!(provider = name, status = status.as_u16(), error = %error, "OAuth refresh refused");
        Err(match error.as_str() {
            "invalid_grant" => SyncError::Unauthorized(format!(
                "{name} refused to renew the authorization (invalid_grant): the refresh token was revoked or expired; the end user must relink."
            )),
            "invalid_client" | "unauthorized_client" => SyncError::Unauthorized(format!(
                "{name} rejected Joinery's OAuth client ({error}) when renewing the authorization; check the client id and secret configured for {slug}."
            )),
            "" if status != reqwest::StatusCode::BAD_REQUEST => SyncError::Unauthorized(format!(
                "{name} refused to renew the authorization (HTTP {}).",
                status.as_u16()
            )),
            code => SyncError::Protocol(format!(
                "{name} refused the request to renew the authorization ({}, HTTP {}).",
                if code.is_empty() { "no reason given" } else { code },
                status.as_u16()
            )),
        })
    }
}

/// An RFC 6749 error code (`invalid_grant`), not free text that might echo a request.
fn is_error_code(code: &str) -> bool {
    !code.is_empty() && code.len() <= 64 && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}
