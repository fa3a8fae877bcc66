"""The retry policy as a user meets it: Retry-After honoured, bounded growing back-off, no retry of a
refusal, and a create whose answer was lost never making a second connection."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from airflow_spotify_fivetran.exceptions import (
    FivetranApiError,
    FivetranConflictError,
    FivetranRateLimitError,
    FivetranServerError,
    FivetranTransportError,
)
from airflow_spotify_fivetran.hooks import FivetranAsyncHook, FivetranHook
from airflow_spotify_fivetran.hooks.retry import MAX_DELAY
from fivetran_simulator import DEFAULT_GROUP_ID, SimulatorServer
from tests.hooks import SleepRecorder, calls
from tests.payloads import demo_request

DETAILS = "GET /v1/connections/{id}"
CREATE = "POST /v1/connections"


@pytest.fixture
def created(hook: FivetranHook, simulator: SimulatorServer) -> str:
    """The id of a connected connection; the request log starts empty after it."""
    conn_id = hook.create_connection(demo_request("ads_retry")).id
    simulator.control.clear_requests()
    return conn_id


def _gap(simulator: SimulatorServer) -> float:
    """Seconds between the first two requests the simulator received (its own clock)."""
    first, second = sorted(simulator.control.requests(), key=lambda e: e["seq"])[:2]
    return float(second["monotonic"] - first["monotonic"])


# -- Retry-After ----------------------------------------------------------------------------------------------


def test_retry_after_is_honoured(
    make_hook: Callable[..., FivetranHook], simulator: SimulatorServer, created: str
) -> None:
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # really waits: the gap is measured by the simulator
        waits.append(seconds)
        time.sleep(seconds)

    hook = make_hook(sleep=sleep)
    simulator.control.add_fault(DETAILS, "error", status=429, retry_after=1)

    assert hook.get_connection_details(created).id == created
    assert waits == [1.0]  # the server's Retry-After, not the exponential back-off
    assert _gap(simulator) >= 1.0


async def test_async_hook_honours_retry_after(simulator: SimulatorServer, created: str) -> None:
    simulator.control.add_fault(DETAILS, "error", status=429, retry_after=1)

    async with FivetranAsyncHook() as async_hook:
        assert (await async_hook.get_connection_details(created)).id == created

    assert [e["status"] for e in simulator.control.requests()] == [429, 200]
    assert _gap(simulator) >= 1.0


async def test_async_hook_gives_up_after_its_budget_naming_the_transport_problem(
    simulator: SimulatorServer, created: str
) -> None:
    # Until cleared: aiohttp itself re-sends an idempotent request once when the server drops the connection,
    # so one attempt of the hook may consume two drops.
    simulator.control.add_fault(DETAILS, "drop", count=None)

    async with FivetranAsyncHook(max_attempts=2) as async_hook:  # one real back-off wait of 0.5-1 s
        with pytest.raises(FivetranTransportError) as raised:
            await async_hook.get_connection_details(created)

    assert str(raised.value) == (
        f"GET /v1/connections/{created}: connection failed (ServerDisconnectedError) (after 2 attempts)"
    )


def test_an_hour_long_retry_after_fails_at_once(
    hook: FivetranHook, simulator: SimulatorServer, recorder: SleepRecorder, created: str
) -> None:
    simulator.control.add_fault(DETAILS, "error", status=429, retry_after=3600)

    with pytest.raises(FivetranRateLimitError) as raised:
        hook.get_connection_details(created)

    assert raised.value.retry_after == 3600
    assert "429 TooManyRequests" in str(raised.value)
    assert recorder.delays == []
    assert len(simulator.control.requests()) == 1


# -- back-off ---------------------------------------------------------------------------------------------------


def test_back_off_grows_and_is_bounded(
    make_hook: Callable[..., FivetranHook], simulator: SimulatorServer, recorder: SleepRecorder, created: str
) -> None:
    hook = make_hook(max_attempts=8)
    simulator.control.add_fault(DETAILS, "error", status=503, count=None)

    with pytest.raises(FivetranServerError, match=r"503 ServiceUnavailable: .* \(after 8 attempts\)"):
        hook.get_connection_details(created)

    assert len(recorder.delays) == 7
    for attempt, delay in enumerate(recorder.delays, start=1):
        step = min(MAX_DELAY, 2.0 ** (attempt - 1))  # 1, 2, 4, ... seconds, jittered down to half
        assert step / 2 <= delay <= step, (attempt, delay)
    below_cap = recorder.delays[:5]  # steps 1..16 s: each wait is at least as long as the one before
    assert below_cap == sorted(below_cap)
    assert below_cap[-1] > 2 * below_cap[0]
    assert max(recorder.delays) <= MAX_DELAY  # steps 6 and 7 (32, 64 s) are capped
    assert len(simulator.control.requests()) == 8


@pytest.mark.parametrize(
    ("status", "code"),
    [(400, "InvalidInput"), (401, "Unauthorized"), (403, "Forbidden"), (404, "NotFound"), (409, "Conflict")],
)
def test_a_refusal_is_not_retried(
    hook: FivetranHook,
    simulator: SimulatorServer,
    recorder: SleepRecorder,
    created: str,
    status: int,
    code: str,
) -> None:
    simulator.control.add_fault(DETAILS, "error", status=status, code=code, count=5)

    with pytest.raises(FivetranApiError) as raised:
        hook.get_connection_details(created)

    assert (raised.value.status, raised.value.code, raised.value.attempts) == (status, code, 1)
    assert "attempts" not in str(raised.value)
    assert len(simulator.control.requests()) == 1
    assert recorder.delays == []


def test_real_404_and_409_are_not_retried(
    hook: FivetranHook, simulator: SimulatorServer, recorder: SleepRecorder, created: str
) -> None:
    with pytest.raises(FivetranApiError, match="404 NotFound_Connection"):
        hook.modify_connection("no_such_connection", {"paused": True})
    with pytest.raises(FivetranConflictError, match="409 Conflict"):
        hook.create_connection(demo_request("ads_retry"))  # the schema is taken in the group

    log = simulator.control.requests()
    assert [(e["method"], e["status"]) for e in log] == [("PATCH", 404), ("POST", 409)]
    assert recorder.delays == []
    assert len(simulator.control.connections()) == 1


# -- a create whose answer is lost ---------------------------------------------------------------------------------

LOST_ANSWERS: dict[str, dict[str, Any]] = {
    "dropped": {"kind": "drop", "apply": True},
    "late": {"kind": "delay", "seconds": 5, "apply": True},
    "500-after-apply": {"kind": "error", "status": 500, "apply": True},
    "502-gateway-after-apply": {"kind": "text", "status": 502, "apply": True},
    "truncated": {"kind": "truncated_json"},
    "not-json-after-apply": {"kind": "malformed_json", "body": "<html>upstream reset</html>", "apply": True},
    "incomplete-data-after-apply": {
        "kind": "malformed_json",
        "status": 201,
        "body": '{"code": "Success", "data": {"id": "half_answer"}}',
        "apply": True,
    },
}


@pytest.mark.parametrize("fault", LOST_ANSWERS.values(), ids=LOST_ANSWERS.keys())
def test_a_create_whose_answer_is_lost_makes_one_connection(
    make_hook: Callable[..., FivetranHook], simulator: SimulatorServer, fault: dict[str, Any]
) -> None:
    hook = make_hook(read_timeout=0.3)
    simulator.control.add_fault(CREATE, **fault)

    returned = hook.create_connection(demo_request("ads_lost"))

    (stored,) = simulator.control.connections()
    assert returned.id == stored["id"]
    assert returned.schema_ == "ads_lost"
    log = simulator.control.requests()
    # Sequence numbers count every request on arrival; one held by a delay fault is logged only when answered.
    held = max(e["seq"] for e in log) - len(log)
    assert len(calls(log, "POST", "/v1/connections")) + held == 1  # found by the lookup: never sent twice
    lookups = calls(log, "GET", "/v1/connections")
    assert lookups
    assert lookups[0]["query"] == {"limit": "10", "group_id": DEFAULT_GROUP_ID, "schema": "ads_lost"}
