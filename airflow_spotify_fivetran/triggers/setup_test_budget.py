"""The setup-test budget of one event loop and Airflow connection: re-tests stay under Fivetran's limit.

Fivetran limits setup-test requests per account to 250 a rolling minute and 2,500 a rolling hour
(``../shared/fivetran-api/README.md``, "Rate limits"). Two hundred waits re-testing every 30 s would ask for
400 a minute and meet a wall of 429s. Every re-test of the triggers in one triggerer through one Airflow
connection takes a slot of a ``SetupTestBudget`` first (``take``): a rolling-window limiter kept at
``BUDGET_SHARE`` of each limit, leaving the rest to other clients of the same account (the create tasks,
another Airflow). A 429 that still comes (another client spent the account's budget) is a rate limit like any
other: the wait sleeps its ``Retry-After`` (``decisions.rate_limited``).

Times come from the callers (a trigger's ``_now`` and ``_sleep``), so tests drive them. Budgets are counted by
their users (``use_setup_test_budget``) and dropped with the last one.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

#: Fivetran's setup-test limits per account (README "Rate limits"): per rolling minute, per rolling hour.
FIVETRAN_SETUP_TESTS_PER_MINUTE = 250
FIVETRAN_SETUP_TESTS_PER_HOUR = 2_500
#: The share of those limits one triggerer's re-tests through one Airflow connection may use: 80%, leaving a
#: fifth of the account's budget to its other clients (creates run setup tests too).
BUDGET_SHARE = 0.8


@dataclass
class SetupTestBudget:
    """Rolling windows of the moments re-tests were let through (seconds since the epoch)."""

    per_minute: int = int(FIVETRAN_SETUP_TESTS_PER_MINUTE * BUDGET_SHARE)
    per_hour: int = int(FIVETRAN_SETUP_TESTS_PER_HOUR * BUDGET_SHARE)
    users: int = 0
    _minute: deque[float] = field(default_factory=deque)
    _hour: deque[float] = field(default_factory=deque)

    def wait_for(self, now: datetime) -> float:
        """Seconds from ``now`` until a re-test fits both windows (0: it fits now)."""
        moment = now.timestamp()
        wait = 0.0
        for window, span, limit in (
            (self._minute, 60.0, self.per_minute),
            (self._hour, 3600.0, self.per_hour),
        ):
            while window and window[0] <= moment - span:
                window.popleft()
            if len(window) >= limit:
                # Fits once enough of the oldest have left the window.
                wait = max(wait, window[len(window) - limit] + span - moment)
        return wait

    def _record(self, now: datetime) -> None:
        moment = now.timestamp()
        self._minute.append(moment)
        self._hour.append(moment)

    async def take(
        self,
        now: Callable[[], datetime],
        sleep: Callable[[float], Awaitable[None]],
        latest: datetime | None = None,
    ) -> bool:
        """Wait for a slot and take it (True); False, at once, when the slot would come after ``latest``
        (the wait's end: it decides from what it read instead of re-testing)."""
        while True:
            moment = now()
            wait = self.wait_for(moment)
            if wait <= 0:
                self._record(moment)
                return True
            if latest is not None and (latest - moment).total_seconds() < wait:
                return False
            await sleep(wait)


_BUDGETS: dict[tuple[int, str], SetupTestBudget] = {}


@contextmanager
def use_setup_test_budget(fivetran_conn_id: str) -> Iterator[SetupTestBudget]:
    """The running loop's budget of ``fivetran_conn_id``, held for the ``with`` block."""
    key = (id(asyncio.get_running_loop()), fivetran_conn_id)
    budget = _BUDGETS.get(key)
    if budget is None:
        budget = _BUDGETS[key] = SetupTestBudget()
    budget.users += 1
    try:
        yield budget
    finally:
        budget.users -= 1
        if budget.users == 0 and _BUDGETS.get(key) is budget:
            del _BUDGETS[key]


def active_budgets() -> int:
    """Budgets in use in this process (every loop): none once every re-testing wait has ended."""
    return len(_BUDGETS)
