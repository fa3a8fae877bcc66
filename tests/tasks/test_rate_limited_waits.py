"""Waits and Fivetran's rate limits: over a limit, every way of waiting keeps waiting, for as long as Fivetran
asks, bounded by the wait's own timeout. Tasks that write keep the hook's cap (see tests/hooks/test_retries.py).

The deferred path (the trigger) is in test_triggers.py; here: the sensor's poke, its first check before
deferring, and the worker-side wait of the operators.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from airflow.sdk import Context, PokeReturnValue

from airflow_spotify_fivetran.decisions import Decision, Verdict
from airflow_spotify_fivetran.exceptions import FivetranRateLimitError, FivetranWaitTimeoutError
from airflow_spotify_fivetran.sensors.fivetran import FivetranSetupTestsSensor
from airflow_spotify_fivetran.tasks import wait_in_worker
from tests.helpers.task_calls import expect_deferral
from tests.tasks.clock import FakeClock
from tests.tasks.sim import Sim

LOG = logging.getLogger(__name__)
HOURLY_LIMIT = 300  # a Retry-After beyond the hook's in-call cap (MAX_RETRY_AFTER, 120 s)


def limited(conn_id: str, sim: Sim, count: int | None = 1) -> None:
    sim.control.add_fault(
        f"GET /v1/connections/{conn_id}", "error", status=429, retry_after=HOURLY_LIMIT, count=count
    )


def sensor(conn_id: str, *, deferrable: bool) -> FivetranSetupTestsSensor:
    return FivetranSetupTestsSensor(task_id="wait", connection_id=conn_id, deferrable=deferrable)


def test_a_poke_over_the_rate_limit_keeps_the_sensor_waiting(sim: Sim, context: Context) -> None:
    conn_id = sim.create()
    limited(conn_id, sim)
    task = sensor(conn_id, deferrable=False)

    assert task.poke(context) is False
    done = task.poke(context)

    assert isinstance(done, PokeReturnValue)
    assert done.is_done
    assert [e["status"] for e in sim.requests()] == [429, 200]


def test_a_first_check_over_the_rate_limit_defers_instead_of_failing(sim: Sim, context: Context) -> None:
    conn_id = sim.create()
    limited(conn_id, sim)

    deferred = expect_deferral(sensor(conn_id, deferrable=True), context)

    assert deferred.trigger.connection_id == conn_id


class Looks:
    """A check answering from a script: an exception is raised, a verdict is decided."""

    def __init__(self, *script: Exception | Verdict) -> None:
        self.script = list(script)

    def __call__(self) -> tuple[Decision, dict[str, Any]]:
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return Decision(step, f"verdict {step}"), {"verdict": str(step)}


def rate_limit() -> FivetranRateLimitError:
    return FivetranRateLimitError(
        status=429, code="TooManyRequests", message="setup tests per hour", retry_after=HOURLY_LIMIT
    )


def test_a_worker_side_wait_sleeps_as_long_as_fivetran_asks() -> None:
    clock = FakeClock()
    look = Looks(Verdict.WAIT, rate_limit(), Verdict.DONE)

    decision, result = wait_in_worker(
        look,
        poll_interval=30,
        timeout=3600,
        log=LOG,
        what="the sync",
        sleep=clock.sleep_sync,
        clock=clock.monotonic,
    )

    assert decision.verdict is Verdict.DONE
    assert result == {"verdict": "done"}
    assert clock.sleeps == [30, HOURLY_LIMIT]


def test_a_worker_side_wait_over_the_rate_limit_at_its_timeout_names_the_limit() -> None:
    clock = FakeClock()
    look = Looks(rate_limit(), rate_limit())

    with pytest.raises(FivetranWaitTimeoutError, match=r"over Fivetran's rate limit: .*429"):
        wait_in_worker(
            look,
            poll_interval=30,
            timeout=400,
            log=LOG,
            what="the sync",
            sleep=clock.sleep_sync,
            clock=clock.monotonic,
        )
    assert clock.sleeps == [HOURLY_LIMIT]
