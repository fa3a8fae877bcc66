"""Syncs on the manual clock: completion, failure, rescheduled, paused, resync, revoked credentials."""

from __future__ import annotations

from typing import Any

import pytest

from builders import create, details, error
from fivetran_simulator import DEMO_REFRESH_TOKEN, SimulatorServer
from tests.helpers.simulator import SimulatorHttp

pytestmark = pytest.mark.usefixtures("simulator")
START = "2026-01-01T00:00:00.000000Z"


def _status(http: SimulatorHttp, conn_id: str) -> dict[str, Any]:
    data = details(http, conn_id)
    return {
        "sync_state": data["status"]["sync_state"],
        "succeeded_at": data["succeeded_at"],
        "failed_at": data["failed_at"],
        "rescheduled_for": data["status"]["rescheduled_for"],
        "setup_state": data["status"]["setup_state"],
        "historical": data["status"]["is_historical_sync"],
    }


def test_sync_completes_after_the_configured_duration(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    simulator.control.set_scenario({"sync": {"duration_seconds": 120}})
    conn_id = create(simulator_http)["id"]
    simulator_http.post(f"/v1/connections/{conn_id}/sync", json={})
    assert _status(simulator_http, conn_id)["sync_state"] == "syncing"
    simulator.control.advance_clock(119)
    assert _status(simulator_http, conn_id)["sync_state"] == "syncing"
    simulator.control.advance_clock(1)
    assert _status(simulator_http, conn_id) == {
        "sync_state": "scheduled",
        "succeeded_at": "2026-01-01T00:02:00.000000Z",
        "failed_at": None,
        "rescheduled_for": None,
        "setup_state": "connected",
        "historical": False,
    }


def test_sync_failure(simulator_http: SimulatorHttp, simulator: SimulatorServer) -> None:
    simulator.control.set_scenario({"sync": {"duration_seconds": 10, "outcome": "failure"}})
    conn_id = create(simulator_http)["id"]
    simulator_http.post(f"/v1/connections/{conn_id}/sync")
    simulator.control.advance_clock(10)
    status = _status(simulator_http, conn_id)
    assert status["failed_at"] == "2026-01-01T00:00:10.000000Z"
    assert status["succeeded_at"] is None
    assert status["sync_state"] == "scheduled"
    assert details(simulator_http, conn_id)["status"]["update_state"] == "delayed"


def test_outcome_queue_then_default(simulator_http: SimulatorHttp, simulator: SimulatorServer) -> None:
    simulator.control.set_scenario(
        {"sync": {"duration_seconds": 10, "outcomes": ["failure"], "outcome": "success"}}
    )
    conn_id = create(simulator_http)["id"]
    simulator_http.post(f"/v1/connections/{conn_id}/sync")
    simulator.control.advance_clock(10)
    simulator_http.post(f"/v1/connections/{conn_id}/sync")
    simulator.control.advance_clock(10)
    status = _status(simulator_http, conn_id)
    assert (status["failed_at"], status["succeeded_at"]) == (
        "2026-01-01T00:00:10.000000Z",
        "2026-01-01T00:00:20.000000Z",
    )


def test_outcome_by_schema(simulator_http: SimulatorHttp, simulator: SimulatorServer) -> None:
    simulator.control.set_scenario(
        {"sync": {"duration_seconds": 5, "by_schema": {"bad": {"outcome": "failure"}}}}
    )
    good, bad = create(simulator_http, "good")["id"], create(simulator_http, "bad")["id"]
    for conn_id in (good, bad):
        simulator_http.post(f"/v1/connections/{conn_id}/sync")
    simulator.control.advance_clock(5)  # by_schema inherits the 5 s duration
    assert _status(simulator_http, good)["succeeded_at"] is not None
    assert _status(simulator_http, bad)["failed_at"] is not None


def test_rescheduled_then_resumes_automatically(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    simulator.control.set_scenario(
        {"sync": {"duration_seconds": 60, "outcomes": ["rescheduled"], "rescheduled_delay_seconds": 600}}
    )
    conn_id = create(simulator_http)["id"]
    simulator_http.post(f"/v1/connections/{conn_id}/sync")
    simulator.control.advance_clock(60)
    status = _status(simulator_http, conn_id)
    assert status["sync_state"] == "rescheduled"
    assert status["rescheduled_for"] == "2026-01-01T00:11:00.000000Z"
    assert status["succeeded_at"] is None
    simulator.control.advance_clock(600)  # resumes at 00:11, runs 60 s
    assert _status(simulator_http, conn_id)["sync_state"] == "syncing"
    simulator.control.advance_clock(60)
    status = _status(simulator_http, conn_id)
    assert (status["sync_state"], status["succeeded_at"]) == ("scheduled", "2026-01-01T00:12:00.000000Z")


def test_rescheduled_manual_schedule_waits_for_a_sync_call(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    simulator.control.set_scenario({"sync": {"duration_seconds": 60, "outcomes": ["rescheduled"]}})
    conn_id = create(simulator_http, schedule_type="manual")["id"]
    simulator_http.post(f"/v1/connections/{conn_id}/sync")
    simulator.control.advance_clock(3600)
    assert _status(simulator_http, conn_id)["sync_state"] == "rescheduled"
    simulator_http.post(f"/v1/connections/{conn_id}/sync")
    assert _status(simulator_http, conn_id)["sync_state"] == "syncing"
    simulator.control.advance_clock(60)
    assert _status(simulator_http, conn_id)["succeeded_at"] is not None


def test_a_lapsed_clock_jump_completes_everything_in_order(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    simulator.control.set_scenario(
        {
            "sync": {
                "duration_seconds": 60,
                "outcomes": ["rescheduled", "rescheduled"],
                "rescheduled_delay_seconds": 60,
            }
        }
    )
    conn_id = create(simulator_http)["id"]
    simulator_http.post(f"/v1/connections/{conn_id}/sync")
    simulator.control.advance_clock(10_000)
    # 00:01 rescheduled -> 00:02 resumes -> 00:03 rescheduled -> 00:04 resumes -> 00:05 succeeded
    assert _status(simulator_http, conn_id)["succeeded_at"] == "2026-01-01T00:05:00.000000Z"


def test_sync_while_syncing_is_a_no_op_unless_forced(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    simulator.control.set_scenario({"sync": {"duration_seconds": 100}})
    conn_id = create(simulator_http)["id"]
    simulator_http.post(f"/v1/connections/{conn_id}/sync")
    simulator.control.advance_clock(50)
    simulator_http.post(f"/v1/connections/{conn_id}/sync", json={"force": False})
    simulator.control.advance_clock(50)
    assert _status(simulator_http, conn_id)["succeeded_at"] == "2026-01-01T00:01:40.000000Z"
    simulator_http.post(f"/v1/connections/{conn_id}/sync")
    simulator.control.advance_clock(50)
    simulator_http.post(f"/v1/connections/{conn_id}/sync", json={"force": True})  # restarts at 00:02:30
    simulator.control.advance_clock(50)
    assert _status(simulator_http, conn_id)["sync_state"] == "syncing"
    simulator.control.advance_clock(50)
    assert _status(simulator_http, conn_id)["succeeded_at"] == "2026-01-01T00:04:10.000000Z"


def test_paused_connection_does_not_sync(simulator_http: SimulatorHttp, simulator: SimulatorServer) -> None:
    conn_id = create(simulator_http, paused=True)["id"]
    response = simulator_http.post(f"/v1/connections/{conn_id}/sync")
    assert response.status_code == 200  # accepted, as Fivetran does, but nothing runs
    simulator.control.advance_clock(3600)
    assert _status(simulator_http, conn_id)["sync_state"] == "paused"
    assert _status(simulator_http, conn_id)["succeeded_at"] is None


def test_pausing_cancels_a_running_sync(simulator_http: SimulatorHttp, simulator: SimulatorServer) -> None:
    conn_id = create(simulator_http, schedule_type="manual")["id"]
    simulator_http.post(f"/v1/connections/{conn_id}/sync")
    simulator_http.patch(f"/v1/connections/{conn_id}", json={"paused": True})
    simulator.control.advance_clock(3600)
    simulator_http.patch(f"/v1/connections/{conn_id}", json={"paused": False})
    status = _status(simulator_http, conn_id)
    assert (status["sync_state"], status["succeeded_at"]) == ("scheduled", None)


def test_sync_of_an_incomplete_connection_is_fivetrans_400(simulator_http: SimulatorHttp) -> None:
    """Terraform provider issue 209: Fivetran's refusal of an action on an incomplete connection."""
    conn_id = create(simulator_http, with_auth=False)["id"]
    expected = "We expected the connector's setup state ('status.setup_state') to be 'connected', but it was 'incomplete'"
    assert error(simulator_http.post(f"/v1/connections/{conn_id}/sync"), 400, "InvalidInput") == expected
    assert error(simulator_http.post(f"/v1/connections/{conn_id}/resync"), 400, "InvalidInput") == expected


def test_resync_is_historical_and_uses_its_own_duration(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    simulator.control.set_scenario({"sync": {"duration_seconds": 10, "resync_duration_seconds": 100}})
    conn_id = create(simulator_http)["id"]
    simulator_http.post(f"/v1/connections/{conn_id}/sync")
    simulator.control.advance_clock(10)
    assert _status(simulator_http, conn_id)["historical"] is False
    assert simulator_http.post(f"/v1/connections/{conn_id}/resync", json={}).status_code == 200
    assert _status(simulator_http, conn_id)["historical"] is True
    assert _status(simulator_http, conn_id)["sync_state"] == "syncing"
    simulator.control.advance_clock(99)
    assert _status(simulator_http, conn_id)["sync_state"] == "syncing"
    simulator.control.advance_clock(1)
    status = _status(simulator_http, conn_id)
    assert (status["historical"], status["succeeded_at"]) == (False, "2026-01-01T00:01:50.000000Z")


def test_resync_of_a_paused_connection_runs_on_unpause(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    conn_id = create(simulator_http, paused=True)["id"]
    assert "unpaused" in simulator_http.post(f"/v1/connections/{conn_id}/resync").json()["message"]
    assert _status(simulator_http, conn_id)["sync_state"] == "paused"
    simulator_http.patch(f"/v1/connections/{conn_id}", json={"paused": False})
    assert _status(simulator_http, conn_id)["sync_state"] == "syncing"


def test_patch_is_historical_sync_starts_a_resync(simulator_http: SimulatorHttp) -> None:
    conn_id = create(simulator_http)["id"]
    data = simulator_http.patch(f"/v1/connections/{conn_id}", json={"is_historical_sync": True}).json()[
        "data"
    ]
    assert data["status"]["sync_state"] == "syncing"
    assert data["status"]["is_historical_sync"] is True


def test_revoked_credentials_fail_the_next_sync_and_break(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    conn_id = create(simulator_http)["id"]
    simulator_http.post(f"/v1/connections/{conn_id}/sync")
    simulator.control.revoke(refresh_token=DEMO_REFRESH_TOKEN)
    simulator.control.advance_clock(30)
    status = _status(simulator_http, conn_id)
    assert status["failed_at"] == "2026-01-01T00:00:30.000000Z"
    assert status["setup_state"] == "broken"
    # A broken connection may still be asked to sync; it fails again.
    assert simulator_http.post(f"/v1/connections/{conn_id}/sync").status_code == 200


def test_real_clock_mode_follows_wall_time(simulator_factory: Any) -> None:
    sim = simulator_factory(clock="real")
    now = sim.control.now()
    later = sim.control.advance_clock(3600)
    assert 3599 < (later - now).total_seconds() < 3700
    assert sim.control.health()["clock"] == "real"


def test_manual_clock_set_and_reset(simulator: SimulatorServer) -> None:
    assert simulator.control.now().isoformat() == "2026-01-01T00:00:00+00:00"
    assert simulator.control.set_clock("2026-05-01T12:00:00Z").isoformat() == "2026-05-01T12:00:00+00:00"
    simulator.control.reset()
    assert simulator.control.now().isoformat() == "2026-01-01T00:00:00+00:00"
