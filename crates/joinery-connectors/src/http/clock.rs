//! Time as the retry and rate-limit logic sees it, so tests can run it without waiting.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::BoxFuture;

/// A monotonic clock with a sleep. [`TokioClock`] is the default (and follows
/// `tokio::time::pause()`); [`VirtualClock`] never waits and is for tests that talk to a real
/// local server, where paused tokio time would also fire the HTTP client's timeouts.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// Time since an arbitrary origin; never goes backwards.
    fn now(&self) -> Duration;
    /// Completes once `duration` has passed on this clock.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// Tokio's clock: real time, or virtual time under `tokio::time::pause()`.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    origin: tokio::time::Instant,
}

impl TokioClock {
    pub fn new() -> Self {
        TokioClock { origin: tokio::time::Instant::now() }
    }
}

impl Default for TokioClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for TokioClock {
    fn now(&self) -> Duration {
        tokio::time::Instant::now().saturating_duration_since(self.origin)
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock that jumps forward instead of sleeping: `sleep(d)` moves the time to at least
/// "now + d" and returns at once. Concurrent sleeps overlap as they would in real time (sleeping
/// 1 s and 2 s at once ends at 2 s). For tests.
#[derive(Debug, Default)]
pub struct VirtualClock {
    nanos: AtomicU64,
}

impl VirtualClock {
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the time forward by `duration`.
    pub fn advance(&self, duration: Duration) {
        self.nanos.fetch_add(nanos(duration), Ordering::SeqCst);
    }
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

impl Clock for VirtualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::SeqCst))
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        let until = nanos(self.now()).saturating_add(nanos(duration));
        self.nanos.fetch_max(until, Ordering::SeqCst);
        // Still a suspension point, so other tasks get to run as they would during a sleep.
        Box::pin(tokio::task::yield_now())
    }
}
