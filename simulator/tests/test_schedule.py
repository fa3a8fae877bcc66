"""Automatic schedules: under schedule_type auto a connected, unpaused connection syncs by itself.

README ("Corrections and additions"): a first sync after setup, then every ``sync_frequency`` minutes; daily ones
at ``daily_sync_time`` plus Fivetran's fixed 0-60 minute offset (the simulator derives it from the id and shows
it under ``_sim.schedule_offset_minutes``). Under ``manual`` only the sync endpoint syncs. All on the manual clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from builders import create, details
from fivetran_simulator import SimulatorServer
from tests.helpers.simulator import SimulatorHttp

pytestmark = pytest.mark.usefixtures("simulator")
START = datetime.fromisoformat("2026-01-01T00:00:00+00:00")


def _at(**delta: float) -> str:
    return (START + timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_auto_hourly_syncs_by_itself_again_and_again(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    simulator.control.set_scenario({"sync": {"duration_seconds": 30}})
    conn_id = create(simulator_http, sync_frequency=60)["id"]
    seen = []
    for _ in range(3):
        simulator.control.advance_clock(3600)
        seen.append(details(simulator_http, conn_id)["succeeded_at"])
    # The first sync starts when the setup tests pass (00:00), then one every 60 minutes.
    assert seen == [_at(seconds=30), _at(hours=1, seconds=30), _at(hours=2, seconds=30)]


def test_the_first_sync_starts_when_setup_passes(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    data = create(simulator_http, with_auth=False)  # tests fail: incomplete, no sync
    simulator.control.advance_clock(7200)
    assert details(simulator_http, data["id"])["status"]["sync_state"] == "scheduled"
    simulator.control.complete_connect_card(data["id"])  # 02:00, tests pass
    assert details(simulator_http, data["id"])["status"]["sync_state"] == "syncing"
    simulator.control.advance_clock(30)
    assert details(simulator_http, data["id"])["succeeded_at"] == _at(hours=2, seconds=30)


def test_manual_schedule_syncs_only_through_the_endpoint(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    conn_id = create(simulator_http, schedule_type="manual", sync_frequency=5)["id"]
    simulator.control.advance_clock(86400)
    assert details(simulator_http, conn_id)["succeeded_at"] is None
    simulator_http.post(f"/v1/connections/{conn_id}/sync", json={})
    simulator.control.advance_clock(30)
    assert details(simulator_http, conn_id)["succeeded_at"] == _at(days=1, seconds=30)


def test_paused_connections_wait_and_unpausing_syncs_first(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    conn_id = create(simulator_http, paused=True, sync_frequency=60)["id"]
    simulator.control.advance_clock(3 * 3600)
    assert details(simulator_http, conn_id)["succeeded_at"] is None
    data = simulator_http.patch(f"/v1/connections/{conn_id}", json={"paused": False}).json()["data"]
    assert data["status"]["sync_state"] == "syncing"  # the first sync after unpause
    simulator.control.advance_clock(3630)
    assert details(simulator_http, conn_id)["succeeded_at"] == _at(hours=4, seconds=30)


def test_daily_syncs_at_the_daily_time_plus_the_offset(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    conn_id = create(simulator_http, sync_frequency=1440, daily_sync_time="06:00")["id"]
    offset = simulator.control.connection(conn_id)["_sim"]["schedule_offset_minutes"]
    assert 0 <= offset <= 60
    simulator.control.advance_clock(60)
    assert details(simulator_http, conn_id)["succeeded_at"] == _at(seconds=30)  # first sync after setup
    assert simulator.control.connection(conn_id)["_sim"]["next_sync_at"] == _at(hours=6, minutes=offset)
    simulator.control.set_clock(START + timedelta(days=1, hours=12))
    # 06:00+offset on the first day, then on the second.
    assert details(simulator_http, conn_id)["succeeded_at"] == _at(
        days=1, hours=6, minutes=offset, seconds=30
    )


def test_changing_the_frequency_restarts_the_grid(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    conn_id = create(simulator_http, sync_frequency=360)["id"]
    simulator.control.advance_clock(600)  # first sync done at 00:00:30
    simulator_http.patch(f"/v1/connections/{conn_id}", json={"sync_frequency": 15})  # at 00:10
    assert simulator.control.connection(conn_id)["_sim"]["next_sync_at"] == _at(minutes=25)
    simulator.control.advance_clock(16 * 60)
    assert details(simulator_http, conn_id)["succeeded_at"] == _at(minutes=25, seconds=30)


def test_a_long_clock_jump_ends_with_the_last_sync(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    """A week of one-minute syncs: the answer is what Fivetran would show now, computed without a week of steps."""
    conn_id = create(simulator_http, sync_frequency=1)["id"]
    simulator.control.advance_clock(7 * 86400 + 45)
    data = details(simulator_http, conn_id)
    assert data["succeeded_at"] == _at(days=7, seconds=30)
    assert data["status"]["sync_state"] == "scheduled"
    assert data["status"]["is_historical_sync"] is False


def test_a_slot_during_a_running_sync_is_skipped(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    simulator.control.set_scenario({"sync": {"duration_seconds": 90}})
    conn_id = create(simulator_http, sync_frequency=1)["id"]
    simulator.control.advance_clock(100)  # 00:00 - 01:30 ran; the 01:00 slot fell inside it
    assert details(simulator_http, conn_id)["succeeded_at"] == _at(seconds=90)
    assert simulator.control.connection(conn_id)["_sim"]["next_sync_at"] == _at(minutes=2)


def test_scheduled_syncs_consume_the_outcome_queue_in_order(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    simulator.control.set_scenario({"sync": {"duration_seconds": 10, "outcomes": ["failure", "success"]}})
    conn_id = create(simulator_http, sync_frequency=5)["id"]
    simulator.control.advance_clock(3600)
    data = details(simulator_http, conn_id)
    assert data["failed_at"] == _at(seconds=10)
    assert data["succeeded_at"] == _at(minutes=55, seconds=10)
