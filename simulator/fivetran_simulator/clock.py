"""The simulator's clock: wall time (``real``) or a clock that only moves when told to (``manual``).

Every time the simulator answers with (``created_at``, ``succeeded_at``, ``rescheduled_for``, rate-limit
windows, ``Retry-After``) comes from this clock, so a test can run a one-hour sync in no time by advancing it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fivetran_simulator.defaults import MANUAL_CLOCK_START

ClockMode = Literal["real", "manual"]
CLOCK_MODES: tuple[ClockMode, ...] = ("real", "manual")


def iso(moment: datetime) -> str:
    """Format a moment the way Fivetran does: UTC, microseconds, ``Z`` suffix."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    """Parse an ISO-8601 timestamp; a naive one is taken as UTC. Raises ``ValueError`` when malformed."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class SimClock:
    """A clock in one of two modes.

    ``manual`` starts at ``start`` (default 2026-01-01T00:00Z) and moves only through :meth:`advance` and
    :meth:`set`. ``real`` follows the wall clock plus an offset that :meth:`advance` and :meth:`set` change,
    so a demo can also skip ahead.
    """

    def __init__(self, mode: ClockMode = "real", start: datetime | None = None) -> None:
        if mode not in CLOCK_MODES:
            raise ValueError(f"clock must be one of {', '.join(CLOCK_MODES)}, not {mode!r}")
        self.mode: ClockMode = mode
        self._start = start or MANUAL_CLOCK_START
        self._manual_now = self._start
        self._offset = timedelta(0)

    def now(self) -> datetime:
        if self.mode == "manual":
            return self._manual_now
        return datetime.now(UTC) + self._offset

    def timestamp(self) -> float:
        """The current simulated time as POSIX seconds."""
        return self.now().timestamp()

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward; raises ``ValueError`` for a negative amount."""
        if seconds < 0:
            raise ValueError("the clock only advances: seconds must be >= 0")
        if self.mode == "manual":
            self._manual_now += timedelta(seconds=seconds)
        else:
            self._offset += timedelta(seconds=seconds)
        return self.now()

    def set(self, moment: datetime) -> datetime:
        """Jump to ``moment`` (forwards or backwards)."""
        if self.mode == "manual":
            self._manual_now = moment.astimezone(UTC)
        else:
            self._offset = moment.astimezone(UTC) - datetime.now(UTC)
        return self.now()

    def reset(self) -> None:
        self._manual_now = self._start
        self._offset = timedelta(0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "now": iso(self._manual_now),
            "offset_seconds": self._offset.total_seconds(),
        }

    def load(self, data: dict[str, Any]) -> None:
        """Restore a saved clock (same mode only: a manual clock resumes where it stopped)."""
        if data.get("mode") != self.mode:
            return
        if self.mode == "manual":
            self._manual_now = parse_iso(str(data["now"]))
        else:
            self._offset = timedelta(seconds=float(data.get("offset_seconds", 0.0)))
