use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
use joinery::config::{LogFormat, Overrides};
use joinery::{Config, server};
use tracing_subscriber::EnvFilter;
use url::Url;

#[derive(Parser)]
#[command(name = "joinery", version, about = "Self-hosted, Merge-compatible unified API for HRIS and ATS")]
struct Cli {
    /// A TOML configuration file; environment variables (JOINERY_*) and flags override it.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    common: CommonFlags,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct CommonFlags {
    /// Database URL: sqlite:PATH or postgres://… [env: JOINERY_DATABASE_URL]
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Directory of the embedded database and generated secrets [env: JOINERY_DATA_DIR]
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve {
        /// Address to bind [env: JOINERY_LISTEN] [default: 127.0.0.1:8080]
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Externally visible base URL for links [env: JOINERY_PUBLIC_URL]
        #[arg(long)]
        public_url: Option<Url>,
        /// Also run local emulators of the supported providers, point the connectors at them,
        /// and seed a demo organization: link a "BambooHR (demo)" account with no internet.
        #[arg(long)]
        demo: bool,
        /// Serve the API only: leave sync jobs to `joinery serve` processes with workers.
        #[arg(long)]
        no_worker: bool,
    },
    /// Run a sync worker only (no HTTP server): claims sync jobs from the database, so any
    /// number of workers can share them (PostgreSQL).
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage API keys.
    #[command(subcommand)]
    ApiKeys(ApiKeys),
    /// Enable or disable integrations for an organization.
    #[command(subcommand)]
    Integrations(Integrations),
    /// Set how often an organization's linked accounts are synced.
    SyncInterval {
        #[arg(long)]
        organization: String,
        /// Hours between syncs; leave out to use the server's default (JOINERY_SYNC_INTERVAL_HOURS).
        #[arg(long)]
        hours: Option<u32>,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Manage the encryption of stored credentials.
    #[command(subcommand)]
    Encryption(Encryption),
}

#[derive(Subcommand)]
enum Encryption {
    /// Re-encrypt every stored credential under the current JOINERY_ENCRYPTION_KEY, so retired
    /// keys can be removed from JOINERY_ENCRYPTION_RETIRED_KEYS.
    Reseal,
}

#[derive(Subcommand)]
enum ApiKeys {
    /// Create an API key (and the organization, if new); prints only the key on stdout.
    Create {
        #[arg(long)]
        organization: String,
    },
}

#[derive(Subcommand)]
enum Integrations {
    /// Enable an integration for an organization (all are enabled by default).
    Enable {
        #[arg(long)]
        organization: String,
        slug: String,
    },
    /// Disable an integration for an organization: Link stops offering it.
    Disable {
        #[arg(long)]
        organization: String,
        slug: String,
    },
}

/// `JOINERY_LOG` in `EnvFilter` syntax. Plain `target=level` lists (the usual case) are
/// filtered statically: `EnvFilter` takes a lock on every span entered and left, on every
/// request, just in case a directive names spans.
fn init_logging(format: LogFormat) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{Layer, filter::Targets};

    let spec = std::env::var("JOINERY_LOG").unwrap_or_else(|_| "info,sqlx=warn".to_owned());
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let fmt = match format {
        LogFormat::Text => fmt.boxed(),
        LogFormat::Json => fmt.json().boxed(),
    };
    let layer = match spec.parse::<Targets>() {
        Ok(targets) => fmt.with_filter(targets).boxed(),
        Err(_) => fmt.with_filter(EnvFilter::new(&spec)).boxed(),
    };
    tracing_subscriber::registry().with(layer).init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut overrides =
        Overrides { database_url: cli.common.database_url, data_dir: cli.common.data_dir, ..Default::default() };
    if let Command::Serve { listen, public_url, .. } = &cli.command {
        overrides.listen = *listen;
        overrides.public_url = public_url.clone();
    }
    let mut config = Config::load(cli.config.as_deref(), &overrides)?;
    config.demo = matches!(cli.command, Command::Serve { demo: true, .. });
    config.no_worker = matches!(cli.command, Command::Serve { no_worker: true, .. });
    init_logging(config.log_format);

    match cli.command {
        Command::Serve { .. } => {
            let running = server::start(&config, server::termination_signal()).await?;
            if let Some(key) = &running.bootstrap_key {
                println!("{}", server::welcome(key, &running.public_url));
            }
            if let Some(demo) = &running.demo {
                println!("{}", demo.banner(&running.public_url));
            }
            running.wait().await
        }
        Command::Worker => {
            let (storage, _) = server::open(&config).await?;
            let syncer = joinery_sync::Syncer {
                storage: storage.clone(),
                keyring: std::sync::Arc::new(joinery::secrets::load_keyring(&config)?),
                providers: server::provider_http(&config),
                default_interval_secs: i64::from(config.sync_interval_hours) * 3600,
                lease: std::time::Duration::from_secs(u64::from(config.sync_lease_secs.max(3))),
            };
            let name = format!("worker-{}", std::process::id());
            eprintln!("sync worker {name} running; stop with SIGTERM or ctrl-c");
            let worker = joinery_sync::worker::spawn(std::sync::Arc::new(syncer), name);
            server::termination_signal().await;
            worker.shutdown().await;
            storage.close().await;
            Ok(())
        }
        Command::Migrate => {
            let (storage, _) = server::open(&config).await?;
            storage.close().await;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::ApiKeys(ApiKeys::Create { organization }) => {
            let organization = organization.trim();
            anyhow::ensure!(!organization.is_empty(), "--organization may not be empty");
            let (storage, hasher) = server::open(&config).await?;
            let key = server::create_api_key(&storage, &hasher, organization).await?;
            storage.close().await;
            println!("{key}");
            Ok(())
        }
        Command::Integrations(cmd) => {
            let (organization, slug, enabled) = match cmd {
                Integrations::Enable { organization, slug } => (organization, slug, true),
                Integrations::Disable { organization, slug } => (organization, slug, false),
            };
            let integration = joinery_domain::integrations::find(&slug)
                .ok_or_else(|| anyhow::anyhow!("unknown integration {slug:?}"))?;
            let (storage, _) = server::open(&config).await?;
            let (org, _) = storage.ensure_organization(organization.trim()).await?;
            storage.set_integration_enabled(org.id, integration.slug, enabled).await?;
            storage.close().await;
            eprintln!("{} {} for {}", integration.slug, if enabled { "enabled" } else { "disabled" }, org.name);
            Ok(())
        }
        Command::Encryption(Encryption::Reseal) => {
            let (storage, _) = server::open(&config).await?;
            let keyring = joinery::secrets::load_keyring(&config)?;
            let report = server::reseal(&storage, &keyring).await;
            storage.close().await;
            let report = report?;
            eprintln!(
                "{} of {} linked accounts re-encrypted under key {}",
                report.resealed,
                report.accounts,
                keyring.current_key_id()
            );
            Ok(())
        }
        Command::SyncInterval { organization, hours } => {
            anyhow::ensure!(hours != Some(0), "--hours must be at least 1");
            let (storage, _) = server::open(&config).await?;
            let (org, _) = storage.ensure_organization(organization.trim()).await?;
            storage.set_sync_interval(org.id, hours.map(|h| i64::from(h) * 3600)).await?;
            storage.close().await;
            match hours {
                Some(h) => eprintln!("{} syncs every {h} h", org.name),
                None => eprintln!("{} syncs at the server's default interval", org.name),
            }
            Ok(())
        }
        Command::Openapi => {
            println!("{}", joinery_api::openapi_json());
            Ok(())
        }
    }
}
