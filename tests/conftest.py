"""Shared fixtures: a Fivetran API simulator per test, and the record of every answer it gave.

* ``simulator``: a running :class:`SimulatorServer` (manual clock, default scenario) reset before each test;
  it exposes ``base_url``, ``api_key``, ``api_secret``, ``group_id``, ``airflow_conn_json`` and ``control``
  (a :class:`SimulatorControl`). One server serves the whole session; ``control.reset()`` makes it fresh.
* ``simulator_factory(**kwargs)``: start a dedicated server (other key, scenario, state file, real clock);
  it is stopped after the test. Defaults to ``clock="manual"``.
* ``simulator_http``: a ``requests.Session`` for ``simulator`` with Basic auth and
  ``Accept: application/json;version=2``; call it with paths (``simulator_http.get("/v1/connections")``).
* ``simulator_airflow_conn``: sets ``AIRFLOW_CONN_FIVETRAN_DEFAULT`` to the simulator's connection.
* ``simulator_exchanges``: every /v1 exchange any simulator of this session has seen (request-log entries,
  see ``GET /_sim/requests``); tests marked ``simulator_conformance`` run last and validate them all.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

if "AIRFLOW_HOME" not in os.environ:
    # Airflow writes airflow.cfg and logs into AIRFLOW_HOME (default ~/airflow) on first import: the suite
    # touches nothing outside a temporary directory. Set before any test module imports Airflow.
    _HOME = tempfile.mkdtemp(prefix="airflow-spotify-fivetran-tests-")
    atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
    os.environ["AIRFLOW_HOME"] = _HOME
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

import pytest
import requests

from fivetran_simulator import SimulatorServer

SIMULATOR_EXCHANGES: list[dict[str, Any]] = []


def _record(entry: dict[str, Any]) -> None:
    SIMULATOR_EXCHANGES.append(entry)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "simulator_conformance: validates every simulator answer of the session; runs last"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Conformance checks see the answers of every other test only if they run after them.
    items.sort(key=lambda item: item.get_closest_marker("simulator_conformance") is not None)


class SimulatorHttp(requests.Session):
    """A session bound to a simulator: relative paths, Basic auth, the API's Accept header."""

    def __init__(self, base_url: str, api_key: str, api_secret: str) -> None:
        super().__init__()
        self.base_url = base_url
        self.auth = (api_key, api_secret)
        self.headers["Accept"] = "application/json;version=2"

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if isinstance(url, str) and url.startswith("/"):
            url = self.base_url + url
        kwargs.setdefault("timeout", 10)
        return super().request(method, url, *args, **kwargs)


def start_simulator(**kwargs: Any) -> SimulatorServer:
    """Start a simulator whose exchanges are recorded for the conformance check."""
    server = SimulatorServer(**{"clock": "manual", **kwargs})
    server.add_listener(_record)
    return server.start()


@pytest.fixture(scope="session")
def simulator_exchanges() -> list[dict[str, Any]]:
    return SIMULATOR_EXCHANGES


@pytest.fixture(scope="session")
def _simulator_server() -> Iterator[SimulatorServer]:
    server = start_simulator()
    yield server
    server.stop()


@pytest.fixture
def simulator(_simulator_server: SimulatorServer) -> SimulatorServer:
    _simulator_server.control.reset()
    return _simulator_server


@pytest.fixture
def simulator_factory() -> Iterator[Callable[..., SimulatorServer]]:
    started: list[SimulatorServer] = []

    def make(**kwargs: Any) -> SimulatorServer:
        server = start_simulator(**kwargs)
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def simulator_http(simulator: SimulatorServer) -> Iterator[SimulatorHttp]:
    with SimulatorHttp(simulator.base_url, simulator.api_key, simulator.api_secret) as session:
        yield session


@pytest.fixture
def simulator_airflow_conn(simulator: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_DEFAULT", simulator.airflow_conn_json)
    return simulator.airflow_conn_json
