"""Tests of ``FivetranHook`` and ``FivetranAsyncHook`` over real HTTP against the simulator.

The helpers below are shared with ``tests/reliability`` (the fault matrix): a sleep recorder that never sleeps,
the Airflow connection reaching a simulator, and the checks every request the hook sends must pass (headers and
the OpenAPI contract), read from the simulator's request log. Request bodies are in :mod:`tests.payloads`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from airflow_spotify_fivetran import __version__
from fivetran_simulator import SimulatorServer
from tests import spec

ACCEPT = "application/json;version=2"
USER_AGENT = f"airflow-spotify-fivetran/{__version__}"


class SleepRecorder:
    """A ``sleep=`` for ``FivetranHook`` that records each requested delay and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def airflow_conn_json(
    simulator: SimulatorServer,
    *,
    host: str | None = None,
    password: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """``AIRFLOW_CONN_...`` JSON reaching ``simulator`` (or ``host``), optionally with another secret or extras."""
    conn = json.loads(simulator.airflow_conn_json)
    if host is not None:
        conn["host"] = host
    if password is not None:
        conn["password"] = password
    if extra is not None:
        conn["extra"] = dict(extra)
    return json.dumps(conn)


def header(entry: Mapping[str, Any], name: str) -> str | None:
    """A request header of a request-log entry, by case-insensitive name."""
    for key, value in entry["headers"].items():
        if key.lower() == name.lower():
            return str(value)
    return None


def calls(entries: Iterable[Mapping[str, Any]], method: str, template: str) -> list[Mapping[str, Any]]:
    """The log entries of one operation (``template`` as in the OpenAPI, e.g. ``/v1/connections/{connectionId}``)."""
    return [e for e in entries if e["method"] == method and e["path_template"] == template]


def header_problems(entry: Mapping[str, Any]) -> list[str]:
    """What is wrong with the headers of one request the hook sent (empty when nothing)."""
    where = f"{entry['method']} {entry['path']}"
    problems = []
    if header(entry, "Accept") != ACCEPT:
        problems.append(f"{where}: Accept is {header(entry, 'Accept')!r}, expected {ACCEPT!r}")
    if header(entry, "User-Agent") != USER_AGENT:
        problems.append(f"{where}: User-Agent is {header(entry, 'User-Agent')!r}, expected {USER_AGENT!r}")
    if entry["method"] in ("POST", "PATCH"):
        content_type = (header(entry, "Content-Type") or "").split(";")[0].strip()
        if content_type != "application/json":
            problems.append(f"{where}: Content-Type is {header(entry, 'Content-Type')!r}")
    return problems


def _query_problems(entry: Mapping[str, Any]) -> list[str]:
    _, op = spec.operation(entry["method"], entry["path"])
    declared = {p["name"]: p for p in op.get("parameters", []) if p.get("in") == "query"}
    problems = []
    for name, value in entry["query"].items():
        if name not in declared:
            problems.append(f"{entry['method']} {entry['path']}: query parameter {name!r} is not in the API")
            continue
        schema = declared[name].get("schema", {})
        if schema.get("type") == "integer":
            if not str(value).isdigit():
                problems.append(f"{entry['method']} {entry['path']}: {name}={value!r} is not an integer")
            elif name == "limit" and not 1 <= int(value) <= 1000:
                problems.append(f"{entry['method']} {entry['path']}: limit={value} is outside 1..1000")
    return problems


def spec_problems(entry: Mapping[str, Any]) -> list[str]:
    """Violations of the OpenAPI by one request (operation, query parameters, body); the spec must exist."""
    try:
        spec.operation(entry["method"], entry["path"])
    except spec.SpecViolation as exc:
        return [str(exc)]
    return _query_problems(entry) + spec.request_errors(entry["method"], entry["path"], entry["request_body"])


def request_problems(entries: Iterable[Mapping[str, Any]]) -> list[str]:
    """Header problems of every request, and OpenAPI violations (the contract is vendored: always checked)."""
    problems: list[str] = []
    for entry in entries:
        problems += header_problems(entry)
        problems += spec_problems(entry)
    return problems
