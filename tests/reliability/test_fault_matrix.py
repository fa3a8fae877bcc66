"""The fault matrix (issue #7): every transient fault kind x every hook call that changes or reads a connection.

For each pair, over real HTTP against the simulator:

* transient (the fault once): the call succeeds, after exactly one wait (``Retry-After`` when the server sent it);
* persistent (more faults than the retry budget of 3 attempts): the call fails with a message naming the
  call, the status and Fivetran code or the transport problem, and "after 3 attempts"; exactly 3 requests
  reached the faulted route. A create whose request is applied before its answer is lost (a late or a
  truncated answer) is the exception: the lookup finds the connection it made, and the create succeeds;
* in every case the simulator then holds exactly the connections it should: never a duplicate.

Waits go through a recorder that does not sleep; the read timeout of the timeout cases is 0.2 s.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from airflow_spotify_fivetran.exceptions import (
    FivetranError,
    FivetranRateLimitError,
    FivetranResponseError,
    FivetranServerError,
    FivetranTransportError,
)
from airflow_spotify_fivetran.hooks import FivetranHook
from airflow_spotify_fivetran.models.enums import SetupState
from fivetran_simulator import DEFAULT_GROUP_ID, SimulatorServer
from tests.hooks import SleepRecorder, request_problems
from tests.payloads import demo_request

BUDGET = 3
READ_TIMEOUT = 0.2


@dataclass(frozen=True)
class FaultKind:
    spec: dict[str, Any]
    error: type[FivetranError]
    message: str  # a regular expression the persistent failure's message must match
    applied: bool = False  # the request takes effect although its answer is lost
    hook_kwargs: dict[str, Any] = field(default_factory=dict)
    wait: float | None = None  # the exact wait the server asked for (Retry-After)


KINDS: dict[str, FaultKind] = {
    "429-retry-after": FaultKind(
        {"kind": "error", "status": 429, "retry_after": 1},
        FivetranRateLimitError,
        r"429 TooManyRequests: ",
        wait=1.0,
    ),
    "500": FaultKind({"kind": "error", "status": 500}, FivetranServerError, r"500 InternalServerError: "),
    "502-gateway-text": FaultKind(
        {"kind": "text", "status": 502}, FivetranServerError, r"502 error: non-JSON answer: '502 Bad Gateway'"
    ),
    "503": FaultKind({"kind": "error", "status": 503}, FivetranServerError, r"503 ServiceUnavailable: "),
    "504": FaultKind({"kind": "error", "status": 504}, FivetranServerError, r"504 GatewayTimeout: "),
    "dropped-connection": FaultKind(
        {"kind": "drop"}, FivetranTransportError, r"connection failed \(ConnectionError\)"
    ),
    "read-timeout": FaultKind(
        {"kind": "delay", "seconds": 30, "apply": True},
        FivetranTransportError,
        rf"no answer within the timeout \(connect 10 s, read {READ_TIMEOUT:g} s\)",
        applied=True,
        hook_kwargs={"read_timeout": READ_TIMEOUT},
    ),
    "non-json-body": FaultKind(
        {
            "kind": "malformed_json",
            "status": 200,
            "body": "<html><body>Service temporarily unavailable</body></html>",
        },
        FivetranResponseError,
        r"-> 200: answer is not valid JSON \(truncated or not JSON\): '<html>",
    ),
    "truncated-json": FaultKind(
        {"kind": "truncated_json"},
        FivetranResponseError,
        r"answer is not valid JSON \(truncated or not JSON\): '\{\"code\": \"Success\"",
        applied=True,
    ),
}


@dataclass(frozen=True)
class Call:
    route: str  # the fault route
    path: str  # the path the message names ({id}: the existing connection)
    run: Callable[[FivetranHook, str], Any]  # (hook, existing connection id) -> result
    check: Callable[[Any, str, SimulatorServer], None]  # asserts a successful result


def _created(result: Any, existing: str, sim: SimulatorServer) -> None:
    assert result.schema_ == "ads_matrix_new"
    assert result.id in {c["id"] for c in sim.control.connections()}


def _details(result: Any, existing: str, sim: SimulatorServer) -> None:
    assert result.id == existing


def _listed(result: Any, existing: str, sim: SimulatorServer) -> None:
    assert [c.id for c in result] == [existing]


def _modified(result: Any, existing: str, sim: SimulatorServer) -> None:
    assert result.paused is True
    assert sim.control.connection(existing)["paused"] is True


def _tested(result: Any, existing: str, sim: SimulatorServer) -> None:
    assert result.status.setup_state == SetupState.CONNECTED


def _synced(result: Any, existing: str, sim: SimulatorServer) -> None:
    assert existing in result
    assert sim.control.connection(existing)["_sim"]["sync"] is not None


CALLS: dict[str, Call] = {
    "create": Call(
        "POST /v1/connections",
        "/v1/connections",
        lambda hook, _: hook.create_connection(demo_request("ads_matrix_new")),
        _created,
    ),
    "details": Call(
        "GET /v1/connections/{id}",
        "/v1/connections/{id}",
        lambda hook, conn_id: hook.get_connection_details(conn_id),
        _details,
    ),
    "list": Call(
        "GET /v1/connections",
        "/v1/connections",
        lambda hook, _: list(hook.list_connections(group_id=DEFAULT_GROUP_ID)),
        _listed,
    ),
    "modify": Call(
        "PATCH /v1/connections/{id}",
        "/v1/connections/{id}",
        lambda hook, conn_id: hook.modify_connection(conn_id, {"paused": True}),
        _modified,
    ),
    "setup-tests": Call(
        "POST /v1/connections/{id}/test",
        "/v1/connections/{id}/test",
        lambda hook, conn_id: hook.run_setup_tests(conn_id),
        _tested,
    ),
    "sync": Call(
        "POST /v1/connections/{id}/sync",
        "/v1/connections/{id}/sync",
        lambda hook, conn_id: hook.sync_connection(conn_id),
        _synced,
    ),
}


@pytest.fixture(autouse=True)
def _every_request_conforms(simulator: SimulatorServer) -> Iterator[None]:
    yield
    problems = request_problems(simulator.control.requests())
    assert not problems, "requests that break the contract:\n" + "\n".join(problems)


@pytest.fixture
def existing(simulator: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """A connected connection in the default group (so it can sync), made before any fault is armed."""
    monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_DEFAULT", simulator.airflow_conn_json)
    with _closing(FivetranHook()) as hook:
        conn_id = hook.create_connection(demo_request("ads_matrix_existing")).id
    simulator.control.clear_requests()
    return conn_id


class _closing:
    def __init__(self, hook: FivetranHook) -> None:
        self.hook = hook

    def __enter__(self) -> FivetranHook:
        return self.hook

    def __exit__(self, *exc: object) -> None:
        self.hook.close()


def _arm(simulator: SimulatorServer, kind: FaultKind, call: Call, count: int) -> None:
    simulator.control.add_faults([{**kind.spec, "route": call.route, "count": count}])


def _remaining(simulator: SimulatorServer) -> int:
    """Uses left of the armed fault (0 once all were consumed and it was disarmed)."""
    faults = simulator.control.faults()
    return int(faults[0]["count"]) if faults else 0


def _assert_waits(recorder: SleepRecorder, kind: FaultKind, count: int) -> None:
    assert len(recorder.delays) == count, recorder.delays
    for attempt, delay in enumerate(recorder.delays, start=1):
        if kind.wait is not None:
            assert delay == kind.wait  # Retry-After honoured
        else:
            step = 2.0 ** (attempt - 1)  # jittered exponential back-off: 0.5-1 s, then 1-2 s
            assert step / 2 <= delay <= step, recorder.delays


def _connection_ids(simulator: SimulatorServer) -> list[str]:
    return sorted(c["id"] for c in simulator.control.connections())


MATRIX = [pytest.param(k, c, id=f"{k}-{c}") for k in KINDS for c in CALLS]


@pytest.mark.parametrize(("kind_name", "call_name"), MATRIX)
def test_transient_fault_is_survived(
    simulator: SimulatorServer, existing: str, kind_name: str, call_name: str
) -> None:
    kind, call = KINDS[kind_name], CALLS[call_name]
    recorder = SleepRecorder()
    _arm(simulator, kind, call, count=1)

    with _closing(FivetranHook(max_attempts=BUDGET, sleep=recorder, **kind.hook_kwargs)) as hook:
        result = call.run(hook, existing)

    call.check(result, existing, simulator)
    assert _remaining(simulator) == 0  # the fault did hit the call
    _assert_waits(recorder, kind, 1)
    expected = 2 if call_name == "create" else 1
    assert len(_connection_ids(simulator)) == expected
    assert existing in _connection_ids(simulator)


@pytest.mark.parametrize(("kind_name", "call_name"), MATRIX)
def test_persistent_fault_fails_clearly_without_duplicates(
    simulator: SimulatorServer, existing: str, kind_name: str, call_name: str
) -> None:
    kind, call = KINDS[kind_name], CALLS[call_name]
    recorder = SleepRecorder()
    _arm(simulator, kind, call, count=BUDGET + 1)

    with _closing(FivetranHook(max_attempts=BUDGET, sleep=recorder, **kind.hook_kwargs)) as hook:
        if call_name == "create" and kind.applied:
            # The first POST made the connection; the lookup before the second one adopts it.
            result = call.run(hook, existing)
            call.check(result, existing, simulator)
            assert _remaining(simulator) == BUDGET  # one POST only
            _assert_waits(recorder, kind, 1)
            assert len(_connection_ids(simulator)) == 2
            return
        with pytest.raises(kind.error) as raised:
            call.run(hook, existing)

    message = str(raised.value)
    where = call.path.replace("{id}", existing)
    assert re.search(kind.message, message), message
    assert message.startswith(f"{call.route.split()[0]} {where}"), message
    assert f"(after {BUDGET} attempts)" in message
    assert _remaining(simulator) == 1  # exactly BUDGET requests reached the faulted route
    _assert_waits(recorder, kind, BUDGET - 1)
    assert _connection_ids(simulator) == [existing]  # nothing created, nothing lost
