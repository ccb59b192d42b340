use std::collections::BTreeMap;
use std::fmt;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::oauth::{ACCESS_TOKEN, EXPIRES_AT, OAuthSpec, REFRESH_TOKEN, unix_now};
use crate::{AccountHttp, BoxFuture, SyncError};

/// Provider credentials by name (`api_key`, `company_domain`, `access_token`, …). Debug output
/// shows the names only, so credentials cannot reach a log by accident.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Credentials(BTreeMap<String, String>);

impl Credentials {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn insert(&mut self, name: &str, value: impl Into<String>) {
        self.0.insert(name.to_owned(), value.into());
    }

    pub fn remove(&mut self, name: &str) -> Option<String> {
        self.0.remove(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// Every value, for checks such as "this secret never appears in a response".
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.0.values().map(String::as_str)
    }
}

impl FromIterator<(String, String)> for Credentials {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        Credentials(iter.into_iter().collect())
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// Saves the renewed credentials of an account being synced.
pub trait CredentialStore: Send + Sync {
    fn save<'a>(&'a self, credentials: &'a Credentials) -> BoxFuture<'a, Result<(), SyncError>>;
}

/// A grant within this many seconds of its `expires_at` is renewed before use.
const EXPIRY_MARGIN_SECS: i64 = 60;

/// The credentials of the account a sync reads. OAuth connectors renew the grant through
/// [`access_token`](Self::access_token): the renewed grant is saved before it is used, so a
/// rotated refresh token is never lost, and concurrent readers renew it once.
pub struct AccountCredentials {
    current: tokio::sync::Mutex<Credentials>,
    store: Option<Arc<dyn CredentialStore>>,
}

impl AccountCredentials {
    pub fn new(credentials: Credentials, store: Arc<dyn CredentialStore>) -> Self {
        AccountCredentials { current: tokio::sync::Mutex::new(credentials), store: Some(store) }
    }

    /// Credentials that are never renewed (API keys; tests).
    pub fn fixed(credentials: Credentials) -> Self {
        AccountCredentials { current: tokio::sync::Mutex::new(credentials), store: None }
    }

    /// The credentials as they are now.
    pub async fn get(&self) -> Credentials {
        self.current.lock().await.clone()
    }

    /// An access token of the OAuth grant that is not about to expire. `refused` is a token the
    /// provider just answered 401 to: unless another reader renewed it meanwhile, the grant is
    /// renewed. A grant that cannot be renewed is [`SyncError::Unauthorized`].
    pub async fn access_token(
        &self,
        http: &AccountHttp,
        spec: &OAuthSpec,
        refused: Option<&str>,
    ) -> Result<String, SyncError> {
        let mut current = self.current.lock().await;
        let token = current.get(ACCESS_TOKEN).unwrap_or_default().to_owned();
        let expiring = current
            .get(EXPIRES_AT)
            .and_then(|at| at.parse::<i64>().ok())
            .is_some_and(|at| at - EXPIRY_MARGIN_SECS <= unix_now());
        let stale = match refused {
            Some(refused) => refused == token,
            None => expiring || token.is_empty(),
        };
        if !stale {
            return Ok(token);
        }
        let name = http.name();
        let Some(refresh_token) = current.get(REFRESH_TOKEN).filter(|t| !t.is_empty()).map(str::to_owned) else {
            return Err(SyncError::Unauthorized(format!(
                "The {name} authorization expired and cannot be renewed (no refresh token); the end user must relink."
            )));
        };
        let renewed = http.refresh_grant(spec, &refresh_token).await?;
        let mut merged = current.clone();
        for name in [ACCESS_TOKEN, REFRESH_TOKEN, EXPIRES_AT] {
            match renewed.get(name) {
                Some(value) => merged.insert(name, value),
                None => {
                    merged.remove(name);
                }
            }
        }
        if let Some(store) = &self.store {
            store.save(&merged).await?;
        }
        tracing::info!(provider = name, "renewed an OAuth grant");
        *current = merged;
        Ok(current.get(ACCESS_TOKEN).unwrap_or_default().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_names_not_values() {
        let mut c = Credentials::default();
        c.insert("api_key", "s3cr3t-value");
        let text = format!("{c:?}");
        assert!(text.contains("api_key") && !text.contains("s3cr3t"), "{text}");
    }
}
