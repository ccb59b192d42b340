use joinery_domain::link_token::LinkTokenRequest;
use joinery_domain::tokens::TokenHash;
use sqlx::types::Json;
use uuid::Uuid;

use crate::group_commit::BatchSink;
use crate::{Backend, Result, Storage, with_pool};

/// A link token about to be stored (only its hash is kept). `id` is the token's selector.
#[derive(Debug, Clone)]
pub struct NewLinkToken {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub token_hash: TokenHash,
    pub request: LinkTokenRequest,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A row queued for the group-commit writer.
#[derive(Debug)]
pub(crate) struct LinkTokenRow(NewLinkToken);

/// Writes queued link tokens with one multi-row INSERT.
pub(crate) struct LinkTokenSink {
    pub backend: Backend,
}

impl BatchSink for LinkTokenSink {
    type Item = LinkTokenRow;

    async fn write(&self, rows: &[LinkTokenRow]) -> Result<()> {
        with_pool!(self, write, |pool| {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO link_tokens \
                 (id, organization_id, token_hash, end_user_origin_id, integration, request, created_at, expires_at) ",
            );
            insert.push_values(rows, |mut row, LinkTokenRow(token)| {
                row.push_bind(token.id)
                    .push_bind(token.organization_id)
                    .push_bind(&token.token_hash[..])
                    .push_bind(&token.request.end_user_origin_id)
                    .push_bind(token.request.integration.as_deref())
                    .push_bind(Json(&token.request))
                    .push_bind(token.created_at)
                    .push_bind(token.expires_at);
            });
            insert.build().execute(pool).await?.rows_affected()
        });
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LinkTokenRecord {
    pub id: Uuid,
    pub organization_id: Uuid,
    /// Compare with `TokenHasher::verify`, never with `==`.
    pub token_hash: Vec<u8>,
    pub request: LinkTokenRequest,
    pub created_at: i64,
    pub expires_at: i64,
    pub consumed_at: Option<i64>,
    /// Credential checks the provider refused with this token.
    pub failed_attempts: i32,
}

type SelectedRow = (Uuid, Uuid, Vec<u8>, Json<LinkTokenRequest>, i64, i64, Option<i64>, i32);

impl Storage {
    /// Stores a link token. Concurrent calls are committed together (see `group_commit`).
    pub async fn insert_link_token(&self, token: NewLinkToken) -> Result<()> {
        self.link_tokens.write(LinkTokenRow(token)).await
    }

    /// A link token by id (its selector), whatever its state; the caller verifies the hash and
    /// decides what expired or consumed means.
    pub async fn find_link_token(&self, id: Uuid) -> Result<Option<LinkTokenRecord>> {
        let row: Option<SelectedRow> = with_pool!(self, read, |pool| {
            sqlx::query_as(
                "SELECT id, organization_id, token_hash, request, created_at, expires_at, consumed_at, \
                 failed_attempts FROM link_tokens WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(
            |(id, organization_id, token_hash, Json(request), created_at, expires_at, consumed_at, failed_attempts)| {
                LinkTokenRecord {
                    id,
                    organization_id,
                    token_hash,
                    request,
                    created_at,
                    expires_at,
                    consumed_at,
                    failed_attempts,
                }
            },
        ))
    }

    /// Counts a refused credential check against a link token.
    pub async fn record_failed_link_attempt(&self, id: Uuid) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query("UPDATE link_tokens SET failed_attempts = failed_attempts + 1 WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
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
    use joinery_domain::tokens::{TokenHasher, TokenKind, generate_split_token};
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
        let live = generate_split_token();
        let dead = generate_split_token();
        for (token, expires_at) in [(&live, now + 1_000_000), (&dead, now - 1)] {
            let t = NewLinkToken {
                id: token.id,
                organization_id: org.id,
                token_hash: hasher.hash(TokenKind::LinkToken, &token.token),
                request: request.clone(),
                created_at: now,
                expires_at,
            };
            s.insert_link_token(t).await.unwrap();
        }
        let found = s.find_link_token(live.id).await.unwrap().unwrap();
        assert_eq!((found.organization_id, &found.request), (org.id, &request));
        assert!(hasher.verify(TokenKind::LinkToken, &live.token, &found.token_hash));
        assert!(!hasher.verify(TokenKind::LinkToken, &dead.token, &found.token_hash));
        assert_eq!(found.consumed_at, None);

        assert_eq!(s.purge_link_tokens_expired_before(now, 1).await.unwrap(), 1);
        assert!(s.find_link_token(dead.id).await.unwrap().is_none());
        assert!(s.find_link_token(live.id).await.unwrap().is_some());
    }
}
