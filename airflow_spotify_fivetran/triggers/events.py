"""The payload of the event a trigger sends back to its task: how it is built and how it is read.

Kept apart from the triggers so that the tasks' ``execute_complete`` reads events without importing
anything heavy. Event payloads are JSON only. What a task does with one is ``tasks.resume``; the trigger adds the
Fivetran API calls it made (``api_calls``, ``spend.ApiSpend.to_json``) as it sends the event, and the task adds
them to its own count.

A failed decision seen by a task's own check (before any deferral) is turned into the same payload
(``decision_event``), so a task fails alike whether its worker or its trigger saw the failure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from airflow_spotify_fivetran.decisions import Decision, Verdict
from airflow_spotify_fivetran.exceptions import FailedTest, FivetranError

#: ``status`` of an event: the wait ended well, ended badly, ran out of time, or could not ask Fivetran.
SUCCESS, FAILED, TIMEOUT, ERROR = "success", "failed", "timeout", "error"
EVENT_STATUSES = frozenset({SUCCESS, FAILED, TIMEOUT, ERROR})


def decision_event(connection_id: str, decision: Decision, result: Mapping[str, Any]) -> dict[str, Any]:
    """The payload of a finished wait (``decision`` is done or failed)."""
    return {
        "status": SUCCESS if decision.verdict is Verdict.DONE else FAILED,
        "connection_id": connection_id,
        "message": decision.reason,
        "broken": decision.broken,
        "failed_tests": failed_tests_payload(decision.failed_tests),
        "result": dict(result),
    }


def failed_tests_payload(failed: Iterable[FailedTest]) -> list[dict[str, Any]]:
    """Failing setup tests as JSON (``failed_tests_of`` reads them back)."""
    return [{"title": t.title, "status": t.status, "message": t.message} for t in failed]


def problem_event(connection_id: str, status: str, message: str) -> dict[str, Any]:
    """The payload of a wait that timed out or could not reach Fivetran."""
    return {
        "status": status,
        "connection_id": connection_id,
        "message": message,
        "broken": False,
        "failed_tests": [],
    }


def read_event(event: Any, *, expected_connection_id: str | None = None) -> dict[str, Any]:
    """Validate the event a deferred task resumes with; raise on anything unexpected.

    A missing or malformed event is an error, never a silent success.
    """
    if not isinstance(event, Mapping):
        raise FivetranError(f"the trigger sent no usable event (got {type(event).__name__})")
    status = event.get("status")
    if status not in EVENT_STATUSES:
        raise FivetranError(f"the trigger sent an event with unknown status {status!r}")
    if expected_connection_id and event.get("connection_id") != expected_connection_id:
        raise FivetranError(
            f"the trigger's event is about connection {event.get('connection_id')!r}, "
            f"not {expected_connection_id!r}"
        )
    return dict(event)


def failed_tests_of(event: Mapping[str, Any]) -> list[FailedTest]:
    return [
        FailedTest(title=str(t.get("title")), status=str(t.get("status")), message=t.get("message"))
        for t in event.get("failed_tests") or []
        if isinstance(t, Mapping)
    ]


def is_broken(event: Mapping[str, Any]) -> bool:
    """Whether a failure event is about a ``broken`` connection (``Decision.broken``)."""
    return event.get("broken") is True
