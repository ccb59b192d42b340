//! Gusto: OAuth 2.0 authorization code; the grant is for one company, found with
//! `GET /v1/token_info`. Syncs read the company's HR and payroll data ([`sync`]).

pub mod api;
pub mod sync;

use joinery_domain::integrations::{self, Integration};

use crate::http::{unexpected_status, unreachable};
use crate::oauth::{ACCESS_TOKEN, OAuthSpec, TokenBody};
use crate::{
    BoxFuture, Connector, Coverage, CredentialField, Credentials, LinkError, LinkedInstance, ProblemType, ProviderHttp,
    ReadRequest, RecordSink, SyncError, Validated,
};

pub const SLUG: &str = "gusto";
/// Stored beside the grant: every Gusto path names the company.
pub const COMPANY_UUID: &str = "company_uuid";

static OAUTH: OAuthSpec = OAuthSpec {
    authorize_url: api::AUTHORIZE_URL,
    token_url: api::TOKEN_URL,
    // Gusto grants the scopes the application was approved for.
    scopes: &[],
    token_body: TokenBody::Json,
};

pub struct Gusto;

impl Connector for Gusto {
    fn integration(&self) -> &'static Integration {
        integrations::find(SLUG).expect("Gusto is in the catalogue")
    }

    fn credential_fields(&self) -> &'static [CredentialField] {
        &[]
    }

    fn oauth(&self) -> Option<&'static OAuthSpec> {
        Some(&OAUTH)
    }

    fn validate<'a>(
        &'a self,
        http: &'a ProviderHttp,
        credentials: &'a Credentials,
    ) -> BoxFuture<'a, Result<Validated, LinkError>> {
        Box::pin(validate(http, credentials))
    }

    fn sync_models(&self) -> &'static [&'static str] {
        sync::MODELS
    }

    fn read<'a>(
        &'a self,
        request: ReadRequest<'a>,
        sink: &'a RecordSink,
    ) -> BoxFuture<'a, Result<Coverage, SyncError>> {
        Box::pin(sync::read(request, sink))
    }
}

async fn get<T: serde::de::DeserializeOwned>(http: &ProviderHttp, token: &str, path: &str) -> Result<T, LinkError> {
    let response = http
        .client()
        .get(http.url(SLUG, &format!("{}{path}", api::BASE)))
        .bearer_auth(token)
        .header(api::API_VERSION_HEADER, api::API_VERSION)
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|e| unreachable("Gusto", e))?;
    match response.status().as_u16() {
        200 => response.json().await.map_err(|e| unreachable("Gusto", e)),
        401 => Err(LinkError::new(
            ProblemType::InvalidCredentials,
            "Gusto did not accept the authorization. Please connect again.",
        )),
        403 | 404 => Err(LinkError::new(
            ProblemType::MissingPermission,
            "The Gusto authorization does not give access to the company's data. Connect as a company admin.",
        )),
        _ => Err(unexpected_status("Gusto", response.status())),
    }
}

async fn validate(http: &ProviderHttp, credentials: &Credentials) -> Result<Validated, LinkError> {
    let token = credentials
        .get(ACCESS_TOKEN)
        .ok_or_else(|| LinkError::new(ProblemType::OAuthDenied, "Gusto did not grant access. Please connect again."))?;
    let info: api::TokenInfo = get(http, token, "/v1/token_info").await?;
    let company_uuid = match info.resource {
        Some(resource) if resource.kind == "Company" => resource.uuid,
        _ => {
            return Err(LinkError::new(
                ProblemType::MissingPermission,
                "The Gusto authorization is not for a company. Connect as a company admin.",
            ));
        }
    };
    let company: api::Company = get(http, token, &format!("/v1/companies/{company_uuid}")).await?;
    let mut stored = credentials.clone();
    stored.insert(COMPANY_UUID, company_uuid.clone());
    let display_value = company.trade_name.or(company.name).unwrap_or_else(|| company.uuid.clone());
    Ok(Validated {
        credentials: stored,
        instance: LinkedInstance { instance_id: company_uuid, display_value, subdomain: None },
    })
}
