"""Linking accounts, then managing them with Merge's official SDK.

Accounts are linked the way a headless client does it, through Joinery Link's JSON API against the
provider emulators that `serve --demo` runs (BambooHR with an API key, Gusto with OAuth consent).
Everything after the public token goes through the SDK: `account_token.retrieve`,
`linked_accounts.list`, `account_details.retrieve`, `account_token.regenerate_create`,
`delete_account.delete`. Bodies are validated against Merge's OpenAPI schemas.
"""

from __future__ import annotations

import re
import secrets
import urllib.parse

import httpx
import pytest
from merge import Merge
from merge.core.api_error import ApiError

from conftest import Joinery


def new_link_token(http: httpx.Client, api_key: str, origin_id: str, **extra) -> str:
    body = dict(
        end_user_email_address="ada@example.com",
        end_user_organization_name="Example Corp",
        end_user_origin_id=origin_id,
        categories=["hris"],
        **extra,
    )
    r = http.post("/api/hris/v1/link-token", json=body, headers={"Authorization": f"Bearer {api_key}"})
    assert r.status_code == 200, r.text
    return r.json()["link_token"]


def link_bamboohr(http: httpx.Client, server: Joinery, origin_id: str, api_key: str | None = None) -> str:
    """Links the demo BambooHR company through the Link JSON API; returns the public token."""
    demo = server.demo_credentials()
    token = new_link_token(http, api_key or server.api_key, origin_id)
    r = http.get("/api/link/v1/session", headers={"X-Link-Token": token})
    assert r.status_code == 200, r.text
    assert "bamboohr" in [i["slug"] for i in r.json()["integrations"]]
    r = http.post(
        "/api/link/v1/connect",
        headers={"X-Link-Token": token},
        json={
            "integration": "bamboohr",
            "credentials": {"company_domain": demo["bamboohr_domain"], "api_key": demo["bamboohr_key"]},
        },
    )
    assert r.status_code == 200, r.text
    return r.json()["public_token"]


def link_gusto(http: httpx.Client, server: Joinery, origin_id: str) -> str:
    """Links the demo Gusto company with OAuth: start, consent on the emulator, callback,
    complete. Returns the public token."""
    demo = server.demo_credentials()
    token = new_link_token(http, server.api_key, origin_id)
    r = http.post("/api/link/v1/oauth/start", headers={"X-Link-Token": token}, json={"integration": "gusto"})
    assert r.status_code == 200, r.text
    authorize_url, state = r.json()["authorize_url"], r.json()["state"]
    with httpx.Client(timeout=30.0, follow_redirects=False) as browser:
        consent = browser.get(authorize_url)
        assert consent.status_code == 200
        assert 'name="password"' in consent.text
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize_url).query))
        origin = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(authorize_url))
        form = dict(query, email=demo["gusto_email"], password=demo["gusto_password"], decision="allow")
        redirect = browser.post(f"{origin}/oauth/authorize", data=form)
        assert redirect.status_code == 302, redirect.text
        callback = redirect.headers["location"]
        assert callback.startswith(f"{server.base_url}/link/oauth/callback?"), callback
        assert browser.get(callback).status_code == 200
    r = http.post("/api/link/v1/oauth/complete", headers={"X-Link-Token": token}, json={"state": state})
    assert r.status_code == 200, r.text
    return r.json()["public_token"]


def account_client(server: Joinery, account_token: str) -> Merge:
    return Merge(api_key=server.api_key, account_token=account_token, base_url=server.api_url)


def test_link_exchange_and_manage_with_the_sdk(server: Joinery, client: Merge, http, merge_schemas) -> None:
    origin = f"sdk-{secrets.token_hex(4)}"
    public_token = link_bamboohr(http, server, origin)

    exchanged = client.hris.account_token.retrieve(public_token=public_token)
    assert exchanged.integration.slug == "bamboohr"
    assert exchanged.integration.name == "BambooHR"
    assert exchanged.account_token and exchanged.account_token != public_token
    merge_schemas.validate("hris", "AccountToken", exchanged.dict(by_alias=True, exclude_unset=True))
    # Public tokens are single use.
    with pytest.raises(ApiError) as e:
        client.hris.account_token.retrieve(public_token=public_token)
    assert e.value.status_code == 404

    page = client.hris.linked_accounts.list(end_user_origin_id=origin)
    assert [a.id for a in page.results] == [exchanged.id]
    account = page.results[0]
    assert (account.status, account.category, account.integration.slug) == ("COMPLETE", "hris", "bamboohr")
    assert account.end_user_origin_id == origin
    raw = http.get(
        "/api/hris/v1/linked-accounts", params={"end_user_origin_id": origin}, headers={"Authorization": f"Bearer {server.api_key}"}
    ).json()
    merge_schemas.validate("hris", "PaginatedAccountDetailsAndActionsList", raw)
    # The ATS namespace lists the same organization-wide accounts.
    assert [a.id for a in client.ats.linked_accounts.list(end_user_origin_id=origin).results] == [exchanged.id]
    assert client.hris.linked_accounts.list(end_user_origin_id=origin, status="RELINK_NEEDED").results == []

    with_account = account_client(server, exchanged.account_token)
    details = with_account.hris.account_details.retrieve()
    assert (details.id, details.integration_slug, details.category) == (exchanged.id, "bamboohr", "hris")
    raw = http.get(
        "/api/hris/v1/account-details",
        headers={"Authorization": f"Bearer {server.api_key}", "X-Account-Token": exchanged.account_token},
    ).json()
    merge_schemas.validate("hris", "AccountDetails", raw)

    rotated = with_account.hris.account_token.regenerate_create()
    assert rotated.linked_account_id == exchanged.id
    assert rotated.account_token != exchanged.account_token
    with pytest.raises(ApiError) as e:
        with_account.hris.account_details.retrieve()
    assert e.value.status_code == 401
    with_new = account_client(server, rotated.account_token)
    assert with_new.ats.account_details.retrieve().id == exchanged.id

    with_new.hris.delete_account.delete()
    with pytest.raises(ApiError) as e:
        with_new.hris.account_details.retrieve()
    assert e.value.status_code == 401
    assert client.hris.linked_accounts.list(end_user_origin_id=origin).results == []


def test_oauth_linked_account_through_the_sdk(server: Joinery, client: Merge, http) -> None:
    origin = f"sdk-oauth-{secrets.token_hex(4)}"
    exchanged = client.hris.account_token.retrieve(public_token=link_gusto(http, server, origin))
    assert exchanged.integration.slug == "gusto"
    details = account_client(server, exchanged.account_token).hris.account_details.retrieve()
    assert details.integration == "Gusto"
    assert details.instance_display_value


def test_relink_duplicates_and_other_organizations(server: Joinery, client: Merge, other_client: Merge, http) -> None:
    origin = f"sdk-relink-{secrets.token_hex(4)}"
    first = client.hris.account_token.retrieve(public_token=link_bamboohr(http, server, origin))
    again = client.hris.account_token.retrieve(public_token=link_bamboohr(http, server, origin))
    assert (again.id, again.account_token) == (first.id, first.account_token)

    # The same BambooHR company for another end user: a flagged duplicate.
    dup_origin = f"{origin}-dup"
    duplicate = client.hris.account_token.retrieve(public_token=link_bamboohr(http, server, dup_origin))
    listed = client.hris.linked_accounts.list(id=duplicate.id).results
    assert [a.is_duplicate for a in listed] == [True]
    with_duplicates = client.hris.linked_accounts.list(id=first.id, include_duplicates=True).results
    assert {first.id, duplicate.id} <= {a.id for a in with_duplicates}

    # Another organization sees none of it and cannot exchange this organization's tokens.
    public_token = link_bamboohr(http, server, f"{origin}-x")
    with pytest.raises(ApiError) as e:
        other_client.hris.account_token.retrieve(public_token=public_token)
    assert e.value.status_code == 404
    assert other_client.hris.linked_accounts.list(id=first.id).results == []
    foreign = Merge(api_key=server.other_api_key, account_token=first.account_token, base_url=server.api_url)
    with pytest.raises(ApiError) as e:
        foreign.hris.account_details.retrieve()
    assert e.value.status_code == 401
    # The token was not burnt by the foreign attempt.
    assert client.hris.account_token.retrieve(public_token=public_token).integration.slug == "bamboohr"


def test_credentials_never_reach_logs_or_responses(server: Joinery, client: Merge, http) -> None:
    demo = server.demo_credentials()
    origin = f"sdk-leak-{secrets.token_hex(4)}"
    token = new_link_token(http, server.api_key, origin)
    wrong_key = f"wrong-{secrets.token_hex(8)}"
    r = http.post(
        "/api/link/v1/connect",
        headers={"X-Link-Token": token},
        json={"integration": "bamboohr", "credentials": {"company_domain": demo["bamboohr_domain"], "api_key": wrong_key}},
    )
    assert r.status_code == 400 and r.json()["errors"][0]["problem_type"] == "INVALID_CREDENTIALS", r.text
    assert wrong_key not in r.text
    public_token = link_bamboohr(http, server, origin)
    exchanged = client.hris.account_token.retrieve(public_token=public_token)
    accounts = http.get("/api/hris/v1/linked-accounts", headers={"Authorization": f"Bearer {server.api_key}"}).text
    assert demo["bamboohr_key"] not in accounts
    log = server.process.log_path.read_text(errors="replace")
    # The demo banner prints the demo key once, by design; nothing else may.
    banner_free = re.sub(r'BambooHR \(demo\): company domain "[^"]+", API key "[^"]+"', "", log)
    assert "public token exchanged" in log, "the exchange is logged (with its route, not its path)"
    for secret in (demo["bamboohr_key"], wrong_key, exchanged.account_token, token, public_token):
        assert secret not in banner_free, "a credential or token reached the server log"


def test_synced_employees_through_the_sdk(server: Joinery, client: Merge, http, merge_schemas) -> None:
    """Linking queues the initial sync; the embedded worker fills the common models from the
    BambooHR emulator; the SDK lists, pages and expands them; bodies match Merge's schemas."""
    import time

    origin = f"sdk-sync-{secrets.token_hex(4)}"
    exchanged = client.hris.account_token.retrieve(public_token=link_bamboohr(http, server, origin))
    with_account = account_client(server, exchanged.account_token)
    headers = {"Authorization": f"Bearer {server.api_key}", "X-Account-Token": exchanged.account_token}
    deadline = time.monotonic() + 60
    while True:
        statuses = with_account.hris.sync_status.list().results
        if statuses and all(s.status == "DONE" for s in statuses):
            break
        assert time.monotonic() < deadline, "the initial sync did not finish in time"
        time.sleep(0.1)  # poll interval, bounded by the deadline
    first = with_account.hris.employees.list(page_size=100)
    assert first.results and not first.next
    total = len(first.results)
    assert total >= 10

    # Pagination to the end with the SDK: every employee exactly once.
    seen, cursor = [], None
    while True:
        page = with_account.hris.employees.list(page_size=7, cursor=cursor)
        seen.extend(e.id for e in page.results)
        if not page.next:
            break
        cursor = page.next
    assert len(seen) == total and len(set(seen)) == total

    raw = http.get("/api/hris/v1/employees", params={"page_size": 5}, headers=headers).json()
    merge_schemas.validate("hris", "PaginatedEmployeeList", raw)
    # Merge's OpenAPI document types relations as ids only; expanded objects are checked here.
    expanded = http.get("/api/hris/v1/employees", params={"page_size": 5, "expand": "company,manager"}, headers=headers)
    employee = expanded.json()["results"][0]
    assert isinstance(employee["company"], dict) and employee["company"]["legal_name"]
    merge_schemas.validate("hris", "Company", employee["company"])
    one = with_account.hris.employees.retrieve(id=employee["id"], expand="company")
    assert one.id == employee["id"] and one.first_name == employee["first_name"]
    merge_schemas.validate(
        "hris", "Employee", http.get(f"/api/hris/v1/employees/{employee['id']}", headers=headers).json()
    )
    active = with_account.hris.employees.list(employment_status="ACTIVE", page_size=100).results
    assert active and all(e.employment_status == "ACTIVE" for e in active)
    companies = http.get("/api/hris/v1/companies", headers=headers).json()
    merge_schemas.validate("hris", "PaginatedCompanyList", companies)
    assert len(companies["results"]) == 1

    statuses = with_account.hris.sync_status.list()
    assert {s.model_id for s in statuses.results} == {
        "hris.Company", "hris.Location", "hris.Group", "hris.Team", "hris.Employment", "hris.Employee",
        "hris.TimeOff", "hris.Dependent", "hris.TimeOffBalance",
    }
    for path, schema in [
        ("locations", "PaginatedLocationList"), ("groups", "PaginatedGroupList"), ("employments", "PaginatedEmploymentList"),
        ("time-off", "PaginatedTimeOffList"), ("dependents", "PaginatedDependentList"),
    ]:
        merge_schemas.validate("hris", schema, http.get(f"/api/hris/v1/{path}", headers=headers).json())
    assert all(s.status == "DONE" and not s.is_initial_sync for s in statuses.results)
    merge_schemas.validate("hris", "PaginatedSyncStatusList", http.get("/api/hris/v1/sync-status", headers=headers).json())
    forced = with_account.hris.force_resync.sync_status_resync_create()
    assert {s.status for s in forced} == {"SYNCING"}
    assert set(with_account.hris.groups.types_list().types) == {"DEPARTMENT", "BUSINESS_UNIT"}
