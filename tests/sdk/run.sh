#!/usr/bin/env bash
# Runs the SDK compatibility suite: Merge's official Python SDK (MergePythonClient) against a
# real `joinery serve`, on SQLite and, when JOINERY_TEST_POSTGRES_URL is set, on PostgreSQL.
#
#   cargo build -p joinery && tests/sdk/run.sh [pytest args...]
#
# Environment:
#   JOINERY_BIN                the binary to test (default: $CARGO_TARGET_DIR/debug/joinery,
#                              CARGO_TARGET_DIR defaulting to <repo>/target)
#   JOINERY_TEST_POSTGRES_URL  admin URL of a PostgreSQL server, e.g.
#                              postgres://postgres@127.0.0.1:5432/postgres (each run creates and
#                              drops its own database there); unset: PostgreSQL is skipped
#   JOINERY_SDK_VENV           the virtualenv to use (default: <repo>/target/sdk-venv)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${JOINERY_SDK_VENV:-$repo/target/sdk-venv}"
requirements="$here/requirements.txt"
target_dir="${CARGO_TARGET_DIR:-target}"
[[ "$target_dir" = /* ]] || target_dir="$repo/$target_dir"
export JOINERY_BIN="${JOINERY_BIN:-$target_dir/debug/joinery}"

if [[ ! -x "$venv/bin/python" ]]; then
    echo "sdk tests: creating virtualenv $venv"
    python3 -m venv "$venv"
fi

# Reinstall only when requirements.txt (or the venv's Python) changed.
want="$( (sha256sum "$requirements" | cut -d' ' -f1; "$venv/bin/python" --version) | sha256sum | cut -d' ' -f1)"
stamp="$venv/.joinery-sdk-requirements"
if [[ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]]; then
    echo "sdk tests: installing $(grep -cvE '^\s*(#|$)' "$requirements") pinned packages from tests/sdk/requirements.txt"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    echo "$want" >"$stamp"
fi

if [[ ! -x "$JOINERY_BIN" ]]; then
    echo "sdk tests: no joinery binary at $JOINERY_BIN" >&2
    echo "sdk tests: build it first with:  (cd $repo && cargo build -p joinery)" >&2
    echo "sdk tests: or point JOINERY_BIN at an existing binary" >&2
    exit 1
fi
echo "sdk tests: testing $JOINERY_BIN"

if [[ -n "${JOINERY_TEST_POSTGRES_URL:-}" ]]; then
    if ! command -v psql >/dev/null; then
        echo "sdk tests: JOINERY_TEST_POSTGRES_URL is set but psql is not installed" >&2
        exit 1
    fi
    # Never print a password.
    shown="$(printf '%s' "$JOINERY_TEST_POSTGRES_URL" | sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#')"
    echo "sdk tests: PostgreSQL backend: RUNS (a fresh database on $shown)"
else
    echo "sdk tests: PostgreSQL backend: SKIPPED (JOINERY_TEST_POSTGRES_URL not set); SQLite only"
fi

cd "$repo"
# Leave nothing in the work tree: no .pytest_cache, no __pycache__.
export PYTHONDONTWRITEBYTECODE=1
exec "$venv/bin/python" -m pytest tests/sdk -q -p no:cacheprovider -rfExX "$@"
