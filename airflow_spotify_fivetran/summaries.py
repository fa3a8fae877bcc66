"""JSON-safe summaries of a connection, for XComs, trigger events and logs. Never hold a secret."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_spotify_fivetran.models import Connection, SetupTest


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def schedule_summary(connection: Connection) -> dict[str, Any]:
    """The schedule as Fivetran holds it."""
    return {
        "sync_frequency": connection.sync_frequency,
        "daily_sync_time": connection.daily_sync_time,
        "schedule_type": str(connection.schedule_type) if connection.schedule_type else None,
        "paused": connection.paused,
    }


def setup_summary(connection: Connection) -> dict[str, Any]:
    """Setup state and each setup test's title, status and message."""
    return {
        "connection_id": connection.id,
        "setup_state": str(connection.status.setup_state),
        "setup_tests": [
            {"title": t.title, "status": str(t.status), "message": t.message}
            for t in connection.setup_tests or ()
        ],
        "schedule": schedule_summary(connection),
    }


def sync_summary(connection: Connection) -> dict[str, Any]:
    """Sync state and the last completion times."""
    return {
        "connection_id": connection.id,
        "sync_state": str(connection.status.sync_state),
        "succeeded_at": _iso(connection.succeeded_at),
        "failed_at": _iso(connection.failed_at),
    }


def setup_tests_table(tests: Iterable[SetupTest]) -> str:
    """A fixed-width table of setup tests for a task log."""
    rows = [(t.title, str(t.status), t.message or "") for t in tests]
    if not rows:
        return "(no setup tests reported)"
    width = max(len(r[0]) for r in rows)
    lines = [f"{'setup test'.ljust(width)}  status   message"]
    lines += [f"{title.ljust(width)}  {status.ljust(7)}  {message}" for title, status, message in rows]
    return "\n".join(lines)
