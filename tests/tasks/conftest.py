"""Fixtures of the task tests (operators, sensors, triggers) against the simulator over real HTTP.

* ``airflow_db``: an Airflow metadata database (SQLite in a temporary AIRFLOW_HOME), migrated once for the
  whole ``tests/tasks`` package and dropped afterwards, so ``dag.test()`` can run tasks in-process.
* ``run_dag``: ``run_dag(dag)`` registers ``dag`` in that database and runs it with ``dag.test()`` (tasks run
  in-process; a deferred task's trigger runs inline), with the simulator's ``fivetran_default`` connection in
  the environment. Returns a :class:`DagOutcome`: task states, the exception each failed task raised,
  XComs and the rendered template fields Airflow stored.
* ``sim``: the simulator with ``AIRFLOW_CONN_FIVETRAN_DEFAULT`` set, plus helpers (:class:`Sim`): create a
  connection directly over HTTP, read the ``/v1`` request log, and ``on_request``: run a control-API
  action once the simulator has answered the n-th matching request (a poll of a waiting task), so a test
  changes the Fivetran side *between* two polls without sleeping on timing.
* ``context``: a minimal task context for calling ``execute`` directly (:class:`RecordingTI` records XComs).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

import pytest
import requests

from fivetran_simulator import (
    DEFAULT_GROUP_ID,
    DEMO_ACCOUNTS,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REFRESH_TOKEN,
    SimulatorServer,
)

if TYPE_CHECKING:
    from airflow.sdk import DAG, Context
    from airflow.sdk.exceptions import TaskDeferred
    from airflow.triggers.base import BaseTrigger, TriggerEvent

MISSING: Any = object()
"""What :meth:`DagOutcome.xcom` returns for an XCom that was never pushed."""


def demo_auth() -> dict[str, Any]:
    return {
        "refresh_token": DEMO_REFRESH_TOKEN,
        "client_access": {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET},
    }


def connection_request(schema: str = "spotify_demo", *, auth: bool = True, **fields: Any) -> dict[str, Any]:
    """A valid create body in the simulator's group; ``config`` may be given whole or is ``{"schema"}``."""
    body: dict[str, Any] = {
        "group_id": DEFAULT_GROUP_ID,
        "service": "spotify_ads",
        "config": {"schema": schema},
    }
    if auth:
        body["auth"] = demo_auth()
    body.update(fields)
    return body


def full_request(schema: str = "spotify_full") -> dict[str, Any]:
    """A create body setting every field the drift check compares (demo credentials and accounts)."""
    return connection_request(
        schema,
        paused=False,
        pause_after_trial=False,
        sync_frequency=1440,
        daily_sync_time="03:00",
        schedule_type="auto",
        data_delay_sensitivity="CUSTOM",
        data_delay_threshold=180,
        networking_method="Directly",
        config={
            "schema": schema,
            "sync_mode": "SPECIFIC_ACCOUNTS",
            "accounts": list(DEMO_ACCOUNTS),
            "timeframe_months": "TWELVE",
            "report_list": [
                {
                    "table": "campaign_daily",
                    "dimension": "CAMPAIGN",
                    "granularity": "DAY",
                    "fields": ["IMPRESSIONS", "CLICKS", "SPEND"],
                },
                {
                    "table": "ad_hourly",
                    "dimension": "AD",
                    "granularity": "HOUR",
                    "fields": ["STREAMS", "LISTENERS"],
                },
            ],
        },
    )


# -- the simulator, seen from a task test ---------------------------------------------------------------


@dataclass
class _Rule:
    method: str
    path: str
    nth: int
    action: Callable[[], Any]
    seen: int = 0
    fired: bool = False


class _Dispatcher:
    """The one request-log listener per simulator server; rules are armed per test and cleared after it.

    The listener runs on the simulator's loop thread, before the answer is sent; the action runs on its own
    thread (a control-API call from the loop thread would wait for the loop itself). The client polls again
    only after its poll interval, long after the control call is done.
    """

    def __init__(self) -> None:
        self.rules: list[_Rule] = []
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []
        self.lock = threading.Lock()

    def __call__(self, entry: dict[str, Any]) -> None:
        with self.lock:
            for rule in self.rules:
                if rule.fired or entry["method"] != rule.method or entry["path"] != rule.path:
                    continue
                rule.seen += 1
                if rule.seen == rule.nth:
                    rule.fired = True
                    thread = threading.Thread(target=self._run, args=(rule.action,), daemon=True)
                    self.threads.append(thread)
                    thread.start()

    def _run(self, action: Callable[[], Any]) -> None:
        try:
            action()
        except BaseException as exc:  # reported by the fixture's teardown
            self.errors.append(exc)

    def finish(self) -> list[BaseException]:
        for thread in self.threads:
            thread.join(timeout=10)
        errors, unfired = list(self.errors), [r for r in self.rules if not r.fired]
        self.rules, self.threads, self.errors = [], [], []
        if unfired:
            errors.append(AssertionError(f"on_request rules never fired: {unfired}"))
        return errors


_DISPATCHERS: dict[int, _Dispatcher] = {}


class Sim:
    """The session's simulator, reset for this test, with the helpers task tests need."""

    def __init__(self, server: SimulatorServer, dispatcher: _Dispatcher) -> None:
        self.server = server
        self.control = server.control
        self.group_id = server.group_id
        self._dispatcher = dispatcher
        self._http = requests.Session()
        self._http.auth = (server.api_key, server.api_secret)
        self._http.headers["Accept"] = "application/json;version=2"

    def close(self) -> None:
        self._http.close()

    # -- the Fivetran side, set up directly (not through the code under test) --------------------------

    def api(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        response = self._http.request(method, self.server.base_url + path, json=body, timeout=10)
        assert response.status_code < 300, response.text
        return dict(response.json().get("data") or {})

    def create(self, schema: str = "spotify_demo", *, auth: bool = True, **fields: Any) -> str:
        """Create a connection over HTTP; returns its id. The request log is cleared afterwards.

        ``run_setup_tests`` is sent (true unless given): Fivetran runs no tests without it (README, last
        section), so ``run_setup_tests=False`` makes a connection whose tests never ran.
        """
        body = connection_request(schema, auth=auth, **{"run_setup_tests": True, **fields})
        conn_id = str(self.api("POST", "/v1/connections", body)["id"])
        self.control.clear_requests()
        return conn_id

    def details(self, conn_id: str) -> dict[str, Any]:
        return self.control.connection(conn_id)

    def grant_account(self, account: str) -> None:
        """On the Spotify side: let the demo user read one more ad account."""
        spotify = self.control.scenario()["spotify"]
        spotify["tokens"][DEMO_REFRESH_TOKEN]["accounts"].append(account)
        self.control.set_scenario({"spotify": spotify})

    def complete_sync(self, conn_id: str, *, outcome: str = "success") -> datetime:
        """Run one sync to its end on the manual clock (scenario duration 60 s); returns the end time."""
        self.control.set_scenario({"sync": {"duration_seconds": 60, "outcome": outcome}})
        self.api("POST", f"/v1/connections/{conn_id}/sync", {"force": False})
        end = self.control.advance_clock(60)
        self.control.clear_requests()
        return end

    # -- what the code under test sent ------------------------------------------------------------------

    def requests(self) -> list[dict[str, Any]]:
        """Every /v1 exchange since the last reset or clear."""
        return self.control.requests()

    def calls(self) -> list[tuple[str, str]]:
        """``(method, path)`` of every /v1 exchange since the last reset or clear."""
        return [(e["method"], e["path"]) for e in self.requests()]

    # -- changing the Fivetran side while a task waits --------------------------------------------------

    def on_request(self, method: str, path: str, nth: int, action: Callable[[], Any]) -> None:
        """Run ``action`` once the simulator has answered the ``nth`` ``method path`` request from now on.

        The test fails if the rule never fires or the action raises.
        """
        with self._dispatcher.lock:
            self._dispatcher.rules.append(_Rule(method, path, nth, action))


@pytest.fixture
def sim(simulator: SimulatorServer, simulator_airflow_conn: str) -> Iterator[Sim]:
    dispatcher = _DISPATCHERS.get(id(simulator))
    if dispatcher is None:
        dispatcher = _DISPATCHERS[id(simulator)] = _Dispatcher()
        simulator.add_listener(dispatcher)
    helper = Sim(simulator, dispatcher)
    yield helper
    helper.close()
    errors = dispatcher.finish()
    if errors:
        raise errors[0]


# -- a task context for calling execute() directly -------------------------------------------------------


class RecordingTI:
    """The part of a task instance our tasks use: ``xcom_push`` (recorded)."""

    def __init__(self) -> None:
        self.xcoms: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value


@pytest.fixture
def ti() -> RecordingTI:
    return RecordingTI()


@pytest.fixture
def context(ti: RecordingTI) -> Context:
    """A minimal context: ``ti`` (the ``ti`` fixture) and a ``dag_run`` that started now."""
    return cast("Context", {"ti": ti, "dag_run": SimpleNamespace(start_date=datetime.now(UTC))})


def pulled(task: Any, key: str = "return_value") -> Any:
    """The XCom ``key`` of an upstream ``task``, as a templated argument (an ``XComArg``)."""
    from airflow.sdk import XComArg

    return XComArg(task, key=key)


def expect_deferral(task: Any, context: Context) -> TaskDeferred:
    """Call ``task.execute(context)``, which must defer; returns the ``TaskDeferred`` (trigger, method)."""
    from airflow.sdk.exceptions import TaskDeferred

    with pytest.raises(TaskDeferred) as deferred:
        task.execute(context)
    assert deferred.value.method_name == "execute_complete"
    return deferred.value


def first_event(trigger: BaseTrigger, timeout: float = 20) -> TriggerEvent:
    """Run ``trigger`` for real (its own event loop) until its first event."""

    async def run() -> TriggerEvent:
        events = cast("AsyncGenerator[TriggerEvent, None]", trigger.run())
        try:
            return await asyncio.wait_for(anext(events), timeout)
        finally:
            await events.aclose()

    return asyncio.run(run())


# -- Airflow's metadata database and dag.test() ----------------------------------------------------------


@pytest.fixture(scope="package")
def airflow_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A migrated SQLite metadata database in a temporary AIRFLOW_HOME, for this package's tests."""
    home = tmp_path_factory.mktemp("airflow-home")
    (home / "dags").mkdir()
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE": "False",
    }
    from airflow import settings
    from airflow.utils import db

    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        settings.configure_vars()
        settings.reconfigure_orm()
        db.initdb()
        yield home
    settings.configure_vars()
    settings.reconfigure_orm()


@dataclass
class DagOutcome:
    """What ``dag.test()`` left behind."""

    dag_id: str
    run_id: str
    state: str
    task_states: dict[str, str]
    errors: dict[str, BaseException] = field(default_factory=dict)

    def xcom(self, task_id: str, key: str = "return_value") -> Any:
        from airflow.models.xcom import XComModel
        from airflow.utils.session import create_session

        with create_session() as session:
            query = XComModel.get_many(run_id=self.run_id, dag_ids=self.dag_id, task_ids=task_id, key=key)
            row = session.scalars(query).first()
            return MISSING if row is None else XComModel.deserialize_value(row)

    def rendered_fields(self, task_id: str) -> dict[str, Any]:
        """The rendered template fields Airflow stored for the task (what the UI shows)."""
        from airflow.models.renderedtifields import RenderedTaskInstanceFields as RTIF
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            fields = session.scalar(
                select(RTIF.rendered_fields).where(
                    RTIF.dag_id == self.dag_id, RTIF.task_id == task_id, RTIF.run_id == self.run_id
                )
            )
        assert fields is not None, f"no rendered fields stored for {task_id}"
        return dict(fields)

    def error(self, task_id: str) -> BaseException:
        assert self.task_states.get(task_id) == "failed", self.task_states
        return self.errors[task_id]


def _register(dag: DAG) -> None:
    """Write ``dag`` to the metadata database as the DAG processor would (dag.test() needs it there)."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.collection import update_dag_parsing_results_in_db
    from airflow.serialization.serialized_objects import LazyDeserializedDAG
    from airflow.utils.session import create_session

    with create_session() as session:
        DagBundlesManager().sync_bundles_to_db(session=session)
        session.commit()
        update_dag_parsing_results_in_db(
            "dags-folder", None, [LazyDeserializedDAG.from_dag(dag)], {}, None, set(), session=session
        )


@pytest.fixture
def run_dag(airflow_db: Path, sim: Sim) -> Callable[[DAG], DagOutcome]:
    """``run_dag(dag)``: run every task of ``dag`` in-process with ``dag.test()``, triggers inline."""

    def run(dag: DAG) -> DagOutcome:
        errors: dict[str, BaseException] = {}

        def record(context: Any) -> None:
            errors[context["ti"].task_id] = context["exception"]

        for task in dag.tasks:
            task.on_failure_callback = [record]
        _register(dag)
        dag_run = dag.test()
        states = {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}
        return DagOutcome(dag.dag_id, dag_run.run_id, str(dag_run.state), states, errors)

    return run


@pytest.fixture
def dag_id(request: pytest.FixtureRequest) -> str:
    """A DAG id unique to the test."""
    name = request.node.name.replace("[", "__").replace("]", "").replace("-", "_")
    return "".join(c if c.isalnum() or c in "._" else "_" for c in name)[:200]
