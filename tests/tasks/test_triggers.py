"""Triggers: serialization round-trip, flags carried from the tasks, events, and resuming after them."""

from __future__ import annotations

import inspect
import itertools
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from airflow.sdk import DAG, Context
from airflow.sdk._shared.module_loading import import_string
from airflow.triggers.base import BaseTrigger

from airflow_spotify_fivetran import operators, sensors
from airflow_spotify_fivetran.exceptions import (
    FivetranError,
    FivetranSyncFailedError,
    FivetranWaitTimeoutError,
)
from airflow_spotify_fivetran.operators import FivetranSyncOperator
from airflow_spotify_fivetran.sensors.fivetran import FivetranSetupTestsSensor, FivetranSyncSensor
from airflow_spotify_fivetran.spend import API_CALLS_XCOM_KEY
from airflow_spotify_fivetran.triggers.fivetran import FivetranSetupTestsTrigger, FivetranSyncTrigger
from fivetran_simulator import DEMO_ACCOUNTS
from tests.helpers.task_calls import RecordingTI, expect_deferral, first_event
from tests.tasks.clock import FakeClock
from tests.tasks.dag_runs import DagOutcome
from tests.tasks.sim import Sim

END = "2026-01-01T01:00:00+00:00"
BASELINE = "2026-01-01T00:00:00+00:00"
HOOK_PARAMS: dict[str, Any] = {
    "connect_timeout": 2.5,
    "read_timeout": 30,
    "max_attempts": 2,
    "call_timeout": 40,
}


def setup_triggers() -> list[FivetranSetupTestsTrigger]:
    return [
        FivetranSetupTestsTrigger(
            connection_id="conn",
            fivetran_conn_id="fivetran_other",
            poll_interval=interval,
            end_time=end,
            retest=retest,
            failures_are_final=final,
            hook_params=hook_params,
        )
        for retest, final, end, interval, hook_params in itertools.product(
            [False, True], [False, True], [None, END], [0.5, 30], [{}, HOOK_PARAMS]
        )
    ]


def sync_triggers() -> list[FivetranSyncTrigger]:
    return [
        FivetranSyncTrigger(
            connection_id="conn",
            fivetran_conn_id="fivetran_other",
            poll_interval=30,
            end_time=end,
            baseline=baseline,
            fail_on_rescheduled=rescheduled,
            hook_params=hook_params,
        )
        for baseline, rescheduled, end, hook_params in itertools.product(
            [None, BASELINE], [False, True], [None, END], [{}, {"max_attempts": 1}, HOOK_PARAMS]
        )
    ]


ALL_TRIGGERS = [*setup_triggers(), *sync_triggers()]


@pytest.mark.parametrize(
    "trigger", ALL_TRIGGERS, ids=lambda t: f"{type(t).__name__}-{sorted(t.serialize()[1].items())}"
)
def test_serialize_round_trip(trigger: BaseTrigger) -> None:
    classpath, kwargs = trigger.serialize()

    assert import_string(classpath) is type(trigger)
    assert json.loads(json.dumps(kwargs)) == kwargs  # JSON only: the triggerer stores them
    rebuilt = type(trigger)(**kwargs)
    assert rebuilt == trigger
    assert rebuilt.serialize() == (classpath, kwargs)


def test_triggers_differing_in_any_flag_are_not_equal() -> None:
    for group in (setup_triggers(), sync_triggers()):
        assert len({json.dumps(t.serialize(), sort_keys=True) for t in group}) == len(group)
        assert all(a != b for a, b in itertools.combinations(group, 2))


@pytest.mark.parametrize("trigger_class", [FivetranSetupTestsTrigger, FivetranSyncTrigger])
def test_every_constructor_parameter_is_serialized(trigger_class: type[BaseTrigger]) -> None:
    parameters = set(inspect.signature(trigger_class.__init__).parameters) - {"self"}
    trigger = next(t for t in ALL_TRIGGERS if type(t) is trigger_class)
    assert set(trigger.serialize()[1]) == parameters


GROUP = "group_of_waits"
WAIT_STARTED = "2026-01-01T00:00:05+00:00"


@pytest.mark.parametrize(
    "trigger",
    [
        FivetranSetupTestsTrigger(
            connection_id="conn",
            fivetran_conn_id="fivetran_default",
            poll_interval=30,
            end_time=END,
            retest=True,
            group_id=GROUP,
            wait_started=WAIT_STARTED,
        ),
        FivetranSyncTrigger(
            connection_id="conn",
            fivetran_conn_id="fivetran_default",
            poll_interval=30,
            end_time=END,
            baseline=BASELINE,
            group_id=GROUP,
        ),
    ],
    ids=lambda t: type(t).__name__,
)
def test_a_group_and_a_wait_start_survive_the_round_trip(trigger: BaseTrigger) -> None:
    classpath, kwargs = trigger.serialize()
    rebuilt = import_string(classpath)(**json.loads(json.dumps(kwargs)))

    assert rebuilt == trigger
    assert rebuilt.group_id == GROUP  # type: ignore[attr-defined]
    assert kwargs.get("wait_started") in (None, WAIT_STARTED)


@pytest.mark.parametrize(
    ("trigger_class", "old_kwargs"),
    [
        (
            FivetranSetupTestsTrigger,
            {"retest": True, "failures_are_final": False},
        ),
        (FivetranSyncTrigger, {"baseline": BASELINE, "fail_on_rescheduled": False}),
    ],
)
def test_a_trigger_serialized_by_the_previous_version_still_loads_and_reads_its_connection(
    sim: Sim, trigger_class: type[BaseTrigger], old_kwargs: dict[str, Any]
) -> None:
    """Kwargs stored before this version (no group, no wait start): the rebuilt trigger reads its own
    connection, and its re-test schedule counts from its own start."""
    conn_id = sim.create()
    stored = {
        "connection_id": conn_id,
        "fivetran_conn_id": "fivetran_default",
        "poll_interval": 0.05,
        "end_time": None,
        "hook_params": {},
        **old_kwargs,
    }
    trigger = trigger_class(**stored)
    if trigger_class is FivetranSyncTrigger:
        sim.complete_sync(conn_id)

    assert trigger.serialize()[1]["group_id"] is None
    assert first_event(trigger).payload["status"] == "success"
    assert {path for _, path in sim.calls()} <= {
        f"/v1/connections/{conn_id}",
        f"/v1/connections/{conn_id}/test",
    }


def test_waiting_tasks_hand_their_trigger_the_group_their_check_saw(sim: Sim, context: Context) -> None:
    setup_conn = sim.create("spotify_setup_wait", auth=False, run_setup_tests=False)
    setup = FivetranSetupTestsSensor(
        task_id="setup", connection_id=setup_conn, deferrable=True, retest_on_poke=True
    )
    before = datetime.now(UTC)
    setup_kwargs = expect_deferral(setup, context).trigger.serialize()[1]
    sync_conn, _ = synced(sim)
    sync = FivetranSyncOperator(
        task_id="sync", connection_id=sync_conn, wait_for_completion=True, deferrable=True
    )
    sync_kwargs = expect_deferral(sync, context).trigger.serialize()[1]

    assert setup_kwargs["group_id"] == sim.group_id
    assert before <= datetime.fromisoformat(setup_kwargs["wait_started"]) <= datetime.now(UTC)
    assert sync_kwargs["group_id"] == sim.group_id


def test_a_first_check_refused_by_a_rate_limit_hands_no_group(sim: Sim, context: Context) -> None:
    conn_id = sim.create()
    sim.control.add_fault(f"GET /v1/connections/{conn_id}", "error", status=429, retry_after=300, count=1)
    task = FivetranSyncSensor(task_id="wait", connection_id=conn_id, deferrable=True, baseline=BASELINE)

    assert expect_deferral(task, context).trigger.serialize()[1]["group_id"] is None


# -- the flags a task hands to its trigger ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({}, {"retest": False, "failures_are_final": True}),
        ({"retest_on_poke": True}, {"retest": True, "failures_are_final": False}),
        ({"wait_for_connect_card": True}, {"retest": False, "failures_are_final": False}),
        (
            {"retest_on_poke": True, "wait_for_connect_card": True},
            {"retest": True, "failures_are_final": False},
        ),
    ],
)
def test_setup_sensor_flags_reach_the_trigger(
    sim: Sim, context: Context, flags: dict[str, Any], expected: dict[str, Any]
) -> None:
    conn_id = sim.create(auth=False, run_setup_tests=False)  # incomplete; a re-test fails: it defers
    task = FivetranSetupTestsSensor(
        task_id="wait",
        connection_id=conn_id,
        deferrable=True,
        poke_interval=7,
        timeout=600,
        fivetran_conn_id="fivetran_default",
        **flags,
    )
    before = datetime.now(UTC)
    deferred = expect_deferral(task, context)

    kwargs = deferred.trigger.serialize()[1]
    assert {k: kwargs[k] for k in expected} == expected
    assert (kwargs["connection_id"], kwargs["fivetran_conn_id"], kwargs["poll_interval"]) == (
        conn_id,
        "fivetran_default",
        7,
    )
    end = datetime.fromisoformat(kwargs["end_time"])
    assert before + timedelta(seconds=600) <= end <= datetime.now(UTC) + timedelta(seconds=600)
    assert deferred.timeout is not None
    assert deferred.timeout > timedelta(seconds=600)


@pytest.mark.parametrize("fail_on_rescheduled", [False, True])
def test_sync_sensor_flags_reach_the_trigger(sim: Sim, context: Context, fail_on_rescheduled: bool) -> None:
    conn_id = sim.create()
    task = FivetranSyncSensor(
        task_id="wait",
        connection_id=conn_id,
        deferrable=True,
        baseline="2026-01-01T00:00:00",  # naive: read as UTC
        fail_on_rescheduled=fail_on_rescheduled,
        poke_interval=5,
    )
    kwargs = expect_deferral(task, context).trigger.serialize()[1]
    assert kwargs["baseline"] == BASELINE
    assert kwargs["fail_on_rescheduled"] is fail_on_rescheduled
    assert kwargs["poll_interval"] == 5


# -- every deferring task resumes, and never silently ------------------------------------------------------


NEW_ACCOUNT = "new-ad-account"


def takes_deferrable(task_class: type) -> bool:
    """Whether a task class offers the ``deferrable`` argument (on itself or a base of ours)."""
    return any(
        "deferrable" in inspect.signature(cls.__init__).parameters  # type: ignore[misc]
        for cls in task_class.__mro__
        if "__init__" in vars(cls)
    )


PUBLIC_TASKS: list[type] = [
    *(getattr(operators, name) for name in operators.__all__),
    *(getattr(sensors, name) for name in sensors.__all__),
]


def synced(sim: Sim) -> tuple[str, datetime]:
    """A manually scheduled connection that synced once; its next sync or re-sync takes 60 s."""
    conn_id = sim.create(schedule_type="manual")
    end = sim.complete_sync(conn_id)
    sim.control.set_scenario({"sync": {"duration_seconds": 60, "resync_duration_seconds": 60}})
    return conn_id, end


def sensor_waits_for_access(sim: Sim) -> tuple[str, Any, Callable[[], object]]:
    accounts = [*DEMO_ACCOUNTS, NEW_ACCOUNT]
    conn_id = sim.create(
        config={"schema": "spotify_demo", "sync_mode": "SPECIFIC_ACCOUNTS", "accounts": accounts}
    )
    task = FivetranSetupTestsSensor(
        task_id="wait", connection_id=conn_id, retest_on_poke=True, deferrable=True, poke_interval=0.05
    )

    def grant() -> None:  # the Spotify admin grants access once the trigger re-tests
        sim.on_request("POST", f"/v1/connections/{conn_id}/test", 1, lambda: sim.grant_account(NEW_ACCOUNT))

    return conn_id, task, grant


def sensor_waits_for_a_sync(sim: Sim) -> tuple[str, Any, Callable[[], object]]:
    conn_id, last_end = synced(sim)
    sim.api("POST", f"/v1/connections/{conn_id}/sync", {})
    task = FivetranSyncSensor(
        task_id="sync_wait", connection_id=conn_id, baseline=last_end, deferrable=True, poke_interval=0.05
    )
    return conn_id, task, lambda: sim.control.advance_clock(60)


def operator_waits_for_its_sync(sim: Sim) -> tuple[str, Any, Callable[[], object]]:
    conn_id, _ = synced(sim)
    task = FivetranSyncOperator(
        task_id="sync", connection_id=conn_id, wait_for_completion=True, deferrable=True, poll_interval=0.05
    )
    return conn_id, task, lambda: sim.control.advance_clock(60)


def operator_waits_for_its_resync(sim: Sim) -> tuple[str, Any, Callable[[], object]]:
    conn_id, _ = synced(sim)
    task = operators.FivetranResyncOperator(
        task_id="resync", connection_id=conn_id, wait_for_completion=True, deferrable=True, poll_interval=0.05
    )
    return conn_id, task, lambda: sim.control.advance_clock(60)


#: For each public task that can defer: a wait it must defer on, and what ends that wait on the Fivetran side.
DEFERRED_WAITS: dict[type, Callable[[Sim], tuple[str, Any, Callable[[], object]]]] = {
    FivetranSetupTestsSensor: sensor_waits_for_access,
    FivetranSyncSensor: sensor_waits_for_a_sync,
    FivetranSyncOperator: operator_waits_for_its_sync,
    operators.FivetranResyncOperator: operator_waits_for_its_resync,
}


def test_every_public_task_offering_deferrable_has_a_deferred_wait_below() -> None:
    assert {c for c in PUBLIC_TASKS if takes_deferrable(c)} == set(DEFERRED_WAITS)


@pytest.mark.parametrize("task_class", list(DEFERRED_WAITS), ids=lambda c: c.__name__)
def test_a_deferrable_task_defers_and_resumes_from_its_triggers_event(
    sim: Sim, context: Context, task_class: type
) -> None:
    conn_id, task, end_the_wait = DEFERRED_WAITS[task_class](sim)

    deferred = expect_deferral(task, context)  # deferred to execute_complete
    classpath, kwargs = deferred.trigger.serialize()
    trigger = import_string(classpath)(
        **kwargs
    )  # what the triggerer runs: the trigger rebuilt from its record
    end_the_wait()
    event = first_event(trigger)
    result = getattr(task, deferred.method_name)(context, event=event.payload, **(deferred.kwargs or {}))

    assert event.payload["status"] == "success"
    assert result["connection_id"] == conn_id


def resuming_tasks() -> list[Any]:
    return [
        FivetranSetupTestsSensor(task_id="setup", connection_id="conn"),
        FivetranSyncSensor(task_id="sync_wait", connection_id="conn"),
        FivetranSyncOperator(task_id="sync", connection_id="conn", wait_for_completion=True),
    ]


GARBLED_EVENTS: list[Any] = [
    None,
    "success",
    [],
    {},
    {"status": "done", "connection_id": "conn"},
    {"status": "success"},  # about no connection
    {"status": "success", "connection_id": "another"},
    {"connection_id": "conn", "result": {"connection_id": "conn"}},
]


@pytest.mark.parametrize("task", resuming_tasks(), ids=lambda t: t.task_id)
@pytest.mark.parametrize("event", GARBLED_EVENTS, ids=repr)
def test_execute_complete_refuses_a_missing_or_garbled_event(
    task: Any, event: Any, context: Context, ti: RecordingTI
) -> None:
    with pytest.raises(FivetranError):
        task.execute_complete(context, event=event)
    assert set(ti.xcoms) <= {API_CALLS_XCOM_KEY}  # no result, no link: only what the try spent


@pytest.mark.parametrize("task", resuming_tasks(), ids=lambda t: t.task_id)
def test_execute_complete_passes_the_trigger_message_through(task: Any, context: Context) -> None:
    timeout = {"status": "timeout", "connection_id": "conn", "message": "gave up waiting at noon"}
    with pytest.raises(FivetranWaitTimeoutError, match="gave up waiting at noon"):
        task.execute_complete(context, event=timeout)

    error = {"status": "error", "connection_id": "conn", "message": "GET /v1/connections/conn -> 403 nope"}
    with pytest.raises(FivetranError, match="403 nope"):
        task.execute_complete(context, event=error)


def test_sync_failure_event_fails_with_its_message(context: Context) -> None:
    event = {"status": "failed", "connection_id": "conn", "message": "sync of conn failed at 10:00"}
    for task in resuming_tasks()[1:]:
        with pytest.raises(FivetranSyncFailedError, match="sync of conn failed at 10:00"):
            task.execute_complete(context, event=event)


# -- triggers against the simulator -----------------------------------------------------------------------


def test_an_api_error_ends_the_trigger_with_fivetrans_message(sim: Sim, context: Context) -> None:
    trigger = FivetranSetupTestsTrigger(
        connection_id="no_such_connection",
        fivetran_conn_id="fivetran_default",
        poll_interval=0.05,
        end_time=None,
    )
    event = first_event(trigger)

    assert event.payload["status"] == "error"
    assert "Connection with id 'no_such_connection' doesn't exist" in event.payload["message"]
    task = FivetranSetupTestsSensor(task_id="wait", connection_id="no_such_connection")
    with pytest.raises(FivetranError, match="doesn't exist"):
        task.execute_complete(context, event=event.payload)


def test_sync_trigger_only_reads(sim: Sim) -> None:
    conn_id = sim.create()
    sim.control.set_scenario({"sync": {"duration_seconds": 60}})
    sim.api("POST", f"/v1/connections/{conn_id}/sync", {})
    sim.control.clear_requests()
    sim.on_request("GET", f"/v1/connections/{conn_id}", 2, lambda: sim.control.advance_clock(60))
    trigger = FivetranSyncTrigger(
        connection_id=conn_id,
        fivetran_conn_id="fivetran_default",
        poll_interval=0.1,
        end_time=None,
        baseline=None,
    )

    event = first_event(trigger)

    assert event.payload["status"] == "success"
    assert event.payload["result"]["succeeded_at"] is not None
    assert sim.calls() == [("GET", f"/v1/connections/{conn_id}")] * 3


def test_trigger_retries_a_transient_error(sim: Sim) -> None:
    conn_id = sim.create()
    sim.control.add_fault(f"GET /v1/connections/{conn_id}", "error", status=503, retry_after=0)
    trigger = FivetranSetupTestsTrigger(
        connection_id=conn_id, fivetran_conn_id="fivetran_default", poll_interval=0.05, end_time=None
    )
    assert first_event(trigger).payload["status"] == "success"
    assert [e["status"] for e in sim.requests()] == [503, 200]


# -- the poll loop on the test's clock: sleep first, last look at the deadline, never much past it ------------

LoopLog = list[tuple[str, float]]


def driven(trigger: Any, clock: FakeClock, log: LoopLog) -> Any:
    """``trigger`` on the test's clock, its loop recorded in ``log``: ``("sleep", seconds)`` and
    ``("fetch", seconds since the start)``. The fetches are real calls to the simulator."""
    fetch = trigger._fetch

    async def sleep(seconds: float) -> None:
        log.append(("sleep", seconds))
        await clock.sleep(seconds)

    async def recorded_fetch(hook: Any) -> Any:
        log.append(("fetch", clock.monotonic()))
        return await fetch(hook)

    for name, value in (("_now", clock.now), ("_sleep", sleep), ("_fetch", recorded_fetch)):
        setattr(trigger, name, value)
    return trigger


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_the_trigger_sleeps_before_its_first_fetch(sim: Sim, clock: FakeClock) -> None:
    """The task checked just before deferring: the trigger's first look comes a poll interval later."""
    conn_id = sim.create()
    log: LoopLog = []
    trigger = FivetranSyncTrigger(
        connection_id=conn_id,
        fivetran_conn_id="fivetran_default",
        poll_interval=30,
        end_time=None,
        baseline=None,
    )
    sim.complete_sync(conn_id)

    assert first_event(driven(trigger, clock, log)).payload["status"] == "success"
    assert log == [("sleep", 30), ("fetch", 30)]


def test_the_trigger_sleeps_before_every_fetch_and_looks_last_at_its_end_time(
    sim: Sim, clock: FakeClock
) -> None:
    conn_id = sim.create(run_setup_tests=False)  # incomplete, nothing failing: only the deadline ends it
    end = clock.at(100)
    log: LoopLog = []
    trigger = FivetranSetupTestsTrigger(
        connection_id=conn_id,
        fivetran_conn_id="fivetran_default",
        poll_interval=30,
        end_time=end.isoformat(),
    )

    event = first_event(driven(trigger, clock, log))

    assert event.payload["status"] == "timeout"
    assert f"gave up waiting at {end.isoformat()}: setup of {conn_id} incomplete" in event.payload["message"]
    # Every 30 s, and the last look at the end time itself, not a poll interval before it.
    assert log == [
        *[("sleep", 30), ("fetch", 30)],
        *[("sleep", 30), ("fetch", 60)],
        *[("sleep", 30), ("fetch", 90)],
        *[("sleep", 10), ("fetch", 100)],
    ]
    assert sim.calls() == [("GET", f"/v1/connections/{conn_id}")] * 4


def test_a_trigger_past_its_end_time_looks_once_then_times_out(sim: Sim, clock: FakeClock) -> None:
    conn_id = sim.create(run_setup_tests=False)
    log: LoopLog = []
    trigger = FivetranSetupTestsTrigger(
        connection_id=conn_id,
        fivetran_conn_id="fivetran_default",
        poll_interval=30,
        end_time=clock.at(-60).isoformat(),
    )
    event = first_event(driven(trigger, clock, log))

    assert event.payload["status"] == "timeout"
    assert "incomplete" in event.payload["message"]
    assert log == [("sleep", 0.0), ("fetch", 0)]


def test_a_look_unanswered_past_the_end_time_ends_with_a_timeout_not_the_hooks_retries(
    sim: Sim, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fivetran hangs at the last look: the hook would retry (5 attempts, backoff) long past end_time; the
    trigger gives up one call's deadline (``call_deadline``: connect + read timeout, 0.5 s here) after it."""
    conn_id = sim.create(run_setup_tests=False)
    sim.control.add_fault(f"GET /v1/connections/{conn_id}", "delay", seconds=5, count=None)
    slow = json.loads(sim.server.airflow_conn_json) | {"extra": {"connect_timeout": 0.2, "read_timeout": 0.3}}
    monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_HANGING", json.dumps(slow))
    end = clock.at(30)
    log: LoopLog = []
    trigger = FivetranSetupTestsTrigger(
        connection_id=conn_id, fivetran_conn_id="fivetran_hanging", poll_interval=30, end_time=end.isoformat()
    )

    event = first_event(driven(trigger, clock, log))

    assert event.payload["status"] == "timeout", event.payload
    assert event.payload["message"] == (
        f"gave up waiting at {end.isoformat()}: Fivetran did not answer within 0.5 s of it"
    )
    assert log == [("sleep", 30), ("fetch", 30)]


def test_a_paused_sync_still_running_at_the_end_time_times_out_naming_its_state(
    sim: Sim, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Paused mid-sync (``sync_state`` still ``syncing``): the trigger waits for that sync; at its end time it
    gives up naming the state. The simulator cancels a sync on pause, so the answer is shaped here."""
    from airflow_spotify_fivetran.models import Connection
    from tests.payloads import connection_answer

    answer = connection_answer()
    answer["paused"] = True
    answer["status"].update(sync_state="syncing")
    connection = Connection.from_api(answer)

    async def fetch(self: Any, hook: Any) -> Any:
        return connection

    monkeypatch.setattr(FivetranSyncTrigger, "_fetch", fetch)
    log: LoopLog = []
    trigger = FivetranSyncTrigger(
        connection_id=connection.id,
        fivetran_conn_id="fivetran_default",
        poll_interval=60,
        end_time=clock.at(180).isoformat(),
        baseline=BASELINE,
    )
    event = first_event(driven(trigger, clock, log))

    assert event.payload["status"] == "timeout"
    assert "is syncing although the connection was paused" in event.payload["message"]
    assert [step for step in log if step[0] == "fetch"] == [("fetch", 60), ("fetch", 120), ("fetch", 180)]


def test_a_long_retry_after_keeps_the_wait_alive_until_fivetran_answers(sim: Sim, clock: FakeClock) -> None:
    """An hourly limit asks for 300 s, more than the hook waits inside one call (``MAX_RETRY_AFTER``): the
    hook gives up at once, and the trigger sleeps the 300 s itself and looks again, as often as needed."""
    conn_id = sim.create()
    sim.control.add_fault(f"GET /v1/connections/{conn_id}", "error", status=429, retry_after=300, count=2)
    log: LoopLog = []
    trigger = FivetranSetupTestsTrigger(
        connection_id=conn_id,
        fivetran_conn_id="fivetran_default",
        poll_interval=30,
        end_time=clock.at(3600).isoformat(),
    )

    event = first_event(driven(trigger, clock, log))

    assert event.payload["status"] == "success", event.payload
    assert log == [
        *[("sleep", 30), ("fetch", 30)],
        *[("sleep", 300), ("fetch", 330)],
        *[("sleep", 300), ("fetch", 630)],
    ]
    assert [e["status"] for e in sim.requests()] == [429, 429, 200]


def test_a_short_retry_after_still_waits_a_poll_interval(sim: Sim, clock: FakeClock) -> None:
    """A 429 that outlasts the hook's own retries (one attempt here) never makes the wait look sooner
    than its poll interval."""
    conn_id = sim.create()
    sim.control.add_fault(f"GET /v1/connections/{conn_id}", "error", status=429, retry_after=0, count=1)
    once = json.loads(sim.server.airflow_conn_json) | {"extra": {"max_attempts": 1}}
    log: LoopLog = []
    trigger = FivetranSetupTestsTrigger(
        connection_id=conn_id, fivetran_conn_id="fivetran_once", poll_interval=30, end_time=None
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIRFLOW_CONN_FIVETRAN_ONCE", json.dumps(once))
        event = first_event(driven(trigger, clock, log))

    assert event.payload["status"] == "success", event.payload
    assert log == [("sleep", 30), ("fetch", 30), ("sleep", 30), ("fetch", 60)]


def test_a_rate_limit_lasting_past_the_end_time_times_out_naming_it(sim: Sim, clock: FakeClock) -> None:
    """Still limited at the last look, at ``end_time`` itself: a timeout that says why, not an error."""
    conn_id = sim.create()
    sim.control.add_fault(f"GET /v1/connections/{conn_id}", "error", status=429, retry_after=300, count=None)
    end = clock.at(400)
    log: LoopLog = []
    trigger = FivetranSetupTestsTrigger(
        connection_id=conn_id, fivetran_conn_id="fivetran_default", poll_interval=30, end_time=end.isoformat()
    )

    event = first_event(driven(trigger, clock, log))

    assert event.payload["status"] == "timeout", event.payload
    message = event.payload["message"]
    assert message.startswith(f"gave up waiting at {end.isoformat()}: over Fivetran's rate limit: ")
    assert "429" in message
    assert [step for step in log if step[0] == "fetch"] == [("fetch", 30), ("fetch", 330), ("fetch", 400)]


def test_a_deferred_retest_waits_a_poll_interval_after_the_workers_own_test(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str
) -> None:
    """retest_on_poke: the worker re-tests before deferring; the trigger must not re-test at once
    (setup-test runs have a rate limit of their own)."""
    accounts = [*DEMO_ACCOUNTS, "new-ad-account"]
    conn_id = sim.create(
        config={"schema": "spotify_demo", "sync_mode": "SPECIFIC_ACCOUNTS", "accounts": accounts}
    )
    test_path = f"/v1/connections/{conn_id}/test"
    tested_at: list[float] = []

    def first_test() -> None:
        tested_at.append(time.monotonic())
        sim.grant_account("new-ad-account")

    sim.on_request("POST", test_path, 1, first_test)
    sim.on_request("POST", test_path, 2, lambda: tested_at.append(time.monotonic()))
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        FivetranSetupTestsSensor(
            task_id="wait",
            connection_id=conn_id,
            retest_on_poke=True,
            deferrable=True,
            poke_interval=0.5,
            timeout=20,
        )

    outcome = run_dag(dag)

    assert outcome.task_states == {"wait": "success"}
    assert sim.calls().count(("POST", test_path)) == 2
    assert tested_at[1] - tested_at[0] >= 0.45


# -- anything a trigger raises ends it with an error event -------------------------------------------------


def test_an_unknown_airflow_connection_ends_the_trigger_with_a_named_error(
    sim: Sim, context: Context
) -> None:
    trigger = FivetranSetupTestsTrigger(
        connection_id="conn", fivetran_conn_id="no_such_airflow_conn", poll_interval=0.01, end_time=None
    )
    event = first_event(trigger)

    assert event.payload["status"] == "error"
    assert event.payload["message"].startswith("AirflowNotFoundException: ")
    assert "no_such_airflow_conn" in event.payload["message"]
    task = FivetranSetupTestsSensor(task_id="wait", connection_id="conn")
    with pytest.raises(FivetranError, match="waiting for connection conn failed: AirflowNotFoundException"):
        task.execute_complete(context, event=event.payload)


def test_any_exception_of_a_trigger_becomes_an_error_event(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> None:
    conn_id = sim.create()

    def decide(self: Any, connection: Any) -> Any:
        raise ValueError("a value Fivetran never sent")

    monkeypatch.setattr(FivetranSyncTrigger, "_decide", decide)
    trigger = FivetranSyncTrigger(
        connection_id=conn_id,
        fivetran_conn_id="fivetran_default",
        poll_interval=0.01,
        end_time=None,
        baseline=None,
    )
    event = first_event(trigger)

    assert event.payload == {
        "status": "error",
        "connection_id": conn_id,
        "message": "ValueError: a value Fivetran never sent",
        "broken": False,
        "failed_tests": [],
        API_CALLS_XCOM_KEY: {"calls": 1, "retries": 0},  # the read whose answer it could not decide on
    }


def test_a_cancelled_trigger_is_not_turned_into_an_event(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    async def fetch(self: Any, hook: Any) -> Any:
        raise asyncio.CancelledError

    monkeypatch.setattr(FivetranSetupTestsTrigger, "_fetch", fetch)
    trigger = FivetranSetupTestsTrigger(
        connection_id="conn", fivetran_conn_id="fivetran_default", poll_interval=0.01, end_time=None
    )
    with pytest.raises(asyncio.CancelledError):
        first_event(trigger)
