"""Every answer the simulator gave during this test session conforms to Fivetran's OpenAPI.

The conftest records every exchange of every simulator of the session; this module is marked
``simulator_conformance`` so it runs last and sees them all. It first tours every endpoint itself, so that it
also proves something when run alone.
"""

from __future__ import annotations

from typing import Any

import pytest

from builders import REPORT, create, create_body, specific_accounts
from fivetran_simulator import SimulatorServer
from tests.helpers.simulator import SimulatorHttp
from tests.spec import exchange_errors, load_spec, request_errors, require_spec

pytestmark = pytest.mark.simulator_conformance
NOT_SIMULATED: set[tuple[str, str]] = set()


def _tour(http: SimulatorHttp, sim: SimulatorServer) -> None:
    """One successful call of every operation, plus the answers with the most optional parts."""
    full = create(
        http,
        "tour_full",
        sync_frequency=1440,
        daily_sync_time="06:00",
        destination_configuration={"virtual_warehouse": "WH"},
        connect_card_config={"redirect_uri": "https://example.com/done", "hide_setup_guide": True},
        config_report_list=[REPORT],
        **specific_accounts(),
    )
    bare = create(http, "tour_bare", with_auth=False, run_setup_tests=False)
    conn_id = full["id"]
    http.get(f"/v1/connections/{conn_id}")
    http.patch(f"/v1/connections/{conn_id}", json={"schedule_type": "manual", "run_setup_tests": True})
    http.post(f"/v1/connections/{conn_id}/test", json={})
    http.post(f"/v1/connections/{bare['id']}/test", json={})
    http.post(
        f"/v1/connections/{bare['id']}/connect-card",
        json={"connect_card_config": {"redirect_uri": "http://x.example"}},
    )
    http.post(f"/v1/connections/{conn_id}/sync", json={"force": False})
    sim.control.set_scenario({"sync": {"outcomes": ["rescheduled"]}})
    sim.control.advance_clock(30)
    http.get(f"/v1/connections/{conn_id}")  # rescheduled, with rescheduled_for
    http.patch(f"/v1/connections/{conn_id}", json={"schema_status": "ready"})
    sim.control.advance_clock(3600)
    http.post(f"/v1/connections/{conn_id}/resync", json={})
    http.post(f"/v1/connections/{conn_id}/resync", json={"scope": {"tour_full": ["campaign_daily"]}})  # 400
    http.post(f"/v1/connections/{conn_id}/schemas/reload", json={"exclude_mode": "PRESERVE"})
    sim.control.revoke(client_id="demo-client-id", immediate=True)
    http.get(f"/v1/connections/{conn_id}")  # broken, with a task
    http.get("/v1/connections", params={"limit": 1})
    http.get("/v1/connections", params={"schema": "tour_full"})
    http.get(f"/v1/groups/{full['group_id']}/connections", params={"limit": 1})
    http.post("/v1/connections", json=create_body("tour_full"))  # 409
    http.delete(f"/v1/connections/{bare['id']}")


def test_every_answer_of_the_session_conforms(
    simulator: SimulatorServer, simulator_http: SimulatorHttp, simulator_exchanges: list[dict[str, Any]]
) -> None:
    require_spec()
    before = len(simulator_exchanges)
    _tour(simulator_http, simulator)
    assert len(simulator_exchanges) > before

    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for entry in list(simulator_exchanges):
        problems += exchange_errors(entry)
        status = entry.get("original_status", entry["status"]) if entry.get("fault") else entry["status"]
        if entry.get("path_template") and status is not None and 200 <= status < 300:
            seen.add((entry["method"], entry["path_template"]))
    assert not problems, f"{len(problems)} non-conforming answers:\n" + "\n".join(sorted(set(problems))[:50])

    operations = {(m.upper(), p) for p, ops in load_spec()["paths"].items() for m in ops}
    assert operations - NOT_SIMULATED - seen == set(), "operations never answered successfully"


def test_the_tours_requests_conform(simulator: SimulatorServer, simulator_http: SimulatorHttp) -> None:
    """The request log carries what clients sent (secrets redacted): the hook's tests check theirs this way."""
    require_spec()
    _tour(simulator_http, simulator)
    problems = [
        problem
        for entry in simulator.control.requests()
        if entry["path_template"] and entry["status"] != 409
        for problem in request_errors(entry["method"], entry["path"], entry["request_body"])
    ]
    assert problems == []
