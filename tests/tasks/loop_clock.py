"""A clock many triggers share in one event loop, moved by the test (:class:`LoopClock`).

``FakeClock`` moves on by each sleep, which suits one trigger; many triggers sleeping in one loop need a
common time. Here a sleep waits until the clock reaches its wake-up, and :meth:`LoopClock.run` moves the
clock to the earliest wake-up only once every trigger still running is asleep (none is mid-request), then
tells the simulator's manual clock to move as far. Time is logical: the outcome does not depend on how fast
the machine is.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from airflow.triggers.base import BaseTrigger, TriggerEvent

from tests.tasks.clock import START


class LoopClock:
    def __init__(self, start: datetime = START) -> None:
        self.start = start
        self.elapsed = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = 0

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._seq += 1
        heapq.heappush(self._sleepers, (self.elapsed + max(seconds, 0.0), self._seq, future))
        await future

    def drive(self, trigger: Any) -> Any:
        """``trigger`` on this clock (its ``_now`` and ``_sleep``)."""
        trigger._now = self.now
        trigger._sleep = self.sleep
        return trigger

    def _asleep(self) -> int:
        return sum(1 for _, _, future in self._sleepers if not future.done())

    async def run(
        self,
        triggers: Sequence[BaseTrigger],
        *,
        until: float,
        on_advance: Callable[[float], Awaitable[None]] | None = None,
        started: Callable[[list[asyncio.Task[TriggerEvent]]], None] | None = None,
    ) -> list[TriggerEvent | None]:
        """Run every trigger to its first event, or until ``until`` seconds have passed on this clock (then
        the ones still waiting are cancelled: ``None``). ``started`` gets the tasks once they run."""
        tasks = [asyncio.create_task(first(self.drive(t))) for t in triggers]
        if started is not None:
            started(tasks)
        while not all(task.done() for task in tasks):
            running = sum(1 for task in tasks if not task.done())
            if self._asleep() < running or not self._sleepers:
                await asyncio.sleep(0.001)  # someone is mid-request: let the loop run it
                continue
            wake, _, _ = self._sleepers[0]
            if wake > until:
                break
            step = wake - self.elapsed
            self.elapsed = wake
            if on_advance is not None and step > 0:
                await on_advance(step)
            while self._sleepers and self._sleepers[0][0] <= self.elapsed:
                _, _, future = heapq.heappop(self._sleepers)
                if not future.done():
                    future.set_result(None)
        for task in tasks:
            if not task.done():
                task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        return [r if isinstance(r, TriggerEvent) else None for r in results]


async def first(trigger: BaseTrigger) -> TriggerEvent:
    events = cast("AsyncGenerator[TriggerEvent, None]", trigger.run())
    try:
        return await anext(events)
    finally:
        await events.aclose()
