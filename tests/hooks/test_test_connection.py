"""The Test button (and ``airflow connections test``): each failure names the API URL it called and what to
check, never the temporary connection id Airflow's UI makes up for the test."""

from __future__ import annotations

import json
import socket

import pytest

from airflow_spotify_fivetran.hooks import FivetranHook
from fivetran_simulator import SimulatorServer
from tests.hooks import SleepRecorder, airflow_conn_json

#: What Airflow's API names the connection it tests: the person never typed it, so it helps no one.
TEMPORARY_ID = "tmp_f00dcafe"


def _tested(monkeypatch: pytest.MonkeyPatch, conn_json: str) -> tuple[bool, str]:
    monkeypatch.setenv(f"AIRFLOW_CONN_{TEMPORARY_ID.upper()}", conn_json)
    hook = FivetranHook(TEMPORARY_ID, sleep=SleepRecorder())
    try:
        return hook.test_connection()
    finally:
        hook.close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_wrong_secret_names_the_host_and_the_key_pair(
    simulator: SimulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok, message = _tested(monkeypatch, airflow_conn_json(simulator, password="not-the-secret"))

    assert ok is False
    assert message.startswith(f"{simulator.base_url} answered 401")
    assert "API key (login) and API secret (password)" in message
    assert TEMPORARY_ID not in message
    assert "not-the-secret" not in message


def test_an_unreachable_host_says_to_check_the_url_and_network(
    simulator: SimulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = f"http://127.0.0.1:{_closed_port()}"
    conn = airflow_conn_json(simulator, host=host, extra={"max_attempts": 1})

    ok, message = _tested(monkeypatch, conn)

    assert ok is False
    assert message.startswith(f"No answer from {host}")
    assert "check the API URL (host)" in message
    assert TEMPORARY_ID not in message


@pytest.mark.parametrize("value", [-5, 0])
def test_a_bad_extra_names_the_field_not_the_temporary_id(
    simulator: SimulatorServer, monkeypatch: pytest.MonkeyPatch, value: int
) -> None:
    conn = json.loads(airflow_conn_json(simulator))
    conn["extra"] = {"read_timeout": value}

    ok, message = _tested(monkeypatch, json.dumps(conn))

    assert ok is False
    assert "read_timeout" in message
    assert TEMPORARY_ID not in message
    assert simulator.control.requests() == []  # refused before any call


def test_a_good_key_pair_passes(simulator: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _tested(monkeypatch, simulator.airflow_conn_json) == (
        True,
        "Fivetran accepted the API key and secret",
    )
