//! Joinery's storage: one API over SQLite (the embedded default) and PostgreSQL (scale-out).
//!
//! Queries are written once, in SQL both engines accept (`$n` placeholders, BIGINT microsecond
//! timestamps, UUIDs as BLOB/UUID, JSON as TEXT/JSONB), and run against whichever pool the
//! database URL selected. Each backend keeps its own migrations because DDL types differ.
//!
//! SQLite gets two pools: one writer connection (SQLite allows one writer at a time, and a single
//! connection avoids `SQLITE_BUSY` storms) and several readers, in WAL mode so readers never wait.

mod link_tokens;
mod organizations;

use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub use link_tokens::{LinkTokenRecord, NewLinkToken};
pub use organizations::{ApiKeyRecord, Organization};

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
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
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
                .connect_with(opts)
                .await?;
            Ok(Self { backend: Backend::Postgres(pool) })
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
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(base.clone())
            .await?;
        // An in-memory database exists only inside its one connection.
        let read = if in_memory {
            write.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(options.max_connections.max(1))
                .acquire_timeout(options.acquire_timeout)
                .connect_with(base.read_only(true))
                .await?
        };
        Ok(Self { backend: Backend::Sqlite { read, write } })
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

fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| StorageError::CreateDir { path: dir.display().to_string(), source })
}

/// Microseconds since the Unix epoch, the storage's timestamp format.
pub fn now_micros() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    /// A migrated SQLite database in a temporary directory (kept alive by the returned guard).
    pub async fn sqlite() -> (Storage, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let storage = Storage::connect(&url, &StorageOptions::default()).await.unwrap();
        storage.migrate().await.unwrap();
        (storage, dir)
    }
}
