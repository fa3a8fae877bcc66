"""Fixtures of the task tests (operators, sensors, triggers) against the simulator over real HTTP.

* ``airflow_db``: an Airflow metadata database (SQLite in a temporary AIRFLOW_HOME), migrated once for the
  whole ``tests/tasks`` package and dropped afterwards, so ``dag.test()`` can run tasks in-process.
* ``run_dag``: ``run_dag(dag)`` registers ``dag`` in that database and runs it with ``dag.test()`` (tasks run
  in-process; a deferred task's trigger runs inline), with the simulator's ``fivetran_default`` connection in
  the environment. Returns a :class:`~tests.tasks.dag_runs.DagOutcome` (:mod:`tests.tasks.dag_runs`).
* ``sim``: the simulator with ``AIRFLOW_CONN_FIVETRAN_DEFAULT`` set, plus helpers (:class:`~tests.tasks.sim.Sim`,
  :mod:`tests.tasks.sim`); the test fails if an ``on_request`` rule never fired or its action raised.
* ``ti``, ``context``: a minimal task context for calling ``execute`` directly
  (:class:`~tests.helpers.task_calls.RecordingTI` records XComs; :mod:`tests.helpers.task_calls`).
* ``dag_id``: a DAG id unique to the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from fivetran_simulator import SimulatorServer
from tests.helpers.task_calls import RecordingTI, task_context
from tests.tasks.dag_runs import DagOutcome, run_in_process
from tests.tasks.sim import Sim, dispatcher_of

if TYPE_CHECKING:
    from airflow.sdk import DAG, Context


@pytest.fixture
def sim(simulator: SimulatorServer, simulator_airflow_conn: str) -> Iterator[Sim]:
    dispatcher = dispatcher_of(simulator)
    helper = Sim(simulator, dispatcher)
    yield helper
    helper.close()
    errors = dispatcher.finish()
    if errors:
        raise errors[0]


@pytest.fixture
def ti() -> RecordingTI:
    return RecordingTI()


@pytest.fixture
def context(ti: RecordingTI) -> Context:
    """A minimal context: ``ti`` (the ``ti`` fixture) and a ``dag_run`` that started now."""
    return task_context(ti)


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


@pytest.fixture
def run_dag(airflow_db: Path, sim: Sim) -> Callable[[DAG], DagOutcome]:
    """``run_dag(dag)``: run every task of ``dag`` in-process with ``dag.test()``, triggers inline."""
    return run_in_process


@pytest.fixture
def dag_id(request: pytest.FixtureRequest) -> str:
    """A DAG id unique to the test."""
    name = request.node.name.replace("[", "__").replace("]", "").replace("-", "_")
    return "".join(c if c.isalnum() or c in "._" else "_" for c in name)[:200]
