"""Fivetran-like rolling rate limits, measured on the simulator clock.

Buckets (README): all requests per hour (20,000; trial accounts 500) and setup-test requests (create or PATCH
with ``run_setup_tests``, and ``/test``) per minute (250) and per hour (2,500). Over a limit the app answers
``429 TooManyRequests`` with ``Retry-After`` = seconds until the oldest request of the full window leaves it.
Refused requests are not counted. Answers carry ``X-Rate-Limit`` (the hourly limit) and
``X-Rate-Limit-Remaining``.

``creates_per_minute`` (``POST /v1/connections`` per rolling minute) is opt-in: off unless a scenario sets it,
``{}`` (Fivetran's limits) included. Its basis is users' reports only ("No more than 20 connectors can be
created in one-minute time period", ``../shared/fivetran-api/README.md``, Corrections; ``FIVETRAN_CREATES_PER_MINUTE``);
the shape of Fivetran's refusal is unconfirmed, so it answers like the other buckets (429 ``TooManyRequests``
with ``Retry-After``). A create counts against it and, with ``run_setup_tests``, against the setup-test
buckets too.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

FIVETRAN_ALL_PER_HOUR = 20_000
FIVETRAN_SETUP_TESTS_PER_MINUTE = 250
FIVETRAN_SETUP_TESTS_PER_HOUR = 2_500
#: Reported by users, not documented by Fivetran: the value to set ``creates_per_minute`` to (it is off by default).
FIVETRAN_CREATES_PER_MINUTE = 20
LIMIT_FIELDS = ("all_per_hour", "setup_tests_per_minute", "setup_tests_per_hour", "creates_per_minute")


@dataclass
class RateLimits:
    """Limits; ``None`` disables a bucket. Missing fields of a scenario take Fivetran's values, except
    ``creates_per_minute``, which stays off unless set (module docstring)."""

    all_per_hour: int | None = FIVETRAN_ALL_PER_HOUR
    setup_tests_per_minute: int | None = FIVETRAN_SETUP_TESTS_PER_MINUTE
    setup_tests_per_hour: int | None = FIVETRAN_SETUP_TESTS_PER_HOUR
    creates_per_minute: int | None = None

    @classmethod
    def from_dict(cls, data: Any) -> RateLimits:
        if not isinstance(data, dict):
            raise ValueError("rate_limits must be an object or null")
        unknown = set(data) - set(LIMIT_FIELDS)
        if unknown:
            raise ValueError(
                f"unknown field rate_limits.{sorted(unknown)[0]}; allowed: {', '.join(LIMIT_FIELDS)}"
            )
        limits = cls()
        for key in LIMIT_FIELDS:
            if key in data:
                value = data[key]
                if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                    raise ValueError(f"rate_limits.{key} must be a whole number >= 1 or null")
                setattr(limits, key, value)
        return limits

    def to_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in LIMIT_FIELDS}


@dataclass
class Verdict:
    allowed: bool
    retry_after: int
    headers: dict[str, str]


class RateLimiter:
    """Rolling windows of request timestamps (simulator seconds)."""

    def __init__(self, limits: RateLimits | None) -> None:
        self.limits = limits
        self._all: deque[float] = deque()
        self._setup_minute: deque[float] = deque()
        self._setup_hour: deque[float] = deque()
        self._creates_minute: deque[float] = deque()

    def reset(self, limits: RateLimits | None) -> None:
        """Apply new limits and forget every counted request."""
        self.limits = limits
        for window in (self._all, self._setup_minute, self._setup_hour, self._creates_minute):
            window.clear()

    def check(self, now: float, *, setup_test: bool, create: bool = False) -> Verdict:
        """Decide on one request at ``now`` (a setup-test request, a create) and count it when allowed."""
        limits = self.limits
        if limits is None:
            return Verdict(True, 0, {})
        buckets: list[tuple[deque[float], float, int | None]] = [(self._all, 3600.0, limits.all_per_hour)]
        if setup_test:
            buckets.append((self._setup_minute, 60.0, limits.setup_tests_per_minute))
            buckets.append((self._setup_hour, 3600.0, limits.setup_tests_per_hour))
        if create:
            buckets.append((self._creates_minute, 60.0, limits.creates_per_minute))
        retry_after = 0
        for window, span, limit in buckets:
            while window and window[0] <= now - span:
                window.popleft()
            if limit is not None and len(window) >= limit:
                # The request may pass once enough of the oldest requests have left the window.
                oldest = window[len(window) - limit]
                retry_after = max(retry_after, max(1, math.ceil(oldest + span - now)))
        allowed = retry_after == 0
        if allowed:
            for window, _, limit in buckets:
                if limit is not None:
                    window.append(now)
        headers: dict[str, str] = {}
        if limits.all_per_hour is not None:
            headers["X-Rate-Limit"] = str(limits.all_per_hour)
            headers["X-Rate-Limit-Remaining"] = str(max(0, limits.all_per_hour - len(self._all)))
        return Verdict(allowed, retry_after, headers)
