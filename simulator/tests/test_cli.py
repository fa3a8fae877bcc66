"""``fivetran-simulator`` / ``python -m fivetran_simulator`` as a real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from fivetran_simulator import DEFAULT_GROUP_ID

EXPECTED_KEYS = [
    "AIRFLOW_CONN_FIVETRAN_DEFAULT",
    "group_id",
    "client_id",
    "client_secret",
    "refresh_token",
    "accounts",
    "listening",
]


@contextmanager
def _running(
    *args: str, command: list[str] | None = None
) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    cmd = (command or [sys.executable, "-m", "fivetran_simulator"]) + list(args)
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    stdout, stderr = proc.stdout, proc.stderr
    assert stdout is not None
    assert stderr is not None
    watchdog = threading.Timer(30, proc.kill)  # never hang the suite on a broken start
    watchdog.start()
    try:
        info = {}
        for _ in EXPECTED_KEYS:
            line = stdout.readline().rstrip("\n")
            key, sep, value = line.partition("=" if line.startswith("AIRFLOW_CONN_") else ": ")
            assert sep, (
                f"unexpected line {line!r}; stderr: {stderr.read() if proc.poll() is not None else ''}"
            )
            info[key] = value
        assert list(info) == EXPECTED_KEYS
        yield proc, info
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        finally:
            watchdog.cancel()
            stdout.close()
            stderr.close()


def test_cli_prints_the_lines_and_serves(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with _running("--port", "0", "--state", str(state)) as (proc, info):
        conn = json.loads(info["AIRFLOW_CONN_FIVETRAN_DEFAULT"])
        assert conn["conn_type"] == "fivetran"
        assert conn["host"] == info["listening"]
        assert info["listening"].startswith("http://127.0.0.1:")
        assert info["group_id"] == DEFAULT_GROUP_ID
        body = {
            "group_id": info["group_id"],
            "service": "spotify_ads",
            "run_setup_tests": True,
            "config": {
                "schema": "cli_demo",
                "sync_mode": "SPECIFIC_ACCOUNTS",
                "accounts": info["accounts"].split(","),
            },
            "auth": {
                "refresh_token": info["refresh_token"],
                "client_access": {"client_id": info["client_id"], "client_secret": info["client_secret"]},
            },
        }
        response = requests.post(
            f"{conn['host']}/v1/connections", json=body, auth=(conn["login"], conn["password"]), timeout=5
        )
        assert response.status_code == 201
        assert response.json()["data"]["status"]["setup_state"] == "connected"  # the printed credentials pass
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    assert "cli_demo" in state.read_text()


def test_cli_sigint_and_options() -> None:
    with _running("--api-key", "k", "--api-secret", "s", "--clock", "manual") as (proc, info):
        conn = json.loads(info["AIRFLOW_CONN_FIVETRAN_DEFAULT"])
        assert (conn["login"], conn["password"]) == ("k", "s")
        assert requests.get(f"{info['listening']}/_sim/health", timeout=5).json()["clock"] == "manual"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


def test_cli_refuses_a_bad_scenario(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.json"
    scenario.write_text('{"sync": {"outcome": "maybe"}}')
    cmd = [sys.executable, "-m", "fivetran_simulator", "--scenario", str(scenario)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    assert "sync.outcome" in result.stderr


def test_console_script_entry_point() -> None:
    script = shutil.which("fivetran-simulator", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("fivetran-simulator is not installed in this environment (pip install -e ./simulator)")
    with _running("--port", "0", command=[script]) as (_, info):
        assert requests.get(f"{info['listening']}/_sim/health", timeout=5).status_code == 200
