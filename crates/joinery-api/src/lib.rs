//! Joinery's HTTP API. Routes are Merge-compatible (paths, bodies, errors) and each is declared
//! with `#[utoipa::path]`, so `GET /api/openapi.json` is generated from the same code that serves.

mod auth_cache;
mod datetime;
mod error;
mod extract;
mod link;
mod openapi;
mod pagination;
mod routes;
mod state;

pub use error::ApiError;
pub use state::{AppState, AppStateInner};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;

/// Largest request body any route accepts.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The API routes, each documented in the OpenAPI document.
fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::base())
        .merge(routes::health::router())
        .merge(routes::link_token::router())
        .merge(routes::integrations::router())
        .merge(routes::link_api::router())
        .merge(routes::account_token::router())
        .merge(routes::linked_accounts::router())
        .merge(routes::sync_status::router())
}

/// The whole application: every route, with the layers shared by all of them.
pub fn router(state: AppState) -> Router {
    let (router, mut api) = documented_routes().split_for_parts();
    routes::common_models::document(&mut api);
    // Serialised once: the document never changes while the process runs.
    let spec = axum::body::Bytes::from(api.to_json().expect("the OpenAPI document serialises"));
    router
        .merge(routes::assets::router())
        .merge(routes::link_page::router())
        .merge(routes::common_models::router())
        .route("/api/openapi.json", axum::routing::get(move || openapi::serve(spec.clone())))
        // Responses carry tokens and personal data: no cache may keep them (RFC 6749 §5.1).
        // Routes that set their own policy (the Link assets) keep it.
        .layer(axum::middleware::map_response(|mut response: axum::response::Response| async move {
            response
                .headers_mut()
                .entry(axum::http::header::CACHE_CONTROL)
                .or_insert(axum::http::HeaderValue::from_static("no-store"));
            response
        }))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(
            TraceLayer::new_for_http()
                // Route templates only: paths carry public tokens, query strings link tokens and
                // OAuth codes, headers keys. Unrouted requests log their path (no route, no token).
                .make_span_with(|req: &axum::http::Request<_>| {
                    let path = req
                        .extensions()
                        .get::<axum::extract::MatchedPath>()
                        .map_or_else(|| req.uri().path(), |matched| matched.as_str());
                    tracing::info_span!("request", method = %req.method(), path = %path)
                })
                .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::DEBUG))
                .on_request(()),
        )
        .with_state(state)
}

/// The OpenAPI document, for `joinery openapi` and tests.
pub fn openapi_json() -> String {
    let (_, mut api) = documented_routes().split_for_parts();
    routes::common_models::document(&mut api);
    api.to_pretty_json().expect("the OpenAPI document serialises")
}
