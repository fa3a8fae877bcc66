"""The /_sim control API: request log, reset, scenario, clock, connections view, and its own errors."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from builders import auth, create, create_body
from fivetran_simulator import DEFAULT_GROUP_ID, SimulatorControlError, SimulatorServer
from tests.helpers.simulator import SimulatorHttp

pytestmark = pytest.mark.usefixtures("simulator")


def test_request_log_records_every_exchange_with_secrets_redacted(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    simulator.control.advance_clock(5)
    simulator_http.post("/v1/connections", json=create_body(auth=auth(client_secret="top-secret-1")))
    simulator_http.get("/v1/connections", params={"schema": "spotify_demo"})
    log = simulator.control.requests()
    assert [(e["seq"], e["method"], e["path_template"], e["status"]) for e in log] == [
        (1, "POST", "/v1/connections", 201),
        (2, "GET", "/v1/connections", 200),
    ]
    first = log[0]
    assert first["time"] == "2026-01-01T00:00:05.000000Z"
    assert isinstance(first["monotonic"], float)
    assert first["request_body"]["auth"] == {
        "refresh_token": "******",
        "client_access": {"client_id": "demo-client-id", "client_secret": "******"},
    }
    assert "Authorization" not in first["headers"]
    assert first["headers"]["Accept"] == "application/json;version=2"
    assert first["response_body"]["code"] == "Success"
    assert log[1]["query"] == {"schema": "spotify_demo"}
    assert "top-secret-1" not in str(log)
    assert [e["seq"] for e in simulator.control.requests(since=1)] == [2]
    simulator.control.clear_requests()
    assert simulator.control.requests() == []


def test_control_api_needs_no_auth_and_v1_is_not_logged_for_it(simulator: SimulatorServer) -> None:
    assert requests.get(f"{simulator.base_url}/_sim/health", timeout=5).json()["status"] == "ok"
    assert simulator.control.requests() == []


def test_reset(simulator_http: SimulatorHttp, simulator: SimulatorServer) -> None:
    create(simulator_http)
    simulator.control.add_fault("GET /v1/connections", "error")
    simulator.control.set_scenario({"groups": ["g2"]})
    simulator.control.advance_clock(100)
    simulator.control.reset()
    assert simulator.control.connections() == []
    assert simulator.control.faults() == []
    assert simulator.control.requests() == []
    assert simulator.control.scenario()["groups"] == [DEFAULT_GROUP_ID]
    assert simulator.control.now().isoformat() == "2026-01-01T00:00:00+00:00"


def test_scenario_roundtrip_and_errors(simulator: SimulatorServer) -> None:
    scenario = simulator.control.set_scenario(
        {"groups": ["g2"], "sync": {"duration_seconds": 5, "outcomes": ["failure"]}, "seed": 3}
    )
    assert scenario["groups"] == [DEFAULT_GROUP_ID, "g2"]
    assert scenario["sync"]["duration_seconds"] == 5
    assert scenario["sync"]["outcomes"] == ["failure"]
    assert scenario["spotify"]["clients"]["demo-client-id"] == "demo-client-secret"
    bad_scenarios: list[dict[str, Any]] = [
        {"colour": 1},
        {"sync": {"outcome": "maybe"}},
        {"sync": {"duration_seconds": -1}},
        {"groups": "g"},
        {"spotify": {"tokens": {"t": {"accounts": []}}}},
        {"rate_limits": {"all_per_hour": 0}},
        {"faults": [{"kind": "error"}]},
        {"extra_setup_tests": [{"title": "x", "status": "MAYBE"}]},
    ]
    for bad in bad_scenarios:
        with pytest.raises(SimulatorControlError):
            simulator.control.set_scenario(bad)


def test_connections_view_shows_auth_redacted_and_internal_state(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    conn_id = create(simulator_http)["id"]
    simulator_http.post(f"/v1/connections/{conn_id}/sync")
    (view,) = simulator.control.connections()
    assert view["id"] == conn_id
    assert view["_sim"]["auth"] == {
        "client_id": "demo-client-id",
        "client_secret": "******",
        "refresh_token": "******",
    }
    assert view["_sim"]["credentials_valid"] is True
    assert view["_sim"]["sync"]["kind"] == "sync"
    assert "demo-client-secret" not in str(view)
    assert simulator.control.connection(conn_id)["id"] == conn_id
    with pytest.raises(SimulatorControlError, match="404"):
        simulator.control.connection("nope")


def test_control_errors(simulator: SimulatorServer) -> None:
    base = simulator.base_url
    assert requests.post(f"{base}/_sim/clock", json={"advance": -1}, timeout=5).status_code == 400
    assert requests.post(f"{base}/_sim/clock", json={"set": "yesterday"}, timeout=5).status_code == 400
    assert requests.post(f"{base}/_sim/clock", json={}, timeout=5).status_code == 400
    assert requests.post(f"{base}/_sim/revoke", json={}, timeout=5).status_code == 400
    assert requests.post(f"{base}/_sim/faults", data=b"{", timeout=5).status_code == 400
    assert requests.get(f"{base}/_sim/requests", params={"since": "x"}, timeout=5).status_code == 400
    assert requests.get(f"{base}/_sim/nothing", timeout=5).status_code == 404
    assert requests.get(f"{base}/", timeout=5).json()["code"] == "NotFound"
