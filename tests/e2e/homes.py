"""Throwaway Airflow homes on SQLite (:class:`AirflowHome`): ``airflow dags test``, read-only queries of the
database, and long-running Airflow processes, reaching a given simulator.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fivetran_simulator import SimulatorServer
from tests.helpers.credentials import DEMO, SpotifyCredentials
from tests.helpers.processes import BIN, REPO, AirflowDeployment, airflow_env, free_port, wait_until
from tests.limits import HANG_GUARD


def base_env(home: Path) -> dict[str, str]:
    """:func:`~tests.helpers.processes.airflow_env` on SQLite in ``home``, polls and retries of 1 s."""
    env = airflow_env(home)
    env.update(
        {
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "SPOTIFY_ADS_POKE_INTERVAL": "1",
            "SPOTIFY_ADS_RETRY_DELAY": "1",
        }
    )
    return env


def components_env(api_port: int, *, parallelism: int = 4) -> dict[str, str]:
    """The settings of a home that runs its own components (``start_components(api_port)``): LocalExecutor,
    the Task Execution API on ``api_port``, log servers on free ports, DAGs paused until a test unpauses the
    one it runs (``unpause_when_stored``)."""
    return {
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(parallelism),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
    }


@dataclass
class DagsTestRun:
    returncode: int
    output: str
    output_file: Path


class AirflowHome(AirflowDeployment):
    """A throwaway ``AIRFLOW_HOME``: its environment, its SQLite database, its logs and its processes."""

    def __init__(self, path: Path, env: dict[str, str]) -> None:
        super().__init__(path, env)
        self.path = path
        self.db_path = path / "airflow.db"
        self._runs = 0

    # -- commands ------------------------------------------------------------------------------------------
    def dags_test(
        self, dag_id: str, conf: Mapping[str, Any] | None = None, timeout: float = 300
    ) -> DagsTestRun:
        """``airflow dags test DAG_ID [-c CONF]``; output (stdout and stderr) kept in a file of the home."""
        self._runs += 1
        output_file = self.path / f"dags-test-{self._runs}-{dag_id}.out"
        args = [str(BIN / "airflow"), "dags", "test", dag_id]
        if conf is not None:
            args += ["-c", json.dumps(conf)]
        with output_file.open("w") as out:
            process = subprocess.Popen(
                args, env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True
            )
            try:
                code = process.wait(timeout=timeout)
            finally:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)
        return DagsTestRun(code, output_file.read_text(errors="replace"), output_file)

    def unpause_when_stored(self, *dag_ids: str) -> None:
        """Wait until the DAG processor has stored each DAG, then unpause it."""
        for dag_id in dag_ids:

            def stored(dag_id: str = dag_id) -> list[tuple[Any, ...]]:
                return self.query("SELECT 1 FROM serialized_dag WHERE dag_id = ?", (dag_id,))

            wait_until(stored, timeout=HANG_GUARD, what=f"the DAG processor to store {dag_id}")
            self.airflow("dags", "unpause", dag_id)

    # -- what it holds -------------------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read-only query (the processes may be writing at the same time)."""
        db = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=30)
        try:
            return list(db.execute(sql, params).fetchall())
        finally:
            db.close()

    def task_states(self, dag_id: str, run_id: str | None = None) -> dict[tuple[str, int], str | None]:
        """``{(task_id, map_index): state}`` of a DAG run (the latest run when ``run_id`` is None)."""
        if run_id is None:
            rows = self.query(
                "SELECT run_id FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1", (dag_id,)
            )
            if not rows:
                return {}
            run_id = rows[0][0]
        return {
            (task_id, map_index): state
            for task_id, map_index, state in self.query(
                "SELECT task_id, map_index, state FROM task_instance WHERE dag_id = ? AND run_id = ?",
                (dag_id, run_id),
            )
        }

    def xcom(self, dag_id: str, task_id: str, key: str = "return_value", map_index: int = -1) -> Any:
        rows = self.query(
            "SELECT value FROM xcom WHERE dag_id = ? AND task_id = ? AND key = ? AND map_index = ? "
            "ORDER BY dag_run_id DESC LIMIT 1",
            (dag_id, task_id, key, map_index),
        )
        return json.loads(rows[0][0]) if rows else None

    def log_files(self) -> list[Path]:
        return sorted(p for p in (self.path / "logs").rglob("*") if p.is_file())


def make_home(
    path: Path,
    migrated_db: Path,
    sim: SimulatorServer,
    spotify: Mapping[str, SpotifyCredentials] | None = None,
    **env: str,
) -> AirflowHome:
    path.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(migrated_db, path / "airflow.db")
    environment = base_env(path)
    environment["AIRFLOW_CONN_FIVETRAN_DEFAULT"] = sim.airflow_conn_json
    for conn_id, credentials in (
        spotify if spotify is not None else {"spotify_ads_credentials": DEMO}
    ).items():
        environment[f"AIRFLOW_CONN_{conn_id.upper()}"] = credentials.airflow_conn()
    environment.update(env)
    return AirflowHome(path, environment)
