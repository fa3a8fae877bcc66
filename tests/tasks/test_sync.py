"""FivetranSyncOperator and FivetranSyncSensor against the simulator, on its manual clock.

Syncs take 60 simulator seconds; a test moves the clock while the task waits (``sim.on_request``: after
the n-th read of the connection), so a wait sees ``syncing`` first and the completion later. Connections are
made with ``schedule_type: manual``: under ``auto`` Fivetran (and the simulator) would also sync by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from airflow.sdk import DAG, Context
from airflow.sdk.exceptions import AirflowSensorTimeout

from airflow_spotify_fivetran.exceptions import (
    FivetranBadRequestError,
    FivetranInputError,
    FivetranSyncFailedError,
    FivetranWaitTimeoutError,
)
from airflow_spotify_fivetran.operators import FivetranSyncOperator
from airflow_spotify_fivetran.sensors.fivetran import FivetranSyncSensor
from airflow_spotify_fivetran.triggers.fivetran import FivetranSyncTrigger
from tests.helpers.task_calls import expect_deferral, first_event
from tests.tasks.dag_runs import DagOutcome
from tests.tasks.sim import Sim

DEFERRABLE = pytest.mark.parametrize("deferrable", [False, True], ids=["worker", "deferred"])
SYNC_KEYS = {"connection_id", "baseline", "sync_state", "succeeded_at", "failed_at"}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def sync_op(connection_id: str, **kwargs: Any) -> FivetranSyncOperator:
    kwargs.setdefault("poll_interval", 0.1)
    kwargs.setdefault("timeout", 20)
    return FivetranSyncOperator(task_id="sync", connection_id=connection_id, **kwargs)


def sync_sensor(connection_id: str, **kwargs: Any) -> FivetranSyncSensor:
    kwargs.setdefault("mode", "poke")
    kwargs.setdefault("poke_interval", 0.1)
    kwargs.setdefault("timeout", 20)
    return FivetranSyncSensor(task_id="wait", connection_id=connection_id, **kwargs)


def one_task_dag(dag_id: str, make: Callable[[], Any]) -> DAG:
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        make()
    return dag


@pytest.fixture
def synced(sim: Sim) -> tuple[str, datetime]:
    """A connection that synced once (60 s sync, succeeded); the next syncs take 60 s too."""
    conn_id = manual(sim)
    return conn_id, sim.complete_sync(conn_id)


def manual(sim: Sim, **fields: Any) -> str:
    """A connection only the sync endpoint syncs (no automatic first sync after its setup tests)."""
    return sim.create(schedule_type="manual", **fields)


def read(conn_id: str) -> tuple[str, str]:
    return ("GET", f"/v1/connections/{conn_id}")


def advance_after_read(sim: Sim, conn_id: str, nth: int, seconds: float) -> None:
    """Move the clock ``seconds`` once the connection has been read ``nth`` times."""
    sim.on_request("GET", f"/v1/connections/{conn_id}", nth, lambda: sim.control.advance_clock(seconds))


# -- the operator -----------------------------------------------------------------------------------------


def test_sync_without_waiting_returns_the_baseline(
    sim: Sim, synced: tuple[str, datetime], context: Context
) -> None:
    conn_id, last_end = synced
    result = sync_op(conn_id).execute(context)

    assert result == {"connection_id": conn_id, "baseline": iso(last_end)}
    assert sim.calls() == [read(conn_id), ("POST", f"/v1/connections/{conn_id}/sync")]
    assert sim.details(conn_id)["status"]["sync_state"] == "syncing"


@DEFERRABLE
def test_sync_operator_waits_until_the_sync_completes(
    sim: Sim,
    synced: tuple[str, datetime],
    run_dag: Callable[[DAG], DagOutcome],
    dag_id: str,
    deferrable: bool,
) -> None:
    conn_id, last_end = synced
    # reads: 1 baseline, 2 first check (syncing), 3 first poll of the loop/trigger (syncing)
    advance_after_read(sim, conn_id, 3, 60)

    dag = one_task_dag(dag_id, lambda: sync_op(conn_id, wait_for_completion=True, deferrable=deferrable))
    outcome = run_dag(dag)

    assert outcome.task_states == {"sync": "success"}
    result = outcome.xcom("sync")
    assert set(result) == SYNC_KEYS  # the same XCom whichever way the task waited
    assert result["baseline"] == iso(last_end)
    assert result["succeeded_at"] == iso(sim.control.now())
    assert sim.calls().count(("POST", f"/v1/connections/{conn_id}/sync")) == 1
    assert sim.calls().count(read(conn_id)) == 4


@DEFERRABLE
def test_sync_operator_fails_when_the_sync_fails(
    sim: Sim,
    synced: tuple[str, datetime],
    run_dag: Callable[[DAG], DagOutcome],
    dag_id: str,
    deferrable: bool,
) -> None:
    conn_id, _ = synced
    sim.control.set_scenario({"sync": {"duration_seconds": 60, "outcome": "failure"}})
    advance_after_read(sim, conn_id, 3, 60)

    dag = one_task_dag(dag_id, lambda: sync_op(conn_id, wait_for_completion=True, deferrable=deferrable))
    error = run_dag(dag).error("sync")

    assert isinstance(error, FivetranSyncFailedError)
    assert f"sync of {conn_id} failed at {iso(sim.control.now())}" in str(error)


def rescheduled_then_success(sim: Sim, conn_id: str) -> None:
    """The next sync is rescheduled by Fivetran (for 600 s after its end), and the resumed run succeeds.

    Under ``auto``: a rescheduled sync resumes by itself only on an automatic schedule (as the simulator
    models it); the next slot of the 6-hourly grid is far beyond these 12 minutes."""
    sim.api("PATCH", f"/v1/connections/{conn_id}", {"schedule_type": "auto"})
    sim.control.clear_requests()
    sim.control.set_scenario(
        {"sync": {"duration_seconds": 60, "outcomes": ["rescheduled"], "rescheduled_delay_seconds": 600}}
    )
    advance_after_read(sim, conn_id, 3, 60)  # the attempt ends: rescheduled
    advance_after_read(sim, conn_id, 4, 660)  # the rescheduled run starts at +600 and ends at +660


@DEFERRABLE
def test_sync_operator_waits_through_a_reschedule(
    sim: Sim,
    synced: tuple[str, datetime],
    run_dag: Callable[[DAG], DagOutcome],
    dag_id: str,
    deferrable: bool,
) -> None:
    conn_id, _ = synced
    rescheduled_then_success(sim, conn_id)

    dag = one_task_dag(dag_id, lambda: sync_op(conn_id, wait_for_completion=True, deferrable=deferrable))
    outcome = run_dag(dag)

    assert outcome.task_states == {"sync": "success"}
    assert outcome.xcom("sync")["succeeded_at"] == iso(sim.control.now())
    states = [
        e["response_body"]["data"]["status"]["sync_state"] for e in sim.requests() if e["method"] == "GET"
    ]
    assert "rescheduled" in states


@DEFERRABLE
def test_fail_on_rescheduled_ends_the_wait(
    sim: Sim,
    synced: tuple[str, datetime],
    run_dag: Callable[[DAG], DagOutcome],
    dag_id: str,
    deferrable: bool,
) -> None:
    conn_id, _ = synced
    sim.control.set_scenario(
        {"sync": {"duration_seconds": 60, "outcomes": ["rescheduled"], "rescheduled_delay_seconds": 600}}
    )
    advance_after_read(sim, conn_id, 3, 60)

    make = lambda: sync_op(  # noqa: E731
        conn_id, wait_for_completion=True, deferrable=deferrable, fail_on_rescheduled=True
    )
    error = run_dag(one_task_dag(dag_id, make)).error("sync")

    assert isinstance(error, FivetranSyncFailedError)
    assert "rescheduled by Fivetran for" in str(error)


def test_baseline_and_flags_travel_to_the_trigger(
    sim: Sim, synced: tuple[str, datetime], context: Context
) -> None:
    conn_id, last_end = synced
    task = sync_op(conn_id, wait_for_completion=True, deferrable=True, fail_on_rescheduled=True, timeout=120)
    before = datetime.now(UTC)

    deferred = expect_deferral(task, context)

    trigger = deferred.trigger
    assert isinstance(trigger, FivetranSyncTrigger)
    _classpath, kwargs = trigger.serialize()
    assert kwargs["baseline"] == iso(last_end)
    assert kwargs["fail_on_rescheduled"] is True
    assert kwargs["poll_interval"] == 0.1
    assert kwargs["connection_id"] == conn_id
    end_time = datetime.fromisoformat(kwargs["end_time"])
    after = datetime.now(UTC)
    assert before + timedelta(seconds=120) <= end_time <= after + timedelta(seconds=120)
    assert deferred.timeout is not None
    assert deferred.timeout.total_seconds() >= 120


def test_a_completion_before_the_trigger_starts_is_not_missed(
    sim: Sim, synced: tuple[str, datetime], context: Context
) -> None:
    conn_id, last_end = synced
    task = sync_op(conn_id, wait_for_completion=True, deferrable=True)
    deferred = expect_deferral(task, context)  # the check saw "syncing"
    sim.control.advance_clock(60)  # the sync ends before the triggerer picks the trigger up
    sim.control.clear_requests()

    event = first_event(deferred.trigger)

    assert event.payload["status"] == "success"
    assert sim.calls() == [read(conn_id)]  # the trigger's first poll saw it: the baseline is the old one
    result = task.execute_complete(context, event=event.payload)
    assert result["succeeded_at"] == iso(sim.control.now())
    assert result["baseline"] == iso(last_end)


def test_a_sync_completing_before_the_first_check_needs_no_deferral(
    sim: Sim, synced: tuple[str, datetime], context: Context
) -> None:
    conn_id, _ = synced
    sim.control.set_scenario({"sync": {"duration_seconds": 0}})
    sim.control.advance_clock(1)  # the instant sync ends after the last one
    result = sync_op(conn_id, wait_for_completion=True, deferrable=True).execute(context)
    assert set(result) == SYNC_KEYS
    assert result["succeeded_at"] == iso(sim.control.now())


@pytest.mark.parametrize("deferrable", [False, True], ids=["worker", "deferred"])
def test_sync_operator_wait_times_out(
    sim: Sim, synced: tuple[str, datetime], context: Context, deferrable: bool
) -> None:
    conn_id, _ = synced  # the clock never moves: the sync never ends
    task = sync_op(conn_id, wait_for_completion=True, deferrable=deferrable, timeout=0.3, force=True)
    if deferrable:
        deferred = expect_deferral(task, context)
        event = first_event(deferred.trigger).payload
        with pytest.raises(FivetranWaitTimeoutError, match=f"sync of {conn_id} is syncing"):
            task.execute_complete(context, event=event)
    else:
        with pytest.raises(FivetranWaitTimeoutError, match=f"sync of {conn_id} is syncing"):
            task.execute(context)
    assert [e["request_body"] for e in sim.requests() if e["method"] == "POST"] == [{"force": True}]


def test_sync_of_a_connection_whose_setup_is_incomplete_fails_with_fivetrans_message(
    sim: Sim, context: Context
) -> None:
    conn_id = manual(sim, run_setup_tests=False)
    # Fivetran's known refusal of an action on an incomplete connection (contract README, last section).
    with pytest.raises(FivetranBadRequestError, match=r"setup state .* but it was 'incomplete'"):
        sync_op(conn_id).execute(context)


def test_a_paused_connection_fails_instead_of_waiting(sim: Sim, context: Context) -> None:
    conn_id = manual(sim, paused=True)
    with pytest.raises(FivetranSyncFailedError, match="paused"):
        sync_op(conn_id, wait_for_completion=True).execute(context)


# -- the sensor ---------------------------------------------------------------------------------------------


@DEFERRABLE
def test_sync_sensor_waits_for_a_completion_after_the_baseline(
    sim: Sim,
    synced: tuple[str, datetime],
    run_dag: Callable[[DAG], DagOutcome],
    dag_id: str,
    deferrable: bool,
) -> None:
    conn_id, last_end = synced
    sim.api("POST", f"/v1/connections/{conn_id}/sync", {})
    sim.control.clear_requests()
    advance_after_read(sim, conn_id, 2, 60)

    dag = one_task_dag(dag_id, lambda: sync_sensor(conn_id, baseline=iso(last_end), deferrable=deferrable))
    outcome = run_dag(dag)

    assert outcome.task_states == {"wait": "success"}
    result = outcome.xcom("wait")
    assert set(result) == SYNC_KEYS
    assert (result["baseline"], result["succeeded_at"]) == (iso(last_end), iso(sim.control.now()))
    assert sim.calls() == [read(conn_id)] * 3


@DEFERRABLE
def test_sync_sensor_fails_when_the_sync_fails(
    sim: Sim,
    synced: tuple[str, datetime],
    run_dag: Callable[[DAG], DagOutcome],
    dag_id: str,
    deferrable: bool,
) -> None:
    conn_id, last_end = synced
    sim.control.set_scenario({"sync": {"duration_seconds": 60, "outcome": "failure"}})
    sim.api("POST", f"/v1/connections/{conn_id}/sync", {})
    advance_after_read(sim, conn_id, 1, 60)

    dag = one_task_dag(dag_id, lambda: sync_sensor(conn_id, baseline=iso(last_end), deferrable=deferrable))
    error = run_dag(dag).error("wait")

    assert isinstance(error, FivetranSyncFailedError)
    assert "failed at" in str(error)
    assert conn_id in str(error)


@DEFERRABLE
def test_sync_sensor_times_out(
    sim: Sim,
    synced: tuple[str, datetime],
    run_dag: Callable[[DAG], DagOutcome],
    dag_id: str,
    deferrable: bool,
) -> None:
    conn_id, last_end = synced
    make = lambda: sync_sensor(conn_id, baseline=iso(last_end), deferrable=deferrable, timeout=0.3)  # noqa: E731
    error = run_dag(one_task_dag(dag_id, make)).error("wait")
    assert isinstance(error, FivetranWaitTimeoutError if deferrable else AirflowSensorTimeout)


def test_sync_sensor_deferred_by_hand_passes_its_baseline_and_flags(
    sim: Sim, synced: tuple[str, datetime], context: Context
) -> None:
    conn_id, last_end = synced
    sim.api("POST", f"/v1/connections/{conn_id}/sync", {})
    task = sync_sensor(conn_id, baseline=last_end, deferrable=True, fail_on_rescheduled=True)

    deferred = expect_deferral(task, context)

    assert deferred.trigger.serialize()[1]["baseline"] == iso(last_end)
    assert deferred.trigger.serialize()[1]["fail_on_rescheduled"] is True
    sim.control.advance_clock(60)
    event = first_event(deferred.trigger)
    assert task.execute_complete(context, event=event.payload)["succeeded_at"] == iso(sim.control.now())


def test_sync_sensor_after_the_sync_operator_in_a_dag_run(
    sim: Sim, synced: tuple[str, datetime], run_dag: Callable[[DAG], DagOutcome], dag_id: str
) -> None:
    conn_id, last_end = synced
    # reads: 1 the operator's baseline, 2 the sensor's first poke (syncing), 3 the next poke
    advance_after_read(sim, conn_id, 2, 60)
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        sync = sync_op(conn_id)
        wait = sync_sensor(conn_id, baseline="{{ ti.xcom_pull(task_ids='sync')['baseline'] }}")
        sync >> wait

    outcome = run_dag(dag)

    assert outcome.task_states == {"sync": "success", "wait": "success"}
    assert outcome.xcom("wait")["baseline"] == iso(last_end)
    assert outcome.xcom("wait")["succeeded_at"] == iso(sim.control.now())


def test_sync_sensor_after_the_first_sync_ever(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str
) -> None:
    # A connection that never synced: the operator's baseline is None, rendered by Jinja as "None".
    conn_id = manual(sim)
    sim.control.set_clock(datetime.now(UTC))  # the DAG run starts after this simulator moment
    sim.control.set_scenario({"sync": {"duration_seconds": 60}})
    advance_after_read(sim, conn_id, 2, 60)
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        sync = sync_op(conn_id)
        wait = sync_sensor(conn_id, baseline="{{ ti.xcom_pull(task_ids='sync')['baseline'] }}")
        sync >> wait

    outcome = run_dag(dag)

    assert outcome.task_states == {"sync": "success", "wait": "success"}
    assert outcome.xcom("sync")["baseline"] is None
    assert outcome.xcom("wait")["succeeded_at"] == iso(sim.control.now())


def test_sync_sensor_with_a_garbled_baseline_names_it(sim: Sim, context: Context) -> None:
    conn_id = manual(sim)
    with pytest.raises(FivetranInputError, match="baseline"):
        sync_sensor(conn_id, baseline="yesterday").execute(context)
    assert sim.calls() == []
