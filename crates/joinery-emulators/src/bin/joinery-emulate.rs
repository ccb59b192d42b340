//! `joinery-emulate`: the BambooHR emulator as a standalone process, for benchmarks
//! (`scripts/bench-sync.sh`) and manual testing against a real `joinery serve`.
//!
//! ```sh
//! joinery-emulate --employees 100000 --seed 1 --domain acme --api-key 0123abcd… --listen 127.0.0.1:0
//! ```
//!
//! It serves one company (`--domain`, `--employees` generated on demand from `--seed`, readable
//! with `--api-key`, no rate limit), prints exactly one line on stdout once it accepts
//! connections, `listening http://127.0.0.1:PORT`, and serves until SIGTERM or ctrl-c. Point
//! Joinery at it with `JOINERY_PROVIDER_BAMBOOHR_BASE_URL=http://127.0.0.1:PORT` and link with the
//! company domain and API key given here. On exit it reports on stderr how many requests it
//! served.

use std::io::Write;
use std::net::SocketAddr;

use clap::Parser;
use joinery_emulators::bamboohr::{self, Access, ApiKey, Company, Config, RateLimit};

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Runs a local BambooHR emulator until SIGTERM or ctrl-c.
#[derive(Parser)]
#[command(name = "joinery-emulate", version)]
struct Cli {
    /// Employees (active and former) of the company, generated on demand.
    #[arg(long, default_value_t = 100_000)]
    employees: usize,
    /// Seeds the generated employees: the same seed always yields the same company.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The company domain (`acme` as in acme.bamboohr.com).
    #[arg(long, default_value = "acme")]
    domain: String,
    /// The company's display name.
    #[arg(long, default_value = "Acme")]
    name: String,
    /// The API key that reads everything (HTTP Basic user name).
    #[arg(long, default_value = joinery_emulators::demo::BAMBOOHR_API_KEY)]
    api_key: String,
    /// Address to bind; port 0 picks a free port (the line on stdout names it).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Per-key token bucket as BURST/PER_SECOND (429 with Retry-After when empty); default none.
    #[arg(long, value_name = "BURST/PER_SECOND", value_parser = parse_rate_limit)]
    rate_limit: Option<RateLimit>,
}

fn parse_rate_limit(text: &str) -> Result<RateLimit, String> {
    let (burst, per_second) = text.split_once('/').ok_or("expected BURST/PER_SECOND, e.g. 50/10")?;
    let number =
        |s: &str| s.trim().parse::<u32>().ok().filter(|n| *n > 0).ok_or(format!("{s:?} is not a positive integer"));
    Ok(RateLimit { burst: number(burst)?, per_second: number(per_second)? })
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let config = Config {
        companies: vec![Company {
            domain: cli.domain,
            name: cli.name,
            employees: cli.employees,
            seed: cli.seed,
            api_keys: vec![ApiKey { key: cli.api_key, access: Access::Full }],
            rate_limit: cli.rate_limit,
        }],
    };
    let running = bamboohr::start(config, cli.listen).await?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening {}", running.base_url)?;
        stdout.flush()?;
    }
    termination_signal().await;
    let requests = running.faults.requests();
    running.shutdown().await;
    eprintln!("joinery-emulate: stopped after {requests} requests");
    Ok(())
}

async fn termination_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("a SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
