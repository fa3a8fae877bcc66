"""Tasks driving a connection they did not create: ``group_id`` + ``schema`` instead of ``connection_id``.

Each such task finds the connection with one filtered list call, then does what it does by id; a deferred
task resumes with the id it found. Giving neither way, both, or half of one is refused when the DAG is parsed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from airflow.sdk import DAG, BaseOperator, Context, chain

from airflow_spotify_fivetran.exceptions import FivetranInputError
from airflow_spotify_fivetran.links import FivetranConnectionLink, dashboard_url
from airflow_spotify_fivetran.operators import (
    FivetranConnectCardOperator,
    FivetranDeleteConnectionOperator,
    FivetranResyncOperator,
    FivetranRunSetupTestsOperator,
    FivetranSetScheduleOperator,
    FivetranSyncOperator,
)
from airflow_spotify_fivetran.sensors.fivetran import FivetranSetupTestsSensor, FivetranSyncSensor
from tests.tasks.dag_runs import DagOutcome
from tests.tasks.sim import Sim

#: Every task that drives an existing connection, with the other arguments it needs.
TARGET_TASKS: list[tuple[type[BaseOperator], dict[str, Any]]] = [
    (FivetranSyncOperator, {}),
    (FivetranResyncOperator, {}),
    (FivetranSetupTestsSensor, {}),
    (FivetranSyncSensor, {}),
    (FivetranRunSetupTestsOperator, {}),
    (FivetranSetScheduleOperator, {"sync_frequency": 1440}),
    (FivetranConnectCardOperator, {"redirect_uri": "https://airflow.example.com/done"}),
    (FivetranDeleteConnectionOperator, {}),
]
LIST = ("GET", "/v1/connections")


@pytest.mark.parametrize(("task_class", "extra"), TARGET_TASKS, ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize(
    ("given", "path", "says"),
    [
        ({}, "connection_id", "give connection_id, or group_id and schema to find the connection"),
        (
            {"connection_id": "c", "group_id": "g", "schema": "s"},
            "connection_id",
            "not both (group_id, schema given too)",
        ),
        ({"connection_id": "c", "schema": "s"}, "connection_id", "not both (schema given too)"),
        ({"group_id": "g"}, "schema", "is needed with group_id 'g'"),
        ({"schema": "s"}, "group_id", "is needed with schema 's'"),
    ],
    ids=["neither", "both", "id_and_schema", "group_only", "schema_only"],
)
def test_a_task_refuses_an_unclear_connection_when_built(
    sim: Sim,
    task_class: type[BaseOperator],
    extra: dict[str, Any],
    given: dict[str, Any],
    path: str,
    says: str,
) -> None:
    with pytest.raises(FivetranInputError) as refused:
        task_class(task_id="task", **extra, **given)

    assert refused.value.paths == [path]
    assert says in str(refused.value)
    assert "connection of task 'task'" in str(refused.value)
    assert sim.calls() == []


@pytest.mark.parametrize("deferrable", [False, True], ids=["worker", "deferred"])
def test_every_task_drives_the_connection_found_by_group_and_schema(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str, deferrable: bool
) -> None:
    """One DAG that did not create the connection drives it through every task, by templated group and
    schema; the waits (sync sensor, re-sync) defer or wait in the worker, and resume with the found id."""
    sim.create("spotify_neighbour", schedule_type="manual")  # same group, another schema: not this one
    conn_id = sim.create("spotify_found", schedule_type="manual")
    sim.complete_sync(conn_id)  # a baseline on the simulator's clock for the sync sensor
    sim.control.set_scenario({"sync": {"duration_seconds": 60, "resync_duration_seconds": 60}})
    path = f"/v1/connections/{conn_id}"
    # Reads of the connection: 1 setup sensor, 2 schedule, 3 sync baseline, 4 the sync sensor's check
    # (syncing), 5 its next look (still syncing: the sync ends now), 6 its last look (done);
    # 7 re-sync baseline, 8 the hook's read, 9 first check (syncing), 10 next look (it ends now), 11 done.
    sim.on_request("GET", path, 5, lambda: sim.control.advance_clock(60))
    sim.on_request("GET", path, 10, lambda: sim.control.advance_clock(60))
    params = {"group": sim.group_id, "schema": "spotify_found"}
    # Each task also runs with hook settings of its own (carried into the deferred waits' triggers).
    by_schema = {
        "group_id": "{{ params.group }}",
        "schema": "{{ params.schema }}",
        "hook_params": {"read_timeout": 10, "max_attempts": 3},
    }
    waits = {"deferrable": deferrable, "timeout": 20}
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1), params=params) as dag:
        chain(
            FivetranSetupTestsSensor(task_id="setup", mode="poke", poke_interval=0.1, **waits, **by_schema),
            FivetranRunSetupTestsOperator(task_id="test", **by_schema),
            FivetranSetScheduleOperator(task_id="schedule", sync_frequency=1440, **by_schema),
            FivetranConnectCardOperator(
                task_id="card", redirect_uri="https://airflow.example.com/x", **by_schema
            ),
            FivetranSyncOperator(task_id="sync", **by_schema),
            FivetranSyncSensor(
                task_id="sync_wait",
                baseline="{{ ti.xcom_pull(task_ids='sync')['baseline'] }}",
                mode="poke",
                poke_interval=0.1,
                **waits,
                **by_schema,
            ),
            FivetranResyncOperator(
                task_id="resync", wait_for_completion=True, poll_interval=0.1, **waits, **by_schema
            ),
            FivetranDeleteConnectionOperator(task_id="delete", missing_ok=False, **by_schema),
        )

    outcome = run_dag(dag)

    assert set(outcome.task_states.values()) == {"success"}, outcome.errors
    for task_id in ("setup", "test", "card", "sync", "sync_wait", "resync"):
        assert outcome.xcom(task_id)["connection_id"] == conn_id, task_id
        assert outcome.xcom(task_id, key=FivetranConnectionLink().xcom_key) == dashboard_url(conn_id)
    assert outcome.xcom("sync_wait")["succeeded_at"] is not None
    assert outcome.xcom("resync")["succeeded_at"] is not None
    assert outcome.rendered_fields("delete")["schema"] == "spotify_found"
    # One filtered list call per task, each asking for that group and schema; every other call by id.
    lists = [e for e in sim.requests() if (e["method"], e["path"]) == LIST]
    assert len(lists) == 8
    assert all(
        e["query"] == {"group_id": sim.group_id, "schema": "spotify_found", "limit": "10"} for e in lists
    )
    assert all(path.startswith(f"/v1/connections/{conn_id}") for _, path in sim.calls() if (_, path) != LIST)
    assert sim.calls()[-1] == ("DELETE", path)


def test_no_connection_with_that_schema_fails_naming_group_and_schema(sim: Sim, context: Context) -> None:
    sim.create("spotify_demo")
    task = FivetranSyncOperator(task_id="sync", group_id=sim.group_id, schema="spotify_missing")

    with pytest.raises(FivetranInputError) as refused:
        task.execute(context)

    assert f"group {sim.group_id!r} holds no connection with schema 'spotify_missing'" in str(refused.value)
    assert sim.calls() == [LIST]


def test_delete_by_schema_of_a_missing_connection_is_fine_with_missing_ok(sim: Sim, context: Context) -> None:
    task = FivetranDeleteConnectionOperator(task_id="delete", group_id=sim.group_id, schema="spotify_gone")

    message = task.execute(context)

    assert (
        message == f"group {sim.group_id} holds no connection with schema 'spotify_gone': nothing to delete"
    )
    assert sim.calls() == [LIST]
    strict = FivetranDeleteConnectionOperator(
        task_id="delete", group_id=sim.group_id, schema="spotify_gone", missing_ok=False
    )
    with pytest.raises(FivetranInputError, match="holds no connection with schema 'spotify_gone'"):
        strict.execute(context)
