"""A production-shaped Airflow on loopback ports: PostgreSQL, Redis, the CeleryExecutor with two workers, an
api-server, a scheduler, a dag-processor and a triggerer, against the embedded Fivetran simulator.

Every server is a child of the test in its own process group and is stopped by that group's id, also when a
test fails. PostgreSQL refuses to run as root: as root, its data folder is given to the ``postgres`` user and the
server runs as that user (``runuser``); as anyone else it runs as the current user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from tests.helpers.processes import AirflowDeployment, AirflowProcess, airflow_env, free_port, wait_until


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))[-1:]), None
    )
    if not found:
        raise AssertionError(f"PostgreSQL's {name} is not installed (make test-distributed installs it)")
    return found


def _as_postgres(args: Sequence[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)


class Server:
    """One server process in its own process group, its output in a file."""

    def __init__(
        self, name: str, args: Sequence[str], output: Path, env: dict[str, str] | None = None
    ) -> None:
        self.name = name
        self.output_file = output
        with output.open("w") as out:
            self.popen = subprocess.Popen(
                list(args),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                env=env,
            )

    def stop(self) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)


class Postgres:
    """A throwaway PostgreSQL cluster with trust authentication on 127.0.0.1, database ``airflow``."""

    def __init__(self, workdir: Path) -> None:
        # Not under pytest's tmp_path: the postgres user must be able to reach the folder.
        self.data = Path(tempfile.mkdtemp(prefix="fivetran-e2e-pg-"))
        self.port = free_port()
        self.workdir = workdir
        self.server: Server | None = None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/airflow"

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.data, "postgres", "postgres")
        subprocess.run(
            _as_postgres(
                [_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        self.server = Server(
            "postgres",
            _as_postgres(
                [
                    _pg_bin("postgres"),
                    "-D",
                    str(self.data),
                    "-p",
                    str(self.port),
                    "-k",
                    str(self.data),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "max_connections=200",
                    "-c",
                    "fsync=off",
                ]
            ),
            self.workdir / "postgres.out",
        )
        wait_until(self._ready, timeout=60, what="PostgreSQL to accept connections")
        self.psql("CREATE DATABASE airflow", database="postgres")

    def _client(self, program: str, database: str) -> list[str]:
        """``program`` (``psql``, ``pg_dump``) reaching ``database`` of this server as ``postgres``."""
        return [program, "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database]

    def _ready(self) -> bool:
        result = subprocess.run(
            [*self._client("psql", "postgres"), "-c", "SELECT 1"], capture_output=True, check=False
        )
        return result.returncode == 0

    def psql(self, sql: str, *, database: str = "airflow") -> str:
        result = subprocess.run(
            [*self._client("psql", database), "-At", "-c", sql],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return result.stdout

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        import psycopg2

        with (
            contextlib.closing(
                psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="airflow")
            ) as db,
            db.cursor() as cursor,
        ):
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    def dump(self) -> str:
        """Every row of every table as text (to search for secrets)."""
        result = subprocess.run(
            [*self._client("pg_dump", "airflow"), "--data-only"],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return result.stdout

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        shutil.rmtree(self.data, ignore_errors=True)


class Redis:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.server: Server | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        redis = shutil.which("redis-server")
        if not redis:
            raise AssertionError("redis-server is not installed (make test-distributed installs it)")
        self.server = Server(
            "redis",
            [redis, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            self.workdir / "redis.out",
        )
        wait_until(
            lambda: "Ready to accept connections" in (self.workdir / "redis.out").read_text(errors="replace"),
            timeout=30,
            what="Redis to accept connections",
        )

    def dump(self) -> bytes:
        """Every key and value (to search for secrets)."""
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port)
        try:
            return b"\n".join(
                key + b"=" + repr(client.dump(key)).encode() for key in client.scan_iter(count=1000)
            )
        finally:
            client.close()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


class Cluster(AirflowDeployment):
    """Airflow with the CeleryExecutor on ``postgres`` and ``redis``; ``env`` reaches every process."""

    def __init__(self, home: Path, postgres: Postgres, redis: Redis, env: dict[str, str]) -> None:
        self.home = home
        self.postgres = postgres
        self.redis = redis
        self.api_port = free_port()
        environment = airflow_env(home)
        environment.update(
            {
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.api_port}/execution/",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": postgres.url,
                "AIRFLOW__CELERY__BROKER_URL": redis.url,
                "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + postgres.url,
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
                "AIRFLOW__API__PORT": str(self.api_port),
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            }
        )
        environment.update(env)
        super().__init__(home, environment)

    def start_worker(self, name: str) -> AirflowProcess:
        """A Celery worker with two slots; each serves its task logs on a port of its own."""
        return self.start(
            name,
            "celery",
            "worker",
            "--concurrency",
            "2",
            "--celery-hostname",
            f"{name}@%h",
            AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        )

    # -- what the database says -----------------------------------------------------------------------------
    def task_states(self, dag_id: str, run_id: str) -> dict[tuple[str, int], tuple[str | None, int]]:
        """``{(task_id, map_index): (state, try_number)}`` of one DAG run."""
        return {
            (task_id, map_index): (state, try_number)
            for task_id, map_index, state, try_number in self.postgres.query(
                "SELECT task_id, map_index, state, try_number FROM task_instance WHERE dag_id = %s AND run_id = %s",
                (dag_id, run_id),
            )
        }

    def run_state(self, dag_id: str, run_id: str) -> str | None:
        rows = self.postgres.query(
            "SELECT state FROM dag_run WHERE dag_id = %s AND run_id = %s", (dag_id, run_id)
        )
        return rows[0][0] if rows else None

    def trigger(self, dag_id: str, run_id: str, conf: str) -> None:
        self.airflow("dags", "trigger", dag_id, "--run-id", run_id, "--conf", conf)

    def wait_for_run(self, dag_id: str, run_id: str, *, timeout: float) -> str:
        return str(
            wait_until(
                lambda: (s := self.run_state(dag_id, run_id)) in ("success", "failed") and s,
                timeout=timeout,
                what=f"DAG run {run_id} to finish",
                interval=1,
            )
        )


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (task runners have process groups of their own, so a group kill misses them)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def sigkill_tree(process: AirflowProcess) -> list[int]:
    """SIGKILL a process, its group and every descendant at once, as a lost machine would; the pids killed."""
    pids = [process.popen.pid, *descendants(process.popen.pid)]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.popen.pid, signal.SIGKILL)
    process.popen.wait(timeout=30)
    return pids


@contextlib.contextmanager
def timed(figures: dict[str, float], step: str) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        figures[step] = time.monotonic() - started
