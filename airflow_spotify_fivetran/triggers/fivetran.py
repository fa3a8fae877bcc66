"""Triggers polling a Fivetran connection until a decision of ``decisions`` says done or failed.

Each trigger takes the HTTP session its event loop shares (``FivetranAsyncHook``) for its whole run, polls with
``asyncio.sleep`` before each call (the task checked just before deferring), and ends with exactly one
event. It looks a last time at ``end_time`` and then gives up with a ``timeout`` event; a look still
unanswered one call's deadline (the hook's ``CallSettings.call_deadline``) after ``end_time`` is cut short with a
``timeout`` event too, so retries cannot carry a trigger past its end. ``hook_params`` (the task's, JSON
numbers checked by ``tasks.checked_hook_params``) go to ``FivetranAsyncHook`` as they went to the task's
hook. Over a Fivetran rate limit (a 429 the hook's own retries did not get past, such as the hourly
setup-test budget whose ``Retry-After`` runs to many minutes) the trigger waits as long as Fivetran asks, up to its ``end_time``, then ends with a ``timeout``
naming the limit. On any other error the hook could not retry away, or any other exception, it ends with an
``error`` event carrying the message. The
hook and the decisions are imported inside ``run`` (the hook in a worker thread, so that its first import
does not stall the triggerer's loop): the triggerer pays for them, a DAG file does not.

Triggers only read, with one deliberate exception: ``FivetranSetupTestsTrigger(retest=True)`` re-runs the
setup tests (``POST .../test``) on each poll. Re-running tests changes nothing but the test results, so a
triggerer restart that replays the trigger is harmless.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from importlib import import_module
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_spotify_fivetran.tasks import checked_hook_params
from airflow_spotify_fivetran.triggers.events import ERROR, TIMEOUT, decision_event, problem_event
from airflow_spotify_fivetran.utc import parse_utc

if TYPE_CHECKING:
    from airflow_spotify_fivetran.decisions import Decision
    from airflow_spotify_fivetran.hooks.fivetran_async import FivetranAsyncHook
    from airflow_spotify_fivetran.models import Connection


def _parse_time(value: str | None) -> datetime | None:
    """An ISO-8601 kwarg as an aware datetime (naive means UTC, so comparisons with now cannot raise)."""
    return parse_utc(value) if value else None


class _FivetranPollTrigger(BaseTrigger):
    """Shared loop: sleep, fetch, decide; subclasses say how to fetch and how to decide."""

    def __init__(
        self,
        *,
        connection_id: str,
        fivetran_conn_id: str,
        poll_interval: float,
        end_time: str | None,
        hook_params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.connection_id = connection_id
        self.fivetran_conn_id = fivetran_conn_id
        self.poll_interval = float(poll_interval)
        self.end_time = end_time
        self.hook_params = checked_hook_params(hook_params)

    def _kwargs(self) -> dict[str, Any]:
        return {
            "connection_id": self.connection_id,
            "fivetran_conn_id": self.fivetran_conn_id,
            "poll_interval": self.poll_interval,
            "end_time": self.end_time,
            "hook_params": dict(self.hook_params),
        }

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return f"{type(self).__module__}.{type(self).__qualname__}", self._kwargs()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.serialize() == self.serialize()

    def __hash__(self) -> int:
        return hash(self.serialize()[0])

    async def _fetch(self, hook: FivetranAsyncHook) -> Connection:
        return await hook.get_connection_details(self.connection_id)

    def _decide(self, connection: Connection) -> Decision:
        raise NotImplementedError

    def _result(self, connection: Connection) -> dict[str, Any]:
        return {"connection_id": connection.id}

    # The loop's clock and sleep: the wall clock's. A test replaces them on an instance to drive time
    # itself (they are not serialized: a trigger the triggerer rebuilds runs on the wall clock).
    def _now(self) -> datetime:
        return datetime.now(UTC)

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def _look(
        self, hook: FivetranAsyncHook, deadline: datetime | None, grace: float
    ) -> Connection | None:
        """One fetch; ``None`` if it is still unanswered ``grace`` seconds after ``deadline``."""
        if deadline is None:
            return await self._fetch(hook)
        limit = asyncio.timeout(max((deadline - self._now()).total_seconds(), 0.0) + grace)
        try:
            async with limit:
                return await self._fetch(hook)
        except TimeoutError:
            if limit.expired():  # ours, not a timeout raised inside the fetch
                return None
            raise

    async def run(self) -> AsyncIterator[TriggerEvent]:
        try:
            payload = await self._wait()
        except Exception as exc:  # not CancelledError (a BaseException): the triggerer stops the trigger
            from airflow_spotify_fivetran.exceptions import FivetranError

            # An API error reads well on its own; anything else (an unknown Airflow connection id, a bug)
            # is named with its type, so the task fails saying what happened, not as a bare trigger failure.
            message = str(exc) if isinstance(exc, FivetranError) else f"{type(exc).__name__}: {exc}"
            payload = problem_event(self.connection_id, ERROR, message)
        yield TriggerEvent(payload)

    async def _wait(self) -> dict[str, Any]:
        """Sleep, fetch, decide, until a decision that is not "wait" or the deadline; the event's payload.

        The task checked once just before deferring, so every fetch comes after a sleep (with
        ``retest=True`` a fetch is a setup-test run, which has a rate limit of its own). The last sleep ends
        at ``end_time``: the trigger looks once more then, and gives up if the answer is still "wait".
        """
        from airflow_spotify_fivetran.decisions import Verdict, next_pause, rate_limited
        from airflow_spotify_fivetran.exceptions import FivetranRateLimitError

        # The hook's first import (aiohttp, the http provider, pydantic models: a few hundred ms) runs in a
        # worker thread: in the loop it would stall every other trigger of this triggerer.
        hooks = await asyncio.to_thread(import_module, "airflow_spotify_fivetran.hooks.fivetran_async")
        deadline = _parse_time(self.end_time)
        async with hooks.FivetranAsyncHook(self.fivetran_conn_id, **self.hook_params) as hook:
            grace = hook.settings.call_deadline  # one attempt's deadline, retries excluded
            pause = self.poll_interval
            while True:
                delay, last = pause, False
                if deadline is not None:
                    remaining = (deadline - self._now()).total_seconds()
                    if remaining <= delay:
                        delay, last = max(remaining, 0.0), True
                await self._sleep(delay)
                try:
                    connection = await self._look(hook, deadline, grace)
                except FivetranRateLimitError as exc:
                    decision = rate_limited(exc.retry_after, str(exc))
                else:
                    if connection is None:
                        message = f"gave up waiting at {self.end_time}: Fivetran did not answer within {grace:g} s of it"
                        return problem_event(self.connection_id, TIMEOUT, message)
                    decision = self._decide(connection)
                    if decision.verdict is not Verdict.WAIT:
                        return decision_event(self.connection_id, decision, self._result(connection))
                if last:
                    message = f"gave up waiting at {self.end_time}: {decision.reason}"
                    return problem_event(self.connection_id, TIMEOUT, message)
                pause = next_pause(decision, self.poll_interval)
                self.log.info("%s", decision.reason)


class FivetranSetupTestsTrigger(_FivetranPollTrigger):
    """Wait until the connection's setup tests pass (``setup_state`` connected).

    :param retest: re-run the setup tests on every poll (for credentials or access granted later).
    :param failures_are_final: end the wait as soon as a test fails (see ``decisions.setup_decision``).
    """

    def __init__(
        self,
        *,
        connection_id: str,
        fivetran_conn_id: str,
        poll_interval: float,
        end_time: str | None,
        retest: bool = False,
        failures_are_final: bool = False,
        hook_params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            connection_id=connection_id,
            fivetran_conn_id=fivetran_conn_id,
            poll_interval=poll_interval,
            end_time=end_time,
            hook_params=hook_params,
        )
        self.retest = retest
        self.failures_are_final = failures_are_final

    def _kwargs(self) -> dict[str, Any]:
        return {**super()._kwargs(), "retest": self.retest, "failures_are_final": self.failures_are_final}

    async def _fetch(self, hook: FivetranAsyncHook) -> Connection:
        if self.retest:
            return await hook.run_setup_tests(self.connection_id)
        return await hook.get_connection_details(self.connection_id)

    def _decide(self, connection: Connection) -> Decision:
        from airflow_spotify_fivetran.decisions import setup_decision

        return setup_decision(connection, failures_are_final=self.failures_are_final)

    def _result(self, connection: Connection) -> dict[str, Any]:
        from airflow_spotify_fivetran.summaries import setup_summary

        return setup_summary(connection)


class FivetranSyncTrigger(_FivetranPollTrigger):
    """Wait until a sync requested after ``baseline`` (ISO time, or None) completes.

    :param baseline: the connection's last completion before the sync was requested.
    :param fail_on_rescheduled: end the wait with a failure when Fivetran reschedules the sync.
    """

    def __init__(
        self,
        *,
        connection_id: str,
        fivetran_conn_id: str,
        poll_interval: float,
        end_time: str | None,
        baseline: str | None,
        fail_on_rescheduled: bool = False,
        hook_params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            connection_id=connection_id,
            fivetran_conn_id=fivetran_conn_id,
            poll_interval=poll_interval,
            end_time=end_time,
            hook_params=hook_params,
        )
        self.baseline = baseline
        self.fail_on_rescheduled = fail_on_rescheduled

    def _kwargs(self) -> dict[str, Any]:
        return {
            **super()._kwargs(),
            "baseline": self.baseline,
            "fail_on_rescheduled": self.fail_on_rescheduled,
        }

    def _decide(self, connection: Connection) -> Decision:
        from airflow_spotify_fivetran.decisions import sync_decision

        return sync_decision(
            connection, baseline=_parse_time(self.baseline), fail_on_rescheduled=self.fail_on_rescheduled
        )

    def _result(self, connection: Connection) -> dict[str, Any]:
        from airflow_spotify_fivetran.summaries import sync_summary

        # The baseline travels back too: the deferred task returns the same XCom as a non-deferred one.
        return {**sync_summary(connection), "baseline": self.baseline}
