//! The Link JSON API (`/api/link/v1/*`), authorized by the link token. The Link page uses only
//! these routes, so a headless client can link an account without a browser (docs/link.md).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use joinery_connectors::{Connector, Credentials, check_required_fields, oauth};
use joinery_domain::tokens::{SplitToken, TokenKind, generate_split_token, split_token_id};
use joinery_storage::{OAuthAttempt, now_micros};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::extract::JsonBody;
use crate::link::{self, Connected, LinkApiError, LinkSession, Problem, SealedValidation, context};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(session))
        .routes(routes!(connect))
        .routes(routes!(oauth_start))
        .routes(routes!(oauth_complete))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionField {
    pub name: &'static str,
    /// In the session's language.
    pub label: &'static str,
    /// Shown as a password input.
    pub secret: bool,
    pub required: bool,
    pub placeholder: Option<&'static str>,
    pub help: Option<&'static str>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionIntegration {
    pub slug: &'static str,
    pub name: &'static str,
    pub categories: Vec<&'static str>,
    /// `API_KEY`, `BASIC`, `OAUTH2` or `CLIENT_CREDENTIALS`.
    pub auth_type: &'static str,
    pub image: String,
    pub square_image: String,
    pub color: &'static str,
    pub fields: Vec<SessionField>,
}

/// What the Link page needs to render.
#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    pub integrations: Vec<SessionIntegration>,
    /// The pre-selected integration (named by the token, or the end user's existing account).
    pub integration: Option<&'static str>,
    /// `en` or `de`.
    pub language: String,
    pub end_user_organization_name: String,
    /// The end user already has a linked account this link would update.
    pub is_relink: bool,
}

/// The Link session of a link token: the integrations it offers with their credential forms.
#[utoipa::path(get, path = "/api/link/v1/session", tag = "link",
    params(("X-Link-Token" = String, Header, description = "The link token")),
    responses(
        (status = 200, body = Session),
        (status = 401, description = "Link token invalid, expired or used (`problem_type` says which)", body = Object),
    ))]
async fn session(
    State(state): State<AppState>,
    LinkSession(token): LinkSession,
) -> Result<Json<Session>, LinkApiError> {
    let existing = link::existing_accounts(&state, &token).await?;
    let offered = link::offered(&state, &token, &existing).await?;
    let language = token.request.language.clone().unwrap_or_else(|| "en".to_owned());
    let preselected = token.request.integration.as_deref().or_else(|| existing.first().map(|a| a.integration.as_str()));
    let integration = offered.iter().map(|c| c.integration().slug).find(|slug| Some(*slug) == preselected);
    let integrations = offered
        .iter()
        .map(|c| {
            let i = c.integration();
            SessionIntegration {
                slug: i.slug,
                name: i.name,
                categories: i.categories.iter().map(|c| c.as_str()).collect(),
                auth_type: i.auth_type.as_str(),
                image: state.url(&format!("/assets/integrations/{}/image.svg", i.slug)),
                square_image: state.url(&format!("/assets/integrations/{}/square_image.svg", i.slug)),
                color: i.color,
                fields: c
                    .credential_fields()
                    .iter()
                    .map(|f| SessionField {
                        name: f.name,
                        label: f.label.get(&language),
                        secret: f.secret,
                        required: f.required,
                        placeholder: f.placeholder.map(|t| t.get(&language)),
                        help: f.help.map(|t| t.get(&language)),
                    })
                    .collect(),
            }
        })
        .collect();
    let is_relink = integration.is_some_and(|slug| existing.iter().any(|a| a.integration == slug));
    Ok(Json(Session {
        integrations,
        integration,
        language,
        end_user_organization_name: token.request.end_user_organization_name.clone(),
        is_relink,
    }))
}

/// `{"integration": slug, "credentials": {...}}`, checked member by member.
fn parse_connect(body: &Value) -> Result<(String, Credentials), LinkApiError> {
    let Value::Object(obj) = body else {
        return Err(Problem::new("INVALID_FIELD", "Expected a JSON object.").into());
    };
    let integration = match obj.get("integration") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        None | Some(Value::Null) => {
            return Err(Problem::new("MISSING_FIELD", "This field is required.").with_field("integration").into());
        }
        Some(_) => {
            return Err(Problem::new("INVALID_FIELD", "Expected an integration slug.")
                .with_field("integration")
                .into());
        }
    };
    let mut credentials = Credentials::default();
    match obj.get("credentials") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (name, value) in map {
                match value {
                    Value::String(s) => credentials.insert(name, s.clone()),
                    _ => {
                        return Err(Problem::new("INVALID_FIELD", "Expected a string.")
                            .with_field(&format!("credentials.{name}"))
                            .into());
                    }
                }
            }
        }
        Some(_) => {
            return Err(Problem::new("INVALID_FIELD", "Expected an object of credential fields.")
                .with_field("credentials")
                .into());
        }
    }
    Ok((integration, credentials))
}

/// Keeps the connector's form fields only, refusing names it does not know (nothing unexpected
/// is stored with the credentials).
fn form_fields(connector: &dyn Connector, credentials: Credentials) -> Result<Credentials, LinkApiError> {
    let fields = connector.credential_fields();
    if let Some(unknown) = credentials.names().find(|n| !fields.iter().any(|f| f.name == *n)) {
        return Err(Problem::new(
            "INVALID_FIELD",
            format!("{} does not use a \"{unknown}\" field.", connector.integration().name),
        )
        .with_field(&format!("credentials.{unknown}"))
        .into());
    }
    check_required_fields(fields, &credentials)?;
    Ok(credentials)
}

/// Checks credentials with the provider and links the account. The link token is consumed only
/// on success; a rejection creates nothing and the end user can try again.
#[utoipa::path(post, path = "/api/link/v1/connect", tag = "link",
    params(("X-Link-Token" = String, Header, description = "The link token")),
    request_body(content = Object, description = "`{\"integration\": slug, \"credentials\": {field: value}}`"),
    responses(
        (status = 200, body = Connected),
        (status = 400, description = "`{\"errors\": [{\"detail\", \"problem_type\", \"field\"?}]}`: bad input, or the provider rejected the credentials", body = Object),
        (status = 401, description = "Link token invalid, expired or used", body = Object),
    ))]
async fn connect(
    State(state): State<AppState>,
    LinkSession(token): LinkSession,
    JsonBody(body): JsonBody,
) -> Result<Json<Connected>, LinkApiError> {
    let (slug, credentials) = parse_connect(&body)?;
    let (connector, _) = link::offered_connector(&state, &token, &slug).await?;
    if connector.oauth().is_some() {
        return Err(Problem::new(
            "INVALID_FIELD",
            format!("{} is connected with OAuth: use /api/link/v1/oauth/start.", connector.integration().name),
        )
        .with_field("integration")
        .into());
    }
    let credentials = form_fields(connector, credentials)?;
    let validated = match connector.validate(&state.providers, &credentials).await {
        Ok(validated) => validated,
        Err(e) => {
            if counts_as_failed_attempt(e.problem_type) {
                state.storage.record_failed_link_attempt(token.id).await?;
            }
            return Err(e.into());
        }
    };
    Ok(Json(link::finish(&state, &token, connector, validated).await?))
}

/// The provider refused what the end user entered (not an outage, nor a typo caught locally).
pub fn counts_as_failed_attempt(problem: joinery_connectors::ProblemType) -> bool {
    use joinery_connectors::ProblemType::*;
    matches!(problem, InvalidCredentials | UnknownInstance | MissingPermission | OAuthDenied)
}

// No Debug: it holds a token.
#[derive(Serialize, ToSchema)]
pub struct OAuthStarted {
    /// The provider's consent page; open it in a popup (or follow it).
    pub authorize_url: String,
    /// The attempt's `state`, for `/api/link/v1/oauth/complete`.
    pub state: String,
}

/// Starts an OAuth 2.0 authorization: returns the provider's consent URL. The provider sends the
/// end user back to `/link/oauth/callback`.
#[utoipa::path(post, path = "/api/link/v1/oauth/start", tag = "link",
    params(("X-Link-Token" = String, Header, description = "The link token")),
    request_body(content = Object, description = "`{\"integration\": slug, \"credentials\": {field: value}}` (only the fields the session lists, often none)"),
    responses(
        (status = 200, body = OAuthStarted),
        (status = 400, description = "`{\"errors\": [...]}`", body = Object),
        (status = 401, description = "Link token invalid, expired or used", body = Object),
    ))]
async fn oauth_start(
    State(state): State<AppState>,
    LinkSession(token): LinkSession,
    JsonBody(body): JsonBody,
) -> Result<Json<OAuthStarted>, LinkApiError> {
    let (slug, credentials) = parse_connect(&body)?;
    let (connector, _) = link::offered_connector(&state, &token, &slug).await?;
    let slug = connector.integration().slug;
    let (Some(spec), Some((client_id, _))) = (connector.oauth(), state.providers.oauth_client(slug)) else {
        return Err(Problem::new(
            "INVALID_FIELD",
            format!("{} is not connected with OAuth: use /api/link/v1/connect.", connector.integration().name),
        )
        .with_field("integration")
        .into());
    };
    let fields = form_fields(connector, credentials)?;
    let fields_json = serde_json::to_vec(&fields).map_err(|e| LinkApiError::internal(e.to_string()))?;
    let SplitToken { id, token: oauth_state } = generate_split_token();
    let now = now_micros();
    state
        .storage
        .insert_oauth_attempt(&OAuthAttempt {
            id,
            state_hash: state.hasher.hash(TokenKind::OAuthState, &oauth_state).to_vec(),
            link_token_id: token.id,
            integration: slug.to_owned(),
            fields_sealed: state.keyring.seal(&fields_json, &context::oauth_fields(id)),
            result_sealed: None,
            errors: None,
            created_at: now,
            expires_at: now + link::OAUTH_ATTEMPT_TTL_MICROS,
        })
        .await?;
    let authorize_url =
        oauth::authorize_url(&state.providers, slug, spec, client_id, &state.oauth_redirect_uri(), &oauth_state);
    Ok(Json(OAuthStarted { authorize_url: authorize_url.into(), state: oauth_state }))
}

/// Finishes an OAuth authorization after the provider redirected back: links the account with
/// the validated grant.
#[utoipa::path(post, path = "/api/link/v1/oauth/complete", tag = "link",
    params(("X-Link-Token" = String, Header, description = "The link token")),
    request_body(content = Object, description = "`{\"state\": \"…\"}` from `/oauth/start`"),
    responses(
        (status = 200, body = Connected),
        (status = 400, description = "`{\"errors\": [...]}`: consent denied, or the provider rejected the grant", body = Object),
        (status = 401, description = "Link token invalid, expired or used", body = Object),
        (status = 404, description = "`OAUTH_STATE_UNKNOWN`", body = Object),
        (status = 409, description = "`OAUTH_PENDING`: the provider has not redirected back yet", body = Object),
    ))]
async fn oauth_complete(
    State(state): State<AppState>,
    LinkSession(token): LinkSession,
    JsonBody(body): JsonBody,
) -> Result<Json<Connected>, LinkApiError> {
    let unknown = || {
        LinkApiError::Problems(
            StatusCode::NOT_FOUND,
            vec![
                Problem::new("OAUTH_STATE_UNKNOWN", "No OAuth attempt with this state for this link.")
                    .with_field("state"),
            ],
        )
    };
    let oauth_state = match body.get("state") {
        Some(Value::String(s)) => s.trim().to_owned(),
        None | Some(Value::Null) => {
            return Err(Problem::new("MISSING_FIELD", "This field is required.").with_field("state").into());
        }
        Some(_) => return Err(Problem::new("INVALID_FIELD", "Expected a string.").with_field("state").into()),
    };
    let id = split_token_id(&oauth_state).ok_or_else(unknown)?;
    let attempt = state.storage.find_oauth_attempt(id).await?.ok_or_else(unknown)?;
    if attempt.link_token_id != token.id
        || !state.hasher.verify(TokenKind::OAuthState, &oauth_state, &attempt.state_hash)
        || attempt.expires_at <= now_micros()
    {
        return Err(unknown());
    }
    if let Some(errors) = &attempt.errors {
        let errors: Vec<StoredProblem> =
            serde_json::from_str(errors).map_err(|e| LinkApiError::internal(e.to_string()))?;
        return Err(LinkApiError::Problems(StatusCode::BAD_REQUEST, errors.into_iter().map(Problem::from).collect()));
    }
    let Some(sealed) = &attempt.result_sealed else {
        return Err(LinkApiError::Problems(
            StatusCode::CONFLICT,
            vec![Problem::new("OAUTH_PENDING", "The provider has not sent the end user back yet.")],
        ));
    };
    let connector = joinery_connectors::find(&attempt.integration).ok_or_else(unknown)?;
    let plain =
        state.keyring.open(sealed, &context::oauth_result(id)).map_err(|e| LinkApiError::internal(e.to_string()))?;
    let validation: SealedValidation =
        serde_json::from_slice(&plain).map_err(|e| LinkApiError::internal(e.to_string()))?;
    let connected = link::finish(&state, &token, connector, validation.into()).await?;
    // The grant now lives sealed on the account only.
    state.storage.delete_oauth_attempt(id).await?;
    Ok(Json(connected))
}

/// A problem as the OAuth callback stores it.
#[derive(serde::Deserialize, Serialize)]
pub struct StoredProblem {
    pub detail: String,
    pub problem_type: String,
    pub field: Option<String>,
}

impl From<StoredProblem> for Problem {
    fn from(p: StoredProblem) -> Self {
        // Problem types are a closed set; anything else reads as a provider error.
        let problem_type = joinery_connectors::ProblemType::ALL
            .iter()
            .map(|t| t.as_str())
            .find(|t| *t == p.problem_type)
            .unwrap_or("PROVIDER_ERROR");
        Problem { detail: p.detail, problem_type, field: p.field }
    }
}
