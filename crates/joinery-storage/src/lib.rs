//! Joinery's storage: one API over SQLite (the embedded default) and PostgreSQL (scale-out).
//!
//! Queries are written once, in SQL both engines accept (`$n` placeholders, BIGINT microsecond
//! timestamps, UUIDs as BLOB/UUID, JSON as TEXT/JSONB), and run against whichever pool the
//! database URL selected. Each backend keeps its own migrations because DDL types differ.
//!
//! SQLite gets two pools: one writer connection (SQLite allows one writer at a time, and a single
//! connection avoids `SQLITE_BUSY` storms) and several readers, in WAL mode so readers never wait.

mod group_commit;
mod jobs;
mod link_tokens;
mod linked_accounts;
mod organizations;
mod rows;

use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub use jobs::{ModelSyncStatus, SyncJob, job_state};
pub use link_tokens::{LinkTokenRecord, NewLinkToken};
pub use linked_accounts::{
    AccountLink, AccountPosition, LinkOutcome, LinkRefusal, LinkedAccount, LinkedAccountFilter, NewAccountToken,
    NewPublicToken, OAuthAttempt, PublicTokenRecord, status,
};
pub use organizations::{ApiKeyRecord, Organization};
pub use rows::{RowFilter, RowPosition, RowQuery, RowWrite, StoredHash, StoredHashes, StoredRow};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("unsupported database URL {0:?}: expected sqlite:… or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot create the database directory {path}: {source}")]
    CreateDir { path: String, source: std::io::Error },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("storage is shutting down")]
    Closed,
    #[error("internal invariant broken: {0}")]
    Invariant(&'static str),
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Which engine a [`Storage`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
enum Backend {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the backend's pool for reading or writing. The body is
/// compiled once per backend, so the same query text must suit both.
macro_rules! with_pool {
    ($storage:expr, read, |$pool:ident| $body:expr) => {
        match &$storage.backend {
            $crate::Backend::Sqlite { read: $pool, .. } => $body,
            $crate::Backend::Postgres($pool) => $body,
        }
    };
    ($storage:expr, write, |$pool:ident| $body:expr) => {
        match &$storage.backend {
            $crate::Backend::Sqlite { write: $pool, .. } => $body,
            $crate::Backend::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// Pool sizing and connection options.
#[derive(Debug, Clone)]
pub struct StorageOptions {
    /// Connections of the PostgreSQL pool, or SQLite reader connections.
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for StorageOptions {
    fn default() -> Self {
        Self { max_connections: 8, acquire_timeout: Duration::from_secs(10) }
    }
}

#[derive(Debug, Clone)]
pub struct Storage {
    backend: Backend,
    link_tokens: group_commit::GroupCommit<link_tokens::LinkTokenRow>,
    /// Signalled when this process queues a sync job, so its worker starts it at once instead of
    /// at its next poll (workers of other processes still poll).
    jobs_queued: std::sync::Arc<tokio::sync::Notify>,
}

impl Storage {
    /// Connects to `url` (`sqlite:path`, `sqlite://path`, `postgres://…`). A SQLite file and its
    /// directory are created when missing.
    pub async fn connect(url: &str, options: &StorageOptions) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Self::connect_sqlite(url, options).await
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections)
                .acquire_timeout(options.acquire_timeout)
                // sqlx pings every connection it hands out by default: a round trip to the
                // server before each request's query. Only connections idle for a while are
                // checked (a server restart or a dropped idle connection shows there); one in
                // steady use proves itself with each query.
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for >= PG_IDLE_CHECK {
                            sqlx::Connection::ping(conn).await?;
                        }
                        Ok(true)
                    })
                })
                .connect_with(opts)
                .await?;
            Ok(Self::new(Backend::Postgres(pool)))
        } else {
            Err(StorageError::UnsupportedUrl(url.to_owned()))
        }
    }

    async fn connect_sqlite(url: &str, options: &StorageOptions) -> Result<Self> {
        let base = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL + NORMAL: durable against process crashes, and a power loss can only lose
            // the last transactions, never corrupt the file.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let filename = base.get_filename().to_path_buf();
        let in_memory = filename.as_os_str().is_empty() || filename.to_string_lossy().contains(":memory:");
        if !in_memory && let Some(dir) = filename.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_dir(dir)?;
        }
        // A local file cannot drop a connection, so skip sqlx's ping before each use: it would
        // double the round trips to the connection's worker thread.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(
                base.clone()
                    .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_BACKSTOP)
                    .pragma("journal_size_limit", WAL_SIZE_LIMIT)
                    // Statement journals stay in memory by a build flag (.cargo/config.toml).
                    .pragma("cache_size", WRITER_CACHE_SIZE),
            )
            .await?;
        // An in-memory database exists only inside its one connection.
        let read = if in_memory {
            write.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(options.max_connections.max(1))
                .test_before_acquire(false)
                .acquire_timeout(options.acquire_timeout)
                // A page (101 rows, or 500 expanded ones) passes from the connection's thread in
                // one go instead of waking the reader every 50 rows (sqlx's default).
                .connect_with(base.clone().read_only(true).row_buffer_size(512))
                .await?
        };
        if !in_memory {
            let checkpointer =
                SqlitePoolOptions::new().max_connections(1).test_before_acquire(false).connect_with(base).await?;
            tokio::spawn(checkpoint_wal(checkpointer, write.clone()));
        }
        Ok(Self::new(Backend::Sqlite { read, write }))
    }

    fn new(backend: Backend) -> Self {
        let link_tokens = group_commit::GroupCommit::spawn(link_tokens::LinkTokenSink { backend: backend.clone() });
        Self { backend, link_tokens, jobs_queued: Default::default() }
    }

    pub fn kind(&self) -> BackendKind {
        match self.backend {
            Backend::Sqlite { .. } => BackendKind::Sqlite,
            Backend::Postgres(_) => BackendKind::Postgres,
        }
    }

    /// Applies pending migrations. Safe to run from several processes at once: on PostgreSQL
    /// sqlx serialises them with an advisory lock; on SQLite the single writer does.
    pub async fn migrate(&self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite { write, .. } => sqlx::migrate!("./migrations/sqlite").run(write).await?,
            Backend::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// A cheap round trip, for readiness checks.
    pub async fn ping(&self) -> Result<()> {
        with_pool!(self, read, |pool| sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Backend::Postgres(pool) => pool.close().await,
        }
    }
}

/// The writer checkpoints by itself only when the WAL reaches this many pages (~400 MiB), that
/// is, only if [`checkpoint_wal`] falls far behind.
const WAL_AUTOCHECKPOINT_BACKSTOP: &str = "100000";
/// The writer's page cache, in KiB (SQLite's default is 2,000): a sync's transaction of 2,000
/// rows dirties several MiB, and with the default most of it spilled into the WAL before the
/// commit (some pages more than once). Measured: a tenth less writer time, ~10 MiB more RSS.
const WRITER_CACHE_SIZE: &str = "-8192";
/// A PostgreSQL connection idle this long is pinged before it is used again.
const PG_IDLE_CHECK: Duration = Duration::from_secs(5);

/// After a reset the WAL file is truncated to this size, so a burst does not keep disk space.
const WAL_SIZE_LIMIT: &str = "16777216";
/// How often [`checkpoint_wal`] runs, and the WAL length (pages, ~32 MiB) past which it restarts
/// the log once the passive copies are within [`RESTART_LAG_PAGES`] of its end. A restart pauses
/// the writer while it copies what is left and syncs; a large sync writes hundreds of MB, and
/// restarting at every 4 MiB paused it twenty times a second (a tenth of the sync's time), while
/// restarting a WAL the copies lagged far behind paused it for seconds (both measured).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(50);
const RESTART_WAL_AT_PAGES: i64 = 8000;
const RESTART_LAG_PAGES: i64 = 1000;
/// Past this length (~256 MiB) the WAL restarts whatever the lag, bounding its disk space.
const RESTART_WAL_ANYWAY_AT_PAGES: i64 = 65536;

/// Keeps the WAL short without stalling the writer for long. Every 50 ms a PASSIVE
/// checkpoint copies committed pages into the database file from a connection of its own,
/// waiting for no one. Under constant writes it never catches up completely, so the WAL would
/// never restart and the writer would eventually run a huge checkpoint itself (a 100+ ms stall,
/// measured). So when the WAL passes [`RESTART_WAL_AT_PAGES`] and the copies are close behind,
/// a RESTART checkpoint finishes the few pages left and lets the WAL start over: a pause of one
/// small copy and one fsync.
/// Ends when the writer pool is closed.
async fn checkpoint_wal(checkpointer: SqlitePool, writer: SqlitePool) {
    let mut interval = tokio::time::interval(CHECKPOINT_EVERY);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if writer.is_closed() {
            break;
        }
        let passive =
            sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&checkpointer).await;
        let result = match passive {
            Ok((_, wal_pages, copied))
                if wal_pages > RESTART_WAL_ANYWAY_AT_PAGES
                    || (wal_pages > RESTART_WAL_AT_PAGES && wal_pages - copied <= RESTART_LAG_PAGES) =>
            {
                sqlx::query("PRAGMA wal_checkpoint(RESTART)").execute(&checkpointer).await.map(|_| ())
            }
            other => other.map(|_| ()),
        };
        if let Err(e) = result {
            if writer.is_closed() {
                break;
            }
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
    }
    checkpointer.close().await;
}

fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| StorageError::CreateDir { path: dir.display().to_string(), source })
}

/// Appends `(v1, v2, …)` to a query, each value bound: the right-hand side of an `IN`. Callers
/// handle empty lists themselves (`IN ()` is not SQL on PostgreSQL).
pub(crate) fn push_list<'a, DB, T>(query: &mut sqlx::QueryBuilder<'a, DB>, values: impl IntoIterator<Item = T>)
where
    DB: sqlx::Database,
    T: 'a + sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    query.push("(");
    let mut list = query.separated(", ");
    for value in values {
        list.push_bind(value);
    }
    list.push_unseparated(")");
}

/// Microseconds since the Unix epoch, the storage's timestamp format.
pub fn now_micros() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    /// The background checkpointer copies committed pages into the database file while the
    /// writer is open and far below its own auto-checkpoint threshold.
    #[tokio::test]
    async fn wal_is_checkpointed_in_the_background() {
        let (storage, dir) = test_support::sqlite().await;
        let db = dir.path().join("t.db");
        let size = || std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
        let before = size();
        for i in 0..300 {
            storage.ensure_organization(&format!("org-{i:04}-{}", "x".repeat(200))).await.unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while size() <= before {
            assert!(Instant::now() < deadline, "no checkpoint copied pages into {}", db.display());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(storage.organization_count().await.unwrap(), 300);
        storage.close().await;
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    /// A linked account (with dummy sealed values) to hang synced rows and jobs on.
    pub async fn linked_account(storage: &Storage, origin: &str) -> uuid::Uuid {
        let (org, _) = storage.ensure_organization("acme").await.unwrap();
        let id = uuid::Uuid::now_v7();
        with_pool!(storage, write, |pool| {
            sqlx::query(
                "INSERT INTO linked_accounts (id, organization_id, category, integration, end_user_origin_id, \
                 end_user_organization_name, end_user_email_address, status, account_token_id, account_token_hash, \
                 account_token_sealed, credentials_sealed, instance_id, instance_display_value, is_duplicate, \
                 is_test_account, scopes, are_syncs_disabled, created_at, updated_at) \
                 VALUES ($1, $2, 'hris', 'bamboohr', $3, 'Org', 'a@b.c', 'COMPLETE', $4, $5, $5, $5, 'i', \
                 'i', FALSE, FALSE, '{}', FALSE, 0, 0)",
            )
            .bind(id)
            .bind(org.id)
            .bind(origin)
            .bind(uuid::Uuid::now_v7())
            .bind(&[0u8][..])
            .execute(pool)
            .await
            .unwrap();
        });
        id
    }

    /// A migrated, fresh PostgreSQL database when `JOINERY_TEST_POSTGRES_URL` names a server
    /// (dropped with the guard); None otherwise (the test then checks nothing and says so).
    pub async fn postgres() -> Option<(Storage, PgGuard)> {
        use sqlx::Connection;
        let Some(admin) = std::env::var("JOINERY_TEST_POSTGRES_URL").ok().filter(|s| !s.is_empty()) else {
            eprintln!("skipped: JOINERY_TEST_POSTGRES_URL not set");
            return None;
        };
        let name = format!("joinery_storage_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        let (base, _) = admin.rsplit_once('/').unwrap();
        let storage = Storage::connect(&format!("{base}/{name}"), &StorageOptions::default()).await.unwrap();
        storage.migrate().await.unwrap();
        Some((storage, PgGuard { admin, name }))
    }

    /// Drops its database when dropped.
    pub struct PgGuard {
        admin: String,
        name: String,
    }

    impl Drop for PgGuard {
        fn drop(&mut self) {
            let (admin, name) = (self.admin.clone(), self.name.clone());
            // Drop runs outside async: a short-lived runtime on its own thread.
            std::thread::spawn(move || {
                use sqlx::Connection;
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut conn)
                            .await;
                    }
                });
            })
            .join()
            .ok();
        }
    }

    /// A migrated SQLite database in a temporary directory (kept alive by the returned guard).
    pub async fn sqlite() -> (Storage, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let storage = Storage::connect(&url, &StorageOptions::default()).await.unwrap();
        storage.migrate().await.unwrap();
        (storage, dir)
    }
}
