"""Fivetran-like rate limits on the simulator clock: 429 TooManyRequests with Retry-After, X-Rate-Limit headers."""

from __future__ import annotations

import pytest

from builders import create, create_body, error
from fivetran_simulator import SimulatorServer
from tests.helpers.simulator import SimulatorHttp

pytestmark = pytest.mark.usefixtures("simulator")


def test_off_by_default(simulator_http: SimulatorHttp) -> None:
    response = simulator_http.get("/v1/connections")
    assert "X-Rate-Limit" not in response.headers


def test_setup_test_requests_per_minute(simulator_http: SimulatorHttp, simulator: SimulatorServer) -> None:
    simulator.control.set_scenario({"rate_limits": {"setup_tests_per_minute": 2}})
    conn_id = create(simulator_http)["id"]  # setup-test request 1 (at 00:00:00)
    simulator.control.advance_clock(20)
    assert simulator_http.post(f"/v1/connections/{conn_id}/test", json={}).status_code == 200  # 2 (00:00:20)
    simulator.control.advance_clock(10)
    response = simulator_http.post(f"/v1/connections/{conn_id}/test", json={})
    assert "Rate limit" in error(response, 429, "TooManyRequests")
    assert response.headers["Retry-After"] == "30"  # the 00:00:00 request leaves the window at 00:01:00
    # Other requests are not setup-test requests.
    assert simulator_http.get(f"/v1/connections/{conn_id}").status_code == 200
    assert (
        simulator_http.post("/v1/connections", json=create_body("b", run_setup_tests=False)).status_code
        == 201
    )
    body = {"paused": True}  # PATCH without run_setup_tests
    assert simulator_http.patch(f"/v1/connections/{conn_id}", json=body).status_code == 200
    error(simulator_http.patch(f"/v1/connections/{conn_id}", json=body | {"run_setup_tests": True}), 429)
    error(simulator_http.post("/v1/connections", json=create_body("c")), 429)
    simulator.control.advance_clock(29)
    assert simulator_http.post(f"/v1/connections/{conn_id}/test", json={}).headers.get("Retry-After") == "1"
    simulator.control.advance_clock(1)
    assert simulator_http.post(f"/v1/connections/{conn_id}/test", json={}).status_code == 200


def test_all_requests_per_hour_with_headers(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    simulator.control.set_scenario({"rate_limits": {"all_per_hour": 3}})
    remaining = []
    for _ in range(3):
        response = simulator_http.get("/v1/connections")
        assert response.status_code == 200
        assert response.headers["X-Rate-Limit"] == "3"
        remaining.append(response.headers["X-Rate-Limit-Remaining"])
        simulator.control.advance_clock(600)
    assert remaining == ["2", "1", "0"]
    response = simulator_http.get("/v1/connections")
    error(response, 429, "TooManyRequests")
    assert response.headers["Retry-After"] == "1800"
    assert response.headers["X-Rate-Limit-Remaining"] == "0"
    simulator.control.advance_clock(1800)
    assert simulator_http.get("/v1/connections").status_code == 200


def test_fivetran_defaults(simulator_http: SimulatorHttp, simulator: SimulatorServer) -> None:
    scenario = simulator.control.set_scenario({"rate_limits": {}})
    assert scenario["rate_limits"] == {
        "all_per_hour": 20000,
        "setup_tests_per_minute": 250,
        "setup_tests_per_hour": 2500,
        "creates_per_minute": None,  # reported by users only: off unless a scenario sets it
    }
    assert simulator_http.get("/v1/connections").headers["X-Rate-Limit"] == "20000"
    for i in range(21):  # more than the 20 creates a minute users report: not limited unless asked
        assert simulator_http.post("/v1/connections", json=create_body(f"s{i}", run_setup_tests=False)).ok


def test_creates_per_minute_when_set(simulator_http: SimulatorHttp, simulator: SimulatorServer) -> None:
    simulator.control.set_scenario({"rate_limits": {"creates_per_minute": 2, "setup_tests_per_minute": None}})
    conn_id = create(simulator_http, "a")["id"]  # create 1 (at 00:00:00)
    simulator.control.advance_clock(15)
    create(simulator_http, "b", run_setup_tests=False)  # 2 (00:00:15): counted without setup tests too
    simulator.control.advance_clock(15)
    response = simulator_http.post("/v1/connections", json=create_body("c"))
    assert "Rate limit" in error(response, 429, "TooManyRequests")
    assert response.headers["Retry-After"] == "30"  # the 00:00:00 create leaves the window at 00:01:00
    # Only creates count: reads, edits and setup tests of existing connections pass.
    assert simulator_http.get(f"/v1/connections/{conn_id}").status_code == 200
    assert simulator_http.post(f"/v1/connections/{conn_id}/test", json={}).status_code == 200
    assert simulator_http.patch(f"/v1/connections/{conn_id}", json={"paused": True}).status_code == 200
    simulator.control.advance_clock(30)
    create(simulator_http, "c")  # refused requests were not counted: a slot is free again
    error(simulator_http.post("/v1/connections", json=create_body("d")), 429)
    assert [c["schema"] for c in simulator.control.connections()] == ["a", "b", "c"]


def test_reset_forgets_counted_requests(simulator_http: SimulatorHttp, simulator: SimulatorServer) -> None:
    simulator.control.set_scenario({"rate_limits": {"all_per_hour": 1}})
    simulator_http.get("/v1/connections")
    assert simulator_http.get("/v1/connections").status_code == 429
    simulator.control.set_scenario({"rate_limits": {"all_per_hour": 1}})
    assert simulator_http.get("/v1/connections").status_code == 200
