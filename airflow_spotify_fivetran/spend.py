"""What a task spent of Fivetran's API budget: the HTTP requests it sent, and how many of them were retries.

Fivetran limits requests per account (20,000 an hour, 500 on a trial; setup-test requests 250 a minute and
2,500 an hour: ``../shared/fivetran-api/README.md``, "Rate limits"), so a request is counted whether it was
answered, refused or lost. Every hook keeps one ``ApiSpend`` (``hook.spend``), counted where a request is
sent; a trigger adds its hooks' to its own and sends the total back in its event; a task logs what it spent in
each try and pushes it to XCom under ``API_CALLS_XCOM_KEY``, so a DAG can add up a run (the fleet DAG's last
task does).

Stdlib only: imported by tasks at parse time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: The XCom key under which each task pushes what it spent (``ApiSpend.to_json``).
API_CALLS_XCOM_KEY = "api_calls"


@dataclass
class ApiSpend:
    """Requests sent to Fivetran (``calls``), of which ``retries`` repeated an earlier attempt of one call."""

    calls: int = 0
    retries: int = 0

    def count(self, attempt: int) -> None:
        """One request sent: the ``attempt``-th of its call (1 for the first)."""
        self.calls += 1
        if attempt > 1:
            self.retries += 1

    def add(self, other: ApiSpend) -> ApiSpend:
        """Add ``other`` into this one (and return this one)."""
        self.calls += other.calls
        self.retries += other.retries
        return self

    def to_json(self) -> dict[str, int]:
        return {"calls": self.calls, "retries": self.retries}

    @classmethod
    def from_json(cls, value: Any) -> ApiSpend:
        """Read back ``to_json``; anything else (an old event without a count, a garbled value) counts as 0,
        since a count is a report, not something to fail a task over."""
        if not isinstance(value, Mapping):
            return cls()
        return cls(calls=_count(value.get("calls")), retries=_count(value.get("retries")))

    def __str__(self) -> str:
        return describe(self.calls, self.retries)


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def describe(calls: int, retries: int) -> str:
    """``3 Fivetran API calls (1 retry)``: how logs say a spend."""
    noun = "call" if calls == 1 else "calls"
    retry = "retry" if retries == 1 else "retries"
    return f"{calls} Fivetran API {noun} ({retries} {retry})"


def total(values: Iterable[Any]) -> ApiSpend:
    """The sum of spends pushed to XCom (``to_json`` values; ``None`` and malformed ones count as 0)."""
    spend = ApiSpend()
    for value in values:
        spend.add(ApiSpend.from_json(value))
    return spend
