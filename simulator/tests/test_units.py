"""Pure pieces of the simulator: Accept negotiation, fault routes, rate windows, cursors, clock, scenarios."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from builders import create
from fivetran_simulator import SimulatorServer
from fivetran_simulator.app import acceptable, is_json_type
from fivetran_simulator.clock import SimClock
from fivetran_simulator.faults import Fault, FaultQueue, FaultSpecError
from fivetran_simulator.ratelimit import RateLimiter, RateLimits
from fivetran_simulator.scenario import Scenario, ScenarioError
from fivetran_simulator.store import decode_cursor, encode_cursor, redact
from tests.helpers.simulator import SimulatorHttp


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        (None, True),
        ("", True),
        ("application/json;version=2", True),
        ("application/json; version=1", True),
        ("APPLICATION/JSON", True),
        ("*/*", True),
        ("text/html, */*;q=0.1", True),
        ("application/xml", False),
        ("application/json;version=3", False),
        ("application/json;q=0", False),
        ("application/json;q=nonsense", False),
    ],
)
def test_acceptable(header: str | None, ok: bool) -> None:
    assert acceptable(header) is ok


def test_json_content_types() -> None:
    assert is_json_type("application/json; charset=utf-8")
    assert is_json_type("application/merge-patch+json")
    assert not is_json_type("text/json")
    assert not is_json_type(None)


def test_fault_routes() -> None:
    def matches(route: str, method: str, path: str) -> bool:
        return Fault.from_spec({"route": route}).matches(method, path)

    assert matches("GET /v1/connections/{id}", "GET", "/v1/connections/abc")
    assert not matches("GET /v1/connections/{id}", "GET", "/v1/connections/abc/test")
    assert not matches("GET /v1/connections/{id}", "PATCH", "/v1/connections/abc")
    assert matches("* /v1/connections/*/sync", "POST", "/v1/connections/abc/sync")
    assert matches("/v1/connections", "DELETE", "/v1/connections")
    assert matches("*", "PATCH", "/v1/anything/at/all")
    with pytest.raises(FaultSpecError, match="kind"):
        Fault.from_spec({"route": "*", "kind": "boom"})


def test_fault_queue_counts() -> None:
    queue = FaultQueue()
    queue.add({"route": "*", "count": 2})
    assert queue.take("GET", "/x") is not None
    assert queue.take("GET", "/x") is not None
    assert queue.take("GET", "/x") is None


def test_rate_window_retry_after() -> None:
    limiter = RateLimiter(RateLimits(all_per_hour=None, setup_tests_per_minute=3, setup_tests_per_hour=None))
    for t in (0.0, 10.0, 20.0):
        assert limiter.check(t, setup_test=True).allowed
    verdict = limiter.check(25.0, setup_test=True)
    assert (verdict.allowed, verdict.retry_after) == (False, 35)
    assert limiter.check(25.0, setup_test=False).allowed  # not a setup-test request
    assert limiter.check(60.0, setup_test=True).allowed  # the t=0 request left the window
    assert RateLimiter(None).check(0, setup_test=True).headers == {}


def test_cursor_roundtrip_and_forgery() -> None:
    assert decode_cursor(encode_cursor(42)) == 42
    for bad in ("", "x", encode_cursor(1)[:-3] + "!!!"):
        with pytest.raises(ValueError, match="cursor"):
            decode_cursor(bad)


def test_redact_is_deep_and_copies() -> None:
    original = {
        "auth": {"refresh_token": "t", "client_access": {"client_secret": "s", "client_id": "c"}},
        "x": [{}],
    }
    assert redact(original) == {
        "auth": {"refresh_token": "******", "client_access": {"client_secret": "******", "client_id": "c"}},
        "x": [{}],
    }
    assert original["auth"]["refresh_token"] == "t"


def test_clock_rules() -> None:
    clock = SimClock("manual")
    with pytest.raises(ValueError, match="advances"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="clock"):
        SimClock("fast")  # type: ignore[arg-type]


def test_scenario_file(tmp_path: Path, simulator_factory: Callable[..., SimulatorServer]) -> None:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps({"groups": ["eu_warehouse"], "sync": {"duration_seconds": 1}, "seed": 7}))
    sim = simulator_factory(scenario=str(path))
    http = SimulatorHttp(sim.base_url, sim.api_key, sim.api_secret)
    data = create(http, group_id="eu_warehouse")
    assert data["group_id"] == "eu_warehouse"
    with pytest.raises(ScenarioError, match="cannot read"):
        Scenario.load(tmp_path / "missing.json")


def test_seeded_ids_are_reproducible(simulator_factory: Callable[..., SimulatorServer]) -> None:
    ids = []
    for _ in range(2):
        sim = simulator_factory(scenario={"seed": 11})
        ids.append(create(SimulatorHttp(sim.base_url, sim.api_key, sim.api_secret))["id"])
    assert ids[0] == ids[1]
