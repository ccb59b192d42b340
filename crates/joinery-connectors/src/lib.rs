//! The connector SDK and the connectors. A connector knows one provider: what an end user types
//! in Link to connect it ([`CredentialField`]), how to obtain an OAuth grant ([`OAuthSpec`]), and
//! how to check that credentials really work ([`Connector::validate`]). Vendor request/response
//! types live in each provider's `api` module, apart from what Joinery makes of them.
//!
//! Every request goes through [`ProviderHttp`], which applies the configured base URL override
//! (`JOINERY_PROVIDER_<SLUG>_BASE_URL`) and never follows redirects, so credentials are only ever
//! sent to the provider's own host.

pub mod bamboohr;
mod credentials;
pub mod gusto;
mod http;
pub mod oauth;

use std::future::Future;
use std::pin::Pin;

use joinery_domain::integrations::Integration;

pub use credentials::Credentials;
pub use http::{
    AccountHttp, Clock, ProviderHttp, ProviderSettings, RetryPolicy, SyncError, TokioClock, VirtualClock, refresh_grant,
};
pub use oauth::OAuthSpec;

/// A future a connector returns; boxed so connectors can sit behind `dyn Connector`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A text in each language Link speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text {
    pub en: &'static str,
    pub de: &'static str,
}

impl Text {
    /// The text in `language` (`en` or `de`); English otherwise.
    pub fn get(&self, language: &str) -> &'static str {
        if language == "de" { self.de } else { self.en }
    }
}

/// One input of the credential form in Link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialField {
    /// Key in the `credentials` object of `POST /api/link/v1/connect`.
    pub name: &'static str,
    pub label: Text,
    /// Shown as a password input, and never echoed back.
    pub secret: bool,
    pub required: bool,
    pub placeholder: Option<Text>,
    pub help: Option<Text>,
}

/// Where a linked account points: one provider instance (a company, a tenant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedInstance {
    /// Stable identifier of the instance at the provider; two linked accounts with the same one
    /// are duplicates.
    pub instance_id: String,
    /// How to show the instance to people, e.g. `acme.bamboohr.com`.
    pub display_value: String,
    /// The tenant or domain the end user gave access to, when the provider has one.
    pub subdomain: Option<String>,
}

/// Credentials that work, as they will be stored (normalized, possibly enriched with what the
/// provider told us), and the instance they reach.
#[derive(Debug, Clone)]
pub struct Validated {
    pub credentials: Credentials,
    pub instance: LinkedInstance,
}

/// Why credentials were not accepted; `problem_type` is what Link localizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemType {
    MissingField,
    InvalidField,
    InvalidCredentials,
    MissingPermission,
    UnknownInstance,
    OAuthDenied,
    ProviderError,
    RateLimited,
    ProviderUnreachable,
}

impl ProblemType {
    pub const ALL: &[ProblemType] = &[
        ProblemType::MissingField,
        ProblemType::InvalidField,
        ProblemType::InvalidCredentials,
        ProblemType::MissingPermission,
        ProblemType::UnknownInstance,
        ProblemType::OAuthDenied,
        ProblemType::ProviderError,
        ProblemType::RateLimited,
        ProblemType::ProviderUnreachable,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ProblemType::MissingField => "MISSING_FIELD",
            ProblemType::InvalidField => "INVALID_FIELD",
            ProblemType::InvalidCredentials => "INVALID_CREDENTIALS",
            ProblemType::MissingPermission => "MISSING_PERMISSION",
            ProblemType::UnknownInstance => "UNKNOWN_INSTANCE",
            ProblemType::OAuthDenied => "OAUTH_DENIED",
            ProblemType::ProviderError => "PROVIDER_ERROR",
            ProblemType::RateLimited => "RATE_LIMITED",
            ProblemType::ProviderUnreachable => "PROVIDER_UNREACHABLE",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct LinkError {
    pub problem_type: ProblemType,
    pub detail: String,
    /// The request member at fault (`credentials.api_key`), for input problems.
    pub field: Option<String>,
}

impl LinkError {
    pub fn new(problem_type: ProblemType, detail: impl Into<String>) -> Self {
        LinkError { problem_type, detail: detail.into(), field: None }
    }

    pub fn field(problem_type: ProblemType, field: &str, detail: impl Into<String>) -> Self {
        LinkError { problem_type, detail: detail.into(), field: Some(format!("credentials.{field}")) }
    }
}

/// One provider object as a connector reads it, already mapped to a common model: `fields` are
/// the model's fields by name (relations as the related object's *remote* id, datetimes as
/// provider dates or RFC 3339), `enum_origins` the provider's raw values of enum fields.
#[derive(Debug, Clone, Default)]
pub struct RemoteRecord {
    pub remote_id: String,
    pub fields: serde_json::Map<String, serde_json::Value>,
    pub enum_origins: serde_json::Map<String, serde_json::Value>,
    /// `[{"path": provider path, "data": payload}]`, for `include_remote_data`.
    pub remote_data: Vec<serde_json::Value>,
}

/// A page of records and where the next one starts (connector-defined; None = done).
#[derive(Debug, Default)]
pub struct RecordPage {
    pub records: Vec<RemoteRecord>,
    pub next: Option<String>,
}

/// What a provider connector implements.
pub trait Connector: Send + Sync + 'static {
    fn integration(&self) -> &'static Integration;

    /// The form Link shows. For OAuth integrations, what is needed before the redirect (often
    /// nothing).
    fn credential_fields(&self) -> &'static [CredentialField];

    /// The OAuth 2.0 authorization-code flow, for integrations linked by consent.
    fn oauth(&self) -> Option<&'static OAuthSpec> {
        None
    }

    /// Checks `credentials` against the provider with one or two cheap calls that need the same
    /// permissions a sync needs. For OAuth integrations `credentials` hold the grant
    /// (`access_token`, `refresh_token`, `expires_at`) besides the form fields.
    fn validate<'a>(
        &'a self,
        http: &'a ProviderHttp,
        credentials: &'a Credentials,
    ) -> BoxFuture<'a, Result<Validated, LinkError>>;

    /// The model ids this connector syncs, in dependency order (related models first).
    fn sync_models(&self) -> &'static [&'static str] {
        &[]
    }

    /// One page of a model's records, starting at `cursor` (None = the first page).
    fn read<'a>(
        &'a self,
        http: &'a AccountHttp,
        credentials: &'a Credentials,
        model: &'static str,
        cursor: Option<String>,
    ) -> BoxFuture<'a, Result<RecordPage, SyncError>> {
        let _ = (http, credentials, cursor);
        Box::pin(async move { Err(SyncError::Protocol(format!("this connector does not sync {model}"))) })
    }
}

static BAMBOOHR: bamboohr::BambooHr = bamboohr::BambooHr;
static GUSTO: gusto::Gusto = gusto::Gusto;

/// Every connector Joinery ships.
pub fn all() -> [&'static dyn Connector; 2] {
    [&BAMBOOHR, &GUSTO]
}

/// The connector of an integration, if Joinery can connect it yet.
pub fn find(slug: &str) -> Option<&'static dyn Connector> {
    all().into_iter().find(|c| c.integration().slug.eq_ignore_ascii_case(slug))
}

/// Checks that every required form field is present and non-blank, naming the first missing
/// ones; then that no value carries control characters.
pub fn check_required_fields(fields: &[CredentialField], credentials: &Credentials) -> Result<(), LinkError> {
    for field in fields {
        let value = credentials.get(field.name).map(str::trim).unwrap_or("");
        if field.required && value.is_empty() {
            return Err(LinkError::field(ProblemType::MissingField, field.name, "This field is required."));
        }
        if value.chars().any(char::is_control) {
            return Err(LinkError::field(
                ProblemType::InvalidField,
                field.name,
                "This field must not contain control characters.",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_connector_is_in_the_catalogue() {
        for connector in all() {
            let integration = connector.integration();
            assert_eq!(joinery_domain::integrations::find(integration.slug), Some(integration));
            assert_eq!(
                connector.oauth().is_some(),
                integration.auth_type == joinery_domain::integrations::AuthType::OAuth2
            );
            for field in connector.credential_fields() {
                assert!(!field.label.en.is_empty() && !field.label.de.is_empty(), "{}", field.name);
            }
        }
        assert!(find("BambooHR").is_some());
        assert!(find("workday").is_none());
    }

    #[test]
    fn required_fields_are_named() {
        let fields = bamboohr::BambooHr.credential_fields();
        let mut credentials = Credentials::default();
        credentials.insert("company_domain", "acme");
        let err = check_required_fields(fields, &credentials).unwrap_err();
        assert_eq!((err.problem_type, err.field.as_deref()), (ProblemType::MissingField, Some("credentials.api_key")));
        credentials.insert("api_key", "a\u{0}b");
        let err = check_required_fields(fields, &credentials).unwrap_err();
        assert_eq!(err.problem_type, ProblemType::InvalidField);
    }
}
