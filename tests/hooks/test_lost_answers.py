"""A call that is not idempotent, whose answer was lost after Fivetran applied it, meets its own effect when
retried: the DELETE is retried into 404, the resync into 409. After a lost answer a 404 is a success; a 409 only
when a read shows the re-sync running (409 means any sync runs). Without a lost answer (or after a mere 429
refusal) they stay errors."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_spotify_fivetran.exceptions import FivetranConflictError, FivetranNotFoundError
from airflow_spotify_fivetran.hooks import FivetranAsyncHook, FivetranHook
from airflow_spotify_fivetran.hooks.api import connection_path
from airflow_spotify_fivetran.hooks.retry import AttemptMemory
from fivetran_simulator import SimulatorServer
from tests.hooks import SleepRecorder, calls
from tests.payloads import demo_request

DELETE = "DELETE /v1/connections/{id}"
RESYNC = "POST /v1/connections/{id}/resync"
ONE = "/v1/connections/{connectionId}"

#: Faults after which the request was applied and its answer lost.
LOST: dict[str, dict[str, Any]] = {
    "502-after-apply": {"kind": "error", "status": 502, "apply": True},
    "gateway-text-after-apply": {"kind": "text", "status": 504, "apply": True},
    "dropped-after-apply": {"kind": "drop", "apply": True},
    "garbled-2xx": {"kind": "truncated_json"},
}


@pytest.fixture
def created(hook: FivetranHook, simulator: SimulatorServer) -> str:
    """A connected connection, no sync running; the request log starts empty after it."""
    conn_id = hook.create_connection(demo_request("ads_lost_answer")).id
    simulator.control.advance_clock(3600)  # the first sync (automatic after setup) ends
    simulator.control.clear_requests()
    return conn_id


def _statuses(simulator: SimulatorServer, method: str, template: str) -> list[int | None]:
    return [e["status"] for e in calls(simulator.control.requests(), method, template)]


# -- DELETE ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", LOST.values(), ids=LOST.keys())
def test_a_delete_whose_answer_was_lost_succeeds(
    hook: FivetranHook,
    simulator: SimulatorServer,
    recorder: SleepRecorder,
    capsys: pytest.CaptureFixture[str],
    created: str,
    fault: dict[str, Any],
) -> None:
    simulator.control.add_fault(DELETE, **fault)

    message = hook.delete_connection(created)

    assert simulator.control.connections() == []
    log = calls(simulator.control.requests(), "DELETE", ONE)
    assert len(log) == 2
    assert log[-1]["status"] == 404  # the retry met the effect of the lost attempt
    assert len(recorder.delays) == 1
    assert f"DELETE /v1/connections/{created} took effect" in message
    assert "answer to an earlier attempt was lost" in message
    assert "retry was answered 404 NotFound_Connection" in message
    assert message in capsys.readouterr().out  # logged as a warning too (Airflow's structlog writes stdout)


def test_a_delete_of_an_unknown_id_still_fails_after_a_refusal(
    hook: FivetranHook, simulator: SimulatorServer, recorder: SleepRecorder
) -> None:
    # A 429 refuses before anything happens: the 404 after it is the truth, not a lost delete.
    simulator.control.add_fault(DELETE, "error", status=429, retry_after=1)

    with pytest.raises(FivetranNotFoundError, match="404 NotFound_Connection"):
        hook.delete_connection("no_such_connection")
    assert _statuses(simulator, "DELETE", ONE) == [429, 404]
    assert recorder.delays == [1.0]
    assert "does not exist" in hook.delete_connection("no_such_connection", missing_ok=True)


def test_a_delete_that_was_not_applied_is_retried_for_real(
    hook: FivetranHook, simulator: SimulatorServer, created: str
) -> None:
    simulator.control.add_fault(DELETE, "error", status=503)  # not applied: the retry deletes

    message = hook.delete_connection(created)

    assert "took effect" not in message
    assert created in message
    assert _statuses(simulator, "DELETE", ONE) == [503, 200]
    assert simulator.control.connections() == []


# -- resync ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", LOST.values(), ids=LOST.keys())
def test_a_resync_whose_answer_was_lost_succeeds(
    hook: FivetranHook, simulator: SimulatorServer, created: str, fault: dict[str, Any]
) -> None:
    simulator.control.add_fault(RESYNC, **fault)

    message = hook.resync_connection(created)

    assert f"POST /v1/connections/{created}/resync took effect" in message
    assert "retry was answered 409 Conflict" in message
    run = simulator.control.connection(created)["_sim"]["sync"]
    assert run is not None
    assert run["kind"] == "resync"  # the lost attempt's resync, running
    assert _statuses(simulator, "POST", ONE + "/resync")[-1] == 409
    assert len(calls(simulator.control.requests(), "POST", ONE + "/resync")) == 2
    # Known, not guessed: the connection was read before the resync and again after the 409.
    assert len(calls(simulator.control.requests(), "GET", ONE)) == 2


def test_a_resync_during_a_sync_still_fails_without_a_lost_answer(
    hook: FivetranHook, simulator: SimulatorServer, recorder: SleepRecorder, created: str
) -> None:
    hook.sync_connection(created)  # a sync runs: a resync now is a real conflict

    with pytest.raises(FivetranConflictError, match="409 Conflict"):
        hook.resync_connection(created)
    assert _statuses(simulator, "POST", ONE + "/resync") == [409]
    assert recorder.delays == []


# -- the async hook shares the mechanism ------------------------------------------------------------------------


async def test_async_call_takes_a_404_after_a_lost_delete_for_success(
    simulator: SimulatorServer, created: str
) -> None:
    simulator.control.add_fault(DELETE, "error", status=502, apply=True)
    path = connection_path(created)

    async with FivetranAsyncHook() as hook:
        envelope = await hook.call("DELETE", path, applied_statuses={404})

    assert envelope["code"] == "Success"
    assert "took effect" in envelope["message"]
    assert simulator.control.connections() == []
    assert _statuses(simulator, "DELETE", ONE) == [502, 404]


async def test_async_call_without_applied_statuses_raises_the_404(
    simulator: SimulatorServer, created: str
) -> None:
    simulator.control.add_fault(DELETE, "error", status=502, apply=True)

    async with FivetranAsyncHook() as hook:
        with pytest.raises(FivetranNotFoundError):
            await hook.call("DELETE", connection_path(created))


# -- the memory itself --------------------------------------------------------------------------------------------


def test_attempt_memory() -> None:
    from airflow_spotify_fivetran.exceptions import (
        FivetranRateLimitError,
        FivetranServerError,
        FivetranTransportError,
    )

    def api(cls: type, status: int) -> Any:
        return cls(status=status, code=None, message="", method="DELETE", path="/v1/connections/x")

    not_found = api(FivetranNotFoundError, 404)
    memory = AttemptMemory({404})
    assert not memory.applied_earlier(not_found)  # nothing lost yet
    memory.record(api(FivetranRateLimitError, 429))
    assert not memory.applied_earlier(not_found)  # a refusal is no lost answer
    memory.record(FivetranTransportError("connection failed"))
    assert memory.applied_earlier(not_found)
    assert not memory.applied_earlier(api(FivetranConflictError, 409))  # not one of its statuses
    assert not memory.applied_earlier(api(FivetranServerError, 502))

    assert not AttemptMemory().applied_earlier(not_found)
