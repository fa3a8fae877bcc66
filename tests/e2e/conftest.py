"""End-to-end fixtures: real Airflow commands and processes against the Fivetran simulator.

* ``migrated_db`` (session): ``airflow db migrate`` once, into a template SQLite file.
* ``airflow_home_factory``: a throwaway ``AIRFLOW_HOME`` (a copy of the template database) whose environment
  reaches a given simulator, with Spotify credentials as Airflow connections (:mod:`tests.e2e.homes`).

The helpers: :mod:`tests.e2e.homes` (``AirflowHome``), :mod:`tests.e2e.request_log` (reading and acting on
the simulator's request log), :mod:`tests.helpers.credentials` (Spotify credentials, canary secrets),
:mod:`tests.helpers.processes` (processes in their own groups, ``wait_until``).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from fivetran_simulator import SimulatorServer
from tests.e2e.homes import AirflowHome, base_env, make_home
from tests.helpers.credentials import SpotifyCredentials
from tests.helpers.processes import BIN, REPO


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An Airflow database migrated once per session; each home starts from a copy of it."""
    home = tmp_path_factory.mktemp("airflow-template")
    result = subprocess.run(
        [str(BIN / "airflow"), "db", "migrate"],
        env=base_env(home),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return home / "airflow.db"


@pytest.fixture
def airflow_home_factory(tmp_path: Path, migrated_db: Path) -> Iterator[Callable[..., AirflowHome]]:
    """``make(sim, spotify={conn_id: SpotifyCredentials}, **env) -> AirflowHome``; processes stopped after."""
    homes: list[AirflowHome] = []

    def make(
        sim: SimulatorServer, spotify: Mapping[str, SpotifyCredentials] | None = None, **env: str
    ) -> AirflowHome:
        home = make_home(tmp_path / f"airflow-home-{len(homes) + 1}", migrated_db, sim, spotify, **env)
        homes.append(home)
        return home

    yield make
    for home in homes:
        home.stop_all()
