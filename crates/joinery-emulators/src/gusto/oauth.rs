//! OAuth2 authorization code grant: the sign-in and consent page, and the token endpoint.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngCore;

use super::{AccessToken, AppState, AuthorizationCode, CODE_TTL, Grant, OAuthClient, RefreshToken};
use crate::data::escape_markup;
use crate::query_pairs;

/// The scope a grant carries when the authorization request names none.
const DEFAULT_SCOPE: &str = "public companies:read employees:read";

fn params(pairs: Vec<(String, String)>) -> HashMap<String, String> {
    // The first value wins when a key repeats.
    let mut map = HashMap::new();
    for (k, v) in pairs {
        map.entry(k).or_insert(v);
    }
    map
}

/// A validated authorization request: the client and the redirect URI are known, so from here on
/// problems are reported to the client by redirect.
struct AuthorizationRequest {
    client_id: String,
    /// Exactly as registered and sent: the token request must repeat it byte for byte.
    redirect_uri: String,
    /// The same, parsed, to add the answer's parameters to.
    redirect_url: url::Url,
    state: Option<String>,
    scope: Option<String>,
    response_type: Option<String>,
}

/// Checks client and redirect URI; any failure is an error page for the user (RFC 6749
/// §4.1.2.1: never redirect to an unverified URI).
fn validate(state: &AppState, params: &HashMap<String, String>) -> Result<AuthorizationRequest, Response> {
    let client_id = params
        .get("client_id")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| error_page("The request is missing client_id."))?;
    let client = find_client(state, client_id)
        .ok_or_else(|| error_page("Unknown client: no application has this client_id."))?;
    let redirect_uri = params
        .get("redirect_uri")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| error_page("The request is missing redirect_uri."))?;
    if !client.redirect_uris.iter().any(|registered| registered == redirect_uri) {
        return Err(error_page("The redirect URI is not registered for this application."));
    }
    let redirect_url = url::Url::parse(redirect_uri).map_err(|_| error_page("The redirect URI is not a valid URL."))?;
    Ok(AuthorizationRequest {
        client_id: client_id.clone(),
        redirect_uri: redirect_uri.clone(),
        redirect_url,
        state: params.get("state").cloned(),
        scope: params.get("scope").filter(|s| !s.is_empty()).cloned(),
        response_type: params.get("response_type").cloned(),
    })
}

fn find_client<'a>(state: &'a AppState, client_id: &str) -> Option<&'a OAuthClient> {
    state.config.clients.iter().find(|c| c.client_id == client_id)
}

fn error_page(message: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Gusto: invalid request</title></head>\
         <body><main><h1>Invalid authorization request</h1><p role=\"alert\">{}</p></main></body></html>",
        escape_markup(message)
    );
    (StatusCode::BAD_REQUEST, Html(body)).into_response()
}

/// 302 back to the client with `pairs` added to its redirect URI, `state` echoed when sent.
fn redirect_back(request: &AuthorizationRequest, pairs: &[(&str, &str)]) -> Response {
    let mut target = request.redirect_url.clone();
    {
        let mut query = target.query_pairs_mut();
        for (k, v) in pairs {
            query.append_pair(k, v);
        }
        if let Some(state) = &request.state {
            query.append_pair("state", state);
        }
    }
    let location = HeaderValue::from_str(target.as_str()).expect("a URL is a valid header value");
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

/// Problems with `response_type` are the client's, reported by redirect (§4.1.2.1).
fn check_response_type(request: &AuthorizationRequest) -> Result<(), Response> {
    match request.response_type.as_deref() {
        Some("code") => Ok(()),
        None | Some("") => Err(redirect_back(
            request,
            &[("error", "invalid_request"), ("error_description", "response_type is required")],
        )),
        Some(_) => Err(redirect_back(request, &[("error", "unsupported_response_type")])),
    }
}

/// The sign-in and consent page. Hidden fields carry the request to the decision.
fn consent_page(request: &AuthorizationRequest, email: &str, problem: Option<&str>) -> String {
    let hidden =
        |name: &str, value: &str| format!("<input type=\"hidden\" name=\"{name}\" value=\"{}\">", escape_markup(value));
    let mut fields = hidden("client_id", &request.client_id) + &hidden("redirect_uri", &request.redirect_uri);
    fields += &hidden("response_type", request.response_type.as_deref().unwrap_or(""));
    if let Some(state) = &request.state {
        fields += &hidden("state", state);
    }
    if let Some(scope) = &request.scope {
        fields += &hidden("scope", scope);
    }
    let problem =
        problem.map(|p| format!("<p role=\"alert\" class=\"error\">{}</p>", escape_markup(p))).unwrap_or_default();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in to Gusto</title></head>\
         <body><main><h1>Sign in to Gusto</h1>\
         <p>The application <strong>{client}</strong> is requesting access to your company's payroll and employee data.</p>\
         {problem}\
         <form method=\"post\" action=\"/oauth/authorize\">{fields}\
         <p><label for=\"email\">Email</label> <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" value=\"{email}\"></p>\
         <p><label for=\"password\">Password</label> <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\"></p>\
         <p><button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button> \
         <button type=\"submit\" name=\"decision\" value=\"deny\" formnovalidate>Deny</button></p>\
         </form></main></body></html>",
        client = escape_markup(&request.client_id),
        email = escape_markup(email),
    )
}

/// `GET /oauth/authorize?client_id&redirect_uri&response_type=code&state[&scope]`
pub(crate) async fn authorize_page(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Response {
    let params = params(query_pairs(raw.as_deref()));
    let request = match validate(&state, &params) {
        Ok(request) => request,
        Err(page) => return page,
    };
    if let Err(redirect) = check_response_type(&request) {
        return redirect;
    }
    Html(consent_page(&request, "", None)).into_response()
}

/// `POST /oauth/authorize` (the form): Deny → `error=access_denied`; Allow with a company
/// admin's credentials → a code for that admin's company; wrong credentials → the form again.
pub(crate) async fn authorize_decision(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let params = params(query_pairs(std::str::from_utf8(&body).ok()));
    let request = match validate(&state, &params) {
        Ok(request) => request,
        Err(page) => return page,
    };
    if let Err(redirect) = check_response_type(&request) {
        return redirect;
    }
    if params.get("decision").map(String::as_str) != Some("allow") {
        return redirect_back(&request, &[("error", "access_denied"), ("error_description", "The user denied access")]);
    }
    let email = params.get("email").map(|e| e.trim()).unwrap_or_default();
    let password = params.get("password").map(String::as_str).unwrap_or_default();
    // The first company that lists the user as an admin is the one granted.
    let signed_in = state.config.companies.iter().enumerate().find_map(|(c, company)| {
        company
            .admins
            .iter()
            .position(|a| a.email.eq_ignore_ascii_case(email) && a.password == password)
            .map(|a| (c, a))
    });
    let Some((company, admin)) = signed_in else {
        let page = consent_page(&request, email, Some("Invalid email or password."));
        return (StatusCode::UNAUTHORIZED, Html(page)).into_response();
    };
    let code = random_token();
    {
        let mut store = state.store.lock().expect("store lock");
        let now = state.clock.now();
        // Codes nobody exchanged must not pile up.
        store.codes.retain(|_, c| c.expires_at > now);
        store.next_grant_id += 1;
        let grant = Grant {
            id: store.next_grant_id,
            client_id: request.client_id.clone(),
            company,
            admin,
            scope: request.scope.clone().unwrap_or_else(|| DEFAULT_SCOPE.to_owned()),
        };
        let expires_at = now + CODE_TTL;
        let redirect_uri = request.redirect_uri.clone();
        store.codes.insert(code.clone(), AuthorizationCode { grant, redirect_uri, expires_at });
    }
    redirect_back(&request, &[("code", &code)])
}

/// 256 random bits, base64url: the shape of Gusto's codes and tokens (43 characters).
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// RFC 6749 §5.2 error answer.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = serde_json::json!({ "error": error, "error_description": description });
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn invalid_grant() -> Response {
    oauth_error(
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "The authorization grant or refresh token is invalid, expired, revoked, was issued to another client, \
         or does not match the redirect URI of the authorization request.",
    )
}

fn invalid_request(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description)
}

/// The body's parameters: a JSON object or a form, by `Content-Type`.
fn token_params(headers: &HeaderMap, body: &[u8]) -> Result<HashMap<String, String>, Response> {
    let content_type =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    if content_type.starts_with("application/json") {
        let value: serde_json::Value =
            serde_json::from_slice(body).map_err(|_| invalid_request("The request body is not valid JSON."))?;
        let object = value.as_object().ok_or_else(|| invalid_request("The request body must be a JSON object."))?;
        Ok(object.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned()))).collect())
    } else if content_type.starts_with("application/x-www-form-urlencoded") || body.is_empty() {
        Ok(params(query_pairs(std::str::from_utf8(body).ok())))
    } else {
        Err(invalid_request("Send the parameters as application/x-www-form-urlencoded or application/json."))
    }
}

/// Client credentials from HTTP Basic (RFC 6749 §2.3.1) or the body.
fn client_credentials(headers: &HeaderMap, params: &HashMap<String, String>) -> (Option<String>, Option<String>, bool) {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .and_then(|(_, c)| STANDARD.decode(c.trim()).ok())
        .and_then(|c| String::from_utf8(c).ok())
        .and_then(|c| c.split_once(':').map(|(id, secret)| (id.to_owned(), secret.to_owned())));
    let decode = |s: &str| url::form_urlencoded::parse(format!("v={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
    match basic {
        Some((id, secret)) => (decode(&id), decode(&secret), true),
        None => (params.get("client_id").cloned(), params.get("client_secret").cloned(), false),
    }
}

/// `POST /oauth/token`: `authorization_code` and `refresh_token` grants.
pub(crate) async fn token(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    let params = match token_params(&headers, &body) {
        Ok(params) => params,
        Err(response) => return response,
    };
    let (client_id, client_secret, used_basic) = client_credentials(&headers, &params);
    let client = client_id.as_deref().and_then(|id| find_client(&state, id));
    let Some(client) = client.filter(|c| client_secret.as_deref() == Some(c.client_secret.as_str())) else {
        let mut response = oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed: unknown client, wrong secret, or no client authentication included.",
        );
        if used_basic {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"Gusto\""));
        }
        return response;
    };
    let now = state.clock.now();
    let mut store = state.store.lock().expect("store lock");
    let grant = match params.get("grant_type").map(String::as_str) {
        None | Some("") => return invalid_request("grant_type is required."),
        Some("authorization_code") => {
            let Some(code) = params.get("code").filter(|c| !c.is_empty()) else {
                return invalid_request("code is required.");
            };
            let redirect_uri = params.get("redirect_uri").map(String::as_str).unwrap_or_default();
            let valid = store.codes.get(code).is_some_and(|c| {
                c.expires_at > now && c.grant.client_id == client.client_id && c.redirect_uri == redirect_uri
            });
            if !valid {
                return invalid_grant();
            }
            // Single use: gone once exchanged.
            store.codes.remove(code).expect("checked above").grant
        }
        Some("refresh_token") => {
            let Some(refresh_token) = params.get("refresh_token").filter(|t| !t.is_empty()) else {
                return invalid_request("refresh_token is required.");
            };
            if store.refresh_tokens.get(refresh_token).is_none_or(|t| t.grant.client_id != client.client_id) {
                return invalid_grant();
            }
            // Rotation: the old refresh token and the access token issued with it stop working.
            let old = store.refresh_tokens.remove(refresh_token).expect("checked above");
            store.access_tokens.remove(&old.access_token);
            *store.refreshes.entry(old.grant.company).or_default() += 1;
            old.grant
        }
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "The authorization grant type is not supported by this server.",
            );
        }
    };

    store.access_tokens.retain(|_, t| t.expires_at > now);
    store.codes.retain(|_, c| c.expires_at > now);
    let ttl = state.config.access_token_ttl_secs;
    let (access_token, refresh_token) = (random_token(), random_token());
    let scope = grant.scope.clone();
    store.access_tokens.insert(
        access_token.clone(),
        AccessToken { grant: grant.clone(), expires_at: now + std::time::Duration::from_secs(ttl) },
    );
    store.refresh_tokens.insert(refresh_token.clone(), RefreshToken { grant, access_token: access_token.clone() });
    drop(store);

    let body = serde_json::json!({
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": ttl,
        "refresh_token": refresh_token,
        "created_at": state.clock.unix_secs(),
        "scope": scope,
    });
    let mut response = axum::Json(body).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}
