"""The retry policy shared by the sync and the async hook (tenacity does the looping).

Retried: 429 (after ``Retry-After`` when Fivetran sends it), 500, 502, 503, 504, no answer at all
(connection refused or dropped, timeouts) and unreadable answers (truncated or non-JSON bodies). Never
retried: other 4xx, which would fail the same way again.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from typing import Any, TypeGuard

import tenacity

from airflow_spotify_fivetran.exceptions import (
    FivetranApiError,
    FivetranResponseError,
    FivetranTransportError,
)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})

#: First back-off step and the cap of one exponential back-off step, in seconds.
BASE_DELAY = 1.0
MAX_DELAY = 30.0
#: Longest ``Retry-After`` we wait for inside one call; a longer one (an hourly limit) fails the call with
#: a clear message instead of holding a worker slot for up to an hour.
MAX_RETRY_AFTER = 120.0


def is_transient(exc: BaseException) -> bool:
    """Whether another attempt of the same call may succeed."""
    if isinstance(exc, FivetranApiError):
        if exc.status == 429 and exc.retry_after is not None and exc.retry_after > MAX_RETRY_AFTER:
            return False
        return exc.status in RETRYABLE_STATUSES
    return isinstance(exc, FivetranTransportError | FivetranResponseError)


def lost_answer(exc: BaseException) -> bool:
    """Whether a request may have been applied although its answer never reached us.

    A 429 is a refusal before anything happens; a timeout, a dropped connection, a 5xx or a garbled body
    are not: the server may have done the work.
    """
    if isinstance(exc, FivetranApiError):
        return exc.status >= 500
    return isinstance(exc, FivetranTransportError | FivetranResponseError)


class AttemptMemory:
    """What the failed attempts of one call tell the next ones: whether an earlier answer was lost.

    A call that is not idempotent may meet the effect of its own lost attempt when retried: the DELETE that
    was applied before its answer was lost is retried into ``404``, the resync into ``409`` (a sync is
    running: ours). ``applied_statuses`` are the statuses that, after a lost answer, mean "done".
    """

    def __init__(self, applied_statuses: Collection[int] = ()) -> None:
        self.applied_statuses = frozenset(applied_statuses)
        self.lost = False

    def record(self, exc: BaseException) -> None:
        """Remember a failed attempt."""
        self.lost = self.lost or lost_answer(exc)

    def applied_earlier(self, exc: BaseException) -> TypeGuard[FivetranApiError]:
        """Whether ``exc``, the answer to a retry, says an earlier attempt whose answer was lost did the work."""
        return self.lost and isinstance(exc, FivetranApiError) and exc.status in self.applied_statuses


def backoff_delay(attempt: int, exc: BaseException | None, rng: random.Random | None = None) -> float:
    """Seconds to wait before attempt ``attempt + 1``: ``Retry-After`` when given, else jittered exponential."""
    if isinstance(exc, FivetranApiError) and exc.retry_after is not None:
        return min(exc.retry_after, MAX_RETRY_AFTER)
    step = min(MAX_DELAY, BASE_DELAY * 2 ** (attempt - 1))
    return (rng or random).uniform(step / 2, step)


def _wait(retry_state: tenacity.RetryCallState) -> float:
    outcome = retry_state.outcome
    exc = outcome.exception() if outcome is not None else None
    return backoff_delay(retry_state.attempt_number, exc)


def retrying_kwargs(max_attempts: int, **overrides: Any) -> dict[str, Any]:
    """Arguments for ``tenacity.Retrying`` / ``AsyncRetrying`` implementing the policy above."""
    kwargs: dict[str, Any] = {
        "stop": tenacity.stop_after_attempt(max_attempts),
        "wait": _wait,
        "retry": tenacity.retry_if_exception(is_transient),
        "reraise": True,
    }
    kwargs.update(overrides)
    return kwargs
