use std::sync::Arc;

use joinery_connectors::ProviderHttp;
use joinery_domain::crypto::Keyring;
use joinery_domain::tokens::TokenHasher;
use joinery_storage::Storage;
use url::Url;

use crate::auth_cache::AuthCache;

pub type AppState = Arc<AppStateInner>;

/// What every handler can reach.
#[derive(Debug)]
pub struct AppStateInner {
    pub storage: Storage,
    pub hasher: TokenHasher,
    /// Seals provider credentials and account tokens at rest.
    pub keyring: Keyring,
    /// The HTTP client connectors use, with provider base URL overrides and OAuth clients.
    pub providers: ProviderHttp,
    /// The externally visible base URL (no trailing slash), for absolute links in responses.
    pub public_url: String,
    /// Recently verified API keys (see `auth_cache`).
    pub auth_cache: AuthCache,
    /// Recently verified account tokens and their linked accounts (see `auth_cache`).
    pub account_cache: AuthCache<joinery_storage::LinkedAccount>,
}

impl AppStateInner {
    pub fn new(
        storage: Storage,
        hasher: TokenHasher,
        keyring: Keyring,
        providers: ProviderHttp,
        public_url: &Url,
    ) -> AppState {
        let public_url = public_url.as_str().trim_end_matches('/').to_owned();
        Arc::new(Self {
            storage,
            hasher,
            keyring,
            providers,
            public_url,
            auth_cache: AuthCache::default(),
            account_cache: AuthCache::default(),
        })
    }

    /// An absolute URL under the public base for a path starting with `/`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.public_url, path)
    }

    /// Where providers send the end user back after OAuth consent.
    pub fn oauth_redirect_uri(&self) -> String {
        self.url("/link/oauth/callback")
    }
}
