"""Airflow components as child processes, each in its own process group and stopped by that group's id, also
when a test fails; and bounded polling of what they do (a deadline, never a bare sleep).

Shared by the end-to-end tests (``tests/e2e``, SQLite and the LocalExecutor) and the distributed test
(``tests/distributed``, PostgreSQL and the CeleryExecutor, run from its own venv): it needs the standard
library and ``requests`` only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import requests

from tests.limits import HANG_GUARD

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DAGS_FOLDER = REPO / "example_dags"
JWT_SECRET = "e2e-tests-only-jwt-secret-0123456789abcdef"
T = TypeVar("T")


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


def airflow_env(home: Path) -> dict[str, str]:
    """This interpreter's environment without any Airflow setting, plus what every deployment of the tests
    shares: its home, the example DAGs, no Airflow examples, INFO logs, the tests' JWT secret, this venv first
    on ``PATH``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW__API_AUTH__JWT_SECRET": JWT_SECRET,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    return env


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


class AirflowDeployment:
    """One Airflow deployment of a test: its environment, its ``airflow`` commands and its long-running
    processes (outputs in ``folder``, as ``NAME-N.out``)."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env
        self.processes: list[AirflowProcess] = []

    def airflow(
        self, *args: str, timeout: float = HANG_GUARD, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run ``airflow ARGS`` to its end; with ``check``, a non-zero exit fails the test with its output."""
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

    def start(self, name: str, *args: str, **env: str) -> AirflowProcess:
        """Start ``airflow ARGS`` as the process ``name`` (``env`` added to the deployment's)."""
        count = sum(1 for p in self.processes if p.name == name)
        process = AirflowProcess(name, args, {**self.env, **env}, self.folder / f"{name}-{count + 1}.out")
        self.processes.append(process)
        return process

    def latest(self, name: str) -> AirflowProcess:
        """The process last started as ``name``."""
        return [p for p in self.processes if p.name == name][-1]

    def start_components(self, api_port: int, *, timeout: float = HANG_GUARD) -> None:
        """Start what runs a DAG (api-server on ``api_port``, dag-processor, scheduler, triggerer) and wait until
        the API server answers its Task Execution API health check (what task processes talk to)."""
        self.start(
            "api-server", "api-server", "--host", "127.0.0.1", "--port", str(api_port), "--workers", "1"
        )
        for component in ("dag-processor", "scheduler", "triggerer"):
            self.start(component, component)
        health = f"http://127.0.0.1:{api_port}/execution/health"

        def api_ready() -> bool:
            try:
                return requests.get(health, timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_until(api_ready, timeout=timeout, what="the API server's /execution/health")

    def diagnostics(self, lines: int = 30) -> str:
        """The state and the last ``lines`` lines of output of every process."""
        parts = []
        for process in self.processes:
            state = "running" if process.running else f"exited {process.popen.returncode}"
            tail = "\n".join(process.output().splitlines()[-lines:])
            parts.append(f"--- {process.output_file.name} ({state}) ---\n{tail}")
        return "\n".join(parts)

    def stop_all(self) -> None:
        """Stop every process this deployment started, also after a failure: all signalled first, then awaited."""
        for process in self.processes:
            process.terminate()
        for process in reversed(self.processes):
            process.stop()
