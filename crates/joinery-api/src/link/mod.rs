//! The Link flow: which integrations a link token offers, and turning credentials a provider
//! accepted into a linked account and a one-time public token.

mod auth;
mod errors;

use axum::http::StatusCode;
use joinery_connectors::{Connector, Credentials, LinkedInstance, Validated};
use joinery_domain::Category;
use joinery_domain::tokens::{SplitToken, TokenKind, generate_split_token};
use joinery_storage::{
    AccountLink, LinkRefusal, LinkTokenRecord, LinkedAccount, NewAccountToken, NewPublicToken, now_micros,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::AppStateInner;
pub use auth::{LinkSession, TokenProblem};
pub use errors::{LinkApiError, Problem};

/// Public tokens are for the customer's frontend to hand to its backend right away.
pub const PUBLIC_TOKEN_TTL_MICROS: i64 = 10 * 60 * 1_000_000;
/// How long an end user has to finish an OAuth consent.
pub const OAUTH_ATTEMPT_TTL_MICROS: i64 = 15 * 60 * 1_000_000;

pub use joinery_domain::crypto::context;

/// The accounts the link token's end user already has in the token's categories (at most one
/// per category): linking one of those integrations again is a relink.
pub async fn existing_accounts(
    state: &AppStateInner,
    token: &LinkTokenRecord,
) -> Result<Vec<LinkedAccount>, LinkApiError> {
    let mut accounts = Vec::new();
    for category in &token.request.categories {
        if let Some(account) = state
            .storage
            .find_linked_account_for_end_user(
                token.organization_id,
                category.as_str(),
                &token.request.end_user_origin_id,
            )
            .await?
        {
            accounts.push(account);
        }
    }
    Ok(accounts)
}

/// The connectors this token offers, in catalogue order: integrations serving one of its
/// categories (or the one it names), enabled for the organization, that Joinery can connect
/// (OAuth ones only with a configured client). In a category where the end user already has an
/// account, only that account's integration (a relink).
pub async fn offered(
    state: &AppStateInner,
    token: &LinkTokenRecord,
    existing: &[LinkedAccount],
) -> Result<Vec<&'static dyn Connector>, LinkApiError> {
    let disabled = state.storage.disabled_integrations(token.organization_id).await?;
    let request = &token.request;
    Ok(joinery_connectors::all()
        .into_iter()
        .filter(|c| {
            let integration = c.integration();
            let slug = integration.slug;
            integration.serves_any(&request.categories)
                && request.integration.as_deref().is_none_or(|s| s == slug)
                && !disabled.iter().any(|d| d == slug)
                && (c.oauth().is_none() || state.providers.oauth_client(slug).is_some())
                && category_for(*c, token).is_some_and(|category| {
                    existing.iter().all(|a| a.category != category.as_str() || a.integration == slug)
                })
        })
        .collect())
}

/// The category a linked account of `connector` gets: the first of the token's categories the
/// integration serves.
pub fn category_for(connector: &dyn Connector, token: &LinkTokenRecord) -> Option<Category> {
    token.request.categories.iter().copied().find(|c| connector.integration().categories.contains(c))
}

/// Finds `slug` among the offered connectors, or says why it is not there.
pub async fn offered_connector(
    state: &AppStateInner,
    token: &LinkTokenRecord,
    slug: &str,
) -> Result<(&'static dyn Connector, Vec<LinkedAccount>), LinkApiError> {
    let existing = existing_accounts(state, token).await?;
    let offered = offered(state, token, &existing).await?;
    if let Some(connector) = offered.iter().find(|c| c.integration().slug.eq_ignore_ascii_case(slug)) {
        return Ok((*connector, existing));
    }
    // Say why, when the reason is the end user's existing account.
    if let Some(connector) = joinery_connectors::find(slug)
        && let Some(category) = category_for(connector, token)
        && let Some(account) = existing.iter().find(|a| a.category == category.as_str())
    {
        let name =
            joinery_domain::integrations::find(&account.integration).map_or(account.integration.as_str(), |i| i.name);
        return Err(Problem::new(
            "RELINK_INTEGRATION_MISMATCH",
            format!(
                "This end user already has a linked {name} account for {category}; it can only be relinked with {name}."
            ),
        )
        .with_field("integration")
        .into());
    }
    Err(Problem::new("INTEGRATION_NOT_AVAILABLE", format!("The integration \"{slug}\" is not offered by this link."))
        .with_field("integration")
        .into())
}

/// The grant an OAuth callback validated, sealed until the Link page completes the flow.
#[derive(Serialize, Deserialize)]
pub struct SealedValidation {
    pub credentials: Credentials,
    pub instance_id: String,
    pub display_value: String,
    pub subdomain: Option<String>,
}

impl From<Validated> for SealedValidation {
    fn from(v: Validated) -> Self {
        SealedValidation {
            credentials: v.credentials,
            instance_id: v.instance.instance_id,
            display_value: v.instance.display_value,
            subdomain: v.instance.subdomain,
        }
    }
}

impl From<SealedValidation> for Validated {
    fn from(v: SealedValidation) -> Self {
        Validated {
            credentials: v.credentials,
            instance: LinkedInstance {
                instance_id: v.instance_id,
                display_value: v.display_value,
                subdomain: v.subdomain,
            },
        }
    }
}

/// The answer to a successful link.
// No Debug: it holds a token.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Connected {
    /// One-time token for the customer's backend to exchange for the account token.
    pub public_token: String,
    pub integration: &'static str,
    #[schema(value_type = Object)]
    pub additional_info: Value,
}

/// Stores the outcome of validated credentials: a new linked account, or new credentials for the
/// end user's existing one (relink, keeping its id and account token); consumes the link token;
/// returns the public token.
pub async fn finish(
    state: &AppStateInner,
    token: &LinkTokenRecord,
    connector: &'static dyn Connector,
    validated: Validated,
) -> Result<Connected, LinkApiError> {
    let integration = connector.integration();
    let category = category_for(connector, token).ok_or_else(|| {
        LinkApiError::from(Problem::new("INTEGRATION_NOT_AVAILABLE", "The integration is not offered by this link."))
    })?;
    let request = &token.request;
    let credentials_json =
        serde_json::to_vec(&validated.credentials).map_err(|e| LinkApiError::internal(e.to_string()))?;
    let scopes = (request.common_models.is_some() || request.category_common_model_scopes.is_some()).then(|| {
        serde_json::json!({
            "common_models": request.common_models,
            "category_common_model_scopes": request.category_common_model_scopes,
        })
    });
    // A concurrent link of the same end user can win between the read and the write; the
    // second attempt sees its result and relinks.
    for _ in 0..2 {
        let existing = state
            .storage
            .find_linked_account_for_end_user(token.organization_id, category.as_str(), &request.end_user_origin_id)
            .await?;
        let id = existing.as_ref().map_or_else(Uuid::now_v7, |a| a.id);
        let account_token = existing.is_none().then(|| {
            let SplitToken { id: token_id, token } = generate_split_token();
            NewAccountToken {
                id: token_id,
                hash: state.hasher.hash(TokenKind::AccountToken, &token),
                sealed: state.keyring.seal(token.as_bytes(), &context::account_token(id)),
            }
        });
        let public = generate_split_token();
        let now = now_micros();
        let link = AccountLink {
            id,
            relink: existing.is_some(),
            organization_id: token.organization_id,
            category: category.as_str().to_owned(),
            integration: integration.slug.to_owned(),
            end_user_origin_id: request.end_user_origin_id.clone(),
            end_user_organization_name: request.end_user_organization_name.clone(),
            end_user_email_address: request.end_user_email_address.clone(),
            credentials_sealed: state.keyring.seal(&credentials_json, &context::credentials(id)),
            instance_id: validated.instance.instance_id.clone(),
            instance_display_value: validated.instance.display_value.clone(),
            subdomain: validated.instance.subdomain.clone(),
            scopes: scopes.clone(),
            are_syncs_disabled: request.are_syncs_disabled,
            integration_specific_config: request.integration_specific_config.clone().map(Value::Object),
            account_token,
            link_token_id: token.id,
            public_token: NewPublicToken {
                id: public.id,
                hash: state.hasher.hash(TokenKind::PublicToken, &public.token),
                expires_at: now + PUBLIC_TOKEN_TTL_MICROS,
            },
            now,
        };
        match state.storage.link_account(&link).await? {
            Ok(outcome) => {
                if !request.are_syncs_disabled {
                    let kind = if link.relink { "RELINK" } else { "INITIAL" };
                    // Already queued or running (a relink during a sync): that job will do. The
                    // link is committed: failing now would lose the public token, and the
                    // periodic sync picks the account up anyway.
                    if let Err(e) = state.storage.enqueue_sync(id, kind, now, now).await {
                        tracing::warn!(linked_account = %id, error = %e, "queueing the first sync failed");
                    }
                }
                tracing::info!(
                    linked_account = %id, integration = integration.slug, relink = link.relink,
                    is_duplicate = outcome.is_duplicate, "account linked"
                );
                return Ok(Connected {
                    public_token: public.token,
                    integration: integration.slug,
                    additional_info: serde_json::json!({ "isTokenForOtherPreexistingLinkedAccount": false }),
                });
            }
            Err(LinkRefusal::LinkTokenGone) => return Err(TokenProblem::Used.into()),
            Err(LinkRefusal::IntegrationMismatch { existing }) => {
                return Err(Problem::new(
                    "RELINK_INTEGRATION_MISMATCH",
                    format!("This end user already has a linked account for {category} with {existing}."),
                )
                .with_field("integration")
                .into());
            }
            Err(LinkRefusal::Raced) => continue,
        }
    }
    Err(LinkApiError::Problems(
        StatusCode::CONFLICT,
        vec![Problem::new("CONFLICT", "This end user's account changed while linking; please try again.")],
    ))
}
