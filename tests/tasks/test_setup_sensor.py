"""FivetranSetupTestsSensor, poking and deferred, against the simulator.

Each behaviour runs both ways: ``deferrable=False`` (``mode="poke"``, the poke loop in the worker) and
``deferrable=True`` (first check in the worker, then the trigger). Most run as a real DAG run with
``dag.test()`` (which runs a deferred task's trigger inline); the deferred path is also driven by hand:
``execute`` raises ``TaskDeferred``, its trigger runs for real, ``execute_complete`` gets the event.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

import pytest
from airflow.sdk import DAG, Context
from airflow.sdk.exceptions import AirflowSensorTimeout

from airflow_spotify_fivetran.decisions import BROKEN_GUIDANCE
from airflow_spotify_fivetran.exceptions import (
    FivetranConnectionBrokenError,
    FivetranSetupTestsFailedError,
    FivetranWaitTimeoutError,
)
from airflow_spotify_fivetran.sensors.fivetran import SCHEDULE_XCOM_KEY, FivetranSetupTestsSensor
from airflow_spotify_fivetran.triggers.fivetran import FivetranSetupTestsTrigger
from fivetran_simulator import DEMO_ACCOUNTS, DEMO_REFRESH_TOKEN

if TYPE_CHECKING:
    from airflow.triggers.base import TriggerEvent

from tests.helpers.task_calls import RecordingTI, expect_deferral, first_event
from tests.tasks.dag_runs import DagOutcome
from tests.tasks.listed import listed_in_group
from tests.tasks.sim import Sim

NEW_ACCOUNT = "new-ad-account"
ACCESS_TEST = "Checking ad account access"
DEFERRABLE = pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferred"])
CARD = {"redirect_uri": "https://airflow.example.com/done"}


def sensor(connection_id: str, *, deferrable: bool, **kwargs: Any) -> FivetranSetupTestsSensor:
    kwargs.setdefault("mode", "poke")
    kwargs.setdefault("poke_interval", 0.1)
    kwargs.setdefault("timeout", 20)
    return FivetranSetupTestsSensor(
        task_id="wait", connection_id=connection_id, deferrable=deferrable, **kwargs
    )


def one_sensor_dag(dag_id: str, connection_id: str, *, deferrable: bool, **kwargs: Any) -> DAG:
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        sensor(connection_id, deferrable=deferrable, **kwargs)
    return dag


REPORTS_TEST = "Checking report availability"
REPORTS_FAILURE = {
    "title": REPORTS_TEST,
    "status": "FAILED",
    "message": "Report campaign_daily is not available",
}


def no_access(sim: Sim) -> str:
    """A connection whose setup test of ad account access fails (one account the user cannot read)."""
    config = {
        "schema": "spotify_demo",
        "sync_mode": "SPECIFIC_ACCOUNTS",
        "accounts": [*DEMO_ACCOUNTS, NEW_ACCOUNT],
    }
    return sim.create(config=config)


def awaiting_card(sim: Sim) -> str:
    """A connection created without auth: its tests fail until a person completes the Connect Card."""
    return sim.create(auth=False, connect_card_config=CARD)


def detail(conn_id: str) -> tuple[str, str]:
    return ("GET", f"/v1/connections/{conn_id}")


def retest(conn_id: str) -> tuple[str, str]:
    return ("POST", f"/v1/connections/{conn_id}/test")


# -- connected --------------------------------------------------------------------------------------------


@DEFERRABLE
def test_passes_when_connected_with_one_call(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str, deferrable: bool
) -> None:
    conn_id = sim.create()
    outcome = run_dag(one_sensor_dag(dag_id, conn_id, deferrable=deferrable))

    assert outcome.task_states == {"wait": "success"}
    assert sim.calls() == [detail(conn_id)]
    result = outcome.xcom("wait")
    assert (result["connection_id"], result["setup_state"]) == (conn_id, "connected")
    assert [t["status"] for t in result["setup_tests"]] == ["PASSED"] * 3
    assert outcome.xcom("wait", key=SCHEDULE_XCOM_KEY) == {
        "sync_frequency": 360,
        "daily_sync_time": None,
        "schedule_type": "auto",
        "paused": False,
    }


# -- failing setup tests: fail fast ------------------------------------------------------------------------


def assert_names_the_failing_tests(error: BaseException) -> None:
    assert isinstance(error, FivetranSetupTestsFailedError), repr(error)
    message = str(error)
    assert f"{ACCESS_TEST} [FAILED]: No access to ad accounts {NEW_ACCOUNT}: grant the Spotify" in message
    assert f"{REPORTS_TEST} [FAILED]: Report campaign_daily is not available" in message
    assert [t.title for t in error.failed] == [ACCESS_TEST, REPORTS_TEST]
    assert "Validating refresh token" not in message  # passed


@DEFERRABLE
def test_failing_setup_tests_fail_fast_naming_each_test(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str, deferrable: bool
) -> None:
    sim.control.set_scenario({"extra_setup_tests": [REPORTS_FAILURE]})
    conn_id = no_access(sim)
    outcome = run_dag(one_sensor_dag(dag_id, conn_id, deferrable=deferrable))

    assert_names_the_failing_tests(outcome.error("wait"))
    assert sim.calls() == [detail(conn_id)]  # one look, no waiting


def test_failing_setup_tests_from_the_trigger_fail_naming_each_test(sim: Sim, context: Context) -> None:
    sim.control.set_scenario({"extra_setup_tests": [REPORTS_FAILURE]})
    conn_id = no_access(sim)
    task = sensor(conn_id, deferrable=True)
    trigger = FivetranSetupTestsTrigger(
        connection_id=conn_id,
        fivetran_conn_id="fivetran_default",
        poll_interval=0.05,
        end_time=None,
        failures_are_final=True,
    )
    event = first_event(trigger)

    assert event.payload["status"] == "failed"
    with pytest.raises(FivetranSetupTestsFailedError) as raised:
        task.execute_complete(context, event=event.payload)
    assert_names_the_failing_tests(raised.value)


# -- retest_on_poke: access granted while the sensor waits -------------------------------------------------


@DEFERRABLE
def test_retest_on_poke_passes_once_access_is_granted(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str, deferrable: bool
) -> None:
    conn_id = no_access(sim)
    # The first re-test fails (in the worker's first check); then the account is granted.
    sim.on_request("POST", f"/v1/connections/{conn_id}/test", 1, lambda: sim.grant_account(NEW_ACCOUNT))

    outcome = run_dag(one_sensor_dag(dag_id, conn_id, deferrable=deferrable, retest_on_poke=True))

    assert outcome.task_states == {"wait": "success"}
    assert outcome.xcom("wait")["setup_state"] == "connected"
    assert sim.details(conn_id)["status"]["setup_state"] == "connected"
    calls = sim.calls()
    assert calls.count(retest(conn_id)) == 2
    if deferrable:  # worker: read, re-test; trigger: re-test only
        assert calls == [detail(conn_id), retest(conn_id), retest(conn_id)]
    else:  # each poke reads first and re-tests only while not connected
        assert calls == [detail(conn_id), retest(conn_id), detail(conn_id), retest(conn_id)]


def test_retest_on_poke_deferred_by_hand(sim: Sim, context: Context, ti: RecordingTI) -> None:
    conn_id = no_access(sim)
    task = sensor(conn_id, deferrable=True, retest_on_poke=True)
    deferred = expect_deferral(task, context)
    assert deferred.trigger.retest is True
    assert deferred.trigger.failures_are_final is False
    sim.on_request("POST", f"/v1/connections/{conn_id}/test", 1, lambda: sim.grant_account(NEW_ACCOUNT))

    event = first_event(deferred.trigger)
    result = task.execute_complete(context, event=event.payload)

    assert result["setup_state"] == "connected"
    assert ti.xcoms[SCHEDULE_XCOM_KEY]["sync_frequency"] == 360


# -- the Connect Card, completed while the sensor waits ----------------------------------------------------


@DEFERRABLE
def test_wait_for_connect_card_passes_once_the_card_is_completed(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str, deferrable: bool
) -> None:
    conn_id = awaiting_card(sim)
    # The person completes the card after the second look (the trigger's first poll when deferred).
    sim.on_request("GET", f"/v1/connections/{conn_id}", 2, lambda: sim.control.complete_connect_card(conn_id))

    outcome = run_dag(one_sensor_dag(dag_id, conn_id, deferrable=deferrable, wait_for_connect_card=True))

    assert outcome.task_states == {"wait": "success"}
    assert outcome.xcom("wait")["setup_state"] == "connected"
    assert outcome.xcom("wait", key=SCHEDULE_XCOM_KEY)["schedule_type"] == "auto"
    assert sim.calls() == [detail(conn_id)] * 3  # reads only: nothing re-runs the tests


def test_wait_for_connect_card_in_reschedule_mode(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str
) -> None:
    conn_id = awaiting_card(sim)
    sim.on_request("GET", f"/v1/connections/{conn_id}", 1, lambda: sim.control.complete_connect_card(conn_id))

    dag = one_sensor_dag(dag_id, conn_id, deferrable=False, mode="reschedule", wait_for_connect_card=True)
    outcome = run_dag(dag)

    assert outcome.task_states == {"wait": "success"}
    assert outcome.xcom("wait")["setup_state"] == "connected"
    assert sim.calls() == [detail(conn_id)] * 2


def test_connect_card_completed_from_a_concurrent_task_while_the_trigger_polls(sim: Sim) -> None:
    import asyncio

    conn_id = awaiting_card(sim)
    trigger = FivetranSetupTestsTrigger(
        connection_id=conn_id,
        fivetran_conn_id="fivetran_default",
        poll_interval=0.05,
        end_time=None,
        failures_are_final=False,
    )

    async def person() -> None:
        while not await asyncio.to_thread(sim.calls):  # the trigger's first poll saw the failing tests
            await asyncio.sleep(0.01)
        await asyncio.to_thread(sim.control.complete_connect_card, conn_id)

    async def both() -> dict[str, Any]:
        events = cast("AsyncGenerator[TriggerEvent, None]", trigger.run())
        completing = asyncio.create_task(person())
        event = await asyncio.wait_for(anext(events), 10)
        await events.aclose()
        await completing
        return dict(event.payload)

    payload = asyncio.run(both())
    assert payload["status"] == "success"
    assert payload["result"]["setup_state"] == "connected"
    assert len(sim.calls()) >= 2


def test_without_wait_for_connect_card_a_missing_authorisation_fails_fast(sim: Sim, context: Context) -> None:
    conn_id = awaiting_card(sim)
    with pytest.raises(FivetranSetupTestsFailedError) as raised:
        sensor(conn_id, deferrable=True).execute(context)
    assert "Authorization is missing" in str(raised.value)
    assert "Validating client credentials" in str(raised.value)


# -- broken --------------------------------------------------------------------------------------------------


def broken(sim: Sim) -> str:
    conn_id = sim.create()
    sim.control.revoke(refresh_token=DEMO_REFRESH_TOKEN, immediate=True)
    sim.control.clear_requests()
    return conn_id


@DEFERRABLE
@pytest.mark.parametrize("retest_on_poke", [False, True])
def test_broken_connection_fails_with_guidance(
    sim: Sim,
    run_dag: Callable[[DAG], DagOutcome],
    dag_id: str,
    deferrable: bool,
    retest_on_poke: bool,
) -> None:
    conn_id = broken(sim)
    dag = one_sensor_dag(dag_id, conn_id, deferrable=deferrable, retest_on_poke=retest_on_poke)
    error = run_dag(dag).error("wait")

    assert isinstance(error, FivetranConnectionBrokenError)
    assert BROKEN_GUIDANCE in str(error)
    assert conn_id in str(error)
    assert sim.calls() == [detail(conn_id)]


def test_broken_connection_seen_by_the_trigger_fails_with_guidance(sim: Sim, context: Context) -> None:
    conn_id = broken(sim)
    trigger = FivetranSetupTestsTrigger(
        connection_id=conn_id, fivetran_conn_id="fivetran_default", poll_interval=0.05, end_time=None
    )
    event = first_event(trigger)
    assert event.payload["status"] == "failed"
    assert event.payload["broken"] is True
    assert "Validating refresh token" in [t["title"] for t in event.payload["failed_tests"]]

    with pytest.raises(FivetranConnectionBrokenError, match="Re-authorize"):
        sensor(conn_id, deferrable=True).execute_complete(context, event=event.payload)


def test_the_sensor_tells_broken_by_the_events_flag_not_its_message(context: Context) -> None:
    task = sensor("conn", deferrable=True)
    test = {"title": ACCESS_TEST, "status": "FAILED", "message": "no access"}
    broken_event = {
        "status": "failed",
        "connection_id": "conn",
        "message": "worded otherwise",
        "broken": True,
        "failed_tests": [test],
    }
    with pytest.raises(FivetranConnectionBrokenError, match="worded otherwise"):
        task.execute_complete(context, event=broken_event)

    failed_event = {**broken_event, "message": BROKEN_GUIDANCE, "broken": False}
    with pytest.raises(FivetranSetupTestsFailedError) as raised:
        task.execute_complete(context, event=failed_event)
    assert f"{ACCESS_TEST} [FAILED]: no access" in str(raised.value)


# -- timeout -------------------------------------------------------------------------------------------------


def never_tested(sim: Sim) -> str:
    """A connection whose setup tests never ran (incomplete, nothing failing): a wait cannot end."""
    return sim.create(run_setup_tests=False)


@DEFERRABLE
def test_timeout_fails_the_wait(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str, deferrable: bool
) -> None:
    conn_id = never_tested(sim)
    error = run_dag(one_sensor_dag(dag_id, conn_id, deferrable=deferrable, timeout=0.3)).error("wait")

    if deferrable:
        assert isinstance(error, FivetranWaitTimeoutError)
        assert "incomplete" in str(error)
    else:
        assert isinstance(error, AirflowSensorTimeout)
    # At most one look per 0.1 s poke interval in 0.3 s; how many fit depends on the machine's speed (a slow
    # one may time out after its first look), so only the upper bound is asserted.
    assert 1 <= len(sim.calls()) <= 8


def test_trigger_gives_up_at_its_end_time(sim: Sim, context: Context) -> None:
    conn_id = never_tested(sim)
    task = sensor(conn_id, deferrable=True, timeout=0.2)
    deferred = expect_deferral(task, context)
    event = first_event(deferred.trigger)

    assert event.payload["status"] == "timeout"
    with pytest.raises(FivetranWaitTimeoutError, match="gave up waiting"):
        task.execute_complete(context, event=event.payload)


# -- a listed state (the fleet's one read of the group) ---------------------------------------------------


@DEFERRABLE
def test_a_listed_connected_state_ends_the_wait_without_a_call_with_the_checks_result(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str, deferrable: bool
) -> None:
    conn_id = sim.create()
    checked = run_dag(one_sensor_dag(f"{dag_id}_checked", conn_id, deferrable=deferrable))
    listed = listed_in_group(sim, "spotify_demo")  # clears the log

    outcome = run_dag(one_sensor_dag(dag_id, conn_id, deferrable=deferrable, listed=listed))

    assert outcome.task_states == {"wait": "success"}
    assert sim.calls() == []
    assert outcome.xcom("wait") == checked.xcom("wait")
    assert outcome.xcom("wait", key=SCHEDULE_XCOM_KEY) == checked.xcom("wait", key=SCHEDULE_XCOM_KEY)


def test_a_listed_state_that_is_not_connected_is_checked_as_without_it(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str
) -> None:
    conn_id = no_access(sim)
    listed = listed_in_group(sim, "spotify_demo")
    assert listed["connection"]["status"]["setup_state"] == "incomplete"
    sim.grant_account(NEW_ACCOUNT)
    sim.api("POST", f"/v1/connections/{conn_id}/test", {})  # passes since the read
    sim.control.clear_requests()

    outcome = run_dag(one_sensor_dag(dag_id, conn_id, deferrable=False, listed=listed))

    assert outcome.task_states == {"wait": "success"}
    assert sim.calls() == [detail(conn_id)]
    assert outcome.xcom("wait")["setup_state"] == "connected"


def test_the_listed_state_of_another_connection_is_not_taken_for_this_one(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str
) -> None:
    sim.create()
    listed = listed_in_group(sim, "spotify_demo")  # connected
    other = sim.create("spotify_other", run_setup_tests=False)  # tests never ran: a wait cannot end

    outcome = run_dag(one_sensor_dag(dag_id, other, deferrable=False, listed=listed, timeout=0.3))

    assert outcome.task_states == {"wait": "failed"}
    assert sim.calls()[0] == detail(other)
