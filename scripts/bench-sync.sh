#!/usr/bin/env bash
# Sync benchmark (issue 4): a BambooHR company of EMPLOYEES employees, synced into a real
# `joinery serve` (release build) on SQLite and PostgreSQL, then read back under load.
#
#   scripts/bench-sync.sh                                          # 100,000 employees, both backends
#   EMPLOYEES=2000 DURATION=5s BACKENDS=sqlite scripts/bench-sync.sh   # a quick check
#
# It starts the BambooHR emulator (`joinery-emulate`, one company generated from SEED), and for
# each backend a fresh server (fresh data directory; for PostgreSQL a fresh database, dropped
# afterwards) pointed at it with JOINERY_PROVIDER_BAMBOOHR_BASE_URL. Then, per backend:
#
#   1. `joinery api-keys create`, then the link flow of docs/link.md over HTTP: POST
#      /api/hris/v1/link-token, POST /api/link/v1/connect (X-Link-Token; this queues the initial
#      sync), GET /api/hris/v1/account-token/{public_token}.
#   2. Initial sync: polls GET /api/hris/v1/sync-status every POLL_INTERVAL until every model is
#      DONE. Wall time runs from just before `connect` to the first poll that sees them all DONE
#      (so it includes the worker picking the job up and up to one poll interval);
#      the job's own time (sync_jobs.started_at → finished_at) is given in the notes.
#      employees/s = EMPLOYEES / wall time; peak RSS = the server's VmHWM since it started.
#   3. Unchanged resync: POST /api/hris/v1/sync-status/resync, timed the same way (waiting for
#      every model to have started after the request and be DONE again); peak RSS = VmHWM reset
#      through /proc/<pid>/clear_refs just before. Checks that it modified no row.
#   4. Counts: common_model_rows per model by SQL (sqlite3 or python3 / psql), and employees by
#      walking every page of GET /api/hris/v1/employees?page_size=100 through `next`; both must
#      equal EMPLOYEES. The walk keeps the cursor of page DEEP_PAGE (the last page when there are
#      fewer pages; the table says so).
#   5. oha (saturation, CONNECTIONS connections, DURATION) on the first page and on page
#      DEEP_PAGE: requests/s, p50, p99; every response must be 200.
#
# It prints a markdown table, one row per backend, ready for docs/benchmarks.md, with notes (also
# written to target/bench/sync-<timestamp>.md; oha's JSON and the server logs go to the .raw.log
# beside it). The exit status is 1 when a check failed, after the report is written.
#
# Settings (environment):
#   EMPLOYEES                   company size; 100000
#   MODELS                      "issue": Company, Location, Group, Team, Employment, Employee (the
#                               others off through the link token's scopes); "all": every model
#   BACKENDS                    "sqlite postgres"
#   DURATION, CONNECTIONS       oha -z / -c per read scenario; 20s and 64
#   WARMUP                      oha -z of an unrecorded warm-up on the first page; 2s (0 skips it)
#   DEEP_PAGE                   the deep page to load-test; 1000
#   SEED                        the emulator's seed; 1
#   SYNC_TIMEOUT                seconds to wait for each sync; 3600
#   POLL_INTERVAL               seconds between sync-status polls; 0.1
#   SETTLE_TIMEOUT              seconds to wait, before each timed step, for the server to be idle
#                               (SQLite's checkpoints of the previous step done); 30
#   HEALTH_TIMEOUT              seconds to wait for the server's /api/health; 60
#   JOINERY_BENCH_POSTGRES_URL  an admin connection, used to create and drop the bench database;
#                               postgres://postgres@127.0.0.1:5432/postgres
#   JOINERY_DATABASE_MAX_CONNECTIONS  passed through to the server (its default is 8)
#
# Needs curl, jq and python3 (scripts/bench/sync_api.py), and psql for PostgreSQL; oha is
# installed with cargo and jq with apt-get when missing.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

EMPLOYEES="${EMPLOYEES:-100000}"
MODELS="${MODELS:-issue}"
BACKENDS="${BACKENDS:-sqlite postgres}"
DURATION="${DURATION:-20s}"
CONNECTIONS="${CONNECTIONS:-64}"
WARMUP="${WARMUP:-2s}"
DEEP_PAGE="${DEEP_PAGE:-1000}"
SEED="${SEED:-1}"
SYNC_TIMEOUT="${SYNC_TIMEOUT:-3600}"
POLL_INTERVAL="${POLL_INTERVAL:-0.1}"
SETTLE_TIMEOUT="${SETTLE_TIMEOUT:-30}"
HEALTH_TIMEOUT="${HEALTH_TIMEOUT:-60}"
PG_ADMIN_URL="${JOINERY_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
[[ $TARGET_DIR == /* ]] || TARGET_DIR="$ROOT/$TARGET_DIR"
BIN="$TARGET_DIR/release/joinery"
EMU_BIN="$TARGET_DIR/release/joinery-emulate"
SYNC_API="$ROOT/scripts/bench/sync_api.py"
PAGE_SIZE=100
BAMBOO_DOMAIN="bench"

# Settings of the caller's shell must not leak into the servers under test.
for var in $(compgen -e); do
    case $var in
    JOINERY_DATABASE_MAX_CONNECTIONS | JOINERY_BENCH_POSTGRES_URL) ;;
    JOINERY_*) unset "$var" ;;
    esac
done

log() { printf '[bench] %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# ---------------------------------------------------------------------------------------------
# Checks, tools, build

for b in $BACKENDS; do
    [[ $b == sqlite || $b == postgres ]] || die "unknown backend '$b' in BACKENDS (sqlite, postgres)"
done
[[ $EMPLOYEES =~ ^[1-9][0-9]*$ ]] || die "EMPLOYEES must be a positive integer"
[[ $CONNECTIONS =~ ^[1-9][0-9]*$ ]] || die "CONNECTIONS must be a positive integer"
[[ $DEEP_PAGE =~ ^[1-9][0-9]*$ ]] || die "DEEP_PAGE must be a positive integer"
[[ $SEED =~ ^[0-9]+$ ]] || die "SEED must be a non-negative integer"
[[ $SYNC_TIMEOUT =~ ^[1-9][0-9]*$ && $HEALTH_TIMEOUT =~ ^[1-9][0-9]*$ ]] ||
    die "SYNC_TIMEOUT and HEALTH_TIMEOUT must be numbers of seconds"

if ! command -v oha >/dev/null 2>&1; then
    log "oha is not installed; installing it with cargo (a few minutes, once)"
    cargo install --locked oha >&2 || die "cargo install oha failed"
fi
if ! command -v jq >/dev/null 2>&1; then
    log "jq is not installed; installing it with apt-get"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y jq >&2; then
        DEBIAN_FRONTEND=noninteractive apt-get update >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y jq >&2
    fi
fi
command -v curl >/dev/null 2>&1 || die "curl is required"
command -v python3 >/dev/null 2>&1 || die "python3 is required"
if [[ " $BACKENDS " == *" postgres "* ]]; then
    command -v psql >/dev/null 2>&1 || die "psql is required for the postgres backend"
fi

log "building the release binaries"
cargo build --release -p joinery -p joinery-emulators --bins >&2
[[ -x $BIN && -x $EMU_BIN ]] || die "$BIN or $EMU_BIN was not built"

TIMESTAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT_DIR="$TARGET_DIR/bench"
REPORT="$OUT_DIR/sync-$TIMESTAMP.md"
RAW="$OUT_DIR/sync-$TIMESTAMP.raw.log"
mkdir -p "$OUT_DIR"
: >"$RAW"

# ---------------------------------------------------------------------------------------------
# State, and cleanup on any exit

EMU_PID=""
EMU_DIR=""
SERVER_PID=""
WORK_DIR=""
PG_DB=""
PG_DROP_SUFFIX=""

psql_admin() { psql "$PG_ADMIN_URL" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }

stop_pid() { # pid name; SIGTERM, wait (SIGKILL after 20 s); the exit status goes to STOP_STATUS
    local pid=$1 name=$2 status=0 deadline=$((SECONDS + 20))
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.05; done
    if kill -0 "$pid" 2>/dev/null; then
        log "$name $pid did not stop within 20 s of SIGTERM; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || status=$?
    STOP_STATUS=$status
}

STOP_STATUS=""
stop_server() {
    local pid=$SERVER_PID
    [[ -n $pid ]] || return 0
    SERVER_PID=""
    stop_pid "$pid" server
}

cleanup_backend() {
    if [[ -n $SERVER_PID ]]; then stop_server || true; fi
    if [[ -n $PG_DB ]]; then
        psql_admin "DROP DATABASE IF EXISTS $PG_DB$PG_DROP_SUFFIX" >/dev/null 2>&1 ||
            log "could not drop database $PG_DB; drop it by hand"
        PG_DB=""
    fi
    if [[ -n $WORK_DIR ]]; then
        rm -rf "$WORK_DIR"
        WORK_DIR=""
    fi
}

on_exit() {
    local status=$?
    if ((status != 0)) && [[ -n $WORK_DIR && -s $WORK_DIR/server.log ]]; then
        log "server log (last 30 lines):"
        tail -n 30 "$WORK_DIR/server.log" >&2 || true
    fi
    cleanup_backend
    if [[ -n $EMU_PID ]]; then
        stop_pid "$EMU_PID" emulator || true
        EMU_PID=""
    fi
    if [[ -n $EMU_DIR ]]; then
        rm -rf "$EMU_DIR"
        EMU_DIR=""
    fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# Helpers

random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_url_for() { # the admin URL with its database replaced by $1
    local url=$PG_ADMIN_URL query=""
    if [[ $url == *\?* ]]; then
        query="?${url#*\?}"
        url="${url%%\?*}"
    fi
    if [[ ${url#*://} == */* ]]; then url="${url%/*}"; fi
    printf '%s/%s%s' "$url" "$1" "$query"
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
per_second() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
thousands() { printf '%.0f' "$1" | sed -e ':a' -e 's/\B[0-9]\{3\}\>/,&/' -e 'ta'; }
proc_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || true; }
# Resets VmHWM to the current RSS (Linux ≥ 4.0); fails where /proc does not allow it.
reset_peak_rss() { { echo 5 >"/proc/$SERVER_PID/clear_refs"; } 2>/dev/null; }
mib() { [[ -n ${1:-} ]] && awk -v kb="$1" 'BEGIN { printf "%.1f MiB", kb / 1024 }' || echo "?"; }
ms() { awk -v s="$1" 'BEGIN { v = s * 1000; printf (v < 10 ? "%.2f ms" : "%.1f ms"), v }'; }

sql() { # one statement against the backend's database; rows as a|b|c
    if [[ $backend == postgres ]]; then
        psql "$DB_URL" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"
    elif command -v sqlite3 >/dev/null 2>&1; then
        sqlite3 -cmd '.timeout 5000' "$WORK_DIR/joinery.db" "$1"
    else
        python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=5)
for row in db.execute(sys.argv[2]).fetchall():
    print("|".join("" if v is None else str(v) for v in row))
db.commit()' "$WORK_DIR/joinery.db" "$1"
    fi
}

# POST/GET with a JSON body; prints the body; dies unless the status is 200.
api() { # method path body-or-empty [curl args...]
    local method=$1 path=$2 body=$3
    shift 3
    local out="$WORK_DIR/response.json" code
    local args=(-sS -o "$out" -w '%{http_code}' --max-time 60 -X "$method" "$@")
    if [[ -n $body ]]; then args+=(-H 'Content-Type: application/json' --data-binary "$body"); fi
    code="$(curl "${args[@]}" "$BASE$path" || true)"
    [[ $code == 200 ]] || die "$backend: $method $path answered ${code:-nothing}: $(head -c 1000 "$out" 2>/dev/null)"
    cat "$out"
}

wait_healthy() {
    local deadline=$((SECONDS + HEALTH_TIMEOUT)) code
    while true; do
        code="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$BASE/api/health" 2>/dev/null || true)"
        [[ $code == 200 ]] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited during startup"
        ((SECONDS < deadline)) || die "the server did not answer /api/health with 200 within ${HEALTH_TIMEOUT}s"
        sleep 0.05
    done
}

active_jobs() { sql "SELECT count(*) FROM sync_jobs WHERE state IN ('QUEUED', 'RUNNING')"; }

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# Waits until the server uses under 4% of a core over half a second (at most SETTLE_TIMEOUT s), so
# a timed step is not charged with the previous one's deferred work (after a sync of 1 GB, SQLite
# copies its WAL into the database and syncs the file for a second or so). Prints the wait.
wait_settled() {
    local start=$SECONDS before after
    while ((SECONDS - start < SETTLE_TIMEOUT)); do
        before="$(cpu_ticks "$SERVER_PID")"
        sleep 0.5
        after="$(cpu_ticks "$SERVER_PID")"
        ((after - before <= 2)) && break
    done
    echo "$((SECONDS - start))"
}

wait_no_active_job() { # the job ends (state DONE) just after its last model is DONE
    local deadline=$((SECONDS + 60))
    until [[ $(active_jobs) == 0 ]]; do
        ((SECONDS < deadline)) || die "$backend: a sync job is still queued or running 60 s after every model was DONE"
        sleep 0.05
    done
}

# Waits for a sync that started at or after $1 (epoch seconds); prints sync_api.py's JSON.
wait_sync() {
    local since=$1 what=$2 out status=0
    out="$(python3 "$SYNC_API" wait "$BASE" --since "$since" --timeout "$SYNC_TIMEOUT" --interval "$POLL_INTERVAL")" ||
        status=$?
    case $status in
    0) printf '%s' "$out" ;;
    2) die "$backend: the $what failed (sync-status above; job: $(sql "SELECT state, attempts, last_error FROM sync_jobs ORDER BY created_at DESC LIMIT 1"))" ;;
    3) die "$backend: the $what did not finish within ${SYNC_TIMEOUT}s" ;;
    *) die "$backend: polling sync-status failed during the $what (status $status)" ;;
    esac
}

model_done_after() { # sync_api wait JSON, model, since → seconds from since to the model's finish
    elapsed "$3" "$(jq -r --arg m "$2" '.models[] | select(.model_id == $m) | .finished_at' <<<"$1")"
}

model_seconds() { # sync_api wait JSON → "Company 0.01 s, Location …"
    jq -r '[.models[] | "\(.model_id | sub("^hris\\."; "")) \(.seconds) s"] | join(", ")' <<<"$1"
}

job_summary() { # the latest job of the account: kind, state, attempts, duration
    sql "SELECT kind, state, attempts, started_at, finished_at, COALESCE(last_error, '') FROM sync_jobs ORDER BY created_at DESC LIMIT 1" |
        awk -F'|' '{ printf "%s job %s after %d attempt(s), %.2f s from claim to finish%s", $1, $2, $3, ($5 - $4) / 1e6, ($6 == "" ? "" : "; last error: " $6) }'
}

OHA_RESULT=""
run_oha() { # scenario url → OHA_RESULT="rps|p50|p99", after checking the responses
    local scenario=$1 url=$2 out="$WORK_DIR/oha-$1.json"
    log "$backend / $scenario: oha -z $DURATION -c $CONNECTIONS $url"
    oha --no-tui --output-format json -z "$DURATION" -c "$CONNECTIONS" \
        -H "Authorization: Bearer $KEY" -H "X-Account-Token: $ACCOUNT_TOKEN" "$url" >"$out" 2>&1 ||
        { cat "$out" >&2; die "oha failed ($backend / $scenario)"; }
    { printf '### %s / %s: oha -z %s -c %s %s\n' "$backend" "$scenario" "$DURATION" "$CONNECTIONS" "$url"; cat "$out"; echo; } >>"$RAW"
    local rps p50 p99 total ok errors size
    rps="$(jq -r '.summary.requestsPerSec' "$out")"
    p50="$(jq -r '.latencyPercentiles.p50' "$out")"
    p99="$(jq -r '.latencyPercentiles.p99' "$out")"
    total="$(jq -r '[.statusCodeDistribution[]] | add // 0' "$out")"
    ok="$(jq -r '.statusCodeDistribution["200"] // 0' "$out")"
    # Requests still in flight when the time is up are "aborted due to deadline": not errors.
    errors="$(jq -r '[.errorDistribution | to_entries[] | select(.key != "aborted due to deadline") | "\(.key): \(.value)"] | join("; ")' "$out")"
    size="$(jq -r '.summary.sizePerRequest // 0' "$out")"
    [[ $rps != null && $p50 != null && $p99 != null ]] || die "could not parse oha's output ($out)"
    ((total > 0 && ok == total)) ||
        fail "$backend / $scenario: $ok of $total responses were 200 ($(jq -c .statusCodeDistribution "$out"))"
    [[ -z $errors ]] || fail "$backend / $scenario: client errors: $errors"
    NOTES+=("$backend / $scenario: $total responses, $(thousands "$size") bytes each")
    OHA_RESULT="$rps|$p50|$p99"
}

read_cell() { # "rps|p50|p99" → "12,345/s, 1.20 ms, 9.8 ms"
    IFS='|' read -r rps p50 p99 <<<"$1"
    printf '%s/s, %s, %s' "$(thousands "$rps")" "$(ms "$p50")" "$(ms "$p99")"
}

ROWS=()
NOTES=()
FAILURES=()
fail() {
    FAILURES+=("$*")
    log "CHECK FAILED: $*"
}

# ---------------------------------------------------------------------------------------------
# The emulator, shared by every backend (its data is a pure function of the seed)

BAMBOO_KEY="$(random_hex 20)"
EMU_DIR="$(mktemp -d "${TMPDIR:-/tmp}/joinery-bench-emulator.XXXXXX")"
"$EMU_BIN" --employees "$EMPLOYEES" --seed "$SEED" --domain "$BAMBOO_DOMAIN" --name "Bench Co" \
    --api-key "$BAMBOO_KEY" --listen 127.0.0.1:0 >"$EMU_DIR/stdout" 2>"$EMU_DIR/stderr" &
EMU_PID=$!
deadline=$((SECONDS + 30))
until grep -q '^listening ' "$EMU_DIR/stdout" 2>/dev/null; do
    kill -0 "$EMU_PID" 2>/dev/null || die "the emulator exited: $(cat "$EMU_DIR/stderr")"
    ((SECONDS < deadline)) || die "the emulator printed no address within 30 s"
    sleep 0.05
done
EMU_URL="$(sed -n 's/^listening //p' "$EMU_DIR/stdout" | head -n 1)"
log "BambooHR emulator $EMU_PID at $EMU_URL: company '$BAMBOO_DOMAIN', $EMPLOYEES employees, seed $SEED"

# ---------------------------------------------------------------------------------------------
# One backend

bench_backend() {
    backend=$1
    WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/joinery-bench-sync-$backend.XXXXXX")"
    if [[ $backend == postgres ]]; then
        local version
        version="$(psql_admin "SHOW server_version_num")" || die "cannot connect to $PG_ADMIN_URL"
        ((version >= 130000)) && PG_DROP_SUFFIX=" WITH (FORCE)" || PG_DROP_SUFFIX=""
        PG_DB="joinery_bench_$(random_hex 6)"
        psql_admin "CREATE DATABASE $PG_DB" >/dev/null
        DB_URL="$(pg_url_for "$PG_DB")"
        log "postgres: created database $PG_DB"
    else
        DB_URL="sqlite://$WORK_DIR/joinery.db"
    fi
    local env=(JOINERY_DATA_DIR="$WORK_DIR" JOINERY_DATABASE_URL="$DB_URL" JOINERY_SECRET_KEY="$(random_hex 32)"
        JOINERY_ENCRYPTION_KEY="$(random_hex 32)" JOINERY_PROVIDER_BAMBOOHR_BASE_URL="$EMU_URL"
        JOINERY_LOG="info,sqlx=warn" NO_COLOR=1)

    KEY="$(env "${env[@]}" "$BIN" api-keys create --organization bench 2>>"$WORK_DIR/cli.log")"
    [[ -n $KEY && $KEY != *$'\n'* && $KEY != *' '* ]] || die "api-keys create printed an unexpected key: '$KEY'"

    local port
    port="$(free_port)"
    BASE="http://127.0.0.1:$port"
    env "${env[@]}" JOINERY_LISTEN="127.0.0.1:$port" "$BIN" serve >"$WORK_DIR/server.log" 2>&1 &
    SERVER_PID=$!
    wait_healthy
    log "$backend: server $SERVER_PID is healthy at $BASE"

    # --- Link, as docs/link.md documents it
    local auth=(-H "Authorization: Bearer $KEY")
    local link_token public_token t0
    local scopes='[]'
    # The issue's benchmark is employees with their employments, teams and locations; time off,
    # dependents and balances (one request per employee at 20 requests/s) are switched off by
    # the link token's scopes unless MODELS=all.
    [[ $MODELS == all ]] || scopes='[{"model_id":"hris.TimeOff","enabled_actions":[],"disabled_fields":[]},{"model_id":"hris.Dependent","enabled_actions":[],"disabled_fields":[]},{"model_id":"hris.TimeOffBalance","enabled_actions":[],"disabled_fields":[]}]'
    link_token="$(api POST /api/hris/v1/link-token \
        "{\"end_user_email_address\":\"bench@example.com\",\"end_user_organization_name\":\"Bench Co\",\"end_user_origin_id\":\"bench-sync\",\"categories\":[\"hris\"],\"integration\":\"bamboohr\",\"common_models\":$scopes}" \
        "${auth[@]}" | jq -r .link_token)"
    [[ -n $link_token && $link_token != null ]] || die "$backend: no link_token"
    t0="$(now)"
    public_token="$(api POST /api/link/v1/connect \
        "{\"integration\":\"bamboohr\",\"credentials\":{\"company_domain\":\"$BAMBOO_DOMAIN\",\"api_key\":\"$BAMBOO_KEY\"}}" \
        -H "X-Link-Token: $link_token" | jq -r .public_token)"
    [[ -n $public_token && $public_token != null ]] || die "$backend: no public_token"
    ACCOUNT_TOKEN="$(api GET "/api/hris/v1/account-token/$public_token" '' "${auth[@]}" | jq -r .account_token)"
    [[ -n $ACCOUNT_TOKEN && $ACCOUNT_TOKEN != null ]] || die "$backend: no account_token"
    export JOINERY_BENCH_API_KEY="$KEY" JOINERY_BENCH_ACCOUNT_TOKEN="$ACCOUNT_TOKEN"
    log "$backend: linked; waiting for the initial sync of $EMPLOYEES employees"

    # --- Initial sync
    local initial initial_secs initial_hwm initial_job
    initial="$(wait_sync "$t0" "initial sync")"
    initial_secs="$(elapsed "$t0" "$(jq -r .done_at <<<"$initial")")"
    initial_hwm="$(proc_kb "$SERVER_PID" VmHWM)"
    wait_no_active_job
    initial_job="$(job_summary)"
    log "$backend: initial sync done in $initial_secs s ($(model_seconds "$initial")); peak RSS $(mib "$initial_hwm")"
    local disabled
    disabled="$(jq -r '.disabled | join(", ")' <<<"$initial")"
    [[ -z $disabled ]] || NOTES+=("$backend: DISABLED by the account's scopes, not synced: $disabled")
    NOTES+=("$backend / initial sync: $initial_job; hris.Employee DONE $(model_done_after "$initial" hris.Employee "$t0") s after \`connect\`; per model: $(model_seconds "$initial")")

    local counts employees_sql
    counts="$(sql "SELECT model, count(*), sum(CASE WHEN remote_was_deleted THEN 1 ELSE 0 END) FROM common_model_rows GROUP BY model ORDER BY model")"
    NOTES+=("$backend / rows after the initial sync (model: rows, of which remote_was_deleted): $(awk -F'|' '{ printf "%s%s: %s (%s)", (NR > 1 ? ", " : ""), $1, $2, $3 }' <<<"$counts")")
    employees_sql="$(awk -F'|' '$1 == "hris.Employee" { print $2 - $3 }' <<<"$counts")"
    [[ ${employees_sql:-0} == "$EMPLOYEES" ]] ||
        fail "$backend: common_model_rows holds ${employees_sql:-0} live employees, not $EMPLOYEES"
    for model in hris.Employment hris.Team hris.Location; do
        grep -q "^$model|" <<<"$counts" || fail "$backend: the sync stored no $model"
    done

    # --- Unchanged resync
    local peak_note="" max_modified t1 resync resync_secs resync_hwm resync_job modified settled
    settled="$(wait_settled)"
    NOTES+=("$backend: the server was idle ${settled} s after the initial sync (waited for before the resync)")
    reset_peak_rss || peak_note=" (VmHWM since start: clear_refs unavailable)"
    max_modified="$(sql "SELECT COALESCE(max(modified_at), 0) FROM common_model_rows")"
    t1="$(now)"
    api POST /api/hris/v1/sync-status/resync '' "${auth[@]}" -H "X-Account-Token: $ACCOUNT_TOKEN" >/dev/null
    resync="$(wait_sync "$t1" "resync")"
    resync_secs="$(elapsed "$t1" "$(jq -r .done_at <<<"$resync")")"
    resync_hwm="$(proc_kb "$SERVER_PID" VmHWM)"
    wait_no_active_job
    resync_job="$(job_summary)"
    [[ $resync_job == FORCED* ]] || fail "$backend: the last job is not the forced resync: $resync_job"
    modified="$(sql "SELECT count(*) FROM common_model_rows WHERE modified_at > $max_modified")"
    ((modified == 0)) || fail "$backend: the unchanged resync modified $modified rows"
    log "$backend: resync done in $resync_secs s ($(model_seconds "$resync")); $modified rows modified"
    NOTES+=("$backend / unchanged resync: $resync_job; $modified rows modified; hris.Employee DONE $(model_done_after "$resync" hris.Employee "$t1") s after the request; per model: $(model_seconds "$resync")")

    # --- Unchanged periodic sync: reads only BambooHR's changes. Periodic jobs are queued by the
    # worker when an account's interval is up (hours); the benchmark queues one directly.
    local t2 periodic periodic_secs periodic_job
    wait_settled >/dev/null
    max_modified="$(sql "SELECT COALESCE(max(modified_at), 0) FROM common_model_rows")"
    t2="$(now)"
    if [[ $backend == postgres ]]; then
        sql "INSERT INTO sync_jobs (id, linked_account_id, kind, state, run_after, attempts, created_at) SELECT gen_random_uuid(), id, 'PERIODIC', 'QUEUED', 0, 0, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint FROM linked_accounts" >/dev/null
    else
        sql "INSERT INTO sync_jobs (id, linked_account_id, kind, state, run_after, attempts, created_at) SELECT randomblob(16), id, 'PERIODIC', 'QUEUED', 0, 0, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER) FROM linked_accounts" >/dev/null
    fi
    periodic="$(wait_sync "$t2" "periodic sync")"
    periodic_secs="$(elapsed "$t2" "$(jq -r .done_at <<<"$periodic")")"
    wait_no_active_job
    periodic_job="$(job_summary)"
    [[ $periodic_job == PERIODIC* ]] || fail "$backend: the last job is not the periodic sync: $periodic_job"
    modified="$(sql "SELECT count(*) FROM common_model_rows WHERE modified_at > $max_modified")"
    ((modified == 0)) || fail "$backend: the unchanged periodic sync modified $modified rows"
    log "$backend: periodic sync done in $periodic_secs s ($(model_seconds "$periodic"))"
    NOTES+=("$backend / unchanged periodic (incremental) sync: $periodic_job; $periodic_secs s from queueing; $modified rows modified; per model: $(model_seconds "$periodic")")

    # --- Count through the API, and find the deep page's cursor
    local walk pages api_count deep_page deep_cursor deep_url deep_label
    log "$backend: walking every page of employees (page_size=$PAGE_SIZE)"
    walk="$(python3 "$SYNC_API" walk "$BASE" --page-size "$PAGE_SIZE" --deep-page "$DEEP_PAGE")" ||
        die "$backend: walking the employee pages failed"
    pages="$(jq -r .pages <<<"$walk")"
    api_count="$(jq -r .count <<<"$walk")"
    deep_page="$(jq -r .deep_page <<<"$walk")"
    deep_cursor="$(jq -r '.deep_cursor // ""' <<<"$walk")"
    ((api_count == EMPLOYEES)) || fail "$backend: the API lists $api_count employees, not $EMPLOYEES"
    NOTES+=("$backend / GET employees: $api_count employees on $pages pages of $PAGE_SIZE, walked through \`next\` in $(jq -r .seconds <<<"$walk") s")
    deep_url="$BASE/api/hris/v1/employees?page_size=$PAGE_SIZE"
    [[ -z $deep_cursor ]] || deep_url+="&cursor=$(jq -rn --arg c "$deep_cursor" '$c | @uri')"
    deep_label=""
    ((deep_page == DEEP_PAGE)) || deep_label="(page $deep_page, the last) "

    # --- Reads under load
    if [[ $WARMUP != 0 && $WARMUP != 0s ]]; then
        oha --no-tui --output-format quiet -z "$WARMUP" -c "$CONNECTIONS" \
            -H "Authorization: Bearer $KEY" -H "X-Account-Token: $ACCOUNT_TOKEN" \
            "$BASE/api/hris/v1/employees?page_size=$PAGE_SIZE" >/dev/null 2>&1 || true
    fi
    local first deep read_hwm
    reset_peak_rss || true
    run_oha page-1 "$BASE/api/hris/v1/employees?page_size=$PAGE_SIZE"
    first=$OHA_RESULT
    run_oha "page-$deep_page" "$deep_url"
    deep=$OHA_RESULT
    read_hwm="$(proc_kb "$SERVER_PID" VmHWM)"
    NOTES+=("$backend / reads: peak RSS $(mib "$read_hwm") during the two oha runs")

    local rss status
    rss="$(proc_kb "$SERVER_PID" VmRSS)"
    stop_server
    status=$STOP_STATUS
    ((status == 0)) || fail "$backend: the server exited with status $status after SIGTERM"
    local problems
    problems="$(sed 's/\x1b\[[0-9;]*m//g' "$WORK_DIR/server.log" | grep -c -E '^[^ ]+ +(WARN|ERROR) ' || true)"
    NOTES+=("$backend / server: VmRSS $(mib "$rss") at the end; exit status $status after SIGTERM; ${problems:-0} WARN/ERROR lines in its log")
    { printf '### %s server log\n' "$backend"; cat "$WORK_DIR/server.log"; echo; } >>"$RAW"

    ROWS+=("| $backend | $(thousands "$EMPLOYEES") | ${initial_secs} s | $(thousands "$(per_second "$EMPLOYEES" "$initial_secs")") | $(mib "$initial_hwm") | ${resync_secs} s | $(thousands "$(per_second "$EMPLOYEES" "$resync_secs")") | $(mib "$resync_hwm")$peak_note | $(read_cell "$first") | $deep_label$(read_cell "$deep") | $COMMIT |")
    cleanup_backend
}

# ---------------------------------------------------------------------------------------------
# Run and report

COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
DIRTY=""
if [[ $COMMIT != unknown ]] && ! git -C "$ROOT" diff --quiet HEAD -- 2>/dev/null; then
    DIRTY=" (working tree has uncommitted changes)"
    COMMIT="$COMMIT+"
fi

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
for backend in $BACKENDS; do
    bench_backend "$backend"
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

EMU_HWM="$(proc_kb "$EMU_PID" VmHWM)"
stop_pid "$EMU_PID" emulator
EMU_PID=""
pg_version=""
if [[ " $BACKENDS " == *" postgres "* ]]; then
    pg_version="$(psql_admin "SHOW server_version" 2>/dev/null || echo unknown)"
fi

{
    echo "## Joinery: BambooHR sync of $(thousands "$EMPLOYEES") employees, then GET employees under load ($TIMESTAMP)"
    echo
    echo "| backend | employees | initial sync | employees/s | peak RSS | unchanged resync | employees/s | peak RSS | GET page 1 (req/s, p50, p99) | GET page $DEEP_PAGE (req/s, p50, p99) | commit |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|"
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "Sync times are wall times from the request (link \`connect\`, or \`POST sync-status/resync\`) to the first"
    echo "\`GET sync-status\` poll (every ${POLL_INTERVAL} s) that saw every model DONE. Peak RSS is the server's VmHWM."
    echo "Reads: oha -z $DURATION -c $CONNECTIONS (saturation), \`GET /api/hris/v1/employees?page_size=$PAGE_SIZE\` with the cursor of that page."
    echo
    echo "Notes:"
    echo
    printf -- '- %s\n' "${NOTES[@]}"
    echo "- emulator: $(tail -n 1 "$EMU_DIR/stderr" 2>/dev/null | sed 's/^joinery-emulate: //'), peak RSS $(mib "$EMU_HWM")"
    echo
    echo "Environment:"
    echo
    echo "- CPU: $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo), nproc $(nproc); the emulator and oha share it with the server"
    echo "- load average (1/5/15 min): $LOAD_BEFORE before, $LOAD_AFTER after"
    echo "- kernel $(uname -r); $(rustc -V 2>/dev/null || echo 'rustc unknown'); $(oha --version 2>/dev/null || echo 'oha unknown')"
    [[ -z $pg_version ]] || echo "- PostgreSQL $pg_version ($(pg_url_for "<fresh database>" | sed 's#//[^@/]*@#//#'))"
    echo "- database pool: JOINERY_DATABASE_MAX_CONNECTIONS=${JOINERY_DATABASE_MAX_CONNECTIONS:-8 (default)}"
    echo "- git commit $COMMIT$DIRTY"
    echo "- raw output: ${RAW#"$ROOT"/}"
    if ((${#FAILURES[@]} > 0)); then
        echo
        echo "CHECKS FAILED:"
        echo
        printf -- '- %s\n' "${FAILURES[@]}"
    fi
} >"$REPORT"

cat "$REPORT"
log "report written to $REPORT"
((${#FAILURES[@]} == 0)) || exit 1
