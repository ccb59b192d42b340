//! The sync engine: runs a linked account's sync job, reading each model the connector syncs (in
//! its dependency order) and writing normalized rows.
//!
//! A sync is idempotent: row ids are derived from (account, model, remote id) and rows are
//! upserted by content hash, so a job interrupted anywhere (a worker killed mid-sync) and run again
//! converges on the same rows, with nothing lost or duplicated. Rows missing from a *complete*
//! read of a model are marked `remote_was_deleted`; a failed read marks nothing.

mod normalize;
pub mod worker;

use std::collections::HashSet;

use joinery_connectors::{Credentials, ProviderHttp, SyncError};
use joinery_domain::crypto::{Keyring, context};
use joinery_domain::models;
use joinery_storage::{LinkedAccount, Storage, now_micros};
use uuid::Uuid;

pub use normalize::normalize;

/// Requests per second a sync makes against one linked account's provider.
const ACCOUNT_RATE: f64 = 20.0;

/// What a sync needs.
pub struct Syncer {
    pub storage: Storage,
    pub keyring: Keyring,
    pub providers: ProviderHttp,
    /// How often accounts are synced when their organization sets no interval.
    pub default_interval_secs: i64,
    /// How long a claimed job stays this worker's without renewal ([`worker::DEFAULT_LEASE`]):
    /// how soon another worker resumes the job of one that died.
    pub lease: std::time::Duration,
}

/// Why a sync stopped.
#[derive(Debug)]
pub enum SyncFailure {
    /// The provider refuses the credentials: the account needs a relink (not retried).
    Relink(String),
    /// Worth retrying later (throttling, outages, our own storage errors).
    Transient(String),
    /// The account is gone or cannot be synced at all (not retried).
    Permanent(String),
}

/// What a completed sync did, per model: (model, rows written, rows marked deleted).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub models: Vec<(&'static str, u64, u64)>,
}

impl Syncer {
    /// Syncs every model the account's connector reads.
    pub async fn sync_account(&self, account_id: Uuid) -> Result<SyncReport, SyncFailure> {
        let account = self
            .storage
            .find_linked_account(account_id)
            .await
            .map_err(|e| SyncFailure::Transient(e.to_string()))?
            .ok_or_else(|| SyncFailure::Permanent("the linked account no longer exists".into()))?;
        let connector = joinery_connectors::find(&account.integration)
            .ok_or_else(|| SyncFailure::Permanent(format!("no connector for {}", account.integration)))?;
        let plain = self
            .keyring
            .open(&account.credentials_sealed, &context::credentials(account.id))
            .map_err(|e| SyncFailure::Permanent(format!("credentials cannot be opened: {e}")))?;
        let credentials: Credentials = serde_json::from_slice(&plain)
            .map_err(|e| SyncFailure::Permanent(format!("credentials are corrupt: {e}")))?;
        let integration = connector.integration();
        let http = self.providers.for_account(integration.slug, integration.name, Some(ACCOUNT_RATE));
        let scopes = normalize::Scopes::from_account(&account);

        let mut report = SyncReport::default();
        for &model_id in connector.sync_models() {
            let spec = models::by_model_id(model_id)
                .ok_or_else(|| SyncFailure::Permanent(format!("the connector syncs unknown model {model_id}")))?;
            if !scopes.model_enabled(model_id) {
                continue;
            }
            let started = now_micros();
            self.storage.start_model_sync(account.id, model_id, started).await.map_err(transient)?;
            let outcome = self.sync_model(&account, connector, &http, &credentials, spec, &scopes).await;
            let result = if outcome.is_ok() { "DONE" } else { "FAILED" };
            self.storage
                .finish_model_sync(account.id, model_id, result, None, now_micros())
                .await
                .map_err(transient)?;
            let (written, deleted) = outcome?;
            report.models.push((model_id, written, deleted));
        }
        Ok(report)
    }

    async fn sync_model(
        &self,
        account: &LinkedAccount,
        connector: &dyn joinery_connectors::Connector,
        http: &joinery_connectors::AccountHttp,
        credentials: &Credentials,
        spec: &'static models::ModelSpec,
        scopes: &normalize::Scopes,
    ) -> Result<(u64, u64), SyncFailure> {
        let mut seen: HashSet<String> = HashSet::new();
        let mut written = 0;
        let mut cursor = None;
        loop {
            let page = connector.read(http, credentials, spec.model_id, cursor).await.map_err(|e| match e {
                SyncError::Unauthorized(reason) => SyncFailure::Relink(reason),
                other => SyncFailure::Transient(other.to_string()),
            })?;
            let rows: Vec<_> = page.records.iter().map(|r| normalize(account.id, spec, r, scopes)).collect();
            seen.extend(rows.iter().map(|r| r.id.clone()));
            written += self.storage.upsert_rows(&rows, now_micros()).await.map_err(transient)?;
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        // The read was complete: what is stored but was not seen is gone at the provider.
        let mut gone = Vec::new();
        let mut after = String::new();
        loop {
            let ids = self.storage.live_row_ids(account.id, spec.model_id, &after, 1000).await.map_err(transient)?;
            let Some(last) = ids.last().cloned() else { break };
            gone.extend(ids.into_iter().filter(|id| !seen.contains(id)));
            after = last;
        }
        let deleted = self.storage.mark_rows_deleted(&gone, now_micros()).await.map_err(transient)?;
        Ok((written, deleted))
    }
}

fn transient(e: joinery_storage::StorageError) -> SyncFailure {
    SyncFailure::Transient(e.to_string())
}
