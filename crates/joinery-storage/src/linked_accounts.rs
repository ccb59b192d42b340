//! Linked accounts, the public tokens that hand them over, and OAuth attempts in flight.

use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use crate::{Result, Storage, StorageError, push_list, with_pool};

/// Linked-account statuses, as Merge names them.
pub mod status {
    pub const COMPLETE: &str = "COMPLETE";
    pub const INCOMPLETE: &str = "INCOMPLETE";
    pub const RELINK_NEEDED: &str = "RELINK_NEEDED";
    pub const IDLE: &str = "IDLE";
    pub const ALL: &[&str] = &[COMPLETE, INCOMPLETE, RELINK_NEEDED, IDLE];
}

/// SQL: when the account's last successful model sync finished.
macro_rules! last_synced {
    () => {
        "(SELECT MAX(s.last_sync_finished) FROM sync_status s WHERE s.linked_account_id = linked_accounts.id \
         AND s.last_sync_result = 'DONE')"
    };
}

const COLUMNS: &str = concat!(
    "id, organization_id, category, integration, end_user_origin_id, end_user_organization_name, \
    end_user_email_address, status, status_detail, account_token_id, account_token_hash, account_token_sealed, \
    credentials_sealed, instance_id, instance_display_value, subdomain, \
    EXISTS (SELECT 1 FROM linked_accounts o WHERE o.organization_id = linked_accounts.organization_id \
    AND o.integration = linked_accounts.integration AND o.instance_id = linked_accounts.instance_id \
    AND (o.created_at < linked_accounts.created_at \
    OR (o.created_at = linked_accounts.created_at AND o.id < linked_accounts.id))) AS is_duplicate, \
    is_test_account, scopes, are_syncs_disabled, integration_specific_config, created_at, completed_at, updated_at, \
    last_active_at, ",
    last_synced!(),
    " AS last_synced_at"
);

/// Merge: an account is IDLE after two weeks without a successful sync or an API request.
pub const IDLE_AFTER_MICROS: i64 = 14 * 24 * 3600 * 1_000_000;

/// SQL: the account has been quiet since `cutoff` (microseconds; an integer, so written inline).
fn quiet_since(cutoff: i64) -> String {
    format!(
        "(COALESCE(completed_at, created_at) < {cutoff} AND COALESCE(last_active_at, 0) < {cutoff} \
         AND COALESCE({}, 0) < {cutoff})",
        last_synced!()
    )
}

#[derive(Clone, PartialEq, sqlx::FromRow)]
pub struct LinkedAccount {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub category: String,
    pub integration: String,
    pub end_user_origin_id: String,
    pub end_user_organization_name: String,
    pub end_user_email_address: String,
    pub status: String,
    pub status_detail: Option<String>,
    pub account_token_id: Uuid,
    /// Compare with `TokenHasher::verify`, never with `==`.
    pub account_token_hash: Vec<u8>,
    pub account_token_sealed: Vec<u8>,
    pub credentials_sealed: Vec<u8>,
    pub instance_id: String,
    pub instance_display_value: String,
    pub subdomain: Option<String>,
    pub is_duplicate: bool,
    pub is_test_account: bool,
    pub scopes: Json<Value>,
    pub are_syncs_disabled: bool,
    pub integration_specific_config: Option<Json<Value>>,
    pub created_at: i64,
    pub completed_at: Option<i64>,
    pub updated_at: i64,
    /// Last account-token request (recorded at most hourly).
    pub last_active_at: Option<i64>,
    /// Last successful sync of any model.
    pub last_synced_at: Option<i64>,
}

impl LinkedAccount {
    /// The status as the API shows it: a COMPLETE account quiet for two weeks is IDLE.
    pub fn effective_status(&self, now: i64) -> &str {
        let last = [self.completed_at, self.last_active_at, self.last_synced_at].into_iter().flatten().max();
        let quiet = last.unwrap_or(self.created_at) < now - IDLE_AFTER_MICROS;
        if self.status == status::COMPLETE && quiet { status::IDLE } else { &self.status }
    }
}

impl std::fmt::Debug for LinkedAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Sealed values and hashes stay out of logs too.
        f.debug_struct("LinkedAccount")
            .field("id", &self.id)
            .field("organization_id", &self.organization_id)
            .field("category", &self.category)
            .field("integration", &self.integration)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// The account a successful Link flow writes: a new row, or new credentials for an existing one.
#[derive(Debug, Clone)]
pub struct AccountLink {
    /// The id of the existing account being relinked, or of the new one.
    pub id: Uuid,
    pub relink: bool,
    pub organization_id: Uuid,
    pub category: String,
    pub integration: String,
    pub end_user_origin_id: String,
    pub end_user_organization_name: String,
    pub end_user_email_address: String,
    pub credentials_sealed: Vec<u8>,
    pub instance_id: String,
    pub instance_display_value: String,
    pub subdomain: Option<String>,
    /// Scopes from the link token; `None` keeps a relinked account's scopes.
    pub scopes: Option<Value>,
    pub are_syncs_disabled: bool,
    pub integration_specific_config: Option<Value>,
    /// New accounts only (a relink keeps the account token).
    pub account_token: Option<NewAccountToken>,
    pub link_token_id: Uuid,
    pub public_token: NewPublicToken,
    pub now: i64,
}

#[derive(Clone)]
pub struct NewAccountToken {
    pub id: Uuid,
    pub hash: [u8; 32],
    pub sealed: Vec<u8>,
}

impl std::fmt::Debug for NewAccountToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccountToken").field("id", &self.id).finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct NewPublicToken {
    pub id: Uuid,
    pub hash: [u8; 32],
    pub expires_at: i64,
}

/// Why [`Storage::link_account`] wrote nothing.
#[derive(Debug, PartialEq, Eq)]
pub enum LinkRefusal {
    /// The link token was used or expired meanwhile.
    LinkTokenGone,
    /// The end user already has an account in this category, for another integration.
    IntegrationMismatch { existing: String },
    /// Another request linked or unlinked this end user's account meanwhile; retry.
    Raced,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkOutcome {
    pub is_duplicate: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PublicTokenRecord {
    pub id: Uuid,
    pub token_hash: Vec<u8>,
    pub organization_id: Uuid,
    pub linked_account_id: Uuid,
    pub is_preexisting: bool,
    pub expires_at: i64,
    pub consumed_at: Option<i64>,
}

/// Where a page of linked accounts starts: keyset positions on (created_at, id), so accounts
/// linked or deleted between pages shift nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountPosition {
    Start,
    After(i64, Uuid),
    Before(i64, Uuid),
}

/// Filters of `GET /linked-accounts`; every member set must match.
#[derive(Debug, Clone, Default)]
pub struct LinkedAccountFilter {
    pub category: Option<String>,
    pub end_user_email_address: Option<String>,
    pub end_user_organization_name: Option<String>,
    pub end_user_origin_ids: Option<Vec<String>>,
    pub ids: Option<Vec<Uuid>>,
    /// Integration slugs (the API resolves names to slugs).
    pub integrations: Option<Vec<String>>,
    pub is_test_account: bool,
    pub status: Option<String>,
    /// Also the accounts linking the same provider instance as this one.
    pub duplicates_of: Option<Uuid>,
}

#[derive(Clone, PartialEq, sqlx::FromRow)]
pub struct OAuthAttempt {
    pub id: Uuid,
    pub state_hash: Vec<u8>,
    pub link_token_id: Uuid,
    pub integration: String,
    pub fields_sealed: Vec<u8>,
    pub result_sealed: Option<Vec<u8>>,
    pub errors: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

impl std::fmt::Debug for OAuthAttempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthAttempt")
            .field("id", &self.id)
            .field("integration", &self.integration)
            .field("done", &(self.result_sealed.is_some() || self.errors.is_some()))
            .finish_non_exhaustive()
    }
}

impl Storage {
    /// The end user's account in `category`, if they have one.
    pub async fn find_linked_account_for_end_user(
        &self,
        organization_id: Uuid,
        category: &str,
        end_user_origin_id: &str,
    ) -> Result<Option<LinkedAccount>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM linked_accounts \
             WHERE organization_id = $1 AND category = $2 AND end_user_origin_id = $3"
        );
        Ok(with_pool!(self, read, |pool| {
            sqlx::query_as(&sql)
                .bind(organization_id)
                .bind(category)
                .bind(end_user_origin_id)
                .fetch_optional(pool)
                .await?
        }))
    }

    pub async fn find_linked_account(&self, id: Uuid) -> Result<Option<LinkedAccount>> {
        let sql = format!("SELECT {COLUMNS} FROM linked_accounts WHERE id = $1");
        Ok(with_pool!(self, read, |pool| { sqlx::query_as(&sql).bind(id).fetch_optional(pool).await? }))
    }

    /// The account whose account token has selector `token_id`.
    pub async fn find_linked_account_by_token(&self, token_id: Uuid) -> Result<Option<LinkedAccount>> {
        let sql = format!("SELECT {COLUMNS} FROM linked_accounts WHERE account_token_id = $1");
        Ok(with_pool!(self, read, |pool| { sqlx::query_as(&sql).bind(token_id).fetch_optional(pool).await? }))
    }

    /// Writes the result of a successful Link flow in one transaction: consumes the link token,
    /// creates or relinks the account, flags a duplicate and stores the public token. Writes
    /// nothing when refused.
    pub async fn link_account(&self, link: &AccountLink) -> Result<Result<LinkOutcome, LinkRefusal>> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let consumed = sqlx::query(
                "UPDATE link_tokens SET consumed_at = $1 WHERE id = $2 AND consumed_at IS NULL AND expires_at > $1",
            )
            .bind(link.now)
            .bind(link.link_token_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if consumed == 0 {
                return Ok(Err(LinkRefusal::LinkTokenGone));
            }
            let existing: Option<(Uuid, String)> = sqlx::query_as(
                "SELECT id, integration FROM linked_accounts \
                 WHERE organization_id = $1 AND category = $2 AND end_user_origin_id = $3",
            )
            .bind(link.organization_id)
            .bind(&link.category)
            .bind(&link.end_user_origin_id)
            .fetch_optional(&mut *tx)
            .await?;
            match (&existing, link.relink) {
                (Some((_, integration)), _) if *integration != link.integration => {
                    return Ok(Err(LinkRefusal::IntegrationMismatch { existing: integration.clone() }));
                }
                (Some((id, _)), true) if *id == link.id => {}
                (None, false) => {}
                _ => return Ok(Err(LinkRefusal::Raced)),
            }
            let is_duplicate: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM linked_accounts \
                 WHERE organization_id = $1 AND integration = $2 AND instance_id = $3 AND id <> $4)",
            )
            .bind(link.organization_id)
            .bind(&link.integration)
            .bind(&link.instance_id)
            .bind(link.id)
            .fetch_one(&mut *tx)
            .await?;
            if link.relink {
                let relinked = sqlx::query(
                    "UPDATE linked_accounts SET credentials_sealed = $2, instance_id = $3, \
                     instance_display_value = $4, subdomain = $5, is_duplicate = $6, status = 'COMPLETE', \
                     status_detail = NULL, end_user_organization_name = $7, end_user_email_address = $8, \
                     scopes = COALESCE($9, scopes), are_syncs_disabled = $10, \
                     integration_specific_config = COALESCE($11, integration_specific_config), \
                     completed_at = COALESCE(completed_at, $12), updated_at = $12 WHERE id = $1",
                )
                .bind(link.id)
                .bind(&link.credentials_sealed)
                .bind(&link.instance_id)
                .bind(&link.instance_display_value)
                .bind(&link.subdomain)
                .bind(is_duplicate)
                .bind(&link.end_user_organization_name)
                .bind(&link.end_user_email_address)
                .bind(link.scopes.as_ref().map(Json))
                .bind(link.are_syncs_disabled)
                .bind(link.integration_specific_config.as_ref().map(Json))
                .bind(link.now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if relinked != 1 {
                    // Deleted meanwhile (between the read above and this write).
                    return Ok(Err(LinkRefusal::Raced));
                }
            } else {
                let Some(token) = &link.account_token else {
                    return Err(StorageError::Invariant("a new linked account needs an account token"));
                };
                let inserted = sqlx::query(
                    "INSERT INTO linked_accounts (id, organization_id, category, integration, end_user_origin_id, \
                     end_user_organization_name, end_user_email_address, status, status_detail, account_token_id, \
                     account_token_hash, account_token_sealed, credentials_sealed, instance_id, \
                     instance_display_value, subdomain, is_duplicate, is_test_account, scopes, are_syncs_disabled, \
                     integration_specific_config, created_at, completed_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'COMPLETE', NULL, $8, $9, $10, $11, $12, $13, $14, $15, \
                     FALSE, $16, $17, $18, $19, $19, $19) \
                     ON CONFLICT (organization_id, category, end_user_origin_id) DO NOTHING",
                )
                .bind(link.id)
                .bind(link.organization_id)
                .bind(&link.category)
                .bind(&link.integration)
                .bind(&link.end_user_origin_id)
                .bind(&link.end_user_organization_name)
                .bind(&link.end_user_email_address)
                .bind(token.id)
                .bind(&token.hash[..])
                .bind(&token.sealed)
                .bind(&link.credentials_sealed)
                .bind(&link.instance_id)
                .bind(&link.instance_display_value)
                .bind(&link.subdomain)
                .bind(is_duplicate)
                .bind(Json(link.scopes.clone().unwrap_or(Value::Object(Default::default()))))
                .bind(link.are_syncs_disabled)
                .bind(link.integration_specific_config.as_ref().map(Json))
                .bind(link.now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 0 {
                    return Ok(Err(LinkRefusal::Raced));
                }
            }
            sqlx::query(
                "INSERT INTO public_tokens (id, token_hash, organization_id, linked_account_id, is_preexisting, \
                 created_at, expires_at) VALUES ($1, $2, $3, $4, FALSE, $5, $6)",
            )
            .bind(link.public_token.id)
            .bind(&link.public_token.hash[..])
            .bind(link.organization_id)
            .bind(link.id)
            .bind(link.now)
            .bind(link.public_token.expires_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Ok(LinkOutcome { is_duplicate }))
        })
    }

    pub async fn find_public_token(&self, id: Uuid) -> Result<Option<PublicTokenRecord>> {
        Ok(with_pool!(self, write, |pool| {
            sqlx::query_as(
                "SELECT id, token_hash, organization_id, linked_account_id, is_preexisting, expires_at, consumed_at \
                 FROM public_tokens WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Marks a public token used; false if it was already used or has expired (only one of
    /// several concurrent exchanges wins).
    pub async fn consume_public_token(&self, id: Uuid, now: i64) -> Result<bool> {
        let updated = with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE public_tokens SET consumed_at = $1 WHERE id = $2 AND consumed_at IS NULL AND expires_at > $1",
            )
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(updated == 1)
    }

    /// Replaces an account's token (the old one stops working at once). False if the account is
    /// gone or its token changed meanwhile.
    pub async fn rotate_account_token(
        &self,
        account_id: Uuid,
        old_token_id: Uuid,
        new: &NewAccountToken,
        now: i64,
    ) -> Result<bool> {
        let updated = with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE linked_accounts SET account_token_id = $1, account_token_hash = $2, account_token_sealed = $3, \
                 updated_at = $4 WHERE id = $5 AND account_token_id = $6",
            )
            .bind(new.id)
            .bind(&new.hash[..])
            .bind(&new.sealed)
            .bind(now)
            .bind(account_id)
            .bind(old_token_id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(updated == 1)
    }

    /// Deletes a linked account with its credentials, tokens and (through foreign keys) every row
    /// synced for it.
    pub async fn delete_linked_account(&self, id: Uuid) -> Result<bool> {
        let deleted = with_pool!(self, write, |pool| {
            sqlx::query("DELETE FROM linked_accounts WHERE id = $1").bind(id).execute(pool).await?.rows_affected()
        });
        Ok(deleted == 1)
    }

    /// One page of an organization's linked accounts, oldest first, with one extra row when there
    /// are more in the direction of travel.
    pub async fn list_linked_accounts(
        &self,
        organization_id: Uuid,
        filter: &LinkedAccountFilter,
        position: &AccountPosition,
        limit: i64,
    ) -> Result<Vec<LinkedAccount>> {
        let backwards = matches!(position, AccountPosition::Before(..));
        Ok(with_pool!(self, read, |pool| {
            let mut query =
                sqlx::QueryBuilder::new(format!("SELECT {COLUMNS} FROM linked_accounts WHERE organization_id = "));
            query.push_bind(organization_id);
            query.push(" AND is_test_account = ").push_bind(filter.is_test_account);
            if let Some(category) = &filter.category {
                query.push(" AND category = ").push_bind(category);
            }
            if let Some(email) = &filter.end_user_email_address {
                query.push(" AND end_user_email_address = ").push_bind(email);
            }
            if let Some(name) = &filter.end_user_organization_name {
                query.push(" AND end_user_organization_name = ").push_bind(name);
            }
            if let Some(wanted) = &filter.status {
                // IDLE is COMPLETE gone quiet (see `effective_status`).
                let cutoff = crate::now_micros() - IDLE_AFTER_MICROS;
                match wanted.as_str() {
                    status::IDLE => {
                        query.push(format!(" AND status = 'COMPLETE' AND {}", quiet_since(cutoff)));
                    }
                    status::COMPLETE => {
                        query.push(format!(" AND status = 'COMPLETE' AND NOT {}", quiet_since(cutoff)));
                    }
                    _ => {
                        query.push(" AND status = ").push_bind(wanted);
                    }
                }
            }
            let empty_list = filter.end_user_origin_ids.as_ref().is_some_and(Vec::is_empty)
                || filter.integrations.as_ref().is_some_and(Vec::is_empty)
                || (filter.ids.as_ref().is_some_and(Vec::is_empty) && filter.duplicates_of.is_none());
            if empty_list {
                // A filter on an empty list matches nothing (and `IN ()` is not SQL everywhere).
                query.push(" AND FALSE");
            }
            if let Some(origin_ids) = filter.end_user_origin_ids.as_ref().filter(|v| !v.is_empty()) {
                query.push(" AND end_user_origin_id IN ");
                push_list(&mut query, origin_ids);
            }
            if let Some(integrations) = filter.integrations.as_ref().filter(|v| !v.is_empty()) {
                query.push(" AND integration IN ");
                push_list(&mut query, integrations);
            }
            match (&filter.ids, filter.duplicates_of) {
                (Some(ids), Some(of)) => {
                    // The account itself, and those linking the same provider instance.
                    query.push(" AND (id IN ");
                    push_list(&mut query, ids.iter().copied());
                    query
                        .push(" OR (integration, instance_id) IN (SELECT integration, instance_id FROM linked_accounts WHERE id = ")
                        .push_bind(of)
                        .push(" AND organization_id = ")
                        .push_bind(organization_id)
                        .push("))");
                }
                (Some(ids), None) if !ids.is_empty() => {
                    query.push(" AND id IN ");
                    push_list(&mut query, ids.iter().copied());
                }
                _ => {}
            }
            if let AccountPosition::After(created_at, id) | AccountPosition::Before(created_at, id) = position {
                let op = if backwards { "<" } else { ">" };
                query
                    .push(format!(" AND (created_at {op} "))
                    .push_bind(*created_at)
                    .push(" OR (created_at = ")
                    .push_bind(*created_at)
                    .push(format!(" AND id {op} "))
                    .push_bind(*id)
                    .push("))");
            }
            let order = if backwards { "DESC" } else { "ASC" };
            query.push(format!(" ORDER BY created_at {order}, id {order} LIMIT ")).push_bind(limit + 1);
            let mut rows: Vec<LinkedAccount> = query.build_query_as().fetch_all(pool).await?;
            if backwards {
                // Nearest first; keep the extra (farthest) row last, as the "more" marker.
                let extra = (rows.len() as i64 > limit).then(|| rows.pop()).flatten();
                rows.reverse();
                rows.extend(extra);
            }
            rows
        }))
    }

    pub async fn insert_oauth_attempt(&self, attempt: &OAuthAttempt) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO oauth_attempts (id, state_hash, link_token_id, integration, fields_sealed, created_at, \
                 expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(attempt.id)
            .bind(&attempt.state_hash)
            .bind(attempt.link_token_id)
            .bind(&attempt.integration)
            .bind(&attempt.fields_sealed)
            .bind(attempt.created_at)
            .bind(attempt.expires_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn find_oauth_attempt(&self, id: Uuid) -> Result<Option<OAuthAttempt>> {
        Ok(with_pool!(self, write, |pool| {
            sqlx::query_as(
                "SELECT id, state_hash, link_token_id, integration, fields_sealed, result_sealed, errors, created_at, \
                 expires_at FROM oauth_attempts WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Records the callback's outcome, once: false if the attempt already has one.
    pub async fn finish_oauth_attempt(
        &self,
        id: Uuid,
        result_sealed: Option<&[u8]>,
        errors: Option<&str>,
    ) -> Result<bool> {
        let updated = with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE oauth_attempts SET result_sealed = $2, errors = $3 \
                 WHERE id = $1 AND result_sealed IS NULL AND errors IS NULL",
            )
            .bind(id)
            .bind(result_sealed)
            .bind(errors)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(updated == 1)
    }

    /// A batch of linked accounts' sealed values (id, credentials, account token), by id after
    /// `after`, for re-sealing under a new key.
    pub async fn linked_account_sealed_values(
        &self,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<(Uuid, Vec<u8>, Vec<u8>)>> {
        let after = after.unwrap_or(Uuid::nil());
        Ok(with_pool!(self, read, |pool| {
            sqlx::query_as(
                "SELECT id, credentials_sealed, account_token_sealed FROM linked_accounts \
                 WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(limit)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Replaces an account's sealed values if they are still `old` (a concurrent relink or
    /// rotation wins; its values are sealed with the current key anyway).
    pub async fn replace_sealed_values(&self, id: Uuid, old: (&[u8], &[u8]), new: (&[u8], &[u8])) -> Result<bool> {
        let updated = with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE linked_accounts SET credentials_sealed = $1, account_token_sealed = $2 \
                 WHERE id = $3 AND credentials_sealed = $4 AND account_token_sealed = $5",
            )
            .bind(new.0)
            .bind(new.1)
            .bind(id)
            .bind(old.0)
            .bind(old.1)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(updated == 1)
    }

    /// Replaces an account's sealed credentials (an OAuth grant renewed during a sync).
    pub async fn replace_credentials(&self, id: Uuid, sealed: &[u8]) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query("UPDATE linked_accounts SET credentials_sealed = $1 WHERE id = $2")
                .bind(sealed)
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Records that the account was used through the API.
    pub async fn touch_linked_account(&self, id: Uuid, now: i64) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query("UPDATE linked_accounts SET last_active_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Sets an account's status (`RELINK_NEEDED` when the provider refuses its credentials).
    pub async fn set_linked_account_status(&self, id: Uuid, status: &str, detail: Option<&str>) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query("UPDATE linked_accounts SET status = $1, status_detail = $2, updated_at = $3 WHERE id = $4")
                .bind(status)
                .bind(detail)
                .bind(crate::now_micros())
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    pub async fn delete_oauth_attempt(&self, id: Uuid) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query("DELETE FROM oauth_attempts WHERE id = $1").bind(id).execute(pool).await?;
        });
        Ok(())
    }

    /// Deletes public tokens and OAuth attempts that expired before `cutoff`.
    pub async fn purge_link_leftovers_expired_before(&self, cutoff: i64) -> Result<u64> {
        let mut total = 0;
        for table in ["public_tokens", "oauth_attempts"] {
            let sql = format!("DELETE FROM {table} WHERE expires_at < $1");
            total +=
                with_pool!(self, write, |pool| { sqlx::query(&sql).bind(cutoff).execute(pool).await?.rows_affected() });
        }
        Ok(total)
    }
}
