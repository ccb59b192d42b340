"""Reading HRIS common models through Merge's official SDK and raw HTTP, after a real sync.

One BambooHR account (the demo company of `serve --demo`'s emulator) is linked for the whole
module and its initial sync awaited. Then, for every HRIS list endpoint Merge has:

- the SDK and raw HTTP list the same rows, every body validates against Merge's
  `Paginated<Model>List` / `<Model>` schemas, with `include_remote_data`, `include_deleted_data`,
  `show_enum_origins` and `include_sensitive_fields`; models BambooHR does not fill are empty;
- `.retrieve` equals the listed row, unknown ids are 404s, every `expand` value nests the related
  object exactly as its own endpoint serves it (and it validates against that model's schema);
- paging to the end visits every row once in a stable order; `page_size` and `cursor` are checked;
- every filter Merge documents for employees, employments, time off, balances, groups,
  dependents and locations selects exactly the rows it should (compared with the unfiltered list),
  and bad values are 400s naming the parameter;
- what is served equals what the BambooHR emulator holds.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import httpx
import pytest
from merge import Merge
from merge.core.api_error import ApiError

from conftest import OAS_DIR, Joinery, NoServerErrorClient
from test_linking import account_client, link_bamboohr

SYNC_DEADLINE_S = 60.0
MAX_PAGES = 1000  # a runaway cursor loop fails instead of hanging

# --------------------------------------------------------------------------------------------
# Merge's HRIS list endpoints
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    path: str
    sdk: str  # attribute of `client.hris`
    model: str  # Merge's schema name
    # Expandable relation field -> path of the related model's endpoint.
    expand: dict[str, str] = field(default_factory=dict)
    # Relation fields Merge does not offer to expand -> path of the related endpoint.
    refs: dict[str, str] = field(default_factory=dict)
    origins: tuple[str, ...] = ()  # show_enum_origins fields
    sensitive: tuple[str, ...] = ()  # fields only served with include_sensitive_fields=true
    sdk_expand: bool = True  # whether the SDK's list/retrieve take `expand`

    @property
    def relations(self) -> dict[str, str]:
        return {**self.expand, **self.refs}


_ENDPOINTS = [
    Endpoint(
        "employees",
        "employees",
        "Employee",
        expand={
            "company": "companies",
            "employments": "employments",
            "groups": "groups",
            "home_location": "locations",
            "manager": "employees",
            "pay_group": "pay-groups",
            "team": "teams",
            "work_location": "locations",
        },
        origins=("employment_status", "ethnicity", "gender", "marital_status"),
        sensitive=("ssn",),
    ),
    Endpoint(
        "employments",
        "employments",
        "Employment",
        expand={"employee": "employees", "pay_group": "pay-groups"},
        origins=("employment_type", "flsa_status", "pay_frequency", "pay_period"),
    ),
    Endpoint("companies", "companies", "Company"),
    Endpoint("locations", "locations", "Location", origins=("country", "location_type")),
    # Not in Merge's OpenAPI document; the SDK has it (Employee.team points at it).
    Endpoint("teams", "teams", "Team", expand={"parent_team": "teams"}),
    # Merge's document offers expand=parent_group; the SDK 4.2.1 does not.
    Endpoint("groups", "groups", "Group", expand={"parent_group": "groups"}, origins=("type",), sdk_expand=False),
    Endpoint(
        "time-off",
        "time_off",
        "TimeOff",
        expand={"approver": "employees", "employee": "employees"},
        origins=("request_type", "status", "units"),
    ),
    Endpoint(
        "time-off-balances", "time_off_balances", "TimeOffBalance", expand={"employee": "employees"}, origins=("policy_type",)
    ),
    Endpoint("payroll-runs", "payroll_runs", "PayrollRun", origins=("run_state", "run_type")),
    Endpoint(
        "employee-payroll-runs",
        "employee_payroll_runs",
        "EmployeePayrollRun",
        expand={"employee": "employees", "payroll_run": "payroll-runs"},
    ),
    Endpoint(
        "benefits", "benefits", "Benefit", expand={"employee": "employees"}, refs={"employer_benefit": "employer-benefits"}
    ),
    Endpoint("employer-benefits", "employer_benefits", "EmployerBenefit"),
    Endpoint("bank-info", "bank_info", "BankInfo", expand={"employee": "employees"}, origins=("account_type",)),
    Endpoint(
        "dependents",
        "dependents",
        "Dependent",
        refs={"employee": "employees", "home_location": "locations"},
        sensitive=("ssn",),
    ),
    Endpoint("pay-groups", "pay_groups", "PayGroup"),
    Endpoint("timesheet-entries", "timesheet_entries", "TimesheetEntry", expand={"employee": "employees"}),
]
ENDPOINTS: dict[str, Endpoint] = {e.path: e for e in _ENDPOINTS}
WITH_EXPAND = [e.path for e in _ENDPOINTS if e.expand]
WITH_ORIGINS = [e.path for e in _ENDPOINTS if e.origins]

# Fields of Team as the SDK describes it (Merge's document has no Team schema).
TEAM_FIELDS = [
    "id", "remote_id", "created_at", "modified_at", "name", "parent_team", "remote_was_deleted", "field_mappings",
    "remote_data",
]

# Merge's enums, as filters take them.
EMPLOYMENT_STATUS = ["ACTIVE", "PENDING", "INACTIVE"]
TIME_OFF_STATUS = ["REQUESTED", "APPROVED", "DECLINED", "CANCELLED", "DELETED"]
REQUEST_TYPE = ["VACATION", "SICK", "PERSONAL", "JURY_DUTY", "VOLUNTEER", "BEREAVEMENT"]
LOCATION_TYPE = ["HOME", "WORK"]
GROUP_TYPE = ["TEAM", "DEPARTMENT", "COST_CENTER", "BUSINESS_UNIT", "GROUP"]

# Filters Merge documents, per endpoint: param -> (kind, ...). Kinds:
#   ("eq", field)                       field == value
#   ("ref", field, related path)        field (an id) == value
#   ("enum", field, values)             field == value, one of values
#   ("after"/"before", field)           field (a datetime) > / < value
#   ("any_ref", field, related path)    field (a list of ids) holds any of the comma-separated ids
#   ("related", path, back_ref, field)  a row of `path` pointing here by back_ref has field == value
#   ("bool", field)                     field == value
#   ("oneof", field, values or None)    field is one of the comma-separated values
STD_FILTERS: dict[str, tuple] = {
    "created_after": ("after", "created_at"),
    "created_before": ("before", "created_at"),
    "modified_after": ("after", "modified_at"),
    "modified_before": ("before", "modified_at"),
    "remote_id": ("eq", "remote_id"),
}
FILTERS: dict[str, dict[str, tuple]] = {
    "employees": {
        "company_id": ("ref", "company", "companies"),
        "display_full_name": ("eq", "display_full_name"),
        "employee_number": ("eq", "employee_number"),
        "employment_status": ("enum", "employment_status", EMPLOYMENT_STATUS),
        "employment_type": ("related", "employments", "employee", "employment_type"),
        "first_name": ("eq", "first_name"),
        "groups": ("any_ref", "groups", "groups"),
        "home_location_id": ("ref", "home_location", "locations"),
        "job_title": ("related", "employments", "employee", "job_title"),
        "last_name": ("eq", "last_name"),
        "manager_id": ("ref", "manager", "employees"),
        "pay_group_id": ("ref", "pay_group", "pay-groups"),
        "personal_email": ("eq", "personal_email"),
        "started_after": ("after", "start_date"),
        "started_before": ("before", "start_date"),
        "team_id": ("ref", "team", "teams"),
        "terminated_after": ("after", "termination_date"),
        "terminated_before": ("before", "termination_date"),
        "work_email": ("eq", "work_email"),
        "work_location_id": ("ref", "work_location", "locations"),
    },
    "employments": {"employee_id": ("ref", "employee", "employees")},
    "time-off": {
        "approver_id": ("ref", "approver", "employees"),
        "employee_id": ("ref", "employee", "employees"),
        "ended_after": ("after", "end_time"),
        "ended_before": ("before", "end_time"),
        "request_type": ("enum", "request_type", REQUEST_TYPE),
        "started_after": ("after", "start_time"),
        "started_before": ("before", "start_time"),
        "status": ("enum", "status", TIME_OFF_STATUS),
    },
    "time-off-balances": {
        "employee_id": ("ref", "employee", "employees"),
        "policy_type": ("enum", "policy_type", REQUEST_TYPE),
    },
    "groups": {
        "is_commonly_used_as_team": ("bool", "is_commonly_used_as_team"),
        "names": ("oneof", "name", None),
        "types": ("oneof", "type", GROUP_TYPE),
    },
    "dependents": {"employee_id": ("ref", "employee", "employees")},
    "locations": {"location_type": ("enum", "location_type", LOCATION_TYPE)},
}
FILTER_CASES = [(path, param) for path, filters in FILTERS.items() for param in [*filters, *STD_FILTERS]]

# --------------------------------------------------------------------------------------------
# The linked account
# --------------------------------------------------------------------------------------------


def emulator_base_url(server: Joinery) -> str:
    """The BambooHR emulator's base URL, from the server's JSON log (`serve --demo` logs it)."""
    for line in server.process.log_path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        fields = entry.get("fields", {}) if isinstance(entry, dict) else {}
        if fields.get("message") == "demo provider emulators are running" and fields.get("bamboohr"):
            return fields["bamboohr"]
    raise AssertionError("serve --demo did not log the BambooHR emulator's address")


@dataclass
class Account:
    server: Joinery
    sdk: Merge
    http: httpx.Client
    headers: dict[str, str]
    synced_models: set[str]
    _cache: dict = field(default_factory=dict)

    def get(self, path: str, **params) -> httpx.Response:
        return self.http.get(f"/api/hris/v1/{path}", params=params, headers=self.headers)

    def ok(self, path: str, **params) -> Any:
        r = self.get(path, **params)
        assert r.status_code == 200, f"GET {r.request.url} answered {r.status_code}: {r.text[:500]}"
        return r.json()

    def walk(self, path: str, page_size: int = 100, **params) -> list[dict]:
        """Every row of a raw listing, following `next` to the end."""
        rows: list[dict] = []
        cursor = None
        for _ in range(MAX_PAGES):
            body = self.ok(path, page_size=page_size, **params, **({"cursor": cursor} if cursor else {}))
            rows.extend(body["results"])
            cursor = body["next"]
            if not cursor:
                return rows
        raise AssertionError(f"{path}: more than {MAX_PAGES} pages")

    def all(self, path: str) -> list[dict]:
        """The unfiltered rows of an endpoint (cached for the module)."""
        if path not in self._cache:
            self._cache[path] = self.walk(path)
        return self._cache[path]

    def by_id(self, path: str) -> dict[str, dict]:
        return {r["id"]: r for r in self.all(path)}

    def resource(self, path: str):
        return getattr(self.sdk.hris, ENDPOINTS[path].sdk)

    def model_id(self, path: str) -> str:
        return f"hris.{ENDPOINTS[path].model}"

    def filled(self, path: str) -> bool:
        """Whether the connector syncs this model (then the demo company has rows of it)."""
        return self.model_id(path) in self.synced_models


@pytest.fixture(scope="module")
def acct(server: Joinery) -> Iterator[Account]:
    with NoServerErrorClient(base_url=server.base_url, timeout=30.0) as http:
        admin = Merge(api_key=server.api_key, base_url=server.api_url)
        origin = f"sdk-read-{secrets.token_hex(4)}"
        exchanged = admin.hris.account_token.retrieve(public_token=link_bamboohr(http, server, origin))
        sdk = account_client(server, exchanged.account_token)
        deadline = time.monotonic() + SYNC_DEADLINE_S
        while True:
            statuses = sdk.hris.sync_status.list().results
            assert not [s for s in statuses if s.status == "FAILED"], f"the initial sync failed: {statuses}"
            if statuses and all(s.status == "DONE" for s in statuses):
                break
            assert time.monotonic() < deadline, f"the initial sync did not finish in {SYNC_DEADLINE_S}s: {statuses}"
            time.sleep(0.1)  # poll interval, bounded by the deadline
        problems = server.process.new_log_problems()
        assert not problems, "joinery logged errors while linking and syncing:\n" + "\n".join(problems)
        headers = {"Authorization": f"Bearer {server.api_key}", "X-Account-Token": exchanged.account_token}
        yield Account(server, sdk, http, headers, {s.model_id for s in statuses})


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def validate(merge_schemas, model: str, obj: dict) -> None:
    if model == "Team":
        from merge.resources.hris import Team

        assert list(obj) == TEAM_FIELDS, f"Team fields: {list(obj)}"
        assert isinstance(obj["name"], (str, type(None)))
        Team.model_validate(obj)
        return
    merge_schemas.validate("hris", model, obj)


def validate_page(merge_schemas, model: str, body: dict) -> None:
    if model == "Team":
        assert list(body) == ["next", "previous", "results"], list(body)
        for row in body["results"]:
            validate(merge_schemas, model, row)
        return
    merge_schemas.validate("hris", f"Paginated{model}List", body)


def ids(rows) -> list[str]:
    return [r["id"] if isinstance(r, dict) else r.id for r in rows]


def sdk_walk(resource, page_size: int = 100, **kwargs) -> list:
    items: list = []
    cursor = None
    for _ in range(MAX_PAGES):
        page = resource.list(page_size=page_size, cursor=cursor, **kwargs)
        items.extend(page.results)
        if not page.next:
            return items
        cursor = page.next
    raise AssertionError(f"more than {MAX_PAGES} pages")


def parse_dt(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def api_error(call: Callable[[], Any]) -> ApiError:
    with pytest.raises(ApiError) as e:
        call()
    return e.value


def assert_names_param(response: httpx.Response, param: str) -> None:
    assert response.status_code == 400, f"{response.request.url}: {response.status_code} {response.text[:300]}"
    body = response.json()
    assert isinstance(body, dict) and param in body, f"{response.request.url}: 400 does not name {param}: {body}"
    assert isinstance(body[param], list) and body[param] and all(isinstance(m, str) for m in body[param]), body


def collapse(value):
    """An expanded relation back to its id(s)."""
    if isinstance(value, dict):
        return value["id"]
    if isinstance(value, list):
        return [collapse(v) for v in value]
    return value


# --------------------------------------------------------------------------------------------
# The endpoint table against Merge's OpenAPI document
# --------------------------------------------------------------------------------------------


def test_endpoint_table_is_merges(merge_schemas) -> None:
    """The endpoints, expand values, enum-origin fields and sensitive flags exercised here are the
    ones Merge's HRIS document has (so 'every list endpoint' means every one)."""
    if not merge_schemas.available:
        pytest.skip("Merge's OpenAPI documents are not available")
    import yaml

    with (OAS_DIR / "merge-hris.yaml").open() as f:
        document = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    schemas = document["components"]["schemas"]

    def resolved(schema: dict) -> dict:
        return schemas[schema["$ref"].split("/")[-1]] if "$ref" in schema else schema

    listed = set()
    for path, operations in document["paths"].items():
        get = operations.get("get")
        name = path.removeprefix("/hris/v1/")
        response = json.dumps(get.get("responses", {}).get("200", {})) if get else ""
        if not get or "/" in name or "Paginated" not in response or name in {
            "linked-accounts", "issues", "sync-status", "audit-trail",
        }:
            continue
        listed.add(name)
        assert name in ENDPOINTS, f"Merge lists {path}; not exercised here"
        ep = ENDPOINTS[name]
        assert f"Paginated{ep.model}List" in response, (path, response)
        params = {p["name"]: p for p in get.get("parameters", []) if "name" in p}
        expand = resolved(params["expand"]["schema"]["items"])["enum"] if "expand" in params else []
        assert sorted(expand) == sorted(ep.expand), (path, expand)
        origins = resolved(params["show_enum_origins"]["schema"]) if "show_enum_origins" in params else {"enum": [""]}
        widest = max(origins.get("enum", [""]), key=len)
        assert sorted(filter(None, widest.split(","))) == sorted(ep.origins), (path, widest)
        assert ("include_sensitive_fields" in params) == bool(ep.sensitive), path
        documented = {n for n in params if n not in {"Authorization", "X-Account-Token"}}
        tested = {"cursor", "page_size", "include_deleted_data", "include_remote_data", "include_shell_data",
                  "expand", "show_enum_origins", "remote_fields", "include_sensitive_fields", "order_by"}
        if name in FILTERS:
            missing = documented - tested - set(FILTERS[name]) - set(STD_FILTERS)
            assert not missing, f"{path}: filters not exercised: {missing}"
    assert listed == set(ENDPOINTS) - {"teams"}, listed ^ (set(ENDPOINTS) - {"teams"})


# --------------------------------------------------------------------------------------------
# 1. Every list endpoint: SDK and HTTP agree, bodies validate, flags work
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(ENDPOINTS))
def test_list_endpoint(acct: Account, merge_schemas, path: str) -> None:
    ep = ENDPOINTS[path]
    resource = acct.resource(path)
    plain = acct.ok(path, page_size=100)
    validate_page(merge_schemas, ep.model, plain)
    every = acct.all(path)
    if not acct.filled(path):
        # BambooHR does not fill it: an empty list, still in Merge's shape.
        assert plain == {"next": None, "previous": None, "results": []}, plain
        assert resource.list().results == []
    else:
        assert every, f"{path}: the demo company has rows of {ep.model}, none served"

    flags: dict[str, Any] = {"include_remote_data": "true", "include_deleted_data": "true"}
    if ep.sensitive:
        flags["include_sensitive_fields"] = "true"
    flagged = acct.walk(path, **flags)
    for start in range(0, max(len(flagged), 1), 100):
        validate_page(merge_schemas, ep.model, {"next": None, "previous": None, "results": flagged[start : start + 100]})
    # Nothing was deleted: include_deleted_data lists the same rows.
    assert ids(flagged) == ids(every)
    sdk_kwargs = {k: True for k in flags}
    assert ids(sdk_walk(resource, **sdk_kwargs)) == ids(every)
    assert ids(sdk_walk(resource)) == ids(every)
    assert ids(sdk_walk(resource, page_size=100, include_remote_data=False)) == ids(every)
    assert ids(acct.walk(path, include_shell_data="true")) == ids(every)

    by_id = {r["id"]: r for r in every}
    for row in flagged:
        base = by_id[row["id"]]
        # include_remote_data: the provider's payload(s) of the row; otherwise null.
        assert base["remote_data"] is None, f"{path}: remote_data without include_remote_data: {base}"
        assert isinstance(row["remote_data"], list) and row["remote_data"], f"{path}: no remote_data: {row}"
        for item in row["remote_data"]:
            assert isinstance(item["path"], str) and item["path"].startswith("/"), item
            assert "data" in item, item
        assert row["remote_was_deleted"] is False
        # Otherwise the same object.
        others = {k: v for k, v in row.items() if k not in ("remote_data", *ep.sensitive)}
        assert others == {k: v for k, v in base.items() if k not in ("remote_data", *ep.sensitive)}
        for name in ep.sensitive:
            assert base[name] is None, f"{path}: {name} served without include_sensitive_fields: {base}"
    for name in ep.sensitive:
        if acct.filled(path):
            assert any(r[name] for r in flagged), f"{path}: include_sensitive_fields=true served no {name}"
        sdk_rows = sdk_walk(resource, include_sensitive_fields=True)
        assert [getattr(r, name) for r in sdk_rows] == [r[name] for r in flagged]


@pytest.mark.parametrize("path", WITH_ORIGINS)
def test_show_enum_origins(acct: Account, merge_schemas, path: str) -> None:
    """show_enum_origins (and the deprecated remote_fields) replace the named enum fields, and
    only those, with the provider's values."""
    ep = ENDPOINTS[path]
    every = acct.all(path)
    by_id = {r["id"]: r for r in every}
    names = ",".join(ep.origins)
    origins = acct.walk(path, show_enum_origins=names)
    assert ids(origins) == ids(every)
    assert ids(acct.walk(path, remote_fields=names)) == ids(every)
    assert acct.walk(path, remote_fields=names) == origins
    with_remote = {r["id"]: r for r in acct.walk(path, include_remote_data="true")} if every else {}
    differs = Counter()
    for row in origins:
        base = by_id[row["id"]]
        assert {k: v for k, v in row.items() if k not in ep.origins} == {
            k: v for k, v in base.items() if k not in ep.origins
        }
        for name in ep.origins:
            if base[name] is not None:
                assert isinstance(row[name], str) and row[name], f"{path} {name}: a value without origin: {row}"
            if row[name] != base[name]:
                differs[name] += 1
            if row[name] != base[name] and path != "employments":
                # The origin is what the provider sent: it appears in the row's remote data.
                # (An Employment's remote_data is its compensation row only, while its enums
                # also come from the job and employment-status tables.)
                assert json.dumps(row[name], ensure_ascii=False) in json.dumps(
                    with_remote[row["id"]]["remote_data"], ensure_ascii=False
                ), f"{path} {name}: origin {row[name]!r} not in the provider's payload"
        # Apart from the origins, the row is a valid object of the model.
        validate(merge_schemas, ep.model, {k: v for k, v in row.items() if k not in ep.origins})
    # BambooHR sends these enums as free text (locations and groups get fixed Merge values).
    if path in ("employees", "employments", "time-off", "time-off-balances"):
        assert differs, f"{path}: show_enum_origins={names} changed no value"
    # One field at a time changes only that field.
    for name in ep.origins:
        single = {r["id"]: r for r in acct.walk(path, show_enum_origins=name)}
        for row in origins:
            assert single[row["id"]][name] == row[name]
            assert {k: v for k, v in single[row["id"]].items() if k != name} == {
                k: v for k, v in by_id[row["id"]].items() if k != name
            }
    # Through the SDK.
    sdk_rows = sdk_walk(acct.resource(path), show_enum_origins=names)
    for item, row in zip(sdk_rows, origins, strict=True):
        for name in ep.origins:
            value = getattr(item, name)
            assert (value.value if hasattr(value, "value") else value) == row[name]


# --------------------------------------------------------------------------------------------
# 2. Retrieve and expand
# --------------------------------------------------------------------------------------------


def sample(rows: list, n: int = 12) -> list:
    """Up to n rows spread over the list, first and last included."""
    if len(rows) <= n:
        return rows
    step = (len(rows) - 1) / (n - 1)
    return [rows[round(i * step)] for i in range(n)]


@pytest.mark.parametrize("path", list(ENDPOINTS))
def test_retrieve(acct: Account, merge_schemas, path: str) -> None:
    ep = ENDPOINTS[path]
    resource = acct.resource(path)
    every = acct.all(path)
    listed_sdk = {r.id: r for r in sdk_walk(resource)}
    for row in sample(every):
        raw = acct.ok(f"{path}/{row['id']}")
        assert raw == row
        validate(merge_schemas, ep.model, raw)
        one = resource.retrieve(id=row["id"])
        assert one.dict(by_alias=True) == listed_sdk[row["id"]].dict(by_alias=True)
        # The retrieve flags match the list's.
        flags: dict[str, Any] = {"include_remote_data": "true"}
        if ep.sensitive:
            flags["include_sensitive_fields"] = "true"
        if ep.origins:
            flags["show_enum_origins"] = ",".join(ep.origins)
        flagged = acct.ok(f"{path}/{row['id']}", **flags)
        assert flagged == acct.ok(path, remote_id=row["remote_id"], **flags)["results"][0]
        assert flagged["remote_data"], flagged
        validate(merge_schemas, ep.model, {k: v for k, v in flagged.items() if k not in ep.origins})
    # Unknown ids are 404s, through the SDK and HTTP.
    unknown = str(uuid.uuid4())
    assert api_error(lambda: resource.retrieve(id=unknown)).status_code == 404
    for bad in (unknown, "not-a-uuid"):
        r = acct.get(f"{path}/{bad}")
        assert r.status_code == 404 and r.json() == {"detail": "Not found."}, r.text
    # An id of another model is not found here either.
    other = "companies" if path != "companies" else "employees"
    r = acct.get(f"{path}/{acct.all(other)[0]['id']}")
    assert r.status_code == 404, f"{path}: a {other} id answered {r.status_code}"


@pytest.mark.parametrize("path", WITH_EXPAND)
def test_expand(acct: Account, merge_schemas, path: str) -> None:
    """Each expand value (alone, then all together) nests the related objects exactly as their own
    endpoint serves them; everything else is unchanged."""
    ep = ENDPOINTS[path]
    every = acct.all(path)
    for value in [*ep.expand, ",".join(ep.expand)]:
        names = value.split(",")
        expanded = acct.walk(path, expand=value)
        assert ids(expanded) == ids(every)
        nested_seen = 0
        for row, base in zip(expanded, every, strict=True):
            assert {k: collapse(v) if k in names else v for k, v in row.items()} == base
            for name in names:
                related = acct.by_id(ep.expand[name])
                related_model = ENDPOINTS[ep.expand[name]].model
                values = row[name] if isinstance(row[name], list) else [row[name]]
                for nested in values:
                    if nested is None:
                        continue
                    assert isinstance(nested, dict), f"{path} expand={name}: {nested!r} was not expanded"
                    assert nested == related[nested["id"]], f"{path} expand={name}: differs from its endpoint"
                    validate(merge_schemas, related_model, nested)
                    nested_seen += 1
        # A retrieve expands the same way.
        for row in sample(expanded, 3):
            assert acct.ok(f"{path}/{row['id']}", expand=value) == row
        if any(base[n] for base in every for n in names):
            assert nested_seen, f"{path} expand={value}: nothing nested"
    # Repeated keys (as some clients send lists) mean the same as the comma list.
    repeated = acct.http.get(
        f"/api/hris/v1/{path}", params=[("expand", n) for n in ep.expand], headers=acct.headers
    )
    assert repeated.status_code == 200 and repeated.json()["results"] == acct.ok(path, expand=",".join(ep.expand))[
        "results"
    ]
    r = acct.get(path, expand="no_such_relation")
    assert_names_param(r, "expand")
    if ep.sdk_expand:
        resource = acct.resource(path)
        items = sdk_walk(resource, expand=list(ep.expand))
        raw = acct.walk(path, expand=",".join(ep.expand))
        for item, row in zip(items, raw, strict=True):
            for name in ep.expand:
                got = getattr(item, name)
                if isinstance(row[name], dict):
                    assert getattr(got, "id", None) == row[name]["id"], f"SDK did not parse {path}.{name}"
                elif isinstance(row[name], list):
                    assert [getattr(g, "id", g) for g in got] == [collapse(v) for v in row[name]]
        if every:
            first = every[0]
            one = resource.retrieve(id=first["id"], expand=list(ep.expand))
            assert one.id == first["id"]


def test_references_resolve(acct: Account) -> None:
    """Every relation of every served row names a row its endpoint serves (nothing dangles)."""
    for path, ep in ENDPOINTS.items():
        for row in acct.all(path):
            for name, target in ep.relations.items():
                values = row[name] if isinstance(row[name], list) else [row[name]]
                for value in values:
                    if value is not None:
                        assert value in acct.by_id(target), f"{path} {row['id']}.{name} = {value}: no such {target}"


# --------------------------------------------------------------------------------------------
# 3. Pagination
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["employees", "employments", "time-off"])
def test_pagination_to_the_end(acct: Account, merge_schemas, path: str) -> None:
    ep = ENDPOINTS[path]
    every = ids(acct.all(path))
    assert len(every) > 7
    resource = acct.resource(path)
    for size in (7, 23):
        first = [i.id for i in sdk_walk(resource, page_size=size)]
        again = [i.id for i in sdk_walk(resource, page_size=size)]
        assert first == every, f"page_size={size}: rows missing, repeated or reordered"
        assert again == first, "the order is not stable"
    # Raw pages: Merge's shape, `previous` absent on the first page, and walking back with
    # `previous` from the last page gives the same pages.
    pages, cursor = [], None
    for _ in range(MAX_PAGES):
        body = acct.ok(path, page_size=9, **({"cursor": cursor} if cursor else {}))
        validate_page(merge_schemas, ep.model, body)
        assert len(body["results"]) == 9 or not body["next"]
        pages.append(body)
        cursor = body["next"]
        if not cursor:
            break
    assert pages[0]["previous"] is None and pages[-1]["next"] is None
    assert [i for p in pages for i in ids(p["results"])] == every
    back = pages[-1]
    for expected in reversed(pages[:-1]):
        assert back["previous"], "a page after the first has no previous cursor"
        back = acct.ok(path, page_size=9, cursor=back["previous"])
        assert ids(back["results"]) == ids(expected["results"])
    assert back["previous"] is None


@pytest.mark.parametrize("order", ["effective_date", "-effective_date"])
def test_ordered_pagination(acct: Account, order: str) -> None:
    """employments?order_by=: sorted, and paging visits every row once."""
    every = acct.all("employments")
    items = sdk_walk(acct.sdk.hris.employments, page_size=7, order_by=order)
    assert sorted(i.id for i in items) == sorted(ids(every)), "rows missing or repeated"
    dates = [i.effective_date for i in items if i.effective_date is not None]
    assert dates == sorted(dates, reverse=order.startswith("-"))
    assert [i.id for i in sdk_walk(acct.sdk.hris.employments, page_size=100, order_by=order)] == [i.id for i in items]
    assert_names_param(acct.get("employments", order_by="pay_rate"), "order_by")


def test_page_size_limits(acct: Account) -> None:
    """Merge's maximum is 100: larger sizes give 100 rows; 0, negatives and non-numbers are 400s."""
    total = len(acct.all("time-off"))
    assert total > 100
    for size in (101, 1000):
        body = acct.ok("time-off", page_size=size)
        assert len(body["results"]) == 100 and body["next"], f"page_size={size}: {len(body['results'])} rows"
    assert len(acct.sdk.hris.time_off.list(page_size=1000).results) == 100
    assert len(acct.ok("employees", page_size=1000)["results"]) == len(acct.all("employees"))
    for bad in ("0", "-1", "abc", "1.5"):
        assert_names_param(acct.get("time-off", page_size=bad), "page_size")
    e = api_error(lambda: acct.sdk.hris.employees.list(page_size=0))
    assert e.status_code == 400 and "page_size" in e.body, e.body


def test_malformed_cursor(acct: Account) -> None:
    b64 = lambda s: base64.urlsafe_b64encode(s.encode()).decode().rstrip("=")  # noqa: E731
    for path in ("employees", "employments", "time-off"):
        for bad in ("not a cursor!", "%%%", b64("hello"), b64("k123"), b64("kx.y"), b64("o5"), "AAAA"):
            assert_names_param(acct.get(path, cursor=bad), "cursor")
    e = api_error(lambda: acct.sdk.hris.employees.list(cursor="garbage!!"))
    assert e.status_code == 400 and "cursor" in e.body, e.body


# --------------------------------------------------------------------------------------------
# 4. Filters
# --------------------------------------------------------------------------------------------


@dataclass
class Case:
    value: Any  # what the SDK is given
    matches: Callable[[dict], bool]
    label: str


def _datetime_cases(rows: list[dict], name: str, after: bool) -> list[Case]:
    values = sorted({parse_dt(r[name]) for r in rows if r[name] is not None})
    compare = (lambda v, t: v > t) if after else (lambda v, t: v < t)

    def case(t: dt.datetime, label: str) -> Case:
        return Case(t, lambda r: r[name] is not None and compare(parse_dt(r[name]), t), f"{t.isoformat()} ({label})")

    if not values:
        now = dt.datetime.now(dt.timezone.utc)
        return [case(now - dt.timedelta(days=365 * 100), "long ago"), case(now, "now")]
    middle = values[len(values) // 2]
    return [
        case(middle, "exactly a value"),
        case(middle + dt.timedelta(milliseconds=500), "half a second after a value"),
        case(middle - dt.timedelta(milliseconds=500), "half a second before a value"),
        case(values[0] - dt.timedelta(days=1), "before every value"),
        case(values[-1] + dt.timedelta(days=1), "after every value"),
    ]


def filter_cases(acct: Account, path: str, param: str) -> list[Case]:
    spec = {**FILTERS[path], **STD_FILTERS}[param]
    kind, name = spec[0], spec[1]
    rows = acct.all(path)
    nowhere = f"no-such-{secrets.token_hex(3)}"
    if kind == "eq":
        counts = Counter(r[name] for r in rows if r[name] is not None)
        values = [v for v, _ in counts.most_common(1)] + ([rows[-1][name]] if rows and rows[-1][name] else [])
        return [Case(v, lambda r, v=v: r[name] == v, repr(v)) for v in [*values, nowhere]]
    if kind == "ref":
        counts = Counter(r[name] for r in rows if r[name] is not None)
        values = [v for v, _ in counts.most_common(1)] + [v for v, _ in counts.most_common()[-1:]]
        if not values:
            # Nothing points anywhere: an existing target still selects nothing.
            values = ids(acct.all(spec[2])[:1])
        values.append(str(uuid.uuid4()))
        return [Case(v, lambda r, v=v: r[name] == v, v) for v in values]
    if kind == "enum":
        return [Case(v, lambda r, v=v: r[name] == v, v) for v in spec[2]]
    if kind in ("after", "before"):
        return _datetime_cases(rows, name, kind == "after")
    if kind == "any_ref":
        counts = Counter(g for r in rows for g in r[name])
        common = [g for g, _ in counts.most_common()]
        choices = [common[:1], [common[0], common[-1]]] if common else []
        choices.append([str(uuid.uuid4())])
        return [Case(",".join(c), lambda r, c=c: bool(set(r[name]) & set(c)), ",".join(c)) for c in choices]
    if kind == "related":
        related_path, back_ref, related_field = spec[1], spec[2], spec[3]
        related = acct.all(related_path)
        counts = Counter(x[related_field] for x in related if x[related_field] is not None)
        values = [v for v, _ in counts.most_common(1)] + [v for v, _ in counts.most_common()[-1:]] + [nowhere]

        def matches(r: dict, v) -> bool:
            return any(x[back_ref] == r["id"] and x[related_field] == v for x in related)

        return [Case(v, lambda r, v=v: matches(r, v), repr(v)) for v in values]
    if kind == "bool":
        return [Case(v, lambda r, b=b: r[name] is b, v) for v, b in (("true", True), ("false", False))]
    if kind == "oneof":
        allowed = spec[2]
        if allowed is None:
            counts = Counter(r[name] for r in rows if r[name] is not None)
            common = [v for v, _ in counts.most_common()]
            choices = [common[:1], common[:2], [nowhere]] if common else [[nowhere]]
        else:
            choices = [[v] for v in allowed] + [allowed[1:4:2]]
        return [Case(",".join(c), lambda r, c=c: r[name] in c, ",".join(c)) for c in choices]
    raise AssertionError(f"unknown filter kind {kind}")


@pytest.mark.parametrize("path,param", FILTER_CASES, ids=[f"{p}?{q}" for p, q in FILTER_CASES])
def test_filter(acct: Account, path: str, param: str) -> None:
    """The filter, through the SDK, returns exactly the rows of the unfiltered list that match,
    in the same order."""
    every = acct.all(path)
    assert every, f"{path}: no rows to filter"
    resource = acct.resource(path)
    nonempty = 0
    for case in filter_cases(acct, path, param):
        expected = [r["id"] for r in every if case.matches(r)]
        got = [i.id for i in sdk_walk(resource, **{param: case.value})]
        assert got == expected, (
            f"{path}?{param}={case.label}: {len(got)} rows, expected {len(expected)}; "
            f"unexpected {sorted(set(got) - set(expected))[:5]}, missing {sorted(set(expected) - set(got))[:5]}"
        )
        nonempty += bool(expected)
    spec = {**FILTERS[path], **STD_FILTERS}[param]
    has_data = spec[0] in ("enum", "bool", "oneof", "related") or any(
        (r[spec[1]] not in (None, [])) for r in every
    )
    if has_data:
        assert nonempty, f"{path}?{param}: every case selected nothing; the test proves nothing"


BAD_VALUES = {
    "ref": "not-a-uuid",
    "any_ref": "not-a-uuid",
    "enum": "NOT_A_CHOICE",
    "after": "not-a-date",
    "before": "not-a-date",
    "bool": "maybe",
}


def bad_value(spec: tuple) -> str | None:
    """A value the filter must refuse; None when any string is valid."""
    if spec[0] == "oneof":
        return "NOT_A_CHOICE" if spec[2] is not None else None
    return BAD_VALUES.get(spec[0])


@pytest.mark.parametrize("path", list(FILTERS))
def test_bad_filter_values(acct: Account, path: str) -> None:
    """A malformed UUID, an unknown enum value, a bad datetime or boolean: 400 naming the parameter."""
    checked = 0
    for param, spec in {**FILTERS[path], **STD_FILTERS}.items():
        bad = bad_value(spec)
        if spec[0] == "any_ref":
            assert_names_param(acct.get(path, **{param: f"{uuid.uuid4()},not-a-uuid"}), param)
        if bad is None:
            continue
        assert_names_param(acct.get(path, **{param: bad}), param)
        checked += 1
    assert checked
    # The same through the SDK (which types datetimes, so a UUID or enum filter).
    param, bad = next((p, bad_value(s)) for p, s in FILTERS[path].items() if s[0] not in ("after", "before") and bad_value(s))
    e = api_error(lambda: sdk_walk(acct.resource(path), **{param: bad}))
    assert e.status_code == 400 and param in e.body, e.body
    for flag in ("include_remote_data", "include_deleted_data"):
        assert_names_param(acct.get(path, **{flag: "maybe"}), flag)
    ep = ENDPOINTS[path]
    if ep.origins:
        assert_names_param(acct.get(path, show_enum_origins="no_such_field"), "show_enum_origins")


def test_group_types(acct: Account) -> None:
    types = acct.sdk.hris.groups.types_list().types
    assert sorted(types) == sorted({g["type"] for g in acct.all("groups") if g["type"]})


# --------------------------------------------------------------------------------------------
# 5. What is served equals what the emulator holds
# --------------------------------------------------------------------------------------------


@dataclass
class BambooHR:
    base: str
    key: str

    def get(self, path: str, **params) -> Any:
        r = httpx.get(f"{self.base}/{path}", params=params, auth=(self.key, "x"), headers={"Accept": "application/json"}, timeout=30)
        assert r.status_code == 200, f"emulator GET {path}: {r.status_code} {r.text[:300]}"
        return r.json()

    def report(self, fields: list[str]) -> list[dict]:
        r = httpx.post(
            f"{self.base}/reports/custom",
            params={"format": "JSON", "onlyCurrent": "true"},
            json={"title": "sdk test", "fields": fields},
            auth=(self.key, "x"),
            headers={"Accept": "application/json"},
            timeout=30,
        )
        assert r.status_code == 200, f"emulator custom report: {r.status_code} {r.text[:300]}"
        return r.json()["employees"]


@pytest.fixture(scope="module")
def bamboohr(server: Joinery) -> BambooHR:
    demo = server.demo_credentials()
    base = emulator_base_url(server)
    return BambooHR(f"{base}/api/gateway.php/{demo['bamboohr_domain']}/v1", demo["bamboohr_key"])


def _date(value: str | None) -> str | None:
    return None if value in (None, "", "0000-00-00") else value


def test_employees_equal_the_emulator(acct: Account, bamboohr: BambooHR) -> None:
    served = {e["remote_id"]: e for e in acct.walk("employees", include_sensitive_fields="true")}
    by_row_id = {e["id"]: e for e in served.values()}
    report = bamboohr.report([
        "employeeNumber", "firstName", "lastName", "displayName", "preferredName", "workEmail", "homeEmail",
        "mobilePhone", "supervisorEId", "ssn", "status", "hireDate", "terminationDate",
    ])
    assert sorted(served) == sorted(e["id"] for e in report), "the synced employees are not the emulator's"
    for remote in report:
        e = served[remote["id"]]
        name = f"employee {remote['id']}"
        assert (e["first_name"], e["last_name"], e["work_email"]) == (
            remote["firstName"], remote["lastName"], remote["workEmail"]
        ), name
        assert e["employee_number"] == remote["employeeNumber"], name
        assert e["display_full_name"] == remote["displayName"], name
        assert e["preferred_name"] == remote["preferredName"], name
        assert e["personal_email"] == remote["homeEmail"], name
        assert e["mobile_phone_number"] == remote["mobilePhone"], name
        assert e["ssn"] == remote["ssn"], name
        assert e["employment_status"] == (remote["status"] or "").upper(), name
        manager = by_row_id.get(e["manager"]) if e["manager"] else None
        assert (manager["remote_id"] if manager else None) == (remote["supervisorEId"] or None), name
        assert (e["start_date"] or "")[:10] == (_date(remote["hireDate"]) or ""), name
        assert (e["termination_date"] or "")[:10] == (_date(remote["terminationDate"]) or ""), name
    # The directory lists the current employees: each is served, active, with the same names.
    directory = bamboohr.get("employees/directory")["employees"]
    assert directory
    for d in directory:
        e = served.get(d["id"])
        assert e, f"directory employee {d['id']} is not served"
        assert (e["first_name"], e["last_name"], e["work_email"], e["employment_status"]) == (
            d["firstName"], d["lastName"], d["workEmail"], "ACTIVE"
        )
    assert {d["id"] for d in directory} == {r for r, e in served.items() if e["employment_status"] == "ACTIVE"}


def test_other_models_equal_the_emulator(acct: Account, bamboohr: BambooHR) -> None:
    employee_ids = {e["id"]: e["remote_id"] for e in acct.all("employees")}

    info = bamboohr.get("company_information")
    [company] = acct.all("companies")
    assert (company["legal_name"], company["display_name"]) == (info["legalName"], info["displayName"])

    lists = {l["alias"]: [o for o in l["options"] if o.get("archived") != "yes"] for l in bamboohr.get("meta/lists")}
    assert sorted(l["name"] for l in acct.all("locations")) == sorted(o["name"] for o in lists["location"])
    assert sorted(t["name"] for t in acct.all("teams")) == sorted(o["name"] for o in lists["department"])
    assert sorted((g["type"], g["name"]) for g in acct.all("groups")) == sorted(
        [("DEPARTMENT", o["name"]) for o in lists["department"]]
        + [("BUSINESS_UNIT", o["name"]) for o in lists["division"]]
    )

    compensation = bamboohr.get("employees/all/tables/compensation")
    employments = {e["remote_id"]: e for e in acct.all("employments")}
    assert sorted(employments) == sorted(str(c["id"]) for c in compensation)
    for c in compensation:
        e = employments[str(c["id"])]
        assert employee_ids[e["employee"]] == str(c["employeeId"])
        assert e["pay_rate"] == float(c["rate"]["value"]) and e["pay_currency"] == c["rate"]["currency"]
        assert (e["effective_date"] or "")[:10] == c["startDate"]

    dependents = {d["remote_id"]: d for d in acct.walk("dependents", include_sensitive_fields="true")}
    remote = bamboohr.get("employeedependents")["Employee Dependents"]
    assert sorted(dependents) == sorted(str(d["id"]) for d in remote)
    for d in remote:
        s = dependents[str(d["id"])]
        assert (s["first_name"], s["last_name"], s["middle_name"]) == (d["firstName"], d["lastName"], d["middleName"])
        assert employee_ids[s["employee"]] == str(d["employeeId"])
        assert s["ssn"] == d["maskedSSN"]
        assert (s["date_of_birth"] or "")[:10] == (_date(d["dateOfBirth"]) or "")

    # Time off: the window the connector reads (two years back, one ahead).
    today = dt.datetime.now(dt.timezone.utc).date()
    requests = bamboohr.get(
        "time_off/requests", start=str(today - dt.timedelta(days=730)), end=str(today + dt.timedelta(days=365))
    )
    time_off = {t["remote_id"]: t for t in acct.all("time-off")}
    assert sorted(time_off) == sorted(str(r["id"]) for r in requests)
    for r in requests:
        t = time_off[str(r["id"])]
        assert employee_ids[t["employee"]] == str(r["employeeId"])
        assert (t["start_time"][:10], t["end_time"][:10]) == (r["start"], r["end"])
        assert t["amount"] == float(r["amount"]["amount"]) and t["units"] == r["amount"]["unit"].upper()

    # Balances, from each active employee's time-off calculator. Merge serves them in hours:
    # "For integrations that return this value in days, Merge multiplies by 8".
    balances = {b["remote_id"]: b for b in acct.all("time-off-balances")}
    expected_keys = set()
    for d in bamboohr.get("employees/directory")["employees"]:
        for row in bamboohr.get(f"employees/{d['id']}/time_off/calculator"):
            key = f"{d['id']}:{row['timeOffType']}"
            expected_keys.add(key)
            b = balances[key]
            assert employee_ids[b["employee"]] == d["id"]
            hours = 8 if row["units"] == "days" else 1
            assert (b["balance"], b["used"]) == (float(row["balance"]) * hours, float(row["usedYearToDate"]) * hours), (
                f"time-off-balance {key}: served {b['balance']}/{b['used']}, BambooHR has "
                f"{row['balance']}/{row['usedYearToDate']} {row['units']}"
            )
    assert sorted(balances) == sorted(expected_keys)
