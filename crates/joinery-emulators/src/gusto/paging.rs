//! What every Gusto list endpoint shares: strict company access and `page`/`per` pagination.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{AppState, Company, Grant, error};

/// `per` when the client sends `page` without it.
pub(crate) const DEFAULT_PER: usize = 25;

/// Strict access: a token reads only the company it was granted for.
pub(crate) fn granted_company<'a>(
    state: &'a AppState,
    grant: &Grant,
    company_id: &str,
) -> Result<&'a Company, Response> {
    let company = &state.config.companies[grant.company];
    if company.uuid != company_id {
        return Err(error(
            StatusCode::FORBIDDEN,
            "missing_permissions",
            "This access token is reserved for another company.",
        ));
    }
    Ok(company)
}

/// `page` and `per` as sent. Like Rails' paginators: a page below 1, or not a number, is the
/// first page; a bad `per` is the default.
pub(crate) fn page_params(pairs: &[(String, String)]) -> (Option<usize>, Option<usize>) {
    let (mut page, mut per) = (None, None);
    for (key, value) in pairs {
        match key.as_str() {
            "page" => page = Some(value.parse::<usize>().ok().filter(|p| *p >= 1).unwrap_or(1)),
            "per" => per = Some(value.parse::<usize>().ok().filter(|p| *p >= 1).unwrap_or(DEFAULT_PER)),
            _ => {}
        }
    }
    (page, per)
}

/// `X-Page`, `X-Per-Page`, `X-Total-Count`, `X-Total-Pages`.
pub(crate) fn page_headers(response: &mut Response, page: usize, per: usize, total: usize) {
    let headers = response.headers_mut();
    headers.insert("x-page", HeaderValue::from(page));
    headers.insert("x-per-page", HeaderValue::from(per));
    headers.insert("x-total-count", HeaderValue::from(total));
    headers.insert("x-total-pages", HeaderValue::from(total.div_ceil(per)));
}

/// A list answer: everything when neither `page` nor `per` was sent ("when unspecified, will
/// load all objects"), else the page with the pagination headers.
pub(crate) fn paginated(items: Vec<Value>, page: Option<usize>, per: Option<usize>) -> Response {
    if page.is_none() && per.is_none() {
        return axum::Json(items).into_response();
    }
    let (page, per) = (page.unwrap_or(1), per.unwrap_or(DEFAULT_PER));
    let total = items.len();
    let skip = (page - 1).saturating_mul(per);
    let records: Vec<Value> = items.into_iter().skip(skip).take(per).collect();
    let mut response = axum::Json(records).into_response();
    page_headers(&mut response, page, per, total);
    response
}
