"""Calling a task's methods directly, without Airflow running it: a task instance that records XComs, a minimal
context, the deferral ``execute`` raises, the first event of a trigger run for real, and an upstream XCom as a
templated argument.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

import pytest

if TYPE_CHECKING:
    from airflow.sdk import Context
    from airflow.sdk.exceptions import TaskDeferred
    from airflow.triggers.base import BaseTrigger, TriggerEvent


class RecordingTI:
    """The part of a task instance our tasks use: ``xcom_push`` (recorded)."""

    def __init__(self) -> None:
        self.xcoms: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value


def task_context(ti: RecordingTI) -> Context:
    """A minimal context: ``ti`` and a ``dag_run`` that started now."""
    return cast("Context", {"ti": ti, "dag_run": SimpleNamespace(start_date=datetime.now(UTC))})


def pulled(task: Any, key: str = "return_value") -> Any:
    """The XCom ``key`` of an upstream ``task``, as a templated argument (an ``XComArg``)."""
    from airflow.sdk import XComArg

    return XComArg(task, key=key)


def expect_deferral(task: Any, context: Context) -> TaskDeferred:
    """Call ``task.execute(context)``, which must defer; returns the ``TaskDeferred`` (trigger, method)."""
    from airflow.sdk.exceptions import TaskDeferred

    with pytest.raises(TaskDeferred) as deferred:
        task.execute(context)
    assert deferred.value.method_name == "execute_complete"
    return deferred.value


def first_event(trigger: BaseTrigger, timeout: float = 20) -> TriggerEvent:
    """Run ``trigger`` for real (its own event loop) until its first event."""

    async def run() -> TriggerEvent:
        events = cast("AsyncGenerator[TriggerEvent, None]", trigger.run())
        try:
            return await asyncio.wait_for(anext(events), timeout)
        finally:
            await events.aclose()

    return asyncio.run(run())
