//! Local HTTP emulators of provider APIs, for tests, benchmarks and `joinery serve --demo`.
//!
//! Each emulator follows the provider's documented API: its authentication and the way that
//! fails, its paths, its pagination, its error bodies and its rate-limit answers. They are built
//! from the providers' documentation (see `shared/reference/providers`), never from what a
//! particular client happens to send. Employees are generated on demand from a seed and an index
//! (module `data`), so a company of 100,000 employees costs no memory until it is read, and the same
//! seed always yields the same people.
//!
//! Every emulator takes a [`Faults`] handle: tests inject rate limits and server errors with it and
//! count the requests that arrived.
//!
//! # BambooHR ([`bamboohr`])
//!
//! Implemented, as documented (documentation.bamboohr.com and the official SDK
//! `BambooHR/bhr-api-python`):
//! - Both URL forms: `/api/gateway.php/{companyDomain}/v1/…` and `/api/v1/…` with the company taken
//!   from the first label of `Host` (`{companyDomain}.bamboohr.com`).
//! - HTTP Basic with the API key as user name and any password. Unknown company → 404; missing or
//!   malformed `Authorization`, a non-Basic scheme, or a key of another company → 401. Details go
//!   in the `X-BambooHR-Error-Message` header with a short plain-text body; every 400 below is
//!   answered that way unless noted.
//! - `GET /v1/employees`: cursor pagination (`page[limit]` default 250, at most 2500, per the current
//!   official SDK; `page[after]`/`page[before]` with opaque cursors; `meta.page.nextCursor` /
//!   `prevCursor`; `_links.self|next|prev`), `filter[status|firstName|lastName|jobTitleName|ids]`,
//!   `sort` on the six documented fields, the 14 optional contact `fields`. Errors are 400 with
//!   `{"error":{"code":"BadRequest"|"BadPage","message"}}`. (The SDK model names the links
//!   object `_links` on the wire; an older SDK had `page[limit]` ≤ 100, default 50.)
//! - `GET /v1/employees/directory` (active employees only; 404 when empty),
//!   `GET /v1/employees/{id}?fields=` (only `id` without `fields`, unknown fields dropped, id `0` =
//!   the key's own employee record; values are strings, an empty date is `0000-00-00`),
//!   `GET /v1/company_information`, `GET /v1/meta/fields` (52 fields: names, contact details,
//!   address, `ssn`, dates incl. `originalHireDate`, `status`, job fields, supervisor fields,
//!   pay fields, `payGroup`, `lastChanged`, `photoUrl`, …).
//! - `GET /v1/meta/lists`: `[{fieldId, alias, manageable, multiple, name, options: [{id, archived,
//!   createdDate, archivedDate, name}]}]` for department, division, location, jobTitle, employment
//!   status, the four termination lists, pay change reason, pay schedule, pay group, marital status
//!   and ethnicity. Every list value any endpoint shows is a current option; each list id is its
//!   field's id in `meta/fields`; a few archived options exist, as in real accounts.
//! - `POST /v1/reports/custom?format=JSON|XML|CSV[&onlyCurrent=false]` with `{title, fields,
//!   filters: {lastChanged: {includeNull, value}, employeeIds}}`: every employee, active or not,
//!   in id order, streamed, `{title, fields: [{id, type, name}], employees: [{id, …}]}`. Values are
//!   keyed as requested (alias or numeric id); unknown fields are left out; at most 400 fields.
//!   As documented: `format` is case-insensitive and, when absent, only the exact `Accept` values
//!   choose one (else 404); a JSON body needs `Content-Type: application/json` exactly, anything
//!   else is read as the XML `<report>` form (so a charset suffix gives 400 `Malformed XML`).
//! - `GET /v1/employees/{id|all}/tables/{jobInfo|employmentStatus|compensation}`: rows
//!   `{id, employeeId, …}` (strings; compensation `rate` is `{value, currency}`), JSON or XML; `all`
//!   streams every employee's rows, terminated ones included. Histories have 1–3 rows per table
//!   (hire, promotions or moves, raises, a contractor conversion, the termination); the last row
//!   is what the employee fields show. Unknown tables or employees → 404.
//! - `GET /v1/employees/changed?since=…[&type=inserted|updated|deleted]` →
//!   `{latest, employees: {"<id>": {id, action, lastChanged}}}` (JSON or XML) and
//!   `GET /v1/employees/changed/tables/{table}?since=…` → `{table, employees: {"<id>":
//!   {lastChanged, rows}}}` (all rows of each changed employee, as documented).
//! - `GET /v1/time_off/requests?start=&end=` (both required, `YYYY-MM-DD`; a request is returned
//!   when its end is on or after `start` and its start on or before `end`), filters `id`,
//!   `employeeId`, `type`, `status`, `action`, `excludeNote`; JSON or XML. `GET
//!   /v1/meta/time_off/types` (`{timeOffTypes, defaultHours}`), `GET /v1/meta/time_off/policies`
//!   (sorted by name), `GET /v1/employees/{id}/time_off/calculator?end=&precision=` (one balance per
//!   assigned policy, amounts as strings with `precision` decimals, default 2).
//! - `GET /v1/employeedependents[?employeeid=]` → `{"Employee Dependents": [...]}` with masked SSNs
//!   and full state and country names, as the SDK documents.
//! - JSON when `Accept` contains `application/json`; otherwise the endpoints BambooHR documents as
//!   JSON-or-XML answer a minimal XML document, as BambooHR defaults to XML.
//! - Keys with [`bamboohr::Access::NoEmployeeAccess`] get 403 on every employee-data endpoint
//!   (employees, directory, report, tables, changes, time off requests and balances, dependents);
//!   metadata (`meta/*`, `company_information`) stays readable.
//! - Rate limiting is what BambooHR does since 2026-09-16: 429 with `Retry-After` (seconds). BambooHR
//!   publishes no quota, so by default the emulator never limits; [`bamboohr::Company::rate_limit`]
//!   turns on a token bucket per API key, and tests also use [`Faults`].
//!
//! The world: one company is a pure function of its seed. Employees, their histories, time off and
//! dependents are generated on demand from `(seed, index)`; [`bamboohr::CompanyHandle`] (from
//! [`RunningEmulator::bamboohr_world`]) changes fields, tables and the employee set, and only those
//! changes are stored (copy-on-write, so a request reads one consistent snapshot). All generated
//! history and every generated `lastChanged` fall before 2026-07-01T00:00:00Z; changes are stamped
//! with the emulator's clock, so `changed?since=2026-07-01T00:00:00Z` reports exactly what a test
//! changed. Changing `department`, `division`, `location` or `jobTitle` adds a `jobInfo` row
//! effective today, as BambooHR does; `status`, `terminationDate`, `employmentHistoryStatus` and
//! the pay fields follow the `employmentStatus` and `compensation` rows in effect today.
//!
//! Where the documentation is silent, the emulator chooses (and tests pin):
//! - `changed`: an employee is reported when its `lastChanged` is **at or after** `since`
//!   (`Inserted` if its record was created at or after `since`, `Deleted` if removed, else
//!   `Updated`); with nothing to report, `latest` echoes `since` (the SDK types it as a required
//!   date-time) and `employees` is `{}`. `since` accepts a date or a date-time with `Z` or an
//!   offset; an unencoded `+` arrives as a space and is a 400, as in any form-decoding server.
//! - Time-off requests follow the documented JSON sample: ids, `employeeId`, type ids, amounts and
//!   `lastChangedByUserId` are strings (the 2026 SDK types some as numbers; clients should accept
//!   both), and `notes` is `[]` when a request has none (PHP's empty array, as third-party clients
//!   observed). `lastChangedByUserId` is a user id (`2000 + employee index`, `1` for the account
//!   owner), not an employee id. `action=approve` keeps `requested` ones.
//! - Table rows: termination fields hold option ids of their lists (as their names say);
//!   `reportsTo` is the manager's name (the `employee` field type); rows come sorted by date
//!   (the documentation promises no order). `changed/tables` rows have the table endpoint's shape.
//! - The custom report returns `null` for empty values; `photoUploaded` is `"false"`.
//! - Balances: accruing policies accrue evenly over the year from the hire date (120 hours a year
//!   full-time, 60 part-time, 40 sick) plus up to 40 hours carried over; approved requests of the
//!   year up to `end` are used; the manual bereavement policy only counts use.
//!
//! Simplified: no OAuth (Basic only), no writes over HTTP (the Rust mutation API instead), no
//! `meta/tables`, `meta/users`, `whos_out`, benefits or files endpoints; field-level permissions
//! (`_restrictedFields`) are not modelled; the directory is refused (403) to `NoEmployeeAccess`
//! keys as if it were not shared with their access level; reports render JSON, XML and CSV only
//! (PDF and XLS are a 400); `meta/time_off/types`, `meta/time_off/policies` and
//! `employees/changed/tables` answer JSON only; dependents cannot be changed through the handle.
//!
//! # Gusto ([`gusto`])
//!
//! Implemented, as documented (docs.gusto.com and the OpenAPI spec):
//! - OAuth2 authorization code: `GET /oauth/authorize` renders a sign-in and consent page; an
//!   unknown `client_id` or unregistered `redirect_uri` is a 400 page, never a redirect (RFC 6749
//!   §4.1.2.1); Allow redirects with `code` and `state`, Deny with `error=access_denied`. Codes
//!   are single-use, bound to client and `redirect_uri`, and expire after 10 minutes.
//! - `POST /oauth/token` with JSON or form bodies (client credentials in the body or HTTP Basic):
//!   `authorization_code` and `refresh_token` grants; refreshing rotates both tokens (the old
//!   refresh and access tokens stop working). Access tokens live `access_token_ttl_secs` (7200).
//!   Errors are RFC 6749 `{"error","error_description"}`: `invalid_request`, `invalid_client` (401),
//!   `invalid_grant`, `unsupported_grant_type`.
//! - Bearer API: `GET /v1/token_info`, `GET /v1/companies/{id}`, `GET /v1/companies/{id}/employees`
//!   with `page`/`per` (default 25; headers `X-Page`, `X-Total-Count`, `X-Total-Pages`, `X-Per-Page`
//!   only when paginating; without `page` the whole list) and the `terminated`, `onboarded`,
//!   `onboarded_active`, `uuids` and `search_term` filters. Tokens are strict-access (one
//!   company, v2023-05-01 on): any other company id, known or not → 403 `missing_permissions`.
//!   Also locations, departments, pay schedules and their assignments, employees' bank accounts,
//!   payrolls (list with the documented date-range limits, 422 outside them; one payroll with its
//!   employee compensations), and `include=all_compensations` on employees. [`gusto::World`]
//!   changes data (rename, add, remove employees), expires access tokens and revokes grants for
//!   resync and renewal tests. Missing/unknown/expired token → 401 with
//!   `WWW-Authenticate: Bearer …` and Gusto's `{"errors":[{"error_key","category":"invalid_token",
//!   "message"}]}`. A malformed `X-Gusto-API-Version` → 406 `invalid_api_version`.
//! - Rate limit: 200 requests per 60-second window per OAuth grant (the window opens with the
//!   first request); every API answer carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
//!   `X-RateLimit-Reset` (`YYYY-MM-DD HH:MM:SS +0000`); over the limit → 429 with `Retry-After`
//!   (seconds until the window resets) and the plain body `Rate Limit Exceeded`.
//!
//! Simplified: the `system_access` grant is answered `unsupported_grant_type`; scopes are not
//! enforced (every grant reads everything); a user who administers several companies grants the
//! first one that lists them; `sort_by` is ignored, and `include` knows only `all_compensations`. Gusto does not document the
//! body of its 401, so it reuses the documented error object with category `invalid_token`.
//! Refreshing also revokes the previous access token, the stricter reading.
//!
//! # Faults
//!
//! Injected answers come before routing and authentication, on every path (OAuth endpoints too),
//! in the provider's API error shape: BambooHR's header and plain body; Gusto's `errors` object
//! (`internal_error` for 5xx) and, for 429, `Retry-After` plus `X-RateLimit-Remaining: 0`.

// Handlers bail out early with ready-made responses; boxing them would only add noise.
#![allow(clippy::result_large_err)]

pub mod bamboohr;
mod data;
pub mod demo;
pub mod gusto;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// An emulator serving in a background task. Dropping it stops the server too, without waiting.
pub struct RunningEmulator {
    /// Where it listens, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub base_url: String,
    /// The fault handle the emulator was started with.
    pub faults: Faults,
    /// Set by [`bamboohr::start`].
    bamboohr: Option<bamboohr::World>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningEmulator {
    /// The data of a BambooHR emulator, to read and change it while it serves (`None` for the
    /// other emulators). `world.company("acme")?.set_field(id, "lastName", Some("Moreau"))`.
    pub fn bamboohr_world(&self) -> Option<&bamboohr::World> {
        self.bamboohr.as_ref()
    }

    /// Stops accepting connections and waits (at most a couple of seconds) for the server to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            // Graceful shutdown waits for open connections; a client holding one open must not
            // hang the caller.
            if tokio::time::timeout(Duration::from_secs(2), &mut task).await.is_err() {
                task.abort();
            }
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Binds `listen` and serves `router` until the emulator is shut down or dropped.
pub(crate) async fn serve(
    router: axum::Router,
    listen: SocketAddr,
    faults: Faults,
) -> std::io::Result<RunningEmulator> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, router).with_graceful_shutdown(async {
            let _ = stopped.await;
        });
        if let Err(error) = served.await {
            tracing::warn!(%error, "emulator stopped with an error");
        }
    });
    Ok(RunningEmulator {
        base_url: format!("http://{addr}"),
        faults,
        bamboohr: None,
        stop: Some(stop),
        task: Some(task),
    })
}

/// Shared fault injection, cloneable (one state behind an `Arc`).
///
/// Injected faults are served in the order they were queued, one per request, before the request
/// reaches any route (authentication included), on every path.
#[derive(Clone, Default)]
pub struct Faults {
    inner: Arc<FaultState>,
}

#[derive(Default)]
struct FaultState {
    requests: AtomicU64,
    /// Runs of the same fault: `(fault, how many requests are left to answer with it)`.
    queue: Mutex<VecDeque<(Fault, u32)>>,
}

/// A fault to answer instead of serving the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    RateLimited { retry_after_secs: u64 },
    Status(u16),
}

impl Faults {
    /// The next `n` requests (any path) answer 429 with `Retry-After: retry_after_secs`, in the
    /// shape the provider documents for its rate-limit response.
    pub fn rate_limit_next(&self, n: u32, retry_after_secs: u64) {
        self.push(Fault::RateLimited { retry_after_secs }, n);
    }

    /// The next `n` requests answer `status` (e.g. 500, 503) with the provider's error shape. A
    /// value that is not an HTTP status code is answered as 500.
    pub fn fail_next(&self, n: u32, status: u16) {
        self.push(Fault::Status(status), n);
    }

    /// Total requests received, faulted ones included.
    pub fn requests(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    fn push(&self, fault: Fault, n: u32) {
        if n > 0 {
            self.inner.queue.lock().expect("fault queue lock").push_back((fault, n));
        }
    }

    /// Counts a request and takes the fault it must be answered with, if any.
    pub(crate) fn on_request(&self) -> Option<Fault> {
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
        let mut queue = self.inner.queue.lock().expect("fault queue lock");
        let (fault, left) = queue.front_mut()?;
        let fault = *fault;
        *left -= 1;
        if *left == 0 {
            queue.pop_front();
        }
        Some(fault)
    }
}

/// The emulators' notion of time. Tests move it forward to expire codes, tokens and rate-limit
/// windows without sleeping.
#[derive(Clone, Default)]
pub(crate) struct Clock {
    skew_ms: Arc<AtomicU64>,
}

impl Clock {
    pub(crate) fn now(&self) -> Instant {
        Instant::now() + self.skew()
    }

    pub(crate) fn unix_secs(&self) -> u64 {
        (SystemTime::now() + self.skew()).duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
    }

    #[cfg(test)]
    pub(crate) fn advance(&self, by: Duration) {
        self.skew_ms.fetch_add(by.as_millis() as u64, Ordering::Relaxed);
    }

    fn skew(&self) -> Duration {
        Duration::from_millis(self.skew_ms.load(Ordering::Relaxed))
    }
}

/// A body written as it is sent: `head`, the items, then `tail`, in chunks of about 64 KiB, so a
/// whole list of 100,000 employees never sits in memory at once.
pub(crate) fn streamed_body<I>(head: String, items: I, tail: String) -> axum::body::Body
where
    I: Iterator<Item = String> + Send + 'static,
{
    struct Chunks<I> {
        head: Option<String>,
        items: I,
        tail: Option<String>,
    }
    impl<I: Iterator<Item = String>> Iterator for Chunks<I> {
        type Item = Result<axum::body::Bytes, std::convert::Infallible>;
        fn next(&mut self) -> Option<Self::Item> {
            const CHUNK: usize = 64 * 1024;
            let mut chunk = String::with_capacity(CHUNK + 4096);
            chunk.push_str(&self.head.take().unwrap_or_default());
            while chunk.len() < CHUNK {
                match self.items.next() {
                    Some(item) => chunk.push_str(&item),
                    None => {
                        chunk.push_str(&self.tail.take()?);
                        break;
                    }
                }
            }
            Some(Ok(chunk.into()))
        }
    }
    axum::body::Body::from_stream(futures_util::stream::iter(Chunks { head: Some(head), items, tail: Some(tail) }))
}

/// Query-string pairs, decoded, in order. Hand-parsed because the providers use keys such as
/// `page[limit]` and repeated keys that typed extractors do not model.
pub(crate) fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_served_in_order_and_counted() {
        let faults = Faults::default();
        faults.rate_limit_next(2, 7);
        faults.fail_next(1, 503);
        faults.fail_next(0, 500);
        let seen: Vec<_> = (0..5).map(|_| faults.on_request()).collect();
        assert_eq!(
            seen,
            vec![
                Some(Fault::RateLimited { retry_after_secs: 7 }),
                Some(Fault::RateLimited { retry_after_secs: 7 }),
                Some(Fault::Status(503)),
                None,
                None
            ]
        );
        assert_eq!(faults.requests(), 5);
        assert_eq!(faults.clone().requests(), 5, "clones share one state");
    }

    #[test]
    fn clock_moves_forward() {
        let clock = Clock::default();
        let before = clock.unix_secs();
        clock.advance(Duration::from_secs(3600));
        assert!(clock.unix_secs() >= before + 3600);
    }
}
