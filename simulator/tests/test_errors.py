"""Every error rule: 401, 406, 415, 404, 405, 409, 400 naming the field, list bounds, body rules."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from builders import REPORT, create, create_body, error
from fivetran_simulator import DEFAULT_GROUP_ID, SimulatorServer
from tests.helpers.simulator import SimulatorHttp

pytestmark = pytest.mark.usefixtures("simulator")


@pytest.mark.parametrize(
    "auth",
    [None, ("sim-api-key", "wrong-secret"), ("wrong-key", "sim-api-secret"), ("sim-api-key", "")],
    ids=["no-auth", "bad-secret", "bad-key", "empty-secret"],
)
def test_401_without_valid_basic_auth(simulator: SimulatorServer, auth: tuple[str, str] | None) -> None:
    response = requests.get(f"{simulator.base_url}/v1/connections", auth=auth, timeout=5)
    message = error(response, 401)
    assert "API key" in message
    assert "secret" in message


def test_401_for_bearer_and_garbage(simulator: SimulatorServer) -> None:
    for header in ("Bearer sim-api-key", "Basic !!!not-base64!!!", "Basic"):
        response = requests.get(
            f"{simulator.base_url}/v1/connections", headers={"Authorization": header}, timeout=5
        )
        error(response, 401)


@pytest.mark.parametrize(
    "accept", ["application/xml", "text/html", "application/json;version=3", "application/json;q=0"]
)
def test_406_for_an_accept_it_cannot_serve(simulator_http: SimulatorHttp, accept: str) -> None:
    error(simulator_http.get("/v1/connections", headers={"Accept": accept}), 406, "NotAcceptable")


@pytest.mark.parametrize(
    "accept",
    ["application/json;version=2", "application/json", "*/*", "application/*", "text/html, application/json"],
)
def test_accepts_json(simulator_http: SimulatorHttp, accept: str) -> None:
    assert simulator_http.get("/v1/connections", headers={"Accept": accept}).status_code == 200


def test_missing_accept_is_served(simulator: SimulatorServer) -> None:
    session = requests.Session()
    session.headers.pop("Accept")
    response = session.get(
        f"{simulator.base_url}/v1/connections", auth=(simulator.api_key, simulator.api_secret)
    )
    assert response.status_code == 200


def test_415_for_a_body_that_is_not_declared_json(simulator_http: SimulatorHttp) -> None:
    body = '{"group_id": "demo_warehouse"}'
    for ctype in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"Content-Type": ctype} if ctype else {}
        response = simulator_http.post("/v1/connections", data=body.encode(), headers=headers)
        error(response, 415, "UnsupportedMediaType")
    conn_id = create(simulator_http)["id"]
    response = simulator_http.patch(
        f"/v1/connections/{conn_id}", data=b'{"paused": true}', headers={"Content-Type": "text/plain"}
    )
    error(response, 415)


def test_json_with_charset_is_accepted(simulator_http: SimulatorHttp) -> None:
    import json

    response = simulator_http.post(
        "/v1/connections",
        data=json.dumps(create_body()).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201


def test_malformed_json_and_non_object_bodies(simulator_http: SimulatorHttp) -> None:
    headers = {"Content-Type": "application/json"}
    error(simulator_http.post("/v1/connections", data=b"{not json", headers=headers), 400, "BadRequest")
    message = error(simulator_http.post("/v1/connections", json=[1, 2]), 400, "InvalidInput")
    assert "body" in message


def test_test_endpoint_without_body_is_400(simulator_http: SimulatorHttp) -> None:
    conn_id = create(simulator_http)["id"]
    message = error(simulator_http.post(f"/v1/connections/{conn_id}/test"), 400, "InvalidInput")
    assert "body" in message.lower()
    response = simulator_http.post(
        f"/v1/connections/{conn_id}/test", data=b"", headers={"Content-Type": "application/json"}
    )
    error(response, 400)


@pytest.mark.parametrize(
    "path", ["/v1/connections", "/v1/connections/{id}", "/v1/connections/{id}/connect-card"]
)
def test_endpoints_needing_a_body_refuse_none(simulator_http: SimulatorHttp, path: str) -> None:
    conn_id = create(simulator_http)["id"]
    method = "PATCH" if path == "/v1/connections/{id}" else "POST"
    error(simulator_http.request(method, path.format(id=conn_id)), 400, "InvalidInput")


def test_404s(simulator_http: SimulatorHttp) -> None:
    for method, path in [
        ("GET", "/v1/connections/nope"),
        ("PATCH", "/v1/connections/nope"),
        ("DELETE", "/v1/connections/nope"),
        ("POST", "/v1/connections/nope/test"),
        ("POST", "/v1/connections/nope/sync"),
        ("POST", "/v1/connections/nope/resync"),
        ("POST", "/v1/connections/nope/connect-card"),
    ]:
        body: dict[str, Any] = (
            {"connect_card_config": {"redirect_uri": "https://x.example"}} if "connect-card" in path else {}
        )
        if method == "PATCH":
            body = {"paused": True}
        message = error(simulator_http.request(method, path, json=body), 404, "NotFound_Connection")
        assert "nope" in message
    error(simulator_http.get("/v1/groups/nope/connections"), 404, "NotFound")
    error(simulator_http.get("/v1/connections", params={"group_id": "nope"}), 404, "NotFound")
    error(simulator_http.post("/v1/connections", json=create_body(group_id="nope")), 404, "NotFound")
    message = error(simulator_http.get("/v1/connectors/abc"), 404, "NotFound")
    assert "/v1/connections" in message
    error(simulator_http.get("/v1/destinations"), 404, "NotFound")


def test_405_for_a_wrong_method(simulator_http: SimulatorHttp) -> None:
    response = simulator_http.put("/v1/connections", json={})
    error(response, 405, "MethodNotAllowed")
    assert set(response.headers["Allow"].split(", ")) == {"GET", "POST"}


def test_409_for_a_second_connection_with_the_same_schema(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    first = create(simulator_http, "dup")["id"]
    message = error(simulator_http.post("/v1/connections", json=create_body("dup")), 409, "Conflict")
    assert first in message
    assert "dup" in message
    # Same schema in another group is fine.
    simulator.control.set_scenario({"groups": ["second"]})
    assert (
        simulator_http.post("/v1/connections", json=create_body("dup", group_id="second")).status_code == 201
    )
    assert len(simulator.control.connections()) == 2


INVALID_CREATES: list[tuple[str, dict[str, Any], str]] = [
    ("missing group", {"group_id": None}, "group_id"),
    ("missing service", {"service": None}, "service"),
    ("other service", {"service": "google_ads"}, "service"),
    ("missing config", {"config": None}, "config.schema"),
    ("missing schema", {"config": {}}, "config.schema"),
    ("empty schema", {"config_schema": " "}, "config.schema"),
    ("schema not a string", {"config_schema": 7}, "config.schema"),
    ("frequency 7", {"sync_frequency": 7}, "sync_frequency"),
    ("frequency words", {"sync_frequency": "daily"}, "sync_frequency"),
    ("frequency bool", {"sync_frequency": True}, "sync_frequency"),
    ("daily time not hour", {"sync_frequency": 1440, "daily_sync_time": "14:30"}, "daily_sync_time"),
    ("daily time 24", {"sync_frequency": 1440, "daily_sync_time": "24:00"}, "daily_sync_time"),
    ("schedule type", {"schedule_type": "hourly"}, "schedule_type"),
    ("sensitivity", {"data_delay_sensitivity": "SOMETIMES"}, "data_delay_sensitivity"),
    ("threshold", {"data_delay_threshold": -1}, "data_delay_threshold"),
    ("networking", {"networking_method": "Carrier pigeon"}, "networking_method"),
    ("paused string", {"paused": "true"}, "paused"),
    ("run_setup_tests string", {"run_setup_tests": "yes"}, "run_setup_tests"),
    ("sync mode", {"config_sync_mode": "SOME"}, "config.sync_mode"),
    ("specific without accounts", {"config_sync_mode": "SPECIFIC_ACCOUNTS"}, "config.accounts"),
    (
        "specific empty accounts",
        {"config_sync_mode": "SPECIFIC_ACCOUNTS", "config_accounts": []},
        "config.accounts",
    ),
    ("accounts not strings", {"config_accounts": [1]}, "config.accounts[0]"),
    ("auth token not a string", {"auth": {"refresh_token": 1}}, "auth.refresh_token"),
    ("report not an object", {"config_report_list": ["campaign_daily"]}, "config.report_list[0]"),
    (
        "report fields not a list",
        {"config_report_list": [{"fields": "SPEND"}]},
        "config.report_list[0].fields",
    ),
    ("destination schema names", {"destination_schema_names": "MY_NAMING"}, "destination_schema_names"),
    ("timeframe", {"config_timeframe_months": "NINE"}, "config.timeframe_months"),
    (
        "report dimension",
        {"config_report_list": [REPORT | {"dimension": "KEYWORD"}]},
        "config.report_list[0].dimension",
    ),
    (
        "report granularity",
        {"config_report_list": [REPORT | {"granularity": "LIFETIME"}]},
        "config.report_list[0].granularity",
    ),
    (
        "report field",
        {"config_report_list": [REPORT | {"fields": ["LIKES"]}]},
        "config.report_list[0].fields[0]",
    ),
    (
        "redirect ftp",
        {"connect_card_config": {"redirect_uri": "ftp://x.example"}},
        "connect_card_config.redirect_uri",
    ),
    (
        "redirect relative",
        {"connect_card_config": {"redirect_uri": "/done"}},
        "connect_card_config.redirect_uri",
    ),
    (
        "redirect missing",
        {"connect_card_config": {"hide_setup_guide": True}},
        "connect_card_config.redirect_uri",
    ),
]


@pytest.mark.parametrize(
    ("change", "field"), [c[1:] for c in INVALID_CREATES], ids=[c[0] for c in INVALID_CREATES]
)
def test_400_names_the_field(simulator_http: SimulatorHttp, change: dict[str, Any], field: str) -> None:
    body = create_body(**{k: v for k, v in change.items() if k.startswith("config_")})
    for key, value in change.items():
        if key.startswith("config_"):
            continue
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    message = error(simulator_http.post("/v1/connections", json=body), 400, "InvalidInput")
    assert f"'{field}'" in message, message
    assert simulator_http.get("/v1/connections").json()["data"]["items"] == []


INVALID_PATCHES: list[tuple[str, dict[str, Any], str]] = [
    ("only trust", {"trust_certificates": True}, "persistent"),
    ("only run tests", {"run_setup_tests": True, "trust_fingerprints": True}, "persistent"),
    ("empty", {}, "persistent"),
    # Not in UpdateConnectorRequest: dropped, which leaves no persistent field.
    ("only unknown", {"name": "x"}, "persistent"),
    ("only group", {"group_id": DEFAULT_GROUP_ID}, "persistent"),
    ("only service", {"service": "spotify_ads"}, "persistent"),
    ("only connect card", {"connect_card_config": {"redirect_uri": "https://x.example"}}, "persistent"),
    # Spec: trust_* in a PATCH "must be combined with run_setup_tests=true".
    ("trust without tests", {"paused": True, "trust_certificates": True}, "trust_certificates"),
    (
        "trust with tests off",
        {"paused": True, "run_setup_tests": False, "trust_fingerprints": False},
        "trust_fingerprints",
    ),
    ("keys config", {"external_secrets_keys_config": ["refresh_token"]}, "external_secrets_keys_config"),
    ("schema", {"config": {"schema": "renamed"}}, "config.schema"),
    ("timeframe", {"config": {"timeframe_months": "THREE"}}, "config.timeframe_months"),
    ("frequency", {"sync_frequency": 0}, "sync_frequency"),
    ("schema status", {"schema_status": "READY"}, "schema_status"),
    ("specific without accounts", {"config": {"sync_mode": "SPECIFIC_ACCOUNTS"}}, "config.accounts"),
]


@pytest.mark.parametrize(
    ("body", "field"), [c[1:] for c in INVALID_PATCHES], ids=[c[0] for c in INVALID_PATCHES]
)
def test_patch_400_names_the_field(simulator_http: SimulatorHttp, body: dict[str, Any], field: str) -> None:
    data = create(simulator_http)
    message = error(simulator_http.patch(f"/v1/connections/{data['id']}", json=body), 400, "InvalidInput")
    assert field in message, message
    after = simulator_http.get(f"/v1/connections/{data['id']}").json()["data"]
    assert after == data


@pytest.mark.parametrize("limit", ["0", "1001", "-1", "ten", "1.5", ""])
def test_limit_out_of_range_is_400(simulator_http: SimulatorHttp, limit: str) -> None:
    if limit == "":
        assert simulator_http.get("/v1/connections?limit=").status_code == 400
        return
    message = error(simulator_http.get("/v1/connections", params={"limit": limit}), 400, "InvalidInput")
    assert "limit" in message


@pytest.mark.parametrize("limit", ["1", "1000"])
def test_limit_bounds_are_accepted(simulator_http: SimulatorHttp, limit: str) -> None:
    assert simulator_http.get("/v1/connections", params={"limit": limit}).status_code == 200
    assert (
        simulator_http.get(f"/v1/groups/{DEFAULT_GROUP_ID}/connections", params={"limit": limit}).status_code
        == 200
    )


def test_foreign_cursor_is_400(simulator_http: SimulatorHttp) -> None:
    for cursor in ("garbage", "eyJmb28iOjF9"):
        message = error(simulator_http.get("/v1/connections", params={"cursor": cursor}), 400, "InvalidInput")
        assert "cursor" in message


def test_resync_while_syncing_is_409(simulator_http: SimulatorHttp) -> None:
    conn_id = create(simulator_http)["id"]
    assert simulator_http.post(f"/v1/connections/{conn_id}/sync").status_code == 200
    error(simulator_http.post(f"/v1/connections/{conn_id}/resync"), 409, "Conflict")


def test_resync_scope_is_400_for_spotify_ads(simulator_http: SimulatorHttp) -> None:
    """Spec: scope sent to a connector without table-level re-sync returns 400; spotify_ads is one (README)."""
    conn_id = create(simulator_http)["id"]
    for scope in ({"spotify_demo": ["campaign_daily"]}, {}, {"s": []}):
        response = simulator_http.post(f"/v1/connections/{conn_id}/resync", json={"scope": scope})
        assert "scope" in error(response, 400, "InvalidInput")


def test_sync_and_test_body_rules(simulator_http: SimulatorHttp) -> None:
    conn_id = create(simulator_http, schedule_type="manual")["id"]
    assert "force" in error(
        simulator_http.post(f"/v1/connections/{conn_id}/sync", json={"force": "yes"}), 400
    )
    assert "trust_certificates" in error(
        simulator_http.post(f"/v1/connections/{conn_id}/test", json={"trust_certificates": 1}), 400
    )
    # Open request objects: keys the spec does not name are dropped, not refused.
    assert simulator_http.post(f"/v1/connections/{conn_id}/sync", json={"now": True}).status_code == 200
    body = {"run_setup_tests": True}
    assert simulator_http.post(f"/v1/connections/{conn_id}/test", json=body).status_code == 200


def test_connect_card_body_rules(simulator_http: SimulatorHttp) -> None:
    conn_id = create(simulator_http, with_auth=False)["id"]
    path = f"/v1/connections/{conn_id}/connect-card"
    assert "connect_card_config" in error(simulator_http.post(path, json={}), 400)
    bad = {"connect_card_config": {"redirect_uri": "javascript:alert(1)"}}
    assert "connect_card_config.redirect_uri" in error(simulator_http.post(path, json=bad), 400)
