//! The OAuth 2.0 authorization-code grant (RFC 6749 §4.1), shared by OAuth connectors.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use url::Url;

use crate::http::{unexpected_status, unreachable};
use crate::{Credentials, LinkError, ProblemType, ProviderHttp};

/// How the provider wants the token request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenBody {
    /// `application/x-www-form-urlencoded`, as RFC 6749 specifies.
    Form,
    /// `application/json`, for providers that document it.
    Json,
}

#[derive(Debug)]
pub struct OAuthSpec {
    /// The provider's documented consent URL (the base URL override applies).
    pub authorize_url: &'static str,
    pub token_url: &'static str,
    /// Scopes to request; empty when the provider grants what the app was registered for.
    pub scopes: &'static [&'static str],
    pub token_body: TokenBody,
}

/// Credential names a grant is stored under.
pub const ACCESS_TOKEN: &str = "access_token";
pub const REFRESH_TOKEN: &str = "refresh_token";
/// Unix seconds at which the access token expires.
pub const EXPIRES_AT: &str = "expires_at";

/// The consent URL the end user's browser opens.
pub fn authorize_url(
    http: &ProviderHttp,
    slug: &str,
    spec: &OAuthSpec,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
) -> Url {
    let mut url = http.url(slug, spec.authorize_url);
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("state", state);
        if !spec.scopes.is_empty() {
            query.append_pair("scope", &spec.scopes.join(" "));
        }
    }
    url
}

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

/// Exchanges an authorization code for a grant, returned as credentials.
pub async fn exchange_code(
    http: &ProviderHttp,
    slug: &str,
    name: &str,
    spec: &OAuthSpec,
    code: &str,
    redirect_uri: &str,
) -> Result<Credentials, LinkError> {
    let Some((client_id, client_secret)) = http.oauth_client(slug) else {
        return Err(LinkError::new(ProblemType::ProviderError, format!("No OAuth client is configured for {name}.")));
    };
    let params = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("client_id", client_id),
        ("client_secret", client_secret),
    ];
    let request = http.client().post(http.url(slug, spec.token_url)).header("Accept", "application/json");
    let request = match spec.token_body {
        TokenBody::Form => request.form(&params),
        TokenBody::Json => request.json(&params.into_iter().collect::<std::collections::BTreeMap<_, _>>()),
    };
    let response = request.send().await.map_err(|e| unreachable(name, e))?;
    let status = response.status();
    if status.is_success() {
        let grant: TokenResponse = response.json().await.map_err(|e| unreachable(name, e))?;
        let mut credentials = Credentials::default();
        credentials.insert(ACCESS_TOKEN, grant.access_token);
        if let Some(refresh) = grant.refresh_token {
            credentials.insert(REFRESH_TOKEN, refresh);
        }
        if let Some(expires_in) = grant.expires_in {
            credentials.insert(EXPIRES_AT, (unix_now() + expires_in).to_string());
        }
        return Ok(credentials);
    }
    if status == reqwest::StatusCode::BAD_REQUEST || status == reqwest::StatusCode::UNAUTHORIZED {
        let error = response.json::<TokenError>().await.ok().and_then(|e| e.error).unwrap_or_default();
        return Err(match error.as_str() {
            "invalid_client" | "unauthorized_client" => LinkError::new(
                ProblemType::ProviderError,
                format!(
                    "{name} rejected this app's OAuth client ({error}); the app's administrator must fix its configuration."
                ),
            ),
            _ => LinkError::new(
                ProblemType::OAuthDenied,
                format!(
                    "{name} did not accept the authorization ({}). Please start again.",
                    if error.is_empty() { "no reason given" } else { &error }
                ),
            ),
        });
    }
    Err(unexpected_status(name, status))
}

/// Seconds since the Unix epoch (grant expiry times are stored so).
pub(crate) fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::ProviderSettings;

    #[test]
    fn authorize_url_carries_the_documented_parameters() {
        let spec = OAuthSpec {
            authorize_url: "https://api.example.com/oauth/authorize",
            token_url: "https://api.example.com/oauth/token",
            scopes: &["read", "write"],
            token_body: TokenBody::Form,
        };
        let settings =
            ProviderSettings { base_url: Some(Url::parse("http://127.0.0.1:9").unwrap()), ..Default::default() };
        let http = ProviderHttp::new(HashMap::from([("x".to_owned(), settings)]));
        let url = authorize_url(&http, "x", &spec, "cid", "https://j.example/link/oauth/callback", "st&te");
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/oauth/authorize?client_id=cid&redirect_uri=https%3A%2F%2Fj.example%2Flink%2Foauth%2Fcallback&response_type=code&state=st%26te&scope=read+write"
        );
    }
}
