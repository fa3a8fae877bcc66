"""The simulator fixtures and pytest hooks, shared by two conftests: ``tests/conftest.py`` and the simulator's
``simulator/tests/conftest.py`` (each imports them, so that ``pytest simulator/tests`` alone has them too).

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

The hooks: the ``simulator_conformance`` marker, and the ordering that runs its tests last.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from fivetran_simulator import SimulatorServer
from tests.helpers.simulator import SIMULATOR_EXCHANGES, SimulatorHttp, start_simulator


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "simulator_conformance: validates every simulator answer of the session; runs last"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Conformance checks see the answers of every other test only if they run after them.
    items.sort(key=lambda item: item.get_closest_marker("simulator_conformance") is not None)


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
    with SimulatorHttp.of(simulator) as session:
        yield session


@pytest.fixture
def simulator_airflow_conn(simulator: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_DEFAULT", simulator.airflow_conn_json)
    return simulator.airflow_conn_json
