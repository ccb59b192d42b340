//! Sync jobs live in the database, so any number of workers share them: on PostgreSQL a job is
//! claimed with `FOR UPDATE SKIP LOCKED`; on SQLite the single writer serializes claims. A running
//! job holds a lease its worker renews; a job whose lease lapsed (its worker died) is claimed again,
//! and the sync is idempotent, so re-running it loses and duplicates nothing.

use uuid::Uuid;

use crate::{BackendKind, Result, Storage, with_pool};

pub mod job_state {
    pub const QUEUED: &str = "QUEUED";
    pub const RUNNING: &str = "RUNNING";
    pub const DONE: &str = "DONE";
    pub const FAILED: &str = "FAILED";
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SyncJob {
    pub id: Uuid,
    pub linked_account_id: Uuid,
    pub kind: String,
    pub attempts: i32,
    pub locked_until: Option<i64>,
}

/// Per-model sync state of an account (`GET /sync-status`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ModelSyncStatus {
    pub model: String,
    pub status: String,
    pub last_sync_start: Option<i64>,
    pub last_sync_finished: Option<i64>,
    pub last_sync_result: Option<String>,
    pub watermark: Option<String>,
    pub is_initial_sync: bool,
    /// When the model was last read in full (not just its changes).
    pub last_full_sync_at: Option<i64>,
}

impl Storage {
    /// Queues a sync of an account unless one is already queued or running. Returns the new
    /// job's id, or None when one was pending.
    pub async fn enqueue_sync(
        &self,
        linked_account_id: Uuid,
        kind: &str,
        run_after: i64,
        now: i64,
    ) -> Result<Option<Uuid>> {
        let id = Uuid::now_v7();
        let inserted = with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO sync_jobs (id, linked_account_id, kind, state, run_after, attempts, created_at) \
                 VALUES ($1, $2, $3, 'QUEUED', $4, 0, $5) \
                 ON CONFLICT (linked_account_id) WHERE state IN ('QUEUED', 'RUNNING') DO NOTHING",
            )
            .bind(id)
            .bind(linked_account_id)
            .bind(kind)
            .bind(run_after)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if inserted == 1 {
            self.jobs_queued.notify_one();
        }
        Ok((inserted == 1).then_some(id))
    }

    /// Resolves when this process queued a job since the last call (or queues one meanwhile).
    pub async fn job_queued(&self) {
        self.jobs_queued.notified().await;
    }

    /// Claims the next due job, or one whose lease lapsed, for `worker` until `lease_until`.
    pub async fn claim_sync_job(&self, worker: &str, now: i64, lease_until: i64) -> Result<Option<SyncJob>> {
        // The candidate subquery differs only in row locking.
        let lock = match self.kind() {
            BackendKind::Postgres => " FOR UPDATE SKIP LOCKED",
            BackendKind::Sqlite => "",
        };
        let sql = format!(
            "UPDATE sync_jobs SET state = 'RUNNING', locked_by = $1, locked_until = $2, attempts = attempts + 1, \
             started_at = $3 WHERE id = (SELECT id FROM sync_jobs \
             WHERE (state = 'QUEUED' AND run_after <= $3) OR (state = 'RUNNING' AND locked_until < $3) \
             ORDER BY run_after, id LIMIT 1{lock}) \
             RETURNING id, linked_account_id, kind, attempts, locked_until"
        );
        Ok(with_pool!(self, write, |pool| {
            sqlx::query_as(&sql).bind(worker).bind(lease_until).bind(now).fetch_optional(pool).await?
        }))
    }

    /// Extends a running job's lease; false if the job is no longer this worker's.
    pub async fn renew_sync_lease(&self, job: Uuid, worker: &str, lease_until: i64) -> Result<bool> {
        let updated = with_pool!(self, write, |pool| {
            sqlx::query("UPDATE sync_jobs SET locked_until = $1 WHERE id = $2 AND locked_by = $3 AND state = 'RUNNING'")
                .bind(lease_until)
                .bind(job)
                .bind(worker)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(updated == 1)
    }

    /// Ends a job: DONE or FAILED, or back to QUEUED at `retry_at` (a retry with backoff).
    pub async fn finish_sync_job(
        &self,
        job: Uuid,
        worker: &str,
        state: &str,
        error: Option<&str>,
        retry_at: Option<i64>,
        now: i64,
    ) -> Result<bool> {
        let (state, run_after) = match retry_at {
            Some(at) => (crate::job_state::QUEUED, Some(at)),
            None => (state, None),
        };
        let updated = with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE sync_jobs SET state = $1, last_error = $2, run_after = COALESCE($3, run_after), \
                 finished_at = $4, finished_by = $6, locked_by = NULL, locked_until = NULL \
                 WHERE id = $5 AND locked_by = $6 AND state = 'RUNNING'",
            )
            .bind(state)
            .bind(error)
            .bind(run_after)
            .bind(now)
            .bind(job)
            .bind(worker)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(updated == 1)
    }

    /// Queues a PERIODIC sync for every complete account (syncs not disabled) whose last sync
    /// job ended longer ago than its organization's interval (`default_interval_secs` when the
    /// organization has none) and that has no job pending. Returns how many were queued.
    pub async fn enqueue_periodic_syncs(&self, now: i64, default_interval_secs: i64) -> Result<u64> {
        let due: Vec<Uuid> = with_pool!(self, read, |pool| {
            sqlx::query_scalar(
                "SELECT la.id FROM linked_accounts la JOIN organizations o ON o.id = la.organization_id \
                 WHERE la.status = 'COMPLETE' AND NOT la.are_syncs_disabled \
                 AND NOT EXISTS (SELECT 1 FROM sync_jobs j WHERE j.linked_account_id = la.id \
                 AND j.state IN ('QUEUED', 'RUNNING')) \
                 AND COALESCE((SELECT MAX(j.finished_at) FROM sync_jobs j WHERE j.linked_account_id = la.id), \
                 la.completed_at, la.created_at) < $1 - COALESCE(o.sync_interval_secs, $2) * 1000000 \
                 ORDER BY la.id LIMIT 500",
            )
            .bind(now)
            .bind(default_interval_secs)
            .fetch_all(pool)
            .await?
        });
        let mut queued = 0;
        for account in due {
            // Another worker may queue it first: then this is a no-op.
            if self.enqueue_sync(account, "PERIODIC", now, now).await?.is_some() {
                queued += 1;
            }
        }
        Ok(queued)
    }

    /// Sets an organization's sync interval (None: the server default).
    pub async fn set_sync_interval(&self, organization_id: Uuid, secs: Option<i64>) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query("UPDATE organizations SET sync_interval_secs = $1 WHERE id = $2")
                .bind(secs)
                .bind(organization_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The account's job that is queued or running, if any: (kind, state).
    pub async fn active_sync_job(&self, linked_account_id: Uuid) -> Result<Option<(String, String)>> {
        Ok(with_pool!(self, read, |pool| {
            sqlx::query_as(
                "SELECT kind, state FROM sync_jobs WHERE linked_account_id = $1 AND state IN ('QUEUED', 'RUNNING')",
            )
            .bind(linked_account_id)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Records that a model's sync started.
    pub async fn start_model_sync(&self, linked_account_id: Uuid, model: &str, now: i64) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO sync_status (linked_account_id, model, status, last_sync_start, is_initial_sync) \
                 VALUES ($1, $2, 'SYNCING', $3, TRUE) \
                 ON CONFLICT (linked_account_id, model) DO UPDATE SET status = 'SYNCING', last_sync_start = $3",
            )
            .bind(linked_account_id)
            .bind(model)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Records a model sync's outcome (`DONE` or `FAILED`) and, on success, the new watermark
    /// and whether it was a full read.
    pub async fn finish_model_sync(
        &self,
        linked_account_id: Uuid,
        model: &str,
        result: &str,
        watermark: Option<&str>,
        full: bool,
        now: i64,
    ) -> Result<()> {
        let success = result == "DONE";
        with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE sync_status SET status = $3, last_sync_result = $3, last_sync_finished = $4, \
                 watermark = CASE WHEN $5 THEN COALESCE($6, watermark) ELSE watermark END, \
                 is_initial_sync = CASE WHEN $5 THEN FALSE ELSE is_initial_sync END, \
                 last_full_sync_at = CASE WHEN $5 AND $7 THEN $4 ELSE last_full_sync_at END \
                 WHERE linked_account_id = $1 AND model = $2",
            )
            .bind(linked_account_id)
            .bind(model)
            .bind(result)
            .bind(now)
            .bind(success)
            .bind(watermark)
            .bind(full)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn model_sync_statuses(&self, linked_account_id: Uuid) -> Result<Vec<ModelSyncStatus>> {
        Ok(with_pool!(self, read, |pool| {
            sqlx::query_as(
                "SELECT model, status, last_sync_start, last_sync_finished, last_sync_result, watermark, \
                 is_initial_sync, last_full_sync_at FROM sync_status WHERE linked_account_id = $1 ORDER BY model",
            )
            .bind(linked_account_id)
            .fetch_all(pool)
            .await?
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support;

    #[tokio::test]
    async fn one_active_job_per_account_leases_and_retries_sqlite() {
        let (s, _dir) = test_support::sqlite().await;
        one_active_job_per_account_leases_and_retries(s).await;
    }

    #[tokio::test]
    async fn one_active_job_per_account_leases_and_retries_postgres() {
        if let Some((s, _guard)) = test_support::postgres().await {
            one_active_job_per_account_leases_and_retries(s.clone()).await;
            s.close().await;
        }
    }

    #[tokio::test]
    async fn periodic_syncs_follow_the_interval_sqlite() {
        let (s, _dir) = test_support::sqlite().await;
        periodic_syncs_follow_the_interval(s).await;
    }

    #[tokio::test]
    async fn periodic_syncs_follow_the_interval_postgres() {
        if let Some((s, _guard)) = test_support::postgres().await {
            periodic_syncs_follow_the_interval(s.clone()).await;
            s.close().await;
        }
    }

    async fn periodic_syncs_follow_the_interval(s: Storage) {
        let hour = 3_600_000_000i64;
        let account = test_support::linked_account(&s, "o1").await; // created at 0
        let now = 100 * hour;
        // Never synced, linked long ago: due under a 24 h default.
        assert_eq!(s.enqueue_periodic_syncs(now, 24 * 3600).await.unwrap(), 1);
        assert_eq!(s.enqueue_periodic_syncs(now, 24 * 3600).await.unwrap(), 0, "already pending");
        let job = s.claim_sync_job("w", now, now + hour).await.unwrap().unwrap();
        assert_eq!((job.kind.as_str(), job.linked_account_id), ("PERIODIC", account));
        assert!(s.finish_sync_job(job.id, "w", job_state::DONE, None, None, now).await.unwrap());
        // Just synced: not due until the interval passed.
        assert_eq!(s.enqueue_periodic_syncs(now + 23 * hour, 24 * 3600).await.unwrap(), 0);
        assert_eq!(s.enqueue_periodic_syncs(now + 25 * hour, 24 * 3600).await.unwrap(), 1);
        // The organization's own interval wins over the default.
        let job = s.claim_sync_job("w", now + 25 * hour, now + 26 * hour).await.unwrap().unwrap();
        s.finish_sync_job(job.id, "w", job_state::DONE, None, None, now + 25 * hour).await.unwrap();
        let (org, _) = s.ensure_organization("acme").await.unwrap();
        s.set_sync_interval(org.id, Some(3600)).await.unwrap();
        assert_eq!(s.enqueue_periodic_syncs(now + 27 * hour, 24 * 3600).await.unwrap(), 1);
    }

    async fn one_active_job_per_account_leases_and_retries(s: Storage) {
        let account = test_support::linked_account(&s, "o1").await;
        let job = s.enqueue_sync(account, "INITIAL", 100, 100).await.unwrap().expect("queued");
        assert_eq!(s.enqueue_sync(account, "FORCED", 100, 100).await.unwrap(), None, "one pending job per account");
        assert!(s.claim_sync_job("w1", 50, 60).await.unwrap().is_none(), "not due yet");
        let claimed = s.claim_sync_job("w1", 100, 200).await.unwrap().unwrap();
        assert_eq!((claimed.id, claimed.attempts), (job, 1));
        assert!(s.claim_sync_job("w2", 150, 250).await.unwrap().is_none(), "leased to w1");
        assert_eq!(s.enqueue_sync(account, "FORCED", 100, 100).await.unwrap(), None, "running counts as active");
        // w1 dies; after the lease w2 takes over and w1 can no longer finish it.
        let taken = s.claim_sync_job("w2", 201, 300).await.unwrap().unwrap();
        assert_eq!((taken.id, taken.attempts), (job, 2));
        assert!(!s.renew_sync_lease(job, "w1", 400).await.unwrap());
        assert!(!s.finish_sync_job(job, "w1", job_state::DONE, None, None, 250).await.unwrap());
        assert!(s.renew_sync_lease(job, "w2", 400).await.unwrap());
        // A retry goes back to the queue for later.
        assert!(s.finish_sync_job(job, "w2", job_state::FAILED, Some("boom"), Some(500), 260).await.unwrap());
        assert_eq!(s.active_sync_job(account).await.unwrap(), Some(("INITIAL".into(), "QUEUED".into())));
        let retried = s.claim_sync_job("w3", 500, 600).await.unwrap().unwrap();
        assert_eq!(retried.attempts, 3);
        assert!(s.finish_sync_job(job, "w3", job_state::DONE, None, None, 510).await.unwrap());
        assert_eq!(s.active_sync_job(account).await.unwrap(), None);
        assert!(s.enqueue_sync(account, "FORCED", 600, 600).await.unwrap().is_some());

        s.start_model_sync(account, "hris.Employee", 10).await.unwrap();
        s.finish_model_sync(account, "hris.Employee", "DONE", Some("2026-01-01"), true, 20).await.unwrap();
        s.start_model_sync(account, "hris.Employee", 25).await.unwrap();
        s.finish_model_sync(account, "hris.Employee", "DONE", Some("2026-01-02"), false, 26).await.unwrap();
        s.start_model_sync(account, "hris.Employee", 30).await.unwrap();
        s.finish_model_sync(account, "hris.Employee", "FAILED", Some("ignored"), true, 40).await.unwrap();
        let status = &s.model_sync_statuses(account).await.unwrap()[0];
        assert_eq!(
            (status.status.as_str(), status.watermark.as_deref(), status.is_initial_sync, status.last_full_sync_at),
            ("FAILED", Some("2026-01-02"), false, Some(20))
        );
        assert_eq!((status.last_sync_start, status.last_sync_finished), (Some(30), Some(40)));
    }
}
