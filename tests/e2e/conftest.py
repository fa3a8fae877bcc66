"""End-to-end fixtures: real Airflow commands and processes against the Fivetran simulator.

* ``migrated_db`` (session): ``airflow db migrate`` once, into a template SQLite file.
* ``airflow_home_factory``: a throwaway ``AIRFLOW_HOME`` (a copy of the template database) whose environment
  reaches a given simulator, with Spotify credentials as Airflow connections; ``AirflowHome`` runs
  ``airflow dags test``, queries the database read-only and starts long-running Airflow processes.
* ``RequestWatcher``: a thread that acts once the simulator's request log shows something (the Spotify
  admin who grants access once the sensor waits; the person who finishes the Connect Card).
* ``wait_until``: bounded polling of real processes (a deadline, never a bare sleep).

Every process is started in its own process group and stopped by that group's id, also when a test fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from fivetran_simulator import (
    DEMO_ACCOUNTS,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REFRESH_TOKEN,
    SimulatorControl,
    SimulatorServer,
)
from tests.limits import HANG_GUARD

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DAGS_FOLDER = REPO / "example_dags"
JWT_SECRET = "e2e-tests-only-jwt-secret-0123456789abcdef"
T = TypeVar("T")


@dataclass(frozen=True)
class SpotifyCredentials:
    client_id: str
    client_secret: str
    refresh_token: str

    def airflow_conn(self) -> str:
        """The Airflow connection (JSON) the DAGs read: login, password, extra ``refresh_token``."""
        return json.dumps(
            {
                "conn_type": "generic",
                "login": self.client_id,
                "password": self.client_secret,
                "extra": {"refresh_token": self.refresh_token},
            }
        )

    def spotify_side(self, accounts: Sequence[str]) -> dict[str, Any]:
        """A simulator ``spotify`` scenario section where these credentials can read ``accounts`` only."""
        return {
            "clients": {self.client_id: self.client_secret},
            "tokens": {self.refresh_token: {"client_id": self.client_id, "accounts": list(accounts)}},
        }


DEMO = SpotifyCredentials(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN)
ALL_DEMO_ACCOUNTS: tuple[str, ...] = tuple(DEMO_ACCOUNTS)

# Distinctive secrets (new each session) that must never show up in what Airflow keeps.
_RUN = uuid.uuid4().hex[:10]
CANARY_FIVETRAN_API_SECRET = f"SECRET-CANARY-fivetran-api-secret-{_RUN}"
CANARY = SpotifyCredentials(
    client_id=f"canary-client-id-{_RUN}",  # not a secret: Fivetran echoes it
    client_secret=f"SECRET-CANARY-spotify-client-secret-{_RUN}",
    refresh_token=f"SECRET-CANARY-spotify-refresh-token-{_RUN}",
)
CANARY_SECRETS = (CANARY_FIVETRAN_API_SECRET, CANARY.client_secret, CANARY.refresh_token)
CANARY_ACCOUNTS = ("canary-ad-account-1", "canary-ad-account-2")


def leaked_secrets(text: str | bytes) -> list[str]:
    """The canary secrets found in ``text``."""
    data = text.encode() if isinstance(text, str) else text
    return [secret for secret in CANARY_SECRETS if secret.encode() in data]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], T | None], *, timeout: float, what: str, interval: float = 0.5) -> T:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds saying ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:g} s waiting for {what}")
        time.sleep(interval)


# --- simulator helpers ------------------------------------------------------------------------------------


def requests_to(entries: list[dict[str, Any]], method: str, suffix: str = "") -> list[dict[str, Any]]:
    return [e for e in entries if e["method"] == method and e["path"].endswith(suffix)]


def created_ids(entries: list[dict[str, Any]], schema: str | None = None) -> list[str]:
    """Ids of connections created (``POST /v1/connections`` answered 201), optionally of one schema."""
    ids = []
    for entry in requests_to(entries, "POST", "/v1/connections"):
        body = entry.get("response_body") or {}
        data = body.get("data") if isinstance(body, dict) else None
        asked = (entry.get("request_body") or {}).get("config", {}).get("schema")
        if entry.get("status") == 201 and isinstance(data, dict) and schema in (None, asked):
            ids.append(str(data["id"]))
    return ids


def changes(entries: list[dict[str, Any]]) -> list[str]:
    """Every request that changes something in Fivetran (anything but GET)."""
    return [f"{e['method']} {e['path']}" for e in entries if e["method"] != "GET"]


def retested_twice(log: list[dict[str, Any]]) -> bool:
    """The setup tests were re-run (``POST .../test``) twice: once by the setup sensor's first check in the
    worker, once more by its trigger, so the task has deferred by then."""
    return len(requests_to(log, "POST", "/test")) >= 2


def connection_by_schema(sim: SimulatorServer, schema: str) -> dict[str, Any]:
    found = [c for c in sim.control.connections() if c["schema"] == schema]
    assert len(found) == 1, f"expected one connection with schema {schema!r}, found {len(found)}"
    return found[0]


class RequestWatcher(threading.Thread):
    """Run ``action(control)`` once ``condition(request_log)`` holds; a stand-in for a person or an admin.

    Use as a context manager around the Airflow run; leaving it stops the thread and re-raises any error the
    action hit. ``fired`` says whether the action ran.
    """

    def __init__(
        self,
        sim: SimulatorServer,
        condition: Callable[[list[dict[str, Any]]], bool],
        action: Callable[[SimulatorControl], None],
        *,
        interval: float = 0.2,
    ) -> None:
        super().__init__(daemon=True, name="e2e-request-watcher")
        self.base_url = sim.base_url
        self.condition = condition
        self.action = action
        self.interval = interval
        self.fired = threading.Event()
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        control = SimulatorControl(self.base_url)  # its own session: requests.Session is not thread-safe
        try:
            while not self.stopping.is_set():
                if self.condition(control.requests()):
                    self.action(control)
                    self.fired.set()
                    return
                self.stopping.wait(self.interval)
        except BaseException as exc:
            self.error = exc
        finally:
            control.close()

    def __enter__(self) -> RequestWatcher:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopping.set()
        self.join(timeout=30)
        if self.error is not None:
            raise self.error


# --- Airflow --------------------------------------------------------------------------------------------


def base_env(home: Path) -> dict[str, str]:
    """This interpreter's environment without any Airflow setting, plus a throwaway home on SQLite."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW__API_AUTH__JWT_SECRET": JWT_SECRET,
            "SPOTIFY_ADS_POKE_INTERVAL": "1",
            "SPOTIFY_ADS_RETRY_DELAY": "1",
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    return env


@dataclass
class DagsTestRun:
    returncode: int
    output: str
    output_file: Path


class AirflowProcess:
    """A long-running Airflow command (scheduler, triggerer...) in its own process group."""

    def __init__(self, name: str, args: Sequence[str], env: Mapping[str, str], output: Path) -> None:
        self.name = name
        self.output_file = output
        with output.open("w") as out:
            self.popen = subprocess.Popen(
                [str(BIN / "airflow"), *args],
                env=dict(env),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=REPO,
                start_new_session=True,
            )

    @property
    def running(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.output_file.read_text(errors="replace")

    def terminate(self) -> None:
        """SIGTERM to the process group: a graceful stop (triggers are released, the job marked ended)."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM to the process group, SIGKILL after ``timeout`` seconds; returns once it has exited."""
        self.terminate()
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)
        # Children that outlived their parent still belong to the group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)


class AirflowHome:
    """A throwaway ``AIRFLOW_HOME``: its environment, its SQLite database, its logs and its processes."""

    def __init__(self, path: Path, env: dict[str, str]) -> None:
        self.path = path
        self.env = env
        self.db_path = path / "airflow.db"
        self.processes: list[AirflowProcess] = []
        self._runs = 0

    # -- commands ------------------------------------------------------------------------------------------
    def airflow(
        self, *args: str, timeout: float = HANG_GUARD, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(BIN / "airflow"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=REPO,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"airflow {' '.join(args)} exited {result.returncode}:\n{(result.stdout + result.stderr)[-4000:]}"
            )
        return result

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

    def start(self, name: str, *args: str) -> AirflowProcess:
        count = sum(1 for p in self.processes if p.name == name)
        process = AirflowProcess(name, args, self.env, self.path / f"{name}-{count + 1}.out")
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        """Stop every process this home started, also after a failure: all signalled first, then awaited."""
        for process in self.processes:
            process.terminate()
        for process in reversed(self.processes):
            process.stop()

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
