"""Helpers the benchmark rows share: paths, subprocesses, the benchmark simulator process."""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUR_PYTHON = Path(sys.executable)
BENCH_VENV = REPO / ".bench-venv"
THEIR_PYTHON = BENCH_VENV / "bin" / "python"
THEIR_PACKAGE = "airflow-provider-fivetran-async==2.4.0"

API_KEY = "sim-api-key"
API_SECRET = "sim-api-secret"


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def most_in_any_window(moments: Sequence[float], span: float) -> int:
    """The most of ``moments`` (seconds) that fall in any window ``[t, t + span)``."""
    ordered = sorted(moments)
    most, first = 0, 0
    for last, moment in enumerate(ordered):
        while ordered[first] <= moment - span:
            first += 1
        most = max(most, last - first + 1)
    return most


def per_interval_counts(moments: Sequence[float], span: float) -> list[int]:
    """How many of ``moments`` fall in each whole interval ``[t0 + k*span, t0 + (k+1)*span)`` from the first one
    (a last, partial interval is left out)."""
    if not moments:
        return []
    start, end = min(moments), max(moments)
    whole = int((end - start) // span)
    counts = [0] * whole
    for moment in moments:
        k = int((moment - start) // span)
        if k < whole:
            counts[k] += 1
    return counts


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a benchmark subprocess: no AIRFLOW_* of the caller, a throwaway AIRFLOW_HOME.

    Bytecode caches are on, in ``.bench/pycache`` (``PYTHONPYCACHEPREFIX``), as in any deployment where pip
    compiled the packages; neither virtual environment nor the package directory gets written to.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AIRFLOW") and k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")
    }
    env.update(
        {
            "AIRFLOW_HOME": str(REPO / ".bench" / "airflow-home"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "PYTHONPYCACHEPREFIX": str(REPO / ".bench" / "pycache"),
        }
    )
    env.update(extra)
    return env


def fivetran_conn_env(base_url: str) -> dict[str, str]:
    """``AIRFLOW_CONN_FIVETRAN_DEFAULT`` reaching the simulator (both providers read login and password)."""
    conn = {"conn_type": "fivetran", "login": API_KEY, "password": API_SECRET, "host": base_url}
    return {"AIRFLOW_CONN_FIVETRAN_DEFAULT": json.dumps(conn)}


def run_json(cmd: list[str], env: dict[str, str], timeout: float = 900) -> dict[str, Any]:
    """Run a benchmark helper that prints one JSON object as its last stdout line."""
    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-4000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{' '.join(cmd)} printed no JSON:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def write_between_markers(path: Path, name: str, block: str) -> None:
    """Replace what ``path`` holds between ``<!-- name:start -->`` and ``<!-- name:end -->`` with ``block``.

    The README's figures are written here, by the run that measured them, never copied by hand.
    """
    start_mark, end_mark = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = path.read_text(encoding="utf-8")
    if text.count(start_mark) != 1 or text.count(end_mark) != 1:
        raise SystemExit(f"{path} needs exactly one {start_mark} ... {end_mark} pair")
    start, end = text.index(start_mark) + len(start_mark), text.index(end_mark)
    if start > end:
        raise SystemExit(f"{path}: {end_mark} comes before {start_mark}")
    path.write_text(text[:start] + "\n" + block.strip("\n") + "\n" + text[end:], encoding="utf-8")


class BenchSimProcess:
    """``benchsim.py`` in its own process (and process group), stopped by its own process id."""

    def __init__(
        self, *, speed: float = 1.0, scenario: dict[str, Any] | None = None, log_size: int = 1000
    ) -> None:
        cmd = [str(OUR_PYTHON), str(HERE / "benchsim.py"), "--speed", str(speed), "--log-size", str(log_size)]
        if scenario is not None:
            cmd += ["--scenario", json.dumps(scenario)]
        self.process = subprocess.Popen(
            cmd, cwd=REPO, env=clean_env(), stdout=subprocess.PIPE, text=True, start_new_session=True
        )
        assert self.process.stdout is not None
        self.base_url = ""
        for line in self.process.stdout:
            if line.startswith("listening: "):
                self.base_url = line.split(": ", 1)[1].strip()
                break
        if not self.base_url:
            raise RuntimeError(f"the benchmark simulator did not start (exit code {self.process.poll()})")
        self.http = requests.Session()

    def call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        response = self.http.request(method, self.base_url + path, json=body, timeout=120)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def stats(self) -> dict[str, Any]:
        return self.call("GET", "/_bench/stats")

    def request_times(self) -> list[float]:
        """When each request counted since the last reset arrived (the server's monotonic seconds)."""
        return [float(t) for t in self.call("GET", "/_bench/times")["times"]]

    def reset_stats(self) -> None:
        self.call("POST", "/_bench/stats/reset")

    def stop(self) -> None:
        self.http.close()
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def __enter__(self) -> BenchSimProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
