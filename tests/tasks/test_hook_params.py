"""Per-task hook settings (``hook_params``), and a deferred wait that ends with the task's ``execution_timeout``.

``hook_params`` are checked when a task or trigger is built (a typo fails the DAG's parse, naming the key),
build the task's hook, travel in the trigger's serialized kwargs, and build the trigger's hook too.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

import pytest
from airflow.sdk import DAG, BaseOperator, Context

from airflow_spotify_fivetran.exceptions import (
    FivetranInputError,
    FivetranServerError,
    FivetranWaitTimeoutError,
)
from airflow_spotify_fivetran.operators import (
    FivetranConnectCardOperator,
    FivetranCreateConnectionOperator,
    FivetranDeleteConnectionOperator,
    FivetranResyncOperator,
    FivetranRunSetupTestsOperator,
    FivetranSetScheduleOperator,
    FivetranSyncOperator,
)
from airflow_spotify_fivetran.sensors.fivetran import FivetranSetupTestsSensor, FivetranSyncSensor
from airflow_spotify_fivetran.triggers.fivetran import FivetranSetupTestsTrigger, FivetranSyncTrigger
from tests.helpers.task_calls import RecordingTI, expect_deferral, first_event
from tests.payloads import connection_request
from tests.tasks.dag_runs import DagOutcome
from tests.tasks.sim import Sim

Build = Callable[[dict[str, Any] | None], Any]

#: Every task and trigger of the provider, built with the given ``hook_params``.
BUILDERS: dict[str, Build] = {
    "create": lambda hp: FivetranCreateConnectionOperator(
        task_id="t", connection=connection_request(), hook_params=hp
    ),
    "setup_sensor": lambda hp: FivetranSetupTestsSensor(task_id="t", connection_id="c", hook_params=hp),
    "sync_sensor": lambda hp: FivetranSyncSensor(task_id="t", connection_id="c", hook_params=hp),
    "run_setup_tests": lambda hp: FivetranRunSetupTestsOperator(
        task_id="t", connection_id="c", hook_params=hp
    ),
    "schedule": lambda hp: FivetranSetScheduleOperator(
        task_id="t", connection_id="c", paused=False, hook_params=hp
    ),
    "sync": lambda hp: FivetranSyncOperator(task_id="t", connection_id="c", hook_params=hp),
    "resync": lambda hp: FivetranResyncOperator(task_id="t", connection_id="c", hook_params=hp),
    "card": lambda hp: FivetranConnectCardOperator(
        task_id="t", connection_id="c", redirect_uri="https://x.example/done", hook_params=hp
    ),
    "delete": lambda hp: FivetranDeleteConnectionOperator(task_id="t", connection_id="c", hook_params=hp),
    "setup_trigger": lambda hp: FivetranSetupTestsTrigger(
        connection_id="c", fivetran_conn_id="f", poll_interval=1, end_time=None, hook_params=hp
    ),
    "sync_trigger": lambda hp: FivetranSyncTrigger(
        connection_id="c", fivetran_conn_id="f", poll_interval=1, end_time=None, baseline=None, hook_params=hp
    ),
}
TASKS = {name: build for name, build in BUILDERS.items() if not name.endswith("_trigger")}
ALL_SETTINGS = {"connect_timeout": 1.5, "read_timeout": 2.5, "max_attempts": 1, "call_timeout": 4}


@pytest.mark.parametrize("build", BUILDERS.values(), ids=BUILDERS.keys())
def test_an_unknown_hook_setting_is_refused_when_built_naming_it(build: Build) -> None:
    with pytest.raises(FivetranInputError) as refused:
        build({"read_timout": 5})

    assert refused.value.paths == ["hook_params.read_timout"]
    assert "is not a hook setting (known: connect_timeout, read_timeout, max_attempts, call_timeout)" in str(
        refused.value
    )


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"connect_timeout": 0}, "must be a number greater than 0, got 0"),
        ({"read_timeout": -1.5}, "must be a number greater than 0, got -1.5"),
        ({"call_timeout": math.inf}, "must be a number greater than 0, got inf"),
        ({"read_timeout": "30"}, "must be a number greater than 0, got '30'"),
        ({"read_timeout": True}, "must be a number greater than 0, got True"),
        ({"max_attempts": 2.5}, "must be a whole number greater than 0, got 2.5"),
        ({"max_attempts": [3]}, "must be a whole number greater than 0, got [3]"),
    ],
    ids=repr,
)
@pytest.mark.parametrize("kind", ["sync", "sync_trigger"])
def test_a_hook_setting_that_is_not_a_positive_json_number_is_refused(
    kind: str, params: dict[str, Any], says: str
) -> None:
    (key,) = params
    with pytest.raises(FivetranInputError) as refused:
        BUILDERS[kind](params)

    assert refused.value.paths == [f"hook_params.{key}"]
    assert says in str(refused.value)


def test_hook_params_that_are_not_a_dict_are_refused() -> None:
    with pytest.raises(FivetranInputError, match="hook_params: must be a dict, got list"):
        BUILDERS["sync"](cast("Any", [("max_attempts", 1)]))


@pytest.mark.parametrize("build", TASKS.values(), ids=TASKS.keys())
def test_every_task_builds_its_hook_with_its_hook_params(sim: Sim, build: Build) -> None:
    from airflow_spotify_fivetran.hooks.api import CallSettings

    assert build(ALL_SETTINGS).hook.settings == CallSettings(**ALL_SETTINGS)
    assert build({"max_attempts": 2, "read_timeout": None}).hook.settings == CallSettings(max_attempts=2)
    assert build(None).hook.settings == CallSettings()


def test_hook_params_govern_the_tasks_calls(sim: Sim, context: Context) -> None:
    """One transient 503: the default retry budget gets past it; ``max_attempts: 1`` does not."""
    conn_id = sim.create()
    test_path = f"/v1/connections/{conn_id}/test"
    sim.control.add_fault(f"POST {test_path}", "error", status=503, retry_after=0)

    single = FivetranRunSetupTestsOperator(
        task_id="t", connection_id=conn_id, hook_params={"max_attempts": 1}
    )
    with pytest.raises(FivetranServerError, match="503"):
        single.execute(context)
    assert sim.calls() == [("POST", test_path)]

    sim.control.add_fault(f"POST {test_path}", "error", status=503, retry_after=0)
    FivetranRunSetupTestsOperator(task_id="t", connection_id=conn_id).execute(context)
    assert [e["status"] for e in sim.requests()][1:] == [503, 200]


def test_hook_params_travel_to_the_trigger_and_govern_its_calls(sim: Sim, context: Context) -> None:
    conn_id = sim.create(auth=False, run_setup_tests=False)  # incomplete: the sensor defers
    task = FivetranSetupTestsSensor(
        task_id="wait",
        connection_id=conn_id,
        deferrable=True,
        poke_interval=0.05,
        hook_params={"max_attempts": 1},
    )
    _, kwargs = expect_deferral(task, context).trigger.serialize()
    assert kwargs["hook_params"] == {"max_attempts": 1}

    sim.control.add_fault(f"GET /v1/connections/{conn_id}", "error", status=503, retry_after=0)
    event = first_event(FivetranSetupTestsTrigger(**kwargs))  # as the triggerer rebuilds it

    assert event.payload["status"] == "error"
    assert "503" in event.payload["message"]


# -- the deferral's end: the wait's timeout, or the task's execution_timeout if that comes first -------------


class StartedTI(RecordingTI):
    """A task instance whose try started at ``start_date``."""

    def __init__(self, start_date: datetime) -> None:
        super().__init__()
        self.start_date = start_date


def started_context(start: datetime) -> Context:
    return cast("Context", {"ti": StartedTI(start), "dag_run": SimpleNamespace(start_date=start)})


@pytest.fixture
def syncing(sim: Sim) -> str:
    """A connection whose sync runs (60 s on the simulator's clock, which the tests do not move)."""
    conn_id = sim.create(schedule_type="manual")
    sim.complete_sync(conn_id)
    return conn_id


def waiting_tasks(conn_id: str, **kwargs: Any) -> list[BaseOperator]:
    return [
        FivetranSyncOperator(
            task_id="sync", connection_id=conn_id, wait_for_completion=True, deferrable=True, **kwargs
        ),
        FivetranSyncSensor(task_id="wait", connection_id=conn_id, deferrable=True, **kwargs),
    ]


@pytest.mark.parametrize("index", [0, 1], ids=["sync_operator", "sync_sensor"])
def test_a_deferred_wait_ends_with_the_tasks_execution_timeout_when_that_comes_first(
    sim: Sim, syncing: str, index: int
) -> None:
    sim.api("POST", f"/v1/connections/{syncing}/sync", {})
    start = datetime.now(UTC) - timedelta(seconds=30)
    task = waiting_tasks(syncing, timeout=3600, execution_timeout=timedelta(minutes=2))[index]

    deferred = expect_deferral(task, started_context(start))

    end = datetime.fromisoformat(deferred.trigger.serialize()[1]["end_time"])
    assert end == start + timedelta(minutes=2)
    assert deferred.timeout is not None
    assert datetime.now(UTC) + deferred.timeout > end  # Airflow's backstop comes after the trigger's own end


@pytest.mark.parametrize("index", [0, 1], ids=["sync_operator", "sync_sensor"])
def test_a_deferred_wait_ends_with_its_timeout_when_that_comes_first(
    sim: Sim, syncing: str, index: int
) -> None:
    sim.api("POST", f"/v1/connections/{syncing}/sync", {})
    start = datetime.now(UTC)
    task = waiting_tasks(syncing, timeout=60, execution_timeout=timedelta(hours=1))[index]

    deferred = expect_deferral(task, started_context(start))

    end = datetime.fromisoformat(deferred.trigger.serialize()[1]["end_time"])
    assert start + timedelta(seconds=60) <= end <= datetime.now(UTC) + timedelta(seconds=60)


def test_a_deferred_task_fails_with_a_timeout_at_its_execution_timeout(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str
) -> None:
    """In a real run: the trigger gives up at the end of ``execution_timeout``, not after the hour's wait."""
    conn_id = sim.create(auth=False, run_setup_tests=False)  # never completes
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        FivetranSetupTestsSensor(
            task_id="wait",
            connection_id=conn_id,
            deferrable=True,
            retest_on_poke=False,
            wait_for_connect_card=True,
            poke_interval=0.5,
            timeout=3600,
            execution_timeout=timedelta(seconds=5),
        )

    error = run_dag(dag).error("wait")

    assert isinstance(error, FivetranWaitTimeoutError)
    assert "gave up waiting at" in str(error)
