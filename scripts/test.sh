#!/usr/bin/env bash
# Runs every test Joinery has: Rust unit and integration tests (cargo-nextest) on SQLite, and on
# PostgreSQL when JOINERY_TEST_POSTGRES_URL is set, then the compatibility suite that drives the
# real server with Merge's official Python SDK, then Joinery Link in a real browser (Debian's
# chromium driven by playwright-core). Installs what it needs (cargo-nextest, a Python virtual
# environment with the SDK, chromium, node modules) on first use.
#
#   scripts/test.sh                      # SQLite only; says plainly that PostgreSQL was skipped
#   JOINERY_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

if ! cargo nextest --version >/dev/null 2>&1; then
    echo "==> installing cargo-nextest"
    cargo install --locked cargo-nextest
fi
command -v python3 >/dev/null || { echo "python3 is required for the SDK tests" >&2; exit 1; }

if [ -n "${JOINERY_TEST_POSTGRES_URL:-}" ]; then
    echo "==> PostgreSQL suite: ON (admin URL from JOINERY_TEST_POSTGRES_URL)"
    pg_filter=()
else
    echo "==> PostgreSQL suite: SKIPPED (JOINERY_TEST_POSTGRES_URL not set)"
    # Leave the PostgreSQL variants out rather than have them pass vacuously.
    pg_filter=(-E 'not test(/postgres/)')
fi

target_dir=${CARGO_TARGET_DIR:-$repo/target}
profile=${NEXTEST_PROFILE:-default}

echo "==> Rust tests (cargo nextest, profile $profile)"
cargo build --quiet -p joinery --bin joinery
cargo nextest run --workspace --profile "$profile" "${pg_filter[@]}"

echo "==> SDK compatibility tests (MergePythonClient)"
JOINERY_BIN="$target_dir/debug/joinery" tests/sdk/run.sh

echo "==> Browser tests (Joinery Link in chromium)"
JOINERY_BIN="$target_dir/debug/joinery" tests/browser/run.sh

if [ -z "${JOINERY_TEST_POSTGRES_URL:-}" ]; then
    echo "==> Done. PostgreSQL suite SKIPPED: set JOINERY_TEST_POSTGRES_URL to run it."
else
    echo "==> Done: SQLite and PostgreSQL suites ran."
fi
