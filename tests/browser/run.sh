#!/usr/bin/env bash
# Joinery Link in a real browser: Debian's chromium driven by playwright-core (Node's built-in
# test runner). Installs what it needs itself: chromium (apt) and node_modules (npm ci).
#
#   cargo build -p joinery && tests/sdk/run.sh && tests/browser/run.sh
#   tests/browser/run.sh --mock-only      # the UI against mock-server.mjs; no binary needed
#
# Environment:
#   JOINERY_BIN        the joinery binary (required unless --mock-only)
#   JOINERY_SDK_VENV   virtualenv with Merge's Python SDK (default <repo>/target/sdk-venv,
#                      created by tests/sdk/run.sh)
#   CHROMIUM_BIN       the browser (default /usr/bin/chromium)
# Screenshots: <repo>/target/link-screenshots/{en,de}/ (real server), .../mock/{en,de}/ (mock).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

mock_only=false
if [[ "${1:-}" == "--mock-only" ]]; then
    mock_only=true
    shift
fi

as_root() {
    if [[ "$(id -u)" == 0 ]]; then "$@"; else sudo "$@"; fi
}

export CHROMIUM_BIN="${CHROMIUM_BIN:-/usr/bin/chromium}"
if [[ ! -x "$CHROMIUM_BIN" ]]; then
    echo "browser tests: installing chromium (apt)"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
for tool in node npm; do
    if ! command -v "$tool" >/dev/null; then
        echo "browser tests: $tool is not installed (Node 20 or newer is needed)" >&2
        exit 1
    fi
done

cd "$here"
# playwright-core never downloads a browser; this only makes sure it does not try.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
lock_sum="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ "$(cat node_modules/.joinery-lock 2>/dev/null || true)" != "$lock_sum" ]]; then
    echo "browser tests: npm ci"
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
    echo "$lock_sum" >node_modules/.joinery-lock
fi

tests=(mock.test.mjs)
if ! $mock_only; then
    target_dir="${CARGO_TARGET_DIR:-target}"
    [[ "$target_dir" = /* ]] || target_dir="$repo/$target_dir"
    export JOINERY_BIN="${JOINERY_BIN:-$target_dir/debug/joinery}"
    [[ "$JOINERY_BIN" = /* ]] || JOINERY_BIN="$repo/$JOINERY_BIN"
    if [[ ! -x "$JOINERY_BIN" ]]; then
        echo "browser tests: no joinery binary at $JOINERY_BIN (build it: cargo build -p joinery)" >&2
        exit 1
    fi
    export JOINERY_SDK_VENV="${JOINERY_SDK_VENV:-$repo/target/sdk-venv}"
    [[ "$JOINERY_SDK_VENV" = /* ]] || JOINERY_SDK_VENV="$repo/$JOINERY_SDK_VENV"
    if [[ ! -x "$JOINERY_SDK_VENV/bin/python" ]]; then
        echo "browser tests: no Python SDK virtualenv at $JOINERY_SDK_VENV (tests/sdk/run.sh creates it)" >&2
        exit 1
    fi
    echo "browser tests: testing $JOINERY_BIN with $("$CHROMIUM_BIN" --version 2>/dev/null | head -n1)"
    tests+=(link.test.mjs)
fi

# One file at a time: each starts its own servers and browser.
exec node --test --test-concurrency=1 "$@" "${tests[@]}"
