use joinery_domain::link_token::LinkTokenRequest;
use joinery_domain::tokens::TokenHash;
use sqlx::types::Json;
use uuid::Uuid;

use crate::{Result, Storage, with_pool};

/// A link token about to be stored (only its hash is kept).
#[derive(Debug, Clone)]
pub struct NewLinkToken<'a> {
    pub organization_id: Uuid,
    pub token_hash: TokenHash,
    pub request: &'a LinkTokenRequest,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LinkTokenRecord {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub request: LinkTokenRequest,
    pub created_at: i64,
    pub expires_at: i64,
    pub consumed_at: Option<i64>,
}

type LinkTokenRow = (Uuid, Uuid, Json<LinkTokenRequest>, i64, i64, Option<i64>);

impl Storage {
    pub async fn insert_link_token(&self, token: &NewLinkToken<'_>) -> Result<Uuid> {
        let id = Uuid::now_v7();
        with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO link_tokens \
                 (id, organization_id, token_hash, end_user_origin_id, integration, request, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id)
            .bind(token.organization_id)
            .bind(&token.token_hash[..])
            .bind(&token.request.end_user_origin_id)
            .bind(token.request.integration.as_deref())
            .bind(Json(token.request))
            .bind(token.created_at)
            .bind(token.expires_at)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(id)
    }

    /// A link token of `organization_id` by hash, whatever its state; the caller decides what
    /// expired or consumed means for it.
    pub async fn find_link_token(&self, token_hash: &TokenHash) -> Result<Option<LinkTokenRecord>> {
        let row: Option<LinkTokenRow> = with_pool!(self, read, |pool| {
            sqlx::query_as(
                "SELECT id, organization_id, request, created_at, expires_at, consumed_at \
                 FROM link_tokens WHERE token_hash = $1",
            )
            .bind(&token_hash[..])
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(id, organization_id, Json(request), created_at, expires_at, consumed_at)| LinkTokenRecord {
            id,
            organization_id,
            request,
            created_at,
            expires_at,
            consumed_at,
        }))
    }

    /// Deletes link tokens that expired before `cutoff` (microseconds), in bounded batches so a
    /// large backlog never holds the SQLite writer for long. Returns how many were deleted.
    pub async fn purge_link_tokens_expired_before(&self, cutoff: i64, batch: i64) -> Result<u64> {
        let mut total = 0;
        loop {
            let deleted = with_pool!(self, write, |pool| {
                sqlx::query(
                    "DELETE FROM link_tokens WHERE id IN \
                     (SELECT id FROM link_tokens WHERE expires_at < $1 LIMIT $2)",
                )
                .bind(cutoff)
                .bind(batch)
                .execute(pool)
                .await?
                .rows_affected()
            });
            total += deleted;
            if deleted < batch as u64 {
                return Ok(total);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use joinery_domain::link_token;
    use joinery_domain::tokens::{TokenHasher, TokenKind, generate_url_token};
    use serde_json::json;

    use super::*;
    use crate::{now_micros, test_support};

    #[tokio::test]
    async fn link_tokens_round_trip_and_expired_ones_are_purged() {
        let (s, _dir) = test_support::sqlite().await;
        let (org, _) = s.ensure_organization("acme").await.unwrap();
        let request = link_token::parse(
            &json!({
                "end_user_email_address": "a@b.c", "end_user_organization_name": "B",
                "end_user_origin_id": "o1", "categories": ["hris"], "integration": "bamboohr", "language": "de"
            }),
            |_| true,
        )
        .unwrap();
        let hasher = TokenHasher::new(b"k");
        let now = now_micros();
        let live = hasher.hash(TokenKind::LinkToken, &generate_url_token());
        let dead = hasher.hash(TokenKind::LinkToken, &generate_url_token());
        for (hash, expires_at) in [(live, now + 1_000_000), (dead, now - 1)] {
            let t = NewLinkToken {
                organization_id: org.id,
                token_hash: hash,
                request: &request,
                created_at: now,
                expires_at,
            };
            s.insert_link_token(&t).await.unwrap();
        }
        let found = s.find_link_token(&live).await.unwrap().unwrap();
        assert_eq!((found.organization_id, &found.request), (org.id, &request));
        assert_eq!(found.consumed_at, None);

        assert_eq!(s.purge_link_tokens_expired_before(now, 1).await.unwrap(), 1);
        assert!(s.find_link_token(&dead).await.unwrap().is_none());
        assert!(s.find_link_token(&live).await.unwrap().is_some());
    }
}
