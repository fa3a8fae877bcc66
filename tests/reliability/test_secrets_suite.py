"""No secret leaves the Airflow connections, in-process: logs, XComs, rendered templates, exceptions, events.

Distinctive canary values stand for the three secrets a provisioning touches: the Fivetran API secret (a
dedicated simulator only accepts it), the Spotify client secret and the Spotify refresh token (the simulator's
Spotify side only accepts them, so a connection that reaches ``connected`` proves they were really sent).

The tasks run in this process as the task runner would run them: templates rendered with the SDK's
``render_template_fields`` (the DAG's Jinja environment, ``conn`` accessor, XCom args), the rendered fields
serialised with the task runner's own ``_serialize_rendered_fields`` (the redacted form Airflow stores and
the UI shows), then ``execute`` (a deferral runs its trigger to the first event and resumes the task).
Logs are captured at DEBUG twice: ``caplog`` (stdlib records) and ``capsys`` (Airflow's structlog output).
No secrets masker redacts that output in this process, so the check is on what our code itself emits.

The subprocess variant (``airflow dags test``, real log files) is ``tests/e2e/test_secrets.py``.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pendulum
import pytest
import structlog
from airflow.sdk import DAG
from airflow.sdk.exceptions import TaskDeferred

from fivetran_simulator import DEFAULT_API_KEY, DEFAULT_GROUP_ID, SimulatorServer
from tests.helpers.task_calls import first_event

CANARY_API_SECRET = "SECRET-CANARY-API-5b7e0d19"
CANARY_CLIENT_SECRET = "SECRET-CANARY-CLIENT-9c24a6f1"
CANARY_REFRESH_TOKEN = "SECRET-CANARY-REFRESH-3f81d2e7"
CANARY_WRONG_API_SECRET = "SECRET-CANARY-WRONG-API-77aa10c2"
CANARIES = (CANARY_API_SECRET, CANARY_CLIENT_SECRET, CANARY_REFRESH_TOKEN, CANARY_WRONG_API_SECRET)
CLIENT_ID = "canary-client-id"
ACCOUNTS = ["canary-ad-account-1", "canary-ad-account-2"]
SPOTIFY_CONN_ID = "spotify_canary"


def spotify_side(accounts: list[str]) -> dict[str, Any]:
    """The Spotify side that accepts only the canary client secret and refresh token."""
    return {
        "clients": {CLIENT_ID: CANARY_CLIENT_SECRET},
        "tokens": {CANARY_REFRESH_TOKEN: {"client_id": CLIENT_ID, "accounts": accounts}},
    }


def check_spotify_connection(conn_id: str) -> None:
    """The fleet DAG's connection check."""
    from airflow_spotify_fivetran.hooks.credentials import spotify_auth_from_connection

    spotify_auth_from_connection(conn_id)


def leaks(where: str, value: Any) -> list[str]:
    """``where: canary`` for each canary found in ``value`` (any JSON-able or printable value)."""
    try:
        text = json.dumps(value, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return [f"{where}: {canary}" for canary in CANARIES if canary in text or canary in str(value)]


def exception_text(exc: BaseException) -> str:
    """The whole traceback with every chained exception, as a log would show it."""
    return "".join(traceback.format_exception(exc))


# --- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture
def canary(
    simulator_factory: Callable[..., SimulatorServer], monkeypatch: pytest.MonkeyPatch
) -> SimulatorServer:
    """A simulator that accepts only the canary API secret and Spotify credentials; connections set."""
    sim = simulator_factory(api_secret=CANARY_API_SECRET, scenario={"spotify": spotify_side(ACCOUNTS)})
    monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_DEFAULT", sim.airflow_conn_json)
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{SPOTIFY_CONN_ID.upper()}",
        json.dumps(
            {
                "conn_type": "generic",
                "login": CLIENT_ID,
                "password": CANARY_CLIENT_SECRET,
                "extra": {"refresh_token": CANARY_REFRESH_TOKEN},
            }
        ),
    )
    return sim


@dataclass
class Logs:
    caplog: pytest.LogCaptureFixture
    capsys: pytest.CaptureFixture[str]
    captured: list[str] = field(default_factory=list)

    def text(self) -> str:
        out = self.capsys.readouterr()
        self.captured += [out.out, out.err]
        return "\n".join([self.caplog.text, *self.captured])


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> Iterator[Logs]:
    """Everything logged, at DEBUG: stdlib records (caplog) and Airflow's structlog output (capsys)."""
    saved = structlog.get_config()
    # No caching: a logger bound now must not keep DEBUG for the tests that run after this one.
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG), cache_logger_on_first_use=False
    )
    caplog.set_level(logging.DEBUG)
    try:
        yield Logs(caplog, capsys)
    finally:
        structlog.configure(**saved)


# --- running tasks in-process ---------------------------------------------------------------------------


class TaskInstance:
    """The part of a task instance our tasks and XCom args use; XComs of every task in one store."""

    def __init__(self, task_id: str, store: dict[tuple[str, str], Any]) -> None:
        self.task_id = task_id
        self.store = store

    def xcom_push(self, key: str, value: Any) -> None:
        self.store[(self.task_id, key)] = value

    def xcom_pull(self, task_ids: str, key: str = "return_value", **_: Any) -> Any:
        return self.store.get((task_ids, key))


@dataclass
class TaskRun:
    result: Any
    rendered: dict[str, Any]  # the template fields after rendering (what execute sees)
    stored: dict[str, Any]  # the redacted form Airflow stores (RTIF)
    deferred: bool
    trigger_kwargs: dict[str, Any] | None = None
    event: dict[str, Any] | None = None


def run_task(
    task: Any,
    store: dict[tuple[str, str], Any],
    params: dict[str, Any] | None = None,
    before_trigger: Callable[[], None] | None = None,
) -> TaskRun:
    """Render ``task``'s templates, serialise them as the task runner does, execute it (through a deferral)."""
    from airflow.sdk.execution_time.context import ConnectionAccessor
    from airflow.sdk.execution_time.task_runner import _serialize_rendered_fields

    ti = TaskInstance(task.task_id, store)
    context: dict[str, Any] = {
        "ti": ti,
        "task": task,
        "params": params or {},
        "conn": ConnectionAccessor(),
        "dag_run": SimpleNamespace(start_date=datetime.now(UTC)),
        "run_id": "canary_run",
    }
    task.render_template_fields(context)
    rendered = {name: getattr(task, name) for name in task.template_fields}
    stored = _serialize_rendered_fields(task)
    try:
        result = task.execute(context)
        run = TaskRun(result, rendered, stored, deferred=False)
    except TaskDeferred as deferred:
        if before_trigger is not None:
            before_trigger()
        trigger_kwargs = deferred.trigger.serialize()[1]
        event = first_event(deferred.trigger).payload
        result = getattr(task, deferred.method_name)(context, event=event, **(deferred.kwargs or {}))
        run = TaskRun(result, rendered, stored, deferred=True, trigger_kwargs=trigger_kwargs, event=event)
    ti.xcom_push("return_value", run.result)
    return run


REPORTS = [
    {
        "table": "campaign_daily",
        "dimension": "CAMPAIGN",
        "granularity": "DAY",
        "fields": ["IMPRESSIONS", "SPEND"],
    }
]


def provisioning_dag(dag_id: str, *, inline_auth: bool) -> DAG:
    """The example provisioning DAG's three tasks. ``inline_auth`` templates the Spotify secrets into the
    create task's ``connection`` from the Airflow connection (``{{ conn... }}``) instead of naming it."""
    from airflow_spotify_fivetran.operators import (
        FivetranCreateConnectionOperator,
        FivetranSetScheduleOperator,
    )
    from airflow_spotify_fivetran.sensors import FivetranSetupTestsSensor

    connection: dict[str, Any] = {
        "group_id": "{{ params.group_id }}",
        "service": "spotify_ads",
        "paused": True,
        "sync_frequency": 1440,
        "config": {
            "schema": "{{ params.schema }}",
            "sync_mode": "SPECIFIC_ACCOUNTS",
            "accounts": "{{ params.accounts }}",
            "timeframe_months": "TWELVE",
            "report_list": REPORTS,
        },
    }
    spotify_conn_id: str | None = "{{ params.spotify_conn_id }}"
    if inline_auth:
        spotify_conn_id = None
        connection["auth"] = {
            "refresh_token": f"{{{{ conn.{SPOTIFY_CONN_ID}.extra_dejson.refresh_token }}}}",
            "client_access": {
                "client_id": f"{{{{ conn.{SPOTIFY_CONN_ID}.login }}}}",
                "client_secret": f"{{{{ conn.{SPOTIFY_CONN_ID}.password }}}}",
            },
        }
    with DAG(
        dag_id=dag_id,
        schedule=None,
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        render_template_as_native_obj=True,
    ) as dag:
        create = FivetranCreateConnectionOperator(
            task_id="create_connection",
            connection=connection,
            spotify_conn_id=spotify_conn_id,
            ignore_drift_in=["paused"],
        )
        wait = FivetranSetupTestsSensor(
            task_id="wait_for_setup_tests",
            connection_id=create.output,
            retest_on_poke=True,
            deferrable=True,
            poke_interval=0.05,
            timeout=60,
        )
        FivetranSetScheduleOperator(
            task_id="schedule_and_unpause",
            connection_id=create.output,
            sync_frequency=1440,
            daily_sync_time="{{ params.daily_sync_time }}",
            time_zone="UTC",
            paused=False,
            current_schedule=wait.output["schedule"],
        )
    return dag


PARAMS: dict[str, Any] = {
    "group_id": DEFAULT_GROUP_ID,
    "schema": "spotify_ads_canary",
    "accounts": ACCOUNTS,
    "daily_sync_time": "06:00",
    "spotify_conn_id": SPOTIFY_CONN_ID,
}


def run_provisioning(dag: DAG, sim: SimulatorServer, *, grant_later: bool) -> dict[str, TaskRun]:
    """Create, wait (deferring when ``grant_later``: one ad account is granted only once the wait deferred),
    schedule; returns each task's run."""
    store: dict[tuple[str, str], Any] = {}
    if grant_later:
        sim.control.set_scenario({"spotify": spotify_side(ACCOUNTS[:1])})
    runs = {"create_connection": run_task(dag.get_task("create_connection"), store, PARAMS)}
    runs["wait_for_setup_tests"] = run_task(
        dag.get_task("wait_for_setup_tests"),
        store,
        PARAMS,
        before_trigger=lambda: sim.control.set_scenario({"spotify": spotify_side(ACCOUNTS)}),
    )
    runs["schedule_and_unpause"] = run_task(dag.get_task("schedule_and_unpause"), store, PARAMS)
    runs["xcoms"] = TaskRun(dict(store), {}, {}, deferred=False)
    return runs


def assert_provisioned(sim: SimulatorServer, schema: str) -> None:
    """The canary secrets really were used: Fivetran (the simulator) accepted them and the tests passed."""
    conns = [c for c in sim.control.connections() if c["schema"] == schema]
    assert len(conns) == 1
    assert conns[0]["status"]["setup_state"] == "connected"
    assert conns[0]["_sim"]["auth"]["client_id"] == CLIENT_ID
    assert conns[0]["paused"] is False


# --- full provisioning -------------------------------------------------------------------------------------


@pytest.mark.parametrize("grant_later", [False, True], ids=["tests-pass-at-create", "wait-defers"])
def test_provisioning_with_a_spotify_connection_leaks_nothing(
    canary: SimulatorServer, logs: Logs, grant_later: bool
) -> None:
    runs = run_provisioning(
        provisioning_dag("canary_named", inline_auth=False), canary, grant_later=grant_later
    )
    assert_provisioned(canary, PARAMS["schema"])
    assert runs["wait_for_setup_tests"].deferred is grant_later

    text = logs.text()
    assert "Created connection" in text  # the task logs were captured
    found = leaks("logs", text)
    for task_id, run in runs.items():
        found += leaks(f"{task_id} XCom", run.result)
        found += leaks(f"{task_id} rendered fields", run.rendered)
        found += leaks(f"{task_id} stored rendered fields", run.stored)
        found += leaks(f"{task_id} trigger kwargs", run.trigger_kwargs)
        found += leaks(f"{task_id} trigger event", run.event)
    assert found == []


def test_secrets_templated_into_the_task_are_redacted_where_airflow_keeps_them(
    canary: SimulatorServer, logs: Logs
) -> None:
    """A DAG may template the secrets into ``connection`` itself: then they are in the rendered value (that is
    what the task sends), but never in the stored rendered fields, the XComs, the events or the logs."""
    runs = run_provisioning(provisioning_dag("canary_inline", inline_auth=True), canary, grant_later=True)
    assert_provisioned(canary, PARAMS["schema"])

    create = runs["create_connection"]
    assert create.rendered["connection"]["auth"]["refresh_token"] == CANARY_REFRESH_TOKEN  # the premise
    found = leaks("logs", logs.text())
    for task_id, run in runs.items():
        found += leaks(f"{task_id} XCom", run.result)
        found += leaks(f"{task_id} stored rendered fields", run.stored)
        found += leaks(f"{task_id} trigger kwargs", run.trigger_kwargs)
        found += leaks(f"{task_id} trigger event", run.event)
    assert found == []
    assert create.stored["connection"]["auth"]["refresh_token"] != CANARY_REFRESH_TOKEN


def test_an_unchanged_rerun_leaks_nothing(canary: SimulatorServer, logs: Logs) -> None:
    """The re-run adopts the connection and compares it (drift table): still no secret anywhere."""
    dag = provisioning_dag("canary_rerun", inline_auth=False)
    run_provisioning(dag, canary, grant_later=False)
    logs.text()
    runs = run_provisioning(dag, canary, grant_later=False)
    text = logs.text()
    assert "already exists" in text
    found = leaks("logs", text)
    for task_id, run in runs.items():
        found += leaks(f"{task_id} XCom", run.result)
        found += leaks(f"{task_id} stored rendered fields", run.stored)
    assert found == []


# --- a fleet run ---------------------------------------------------------------------------------------


def fleet_instance_dag(index: int, entry: dict[str, Any]) -> DAG:
    """One instance of the fleet DAG's mapped ``provision`` group for ``entry`` (a validated plan entry):
    create, wait for the setup tests, schedule, wired by XCom as in the group."""
    from airflow_spotify_fivetran.operators import (
        FivetranCreateConnectionOperator,
        FivetranSetScheduleOperator,
    )
    from airflow_spotify_fivetran.sensors import FivetranSetupTestsSensor

    with DAG(
        dag_id=f"canary_fleet_{index}", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")
    ) as dag:
        create = FivetranCreateConnectionOperator(
            task_id="create_connection",
            connection=entry["connection"],
            spotify_conn_id=entry["spotify_conn_id"],
            ignore_drift_in=["paused"],
            on_drift="update",
        )
        wait = FivetranSetupTestsSensor(
            task_id="wait_for_setup_tests",
            connection_id=create.output,
            retest_on_poke=True,
            deferrable=True,
            poke_interval=0.05,
            timeout=60,
        )
        FivetranSetScheduleOperator(
            task_id="schedule_and_unpause",
            connection_id=create.output,
            current_schedule=wait.output["schedule"],
            **entry["schedule"],
        )
    return dag


def test_fleet_run_leaks_nothing(canary: SimulatorServer, logs: Logs) -> None:
    """The fleet code path: validate (``plan_fleet`` with the connection check, as the DAG's first task),
    then per entry the ``provision`` group's create, wait and schedule."""
    from airflow_spotify_fivetran.fleet import parse_fleet_spec, plan_fleet, summarize_plan

    spec = {
        "defaults": {
            "group_id": DEFAULT_GROUP_ID,
            "spotify_conn_id": SPOTIFY_CONN_ID,
            "config": {
                "sync_mode": "SPECIFIC_ACCOUNTS",
                "timeframe_months": "TWELVE",
                "report_list": REPORTS,
            },
            "schedule": {"sync_frequency": 1440, "daily_sync_time": "06:00", "time_zone": "UTC"},
        },
        "connections": [
            {
                "name": f"team-{i}",
                "config": {"schema": f"spotify_ads_team_{i}", "accounts": [ACCOUNTS[i % 2]]},
            }
            for i in range(3)
        ],
    }
    entries = plan_fleet(parse_fleet_spec(spec), check_connection=check_spotify_connection)
    plan = [entry.to_dict() for entry in entries]  # the validate task's XCom
    found = leaks("plan XCom", plan) + leaks("plan table", summarize_plan(entries))

    for i, entry in enumerate(plan):
        dag = fleet_instance_dag(i, entry)
        store: dict[tuple[str, str], Any] = {}
        for task_id in ("create_connection", "wait_for_setup_tests", "schedule_and_unpause"):
            run = run_task(dag.get_task(task_id), store)
            found += leaks(f"{task_id} {i} XCom", run.result)
            found += leaks(f"{task_id} {i} rendered fields", run.rendered)
            found += leaks(f"{task_id} {i} stored rendered fields", run.stored)
        found += leaks(f"XComs {i}", store)
        assert_provisioned(canary, entry["connection"]["config"]["schema"])
    text = logs.text()
    assert "Created connection" in text
    assert found + leaks("logs", text) == []


# --- exception texts -----------------------------------------------------------------------------------


def test_invalid_input_with_inline_secrets_leaks_nothing(canary: SimulatorServer, logs: Logs) -> None:
    from airflow_spotify_fivetran.exceptions import FivetranInputError
    from airflow_spotify_fivetran.operators import FivetranCreateConnectionOperator

    body = {
        "group_id": DEFAULT_GROUP_ID,
        "sync_frequency": 7,
        "config": {"schema": "Bad Schema", "sync_mode": "SPECIFIC_ACCOUNTS", "accounts": []},
        "auth": {
            "refresh_token": CANARY_REFRESH_TOKEN,
            "client_access": {"client_id": CLIENT_ID, "client_secret": CANARY_CLIENT_SECRET},
            "token": CANARY_REFRESH_TOKEN,  # a misspelt key: refused without echoing its value
        },
    }
    with pytest.raises(FivetranInputError) as info:
        FivetranCreateConnectionOperator(task_id="create", connection=body).execute(
            {"ti": TaskInstance("c", {})}
        )
    assert "sync_frequency" in str(info.value)
    assert leaks("exception", exception_text(info.value)) + leaks("logs", logs.text()) == []


def test_wrong_api_secret_leaks_neither_secret(
    canary: SimulatorServer, logs: Logs, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_spotify_fivetran.exceptions import FivetranApiError
    from airflow_spotify_fivetran.operators import FivetranCreateConnectionOperator
    from airflow_spotify_fivetran.triggers import FivetranSyncTrigger

    wrong = json.loads(canary.airflow_conn_json)
    wrong["password"] = CANARY_WRONG_API_SECRET
    monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_DEFAULT", json.dumps(wrong))
    body = {
        "group_id": DEFAULT_GROUP_ID,
        "config": {"schema": "spotify_ads_wrong_key"},
        "auth": {
            "refresh_token": CANARY_REFRESH_TOKEN,
            "client_access": {"client_id": CLIENT_ID, "client_secret": CANARY_CLIENT_SECRET},
        },
    }
    with pytest.raises(FivetranApiError) as info:
        FivetranCreateConnectionOperator(task_id="create", connection=body).execute(
            {"ti": TaskInstance("c", {})}
        )
    assert info.value.status == 401

    trigger = FivetranSyncTrigger(
        connection_id="any_connection",
        fivetran_conn_id="fivetran_default",
        poll_interval=0.05,
        end_time=None,
        baseline=None,
    )
    event = first_event(trigger).payload
    assert event["status"] == "error"
    assert "401" in event["message"]
    found = leaks("exception", exception_text(info.value)) + leaks("trigger event", event)
    assert found + leaks("logs", logs.text()) == []


def test_failing_setup_tests_leak_nothing(canary: SimulatorServer, logs: Logs) -> None:
    """The Spotify side refuses (the token belongs to another app): the task fails listing each failing test."""
    from airflow_spotify_fivetran.exceptions import FivetranError

    canary.control.set_scenario(
        {
            "spotify": {
                "clients": {CLIENT_ID: CANARY_CLIENT_SECRET, "other-app": "other-secret"},
                "tokens": {CANARY_REFRESH_TOKEN: {"client_id": "other-app", "accounts": ACCOUNTS}},
            }
        }
    )
    dag = provisioning_dag("canary_failing", inline_auth=False)
    store: dict[tuple[str, str], Any] = {}
    created = run_task(dag.get_task("create_connection"), store, PARAMS)
    wait = dag.get_task("wait_for_setup_tests")
    wait.retest_on_poke = False  # failures are final: the task fails at once
    with pytest.raises(FivetranError) as info:
        run_task(wait, store, PARAMS)
    assert "setup test" in str(info.value).lower()
    found = leaks("create XCom", created.result) + leaks("exception", exception_text(info.value))
    assert found + leaks("logs", logs.text()) == []


def test_unreachable_fivetran_leaks_nothing(
    canary: SimulatorServer, logs: Logs, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_spotify_fivetran.exceptions import FivetranError
    from airflow_spotify_fivetran.sensors import FivetranSyncSensor

    conn = json.loads(canary.airflow_conn_json)
    conn.update({"host": "http://127.0.0.1:9", "extra": {"max_attempts": 1, "connect_timeout": 2}})
    monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_DEFAULT", json.dumps(conn))
    sensor = FivetranSyncSensor(task_id="wait_sync", connection_id="any_connection", deferrable=True)
    with pytest.raises(FivetranError) as info:
        sensor.execute(
            {"ti": TaskInstance("s", {}), "dag_run": SimpleNamespace(start_date=datetime.now(UTC))}
        )
    assert leaks("exception", exception_text(info.value)) + leaks("logs", logs.text()) == []


def test_the_canary_api_secret_is_the_one_in_use(canary: SimulatorServer) -> None:
    """The premise of every test above: the dedicated simulator refuses the default secret."""
    from fivetran_simulator import DEFAULT_API_SECRET

    assert canary.api_key == DEFAULT_API_KEY
    assert canary.api_secret == CANARY_API_SECRET != DEFAULT_API_SECRET
