//! Issuing API keys: only their hash is stored; the key exists in the clear once, when returned.

use joinery_domain::tokens::{TokenHasher, TokenKind, api_key_hint, generate_api_key};
use joinery_storage::Storage;

/// Creates an API key for `organization` (creating the organization if needed) and returns it.
pub async fn create(storage: &Storage, hasher: &TokenHasher, organization: &str) -> anyhow::Result<String> {
    let (org, _) = storage.ensure_organization(organization).await?;
    issue(storage, hasher, org.id).await
}

/// Generates a key, stores its hash, and returns the key (the only time it exists in the clear).
pub(crate) async fn issue(
    storage: &Storage,
    hasher: &TokenHasher,
    organization_id: uuid::Uuid,
) -> anyhow::Result<String> {
    let key = generate_api_key();
    storage.insert_api_key(organization_id, &hasher.hash(TokenKind::ApiKey, &key), &api_key_hint(&key)).await?;
    Ok(key)
}
