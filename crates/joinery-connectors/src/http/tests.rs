//! The sync request path against a local server answering scripted sequences. Waits go through a
//! [`VirtualClock`], so nothing really sleeps while the HTTP client keeps its real timeouts
//! (paused tokio time would fire them whenever the runtime idles waiting for the socket).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use url::Url;

use super::account::{rate_limit_reset, retry_after, wait_hint};
use super::*;
use crate::oauth::{ACCESS_TOKEN, EXPIRES_AT, OAuthSpec, REFRESH_TOKEN, TokenBody};

const SLUG: &str = "acme";
const NAME: &str = "Acme HR";
/// A documented URL whose query carries a secret, as some providers want.
const REAL_URL: &str = "https://api.acme.example/v1/employees?api_key=SECRET-KEY&page=2";
const CLIENT_SECRET: &str = "CLIENT-SECRET";

struct Server {
    base: Url,
    hits: Arc<AtomicUsize>,
}

impl Server {
    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// A server answering request `n` (from 0) with `answer(n, headers, body)`.
async fn serve(answer: impl Fn(usize, &HeaderMap, &[u8]) -> Response + Send + Sync + 'static) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let answer = Arc::new(answer);
    let app = axum::Router::new().fallback({
        let hits = hits.clone();
        move |headers: HeaderMap, body: Bytes| {
            let n = hits.fetch_add(1, Ordering::SeqCst);
            let response = answer(n, &headers, &body);
            async move { response }
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Server { base, hits }
}

fn status(code: u16) -> Response {
    StatusCode::from_u16(code).unwrap().into_response()
}

fn with_header(code: u16, name: &'static str, value: String) -> Response {
    (StatusCode::from_u16(code).unwrap(), [(HeaderName::from_static(name), value)], "").into_response()
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn http_date(at: SystemTime) -> String {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::OffsetDateTime::from(at).format(&format).unwrap()
}

fn provider_http(base: &Url, clock: &Arc<VirtualClock>) -> ProviderHttp {
    let settings = ProviderSettings {
        base_url: Some(base.clone()),
        client_id: Some("client-1".into()),
        client_secret: Some(CLIENT_SECRET.into()),
    };
    ProviderHttp::new(HashMap::from([(SLUG.to_owned(), settings)])).with_clock(clock.clone())
}

fn account(base: &Url, clock: &Arc<VirtualClock>) -> AccountHttp {
    provider_http(base, clock).for_account(SLUG, NAME, None)
}

async fn get(account: &AccountHttp) -> Result<reqwest::Response, SyncError> {
    account.send(|client| client.get(account.url(REAL_URL)).basic_auth("SECRET-KEY", Some("x"))).await
}

fn assert_no_secrets(text: &str) {
    for secret in ["SECRET", "127.0.0.1", "api_key", CLIENT_SECRET, "refresh-1"] {
        assert!(!text.contains(secret), "{secret:?} in {text:?}");
    }
}

#[tokio::test]
async fn retry_after_seconds_is_waited_for() {
    let server = serve(|n, _, _| if n == 0 { with_header(429, "retry-after", "2".into()) } else { status(200) }).await;
    let clock = Arc::new(VirtualClock::new());
    let account = account(&server.base, &clock);
    let response = get(&account).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!((account.requests(), server.hits()), (2, 2));
    let waited = clock.now();
    assert!(waited >= Duration::from_secs(2) && waited < Duration::from_millis(2100), "{waited:?}");
}

#[tokio::test]
async fn service_unavailable_is_retried_with_backoff() {
    let server = serve(|n, _, _| status(if n < 3 { 503 } else { 200 })).await;
    let clock = Arc::new(VirtualClock::new());
    let account = account(&server.base, &clock);
    assert_eq!(get(&account).await.unwrap().status(), 200);
    assert_eq!(account.requests(), 4);
    // Full jitter: at most 0.5 + 1 + 2 s.
    assert!(clock.now() <= Duration::from_millis(3500), "{:?}", clock.now());
}

#[tokio::test]
async fn bad_gateway_and_gateway_timeout_are_retried() {
    let server = serve(|n, _, _| status([502, 504, 200][n.min(2)])).await;
    let clock = Arc::new(VirtualClock::new());
    let account = account(&server.base, &clock);
    assert_eq!(get(&account).await.unwrap().status(), 200);
    assert_eq!(account.requests(), 3);
}

#[tokio::test]
async fn server_errors_give_up_after_max_attempts() {
    let server = serve(|_, _, _| status(500)).await;
    let clock = Arc::new(VirtualClock::new());
    let account = account(&server.base, &clock);
    let err = get(&account).await.unwrap_err();
    assert!(matches!(err, SyncError::Unavailable(_)), "{err:?}");
    assert_eq!((account.requests(), server.hits()), (6, 6));
    assert!(err.to_string().starts_with("Acme HR answered with a server error (HTTP 500) to 6 attempts"), "{err}");
    assert_no_secrets(&err.to_string());
    // Five backoffs, each at most min(30 s, 0.5 s · 2ⁿ).
    assert!(clock.now() <= Duration::from_millis(500 + 1000 + 2000 + 4000 + 8000), "{:?}", clock.now());

    let few = account.clone().with_retry(RetryPolicy { max_attempts: 2, ..Default::default() });
    assert!(matches!(get(&few).await, Err(SyncError::Unavailable(_))));
    assert_eq!(account.requests(), 8, "clones share the counter");
}

#[tokio::test]
async fn throttling_that_outlasts_the_retries_is_rate_limited() {
    let server = serve(|_, _, _| with_header(429, "retry-after", "1".into())).await;
    let clock = Arc::new(VirtualClock::new());
    let account = account(&server.base, &clock).with_retry(RetryPolicy { max_attempts: 3, ..RetryPolicy::default() });
    let err = get(&account).await.unwrap_err();
    assert_eq!(
        err,
        SyncError::RateLimited(
            "Acme HR was still limiting requests after 3 attempts (HTTP 429). Try again later.".into()
        )
    );
    assert_eq!(account.requests(), 3);
    assert_eq!(clock.now(), Duration::from_secs(2));
}

#[tokio::test]
async fn other_client_errors_are_returned_at_once() {
    for code in [400, 401, 403, 404, 409] {
        let server = serve(move |_, _, _| status(code)).await;
        let clock = Arc::new(VirtualClock::new());
        let account = account(&server.base, &clock);
        assert_eq!(get(&account).await.unwrap().status(), code);
        assert_eq!((account.requests(), server.hits()), (1, 1), "{code}");
        assert_eq!(clock.now(), Duration::ZERO);
    }
}

#[tokio::test]
async fn a_refused_connection_is_unavailable_after_the_retries() {
    // A port nothing listens on: bind, note the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let clock = Arc::new(VirtualClock::new());
    let account = account(&Url::parse(&format!("http://127.0.0.1:{port}")).unwrap(), &clock);
    let err = get(&account).await.unwrap_err();
    assert_eq!(err, SyncError::Unavailable("Acme HR could not be reached (6 attempts). Try again later.".into()));
    assert_eq!(account.requests(), 6);
    assert!(clock.now() > Duration::ZERO, "it backed off");
}

#[tokio::test]
async fn timeouts_are_retried() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    tokio::spawn({
        let accepted = accepted.clone();
        async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                accepted.fetch_add(1, Ordering::SeqCst);
                held.push(socket);
            }
        }
    });
    let clock = Arc::new(VirtualClock::new());
    let policy =
        RetryPolicy { max_attempts: 2, attempt_timeout: Some(Duration::from_millis(10)), ..Default::default() };
    let account = account(&base, &clock).with_retry(policy);
    let err = get(&account).await.unwrap_err();
    assert_eq!(err, SyncError::Unavailable("Acme HR did not answer in time (2 attempts). Try again later.".into()));
    assert_eq!((account.requests(), accepted.load(Ordering::SeqCst)), (2, 2));
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_waited_for() {
    let server = serve(|n, _, _| {
        if n == 0 {
            with_header(503, "retry-after", http_date(SystemTime::now() + Duration::from_secs(3)))
        } else {
            status(200)
        }
    })
    .await;
    let clock = Arc::new(VirtualClock::new());
    let account = account(&server.base, &clock);
    assert_eq!(get(&account).await.unwrap().status(), 200);
    assert_eq!(account.requests(), 2);
    // The date has whole seconds.
    let waited = clock.now();
    assert!(waited > Duration::from_secs(1) && waited <= Duration::from_secs(3), "{waited:?}");
}

#[tokio::test]
async fn a_unix_rate_limit_reset_is_waited_for_without_retry_after() {
    let server =
        serve(
            |n, _, _| {
                if n == 0 { with_header(429, "x-ratelimit-reset", (unix_now() + 2).to_string()) } else { status(200) }
            },
        )
        .await;
    let clock = Arc::new(VirtualClock::new());
    let account = account(&server.base, &clock);
    assert_eq!(get(&account).await.unwrap().status(), 200);
    assert_eq!(account.requests(), 2);
    let waited = clock.now();
    assert!(waited > Duration::from_millis(900) && waited <= Duration::from_secs(2), "{waited:?}");
}

#[tokio::test]
async fn a_long_retry_after_fails_at_once_and_says_when() {
    let server = serve(|_, _, _| with_header(429, "retry-after", "3600".into())).await;
    let clock = Arc::new(VirtualClock::new());
    let account = account(&server.base, &clock);
    let err = get(&account).await.unwrap_err();
    let SyncError::RateLimited(message) = &err else { panic!("{err:?}") };
    assert!(message.starts_with("Acme HR asked Joinery to wait 3600 s (HTTP 429), until 20"), "{message}");
    assert!(message.contains("a sync waits at most 300 s"), "{message}");
    assert_no_secrets(message);
    assert_eq!(account.requests(), 1);
    assert_eq!(clock.now(), Duration::ZERO);
}

#[tokio::test]
async fn the_rate_limit_spaces_requests_across_clones() {
    let server = serve(|_, _, _| status(200)).await;
    let clock = Arc::new(VirtualClock::new());
    let account = provider_http(&server.base, &clock).for_account(SLUG, NAME, Some(RateLimit::steady(10.0)));
    for _ in 0..20 {
        get(&account).await.unwrap();
    }
    assert_eq!(account.requests(), 20);
    let sequential = clock.now();
    assert!(sequential >= Duration::from_millis(1900) && sequential < Duration::from_millis(2000), "{sequential:?}");

    // Four clones at once share the same bucket.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let account = account.clone();
        tasks.spawn(async move {
            for _ in 0..5 {
                get(&account).await.unwrap();
            }
        });
    }
    tasks.join_all().await;
    assert_eq!(account.requests(), 40);
    let concurrent = clock.now() - sequential;
    assert!(concurrent >= Duration::from_millis(1900), "{concurrent:?}");

    // A separate account has its own bucket.
    let other = provider_http(&server.base, &clock).for_account(SLUG, NAME, Some(RateLimit::steady(10.0)));
    let before = clock.now();
    get(&other).await.unwrap();
    assert_eq!(clock.now(), before);
}

#[tokio::test]
async fn a_burst_goes_at_once_then_requests_are_spaced() {
    let server = serve(|_, _, _| status(200)).await;
    let clock = Arc::new(VirtualClock::new());
    let account =
        provider_http(&server.base, &clock).for_account(SLUG, NAME, Some(RateLimit { per_second: 10.0, burst: 5 }));
    for _ in 0..5 {
        get(&account).await.unwrap();
    }
    assert_eq!(clock.now(), Duration::ZERO, "the first five go at once");
    for _ in 0..5 {
        get(&account).await.unwrap();
    }
    let spaced = clock.now();
    assert!(spaced >= Duration::from_millis(450) && spaced < Duration::from_millis(550), "{spaced:?}");
    // A quiet spell refills the bucket, up to the burst.
    clock.advance(Duration::from_secs(10));
    let rested = clock.now();
    for _ in 0..5 {
        get(&account).await.unwrap();
    }
    assert_eq!(clock.now(), rested);
    get(&account).await.unwrap();
    assert!(clock.now() > rested, "the sixth waits");
    // After a pause the provider asked for, requests resume spaced, not in a burst.
    clock.advance(Duration::from_secs(10));
    account.pause(Duration::from_secs(1));
    let paused = clock.now();
    get(&account).await.unwrap();
    assert_eq!(clock.now(), paused + Duration::from_secs(1));
    get(&account).await.unwrap();
    assert_eq!(clock.now(), paused + Duration::from_millis(1100), "the next is one interval later");
}

#[tokio::test(start_paused = true)]
async fn the_default_clock_follows_paused_tokio_time() {
    let account = ProviderHttp::new(HashMap::new()).for_account(SLUG, NAME, Some(RateLimit::steady(10.0)));
    let start = tokio::time::Instant::now();
    for _ in 0..20 {
        account.acquire().await;
    }
    assert_eq!(start.elapsed(), Duration::from_millis(1900));
    account.pause(Duration::from_secs(5));
    account.acquire().await;
    assert_eq!(start.elapsed(), Duration::from_millis(6900));
}

#[tokio::test]
async fn throttling_pauses_every_clone_of_the_account() {
    let clock = Arc::new(VirtualClock::new());
    let account = account(&Url::parse("http://127.0.0.1:9").unwrap(), &clock);
    account.pause(Duration::from_secs(3));
    account.clone().acquire().await;
    assert_eq!(clock.now(), Duration::from_secs(3));
}

#[tokio::test]
async fn an_exhausted_quota_holds_the_next_request_until_the_reset() {
    let server = serve(|n, _, _| {
        if n == 0 {
            let reset = (axum::http::HeaderName::from_static("x-ratelimit-reset"), (unix_now() + 3).to_string());
            let remaining = (axum::http::HeaderName::from_static("x-ratelimit-remaining"), "0".to_owned());
            (StatusCode::OK, [reset, remaining], "").into_response()
        } else {
            status(200)
        }
    })
    .await;
    let clock = Arc::new(VirtualClock::new());
    let account = account(&server.base, &clock);
    get(&account).await.unwrap();
    assert_eq!(clock.now(), Duration::ZERO);
    get(&account).await.unwrap();
    assert!(clock.now() > Duration::from_secs(1) && clock.now() <= Duration::from_secs(3), "{:?}", clock.now());
    assert_eq!(account.requests(), 2);
}

#[test]
fn wait_hints_are_read_from_the_headers() {
    let now = SystemTime::now();
    let secs = |d: Option<Duration>| d.map(|d| d.as_secs());
    assert_eq!(retry_after(" 120 ", now), Some(Duration::from_secs(120)));
    assert_eq!(secs(retry_after(&http_date(now + Duration::from_secs(61)), now)), Some(60));
    assert_eq!(secs(retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now)), Some(0), "in the past");
    assert_eq!(secs(retry_after("Wed, 21 Oct 2099 07:28:00 +0000", now)).map(|s| s > 0), Some(true), "RFC 2822");
    assert_eq!(retry_after("soon", now), None);
    assert_eq!(retry_after("-1", now), None);

    let unix = now.duration_since(UNIX_EPOCH).unwrap().as_secs();
    assert_eq!(secs(rate_limit_reset(&(unix + 10).to_string(), now)), Some(9));
    assert_eq!(secs(rate_limit_reset(&((unix + 10) * 1000).to_string(), now)), Some(9), "milliseconds");
    assert_eq!(rate_limit_reset("30", now), None, "seconds from now are not a Unix time");
    let gusto = time::OffsetDateTime::from(now + Duration::from_secs(40));
    let gusto = gusto
        .format(&time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] +0000"))
        .unwrap();
    assert_eq!(secs(rate_limit_reset(&gusto, now)), Some(39), "Gusto's format");

    let mut headers = HeaderMap::new();
    headers.insert("x-ratelimit-reset", (unix + 100).to_string().parse().unwrap());
    assert_eq!(secs(wait_hint(&headers, now)), Some(99));
    headers.insert("retry-after", "5".parse().unwrap());
    assert_eq!(secs(wait_hint(&headers, now)), Some(5), "Retry-After wins");
    headers.insert("retry-after", "garbage".parse().unwrap());
    assert_eq!(secs(wait_hint(&headers, now)), Some(99), "an unreadable Retry-After is ignored");
}

#[test]
fn backoff_is_full_jitter_under_the_cap() {
    let policy = RetryPolicy::default();
    for retry in 0..40 {
        let ceiling = (Duration::from_millis(500) * 2u32.pow(retry.min(20))).min(Duration::from_secs(30));
        for _ in 0..50 {
            assert!(policy.backoff(retry) <= ceiling, "{retry}");
        }
    }
    let spread: Vec<_> = (0..50).map(|_| policy.backoff(3)).collect();
    assert!(spread.iter().any(|d| *d != spread[0]), "jittered");
}

/// Captures what `tracing` writes during a test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn each_retry_logs_one_warning_without_urls_or_credentials() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt().with_ansi(false).with_writer({
        let captured = captured.clone();
        move || captured.clone()
    });
    let _guard = tracing::subscriber::set_default(subscriber.finish());

    // tracing caches per call site whether anyone listens; a test on another thread registering
    // the same call site while this one installs its subscriber can cache "no one". Rebuilding
    // the cache and trying again settles it.
    let mut logs = String::new();
    for _ in 0..5 {
        tracing::callsite::rebuild_interest_cache();
        captured.0.lock().unwrap().clear();
        let server = serve(|n, _, _| match n {
            0 => with_header(429, "retry-after", "1".into()),
            1 => status(502),
            _ => status(200),
        })
        .await;
        let clock = Arc::new(VirtualClock::new());
        let account = account(&server.base, &clock);
        get(&account).await.unwrap();
        logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        if logs.lines().filter(|l| l.contains("WARN")).count() == 2 {
            break;
        }
    }

    let warnings: Vec<_> = logs.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 2, "{logs}");
    assert!(warnings[0].contains(r#"provider="Acme HR""#) && warnings[0].contains("status=429"), "{logs}");
    assert!(warnings[0].contains("wait_ms=1000"), "{logs}");
    assert!(warnings[1].contains("status=502") && warnings[1].contains("wait_ms="), "{logs}");
    assert_no_secrets(&logs);
}

fn spec(token_body: TokenBody) -> OAuthSpec {
    OAuthSpec {
        authorize_url: "https://auth.acme.example/oauth/authorize",
        token_url: "https://auth.acme.example/oauth/token",
        scopes: &[],
        token_body,
    }
}

/// The parameters of a token request, from a form or a JSON body.
fn token_params(headers: &HeaderMap, body: &[u8]) -> (String, HashMap<String, String>) {
    let content_type = headers["content-type"].to_str().unwrap().to_owned();
    let params = if content_type.starts_with("application/json") {
        serde_json::from_slice(body).unwrap()
    } else {
        url::form_urlencoded::parse(body).into_owned().collect()
    };
    (content_type, params)
}

fn expect_refresh_request(params: &HashMap<String, String>) {
    let expected = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "refresh-1"),
        ("client_id", "client-1"),
        ("client_secret", CLIENT_SECRET),
    ];
    let expected: HashMap<_, _> = expected.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    assert_eq!(params, &expected);
}

#[tokio::test]
async fn refresh_grant_sends_a_form_and_returns_the_new_grant() {
    let seen = Arc::new(Mutex::new(None));
    let server = serve({
        let seen = seen.clone();
        move |_, headers, body| {
            *seen.lock().unwrap() = Some(token_params(headers, body));
            axum::Json(serde_json::json!({
                "access_token": "access-2", "refresh_token": "refresh-2", "expires_in": 7200, "token_type": "bearer"
            }))
            .into_response()
        }
    })
    .await;
    let clock = Arc::new(VirtualClock::new());
    let http = provider_http(&server.base, &clock);
    let grant = refresh_grant(&http, SLUG, NAME, &spec(TokenBody::Form), "refresh-1").await.unwrap();

    let (content_type, params) = seen.lock().unwrap().take().unwrap();
    assert_eq!(content_type, "application/x-www-form-urlencoded");
    expect_refresh_request(&params);
    assert_eq!(grant.get(ACCESS_TOKEN), Some("access-2"));
    assert_eq!(grant.get(REFRESH_TOKEN), Some("refresh-2"));
    let expires_at: u64 = grant.get(EXPIRES_AT).unwrap().parse().unwrap();
    assert!(expires_at.abs_diff(unix_now() + 7200) <= 2, "{expires_at}");
}

#[tokio::test]
async fn refresh_grant_sends_json_retries_blips_and_keeps_a_refresh_token_that_was_not_rotated() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = serve({
        let seen = seen.clone();
        move |n, headers, body| {
            seen.lock().unwrap().push(token_params(headers, body));
            if n == 0 {
                status(503)
            } else {
                axum::Json(serde_json::json!({"access_token": "access-2"})).into_response()
            }
        }
    })
    .await;
    let clock = Arc::new(VirtualClock::new());
    let account = provider_http(&server.base, &clock).for_account(SLUG, NAME, None);
    let grant = account.refresh_grant(&spec(TokenBody::Json), "refresh-1").await.unwrap();

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2, "the 503 was retried with the same body");
    for (content_type, params) in seen.iter() {
        assert_eq!(content_type, "application/json");
        expect_refresh_request(params);
    }
    assert_eq!(grant.get(ACCESS_TOKEN), Some("access-2"));
    assert_eq!(grant.get(REFRESH_TOKEN), Some("refresh-1"));
    assert_eq!(grant.get(EXPIRES_AT), None);
}

#[tokio::test]
async fn a_revoked_refresh_token_or_client_is_unauthorized() {
    for (code, error, expected) in [
        (
            400,
            "invalid_grant",
            "Acme HR refused to renew the authorization (invalid_grant): the refresh token was revoked or expired; the end user must relink.",
        ),
        (
            401,
            "invalid_client",
            "Acme HR rejected Joinery's OAuth client (invalid_client) when renewing the authorization; check the client id and secret configured for acme.",
        ),
    ] {
        let server = serve(move |_, _, _| {
            let body = serde_json::json!({"error": error, "error_description": "token refresh-1 is revoked"});
            (StatusCode::from_u16(code).unwrap(), axum::Json(body)).into_response()
        })
        .await;
        let clock = Arc::new(VirtualClock::new());
        let http = provider_http(&server.base, &clock);
        let err = refresh_grant(&http, SLUG, NAME, &spec(TokenBody::Form), "refresh-1").await.unwrap_err();
        assert_eq!(err, SyncError::Unauthorized(expected.into()));
        assert_eq!(server.hits(), 1, "not retried");
        assert_no_secrets(&err.to_string());
    }
}

#[tokio::test]
async fn refresh_grant_errors_are_classified() {
    // Another RFC 6749 error is a protocol problem, not a relink.
    let server = serve(|_, _, _| {
        (StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({"error": "unsupported_grant_type"}))).into_response()
    })
    .await;
    let clock = Arc::new(VirtualClock::new());
    let http = provider_http(&server.base, &clock);
    let err = refresh_grant(&http, SLUG, NAME, &spec(TokenBody::Form), "refresh-1").await.unwrap_err();
    assert_eq!(
        err,
        SyncError::Protocol(
            "Acme HR refused the request to renew the authorization (unsupported_grant_type, HTTP 400).".into()
        )
    );

    // A success that is not a grant.
    let server = serve(|_, _, _| axum::Json(serde_json::json!({"access_token": 42})).into_response()).await;
    let http = provider_http(&server.base, &clock);
    let err = refresh_grant(&http, SLUG, NAME, &spec(TokenBody::Form), "refresh-1").await.unwrap_err();
    assert_eq!(
        err,
        SyncError::Protocol("Acme HR answered HTTP 200 with JSON of an unexpected shape (line 1, column 18).".into())
    );

    // No OAuth client configured.
    let http = ProviderHttp::new(HashMap::new()).with_clock(clock.clone());
    let err = refresh_grant(&http, SLUG, NAME, &spec(TokenBody::Form), "refresh-1").await.unwrap_err();
    assert!(matches!(&err, SyncError::Unauthorized(m) if m.contains("JOINERY_PROVIDER_ACME_CLIENT_ID")), "{err:?}");
}
