"""The simulator accepts what Fivetran accepts: open request objects, every spec field, the seed page as it stands.

Evidence: the contract README's last section ("Corrections and additions") and the OpenAPI in tests/contract.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from builders import REPORT, create, create_body, details
from fivetran_simulator import DEFAULT_GROUP_ID, SimulatorServer
from tests.contract import SEED_PAGE, contract_file
from tests.helpers.simulator import SimulatorHttp
from tests.spec import load_spec, validate_answer

pytestmark = pytest.mark.usefixtures("simulator")


def test_unknown_fields_are_dropped_not_refused(simulator_http: SimulatorHttp) -> None:
    """Terraform provider issues 296 and 574: the create succeeds and the unknown field is gone from the answer."""
    body = create_body(
        colour="red",
        config_region="eu",
        config_report_list=[REPORT | {"filter": "x"}],
        auth={"refresh_token": "t", "password": "p", "client_access": {"client_id": "c", "client": "x"}},
        destination_configuration={"virtual_warehouse": "WH", "warehouse": "x"},
        connect_card_config={"redirect_uri": "https://x.example/done", "theme": "dark"},
    )
    response = simulator_http.post("/v1/connections", json=body)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert "colour" not in data
    assert "region" not in data["config"]
    assert data["config"]["report_list"] == [REPORT]
    assert data["destination_configuration"] == {"virtual_warehouse": "WH"}
    assert data["connect_card_config"] == {"redirect_uri": "https://x.example/done"}
    patched = simulator_http.patch(
        f"/v1/connections/{data['id']}", json={"paused": True, "name": "x", "config": {"region": "eu"}}
    )
    assert patched.status_code == 200, patched.text
    assert "name" not in patched.json()["data"]
    assert "region" not in patched.json()["data"]["config"]


def test_report_list_and_accounts_as_loose_as_the_spec(simulator_http: SimulatorHttp) -> None:
    """No required key in report_list items; no minItems or uniqueItems on fields and accounts."""
    reports = [
        {"table": "partial"},
        {"dimension": "AD", "granularity": "HOUR", "fields": ["SPEND", "SPEND"]},
        REPORT,
        REPORT | {"fields": []},
    ]
    accounts = ["demo-ad-account-1", "demo-ad-account-1"]
    data = create(
        simulator_http,
        config_report_list=reports,
        config_sync_mode="SPECIFIC_ACCOUNTS",
        config_accounts=accounts,
    )
    assert data["config"]["report_list"] == reports
    assert data["config"]["accounts"] == accounts
    assert data["status"]["setup_state"] == "connected"


def test_patch_may_send_the_permanent_config_values_back(simulator_http: SimulatorHttp) -> None:
    data = create(simulator_http, config_timeframe_months="TWELVE")
    body = {"config": {"schema": "spotify_demo", "timeframe_months": "TWELVE", "sync_mode": "ALL_ACCOUNTS"}}
    assert simulator_http.patch(f"/v1/connections/{data['id']}", json=body).status_code == 200


def _sample(name: str, schema: dict[str, Any]) -> Any:
    """A valid value for a request property of the spec (the first enum value, or one of its type)."""
    if "enum" in schema:
        return schema["enum"][0]
    samples: dict[str, Any] = {
        "boolean": True,
        "integer": 0,
        "string": f"{name}_1",
    }
    if schema.get("type") in samples:
        return samples[schema["type"]]
    return None  # objects: the test fills them in


def _request_properties(name: str) -> dict[str, Any]:
    return dict(load_spec()["components"]["schemas"][name]["properties"])


def test_every_patch_field_of_the_spec_is_accepted(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    conn_id = create(simulator_http, sync_frequency=1440)["id"]
    objects = {
        "config": {"sync_mode": "ALL_ACCOUNTS"},
        "auth": {"refresh_token": "demo-refresh-token"},
        "destination_configuration": {"virtual_warehouse": "WH"},
        "external_secrets_keys_config": {"refresh_token": "spotify/refresh"},
        "daily_sync_time": "14:00",
        "sync_frequency": 1440,
        "paused": False,
        "run_setup_tests": True,
    }
    body = {
        name: objects[name] if name in objects else _sample(name, schema)
        for name, schema in _request_properties("UpdateConnectorRequest").items()
    }
    assert None not in body.values(), body
    response = simulator_http.patch(f"/v1/connections/{conn_id}", json=body)
    assert response.status_code == 200, response.text
    validate_answer("PATCH", f"/v1/connections/{conn_id}", 200, response.json())
    data = response.json()["data"]
    for name in (
        "external_secrets_manager_id",
        "hybrid_deployment_agent_id",
        "proxy_agent_id",
        "daily_sync_time",
    ):
        assert data[name] == body[name], name
    assert data["external_secrets_keys_config"] == {"refresh_token": "spotify/refresh"}
    assert data["status"]["schema_status"] == body["schema_status"]


def test_every_create_field_of_the_spec_is_accepted(simulator_http: SimulatorHttp) -> None:
    objects = {
        "group_id": DEFAULT_GROUP_ID,
        "service": "spotify_ads",
        "connect_card_config": {"redirect_uri": "https://x.example/done"},
        "destination_configuration": {"virtual_warehouse": "WH"},
        "sync_frequency": 1440,
        "daily_sync_time": "14:00",
    }
    body = {
        name: objects[name] if name in objects else _sample(name, schema)
        for name, schema in _request_properties("NewConnectorRequestV1").items()
    }
    assert None not in body.values(), body
    body |= {"config": {"schema": "every_field"}, "auth": create_body()["auth"]}
    response = simulator_http.post("/v1/connections", json=body)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["destination_schema_names"] == body["destination_schema_names"]
    assert data["external_secrets_manager_id"] == body["external_secrets_manager_id"]


def _resolve(value: Any) -> Any:
    """The seed page's ``"A | B"`` placeholders: the first choice; a one-item list of choices: every choice."""
    if isinstance(value, dict):
        return {k: _resolve(v) for k, v in value.items()}
    if isinstance(value, list):
        if len(value) == 1 and isinstance(value[0], str) and " | " in value[0]:
            return value[0].split(" | ")
        return [_resolve(v) for v in value]
    if isinstance(value, str) and " | " in value:
        return value.split(" | ")[0]
    return value


def seed_page_request() -> dict[str, Any]:
    text = contract_file(SEED_PAGE).read_text(encoding="utf-8")
    start = text.index("{", text.index("POST https://api.fivetran.com/v1/connections"))
    request, _ = json.JSONDecoder().raw_decode(text[start:])
    return dict(_resolve(request))


def test_the_seed_page_request_as_it_stands(simulator_factory: Any) -> None:
    """NORMAL with threshold 0, accounts beside ALL_ACCOUNTS, Directly with agent and link ids: all accepted."""
    seed = seed_page_request()
    assert (seed["data_delay_sensitivity"], seed["data_delay_threshold"]) == ("NORMAL", 0)
    assert (seed["config"]["sync_mode"], seed["networking_method"]) == ("ALL_ACCOUNTS", "Directly")
    access = seed["auth"]["client_access"]
    sim = simulator_factory(
        scenario={
            "groups": [seed["group_id"]],
            "spotify": {
                "clients": {access["client_id"]: access["client_secret"]},
                "tokens": {
                    seed["auth"]["refresh_token"]: {"client_id": access["client_id"], "accounts": ["a"]}
                },
            },
        }
    )
    http = SimulatorHttp(sim.base_url, sim.api_key, sim.api_secret)
    response = http.post("/v1/connections", json=seed)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["status"]["setup_state"] == "connected"
    assert data["config"] == seed["config"]
    for key in ("proxy_agent_id", "private_link_id", "hybrid_deployment_agent_id", "daily_sync_time"):
        assert data[key] == seed[key], key


def test_success_envelopes_carry_the_specs_messages(simulator_http: SimulatorHttp) -> None:
    conn_id = create(simulator_http)["id"]
    messages = {
        f"/v1/connections/{conn_id}": "Connection details retrieved successfully",
        "/v1/connections": "Connections list retrieved successfully",
        f"/v1/groups/{DEFAULT_GROUP_ID}/connections": "Group connections retrieved successfully",
    }
    for path, message in messages.items():
        assert simulator_http.get(path).json()["message"] == message, path


def test_schema_reload_answers_the_standard_config(simulator_http: SimulatorHttp) -> None:
    conn_id = create(simulator_http, config_report_list=[REPORT])["id"]
    for body in (None, {}, {"exclude_mode": "EXCLUDE"}):
        response = simulator_http.post(f"/v1/connections/{conn_id}/schemas/reload", json=body)
        assert response.status_code == 200, response.text
        validate_answer("POST", f"/v1/connections/{conn_id}/schemas/reload", 200, response.json())
        schemas = response.json()["data"]["schemas"]
        assert list(schemas) == ["spotify_demo"]
        assert list(schemas["spotify_demo"]["tables"]) == ["campaign_daily"]
    response = simulator_http.post("/v1/connections/nope/schemas/reload", json={})
    assert response.status_code == 404
    assert details(simulator_http, conn_id)["config"]["report_list"] == [REPORT]


def test_a_daily_hour_beside_another_frequency_is_accepted_and_dropped(simulator_http: SimulatorHttp) -> None:
    """Neither the spec nor the evidence says Fivetran refuses it: the answer carries it only at 1440."""
    created = simulator_http.post(
        "/v1/connections", json=create_body("hour_dropped", sync_frequency=360, daily_sync_time="14:00")
    )
    assert created.status_code == 201, created.text
    assert created.json()["data"]["daily_sync_time"] is None
    patched = simulator_http.patch(
        f"/v1/connections/{created.json()['data']['id']}", json={"daily_sync_time": "03:00"}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["daily_sync_time"] is None
