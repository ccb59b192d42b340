//! The HTTP client of every provider call: Link's validation requests ([`ProviderHttp`]) and the
//! sync request path with rate limits, retries and OAuth refresh ([`AccountHttp`]).

mod account;
mod clock;
mod refresh;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::{LinkError, ProblemType};

// The crate root re-exports these. Until it names them all, the ones only reachable from here
// (`refresh_grant`, `VirtualClock`) would warn as unused: hence the `allow`s, to drop then.
pub(crate) use account::bad_json_at;
#[allow(unused_imports)]
pub use account::{AccountHttp, RateLimit, RetryPolicy, SyncError};
#[allow(unused_imports)]
pub use clock::{Clock, TokioClock, VirtualClock};
#[allow(unused_imports)]
pub use refresh::refresh_grant;

/// Per-provider settings from configuration (`JOINERY_PROVIDER_<SLUG>_*`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ProviderSettings {
    /// Replaces scheme, host and port of every request to this provider (the path is kept):
    /// for emulators, proxies and sandboxes.
    pub base_url: Option<Url>,
    /// The OAuth client registered with the provider, for OAuth integrations.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

impl fmt::Debug for ProviderSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderSettings")
            .field("base_url", &self.base_url.as_ref().map(Url::as_str))
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The HTTP client every connector uses, with the configured provider settings.
#[derive(Debug, Clone)]
pub struct ProviderHttp {
    client: reqwest::Client,
    providers: Arc<HashMap<String, ProviderSettings>>,
    /// What sync retries and rate limits wait with.
    clock: Arc<dyn Clock>,
}

/// How long Link waits for a provider: an end user is watching a spinner.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

impl ProviderHttp {
    pub fn new(providers: HashMap<String, ProviderSettings>) -> Self {
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            // A redirect could carry an Authorization header to another host.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Joinery/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the TLS backend initializes");
        ProviderHttp { client, providers: Arc::new(providers), clock: Arc::new(TokioClock::new()) }
    }

    /// The same client whose [`AccountHttp`] handles wait on `clock` (tests: [`VirtualClock`]).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    pub fn settings(&self, slug: &str) -> Option<&ProviderSettings> {
        self.providers.get(slug)
    }

    /// `real` (the provider's documented URL), with the base URL override of `slug` applied.
    pub fn url(&self, slug: &str, real: &str) -> Url {
        let mut url = Url::parse(real).expect("connectors build valid provider URLs");
        if let Some(base) = self.providers.get(slug).and_then(|p| p.base_url.as_ref()) {
            // Url setters fail only for cannot-be-a-base URLs, which an http(s) base never is.
            let _ = url.set_scheme(base.scheme());
            let _ = url.set_host(base.host_str());
            let _ = url.set_port(base.port());
            // A base with a path (a proxy mounted under a prefix) prefixes the real path.
            let prefix = base.path().trim_end_matches('/');
            if !prefix.is_empty() {
                let path = format!("{prefix}{}", url.path());
                url.set_path(&path);
            }
        }
        url
    }

    /// The OAuth client of `slug`, when configured.
    pub fn oauth_client(&self, slug: &str) -> Option<(&str, &str)> {
        let settings = self.providers.get(slug)?;
        Some((settings.client_id.as_deref()?, settings.client_secret.as_deref()?))
    }
}

/// A transport failure as Link reports it: never with the URL's query or any header.
pub(crate) fn unreachable(name: &str, error: reqwest::Error) -> LinkError {
    let why = if error.is_timeout() {
        "did not answer in time"
    } else if error.is_connect() {
        "could not be reached"
    } else {
        "returned a response Joinery could not read"
    };
    tracing::info!(provider = name, error = %error.without_url(), "provider request failed");
    LinkError::new(ProblemType::ProviderUnreachable, format!("{name} {why}. Please try again in a moment."))
}

/// A generic answer to a status a connector has no specific message for.
pub(crate) fn unexpected_status(name: &str, status: reqwest::StatusCode) -> LinkError {
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS || status == reqwest::StatusCode::SERVICE_UNAVAILABLE {
        LinkError::new(
            ProblemType::RateLimited,
            format!("{name} is limiting requests right now (HTTP {}). Please try again in a minute.", status.as_u16()),
        )
    } else {
        LinkError::new(
            ProblemType::ProviderError,
            format!("{name} answered with an unexpected error (HTTP {}). Please try again later.", status.as_u16()),
        )
    }
}

#[cfg(test)]
mod url_tests {
    use super::*;

    fn http(base: &str) -> ProviderHttp {
        let settings = ProviderSettings { base_url: Some(Url::parse(base).unwrap()), ..Default::default() };
        ProviderHttp::new(HashMap::from([("bamboohr".to_owned(), settings)]))
    }

    #[test]
    fn overrides_replace_scheme_host_and_port_and_keep_the_path() {
        let real = "https://api.bamboohr.com/api/gateway.php/acme/v1/employees?page%5Blimit%5D=1";
        assert_eq!(
            http("http://127.0.0.1:9001").url("bamboohr", real).as_str(),
            "http://127.0.0.1:9001/api/gateway.php/acme/v1/employees?page%5Blimit%5D=1"
        );
        assert_eq!(
            http("http://proxy.local/bamboo/").url("bamboohr", real).as_str(),
            "http://proxy.local/bamboo/api/gateway.php/acme/v1/employees?page%5Blimit%5D=1"
        );
        assert_eq!(
            http("http://127.0.0.1:9001").url("gusto", "https://api.gusto.com/v1/x").as_str(),
            "https://api.gusto.com/v1/x"
        );
    }

    #[test]
    fn debug_redacts_the_client_secret() {
        let settings = ProviderSettings { client_secret: Some("topsecret".into()), ..Default::default() };
        assert!(!format!("{settings:?}").contains("topsecret"));
    }
}
