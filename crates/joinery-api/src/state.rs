use std::sync::Arc;

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
    /// The externally visible base URL (no trailing slash), for absolute links in responses.
    pub public_url: String,
    /// Recently verified API keys (see `auth_cache`).
    pub auth_cache: AuthCache,
}

impl AppStateInner {
    pub fn new(storage: Storage, hasher: TokenHasher, public_url: &Url) -> AppState {
        let public_url = public_url.as_str().trim_end_matches('/').to_owned();
        Arc::new(Self { storage, hasher, public_url, auth_cache: AuthCache::default() })
    }

    /// An absolute URL under the public base for a path starting with `/`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.public_url, path)
    }
}
