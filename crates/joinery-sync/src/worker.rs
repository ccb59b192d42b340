//! A worker claims due sync jobs from the database and runs them, renewing its lease while a job
//! runs. Any number of workers (in `joinery serve` processes or `joinery worker`) share the queue.

use std::sync::Arc;
use std::time::Duration;

use joinery_storage::{job_state, now_micros, status};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::{SyncFailure, Syncer};

/// How long a claimed job is ours without renewal (renewed every third of it), unless the
/// `Syncer` sets its own.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);
/// How often an idle worker looks for due jobs (jobs this process queues wake it at once).
const IDLE_POLL: Duration = Duration::from_millis(500);
/// How often a worker looks for accounts due for their periodic sync.
const PERIODIC_CHECK: Duration = Duration::from_secs(60);
/// Transient failures are retried this many times, with growing delays.
const MAX_ATTEMPTS: i32 = 5;

pub struct WorkerHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// How long a shutdown waits for the running job before abandoning it.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

impl WorkerHandle {
    /// Stops claiming, and gives the running job (if any) a few seconds to end. A job still
    /// running then is abandoned: its lease lapses and a worker runs it again, which is safe
    /// because syncs are idempotent.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut self.task).await.is_err() {
            tracing::info!("shutting down mid-sync; the job will be resumed when its lease lapses");
            self.task.abort();
        }
    }
}

pub fn spawn(syncer: Arc<Syncer>, name: String) -> WorkerHandle {
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        let mut next_periodic_check = tokio::time::Instant::now();
        loop {
            if *stopped.borrow() {
                break;
            }
            if tokio::time::Instant::now() >= next_periodic_check {
                next_periodic_check += PERIODIC_CHECK;
                match syncer.storage.enqueue_periodic_syncs(now_micros(), syncer.default_interval_secs).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(queued = n, "periodic syncs queued"),
                    Err(e) => tracing::warn!(error = %e, "queueing periodic syncs failed"),
                }
            }
            let claimed = match run_one(&syncer, &name).await {
                Ok(claimed) => claimed,
                Err(e) => {
                    tracing::warn!(error = %e, "sync worker could not claim a job");
                    false
                }
            };
            if !claimed {
                tokio::select! {
                    _ = tokio::time::sleep(IDLE_POLL) => {}
                    _ = syncer.storage.job_queued() => {}
                    _ = stopped.changed() => {}
                }
            }
        }
    });
    WorkerHandle { stop, task }
}

fn micros(d: Duration) -> i64 {
    d.as_micros() as i64
}

/// Claims and runs one due job; false when none was due.
pub async fn run_one(syncer: &Arc<Syncer>, name: &str) -> Result<bool, joinery_storage::StorageError> {
    let now = now_micros();
    let lease = syncer.lease;
    let Some(job) = syncer.storage.claim_sync_job(name, now, now + micros(lease)).await? else {
        return Ok(false);
    };
    tracing::info!(job = %job.id, linked_account = %job.linked_account_id, kind = %job.kind, attempt = job.attempts, "sync started");
    let renewer = {
        let (storage, name, id) = (syncer.storage.clone(), name.to_owned(), job.id);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(lease / 3);
            tick.tick().await;
            loop {
                tick.tick().await;
                match storage.renew_sync_lease(id, &name, now_micros() + micros(lease)).await {
                    Ok(true) => {}
                    // Lost the job (another worker took it over): its result will be refused.
                    Ok(false) => break,
                    Err(e) => tracing::warn!(error = %e, "renewing a sync lease failed"),
                }
            }
        })
    };
    let outcome = syncer.sync_account(job.linked_account_id, &job.kind).await;
    renewer.abort();
    let now = now_micros();
    let (state, error, retry_at) = match &outcome {
        Ok(report) => {
            tracing::info!(job = %job.id, models = ?report.models, "sync finished");
            (job_state::DONE, None, None)
        }
        Err(SyncFailure::Relink(reason)) => {
            tracing::warn!(job = %job.id, reason, "sync stopped: the account needs a relink");
            syncer
                .storage
                .set_linked_account_status(job.linked_account_id, status::RELINK_NEEDED, Some(reason))
                .await?;
            (job_state::FAILED, Some(reason.as_str()), None)
        }
        Err(SyncFailure::Transient(reason)) if job.attempts < MAX_ATTEMPTS => {
            // 30 s, 2 min, 8 min, 32 min.
            let delay = 30_000_000i64 << (2 * (job.attempts - 1).clamp(0, 6));
            tracing::warn!(job = %job.id, reason, retry_in_s = delay / 1_000_000, "sync failed; will retry");
            (job_state::FAILED, Some(reason.as_str()), Some(now + delay))
        }
        Err(SyncFailure::Transient(reason) | SyncFailure::Permanent(reason)) => {
            tracing::warn!(job = %job.id, reason, "sync failed");
            (job_state::FAILED, Some(reason.as_str()), None)
        }
    };
    syncer.storage.finish_sync_job(job.id, name, state, error, retry_at, now).await?;
    Ok(true)
}
