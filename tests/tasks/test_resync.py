"""FivetranResyncOperator against the simulator: a historical re-sync requested once, and the wait for it.

The wait is the sync operator's (one shared request-then-wait): the latest completion read before the request
is the baseline, and only a completion after it ends the wait. Re-syncs take 60 simulator seconds; a test
moves the clock once the waiting task has read the connection a given number of times (``sim.on_request``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from airflow.sdk import DAG, Context

from airflow_spotify_fivetran.exceptions import (
    FivetranConflictError,
    FivetranInputError,
    FivetranSyncFailedError,
)
from airflow_spotify_fivetran.operators import FivetranResyncOperator
from airflow_spotify_fivetran.sensors.fivetran import FivetranSyncSensor
from tests.tasks.dag_runs import DagOutcome
from tests.tasks.sim import Sim

DEFERRABLE = pytest.mark.parametrize("deferrable", [False, True], ids=["worker", "deferred"])


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def resync_op(**kwargs: Any) -> FivetranResyncOperator:
    kwargs.setdefault("poll_interval", 0.1)
    kwargs.setdefault("timeout", 20)
    return FivetranResyncOperator(task_id="resync", **kwargs)


def read(conn_id: str) -> tuple[str, str]:
    return ("GET", f"/v1/connections/{conn_id}")


def resync_call(conn_id: str) -> tuple[str, str]:
    return ("POST", f"/v1/connections/{conn_id}/resync")


@pytest.fixture
def synced(sim: Sim) -> tuple[str, datetime]:
    """A manually scheduled connection that synced once; syncs and re-syncs take 60 s."""
    conn_id = sim.create(schedule_type="manual")
    end = sim.complete_sync(conn_id)
    sim.control.set_scenario({"sync": {"duration_seconds": 60, "resync_duration_seconds": 60}})
    return conn_id, end


def one_task_dag(dag_id: str, make: Callable[[], Any]) -> DAG:
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        make()
    return dag


def test_resync_without_waiting_starts_a_historical_sync_and_returns_the_baseline(
    sim: Sim, synced: tuple[str, datetime], context: Context
) -> None:
    conn_id, last_end = synced

    result = resync_op(connection_id=conn_id).execute(context)

    assert result == {"connection_id": conn_id, "baseline": iso(last_end)}
    # The baseline read, the hook's own read (to settle a lost answer), the request: nothing else.
    assert sim.calls() == [read(conn_id), read(conn_id), resync_call(conn_id)]
    status = sim.details(conn_id)
    assert (status["status"]["sync_state"], status["status"]["is_historical_sync"]) == ("syncing", True)


@DEFERRABLE
def test_resync_waits_until_the_historical_sync_completes(
    sim: Sim,
    synced: tuple[str, datetime],
    run_dag: Callable[[DAG], DagOutcome],
    dag_id: str,
    deferrable: bool,
) -> None:
    conn_id, last_end = synced
    # reads: 1 baseline, 2 the hook's, 3 first check (syncing), 4 first poll (syncing); then it ends.
    sim.on_request("GET", f"/v1/connections/{conn_id}", 4, lambda: sim.control.advance_clock(60))

    dag = one_task_dag(
        dag_id, lambda: resync_op(connection_id=conn_id, wait_for_completion=True, deferrable=deferrable)
    )
    outcome = run_dag(dag)

    assert outcome.task_states == {"resync": "success"}, outcome.errors
    result = outcome.xcom("resync")
    assert result == {
        "connection_id": conn_id,
        "baseline": iso(last_end),
        "sync_state": "scheduled",
        "succeeded_at": iso(sim.control.now()),
        "failed_at": None,
    }
    assert sim.calls().count(resync_call(conn_id)) == 1
    assert sim.details(conn_id)["status"]["is_historical_sync"] is False


@DEFERRABLE
def test_resync_fails_when_the_historical_sync_fails(
    sim: Sim,
    synced: tuple[str, datetime],
    run_dag: Callable[[DAG], DagOutcome],
    dag_id: str,
    deferrable: bool,
) -> None:
    conn_id, _ = synced
    sim.control.set_scenario({"sync": {"resync_duration_seconds": 60, "outcome": "failure"}})
    sim.on_request("GET", f"/v1/connections/{conn_id}", 4, lambda: sim.control.advance_clock(60))

    dag = one_task_dag(
        dag_id, lambda: resync_op(connection_id=conn_id, wait_for_completion=True, deferrable=deferrable)
    )
    error = run_dag(dag).error("resync")

    assert isinstance(error, FivetranSyncFailedError)
    assert f"sync of {conn_id} failed at {iso(sim.control.now())}" in str(error)


def test_a_sync_sensor_downstream_waits_for_the_resync(
    sim: Sim, synced: tuple[str, datetime], run_dag: Callable[[DAG], DagOutcome], dag_id: str
) -> None:
    """The XCom's baseline is what a FivetranSyncSensor takes, as after a FivetranSyncOperator."""
    conn_id, last_end = synced
    # reads: 1 baseline, 2 the hook's; the sensor's first poke (3) sees it syncing; the second (4) done.
    sim.on_request("GET", f"/v1/connections/{conn_id}", 3, lambda: sim.control.advance_clock(60))
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        resync = resync_op(connection_id=conn_id)
        resync >> FivetranSyncSensor(
            task_id="wait",
            connection_id=conn_id,
            baseline="{{ ti.xcom_pull(task_ids='resync')['baseline'] }}",
            mode="poke",
            poke_interval=0.1,
            timeout=20,
        )

    outcome = run_dag(dag)

    assert outcome.task_states == {"resync": "success", "wait": "success"}, outcome.errors
    assert outcome.xcom("wait")["baseline"] == iso(last_end)
    assert outcome.xcom("wait")["succeeded_at"] == iso(sim.control.now())


def test_a_table_level_scope_is_refused_when_the_task_is_built(sim: Sim) -> None:
    with pytest.raises(FivetranInputError) as refused:
        resync_op(connection_id="any", scope={"spotify_ads": ["campaign_daily"]})

    assert refused.value.paths == ["scope"]
    assert "Fivetran answers 400 for an application connector such as spotify_ads" in str(refused.value)
    assert sim.calls() == []


def test_resync_while_a_sync_runs_fails_with_fivetrans_conflict(
    sim: Sim, synced: tuple[str, datetime], context: Context
) -> None:
    conn_id, _ = synced
    sim.api("POST", f"/v1/connections/{conn_id}/sync", {})
    sim.control.clear_requests()

    with pytest.raises(FivetranConflictError, match="409"):
        resync_op(connection_id=conn_id, wait_for_completion=True).execute(context)
    assert sim.calls().count(resync_call(conn_id)) == 1  # a 409 is Fivetran's answer: not retried


def test_a_resync_whose_answer_was_lost_is_requested_once_and_succeeds(
    sim: Sim, synced: tuple[str, datetime], context: Context
) -> None:
    """Fivetran started the re-sync but its answer was lost: the retry meets a 409, which the hook settles
    by reading the connection (a re-sync now runs), so the task succeeds without a second re-sync."""
    conn_id, last_end = synced
    sim.control.add_fault(f"POST /v1/connections/{conn_id}/resync", "error", status=502, apply=True)

    result = resync_op(connection_id=conn_id).execute(context)

    assert result == {"connection_id": conn_id, "baseline": iso(last_end)}
    posts = [e["status"] for e in sim.requests() if (e["method"], e["path"]) == resync_call(conn_id)]
    assert posts == [502, 409]
    assert sim.details(conn_id)["status"]["is_historical_sync"] is True
