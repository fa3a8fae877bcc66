"""Faults on demand: each kind, counts, route patterns, and "applied but unanswered" creates."""

from __future__ import annotations

import json

import pytest
import requests

from builders import create, create_body
from fivetran_simulator import SimulatorControlError, SimulatorServer
from tests.helpers.simulator import SimulatorHttp

pytestmark = pytest.mark.usefixtures("simulator")


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors(simulator_http: SimulatorHttp, simulator: SimulatorServer, status: int) -> None:
    simulator.control.add_fault("GET /v1/connections", "error", status=status)
    response = simulator_http.get("/v1/connections")
    assert response.status_code == status
    assert response.json()["code"] != "Success"
    assert simulator_http.get("/v1/connections").status_code == 200  # count 1 by default


def test_429_with_retry_after(simulator_http: SimulatorHttp, simulator: SimulatorServer) -> None:
    simulator.control.add_fault("GET /v1/connections/{id}", "error", status=429, retry_after=7, count=2)
    conn_id = create(simulator_http)["id"]
    for _ in range(2):
        response = simulator_http.get(f"/v1/connections/{conn_id}")
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "7"
        assert response.json()["code"] == "TooManyRequests"
    assert simulator_http.get(f"/v1/connections/{conn_id}").status_code == 200


def test_plain_text_body(simulator_http: SimulatorHttp, simulator: SimulatorServer) -> None:
    simulator.control.add_fault("POST /v1/connections", "text")
    response = simulator_http.post("/v1/connections", json=create_body())
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text == "502 Bad Gateway"
    assert simulator.control.connections() == []  # not applied


def test_malformed_json_with_200(simulator_http: SimulatorHttp, simulator: SimulatorServer) -> None:
    simulator.control.add_fault("GET /v1/connections", "malformed_json")
    response = simulator_http.get("/v1/connections")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError, match=r"Expecting|Unterminated"):
        json.loads(response.text)


def test_truncated_json_is_the_applied_real_answer_cut(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    simulator.control.add_fault("POST /v1/connections", "truncated_json")
    response = simulator_http.post("/v1/connections", json=create_body())
    assert response.status_code == 201
    with pytest.raises(ValueError):  # noqa: PT011 - any JSON decoding error
        response.json()
    assert response.text.startswith('{"code": "Success"')
    assert len(simulator.control.connections()) == 1


def test_dropped_connection(simulator_http: SimulatorHttp, simulator: SimulatorServer) -> None:
    simulator.control.add_fault("GET /v1/connections", "drop")
    with pytest.raises(requests.ConnectionError):
        simulator_http.get("/v1/connections")
    assert simulator_http.get("/v1/connections").status_code == 200
    entry = simulator.control.requests()[0]
    assert (entry["fault"], entry["status"]) == ("drop", None)


def test_applied_create_with_dropped_answer_does_not_duplicate_on_retry(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    """The create happens, the client gets nothing; a retry then finds the connection (409 or lookup)."""
    simulator.control.add_fault("POST /v1/connections", "drop", apply=True)
    with pytest.raises(requests.ConnectionError):
        simulator_http.post("/v1/connections", json=create_body("idempotent"))
    created = simulator.control.connections()
    assert [c["schema"] for c in created] == ["idempotent"]
    retry = simulator_http.post("/v1/connections", json=create_body("idempotent"))
    assert retry.status_code == 409
    found = simulator_http.get("/v1/connections", params={"schema": "idempotent"}).json()["data"]["items"]
    assert [c["id"] for c in found] == [created[0]["id"]]
    entry = simulator.control.requests()[0]
    assert entry["applied"] is True
    assert entry["original_status"] == 201
    assert entry["original_response_body"]["data"]["id"] == created[0]["id"]


def test_applied_create_with_timed_out_answer(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    simulator.control.add_fault("POST /v1/connections", "delay", seconds=30, apply=True)
    with pytest.raises(requests.Timeout):
        simulator_http.post("/v1/connections", json=create_body("slow"), timeout=0.3)
    assert [c["schema"] for c in simulator.control.connections()] == ["slow"]


def test_delay_then_normal_answer(simulator_http: SimulatorHttp, simulator: SimulatorServer) -> None:
    simulator.control.add_fault("GET /v1/connections", "delay", seconds=0.05)
    assert simulator_http.get("/v1/connections").status_code == 200
    simulator.control.add_fault("GET /v1/connections", "delay", seconds=30)
    with pytest.raises(requests.Timeout):
        simulator_http.get("/v1/connections", timeout=0.3)
    # The server stays responsive to others while one answer is held back.
    assert simulator_http.get("/v1/connections").status_code == 200


def test_error_after_applying(simulator_http: SimulatorHttp, simulator: SimulatorServer) -> None:
    conn_id = create(simulator_http)["id"]
    simulator.control.add_fault("PATCH /v1/connections/*", "error", status=500, apply=True)
    assert simulator_http.patch(f"/v1/connections/{conn_id}", json={"paused": True}).status_code == 500
    assert simulator_http.get(f"/v1/connections/{conn_id}").json()["data"]["paused"] is True


def test_faults_apply_in_order_and_only_to_matching_routes(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    conn_id = create(simulator_http)["id"]
    simulator.control.add_fault(f"GET /v1/connections/{conn_id}", "error", status=503)
    simulator.control.add_fault("GET /v1/connections/{connectionId}", "error", status=429)
    assert simulator_http.get("/v1/connections").status_code == 200  # other route
    assert simulator_http.post(f"/v1/connections/{conn_id}/sync").status_code == 200  # other method/path
    assert simulator_http.get(f"/v1/connections/{conn_id}").status_code == 503
    assert simulator_http.get(f"/v1/connections/{conn_id}").status_code == 429
    assert simulator_http.get(f"/v1/connections/{conn_id}").status_code == 200
    assert simulator.control.faults() == []


def test_unlimited_fault_until_cleared(simulator_http: SimulatorHttp, simulator: SimulatorServer) -> None:
    simulator.control.add_fault("*", "error", status=503, count=None)
    assert [simulator_http.get("/v1/connections").status_code for _ in range(3)] == [503, 503, 503]
    assert simulator.control.faults()[0]["count"] is None
    simulator.control.clear_faults()
    assert simulator_http.get("/v1/connections").status_code == 200


def test_faults_ignore_auth_unless_applied(simulator: SimulatorServer) -> None:
    simulator.control.add_fault("GET /v1/connections", "error", status=503)
    assert requests.get(f"{simulator.base_url}/v1/connections", timeout=5).status_code == 503


def test_fault_spec_errors(simulator: SimulatorServer) -> None:
    for spec in (
        {"route": "GET /v1/connections", "kind": "explode"},
        {"route": "FETCH /v1/connections"},
        {"route": "v1/connections"},
        {"route": "GET /v1/connections", "count": 0},
        {"route": "GET /v1/connections", "status": 99},
        {"route": "GET /v1/connections", "colour": "red"},
    ):
        with pytest.raises(SimulatorControlError):
            simulator.control.add_faults([spec])


def test_scenario_faults_are_armed_at_start_and_reset(simulator_factory: object) -> None:
    sim = simulator_factory(scenario={"faults": [{"route": "GET /v1/connections", "status": 500}]})  # type: ignore[operator]
    http = SimulatorHttp(sim.base_url, sim.api_key, sim.api_secret)
    assert http.get("/v1/connections").status_code == 500
    assert http.get("/v1/connections").status_code == 200
    sim.control.reset()
    assert http.get("/v1/connections").status_code == 500


def test_reset_drops_requests_held_by_a_delay(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    simulator.control.add_fault("POST /v1/connections", "delay", seconds=30)
    with pytest.raises(requests.Timeout):
        simulator_http.post("/v1/connections", json=create_body("held"), timeout=0.3)
    simulator.control.reset()
    assert simulator.control.connections() == []
    assert simulator.control.requests() == []
