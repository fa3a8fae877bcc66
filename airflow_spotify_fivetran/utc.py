"""Fivetran's times are UTC: the one place a time without a zone is read as UTC.

A naive time reaches the provider from people (a baseline typed by hand, a template rendering one) and from
older serialized triggers; read as UTC, it compares with Fivetran's aware times instead of raising. Imports
only the standard library.
"""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """``moment`` with UTC as its zone when it has none; an aware ``moment`` is returned as it is."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_utc(text: str) -> datetime:
    """An ISO-8601 time (``2026-01-01T00:00:00+00:00``, ``2026-01-01T00:00:00Z``) as an aware datetime;
    without an offset it is UTC (:func:`as_utc`).

    Raises:
        ValueError: ``text`` is not an ISO-8601 time.
    """
    return as_utc(datetime.fromisoformat(text.strip()))
