#!/usr/bin/env bash
# Load test of `POST /api/hris/v1/link-token` against the release build, on SQLite and PostgreSQL.
#
#   scripts/bench-link-token.sh                                   # both backends, 20 s per scenario
#   BACKENDS=sqlite DURATION=3s CONNECTIONS=16 scripts/bench-link-token.sh   # a quick check
#
# For each backend it starts a fresh `joinery serve` (fresh data directory; for PostgreSQL a fresh
# database, dropped afterwards), creates an API key, warms up, and runs wrk for three scenarios:
#
#   link-token  valid requests: each creates a link token (a row in link_tokens)
#   auth-no-op  the same endpoint, authenticated, with a body that fails validation (400): the
#               key is looked up and the body parsed and validated, but nothing is stored, so the
#               difference from link-token is the cost of the write
#   health      unauthenticated GET /api/health (a database ping)
#
# It checks that link-token answered only 2xx and that link_tokens grew by about as many rows,
# that auth-no-op answered only 400, and prints a markdown table (also written to
# target/bench/link-token-<timestamp>.md; wrk's raw output goes to the .raw.log beside it).
# "peak RSS" is the server's VmHWM during that scenario (reset through /proc/<pid>/clear_refs
# before each one; where that is not possible it is the peak since start, and the note says so).
# The exit status is 1 when a check failed, after the report is written.
#
# Settings (environment):
#   BACKENDS                    "sqlite postgres"
#   THREADS, CONNECTIONS        wrk -t / -c; 2 and 64
#   DURATION                    wrk -d (and oha -z) per scenario; 20s
#   RATE                        offered rate of the fixed-rate oha scenario; 10000 (0 skips it)
#   WARMUP                      wrk -d of the unrecorded warm-up (link-token requests); 2s, 0 to skip
#   HEALTH_TIMEOUT              seconds to wait for the server to answer /api/health; 60
#   JOINERY_BENCH_POSTGRES_URL  an admin connection, used to create and drop the bench database;
#                               postgres://postgres@127.0.0.1:5432/postgres
#   JOINERY_DATABASE_MAX_CONNECTIONS  passed through to the server (its default is 8)
#
# Needs curl, and psql for PostgreSQL; wrk is installed with apt-get when it is missing.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BACKENDS="${BACKENDS:-sqlite postgres}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
DURATION="${DURATION:-20s}"
WARMUP="${WARMUP:-2s}"
HEALTH_TIMEOUT="${HEALTH_TIMEOUT:-60}"
PG_ADMIN_URL="${JOINERY_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
[[ $TARGET_DIR == /* ]] || TARGET_DIR="$ROOT/$TARGET_DIR"
BIN="$TARGET_DIR/release/joinery"
LINK_TOKEN_LUA="$ROOT/scripts/bench/link_token.lua"
ENDPOINT="/api/hris/v1/link-token"

# Settings of the caller's shell must not leak into the servers under test.
unset JOINERY_LISTEN JOINERY_DATABASE_URL JOINERY_DATA_DIR JOINERY_SECRET_KEY JOINERY_SECRET_KEY_FILE \
    JOINERY_PUBLIC_URL JOINERY_LOG_FORMAT JOINERY_LOG

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
[[ $THREADS =~ ^[1-9][0-9]*$ && $CONNECTIONS =~ ^[1-9][0-9]*$ ]] || die "THREADS and CONNECTIONS must be positive integers"
((CONNECTIONS >= THREADS)) || die "CONNECTIONS ($CONNECTIONS) must be at least THREADS ($THREADS)"
[[ $HEALTH_TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "HEALTH_TIMEOUT must be a number of seconds"

RATE=${RATE:-10000}
if [[ $RATE != 0 ]] && ! command -v oha >/dev/null 2>&1; then
    log "oha is not installed; installing it with cargo (a few minutes, once)"
    cargo install --locked oha >&2 || die "cargo install oha failed (set RATE=0 to skip the fixed-rate scenario)"
fi
if ! command -v wrk >/dev/null 2>&1; then
    log "wrk is not installed; installing it with apt-get"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >&2; then
        DEBIAN_FRONTEND=noninteractive apt-get update >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >&2
    fi
fi
command -v curl >/dev/null 2>&1 || die "curl is required"
if [[ " $BACKENDS " == *" postgres "* ]]; then
    command -v psql >/dev/null 2>&1 || die "psql is required for the postgres backend"
fi

log "building the release binary"
cargo build --release -p joinery >&2
[[ -x $BIN ]] || die "$BIN was not built"

TIMESTAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT_DIR="$TARGET_DIR/bench"
REPORT="$OUT_DIR/link-token-$TIMESTAMP.md"
RAW="$OUT_DIR/link-token-$TIMESTAMP.raw.log"
mkdir -p "$OUT_DIR"
: >"$RAW"

# ---------------------------------------------------------------------------------------------
# Per-backend state, and cleanup on any exit

SERVER_PID=""
WORK_DIR=""
PG_DB=""
PG_DROP_SUFFIX=""

psql_admin() { psql "$PG_ADMIN_URL" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }

STOP_STATUS=""
stop_server() { # SIGTERM, wait (SIGKILL after 20 s); the exit status goes to STOP_STATUS
    local pid=$SERVER_PID status=0 deadline=$((SECONDS + 20))
    [[ -n $pid ]] || return 0
    SERVER_PID=""
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.05; done
    if kill -0 "$pid" 2>/dev/null; then
        log "server $pid did not stop within 20 s of SIGTERM; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || status=$?
    STOP_STATUS=$status
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
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# Helpers

random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
        return
    fi
    local port
    for _ in $(seq 100); do
        port=$((20000 + RANDOM % 30000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    die "found no free port"
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

http_code() { curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$@" 2>/dev/null || true; }

wait_healthy() {
    local deadline=$((SECONDS + HEALTH_TIMEOUT))
    until [[ $(http_code "$BASE/api/health") == 200 ]]; do
        kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited during startup"
        ((SECONDS < deadline)) || die "the server did not answer /api/health with 200 within ${HEALTH_TIMEOUT}s"
        sleep 0.05
    done
}

proc_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || true; }

# Resets VmHWM to the current RSS (Linux ≥ 4.0); fails where /proc does not allow it.
reset_peak_rss() { { echo 5 >"/proc/$SERVER_PID/clear_refs"; } 2>/dev/null; }

mib() { [[ -n ${1:-} ]] && awk -v kb="$1" 'BEGIN { printf "%.1f MiB", kb / 1024 }' || echo "?"; }

count_link_tokens() { # prints the row count, or nothing when there is no client to ask
    if [[ $backend == postgres ]]; then
        psql "$DB_URL" -X -q -A -t -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM link_tokens"
    elif command -v sqlite3 >/dev/null 2>&1; then
        sqlite3 -cmd '.timeout 5000' "$WORK_DIR/joinery.db" "SELECT count(*) FROM link_tokens;"
    elif command -v python3 >/dev/null 2>&1; then
        python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1], timeout=5).execute("SELECT count(*) FROM link_tokens").fetchone()[0])' \
            "$WORK_DIR/joinery.db"
    fi
}

wrk_field() { # file field
    case $2 in
    rps) awk '/^Requests\/sec:/ { print $2 }' "$1" ;;
    p50) awk '$1 == "50%" { print $2 }' "$1" ;;
    p99) awk '$1 == "99%" { print $2 }' "$1" ;;
    requests) awk '/ requests in / { print $1 }' "$1" ;;
    non2xx) awk '/Non-2xx or 3xx responses:/ { n = $NF } END { print n + 0 }' "$1" ;;
    socket_errors) awk '/Socket errors:/ { gsub(/,/, ""); n = $4 + $6 + $8 + $10 } END { print n + 0 }' "$1" ;;
    socket_detail) sed -n 's/^ *Socket errors: *//p' "$1" ;;
    statuses) sed -n 's/^Status codes: *//p' "$1" ;;
    esac
}

status_count() { # "200=5 400=3" code → 5
    awk -v want="$2" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == want) n = kv[2] } } END { print n + 0 }' <<<"$1"
}

run_wrk() { # scenario url [lua] → output in $WORK_DIR/wrk-<scenario>.txt
    local scenario=$1 url=$2 lua=${3:-} duration=${4:-$DURATION}
    local out="$WORK_DIR/wrk-$scenario.txt"
    local args=(-t"$THREADS" -c"$CONNECTIONS" -d"$duration" --latency)
    if [[ -n $lua ]]; then args+=(-s "$lua"); fi
    log "$backend / $scenario: wrk ${args[*]} $url"
    if ! JOINERY_BENCH_API_KEY="$KEY" wrk "${args[@]}" "$url" >"$out" 2>&1; then
        cat "$out" >&2
        die "wrk failed ($backend / $scenario)"
    fi
    {
        printf '### %s / %s: wrk %s %s\n' "$backend" "$scenario" "${args[*]}" "$url"
        cat "$out"
        echo
    } >>"$RAW"
    sed 's/^/    /' "$out" >&2
}

ROWS=()
NOTES=()
FAILURES=()
fail() {
    FAILURES+=("$*")
    log "CHECK FAILED: $*"
}

# ---------------------------------------------------------------------------------------------
# One backend

bench_backend() {
    backend=$1
    WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/joinery-bench-$backend.XXXXXX")"
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
        JOINERY_LOG=warn)

    KEY="$(env "${env[@]}" "$BIN" api-keys create --organization bench)"
    [[ -n $KEY && $KEY != *$'\n'* && $KEY != *' '* ]] || die "api-keys create printed an unexpected key: '$KEY'"

    local port
    port="$(free_port)"
    BASE="http://127.0.0.1:$port"
    env "${env[@]}" JOINERY_LISTEN="127.0.0.1:$port" "$BIN" serve >"$WORK_DIR/server.log" 2>&1 &
    SERVER_PID=$!
    wait_healthy
    log "$backend: server $SERVER_PID is healthy at $BASE"

    # One request of each kind before loading it, so a broken setup fails clearly.
    local auth=(-H "Authorization: Bearer $KEY" -H "Content-Type: application/json")
    local code
    code="$(http_code -X POST "${auth[@]}" "$BASE$ENDPOINT" -d '{"end_user_email_address":"bench@example.com","end_user_organization_name":"Bench Corp","end_user_origin_id":"bench-check","categories":["hris"]}')"
    [[ $code == 200 ]] || die "$backend: a valid link-token request answered $code, not 200"
    code="$(http_code -X POST "${auth[@]}" "$BASE$ENDPOINT" -d '{"end_user_email_address":"bench@example.com","end_user_organization_name":"Bench Corp","end_user_origin_id":"bench-check","categories":["hris"],"link_expiry_mins":1}')"
    [[ $code == 400 ]] || die "$backend: the auth-no-op request answered $code, not 400"

    if [[ $WARMUP != 0 && $WARMUP != 0s ]]; then
        run_wrk warm-up "$BASE$ENDPOINT" "$LINK_TOKEN_LUA" "$WARMUP"
    fi

    local peak_note="VmHWM during the scenario"
    local overall_peak
    overall_peak="$(proc_kb "$SERVER_PID" VmHWM)"
    local scenario url lua out
    for scenario in link-token auth-no-op health; do
        case $scenario in
        link-token) url="$BASE$ENDPOINT" lua=$LINK_TOKEN_LUA ;;
        auth-no-op) url="$BASE$ENDPOINT" lua=$LINK_TOKEN_LUA ;;
        health) url="$BASE/api/health" lua="" ;;
        esac
        local rows_before=""
        if [[ $scenario == link-token ]]; then rows_before="$(count_link_tokens || true)"; fi
        reset_peak_rss || peak_note="VmHWM since the server started (clear_refs unavailable)"

        if [[ $scenario == auth-no-op ]]; then
            JOINERY_BENCH_EXTRA='"link_expiry_mins":1,' run_wrk "$scenario" "$url" "$lua"
        else
            run_wrk "$scenario" "$url" "$lua"
        fi
        out="$WORK_DIR/wrk-$scenario.txt"

        local hwm rps p50 p99 requests non2xx sock statuses cell
        hwm="$(proc_kb "$SERVER_PID" VmHWM)"
        if ((${hwm:-0} > ${overall_peak:-0})); then overall_peak=$hwm; fi
        rps="$(wrk_field "$out" rps)"
        p50="$(wrk_field "$out" p50)"
        p99="$(wrk_field "$out" p99)"
        requests="$(wrk_field "$out" requests)"
        non2xx="$(wrk_field "$out" non2xx)"
        sock="$(wrk_field "$out" socket_errors)"
        statuses="$(wrk_field "$out" statuses)"
        [[ -n $rps && -n $p50 && -n $p99 && -n $requests ]] || die "could not parse wrk's output ($out)"

        cell="$non2xx"
        case $scenario in
        link-token)
            ((non2xx == 0)) || fail "$backend / link-token: $non2xx non-2xx responses (${statuses:-no status counts})"
            local ok rows_after
            ok=$((requests - non2xx))
            rows_after="$(count_link_tokens || true)"
            if [[ -n $rows_before && -n $rows_after ]]; then
                local added=$((rows_after - rows_before))
                # wrk stops with up to one request per connection still in flight; the server may
                # finish (and store) those after wrk counted its responses.
                if ((added >= ok && added <= ok + CONNECTIONS)); then
                    NOTES+=("$backend / link-token: link_tokens grew by $added rows for $ok 2xx responses (ok)")
                else
                    fail "$backend / link-token: link_tokens grew by $added rows for $ok 2xx responses"
                fi
            else
                NOTES+=("$backend / link-token: row count not checked (no sqlite3 or python3)")
            fi
            ;;
        auth-no-op)
            local n400
            n400="$(status_count "$statuses" 400)"
            if ((n400 == requests && non2xx == requests)); then
                cell="$non2xx (expected: all 400)"
            else
                cell="$non2xx (expected all 400; got ${statuses:-?})"
                fail "$backend / auth-no-op: expected only 400s, got ${statuses:-?} of $requests responses"
            fi
            ;;
        health)
            ((non2xx == 0)) || fail "$backend / health: $non2xx non-2xx responses"
            ;;
        esac
        if ((sock > 0)); then
            cell="$cell; socket errors $sock"
            NOTES+=("$backend / $scenario: socket errors: $(wrk_field "$out" socket_detail)")
        fi
        ROWS+=("| $backend | $scenario | $rps | $p50 | $p99 | $cell | $(mib "$hwm") |")
        NOTES+=("$backend / $scenario: $requests requests${statuses:+, status codes $statuses}")
    done

    if [[ $RATE != 0 ]]; then
        # Latency at a fixed offered rate (wrk above measures saturation): oha paces requests and
        # corrects for coordinated omission.
        reset_peak_rss || true
        local oha_out="$WORK_DIR/oha-link-token.txt"
        log "$backend / link-token@${RATE}/s: oha -z $DURATION -c $CONNECTIONS -q $RATE"
        oha --no-tui -z "$DURATION" -c "$CONNECTIONS" -q "$RATE" --latency-correction -m POST \
            -H "Authorization: Bearer $KEY" -T application/json \
            -d '{"end_user_email_address":"bench@example.com","end_user_organization_name":"Bench Corp","end_user_origin_id":"bench-rate","categories":["hris"]}' \
            "$BASE$ENDPOINT" >"$oha_out" 2>&1 || die "oha failed ($backend)"
        { printf '### %s / link-token@%s/s: oha\n' "$backend" "$RATE"; cat "$oha_out"; echo; } >>"$RAW"
        local orps op50 op99 o200 ototal ohwm
        orps="$(awk '/Requests\/sec:/ { printf "%.2f", $2 }' "$oha_out")"
        op50="$(awk '/50.00% in/ { print $3 $4 }' "$oha_out")"
        op99="$(awk '/99.00% in/ { print $3 $4 }' "$oha_out")"
        o200="$(awk '/\[200\]/ { print $2 }' "$oha_out")"
        ototal="$(awk '/\[[0-9]+\] [0-9]+ responses/ { n += $2 } END { print n + 0 }' "$oha_out")"
        ohwm="$(proc_kb "$SERVER_PID" VmHWM)"
        [[ -n $orps && -n $op99 ]] || die "could not parse oha's output ($oha_out)"
        ((${o200:-0} == ototal)) || fail "$backend / link-token@${RATE}/s: only ${o200:-0} of $ototal responses were 200"
        ROWS+=("| $backend | link-token @ ${RATE}/s offered | $orps | $op50 | $op99 | $((ototal - ${o200:-0})) | $(mib "$ohwm") |")
    fi

    local rss status
    rss="$(proc_kb "$SERVER_PID" VmRSS)"
    stop_server
    status=$STOP_STATUS
    ((status == 0)) || fail "$backend: the server exited with status $status after SIGTERM"
    NOTES+=("$backend server: peak RSS $(mib "$overall_peak") over the whole run (VmHWM), VmRSS $(mib "$rss") at the end; exit status $status after SIGTERM; peak RSS column: $peak_note")
    if [[ -s $WORK_DIR/server.log ]]; then
        NOTES+=("$backend server: $(wc -l <"$WORK_DIR/server.log") lines of warnings or errors in its log (JOINERY_LOG=warn)")
        { printf '### %s server log\n' "$backend"; cat "$WORK_DIR/server.log"; echo; } >>"$RAW"
    fi
    cleanup_backend
}

# ---------------------------------------------------------------------------------------------
# Run and report

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
for backend in $BACKENDS; do
    bench_backend "$backend"
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

commit="$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
if [[ $commit != unknown ]] && ! git -C "$ROOT" diff --quiet HEAD -- 2>/dev/null; then
    commit="$commit (working tree has uncommitted changes)"
fi
pg_version=""
if [[ " $BACKENDS " == *" postgres "* ]]; then
    pg_version="$(psql_admin "SHOW server_version" 2>/dev/null || echo unknown)"
fi

{
    echo "## Joinery: POST $ENDPOINT load test ($TIMESTAMP)"
    echo
    echo "| backend | scenario | requests/s | p50 | p99 | non-2xx | peak RSS |"
    echo "|---|---|---:|---:|---:|---|---:|"
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency (warm-up: $WARMUP of link-token requests, not recorded)."
    echo "link-token creates a link token per request; auth-no-op is authenticated and validated but rejected (400), storing nothing; health is GET /api/health."
    echo
    echo "Notes:"
    echo
    printf -- '- %s\n' "${NOTES[@]}"
    echo
    echo "Environment:"
    echo
    echo "- CPU: $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo), nproc $(nproc)"
    echo "- load average (1/5/15 min): $LOAD_BEFORE before, $LOAD_AFTER after"
    echo "- kernel $(uname -r); $(rustc -V 2>/dev/null || echo 'rustc unknown'); $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-3 || true)"
    [[ -z $pg_version ]] || echo "- PostgreSQL $pg_version ($(pg_url_for "<fresh database>" | sed 's#//[^@/]*@#//#'))"
    echo "- database pool: JOINERY_DATABASE_MAX_CONNECTIONS=${JOINERY_DATABASE_MAX_CONNECTIONS:-8 (default)}"
    echo "- git commit $commit"
    echo "- wrk output: ${RAW#"$ROOT"/}"
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
