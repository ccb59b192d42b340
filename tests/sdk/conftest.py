"""Fixtures of the SDK compatibility suite: a real `joinery serve` per database backend.

Each backend gets one server for the whole session (fresh data directory, fresh database, two
organizations with their own API keys). The server runs as a child process on a free loopback
port with JSON logs in its data directory; every test fails if the server logged an error or
panicked while it ran, and the session fails if the server does not shut down gracefully on
SIGTERM.

Environment:
  JOINERY_BIN                 the binary (default $CARGO_TARGET_DIR/debug/joinery, CARGO_TARGET_DIR
                              defaulting to <repo>/target)
  JOINERY_TEST_POSTGRES_URL   admin URL of a PostgreSQL server, e.g.
                              postgres://postgres@127.0.0.1:5432/postgres; unset = postgres skipped
  JOINERY_MERGE_OAS_DIR       folder holding merge-hris.yaml and merge-ats.yaml (default
                              <repo>/../shared/reference/openapi)
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
JOINERY_BIN = Path(
    os.environ.get("JOINERY_BIN") or REPO_ROOT / os.environ.get("CARGO_TARGET_DIR", "target") / "debug" / "joinery"
)
OAS_DIR = Path(os.environ.get("JOINERY_MERGE_OAS_DIR") or REPO_ROOT.parent / "shared" / "reference" / "openapi")

PRIMARY_ORG = "sdk-tests"
OTHER_ORG = "sdk-tests-other"
# Disabled for OTHER_ORG only, to show that organization settings do not leak between tenants.
DISABLED_FOR_OTHER_ORG = "bamboohr"

STARTUP_DEADLINE_S = 20.0
SHUTDOWN_DEADLINE_S = 10.0
CLI_TIMEOUT_S = 60.0


# --------------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(data_dir: Path, database_url: str, secret_key: str) -> dict[str, str]:
    """The environment of every joinery process of one instance. Inherited JOINERY_* settings
    (say, a developer's JOINERY_PUBLIC_URL) are dropped so they cannot change what is tested."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("JOINERY_")}
    env.update(
        JOINERY_DATA_DIR=str(data_dir),
        JOINERY_DATABASE_URL=database_url,
        JOINERY_SECRET_KEY=secret_key,
        JOINERY_LOG_FORMAT="json",
        JOINERY_LOG="info,sqlx=warn",
        NO_COLOR="1",
    )
    return env


def run_cli(env: dict[str, str], *args: str) -> str:
    """Runs a joinery subcommand; returns its stdout, stripped."""
    proc = subprocess.run(
        [str(JOINERY_BIN), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"joinery {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
    return proc.stdout.strip()


def create_api_key(env: dict[str, str], organization: str) -> str:
    key = run_cli(env, "api-keys", "create", "--organization", organization)
    # stdout is the key and nothing else.
    assert key and "\n" not in key and " " not in key, f"unexpected api-keys output: {key!r}"
    return key


@dataclass
class ServerProcess:
    process: subprocess.Popen
    base_url: str
    log_path: Path
    _log_offset: int = 0

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "<no log>"

    def new_log_problems(self) -> list[str]:
        """ERROR-level log lines and panics written since the previous call."""
        try:
            with self.log_path.open("rb") as f:
                f.seek(self._log_offset)
                chunk = f.read()
        except OSError:
            return []
        # Only whole lines; a partial last line is read next time.
        end = chunk.rfind(b"\n") + 1
        self._log_offset += end
        problems = []
        for raw in chunk[:end].decode(errors="replace").splitlines():
            line = raw.strip()
            if not line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                # Not a log record: a panic message, a backtrace, anything on stderr.
                if "panicked" in line or "error" in line.lower():
                    problems.append(line)
                continue
            if isinstance(entry, dict) and str(entry.get("level", "")).upper() == "ERROR":
                problems.append(line)
        return problems

    def stop(self, deadline_s: float = SHUTDOWN_DEADLINE_S) -> int:
        """SIGTERM, then wait for a graceful exit. Returns the exit code; raises if the process
        had to be killed."""
        if self.process.poll() is not None:
            return self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=deadline_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(
                f"joinery serve did not exit within {deadline_s}s of SIGTERM; killed it.\n{self.log_tail()}"
            ) from None


def start_server(env: dict[str, str], log_path: Path) -> ServerProcess:
    port = free_port()
    env = dict(env, JOINERY_LISTEN=f"127.0.0.1:{port}")
    base_url = f"http://127.0.0.1:{port}"
    log = log_path.open("ab")
    try:
        # --demo: the provider emulators, so accounts can be linked end to end (test_linking.py).
        process = subprocess.Popen(
            [str(JOINERY_BIN), "serve", "--demo"], env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    finally:
        log.close()
    server = ServerProcess(process=process, base_url=base_url, log_path=log_path)

    deadline = time.monotonic() + STARTUP_DEADLINE_S
    last = "no answer yet"
    with httpx.Client(timeout=2.0) as http:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"joinery serve exited {process.returncode} during startup:\n{server.log_tail()}")
            try:
                r = http.get(f"{base_url}/api/health")
                if r.status_code == 200:
                    assert r.json() == {"status": "ok"}, r.text
                    return server
                last = f"HTTP {r.status_code}: {r.text[:200]}"
            except httpx.TransportError as e:
                last = repr(e)
            if time.monotonic() > deadline:
                with contextlib.suppress(Exception):
                    server.stop(deadline_s=2.0)
                raise RuntimeError(
                    f"joinery serve did not answer GET /api/health with 200 within {STARTUP_DEADLINE_S}s "
                    f"(last: {last}):\n{server.log_tail()}"
                )
            time.sleep(0.05)  # poll interval, bounded by the deadline above


# --------------------------------------------------------------------------------------------
# Databases
# --------------------------------------------------------------------------------------------


def psql(admin_url: str, sql: str) -> None:
    proc = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", admin_url, "-c", sql],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"psql failed ({sql}): {proc.stderr.strip()}")


def with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


@contextlib.contextmanager
def provisioned_database(backend: str, data_dir: Path) -> Iterator[str]:
    """Yields the JOINERY_DATABASE_URL of a fresh, empty database; drops it afterwards."""
    if backend == "sqlite":
        yield f"sqlite://{data_dir / 'joinery.db'}"
        return
    assert backend == "postgres", backend
    admin_url = os.environ.get("JOINERY_TEST_POSTGRES_URL")
    if not admin_url:
        pytest.skip("JOINERY_TEST_POSTGRES_URL not set: PostgreSQL backend not tested")
    name = f"joinery_sdk_{secrets.token_hex(6)}"
    psql(admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield with_database(admin_url, name)
    finally:
        psql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------


@dataclass
class Joinery:
    backend: str
    base_url: str
    api_key: str
    # An API key of OTHER_ORG, which has DISABLED_FOR_OTHER_ORG disabled.
    other_api_key: str
    env: dict[str, str] = field(repr=False)
    data_dir: Path = field(repr=False)
    process: ServerProcess = field(repr=False)

    def demo_credentials(self) -> dict[str, str]:
        """The demo provider credentials `serve --demo` printed."""
        import re

        text = self.process.log_path.read_text(errors="replace")
        bamboo = re.search(r'BambooHR \(demo\): company domain "([^"]+)", API key "([^"]+)"', text)
        gusto = re.search(r'Gusto \(demo\): email "([^"]+)", password "([^"]+)"', text)
        assert bamboo and gusto, "serve --demo printed no demo credentials"
        return {
            "bamboohr_domain": bamboo[1],
            "bamboohr_key": bamboo[2],
            "gusto_email": gusto[1],
            "gusto_password": gusto[2],
        }

    @property
    def api_url(self) -> str:
        """What Merge's SDK takes as base_url: the SDK appends e.g. `hris/v1/link-token`."""
        return f"{self.base_url}/api"


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Joinery]:
    backend = request.param
    if not JOINERY_BIN.is_file():
        pytest.fail(
            f"no joinery binary at {JOINERY_BIN}: run `cargo build -p joinery` or set JOINERY_BIN", pytrace=False
        )
    data_dir = tmp_path_factory.mktemp(f"joinery-{backend}")
    with provisioned_database(backend, data_dir) as database_url:
        env = base_env(data_dir, database_url, secrets.token_hex(32))
        api_key = create_api_key(env, PRIMARY_ORG)
        other_api_key = create_api_key(env, OTHER_ORG)
        run_cli(env, "integrations", "disable", "--organization", OTHER_ORG, DISABLED_FOR_OTHER_ORG)
        proc = start_server(env, data_dir / "server.log")
        joinery = Joinery(
            backend=backend,
            base_url=proc.base_url,
            api_key=api_key,
            other_api_key=other_api_key,
            env=env,
            data_dir=data_dir,
            process=proc,
        )
        try:
            yield joinery
        finally:
            code = proc.stop()
            assert code == 0, f"joinery serve exited {code} after SIGTERM (expected 0):\n{proc.log_tail()}"
            leftover = proc.new_log_problems()
            assert not leftover, "joinery logged errors:\n" + "\n".join(leftover)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "server_bug(reason, backends=None): the test exposes a known server defect (on the given "
        "backends, default all); it is a strict xfail there, so a fix turns it into a failure until "
        "the mark is removed.",
    )


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if os.environ.get("JOINERY_TEST_POSTGRES_URL"):
        terminalreporter.write_line("joinery sdk suite: PostgreSQL backend tested")
    else:
        terminalreporter.write_line(
            "joinery sdk suite: PostgreSQL backend SKIPPED: JOINERY_TEST_POSTGRES_URL not set", yellow=True
        )


def _applicable_server_bug(item: pytest.Item):
    marker = item.get_closest_marker("server_bug")
    if marker is None:
        return None
    backends = marker.kwargs.get("backends")
    callspec = getattr(item, "callspec", None)
    backend = callspec.params.get("server") if callspec is not None else None
    if backends is not None and backend not in backends:
        return None
    return marker


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        marker = _applicable_server_bug(item)
        if marker is not None:
            reason = marker.args[0] if marker.args else marker.kwargs.get("reason", "known server bug")
            item.add_marker(pytest.mark.xfail(reason=f"server bug: {reason}", strict=True))


@pytest.fixture(autouse=True)
def no_server_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails the test if the server logged an error (every 5xx is logged at ERROR) or panicked
    while the test ran: the SDK retries 5xx answers, which could otherwise hide one."""
    if "server" not in request.fixturenames:
        yield
        return
    joinery: Joinery = request.getfixturevalue("server")
    joinery.process.new_log_problems()  # forget anything from before this test
    yield
    problems = joinery.process.new_log_problems()
    if _applicable_server_bug(request.node) is not None:
        return  # the known defect is expected to log errors; the xfail covers it
    assert not problems, "joinery logged errors during this test:\n" + "\n".join(problems)


@pytest.fixture
def client(server: Joinery):
    """Merge's official SDK, changed in nothing but its base URL."""
    from merge import Merge

    return Merge(api_key=server.api_key, base_url=server.api_url)


@pytest.fixture
def other_client(server: Joinery):
    from merge import Merge

    return Merge(api_key=server.other_api_key, base_url=server.api_url)


class NoServerErrorClient(httpx.Client):
    """httpx for the requests the SDK cannot make; every answer must be below 500."""

    def send(self, request: httpx.Request, **kwargs) -> httpx.Response:  # type: ignore[override]
        response = super().send(request, **kwargs)
        assert response.status_code < 500, (
            f"{request.method} {request.url} answered {response.status_code}: {response.text[:500]}"
        )
        return response


@pytest.fixture
def http(server: Joinery) -> Iterator[httpx.Client]:
    with NoServerErrorClient(base_url=server.base_url, timeout=30.0) as c:
        yield c


@pytest.fixture
def auth(server: Joinery) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.api_key}"}


# --------------------------------------------------------------------------------------------
# Merge's OpenAPI schemas
# --------------------------------------------------------------------------------------------


class MergeSchemas:
    """Validates JSON against `components.schemas` of Merge's OAS 3.1 documents (whose schema
    dialect is JSON Schema 2020-12).

    Without the documents (a checkout without shared/ beside it) `validate` checks nothing, and
    test_merge_openapi_documents_are_available reports the skip, so it cannot go unnoticed."""

    def __init__(self, oas_dir: Path):
        self.oas_dir = oas_dir
        self.available = all((oas_dir / f"merge-{spec}.yaml").exists() for spec in ("hris", "ats"))
        self._specs: dict = {}
        self._validators: dict = {}
        if not self.available:
            return
        import yaml
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        registry = Registry()
        for spec in ("hris", "ats"):
            with (oas_dir / f"merge-{spec}.yaml").open() as f:
                document = yaml.safe_load(f)
            self._specs[spec] = document
            registry = registry.with_resource(
                f"urn:merge-{spec}", Resource.from_contents(document, default_specification=DRAFT202012)
            )
        self._registry = registry.crawl()

    def schema(self, spec: str, name: str) -> dict:
        return self._specs[spec]["components"]["schemas"][name]

    def validate(self, spec: str, name: str, instance) -> None:
        if not self.available:
            return
        from jsonschema import Draft202012Validator

        key = (spec, name)
        if key not in self._validators:
            self.schema(spec, name)  # KeyError if Merge's document has no such schema
            self._validators[key] = Draft202012Validator(
                {"$ref": f"urn:merge-{spec}#/components/schemas/{name}"},
                registry=self._registry,
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )
        errors = sorted(self._validators[key].iter_errors(instance), key=lambda e: list(e.absolute_path))
        assert not errors, f"does not match Merge's {spec} {name} schema:\n" + "\n".join(
            f"  at {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors
        )


@pytest.fixture(scope="session")
def merge_schemas() -> MergeSchemas:
    return MergeSchemas(OAS_DIR)
