"""Run-setup-tests and delete operators; no call at parse time or in __init__; templates and secrets."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from airflow.sdk import DAG, BaseOperator, Context, chain

from airflow_spotify_fivetran.decisions import BROKEN_GUIDANCE
from airflow_spotify_fivetran.exceptions import (
    FivetranConnectionBrokenError,
    FivetranNotFoundError,
    FivetranSetupTestsFailedError,
)
from airflow_spotify_fivetran.hooks.fivetran import FivetranHook
from airflow_spotify_fivetran.models import Connection
from airflow_spotify_fivetran.operators import (
    FivetranConnectCardOperator,
    FivetranCreateConnectionOperator,
    FivetranDeleteConnectionOperator,
    FivetranRunSetupTestsOperator,
    FivetranSetScheduleOperator,
    FivetranSyncOperator,
)
from airflow_spotify_fivetran.sensors.fivetran import FivetranSetupTestsSensor, FivetranSyncSensor
from airflow_spotify_fivetran.spend import API_CALLS_XCOM_KEY
from fivetran_simulator import DEMO_ACCOUNTS, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN
from tests.helpers.task_calls import RecordingTI, pulled
from tests.payloads import connection_answer, connection_request
from tests.tasks.dag_runs import DagOutcome
from tests.tasks.sim import Sim

ACCESS_TEST = "Checking ad account access"


def run_tests_op(connection_id: str, **kwargs: Any) -> FivetranRunSetupTestsOperator:
    return FivetranRunSetupTestsOperator(task_id="test", connection_id=connection_id, **kwargs)


def no_access(sim: Sim) -> str:
    accounts = [*DEMO_ACCOUNTS, "new-ad-account"]
    return sim.create(
        config={"schema": "spotify_demo", "sync_mode": "SPECIFIC_ACCOUNTS", "accounts": accounts}
    )


# -- run setup tests ----------------------------------------------------------------------------------------


def test_run_setup_tests_passes_and_returns_each_test(sim: Sim, context: Context) -> None:
    conn_id = sim.create(run_setup_tests=False)
    result = run_tests_op(conn_id, trust_certificates=True).execute(context)

    assert result["setup_state"] == "connected"
    assert [t["status"] for t in result["setup_tests"]] == ["PASSED"] * 3
    assert sim.calls() == [("POST", f"/v1/connections/{conn_id}/test")]
    assert sim.requests()[0]["request_body"] == {"trust_certificates": True}


def test_run_setup_tests_fails_naming_each_failing_test(sim: Sim, context: Context) -> None:
    conn_id = no_access(sim)
    with pytest.raises(FivetranSetupTestsFailedError) as raised:
        run_tests_op(conn_id).execute(context)
    assert ACCESS_TEST in str(raised.value)
    assert "No access to ad accounts new-ad-account" in str(raised.value)
    assert sim.calls() == [("POST", f"/v1/connections/{conn_id}/test")]


def test_run_setup_tests_warn_logs_and_succeeds(
    sim: Sim, context: Context, capsys: pytest.CaptureFixture[str]
) -> None:
    conn_id = no_access(sim)
    result = run_tests_op(conn_id, on_failure="warn").execute(context)

    assert result["setup_state"] == "incomplete"
    assert [t["title"] for t in result["setup_tests"] if t["status"] == "FAILED"] == [ACCESS_TEST]
    out = capsys.readouterr().out
    assert "Setup tests did not pass (on_failure='warn')" in out
    assert "No access to ad accounts new-ad-account" in out


def test_run_setup_tests_fails_on_a_warning_that_keeps_the_setup_incomplete(
    sim: Sim, context: Context
) -> None:
    warning = {"title": "Checking report availability", "status": "WARNING", "message": "reports are late"}
    sim.control.set_scenario({"extra_setup_tests": [warning]})
    conn_id = sim.create(run_setup_tests=False)
    with pytest.raises(FivetranSetupTestsFailedError) as raised:
        run_tests_op(conn_id).execute(context)
    assert "Checking report availability [WARNING]: reports are late" in str(raised.value)


def test_run_setup_tests_on_revoked_credentials_fails_with_guidance(sim: Sim, context: Context) -> None:
    conn_id = sim.create()
    sim.control.revoke(refresh_token=DEMO_REFRESH_TOKEN)
    with pytest.raises(FivetranConnectionBrokenError) as raised:
        run_tests_op(conn_id).execute(context)
    assert BROKEN_GUIDANCE in str(raised.value)


def answered(setup_state: str, tests: list[dict[str, Any]]) -> Any:
    """A hook whose setup-test run answers this state and these tests (cases the simulator never makes)."""
    data = connection_answer()
    data["status"]["setup_state"] = setup_state
    data["setup_tests"] = tests
    connection = Connection.from_api(data)
    return SimpleNamespace(run_setup_tests=lambda *args, **kwargs: connection, close=lambda: None)


@pytest.mark.parametrize(
    ("setup_state", "tests", "reason"),
    [
        (
            "incomplete",
            [{"title": "Some future test", "status": "IN_PROGRESS", "message": None}],
            "incomplete; waiting for setup tests to pass",
        ),
        ("pending_review", [], "unknown setup_state 'pending_review'"),
    ],
    ids=["incomplete-nothing-failing", "unknown-state"],
)
def test_run_setup_tests_not_done_without_a_failing_test_says_why(
    context: Context, setup_state: str, tests: list[dict[str, Any]], reason: str
) -> None:
    op = run_tests_op("conn")
    op.__dict__["hook"] = answered(setup_state, tests)
    with pytest.raises(FivetranSetupTestsFailedError) as raised:
        op.execute(context)

    assert raised.value.failed == ()
    message = str(raised.value)
    assert reason in message
    assert "no failing test" in message


def test_run_setup_tests_tells_broken_by_the_decisions_flag(
    context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_spotify_fivetran import decisions

    op = run_tests_op("conn")
    op.__dict__["hook"] = answered("incomplete", [])
    failed = decisions.Decision(decisions.Verdict.FAILED, BROKEN_GUIDANCE, broken=False)
    monkeypatch.setattr(decisions, "setup_decision", lambda *args, **kwargs: failed)
    with pytest.raises(FivetranSetupTestsFailedError):
        op.execute(context)

    broken = decisions.Decision(decisions.Verdict.FAILED, "worded otherwise", broken=True)
    monkeypatch.setattr(decisions, "setup_decision", lambda *args, **kwargs: broken)
    op.__dict__["hook"] = answered("incomplete", [])  # each run closes and drops its hook
    with pytest.raises(FivetranConnectionBrokenError, match="worded otherwise"):
        op.execute(context)


# -- delete -------------------------------------------------------------------------------------------------


def test_delete_removes_the_connection(sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str) -> None:
    conn_id = sim.create()
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        FivetranDeleteConnectionOperator(task_id="delete", connection_id=conn_id)

    outcome = run_dag(dag)

    assert outcome.task_states == {"delete": "success"}
    assert conn_id in outcome.xcom("delete")
    assert sim.calls() == [("DELETE", f"/v1/connections/{conn_id}")]
    assert sim.control.connections() == []


def test_delete_of_a_missing_connection_is_fine_with_missing_ok(sim: Sim, context: Context) -> None:
    message = FivetranDeleteConnectionOperator(task_id="delete", connection_id="gone").execute(context)
    assert message == "connection gone does not exist"


def test_delete_of_a_missing_connection_fails_without_missing_ok(sim: Sim, context: Context) -> None:
    op = FivetranDeleteConnectionOperator(task_id="delete", connection_id="gone", missing_ok=False)
    with pytest.raises(FivetranNotFoundError, match="Connection with id 'gone' doesn't exist"):
        op.execute(context)


# -- nothing at parse time ----------------------------------------------------------------------------------


def every_task() -> list[BaseOperator]:
    create = FivetranCreateConnectionOperator(task_id="create", connection=connection_request())
    conn_id = pulled(create)
    wait = FivetranSetupTestsSensor(task_id="wait", connection_id=conn_id, deferrable=True)
    return [
        create,
        wait,
        FivetranSetScheduleOperator(
            task_id="schedule",
            connection_id=conn_id,
            sync_frequency=1440,
            daily_sync_time="03:00",
            time_zone="Europe/Berlin",
            current_schedule=pulled(wait, key="schedule"),
        ),
        FivetranRunSetupTestsOperator(task_id="test", connection_id=conn_id),
        FivetranSyncOperator(
            task_id="sync", connection_id=conn_id, wait_for_completion=True, deferrable=True
        ),
        FivetranSyncSensor(task_id="sync_wait", connection_id=conn_id),
        FivetranConnectCardOperator(
            task_id="card", connection_id=conn_id, redirect_uri="https://x.example/done"
        ),
        FivetranDeleteConnectionOperator(task_id="delete", connection_id=conn_id),
    ]


def test_no_api_call_when_a_dag_is_parsed_or_its_tasks_built(sim: Sim) -> None:
    from airflow.serialization.serialized_objects import DagSerialization

    with DAG("parse_only", schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        tasks = every_task()
    DagSerialization.deserialize_dag(DagSerialization.serialize_dag(dag))  # what the DAG processor does

    assert len(tasks) == 8
    assert sim.requests() == []


# -- templates and secrets ------------------------------------------------------------------------------------


def test_templated_arguments_reach_fivetran(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every task's arguments accept Jinja: the rendered values are what Fivetran is sent (the connection,
    the Airflow connection the hook uses, the schedule, the Connect Card's redirect, the sync baseline)."""
    conn_id = sim.create()
    synced_at = sim.complete_sync(conn_id)
    # Only the templated Airflow connection reaches the simulator: a task that ignored the template fails.
    monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_TEMPLATED", sim.server.airflow_conn_json)
    wrong_secret = {**json.loads(sim.server.airflow_conn_json), "password": "not-the-api-secret"}
    monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_DEFAULT", json.dumps(wrong_secret))
    params = {
        "conn_id": conn_id,
        "fivetran": "fivetran_templated",
        "frequency": "1440",
        "hour": "06:00",
        "zone": "UTC",
        "type": "manual",
        "redirect": "https://airflow.example.com/done",
        "baseline": (synced_at - timedelta(minutes=5)).isoformat(),
    }
    common: dict[str, Any] = {
        "connection_id": "{{ params.conn_id }}",
        "fivetran_conn_id": "{{ params.fivetran }}",
    }
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1), params=params) as dag:
        chain(
            FivetranSetupTestsSensor(task_id="wait", mode="poke", poke_interval=0.05, **common),
            FivetranSyncSensor(
                task_id="sync_wait",
                baseline="{{ params.baseline }}",
                mode="poke",
                poke_interval=0.05,
                **common,
            ),
            FivetranSetScheduleOperator(
                task_id="schedule",
                sync_frequency="{{ params.frequency }}",
                daily_sync_time="{{ params.hour }}",
                time_zone="{{ params.zone }}",
                schedule_type="{{ params.type }}",
                **common,
            ),
            FivetranRunSetupTestsOperator(task_id="test", **common),
            FivetranConnectCardOperator(task_id="card", redirect_uri="{{ params.redirect }}", **common),
            FivetranSyncOperator(task_id="sync", wait_for_completion=False, **common),
            FivetranDeleteConnectionOperator(task_id="delete", **common),
        )

    outcome = run_dag(dag)

    assert set(outcome.task_states.values()) == {"success"}, outcome.errors
    assert all(conn_id in path for _, path in sim.calls())
    bodies = {(e["method"], e["path"]): e["request_body"] for e in sim.requests()}
    assert bodies[("PATCH", f"/v1/connections/{conn_id}")] == {
        "sync_frequency": 1440,
        "daily_sync_time": "06:00",
        "schedule_type": "manual",
    }
    assert bodies[("POST", f"/v1/connections/{conn_id}/connect-card")]["connect_card_config"] == {
        "redirect_uri": "https://airflow.example.com/done"
    }
    assert ("DELETE", f"/v1/connections/{conn_id}") in bodies


def test_secrets_in_a_templated_connection_are_not_stored_rendered(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str
) -> None:
    body = connection_request("{{ params.schema }}")
    with DAG(
        dag_id, schedule=None, start_date=datetime(2026, 1, 1), params={"schema": "rendered_schema"}
    ) as dag:
        FivetranCreateConnectionOperator(task_id="create", connection=body)

    outcome = run_dag(dag)

    assert outcome.task_states == {"create": "success"}
    rendered = outcome.rendered_fields("create")
    stored = json.dumps(rendered)
    assert "rendered_schema" in stored  # rendered indeed
    assert rendered["connection"]["auth"]["refresh_token"] != DEMO_REFRESH_TOKEN
    for secret in (DEMO_REFRESH_TOKEN, DEMO_CLIENT_SECRET):
        assert secret not in stored
        assert secret not in json.dumps(outcome.xcom("create"))


# -- the hook's HTTP session is closed when the task is done -------------------------------------------------


@pytest.fixture
def closed(monkeypatch: pytest.MonkeyPatch) -> list[FivetranHook]:
    """Every hook closed during the test, in order (the real close still runs)."""
    hooks: list[FivetranHook] = []
    real_close = FivetranHook.close

    def close(self: FivetranHook) -> None:
        hooks.append(self)
        real_close(self)

    monkeypatch.setattr(FivetranHook, "close", close)
    return hooks


def test_the_hooks_session_is_closed_after_the_task(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str, closed: list[FivetranHook]
) -> None:
    conn_id = sim.create()
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        FivetranDeleteConnectionOperator(task_id="delete", connection_id=conn_id)

    assert run_dag(dag).task_states == {"delete": "success"}
    assert len(closed) == 1


def open_sockets(op: FivetranRunSetupTestsOperator) -> Callable[[], bool]:
    """Whether the session of the hook ``op`` holds now still has a pooled TCP connection open."""
    from requests.adapters import HTTPAdapter

    adapters = op.hook.get_conn().adapters.values()
    pools = [adapter.poolmanager.pools for adapter in adapters if isinstance(adapter, HTTPAdapter)]
    return lambda: any(len(pool) for pool in pools)


def test_each_run_closes_the_hook_it_built_whether_it_succeeds_or_fails(sim: Sim, context: Context) -> None:
    conn_id = sim.create("spotify_connected")
    op = run_tests_op(conn_id)
    still_open = open_sockets(op)
    op.hook.get_connection_details(conn_id)
    assert still_open()  # the call left a pooled connection open

    op.execute(context)
    assert "hook" not in op.__dict__  # dropped: a later run builds its own
    assert not still_open()

    broken = no_access(sim)
    failing = run_tests_op(broken)
    still_open = open_sockets(failing)
    failing.hook.get_connection_details(broken)
    with pytest.raises(FivetranSetupTestsFailedError):
        failing.execute(context)
    assert "hook" not in failing.__dict__
    assert not still_open()


def test_a_subclass_that_extends_execute_is_reported_and_closed_once(
    sim: Sim,
    context: Context,
    ti: RecordingTI,
    capsys: pytest.CaptureFixture[str],
    closed: list[FivetranHook],
) -> None:

    class Audited(FivetranRunSetupTestsOperator):
        def execute(self, context: Context) -> dict[str, Any]:
            self.hook.get_connection_details(str(self.connection_id))  # one call of its own
            return super().execute(context)

    op = Audited(task_id="test", connection_id=sim.create())
    op.execute(context)
    assert len(closed) == 1
    assert capsys.readouterr().out.count("Spent ") == 1
    assert ti.xcoms[API_CALLS_XCOM_KEY] == {"calls": 2, "retries": 0}
