"""Merge's official Python SDK (MergePythonClient 4.2.1) against a real Joinery server.

The SDK is used exactly as a Merge customer uses it, with one change: `base_url`. Where the SDK
cannot express a request (another endpoint, a bad header, a broken body) plain httpx is used,
and every httpx answer is checked to be below 500 (see `http` in conftest.py).

Successful bodies are also validated against Merge's OpenAPI documents (`merge_schemas`).

Tests marked `server_bug` document a server defect found by this suite: they are expected to
fail (strict xfail), so fixing the server makes them XPASS, which fails the run until the mark is
removed.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import string
import urllib.parse
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import httpx
import pytest
from merge import AsyncMerge, Merge
from merge.core.api_error import ApiError
from merge.resources.hris import (
    CommonModelScopesBodyRequest,
    FieldPermissionDeserializerRequest,
    IndividualCommonModelScopeDeserializerRequest,
    ModelPermissionDeserializerRequest,
)

from conftest import (
    DISABLED_FOR_OTHER_ORG,
    Joinery,
    MergeSchemas,
    ServerProcess,
    base_env,
    create_api_key,
    start_server,
)

END_USER = dict(
    end_user_email_address="ada@example.com",
    end_user_organization_name="Example Corp",
    end_user_origin_id="user-1",
)
MINIMAL = dict(END_USER, categories=["hris"])
LINK_TOKEN_FIELDS = {"link_token", "integration_name", "magic_link_url"}
# Merge's AccountIntegration, member for member.
INTEGRATION_FIELDS = {
    "name",
    "abbreviated_name",
    "slug",
    "categories",
    "image",
    "square_image",
    "color",
    "api_endpoints_to_documentation_urls",
    "webhook_setup_guide_url",
    "category_beta_status",
}
PROMISED_INTEGRATIONS = {
    "bamboohr": "hris",
    "personio": "hris",
    "hibob": "hris",
    "gusto": "hris",
    "greenhouse": "ats",
    "lever": "ats",
    "ashby": "ats",
    "workable": "ats",
}
MERGE_CATEGORIES = {"hris", "ats", "accounting", "ticketing", "crm", "mktg", "filestorage", "knowledgebase"}
URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")
# The SDK's sentinel for "leave this member out of the body" (`OMIT` in its raw clients): passing
# it for a required argument sends a body without that member.
SDK_OMIT: Any = ...


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def wire_json(raw_response) -> Any:
    """The JSON body exactly as the server sent it. The SDK's HttpResponse keeps the httpx
    response in `_response` (4.2.1 has no public accessor for the body)."""
    return raw_response._response.json()


def check_link_token(
    merge_schemas: MergeSchemas, body: Any, *, spec: str = "hris", integration_name=None, magic: bool = False
) -> str:
    """Checks a LinkToken body member by member and against Merge's schema; returns the token."""
    assert isinstance(body, dict) and set(body) == LINK_TOKEN_FIELDS, body
    token = body["link_token"]
    assert isinstance(token, str) and len(token) >= 40 and URL_SAFE.match(token), token
    assert body["integration_name"] == integration_name
    if magic:
        assert isinstance(body["magic_link_url"], str) and body["magic_link_url"]
    else:
        assert body["magic_link_url"] is None
    # Merge's OAS declares integration_name and magic_link_url as `type: string` (not nullable),
    # yet Merge itself, and Joinery like it, answer null when there is no integration or magic
    # link (the SDK models them as Optional[str]). So only the non-null members are validated
    # against the schema; the null ones are checked explicitly above.
    merge_schemas.validate(spec, "LinkToken", {k: v for k, v in body.items() if v is not None})
    return token


def sdk_error(call: Callable[[], Any]) -> ApiError:
    with pytest.raises(ApiError) as info:
        call()
    return info.value


def messages(errors: Any) -> list[str]:
    """Every message in a DRF-shaped error value (a list, or a dict nesting lists)."""
    if isinstance(errors, str):
        return [errors]
    if isinstance(errors, list):
        return [m for e in errors for m in messages(e)]
    if isinstance(errors, dict):
        return [m for e in errors.values() for m in messages(e)]
    raise AssertionError(f"not a DRF error value: {errors!r}")


def assert_field_error(err: ApiError, field: str, fragment: str | None = None) -> None:
    assert err.status_code == 400, f"{err.status_code}: {err.body}"
    assert isinstance(err.body, dict), err.body
    assert set(err.body) == {field}, f"expected errors for {field!r} only, got {err.body}"
    found = messages(err.body[field])
    assert found and all(isinstance(m, str) and m for m in found), err.body
    if fragment is not None:
        assert any(fragment in m for m in found), f"{fragment!r} not in {found}"


BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def joinery_key_checksum(random_part: str) -> str:
    """The 6-character base62 CRC-32 that ends a Joinery API key."""
    n = zlib.crc32(random_part.encode())
    check = ""
    for _ in range(6):
        check = BASE62[n % 62] + check
        n //= 62
    return check


def well_formed_unknown_api_key() -> str:
    """A key in Joinery's format (prefix, 43 base62 characters, checksum) that no server issued,
    so it passes the shape check and must be refused by the database lookup."""
    random_part = "".join(BASE62[b % 62] for b in uuid.uuid4().bytes + uuid.uuid4().bytes + uuid.uuid4().bytes)[:43]
    return f"jny_sk_{random_part}{joinery_key_checksum(random_part)}"


def walk_enabled_integrations(http: httpx.Client, api_key: str, page_size: int) -> list[dict]:
    headers = {"Authorization": f"Bearer {api_key}"}
    items: list[dict] = []
    cursor = None
    for page_number in range(1000):
        params: dict[str, Any] = {"page_size": page_size}
        if cursor is not None:
            params["cursor"] = cursor
        r = http.get("/api/organizations/integrations", params=params, headers=headers)
        assert r.status_code == 200, r.text
        page = r.json()
        assert set(page) == {"next", "previous", "results"}, page
        assert len(page["results"]) <= page_size
        if page_number == 0:
            assert page["previous"] is None
        else:
            assert isinstance(page["previous"], str) and page["previous"]
        items.extend(page["results"])
        cursor = page["next"]
        if cursor is None:
            return items
        assert len(page["results"]) == page_size, "only the last page may be short"
    raise AssertionError("pagination never ended")


# --------------------------------------------------------------------------------------------
# Link tokens through the SDK: successes
# --------------------------------------------------------------------------------------------


def test_minimal_link_token(client: Merge, merge_schemas: MergeSchemas):
    raw = client.hris.link_token.with_raw_response.create(**MINIMAL)
    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("application/json")
    token = check_link_token(merge_schemas, wire_json(raw))
    # The SDK's own model reads the same answer.
    assert raw.data.link_token == token
    assert raw.data.integration_name is None
    assert raw.data.magic_link_url is None


def test_preselected_integration_is_named(client: Merge, merge_schemas: MergeSchemas):
    raw = client.hris.link_token.with_raw_response.create(**MINIMAL, integration="bamboohr")
    check_link_token(merge_schemas, wire_json(raw), integration_name="BambooHR")
    assert raw.data.integration_name == "BambooHR"


def test_magic_link_url_is_absolute_and_on_this_server(server: Joinery, client: Merge, merge_schemas: MergeSchemas):
    raw = client.hris.link_token.with_raw_response.create(
        **MINIMAL, should_create_magic_link_url=True, link_expiry_mins=10080
    )
    body = wire_json(raw)
    check_link_token(merge_schemas, body, magic=True)
    url = body["magic_link_url"]
    assert url.startswith(server.base_url + "/"), url
    parts = urllib.parse.urlsplit(url)
    assert parts.scheme == "http" and parts.netloc == urllib.parse.urlsplit(server.base_url).netloc
    assert not re.search(r"\s", url)
    assert raw.data.magic_link_url == url


def test_magic_link_false_gives_no_url(client: Merge, merge_schemas: MergeSchemas):
    body = wire_json(
        client.hris.link_token.with_raw_response.create(
            **MINIMAL, should_create_magic_link_url=False, link_expiry_mins=720
        )
    )
    check_link_token(merge_schemas, body, magic=False)


def test_ats_client_with_lever(client: Merge, merge_schemas: MergeSchemas):
    raw = client.ats.link_token.with_raw_response.create(**END_USER, categories=["ats"], integration="lever")
    check_link_token(merge_schemas, wire_json(raw), spec="ats", integration_name="Lever")
    assert raw.data.integration_name == "Lever"


def test_category_in_path_does_not_restrict_body_categories(client: Merge, merge_schemas: MergeSchemas):
    # As in Merge: /api/ats/v1/link-token may ask for an HRIS integration, and vice versa.
    via_ats = client.ats.link_token.with_raw_response.create(**END_USER, categories=["hris"], integration="bamboohr")
    check_link_token(merge_schemas, wire_json(via_ats), spec="ats", integration_name="BambooHR")
    via_hris = client.hris.link_token.with_raw_response.create(
        **END_USER, categories=["hris", "ats"], integration="greenhouse"
    )
    check_link_token(merge_schemas, wire_json(via_hris), integration_name="Greenhouse")


def test_every_optional_field_the_sdk_accepts(client: Merge, merge_schemas: MergeSchemas):
    raw = client.hris.link_token.with_raw_response.create(
        **END_USER,
        categories=["hris", "ats"],
        integration="personio",
        link_expiry_mins=10080,
        should_create_magic_link_url=True,
        hide_admin_magic_link=True,
        common_models=[
            CommonModelScopesBodyRequest(
                model_id="hris.Employee", enabled_actions=["READ", "WRITE"], disabled_fields=["ssn"]
            ),
            CommonModelScopesBodyRequest(model_id="ats.Candidate", enabled_actions=["READ"], disabled_fields=[]),
        ],
        category_common_model_scopes={
            "hris": [
                IndividualCommonModelScopeDeserializerRequest(
                    model_name="Employee",
                    model_permissions={
                        "READ": ModelPermissionDeserializerRequest(is_enabled=True),
                        "WRITE": ModelPermissionDeserializerRequest(is_enabled=False),
                    },
                    field_permissions=FieldPermissionDeserializerRequest(
                        enabled_fields=["first_name"], disabled_fields=["ssn"]
                    ),
                )
            ],
            "ats": None,
        },
        language="de",
        are_syncs_disabled=True,
        integration_specific_config={"subdomain": "example", "nested": {"list": [1, 2.5, None, True]}},
        linked_destination_id=str(uuid.uuid4()),
    )
    check_link_token(merge_schemas, wire_json(raw), integration_name="Personio", magic=True)


def test_explicit_nulls_mean_defaults(client: Merge, merge_schemas: MergeSchemas):
    # The SDK sends None as JSON null; Merge treats a null optional member as absent.
    body = wire_json(
        client.hris.link_token.with_raw_response.create(
            **MINIMAL,
            integration=None,
            link_expiry_mins=None,
            should_create_magic_link_url=None,
            hide_admin_magic_link=None,
            common_models=None,
            category_common_model_scopes=None,
            language=None,
            are_syncs_disabled=None,
            integration_specific_config=None,
            linked_destination_id=None,
        )
    )
    check_link_token(merge_schemas, body)


def test_fields_newer_than_the_sdk_are_accepted(client: Merge, merge_schemas: MergeSchemas):
    # Merge's API takes these, SDK 4.2.1 has no argument for them; request_options can send them.
    raw = client.hris.link_token.with_raw_response.create(
        **MINIMAL,
        request_options={
            "additional_body_parameters": {
                "completed_account_initial_screen": "SELECTIVE_SYNC",
                "credential_id": str(uuid.uuid4()),
                "ekm_enabled": False,
            }
        },
    )
    check_link_token(merge_schemas, wire_json(raw))


def test_tokens_are_unique(client: Merge):
    tokens = {client.hris.link_token.create(**MINIMAL).link_token for _ in range(5)}
    assert len(tokens) == 5


def test_concurrent_creation(client: Merge):
    def create(i: int) -> str:
        return client.hris.link_token.create(**dict(MINIMAL, end_user_origin_id=f"user-{i}")).link_token

    with ThreadPoolExecutor(max_workers=8) as pool:
        tokens = list(pool.map(create, range(24)))
    assert len(set(tokens)) == 24


def test_async_sdk(server: Joinery, merge_schemas: MergeSchemas):
    async def run():
        client = AsyncMerge(api_key=server.api_key, base_url=server.api_url)
        plain, named = await asyncio.gather(
            client.hris.link_token.with_raw_response.create(**MINIMAL),
            client.ats.link_token.with_raw_response.create(**END_USER, categories=["ats"], integration="ashby"),
        )
        return wire_json(plain), wire_json(named)

    plain, named = asyncio.run(run())
    check_link_token(merge_schemas, plain)
    check_link_token(merge_schemas, named, spec="ats", integration_name="Ashby")


# --------------------------------------------------------------------------------------------
# Link tokens through the SDK: validation
# --------------------------------------------------------------------------------------------

# (overrides of MINIMAL, the one field the 400 must name, a fragment of its message). The SDK
# does no client-side validation, so each bad value goes over the wire as given.
INVALID = {
    "origin_id_missing": (dict(end_user_origin_id=SDK_OMIT), "end_user_origin_id", "required"),
    "origin_id_null": (dict(end_user_origin_id=None), "end_user_origin_id", "null"),
    "origin_id_empty": (dict(end_user_origin_id=""), "end_user_origin_id", "blank"),
    "origin_id_whitespace": (dict(end_user_origin_id="   "), "end_user_origin_id", "blank"),
    "origin_id_101_chars": (dict(end_user_origin_id="x" * 101), "end_user_origin_id", "100"),
    "email_empty": (dict(end_user_email_address=""), "end_user_email_address", "blank"),
    "organization_name_missing": (
        dict(end_user_organization_name=SDK_OMIT),
        "end_user_organization_name",
        "required",
    ),
    "categories_empty": (dict(categories=[]), "categories", "empty"),
    "categories_unknown": (dict(categories=["payroll"]), "categories", "payroll"),
    "categories_not_a_list": (dict(categories="hris"), "categories", None),
    "expiry_too_short": (dict(link_expiry_mins=5), "link_expiry_mins", "30"),
    "expiry_721_without_magic_link": (dict(link_expiry_mins=721), "link_expiry_mins", "720"),
    "expiry_10081_with_magic_link": (
        dict(link_expiry_mins=10081, should_create_magic_link_url=True),
        "link_expiry_mins",
        "10080",
    ),
    "expiry_not_an_integer": (dict(link_expiry_mins="soon"), "link_expiry_mins", None),
    "integration_unknown": (dict(integration="nope"), "integration", "nope"),
    "integration_empty": (dict(integration=""), "integration", "blank"),
    "integration_of_another_category": (dict(integration="lever"), "integration", "lever"),
    "language_fr": (dict(language="fr"), "language", "fr"),
    "linked_destination_id_not_uuid": (dict(linked_destination_id="not-a-uuid"), "linked_destination_id", "UUID"),
    "are_syncs_disabled_not_bool": (dict(are_syncs_disabled="perhaps"), "are_syncs_disabled", None),
    "integration_specific_config_not_object": (
        dict(integration_specific_config="x"),
        "integration_specific_config",
        None,
    ),
    "common_models_bad_model_id": (
        dict(common_models=[{"model_id": "Employee", "enabled_actions": ["READ"], "disabled_fields": []}]),
        "common_models",
        "Employee",
    ),
    "common_models_bad_action": (
        dict(common_models=[{"model_id": "hris.Employee", "enabled_actions": ["DELETE"], "disabled_fields": []}]),
        "common_models",
        "DELETE",
    ),
    "category_scopes_unknown_category": (
        dict(category_common_model_scopes={"payroll": []}),
        "category_common_model_scopes",
        "payroll",
    ),
    "category_scopes_unknown_model": (
        dict(category_common_model_scopes={"hris": [{"model_name": "Candidate"}]}),
        "category_common_model_scopes",
        "Candidate",
    ),
}


@pytest.mark.parametrize("overrides,field,fragment", INVALID.values(), ids=INVALID.keys())
def test_invalid_request_names_the_field(client: Merge, overrides: dict, field: str, fragment: str | None):
    err = sdk_error(lambda: client.hris.link_token.create(**{**MINIMAL, **overrides}))
    assert_field_error(err, field, fragment)


def test_ats_integration_serving_another_category(client: Merge):
    err = sdk_error(lambda: client.ats.link_token.create(**END_USER, categories=["ats"], integration="bamboohr"))
    assert_field_error(err, "integration", "bamboohr")


def test_field_newer_than_the_sdk_is_validated(client: Merge):
    err = sdk_error(
        lambda: client.hris.link_token.create(
            **MINIMAL, request_options={"additional_body_parameters": {"completed_account_initial_screen": "START"}}
        )
    )
    assert_field_error(err, "completed_account_initial_screen", "START")


def test_every_invalid_field_is_reported_at_once(client: Merge):
    err = sdk_error(
        lambda: client.hris.link_token.create(
            end_user_email_address="",
            end_user_organization_name="x" * 101,
            end_user_origin_id=SDK_OMIT,
            categories=["payroll"],
            link_expiry_mins=5,
            language="fr",
        )
    )
    assert err.status_code == 400
    assert set(err.body) == {
        "end_user_email_address",
        "end_user_organization_name",
        "end_user_origin_id",
        "categories",
        "link_expiry_mins",
        "language",
    }, err.body


# --------------------------------------------------------------------------------------------
# Authentication
# --------------------------------------------------------------------------------------------


def assert_unauthorized(err: ApiError, api_key: str) -> None:
    assert err.status_code == 401, f"{err.status_code}: {err.body}"
    assert isinstance(err.body, dict) and set(err.body) == {"detail"}, err.body
    assert isinstance(err.body["detail"], str) and err.body["detail"]
    assert api_key not in err.body["detail"], "the key must not be echoed"


@pytest.mark.parametrize("api_key", ["not-a-key", "jny_sk_" + "A" * 49], ids=["garbage", "bad-checksum"])
def test_wrong_api_key_is_401(server: Joinery, api_key: str):
    client = Merge(api_key=api_key, base_url=server.api_url)
    assert_unauthorized(sdk_error(lambda: client.hris.link_token.create(**MINIMAL)), api_key)


def test_well_formed_unknown_api_key_is_401(server: Joinery):
    # The helper computes checksums as the server does (checked on a real key), so this key gets
    # past the shape check to the database lookup.
    real = server.api_key
    assert joinery_key_checksum(real[len("jny_sk_") : -6]) == real[-6:]
    api_key = well_formed_unknown_api_key()
    client = Merge(api_key=api_key, base_url=server.api_url)
    assert_unauthorized(sdk_error(lambda: client.hris.link_token.create(**MINIMAL)), api_key)


def test_key_issued_by_another_installation_is_401(server: Joinery, tmp_path):
    # A real key, made by the same binary (same secret, even) for a database this server has
    # never seen.
    foreign = create_api_key(
        base_env(tmp_path, f"sqlite://{tmp_path / 'elsewhere.db'}", server.env["JOINERY_SECRET_KEY"]), "sdk-tests"
    )
    client = Merge(api_key=foreign, base_url=server.api_url)
    assert_unauthorized(sdk_error(lambda: client.ats.link_token.create(**END_USER, categories=["ats"])), foreign)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer jny_sk_",
        "Token {key}",
        "Basic {basic}",
        "{key}",
        "Bearer {key} extra",
        "Bearer\t{key}x",
    ],
    ids=["absent", "empty", "scheme-only", "prefix-only", "token-scheme", "basic", "no-scheme", "trailing", "tab"],
)
def test_malformed_authorization_is_401(server: Joinery, http: httpx.Client, header: str | None):
    headers = {}
    if header is not None:
        basic = base64.b64encode(f"{server.api_key}:".encode()).decode()
        headers["Authorization"] = header.format(key=server.api_key, basic=basic)
    r = http.post("/api/hris/v1/link-token", json=MINIMAL, headers=headers)
    assert r.status_code == 401, r.text
    body = r.json()
    assert set(body) == {"detail"} and isinstance(body["detail"], str) and body["detail"]
    if header is None:
        # Django REST Framework's words, which Merge answers with.
        assert body["detail"] == "Authentication credentials were not provided."


def test_bearer_scheme_is_case_insensitive(http: httpx.Client, server: Joinery, merge_schemas: MergeSchemas):
    r = http.post("/api/hris/v1/link-token", json=MINIMAL, headers={"Authorization": f"bearer {server.api_key}"})
    assert r.status_code == 200, r.text
    check_link_token(merge_schemas, r.json())


# --------------------------------------------------------------------------------------------
# Tenant isolation: OTHER_ORG has DISABLED_FOR_OTHER_ORG (bamboohr) disabled
# --------------------------------------------------------------------------------------------


def test_disabled_integration_is_refused_only_for_its_organization(
    client: Merge, other_client: Merge, merge_schemas: MergeSchemas
):
    err = sdk_error(lambda: other_client.hris.link_token.create(**MINIMAL, integration=DISABLED_FOR_OTHER_ORG))
    assert_field_error(err, "integration", "not enabled")
    # The same request from the other organization is fine...
    ok = client.hris.link_token.with_raw_response.create(**MINIMAL, integration=DISABLED_FOR_OTHER_ORG)
    check_link_token(merge_schemas, wire_json(ok), integration_name="BambooHR")
    # ...and the organization that disabled it can still use the others.
    other_ok = other_client.hris.link_token.with_raw_response.create(**MINIMAL, integration="personio")
    check_link_token(merge_schemas, wire_json(other_ok), integration_name="Personio")


def test_enabled_integrations_are_per_organization(server: Joinery, http: httpx.Client):
    everything = http.get("/api/integrations").json()
    mine = walk_enabled_integrations(http, server.api_key, page_size=100)
    theirs = walk_enabled_integrations(http, server.other_api_key, page_size=100)
    assert [i["slug"] for i in mine] == [i["slug"] for i in everything]
    assert [i["slug"] for i in theirs] == [i["slug"] for i in everything if i["slug"] != DISABLED_FOR_OTHER_ORG]


# --------------------------------------------------------------------------------------------
# Plain HTTP: the category-agnostic alias, integration metadata, request-level errors
# --------------------------------------------------------------------------------------------


def test_create_link_token_alias(http: httpx.Client, auth: dict, merge_schemas: MergeSchemas):
    r = http.post("/api/integrations/create-link-token", json=MINIMAL, headers=auth)
    assert r.status_code == 200, r.text
    check_link_token(merge_schemas, r.json())
    r = http.post(
        "/api/integrations/create-link-token",
        json=dict(END_USER, categories=["ats"], integration="greenhouse"),
        headers=auth,
    )
    assert r.status_code == 200, r.text
    check_link_token(merge_schemas, r.json(), integration_name="Greenhouse")
    bad = http.post("/api/integrations/create-link-token", json=dict(MINIMAL, language="fr"), headers=auth)
    assert bad.status_code == 400 and set(bad.json()) == {"language"}, bad.text
    assert http.post("/api/integrations/create-link-token", json=MINIMAL).status_code == 401


def test_unknown_category_path_is_404(http: httpx.Client, auth: dict):
    r = http.post("/api/payroll/v1/link-token", json=MINIMAL, headers=auth)
    assert r.status_code == 404 and "detail" in r.json(), r.text


def test_integration_list(server: Joinery, http: httpx.Client, merge_schemas: MergeSchemas):
    r = http.get("/api/integrations")  # public: no Authorization
    assert r.status_code == 200, r.text
    items = r.json()
    assert isinstance(items, list) and items
    slugs = [i["slug"] for i in items]
    assert len(slugs) == len(set(slugs)), "duplicate slugs"
    for item in items:
        assert set(item) == INTEGRATION_FIELDS, f"{item.get('slug')}: {sorted(item)}"
        merge_schemas.validate("hris", "AccountIntegration", item)
        assert item["name"] and item["slug"] == item["slug"].lower()
        assert re.fullmatch(r"#[0-9A-Fa-f]{6}", item["color"]), item["color"]
        assert item["categories"] and set(item["categories"]) <= MERGE_CATEGORIES
        assert set(item["category_beta_status"]) == set(item["categories"])
        assert isinstance(item["api_endpoints_to_documentation_urls"], dict)
        for logo in ("image", "square_image"):
            assert item[logo].startswith(server.base_url + "/"), item[logo]
    by_slug = {i["slug"]: i for i in items}
    for slug, category in PROMISED_INTEGRATIONS.items():
        assert slug in by_slug, f"{slug} missing"
        assert category in by_slug[slug]["categories"], by_slug[slug]
    assert by_slug["bamboohr"]["name"] == "BambooHR"


def test_integration_logos_are_svg(server: Joinery, http: httpx.Client):
    item = next(i for i in http.get("/api/integrations").json() if i["slug"] == "lever")
    for logo in ("image", "square_image"):
        r = http.get(item[logo])
        assert r.status_code == 200, f"{item[logo]}: {r.status_code}"
        assert r.headers["content-type"].split(";")[0].strip() == "image/svg+xml"
        assert r.text.lstrip().startswith("<svg") and r.text.rstrip().endswith("</svg>")
        assert "Lever" in r.text
    assert http.get(f"{server.base_url}/assets/integrations/nope/image.svg").status_code == 404


def test_enabled_integrations_pagination(server: Joinery, http: httpx.Client, merge_schemas: MergeSchemas):
    everything = http.get("/api/integrations").json()
    assert len(everything) > 5, "too few integrations to test pagination with page_size=5"
    walked = walk_enabled_integrations(http, server.api_key, page_size=5)
    assert walked == everything
    for item in walked:
        merge_schemas.validate("hris", "AccountIntegration", item)
    # `previous` leads back to the page before.
    auth = {"Authorization": f"Bearer {server.api_key}"}
    first_page = http.get("/api/organizations/integrations", params={"page_size": 5}, headers=auth).json()
    second_page = http.get(
        "/api/organizations/integrations", params={"page_size": 5, "cursor": first_page["next"]}, headers=auth
    ).json()
    assert second_page["results"] == everything[5:10]
    back = http.get(
        "/api/organizations/integrations", params={"page_size": 5, "cursor": second_page["previous"]}, headers=auth
    ).json()
    assert back["results"] == first_page["results"] == everything[:5]
    # Default page size is 30 (Merge's default); the first page holds min(30, all).
    first = http.get("/api/organizations/integrations", headers={"Authorization": f"Bearer {server.api_key}"}).json()
    assert first["results"] == everything[:30]
    assert (first["next"] is None) == (len(everything) <= 30)
    # Larger page sizes are capped at 100, as in Merge (DRF), not refused.
    capped = http.get(
        "/api/organizations/integrations",
        params={"page_size": 1000},
        headers={"Authorization": f"Bearer {server.api_key}"},
    )
    assert capped.status_code == 200 and capped.json()["results"] == everything[:100], capped.text[:300]


def test_enabled_integrations_needs_an_api_key(http: httpx.Client):
    r = http.get("/api/organizations/integrations")
    assert r.status_code == 401 and set(r.json()) == {"detail"}, r.text


@pytest.mark.parametrize(
    "params,field",
    [({"page_size": "0"}, "page_size"), ({"page_size": "ten"}, "page_size"), ({"cursor": "!!!"}, "cursor")],
    ids=["page_size-0", "page_size-text", "cursor-garbage"],
)
def test_bad_pagination_parameters_are_400(http: httpx.Client, auth: dict, params: dict, field: str):
    r = http.get("/api/organizations/integrations", params=params, headers=auth)
    assert r.status_code == 400 and set(r.json()) == {field}, r.text


# A forged cursor (offset near 2**64) must neither overflow nor wrap around.
def test_cursor_with_huge_offset(http: httpx.Client, auth: dict):
    cursor = base64.urlsafe_b64encode(f"o={2**64 - 5}".encode()).decode().rstrip("=")
    r = http.get("/api/organizations/integrations", params={"cursor": cursor, "page_size": 10}, headers=auth)
    assert r.status_code == 400 and set(r.json()) == {"cursor"}, r.text


def test_malformed_json_is_400(http: httpx.Client, auth: dict):
    for body in (b"{bad", b'{"end_user_origin_id": "x",}', b'"\\ud800"', b"[" * 1000 + b"]" * 1000):
        r = http.post("/api/hris/v1/link-token", content=body, headers={**auth, "Content-Type": "application/json"})
        assert r.status_code == 400, f"{body[:40]!r}: {r.status_code} {r.text}"
        assert set(r.json()) == {"detail"} and r.json()["detail"], r.text


def test_non_object_json_is_400(http: httpx.Client, auth: dict):
    r = http.post("/api/hris/v1/link-token", json=["not", "an", "object"], headers=auth)
    assert r.status_code == 400 and set(r.json()) == {"non_field_errors"}, r.text


def test_empty_body_names_every_required_field(http: httpx.Client, auth: dict):
    r = http.post("/api/hris/v1/link-token", headers=auth)
    assert r.status_code == 400, r.text
    assert set(r.json()) == {
        "end_user_email_address",
        "end_user_organization_name",
        "end_user_origin_id",
        "categories",
    }


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None]
)
def test_wrong_content_type_is_415(http: httpx.Client, auth: dict, content_type: str | None):
    headers = dict(auth)
    if content_type is not None:
        headers["Content-Type"] = content_type
    r = http.post("/api/hris/v1/link-token", content=json.dumps(MINIMAL).encode(), headers=headers)
    assert r.status_code == 415, r.text
    assert set(r.json()) == {"detail"}, r.text


def test_json_with_charset_is_accepted(http: httpx.Client, auth: dict, merge_schemas: MergeSchemas):
    r = http.post(
        "/api/hris/v1/link-token",
        content=json.dumps(MINIMAL).encode(),
        headers={**auth, "Content-Type": "application/json; charset=utf-8"},
    )
    assert r.status_code == 200, r.text
    check_link_token(merge_schemas, r.json())


def test_body_over_one_mib_is_413(http: httpx.Client, auth: dict):
    body = json.dumps(dict(MINIMAL, integration_specific_config={"blob": "a" * (1024 * 1024)})).encode()
    assert len(body) > 1024 * 1024
    r = http.post("/api/hris/v1/link-token", content=body, headers={**auth, "Content-Type": "application/json"})
    assert r.status_code == 413, r.text[:300]
    assert set(r.json()) == {"detail"}


def test_body_just_under_one_mib_is_accepted(http: httpx.Client, auth: dict, merge_schemas: MergeSchemas):
    envelope = json.dumps(dict(MINIMAL, integration_specific_config={"blob": ""})).encode()
    body = json.dumps(dict(MINIMAL, integration_specific_config={"blob": "a" * (1024 * 1024 - len(envelope))})).encode()
    assert len(body) == 1024 * 1024
    r = http.post("/api/hris/v1/link-token", content=body, headers={**auth, "Content-Type": "application/json"})
    assert r.status_code == 200, r.text[:300]
    check_link_token(merge_schemas, r.json())


def test_wrong_method_is_405(http: httpx.Client, auth: dict):
    r = http.get("/api/hris/v1/link-token", headers=auth)
    assert r.status_code == 405 and "detail" in r.json(), r.text


# Odd but well-formed JSON: the server may accept (200 with a LinkToken) or refuse (400 naming
# fields), never fail.
ODD_BODIES = {
    "expiry_huge": dict(MINIMAL, link_expiry_mins=2**70),
    "expiry_negative": dict(MINIMAL, link_expiry_mins=-30),
    "expiry_float_integral": dict(MINIMAL, link_expiry_mins=30.0),
    "expiry_float": dict(MINIMAL, link_expiry_mins=30.5),
    "expiry_string": dict(MINIMAL, link_expiry_mins="45"),
    "expiry_bool": dict(MINIMAL, link_expiry_mins=True),
    "origin_id_number": dict(MINIMAL, end_user_origin_id=12345),
    "origin_id_object": dict(MINIMAL, end_user_origin_id={"a": 1}),
    "origin_id_100_multibyte": dict(MINIMAL, end_user_origin_id="é" * 100),
    "origin_id_emoji": dict(MINIMAL, end_user_origin_id="🙂" * 50),
    "categories_repeated": dict(MINIMAL, categories=["hris"] * 5000),
    "categories_nested": dict(MINIMAL, categories=[["hris"]]),
    "integration_number": dict(MINIMAL, integration=7),
    "integration_mixed_case": dict(MINIMAL, integration=" BambooHR "),
    "config_deep": dict(MINIMAL, integration_specific_config=json.loads('{"a":' * 100 + "1" + "}" * 100)),
    "scopes_nested_garbage": dict(
        MINIMAL, category_common_model_scopes={"hris": [{"model_name": "Employee", "model_permissions": []}]}
    ),
    "common_models_not_list": dict(MINIMAL, common_models={"model_id": "hris.Employee"}),
    "unknown_members": dict(MINIMAL, surprise=True, another={"x": [1]}),
}


@pytest.mark.parametrize("body", ODD_BODIES.values(), ids=ODD_BODIES.keys())
def test_odd_bodies_never_fail_the_server(http: httpx.Client, auth: dict, merge_schemas: MergeSchemas, body: dict):
    r = http.post("/api/hris/v1/link-token", json=body, headers=auth)
    assert r.status_code in (200, 400), f"{r.status_code}: {r.text[:300]}"
    if r.status_code == 200:
        integration = "BambooHR" if body.get("integration") == " BambooHR " else None
        check_link_token(merge_schemas, r.json(), integration_name=integration)
    else:
        assert isinstance(r.json(), dict) and r.json(), r.text
        assert "detail" not in r.json(), "a well-formed JSON object gets field errors, not a detail"


NUL_BODIES = {
    "origin_id": (dict(MINIMAL, end_user_origin_id="user\u00001"), "end_user_origin_id"),
    "email": (dict(MINIMAL, end_user_email_address="ada\u0000@example.com"), "end_user_email_address"),
    "config_value": (dict(MINIMAL, integration_specific_config={"k": "a\u0000b"}), "integration_specific_config"),
    "config_key": (dict(MINIMAL, integration_specific_config={"a\u0000": 1}), "integration_specific_config"),
    "disabled_field": (
        dict(
            MINIMAL,
            common_models=[{"model_id": "hris.Employee", "enabled_actions": ["READ"], "disabled_fields": ["s\u0000"]}],
        ),
        "common_models",
    ),
}


@pytest.mark.parametrize("body,field", NUL_BODIES.values(), ids=NUL_BODIES.keys())
def test_nul_characters_are_refused_naming_the_field(http: httpx.Client, auth: dict, body: dict, field: str):
    # PostgreSQL cannot store U+0000; like DRF, Joinery refuses it on every backend.
    r = http.post("/api/hris/v1/link-token", json=body, headers=auth)
    assert r.status_code == 400, f"{r.status_code}: {r.text[:300]}"
    assert set(r.json()) == {field}, r.text
    assert "Null characters are not allowed." in json.dumps(r.json()), r.text


# --------------------------------------------------------------------------------------------
# Process behaviour
# --------------------------------------------------------------------------------------------


def test_health_needs_no_authentication(http: httpx.Client):
    r = http.get("/api/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_second_process_on_the_same_database_and_graceful_shutdown(server: Joinery, merge_schemas: MergeSchemas):
    """Another `joinery serve` shares the database (keys work across processes), and SIGTERM
    stops it cleanly: exit code 0 within the deadline, port closed, the first server unharmed."""
    second: ServerProcess = start_server(server.env, server.data_dir / "server-2.log")
    try:
        client = Merge(api_key=server.api_key, base_url=f"{second.base_url}/api")
        raw = client.hris.link_token.with_raw_response.create(**MINIMAL, integration="hibob")
        check_link_token(merge_schemas, wire_json(raw), integration_name="HiBob")
        # Hold a keep-alive connection open across the signal: it must not delay the exit.
        with httpx.Client(base_url=second.base_url, timeout=5.0) as idle:
            assert idle.get("/api/health").status_code == 200
            code = second.stop()
        assert code == 0, f"exit code {code} after SIGTERM:\n{second.log_tail()}"
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{second.base_url}/api/health", timeout=2.0)
        assert not second.new_log_problems(), second.log_tail()
    finally:
        if second.process.poll() is None:
            second.process.kill()
            second.process.wait()
    assert httpx.get(f"{server.base_url}/api/health", timeout=5.0).status_code == 200


def test_merge_openapi_documents_are_available(merge_schemas: MergeSchemas):
    if not merge_schemas.available:
        pytest.skip(
            f"Merge's OpenAPI documents not found in {merge_schemas.oas_dir}: responses were not "
            "validated against them (set JOINERY_MERGE_OAS_DIR)"
        )
    for spec in ("hris", "ats"):
        link_token = merge_schemas.schema(spec, "LinkToken")
        assert link_token["required"] == ["link_token"]
        # The quirk check_link_token works around: not nullable in the OAS, null on the wire.
        assert link_token["properties"]["integration_name"]["type"] == "string"
        assert link_token["properties"]["magic_link_url"]["type"] == "string"
    assert set(merge_schemas.schema("hris", "AccountIntegration")["properties"]) == INTEGRATION_FIELDS
