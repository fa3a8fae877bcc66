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

With a ``group_id`` (the task learned it from its first check), a look goes through the group's shared list
poll (``group_poll``): the waits of one group in one triggerer cost one list request per poll interval, not
one request each. A connection the group's answer does not hold is read on its own (``GET``), as is every
connection of a trigger without a group (serialized by an earlier version, or whose task could not learn it).

Triggers only read, with one deliberate exception: ``FivetranSetupTestsTrigger(retest=True)`` re-runs the
setup tests (``POST .../test``) at the looks ``decisions.retest_due`` names (gaps doubling from the poll
interval up to ``decisions.RETEST_MAX_GAP``, counted from the wait's start, ``wait_started``), reading the
connection at the looks between; each re-test first takes a slot of the triggerer's setup-test budget
(``setup_test_budget``). Re-running tests changes nothing but the test results, so a triggerer restart that
replays the trigger is harmless. ``spend`` adds up the requests a trigger sent (a shared fetch counts for the
trigger that started it).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import ExitStack
from datetime import UTC, datetime
from importlib import import_module
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_spotify_fivetran.spend import API_CALLS_XCOM_KEY, ApiSpend
from airflow_spotify_fivetran.tasks import checked_hook_params
from airflow_spotify_fivetran.triggers.events import ERROR, TIMEOUT, decision_event, problem_event
from airflow_spotify_fivetran.utc import parse_utc

if TYPE_CHECKING:
    from airflow_spotify_fivetran.decisions import Decision
    from airflow_spotify_fivetran.hooks.fivetran_async import FivetranAsyncHook
    from airflow_spotify_fivetran.models import Connection
    from airflow_spotify_fivetran.triggers.group_poll import GroupPoller
    from airflow_spotify_fivetran.triggers.setup_test_budget import SetupTestBudget


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
        group_id: str | None = None,
    ) -> None:
        super().__init__()
        self.connection_id = connection_id
        self.fivetran_conn_id = fivetran_conn_id
        self.poll_interval = float(poll_interval)
        self.end_time = end_time
        self.hook_params = checked_hook_params(hook_params)
        self.group_id = group_id or None
        #: Requests this trigger sent (its hook's, and the shared list fetches it started).
        self.spend = ApiSpend()
        self._poller: GroupPoller | None = None

    def _kwargs(self) -> dict[str, Any]:
        return {
            "connection_id": self.connection_id,
            "fivetran_conn_id": self.fivetran_conn_id,
            "poll_interval": self.poll_interval,
            "end_time": self.end_time,
            "hook_params": dict(self.hook_params),
            "group_id": self.group_id,
        }

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return f"{type(self).__module__}.{type(self).__qualname__}", self._kwargs()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.serialize() == self.serialize()

    def __hash__(self) -> int:
        return hash(self.serialize()[0])

    async def _fetch(self, hook: FivetranAsyncHook) -> Connection:
        return await self._read(hook)

    async def _read(self, hook: FivetranAsyncHook) -> Connection:
        """The connection as it is now: from the group's shared poll when there is one, else its own GET."""
        if self._poller is not None:
            from airflow_spotify_fivetran.hooks.api import CONNECTIONS_PATH
            from airflow_spotify_fivetran.models import Connection

            item = await self._poller.connection(
                self.connection_id, max_age=self.poll_interval, now=self._now(), spend=self.spend
            )
            if item is not None:
                return Connection.from_api(item, method="GET", path=CONNECTIONS_PATH)
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
        payload[API_CALLS_XCOM_KEY] = self.spend.to_json()  # complete now: the task adds it to its own
        yield TriggerEvent(payload)

    async def _wait(self) -> dict[str, Any]:
        """Run the loop with this trigger's hook, and what it shares with the other triggers of its event
        loop (``_share``); the event's payload. Whatever happens, ``spend`` ends up holding what it sent."""
        # The hook's first import (aiohttp, the http provider, pydantic models: a few hundred ms) runs in a
        # worker thread: in the loop it would stall every other trigger of this triggerer.
        hooks = await asyncio.to_thread(import_module, "airflow_spotify_fivetran.hooks.fivetran_async")
        hook = hooks.FivetranAsyncHook(self.fivetran_conn_id, **self.hook_params)
        try:
            with ExitStack() as shared:
                self._share(shared)
                async with hook:
                    return await self._loop(hook, _parse_time(self.end_time))
        finally:
            self._poller = None
            self.spend.add(hook.spend)

    def _share(self, shared: ExitStack) -> None:
        """Join, for this run, what the triggers of one event loop share (a group's poll)."""
        if self.group_id:
            from airflow_spotify_fivetran.triggers.group_poll import use_group_poller

            self._poller = shared.enter_context(
                use_group_poller(self.fivetran_conn_id, self.hook_params, self.group_id)
            )

    async def _loop(self, hook: FivetranAsyncHook, deadline: datetime | None) -> dict[str, Any]:
        """Sleep, fetch, decide, until a decision that is not "wait" or the deadline; the event's payload.

        The task checked once just before deferring, so every fetch comes after a sleep (with
        ``retest=True`` that check re-ran the setup tests, which have a rate limit of their own). The last
        sleep ends at ``end_time``: the trigger looks once more then, and gives up if the answer is still
        "wait".
        """
        from airflow_spotify_fivetran.decisions import Verdict, next_pause, rate_limited
        from airflow_spotify_fivetran.exceptions import FivetranRateLimitError

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

    :param retest: re-run the setup tests while they fail (for credentials or access granted later), at the
        looks ``decisions.retest_due`` names, within the triggerer's setup-test budget; the looks between
        read the connection.
    :param failures_are_final: end the wait as soon as a test fails (see ``decisions.setup_decision``).
    :param group_id: the connection's group: read through the group's shared poll (None: its own GET).
    :param wait_started: when the wait began (ISO time; the task's first check, which re-tested): the
        re-test schedule counts from it. None: from the start of this trigger's run.
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
        group_id: str | None = None,
        wait_started: str | None = None,
    ) -> None:
        super().__init__(
            connection_id=connection_id,
            fivetran_conn_id=fivetran_conn_id,
            poll_interval=poll_interval,
            end_time=end_time,
            hook_params=hook_params,
            group_id=group_id,
        )
        self.retest = retest
        self.failures_are_final = failures_are_final
        self.wait_started = wait_started
        self._budget: SetupTestBudget | None = None
        self._started: datetime | None = None
        self._previous_look: datetime | None = None

    def _kwargs(self) -> dict[str, Any]:
        return {
            **super()._kwargs(),
            "retest": self.retest,
            "failures_are_final": self.failures_are_final,
            "wait_started": self.wait_started,
        }

    def _share(self, shared: ExitStack) -> None:
        super()._share(shared)
        self._started = _parse_time(self.wait_started) or self._now()
        self._previous_look = None  # a rebuilt trigger knows no earlier look (decisions.retest_due)
        if self.retest:
            from airflow_spotify_fivetran.triggers.setup_test_budget import use_setup_test_budget

            self._budget = shared.enter_context(use_setup_test_budget(self.fivetran_conn_id))

    async def _fetch(self, hook: FivetranAsyncHook) -> Connection:
        """A re-test when one is due and the budget has room before the end time; a read otherwise.

        A due look re-tests without reading first: the test's answer is the connection as it is now.
        """
        if self.retest and self._budget is not None and self._started is not None:
            from airflow_spotify_fivetran.decisions import retest_due

            now = self._now()
            previous, self._previous_look = self._previous_look, now
            if retest_due(self._started, previous, now, self.poll_interval) and await self._budget.take(
                self._now, self._sleep, latest=_parse_time(self.end_time)
            ):
                return await hook.run_setup_tests(self.connection_id)
        return await self._read(hook)

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
    :param group_id: the connection's group: read through the group's shared poll (None: its own GET).
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
        group_id: str | None = None,
    ) -> None:
        super().__init__(
            connection_id=connection_id,
            fivetran_conn_id=fivetran_conn_id,
            poll_interval=poll_interval,
            end_time=end_time,
            hook_params=hook_params,
            group_id=group_id,
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
