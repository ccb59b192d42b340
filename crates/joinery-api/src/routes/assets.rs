//! Integration logos, drawn by Joinery itself so Link and customer marketplaces never load images
//! from a third party: a rounded tile in the brand color with the integration's initials.

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use joinery_domain::integrations::{self, Integration};

use crate::AppState;
use crate::error::ApiError;

pub fn router() -> Router<AppState> {
    Router::new().route("/assets/integrations/{slug}/{file}", get(logo))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The rectangular logo: initials tile plus the name.
pub fn wide_logo(i: &Integration) -> String {
    let name = escape(i.name);
    let initials = escape(&i.initials());
    let color = i.color;
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="240" height="64" viewBox="0 0 240 64" role="img" aria-label="{name}"><rect x="0" y="0" width="64" height="64" rx="12" fill="{color}"/><text x="32" y="41" font-family="system-ui,-apple-system,Segoe UI,Roboto,sans-serif" font-size="24" font-weight="700" fill="#fff" text-anchor="middle">{initials}</text><text x="78" y="41" font-family="system-ui,-apple-system,Segoe UI,Roboto,sans-serif" font-size="24" font-weight="600" fill="{color}">{name}</text></svg>"##
    )
}

/// The square logo: the initials tile alone.
pub fn square_logo(i: &Integration) -> String {
    let name = escape(i.name);
    let initials = escape(&i.initials());
    let color = i.color;
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128" role="img" aria-label="{name}"><rect x="0" y="0" width="128" height="128" rx="24" fill="{color}"/><text x="64" y="80" font-family="system-ui,-apple-system,Segoe UI,Roboto,sans-serif" font-size="48" font-weight="700" fill="#fff" text-anchor="middle">{initials}</text></svg>"##
    )
}

async fn logo(Path((slug, file)): Path<(String, String)>) -> Result<Response, ApiError> {
    let not_found = || ApiError::detail(StatusCode::NOT_FOUND, "Not found.");
    let integration = integrations::find(&slug).filter(|i| i.slug == slug).ok_or_else(not_found)?;
    let svg = match file.as_str() {
        "image.svg" => wide_logo(integration),
        "square_image.svg" => square_logo(integration),
        _ => return Err(not_found()),
    };
    Ok(([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")], svg)
        .into_response())
}
