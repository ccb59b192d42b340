//! Opening storage, first-start bootstrap, and running the HTTP server until shutdown.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use joinery_api::AppStateInner;
use joinery_connectors::{ProviderHttp, ProviderSettings};
use joinery_domain::crypto::{Keyring, context};
use joinery_domain::tokens::TokenHasher;
use joinery_storage::{BackendKind, Storage, StorageOptions, now_micros};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use url::Url;

use crate::api_keys;
pub use crate::api_keys::create as create_api_key;
use crate::demo::{self, Demo};
use crate::{Config, secrets};

/// Storage (migrated) and the token hasher, as every command needs them.
pub async fn open(config: &Config) -> anyhow::Result<(Storage, TokenHasher)> {
    let secret = secrets::load_or_create(config)?;
    let options = StorageOptions { max_connections: config.database_max_connections, ..StorageOptions::default() };
    let url = config.database_url();
    let storage =
        Storage::connect(&url, &options).await.with_context(|| format!("connecting to {}", redact_url(&url)))?;
    storage.migrate().await.context("running database migrations")?;
    if storage.kind() == BackendKind::Postgres && config.secret_key.is_none() && config.secret_key_file.is_none() {
        tracing::warn!(
            "PostgreSQL without JOINERY_SECRET_KEY: this process uses the secret in {}; every Joinery \
             process sharing the database must use the same secret",
            config.data_dir.display()
        );
    }
    if storage.kind() == BackendKind::Postgres
        && config.encryption_key.is_none()
        && config.encryption_key_file.is_none()
    {
        tracing::warn!(
            "PostgreSQL without JOINERY_ENCRYPTION_KEY: this process uses the key in {}; every Joinery \
             process sharing the database must use the same key",
            config.data_dir.display()
        );
    }
    Ok((storage, TokenHasher::new(&secret)))
}

/// On an empty database, creates the `default` organization and an API key for it. Returns the
/// key when this call created it (with several processes starting at once, only one does).
pub async fn bootstrap(storage: &Storage, hasher: &TokenHasher) -> anyhow::Result<Option<String>> {
    if storage.organization_count().await? > 0 {
        return Ok(None);
    }
    let (org, created) = storage.ensure_organization("default").await?;
    if !created {
        return Ok(None);
    }
    Ok(Some(api_keys::issue(storage, hasher, org.id).await?))
}

/// Provider settings from configuration.
fn provider_settings(config: &Config) -> HashMap<String, ProviderSettings> {
    config
        .providers
        .iter()
        .map(|(slug, p)| {
            let settings = ProviderSettings {
                base_url: p.base_url.clone(),
                client_id: p.client_id.clone(),
                client_secret: p.client_secret.clone(),
            };
            (slug.clone(), settings)
        })
        .collect()
}

/// The provider HTTP client of a process without demo emulators (`joinery worker`).
pub fn provider_http(config: &Config) -> ProviderHttp {
    ProviderHttp::new(provider_settings(config))
}

/// What [`reseal`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ResealReport {
    pub accounts: u64,
    pub resealed: u64,
}

/// Seals again, under the current encryption key, every linked account's values that a retired
/// key sealed: after it, the retired key can be dropped from `JOINERY_ENCRYPTION_RETIRED_KEYS`.
/// Safe while servers run (a value changed meanwhile is left to its writer, which used the
/// current key). OAuth attempts are not re-sealed: they expire within 15 minutes.
pub async fn reseal(storage: &Storage, keyring: &Keyring) -> anyhow::Result<ResealReport> {
    let mut report = ResealReport::default();
    let mut after = None;
    loop {
        let batch = storage.linked_account_sealed_values(after, 500).await?;
        let Some((last, _, _)) = batch.last() else { return Ok(report) };
        after = Some(*last);
        for (id, credentials, token) in &batch {
            report.accounts += 1;
            if !keyring.is_stale(credentials) && !keyring.is_stale(token) {
                continue;
            }
            let reseal = |sealed: &[u8], context: Vec<u8>| -> anyhow::Result<Vec<u8>> {
                let plain = keyring
                    .open(sealed, &context)
                    .with_context(|| format!("opening a value of linked account {id}"))?;
                Ok(keyring.seal(&plain, &context))
            };
            let new_credentials = reseal(credentials, context::credentials(*id))?;
            let new_token = reseal(token, context::account_token(*id))?;
            if storage.replace_sealed_values(*id, (credentials, token), (&new_credentials, &new_token)).await? {
                report.resealed += 1;
            }
        }
    }
}

/// The welcome printed on the first start: the key, once, and a request to try.
pub fn welcome(key: &str, public_url: &Url) -> String {
    let base = public_url.as_str().trim_end_matches('/');
    format!(
        "\nJoinery created the organization \"default\" and its first API key. It is shown only now:\n\n    \
         {key}\n\nTry it:\n\n    curl -s -X POST {base}/api/hris/v1/link-token \\\n      \
         -H 'Authorization: Bearer {key}' \\\n      -H 'Content-Type: application/json' \\\n      \
         -d '{{\"end_user_email_address\": \"ada@example.com\", \"end_user_organization_name\": \"Example Corp\", \
         \"end_user_origin_id\": \"user-1\", \"categories\": [\"hris\"]}}'\n\nMore keys: joinery api-keys create --organization NAME\n"
    )
}

fn redact_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// A server running in the background of the current runtime.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub public_url: Url,
    /// The API key created on first start, if this start created one.
    pub bootstrap_key: Option<String>,
    pub storage: Storage,
    /// The demo's emulators and key, with `--demo`.
    pub demo: Option<Demo>,
    /// The embedded sync worker, unless `--no-worker`.
    worker: Option<joinery_sync::worker::WorkerHandle>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// Stops accepting connections, lets in-flight requests finish, and closes storage.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.wait().await
    }

    /// Waits for the server to stop on its own (after a signal given to `start`).
    pub async fn wait(self) -> anyhow::Result<()> {
        self.task.await.context("server task panicked")??;
        if let Some(worker) = self.worker {
            worker.shutdown().await;
        }
        self.storage.close().await;
        if let Some(demo) = self.demo {
            demo.shutdown().await;
        }
        Ok(())
    }
}

/// Binds, migrates, bootstraps and serves until `shutdown_signal` resolves (or
/// [`RunningServer::shutdown`] is called).
pub async fn start(
    config: &Config,
    shutdown_signal: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<RunningServer> {
    let (storage, hasher) = open(config).await?;
    let keyring = secrets::load_keyring(config)?;
    let listener = TcpListener::bind(config.listen).await.with_context(|| format!("binding {}", config.listen))?;
    let addr = listener.local_addr()?;
    let public_url = config.public_url(addr);
    let bootstrap_key = bootstrap(&storage, &hasher).await?;

    let mut providers = provider_settings(config);
    let demo =
        if config.demo { Some(demo::start(&storage, &hasher, &public_url, &mut providers).await?) } else { None };
    for connector in joinery_connectors::all() {
        let slug = connector.integration().slug;
        if connector.oauth().is_some()
            && providers.get(slug).is_none_or(|p| p.client_id.is_none() || p.client_secret.is_none())
        {
            tracing::info!(
                integration = slug,
                "no OAuth client configured (JOINERY_PROVIDER_{}_CLIENT_ID/_CLIENT_SECRET): Link will not offer it",
                slug.to_ascii_uppercase()
            );
        }
    }

    let providers = ProviderHttp::new(providers);
    let worker = (!config.no_worker).then(|| {
        let syncer = joinery_sync::Syncer {
            storage: storage.clone(),
            keyring: std::sync::Arc::new(secrets::load_keyring(config).expect("the keyring loaded a moment ago")),
            providers: providers.clone(),
            default_interval_secs: i64::from(config.sync_interval_hours) * 3600,
            lease: std::time::Duration::from_secs(u64::from(config.sync_lease_secs.max(3))),
        };
        joinery_sync::worker::spawn(std::sync::Arc::new(syncer), format!("serve-{}-{}", std::process::id(), addr))
    });
    let state = AppStateInner::new(storage.clone(), hasher, keyring, providers, &public_url);
    let app = joinery_api::router(state);
    let (tx, rx) = oneshot::channel::<()>();
    let janitor = tokio::spawn(purge_expired_link_tokens(storage.clone()));
    let task = tokio::spawn(async move {
        let stop = async move {
            tokio::select! {
                _ = shutdown_signal => {}
                _ = rx => {}
            }
            tracing::info!("shutting down: finishing in-flight requests");
        };
        let result = axum::serve(listener, app).with_graceful_shutdown(stop).await;
        janitor.abort();
        result
    });
    tracing::info!(%addr, public_url = %public_url, database = ?storage.kind(), "Joinery is listening");
    Ok(RunningServer { addr, public_url, bootstrap_key, storage, demo, worker, shutdown: Some(tx), task })
}

/// Link tokens are useless a day after they expire; deleting them keeps the table small.
async fn purge_expired_link_tokens(storage: Storage) {
    const EVERY: Duration = Duration::from_secs(600);
    const GRACE_MICROS: i64 = 24 * 3600 * 1_000_000;
    let mut interval = tokio::time::interval(EVERY);
    loop {
        interval.tick().await;
        match storage.purge_link_tokens_expired_before(now_micros() - GRACE_MICROS, 1000).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "purged expired link tokens"),
            Err(e) => tracing::warn!(error = %e, "purging expired link tokens failed"),
        }
        // Expired public tokens and OAuth attempts (which may hold a sealed grant) go at once.
        match storage.purge_link_leftovers_expired_before(now_micros()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "purged expired public tokens and OAuth attempts"),
            Err(e) => tracing::warn!(error = %e, "purging expired public tokens failed"),
        }
    }
}

/// Resolves on SIGTERM or ctrl-c.
pub async fn termination_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
