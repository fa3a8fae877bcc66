"""A clock the tests drive: triggers and worker waits take it instead of the wall clock.

``sleep`` returns at once (after letting the event loop run other tasks once) and moves the clock on by
the seconds asked, so a test of "poll every 30 s for an hour" runs in milliseconds and never depends on how
fast the machine is. Every sleep is recorded.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

START = datetime(2026, 1, 1, tzinfo=UTC)


class FakeClock:
    def __init__(self, start: datetime = START) -> None:
        self.start = start
        self.elapsed = 0.0
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        """The current moment (aware, UTC): what ``datetime.now(UTC)`` gives a trigger."""
        return self.start + timedelta(seconds=self.elapsed)

    def monotonic(self) -> float:
        """Seconds since the start: what ``time.monotonic()`` gives a worker wait."""
        return self.elapsed

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds

    def sleep_sync(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)

    async def sleep(self, seconds: float) -> None:
        self.sleep_sync(seconds)
        await asyncio.sleep(0)

    def at(self, seconds: float) -> datetime:
        """The moment ``seconds`` after the start (an ``end_time``, say)."""
        return self.start + timedelta(seconds=seconds)
