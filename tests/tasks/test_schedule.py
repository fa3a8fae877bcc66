"""FivetranSetScheduleOperator against the simulator: only what changes is sent, validated before any call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from airflow.sdk import DAG, Context

from airflow_spotify_fivetran.exceptions import FivetranInputError
from airflow_spotify_fivetran.operators import FivetranSetScheduleOperator
from airflow_spotify_fivetran.sensors.fivetran import SCHEDULE_XCOM_KEY, FivetranSetupTestsSensor
from tests.helpers.task_calls import pulled
from tests.tasks.dag_runs import DagOutcome
from tests.tasks.sim import Sim

DEFAULT_SCHEDULE = {"sync_frequency": 360, "daily_sync_time": None, "schedule_type": "auto", "paused": False}


def schedule_op(connection_id: str, **kwargs: Any) -> FivetranSetScheduleOperator:
    return FivetranSetScheduleOperator(task_id="schedule", connection_id=connection_id, **kwargs)


def patch_bodies(sim: Sim) -> list[dict[str, Any]]:
    return [e["request_body"] for e in sim.requests() if e["method"] == "PATCH"]


def test_sends_only_the_fields_that_change_and_returns_the_schedule(sim: Sim, context: Context) -> None:
    conn_id = sim.create()
    op = schedule_op(
        conn_id, sync_frequency=1440, daily_sync_time="03:00", schedule_type="auto", paused=False
    )

    result = op.execute(context)

    assert sim.calls() == [("GET", f"/v1/connections/{conn_id}"), ("PATCH", f"/v1/connections/{conn_id}")]
    assert patch_bodies(sim) == [{"sync_frequency": 1440, "daily_sync_time": "03:00"}]
    expected = {"sync_frequency": 1440, "daily_sync_time": "03:00", "schedule_type": "auto", "paused": False}
    assert result == expected
    now = sim.details(conn_id)
    assert {key: now[key] for key in expected} == expected


def test_nothing_to_change_with_current_schedule_makes_no_call(sim: Sim, context: Context) -> None:
    conn_id = sim.create()
    op = schedule_op(conn_id, sync_frequency=360, schedule_type="auto", current_schedule=DEFAULT_SCHEDULE)
    assert op.execute(context) == DEFAULT_SCHEDULE
    assert sim.calls() == []


def test_nothing_to_change_without_current_schedule_reads_once(sim: Sim, context: Context) -> None:
    conn_id = sim.create()
    assert schedule_op(conn_id, sync_frequency="360", paused=False).execute(context) == DEFAULT_SCHEDULE
    assert sim.calls() == [("GET", f"/v1/connections/{conn_id}")]


def test_current_schedule_saves_the_read(sim: Sim, context: Context) -> None:
    conn_id = sim.create()
    schedule_op(conn_id, paused=True, current_schedule=DEFAULT_SCHEDULE).execute(context)
    assert sim.calls() == [("PATCH", f"/v1/connections/{conn_id}")]
    assert patch_bodies(sim) == [{"paused": True}]


def test_a_new_daily_hour_of_a_daily_connection_is_sent_alone(sim: Sim, context: Context) -> None:
    """``{"daily_sync_time": ...}`` alone is documented for a connection already at 1440 (Fivetran's guide
    "How to set a start time for daily syncs"): only what changes is sent."""
    conn_id = sim.create(sync_frequency=1440, daily_sync_time="03:00")
    schedule_op(conn_id, sync_frequency=1440, daily_sync_time=dt.time(5)).execute(context)
    assert patch_bodies(sim) == [{"daily_sync_time": "05:00"}]
    assert sim.details(conn_id)["daily_sync_time"] == "05:00"


def test_a_daily_hour_alone_is_enough_for_a_daily_connection(sim: Sim, context: Context) -> None:
    conn_id = sim.create(sync_frequency=1440)
    result = schedule_op(conn_id, daily_sync_time="07:00").execute(context)
    assert sim.calls() == [("GET", f"/v1/connections/{conn_id}"), ("PATCH", f"/v1/connections/{conn_id}")]
    assert patch_bodies(sim) == [{"daily_sync_time": "07:00"}]
    assert result["daily_sync_time"] == "07:00"
    assert sim.details(conn_id)["daily_sync_time"] == "07:00"


def test_a_daily_hour_alone_uses_the_upstream_schedule_without_a_read(sim: Sim, context: Context) -> None:
    conn_id = sim.create(sync_frequency=1440)
    current = {**DEFAULT_SCHEDULE, "sync_frequency": 1440}
    schedule_op(conn_id, daily_sync_time="07:00", current_schedule=current).execute(context)
    assert sim.calls() == [("PATCH", f"/v1/connections/{conn_id}")]
    assert patch_bodies(sim) == [{"daily_sync_time": "07:00"}]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"daily_sync_time": "03:00", "sync_frequency": 360}, "daily_sync_time"),
        ({"sync_frequency": 7}, "sync_frequency"),
        ({"sync_frequency": 1440, "daily_sync_time": "03:30"}, "daily_sync_time"),
        (
            {"sync_frequency": 1440, "daily_sync_time": "03:00", "time_zone": "Asia/Kolkata"},
            "daily_sync_time",
        ),
        (
            {"sync_frequency": 1440, "daily_sync_time": "03:00", "time_zone": "Mars/Olympus"},
            "daily_sync_time",
        ),
        ({"schedule_type": "sometimes"}, "schedule_type"),
        ({}, ""),
    ],
    ids=[
        "time-with-360",
        "frequency",
        "half-hour",
        "half-hour-zone",
        "zone",
        "type",
        "nothing",
    ],
)
def test_bad_schedule_is_refused_before_any_call(
    sim: Sim, context: Context, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(FivetranInputError) as raised:
        schedule_op("any_connection", **kwargs).execute(context)
    assert field in raised.value.paths
    assert sim.calls() == []


def test_a_daily_hour_for_a_connection_that_stays_non_daily_is_refused_before_the_patch(
    sim: Sim, context: Context
) -> None:
    """Fivetran would accept the PATCH and drop the hour: the task could not hold what it asks, so it fails
    naming the fix, after the one read that tells the connection's frequency."""
    conn_id = sim.create()  # 360 minutes
    with pytest.raises(FivetranInputError, match="set sync_frequency 1440") as raised:
        schedule_op(conn_id, daily_sync_time="03:00").execute(context)
    assert raised.value.paths == ["daily_sync_time"]
    assert "every 360 minutes" in str(raised.value)
    assert sim.calls() == [("GET", f"/v1/connections/{conn_id}")]


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Asia/Tokyo", "America/New_York"])
def test_local_daily_hour_reaches_fivetran_as_the_utc_hour(sim: Sim, context: Context, zone: str) -> None:
    conn_id = sim.create()
    schedule_op(conn_id, sync_frequency=1440, daily_sync_time="14:00", time_zone=zone).execute(context)

    tz = ZoneInfo(zone)
    today = dt.datetime.now(tz).date()
    expected = dt.datetime.combine(today, dt.time(14), tzinfo=tz).astimezone(dt.UTC).strftime("%H:00")
    assert patch_bodies(sim) == [{"sync_frequency": 1440, "daily_sync_time": expected}]
    assert sim.details(conn_id)["daily_sync_time"] == expected
    if zone == "Asia/Tokyo":  # no daylight saving time: always UTC+9
        assert expected == "05:00"


def test_schedule_from_the_sensor_xcom_in_a_dag_run(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str
) -> None:
    conn_id = sim.create()
    with DAG(dag_id, schedule=None, start_date=dt.datetime(2026, 1, 1), params={"frequency": "720"}) as dag:
        wait = FivetranSetupTestsSensor(
            task_id="wait", connection_id=conn_id, mode="poke", poke_interval=0.05
        )
        schedule = schedule_op(
            conn_id,
            sync_frequency="{{ params.frequency }}",
            schedule_type="manual",
            current_schedule=pulled(wait, key=SCHEDULE_XCOM_KEY),
        )
        wait >> schedule

    outcome = run_dag(dag)

    assert outcome.task_states == {"wait": "success", "schedule": "success"}
    assert sim.calls() == [("GET", f"/v1/connections/{conn_id}"), ("PATCH", f"/v1/connections/{conn_id}")]
    assert patch_bodies(sim) == [{"sync_frequency": 720, "schedule_type": "manual"}]
    assert outcome.xcom("schedule") == {
        "sync_frequency": 720,
        "daily_sync_time": None,
        "schedule_type": "manual",
        "paused": False,
    }
