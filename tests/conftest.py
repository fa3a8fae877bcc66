"""The suite's conftest: a temporary AIRFLOW_HOME, and the simulator fixtures and hooks.

The fixtures (``simulator``, ``simulator_factory``, ``simulator_http``, ``simulator_airflow_conn``,
``simulator_exchanges``) and the ``simulator_conformance`` ordering are defined in
:mod:`tests.helpers.simulator_fixtures`, shared with the simulator's own tests; the helpers behind them
(``start_simulator``, ``SimulatorHttp``) are in :mod:`tests.helpers.simulator`: import helpers from there.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

if "AIRFLOW_HOME" not in os.environ:
    # Airflow writes airflow.cfg and logs into AIRFLOW_HOME (default ~/airflow) on first import: the suite
    # touches nothing outside a temporary directory. Set before any test module imports Airflow.
    _HOME = tempfile.mkdtemp(prefix="airflow-spotify-fivetran-tests-")
    atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
    os.environ["AIRFLOW_HOME"] = _HOME
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

from tests.helpers.simulator_fixtures import (
    _simulator_server,
    pytest_collection_modifyitems,
    pytest_configure,
    simulator,
    simulator_airflow_conn,
    simulator_exchanges,
    simulator_factory,
    simulator_http,
)

__all__ = [
    "_simulator_server",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "simulator",
    "simulator_airflow_conn",
    "simulator_exchanges",
    "simulator_factory",
    "simulator_http",
]
