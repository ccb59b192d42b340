//! The sync engine: runs a linked account's sync job, reading each model the connector syncs (in
//! its dependency order) and writing normalized rows.
//!
//! A sync is idempotent: row ids are derived from (account, model, remote id) and rows are
//! upserted by content hash, so a job interrupted anywhere (a worker killed mid-sync) and run again
//! converges on the same rows, with nothing lost or duplicated. Rows missing from a *complete*
//! read of a model are marked `remote_was_deleted`; a failed read marks nothing.

mod normalize;
pub mod worker;

use std::sync::Arc;

use joinery_connectors::{
    AccountCredentials, AccountHttp, BoxFuture, Connector, Coverage, CredentialStore, Credentials, ProviderHttp,
    RateLimit, ReadRequest, RecordSink, SyncError, SyncScratch,
};
use joinery_domain::crypto::{Keyring, context};
use joinery_domain::models;
use joinery_storage::{LinkedAccount, ModelSyncStatus, Storage, now_micros};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

pub use normalize::Normalizer;

/// Requests a sync makes against one linked account's provider: 20 a second, up to 5 at once
/// after a pause (so the few requests of small models do not wait on each other).
const ACCOUNT_RATE: RateLimit = RateLimit { per_second: 20.0, burst: 5 };

/// What a sync needs.
pub struct Syncer {
    pub storage: Storage,
    /// Shared with the grant store of each sync, which seals renewed OAuth grants.
    pub keyring: Arc<Keyring>,
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

/// An incremental read starts this long before the previous read started, so a change stamped
/// with a skewed provider clock (or second precision) cannot slip between two reads; reading a
/// change twice is harmless.
const WATERMARK_OVERLAP_SECS: i64 = 5 * 60;
/// An incremental sync reads a model in full again when its last full read is older than this,
/// catching whatever a change feed missed.
const FULL_READ_EVERY_MICROS: i64 = 7 * 86_400 * 1_000_000;
/// Batches a connector may read ahead of the writes.
const READ_AHEAD: usize = 4;
/// Rows written per transaction.
const WRITE_BATCH: usize = 2000;
/// Transactions' worth of rows normalized ahead of the writes.
const WRITE_AHEAD: usize = 1;

/// Saves renewed OAuth grants of the account being synced, sealed.
struct SealedCredentials {
    storage: Storage,
    keyring: Arc<Keyring>,
    account_id: Uuid,
}

impl CredentialStore for SealedCredentials {
    fn save<'a>(&'a self, credentials: &'a Credentials) -> BoxFuture<'a, Result<(), SyncError>> {
        Box::pin(async move {
            let plain = serde_json::to_vec(credentials).map_err(|e| SyncError::Protocol(e.to_string()))?;
            let sealed = self.keyring.seal(&plain, &context::credentials(self.account_id));
            self.storage
                .replace_credentials(self.account_id, &sealed)
                .await
                .map_err(|e| SyncError::Unavailable(format!("renewed credentials could not be saved: {e}")))
        })
    }
}

impl Syncer {
    /// Syncs every model the account's connector reads. A `PERIODIC` job reads only what changed
    /// since the previous read where the connector can; other kinds (`INITIAL`, `RELINK`,
    /// `FORCED`) read everything.
    pub async fn sync_account(&self, account_id: Uuid, kind: &str) -> Result<SyncReport, SyncFailure> {
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
        let store = SealedCredentials { storage: self.storage.clone(), keyring: self.keyring.clone(), account_id };
        let credentials = AccountCredentials::new(credentials, Arc::new(store));
        let integration = connector.integration();
        let http = self.providers.for_account(integration.slug, integration.name, Some(ACCOUNT_RATE));
        let scopes = Arc::new(normalize::Scopes::from_json(&account.scopes.0, &account.category));
        let statuses = self.storage.model_sync_statuses(account.id).await.map_err(transient)?;
        let scratch = SyncScratch::default();

        let mut report = SyncReport::default();
        for &model_id in connector.sync_models() {
            let spec = models::by_model_id(model_id)
                .ok_or_else(|| SyncFailure::Permanent(format!("the connector syncs unknown model {model_id}")))?;
            if !scopes.model_enabled(model_id) {
                continue;
            }
            let started = now_micros();
            let previous = statuses.iter().find(|s| s.model == model_id);
            let since = if kind == "PERIODIC" { previous.and_then(|p| incremental_since(p, started)) } else { None };
            self.storage.start_model_sync(account.id, model_id, started).await.map_err(transient)?;
            let read = ModelRead {
                account: &account,
                connector,
                http: &http,
                credentials: &credentials,
                scratch: &scratch,
                spec,
                since,
            };
            let outcome = self.sync_model(read, &scopes).await;
            let result = if outcome.is_ok() { "DONE" } else { "FAILED" };
            let watermark = watermark(started);
            self.storage
                .finish_model_sync(account.id, model_id, result, Some(&watermark), since.is_none(), now_micros())
                .await
                .map_err(transient)?;
            let (written, deleted) = outcome?;
            report.models.push((model_id, written, deleted));
        }
        Ok(report)
    }

    /// Reads one model and writes its rows as they come; then marks what the read shows is gone.
    async fn sync_model(
        &self,
        read: ModelRead<'_>,
        scopes: &Arc<normalize::Scopes>,
    ) -> Result<(u64, u64), SyncFailure> {
        let (account, spec) = (read.account, read.spec);
        let (sink, mut batches) = RecordSink::channel(READ_AHEAD);
        let request = ReadRequest {
            http: read.http,
            credentials: read.credentials,
            model: spec.model_id,
            since: read.since,
            scratch: read.scratch,
        };
        let reading = async move {
            let coverage = read.connector.read(request, &sink).await;
            // Closing the sink ends the writes.
            drop(sink);
            coverage
        };
        // What is stored now: rows whose hash matches are not written again, and after a complete
        // read the live ones not seen are gone.
        // A change read brings few rows and marks deletions by other means: the write's own
        // hash guard is enough, and reading every stored hash would cost more than the sync.
        // Loaded while the connector's first requests are under way.
        let preloaded = read.since.is_none();
        let stored = {
            let (storage, account_id) = (self.storage.clone(), account.id);
            tokio::spawn(async move {
                if preloaded { storage.stored_hashes(account_id, spec.model_id).await } else { Ok(Default::default()) }
            })
        };
        // Normalizing runs as its own task, and the database writes as another: reading and
        // mapping one batch, normalizing the next and writing the one before proceed side by side.
        let writing = {
            let (storage, normalizer) = (self.storage.clone(), Normalizer::new(account.id, spec, scopes));
            tokio::spawn(async move {
                let mut stored = stored
                    .await
                    .map_err(|e| SyncFailure::Transient(format!("reading the stored rows failed: {e}")))?
                    .map_err(transient)?;
                let (to_writer, mut rows_in) =
                    tokio::sync::mpsc::channel::<Vec<joinery_storage::RowWrite>>(WRITE_AHEAD);
                let writer = tokio::spawn(async move {
                    let mut written = 0;
                    while let Some(rows) = rows_in.recv().await {
                        written += storage.upsert_rows(&rows, now_micros()).await.map_err(transient)?;
                    }
                    Ok::<_, SyncFailure>(written)
                });
                // A full read takes each row it brings out of the stored ones, so what is left at the
                // end was not seen; a read of changes (nothing preloaded) notes what it brought.
                let mut seen: foldhash::HashSet<u128> = Default::default();
                let mut pending = Vec::with_capacity(WRITE_BATCH);
                loop {
                    let batch = batches.recv().await;
                    let done = batch.is_none();
                    for record in batch.iter().flatten() {
                        let (id, row) = normalizer.row(record);
                        let before = if preloaded { stored.remove(&id) } else { None };
                        if !preloaded {
                            seen.insert(id.as_u128());
                        }
                        let unchanged = before.is_some_and(|s| s.unchanged(&row.content_hash));
                        if !unchanged {
                            pending.push(row);
                        }
                    }
                    // Few, large transactions: each commit rewrites the index pages it touched.
                    if (pending.len() >= WRITE_BATCH || (done && !pending.is_empty()))
                        && to_writer
                            .send(std::mem::replace(&mut pending, Vec::with_capacity(WRITE_BATCH)))
                            .await
                            .is_err()
                    {
                        // The writer failed: its error is the outcome.
                        break;
                    }
                    if done {
                        break;
                    }
                }
                drop(to_writer);
                let written =
                    writer.await.map_err(|e| SyncFailure::Transient(format!("writing the rows failed: {e}")))??;
                let seen = if preloaded { Seen::AllBut(stored) } else { Seen::Only(seen) };
                Ok::<_, SyncFailure>((seen, written))
            })
        };
        let coverage = reading.await;
        // A failed write stops the read (its sink closes): the write's error is the cause.
        let (seen, written) =
            writing.await.map_err(|e| SyncFailure::Transient(format!("writing the rows failed: {e}")))??;
        let coverage = coverage.map_err(|e| match e {
            SyncError::Unauthorized(reason) => SyncFailure::Relink(reason),
            other => SyncFailure::Transient(other.to_string()),
        })?;

        let gone = match coverage {
            // Everything was read: what is stored but was not seen is gone at the provider.
            // (A connector may read everything even when asked for changes.)
            Coverage::Complete => match seen {
                Seen::AllBut(unseen) => unseen,
                Seen::Only(seen) => {
                    let mut stored = self.storage.stored_hashes(account.id, spec.model_id).await.map_err(transient)?;
                    stored.retain(|id, _| !seen.contains(&id.as_u128()));
                    stored
                }
            }
            .into_iter()
            .filter(|(_, s)| !s.deleted)
            .map(|(id, _)| id.to_string())
            .collect(),
            Coverage::Changes { deleted, complete_for } => {
                let mut gone: Vec<String> = deleted
                    .iter()
                    .map(|remote| models::row_id(account.id, spec.model_id, remote).to_string())
                    .collect();
                let mut by_field: Vec<(&'static str, Vec<String>)> = Vec::new();
                for (field, remote) in complete_for {
                    let related = relation_model(spec, field)?;
                    let id = models::row_id(account.id, &related, &remote).to_string();
                    match by_field.iter_mut().find(|(f, _)| *f == field) {
                        Some((_, ids)) => ids.push(id),
                        None => by_field.push((field, vec![id])),
                    }
                }
                for (field, related) in by_field {
                    let stored = self
                        .storage
                        .live_row_ids_related(account.id, spec.model_id, field, &related)
                        .await
                        .map_err(transient)?;
                    gone.extend(stored.into_iter().filter(|id| !seen.contains(id)));
                }
                gone
            }
        };
        let deleted = self.storage.mark_rows_deleted(&gone, now_micros()).await.map_err(transient)?;
        Ok((written, deleted))
    }
}

/// The rows a read brought.
enum Seen {
    /// Every stored row but these (a full read took each row it brought out of them).
    AllBut(joinery_storage::StoredHashes),
    /// Only these (a read of changes), as 16-byte ids.
    Only(foldhash::HashSet<u128>),
}

impl Seen {
    fn contains(&self, id: &str) -> bool {
        let Ok(id) = Uuid::parse_str(id) else { return false };
        match self {
            Seen::AllBut(unseen) => !unseen.contains_key(&id),
            Seen::Only(seen) => seen.contains(&id.as_u128()),
        }
    }
}

/// One model read of a sync.
struct ModelRead<'a> {
    account: &'a LinkedAccount,
    connector: &'static dyn Connector,
    http: &'a AccountHttp,
    credentials: &'a AccountCredentials,
    scratch: &'a SyncScratch,
    spec: &'static models::ModelSpec,
    since: Option<OffsetDateTime>,
}

/// Where the next incremental read of a model starts: its previous read's start, less the
/// overlap. Stored as RFC 3339.
fn watermark(started_micros: i64) -> String {
    let at = OffsetDateTime::from_unix_timestamp(started_micros / 1_000_000 - WATERMARK_OVERLAP_SECS)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    at.format(&Rfc3339).unwrap_or_default()
}

/// The `since` of an incremental read, when one may be made: the last read succeeded and the
/// last full read is recent.
fn incremental_since(previous: &ModelSyncStatus, now: i64) -> Option<OffsetDateTime> {
    let full_at = previous.last_full_sync_at?;
    if previous.last_sync_result.as_deref() != Some("DONE") || now - full_at > FULL_READ_EVERY_MICROS {
        return None;
    }
    OffsetDateTime::parse(previous.watermark.as_deref()?, &Rfc3339).ok()
}

/// The model a relation field of `spec` points at (`employee` of Employment → `hris.Employee`).
fn relation_model(spec: &models::ModelSpec, field: &str) -> Result<String, SyncFailure> {
    match spec.fields.iter().find(|f| f.name == field).map(|f| f.kind) {
        Some(models::FieldKind::Ref(model)) => Ok(format!("{}.{model}", spec.category.as_str())),
        _ => Err(SyncFailure::Permanent(format!("{} has no relation field {field}", spec.model_id))),
    }
}

fn transient(e: joinery_storage::StorageError) -> SyncFailure {
    SyncFailure::Transient(e.to_string())
}
