use joinery_domain::tokens::TokenHash;
use uuid::Uuid;

use crate::{Result, Storage, now_micros, with_pool};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Organization {
    pub id: Uuid,
    pub name: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiKeyRecord {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub key_hint: String,
    pub created_at: i64,
}

impl Storage {
    /// Returns the organization called `name`, creating it if needed; the flag says whether it
    /// was created by this call (concurrent callers agree on one row through the unique name).
    pub async fn ensure_organization(&self, name: &str) -> Result<(Organization, bool)> {
        let candidate = Organization { id: Uuid::new_v4(), name: name.to_owned(), created_at: now_micros() };
        let inserted = with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
            )
            .bind(candidate.id)
            .bind(&candidate.name)
            .bind(candidate.created_at)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if inserted == 1 {
            return Ok((candidate, true));
        }
        let existing = with_pool!(self, write, |pool| {
            sqlx::query_as::<_, Organization>("SELECT id, name, created_at FROM organizations WHERE name = $1")
                .bind(name)
                .fetch_one(pool)
                .await?
        });
        Ok((existing, false))
    }

    pub async fn organization_count(&self) -> Result<i64> {
        Ok(with_pool!(self, read, |pool| {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM organizations").fetch_one(pool).await?
        }))
    }

    pub async fn insert_api_key(
        &self,
        organization_id: Uuid,
        key_hash: &TokenHash,
        key_hint: &str,
    ) -> Result<ApiKeyRecord> {
        let record = ApiKeyRecord {
            id: Uuid::new_v4(),
            organization_id,
            key_hint: key_hint.to_owned(),
            created_at: now_micros(),
        };
        with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO api_keys (id, organization_id, key_hash, key_hint, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(record.id)
            .bind(record.organization_id)
            .bind(&key_hash[..])
            .bind(&record.key_hint)
            .bind(record.created_at)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(record)
    }

    /// The organization an API key belongs to, if the key exists and is not revoked.
    pub async fn organization_for_api_key(&self, key_hash: &TokenHash) -> Result<Option<Uuid>> {
        Ok(with_pool!(self, read, |pool| {
            sqlx::query_scalar::<_, Uuid>(
                "SELECT organization_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
            )
            .bind(&key_hash[..])
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Slugs of the integrations the organization has switched off.
    pub async fn disabled_integrations(&self, organization_id: Uuid) -> Result<Vec<String>> {
        Ok(with_pool!(self, read, |pool| {
            sqlx::query_scalar::<_, String>(
                "SELECT slug FROM organization_disabled_integrations WHERE organization_id = $1 ORDER BY slug",
            )
            .bind(organization_id)
            .fetch_all(pool)
            .await?
        }))
    }

    pub async fn set_integration_enabled(&self, organization_id: Uuid, slug: &str, enabled: bool) -> Result<()> {
        with_pool!(self, write, |pool| {
            if enabled {
                sqlx::query("DELETE FROM organization_disabled_integrations WHERE organization_id = $1 AND slug = $2")
                    .bind(organization_id)
                    .bind(slug)
                    .execute(pool)
                    .await?
                    .rows_affected()
            } else {
                sqlx::query(
                    "INSERT INTO organization_disabled_integrations (organization_id, slug) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(organization_id)
                .bind(slug)
                .execute(pool)
                .await?
                .rows_affected()
            }
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use joinery_domain::tokens::{TokenHasher, TokenKind, generate_api_key};

    use crate::test_support;

    #[tokio::test]
    async fn organizations_are_created_once_and_keys_resolve_to_them() {
        let (s, _dir) = test_support::sqlite().await;
        let (org, created) = s.ensure_organization("acme").await.unwrap();
        assert!(created);
        let (again, created_again) = s.ensure_organization("acme").await.unwrap();
        assert_eq!((again.id, created_again), (org.id, false));
        assert_eq!(s.organization_count().await.unwrap(), 1);

        let hasher = TokenHasher::new(b"k");
        let key = generate_api_key();
        let hash = hasher.hash(TokenKind::ApiKey, &key);
        s.insert_api_key(org.id, &hash, "hint").await.unwrap();
        assert_eq!(s.organization_for_api_key(&hash).await.unwrap(), Some(org.id));
        let other = hasher.hash(TokenKind::ApiKey, &generate_api_key());
        assert_eq!(s.organization_for_api_key(&other).await.unwrap(), None);
    }

    #[tokio::test]
    async fn integrations_can_be_disabled_and_enabled_again() {
        let (s, _dir) = test_support::sqlite().await;
        let (org, _) = s.ensure_organization("acme").await.unwrap();
        s.set_integration_enabled(org.id, "lever", false).await.unwrap();
        s.set_integration_enabled(org.id, "lever", false).await.unwrap();
        assert_eq!(s.disabled_integrations(org.id).await.unwrap(), vec!["lever"]);
        s.set_integration_enabled(org.id, "lever", true).await.unwrap();
        assert!(s.disabled_integrations(org.id).await.unwrap().is_empty());
    }
}
