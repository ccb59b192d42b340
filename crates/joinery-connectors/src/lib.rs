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
mod record;
mod stream;

use std::future::Future;
use std::pin::Pin;

use joinery_domain::integrations::Integration;

pub use credentials::{AccountCredentials, CredentialStore, Credentials};
pub use http::{
    AccountHttp, Clock, ProviderHttp, ProviderSettings, RateLimit, RetryPolicy, SyncError, TokioClock, VirtualClock,
    refresh_grant,
};
pub use oauth::OAuthSpec;
pub use record::{Fields, RawJson, RemotePayload, RemoteRecord, SyncScratch};
pub use stream::{Element, JsonBatches};

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

/// How much of a model a read covered, which decides what the sync may mark deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    /// Every record of the model was read: stored rows that were not read are gone.
    Complete,
    /// Only records changed since the `since` of the [`ReadRequest`] were read.
    Changes {
        /// Remote ids the provider reports deleted.
        deleted: Vec<String>,
        /// Related objects whose records of this model were all read, as (relation field,
        /// related remote id): `("employee", "42")` after reading every employment of employee
        /// 42, so that its employments not read are gone.
        complete_for: Vec<(&'static str, String)>,
    },
}

/// What a sync asks of a connector for one model.
pub struct ReadRequest<'a> {
    pub http: &'a AccountHttp,
    pub credentials: &'a AccountCredentials,
    pub model: &'static str,
    /// The start of the previous complete read, less a safety margin: a connector whose provider
    /// can list changes may read only what changed since (returning [`Coverage::Changes`]);
    /// `None` asks for everything.
    pub since: Option<time::OffsetDateTime>,
    /// Shared by the reads of one sync, in model order: what a read left for a later one.
    pub scratch: &'a SyncScratch,
}

/// Where a connector sends the records it reads, in batches, as it reads them: the sync writes
/// one batch while the connector reads the next, and memory holds a few batches, never a whole
/// account.
pub struct RecordSink {
    tx: tokio::sync::mpsc::Sender<Vec<RemoteRecord>>,
}

/// Records per batch connectors aim for.
pub const BATCH: usize = 500;

impl RecordSink {
    /// A sink and the receiving end of its batches; at most `capacity` batches wait.
    pub fn channel(capacity: usize) -> (RecordSink, tokio::sync::mpsc::Receiver<Vec<RemoteRecord>>) {
        let (tx, rx) = tokio::sync::mpsc::channel(capacity.max(1));
        (RecordSink { tx }, rx)
    }

    /// Hands over a batch, waiting while the sync is behind.
    pub async fn send(&self, records: Vec<RemoteRecord>) -> Result<(), SyncError> {
        if records.is_empty() {
            return Ok(());
        }
        self.tx.send(records).await.map_err(|_| SyncError::Protocol("the sync stopped taking records".into()))
    }
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

    /// Reads one model (one of [`sync_models`](Self::sync_models)), sending its records to
    /// `sink` in batches of about [`BATCH`], and says how much of the model it covered.
    fn read<'a>(
        &'a self,
        request: ReadRequest<'a>,
        sink: &'a RecordSink,
    ) -> BoxFuture<'a, Result<Coverage, SyncError>> {
        let _ = sink;
        let model = request.model;
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
