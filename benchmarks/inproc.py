"""Running our tasks in-process, as a worker would run them, without a scheduler or a metadata database.

``run_task(operator)`` calls ``execute`` with a minimal context (a task instance that records XComs); when
the task defers, the trigger runs to its first event in a fresh event loop (as the triggerer would) and the
task resumes through the method it named, with that event. Only the code paths of the provider run.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any


class RecordingTI:
    """The part of a task instance our tasks use: ``xcom_push`` (recorded)."""

    def __init__(self) -> None:
        self.xcoms: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value


def new_context() -> dict[str, Any]:
    return {"ti": RecordingTI(), "dag_run": SimpleNamespace(start_date=datetime.now(UTC))}


async def _first_event(trigger: Any) -> Any:
    events: AsyncGenerator[Any, None] = trigger.run()
    try:
        return await anext(events)
    finally:
        await events.aclose()


def run_task(operator: Any, context: dict[str, Any] | None = None) -> tuple[Any, int]:
    """``(return value, number of deferrals)`` of one task run."""
    from airflow.sdk.exceptions import TaskDeferred

    context = context if context is not None else new_context()
    deferrals = 0
    try:
        return operator.execute(context), deferrals
    except TaskDeferred as deferred:
        deferrals += 1
        event = asyncio.run(_first_event(deferred.trigger))
        resume = getattr(operator, deferred.method_name)
        return resume(context, event=event.payload, **(deferred.kwargs or {})), deferrals
