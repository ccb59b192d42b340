//! The request path of syncs: one handle per linked account with a shared rate limit, and
//! retries with backoff that honour what the provider asks for.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use time::OffsetDateTime;
use url::Url;

use super::ProviderHttp;
use super::clock::Clock;

/// Why a sync request failed. Messages name the provider and the HTTP status, never a URL, a
/// header or a body, so they may be stored and shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    /// Credentials rejected (401/403 after a refresh attempt): the account needs a relink.
    #[error("{0}")]
    Unauthorized(String),
    /// Still throttled after the retries, or asked to wait too long.
    #[error("{0}")]
    RateLimited(String),
    /// Transport failures or 5xx after the retries.
    #[error("{0}")]
    Unavailable(String),
    /// A response Joinery could not use (bad JSON, unexpected status).
    #[error("{0}")]
    Protocol(String),
}

/// How [`AccountHttp::send`] retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Backoff before retry `n` (from 0) is uniformly random in `[0, min(cap, base · 2ⁿ)]`
    /// ("full jitter"), unless the provider said how long to wait.
    pub base: Duration,
    pub cap: Duration,
    /// Requests in all, the first one included (at least 1).
    pub max_attempts: u32,
    /// The longest `Retry-After` (or `X-RateLimit-Reset`) honoured by waiting; a longer one fails
    /// at once with [`SyncError::RateLimited`].
    pub max_retry_after: Duration,
    /// Time limit of each attempt, from connecting to the end of the body; `None` keeps the
    /// client's (20 s, sized for a person waiting in Link).
    pub attempt_timeout: Option<Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
            max_attempts: 6,
            max_retry_after: Duration::from_secs(5 * 60),
            attempt_timeout: Some(Duration::from_secs(60)),
        }
    }
}

impl RetryPolicy {
    /// The jittered wait before retry number `retry` (0 for the first retry).
    pub(super) fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self.base.saturating_mul(1u32 << retry.min(31)).min(self.cap);
        ceiling.mul_f64(rand::random::<f64>())
    }
}

/// Per linked account context for sync requests. Clones share the rate limit and the request
/// counter.
#[derive(Debug, Clone)]
pub struct AccountHttp {
    http: ProviderHttp,
    slug: &'static str,
    name: &'static str,
    policy: RetryPolicy,
    shared: Arc<Shared>,
}

/// A linked account's request rate: `per_second` on average, with up to `burst` requests at
/// once after a quiet spell (a token bucket of `burst` tokens).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: u32,
}

impl RateLimit {
    /// Requests spaced evenly, no burst.
    pub fn steady(per_second: f64) -> Self {
        RateLimit { per_second, burst: 1 }
    }
}

#[derive(Debug)]
struct Shared {
    /// Spacing of requests for the account's rate; `None` = unlimited.
    interval: Option<Duration>,
    /// How far ahead of the spacing a burst may run: `(burst - 1) × interval`.
    burst_allowance: Duration,
    gate: Mutex<Gate>,
    requests: AtomicU64,
}

/// Clock times (see [`Clock::now`]) before which no request of the account may start.
#[derive(Debug, Default)]
struct Gate {
    /// When the next request would be due if requests were evenly spaced (the bucket's
    /// theoretical arrival time); up to the burst allowance before it is allowed.
    next_slot: Duration,
    /// The provider asked the whole account to wait (429/503) until then.
    paused_until: Duration,
}

impl ProviderHttp {
    /// A handle for one linked account's requests, limited to `rate` (`None`, or a rate that is
    /// zero, negative or not finite = unlimited), shared by every clone of the handle. `name` is
    /// how errors and logs call the provider (`BambooHR`).
    pub fn for_account(&self, slug: &'static str, name: &'static str, rate: Option<RateLimit>) -> AccountHttp {
        let rate = rate.filter(|r| r.per_second.is_finite() && r.per_second > 0.0);
        let interval = rate.and_then(|r| Duration::try_from_secs_f64(1.0 / r.per_second).ok());
        let burst_allowance = match (rate, interval) {
            (Some(rate), Some(interval)) => interval * rate.burst.max(1).saturating_sub(1),
            _ => Duration::ZERO,
        };
        AccountHttp {
            http: self.clone(),
            slug,
            name,
            policy: RetryPolicy::default(),
            shared: Arc::new(Shared {
                interval,
                burst_allowance,
                gate: Mutex::new(Gate::default()),
                requests: AtomicU64::new(0),
            }),
        }
    }
}

/// What went wrong with one attempt.
enum Failure {
    Status { status: StatusCode, hint: Option<Duration> },
    Transport(reqwest::Error),
}

impl AccountHttp {
    /// The same handle (rate limit and counter shared) with another retry policy.
    pub fn with_retry(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.policy
    }

    pub fn slug(&self) -> &'static str {
        self.slug
    }

    /// The provider's name, as errors and logs show it.
    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn provider_http(&self) -> &ProviderHttp {
        &self.http
    }

    /// `real` (the provider's documented URL) with the provider's base URL override applied.
    pub fn url(&self, real: &str) -> Url {
        self.http.url(self.slug, real)
    }

    /// Number of requests sent, retries included (for tests and metrics).
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }

    fn clock(&self) -> &dyn Clock {
        self.http.clock.as_ref()
    }

    /// Waits for the account's next request slot (rate limit and provider-requested pauses).
    pub(super) async fn acquire(&self) {
        let clock = self.clock();
        let now = clock.now();
        let at = {
            let mut gate = self.shared.gate.lock().unwrap_or_else(|e| e.into_inner());
            let earliest = gate.next_slot.saturating_sub(self.shared.burst_allowance);
            let at = now.max(earliest).max(gate.paused_until);
            if let Some(interval) = self.shared.interval {
                gate.next_slot = gate.next_slot.max(at) + interval;
            }
            at
        };
        if at > now {
            clock.sleep(at - now).await;
        }
    }

    /// Holds every request of the account (all clones) until `wait` from now. After a pause the
    /// requests resume evenly spaced, not in a burst: the provider just said it had enough.
    pub(super) fn pause(&self, wait: Duration) {
        let until = self.clock().now() + wait;
        let mut gate = self.shared.gate.lock().unwrap_or_else(|e| e.into_inner());
        gate.paused_until = gate.paused_until.max(until);
        gate.next_slot = gate.next_slot.max(gate.paused_until + self.shared.burst_allowance);
    }

    /// Sends the request built by `build` (called again for each attempt, since bodies are
    /// consumed) with retries: on 429, 503 (BambooHR throttles with 503 before 2026-09-16), 502,
    /// 504, 500, connection errors and timeouts: exponential backoff with full jitter (see
    /// [`RetryPolicy`]), honoring `Retry-After` (seconds or an HTTP date; up to
    /// `max_retry_after`, a longer one fails at once with [`SyncError::RateLimited`] saying
    /// when), else `X-RateLimit-Reset` when it is a Unix time (or Gusto's
    /// `YYYY-MM-DD HH:MM:SS +0000`). A 429 or 503 pauses every request of the account, not just
    /// this one. Other statuses, 4xx included, are returned to the caller at once.
    ///
    /// Every attempt waits for the account's rate limit first, and is counted in
    /// [`requests`](Self::requests).
    pub async fn send(
        &self,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, SyncError> {
        let name = self.name;
        let attempts = self.policy.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.acquire().await;
            self.shared.requests.fetch_add(1, Ordering::Relaxed);
            let mut request = build(self.http.client());
            if let Some(timeout) = self.policy.attempt_timeout {
                request = request.timeout(timeout);
            }
            let failure = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    if !is_retryable(status) {
                        self.observe_quota(response.headers());
                        return Ok(response);
                    }
                    Failure::Status { status, hint: wait_hint(response.headers(), SystemTime::now()) }
                }
                Err(error) if error.is_builder() => {
                    tracing::error!(provider = name, error = %error.without_url(), "could not build a provider request");
                    return Err(SyncError::Protocol(format!("Joinery could not build a request to {name}.")));
                }
                Err(error) => Failure::Transport(error),
            };

            // A wait the provider asked for: too long fails now, whatever attempt this is.
            let hint = match &failure {
                Failure::Status { hint, .. } => *hint,
                Failure::Transport(_) => None,
            };
            if let Failure::Status { status, hint: Some(hint) } = &failure
                && *hint > self.policy.max_retry_after
            {
                return Err(self.asked_to_wait_too_long(*status, *hint));
            }

            if attempt >= attempts {
                return Err(self.exhausted(failure, attempts));
            }

            let wait = match hint {
                Some(hint) if !hint.is_zero() => hint,
                _ => self.policy.backoff(attempt - 1),
            };
            let wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
            match &failure {
                Failure::Status { status, .. } => {
                    if is_throttle(*status) {
                        self.pause(wait);
                    }
                    tracing::warn!(
                        provider = name,
                        status = status.as_u16(),
                        wait_ms,
                        attempt,
                        max_attempts = attempts,
                        "provider request failed, retrying"
                    );
                }
                Failure::Transport(error) => {
                    tracing::warn!(
                        provider = name,
                        status = transport_kind(error),
                        wait_ms,
                        attempt,
                        max_attempts = attempts,
                        "provider request failed, retrying"
                    );
                }
            }
            self.clock().sleep(wait).await;
        }
    }

    fn asked_to_wait_too_long(&self, status: StatusCode, wait: Duration) -> SyncError {
        let (name, status) = (self.name, status.as_u16());
        tracing::info!(
            provider = name,
            status,
            wait_secs = wait.as_secs(),
            "provider asked to wait too long, giving up"
        );
        // Shown as a date; a silly wait must not overflow the conversion.
        let shown = wait.min(Duration::from_secs(100 * 365 * 86_400));
        SyncError::RateLimited(format!(
            "{name} asked Joinery to wait {} s (HTTP {status}), until {}; a sync waits at most {} s. Try again after that.",
            wait.as_secs(),
            utc(SystemTime::now() + shown),
            self.policy.max_retry_after.as_secs(),
        ))
    }

    /// The error once retries are used up.
    fn exhausted(&self, failure: Failure, attempts: u32) -> SyncError {
        let name = self.name;
        match failure {
            Failure::Status { status, hint } => {
                let code = status.as_u16();
                tracing::info!(provider = name, status = code, attempts, "provider request failed, giving up");
                if status == StatusCode::TOO_MANY_REQUESTS
                    || (status == StatusCode::SERVICE_UNAVAILABLE && hint.is_some())
                {
                    SyncError::RateLimited(format!(
                        "{name} was still limiting requests after {attempts} attempts (HTTP {code}). Try again later."
                    ))
                } else {
                    SyncError::Unavailable(format!(
                        "{name} answered with a server error (HTTP {code}) to {attempts} attempts in a row. Try again later."
                    ))
                }
            }
            Failure::Transport(error) => {
                let why = if error.is_timeout() {
                    "did not answer in time"
                } else if error.is_connect() {
                    "could not be reached"
                } else {
                    "closed the connection"
                };
                tracing::info!(provider = name, error = %error.without_url(), attempts, "provider request failed, giving up");
                SyncError::Unavailable(format!("{name} {why} ({attempts} attempts). Try again later."))
            }
        }
    }

    /// On a successful answer that says the quota is used up (`X-RateLimit-Remaining: 0`),
    /// holds the account's next requests until the quota resets instead of collecting a 429.
    fn observe_quota(&self, headers: &HeaderMap) {
        let exhausted = header(headers, "x-ratelimit-remaining").is_some_and(|v| v.trim() == "0");
        if !exhausted {
            return;
        }
        if let Some(wait) = header(headers, "x-ratelimit-reset").and_then(|v| rate_limit_reset(v, SystemTime::now()))
            && wait <= self.policy.max_retry_after
        {
            self.pause(wait);
        }
    }

    /// A status the caller has no use for, as an error.
    pub fn unexpected(&self, status: StatusCode) -> SyncError {
        SyncError::Protocol(format!("{} answered with an unexpected status (HTTP {}).", self.name, status.as_u16()))
    }

    /// Reads a JSON body. A body that is not the expected JSON is a [`SyncError::Protocol`]
    /// naming the position only (serde's messages can quote values, credentials included); a
    /// connection lost while reading is [`SyncError::Unavailable`].
    pub async fn json<T: serde::de::DeserializeOwned>(&self, response: reqwest::Response) -> Result<T, SyncError> {
        let name = self.name;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|error| {
            tracing::warn!(provider = name, error = %error.without_url(), "could not read a provider response");
            SyncError::Unavailable(format!("{name} closed the connection while answering. Try again later."))
        })?;
        serde_json::from_slice(&body).map_err(|error| bad_json(name, status, &error))
    }
}

/// A body that is not the expected JSON, by position only (serde's messages can quote values).
pub(crate) fn bad_json(name: &str, status: u16, error: &serde_json::Error) -> SyncError {
    let what = match error.classify() {
        serde_json::error::Category::Data => "JSON of an unexpected shape",
        serde_json::error::Category::Eof => "truncated JSON",
        serde_json::error::Category::Syntax | serde_json::error::Category::Io => "invalid JSON",
    };
    bad_json_at(name, status, what, error.line(), error.column())
}

/// [`bad_json`] with what is wrong (`invalid JSON`, …) and where, found by other means.
pub(crate) fn bad_json_at(name: &str, status: u16, what: &str, line: usize, column: usize) -> SyncError {
    SyncError::Protocol(format!("{name} answered HTTP {status} with {what} (line {line}, column {column})."))
}

fn is_retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

/// Statuses that mean "slow down": the whole account waits.
fn is_throttle(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE
}

fn transport_kind(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connect error"
    } else {
        "connection error"
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// How long the provider asked to wait: `Retry-After`, else `X-RateLimit-Reset`.
pub(super) fn wait_hint(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    header(headers, RETRY_AFTER.as_str())
        .and_then(|v| retry_after(v, now))
        .or_else(|| header(headers, "x-ratelimit-reset").and_then(|v| rate_limit_reset(v, now)))
}

/// `Retry-After`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3); a date in the past is zero.
pub(super) fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let imf_fixdate = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let date = time::PrimitiveDateTime::parse(value, &imf_fixdate)
        .map(|d| d.assume_utc())
        .or_else(|_| OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822))
        .ok()?;
    Some(until(date, now))
}

/// `X-RateLimit-Reset` when it is a point in time: Unix seconds (or milliseconds), or Gusto's
/// `YYYY-MM-DD HH:MM:SS +0000`. Small numbers (seconds from now, in some APIs) are not trusted.
pub(super) fn rate_limit_reset(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(number) = value.parse::<i64>() {
        let unix_secs = match number {
            1_000_000_000_000.. => number / 1000,
            1_000_000_000.. => number,
            _ => return None,
        };
        return OffsetDateTime::from_unix_timestamp(unix_secs).ok().map(|date| until(date, now));
    }
    let gusto = time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
    );
    OffsetDateTime::parse(value, &gusto).ok().map(|date| until(date, now))
}

fn until(date: OffsetDateTime, now: SystemTime) -> Duration {
    SystemTime::from(date).duration_since(now).unwrap_or(Duration::ZERO)
}

/// `2026-11-25T13:00:00Z`
fn utc(at: SystemTime) -> String {
    let date = OffsetDateTime::from(at).replace_nanosecond(0).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    date.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
