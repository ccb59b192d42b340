//! The Link page, its assets, the embed script and the OAuth callback (browser routes, not part of
//! the OpenAPI document).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use joinery_connectors::{Credentials, LinkError, ProblemType, oauth};
use joinery_domain::tokens::{TokenKind, split_token_id};
use joinery_link_ui::{Asset, CONTENT_SECURITY_POLICY, OAUTH_CALLBACK_HTML};
use joinery_storage::now_micros;
use tower_http::compression::CompressionLayer;

use crate::AppState;
use crate::extract::RawQuery;
use crate::link::{SealedValidation, context};
use crate::routes::link_api::StoredProblem;

pub fn router() -> Router<AppState> {
    let mut router = Router::new().route("/link/oauth/callback", get(oauth_callback));
    for path in joinery_link_ui::paths() {
        let asset = joinery_link_ui::asset(path).expect("listed assets exist");
        // The page is embedded by customers' pages of any origin; nothing else is framed.
        let frame_ancestors = if path == "/link" { "*" } else { "'none'" };
        router =
            router.route(path, get(move |headers: HeaderMap| async move { serve(asset, &headers, frame_ancestors) }));
    }
    // The page is ~36 KB of text, ~12 KB gzipped; an end user may be on a slow connection.
    router.layer(CompressionLayer::new().gzip(true))
}

fn serve(asset: &'static Asset, request: &HeaderMap, frame_ancestors: &str) -> Response {
    let etag = joinery_link_ui::etag(asset);
    let mut response = if request.get(header::IF_NONE_MATCH).is_some_and(|v| v.as_bytes() == etag.as_bytes()) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, asset.content_type)], asset.body).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, HeaderValue::from_static(etag));
    // Revalidate every time: a new binary's assets apply at once, an unchanged one costs a 304.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Link tokens and OAuth codes sit in these URLs: never send them on.
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if asset.content_type.starts_with("text/html") {
        let csp = format!("{CONTENT_SECURITY_POLICY}; frame-ancestors {frame_ancestors}");
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_str(&csp).expect("the policy is ASCII"));
    }
    response
}

/// Where the provider sends the end user after consent. Exchanges the code, validates the grant
/// and seals the outcome on the attempt; the page then tells the Link page, which completes the
/// link with its link token (`/api/link/v1/oauth/complete`).
async fn oauth_callback(State(state): State<AppState>, query: RawQuery) -> Response {
    let page = |status: StatusCode| {
        let mut response = serve(OAUTH_CALLBACK_HTML, &HeaderMap::new(), "'none'");
        *response.status_mut() = status;
        response
    };
    let oauth_state = query.get("state").unwrap_or("");
    let Some(id) = split_token_id(oauth_state) else {
        return page(StatusCode::BAD_REQUEST);
    };
    let attempt = match state.storage.find_oauth_attempt(id).await {
        Ok(Some(a)) if state.hasher.verify(TokenKind::OAuthState, oauth_state, &a.state_hash) => a,
        Ok(_) => return page(StatusCode::BAD_REQUEST),
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    if attempt.result_sealed.is_some() || attempt.errors.is_some() {
        // A reload of the callback: the outcome is already recorded.
        return page(StatusCode::OK);
    }
    if attempt.expires_at <= now_micros() {
        return page(StatusCode::BAD_REQUEST);
    }
    let Some(connector) = joinery_connectors::find(&attempt.integration) else {
        return page(StatusCode::BAD_REQUEST);
    };
    let integration = connector.integration();
    let outcome: Result<SealedValidation, LinkError> = async {
        if let Some(error) = query.get("error") {
            let reason =
                if error == "access_denied" { "consent was declined".to_owned() } else { format!("error \"{error}\"") };
            return Err(LinkError::new(
                ProblemType::OAuthDenied,
                format!("{} did not grant access ({reason}).", integration.name),
            ));
        }
        let code = query.get("code").filter(|c| !c.is_empty()).ok_or_else(|| {
            LinkError::new(ProblemType::OAuthDenied, format!("{} sent no authorization code.", integration.name))
        })?;
        let spec =
            connector.oauth().ok_or_else(|| LinkError::new(ProblemType::ProviderError, "Not an OAuth integration."))?;
        let fields = state
            .keyring
            .open(&attempt.fields_sealed, &context::oauth_fields(id))
            .ok()
            .and_then(|plain| serde_json::from_slice::<Credentials>(&plain).ok())
            .unwrap_or_default();
        let grant = oauth::exchange_code(
            &state.providers,
            integration.slug,
            integration.name,
            spec,
            code,
            &state.oauth_redirect_uri(),
        )
        .await?;
        let mut credentials = fields;
        for name in [oauth::ACCESS_TOKEN, oauth::REFRESH_TOKEN, oauth::EXPIRES_AT] {
            if let Some(value) = grant.get(name) {
                credentials.insert(name, value);
            }
        }
        Ok(connector.validate(&state.providers, &credentials).await?.into())
    }
    .await;
    let recorded = match outcome {
        Ok(validation) => match serde_json::to_vec(&validation) {
            Ok(plain) => {
                let sealed = state.keyring.seal(&plain, &context::oauth_result(id));
                state.storage.finish_oauth_attempt(id, Some(&sealed), None).await
            }
            Err(e) => return crate::ApiError::Internal(e.to_string()).into_response(),
        },
        Err(e) => {
            if crate::routes::link_api::counts_as_failed_attempt(e.problem_type)
                && let Err(err) = state.storage.record_failed_link_attempt(attempt.link_token_id).await
            {
                return crate::ApiError::from(err).into_response();
            }
            let problems = vec![StoredProblem {
                detail: e.detail,
                problem_type: e.problem_type.as_str().to_owned(),
                field: e.field,
            }];
            let json = serde_json::to_string(&problems).unwrap_or_else(|_| "[]".to_owned());
            state.storage.finish_oauth_attempt(id, None, Some(&json)).await
        }
    };
    match recorded {
        Ok(_) => page(StatusCode::OK),
        Err(e) => crate::ApiError::from(e).into_response(),
    }
}
