"""Errors raised by this provider.

The hierarchy::

    FivetranError                      base of everything we raise
    ├── FivetranInputError             bad input, refused before any HTTP call (also a ValueError)
    │   └── FivetranConfigurationError an Airflow connection that cannot be used (scheme, URL, key)
    ├── FivetranResponseError          Fivetran answered something we cannot read (not JSON, no envelope)
    ├── FivetranApiError               Fivetran answered an HTTP error (status, code, message, request id)
    │   ├── FivetranAuthError          401 / 403: API key or secret wrong or lacking permission
    │   ├── FivetranNotFoundError      404: unknown connection or group
    │   ├── FivetranConflictError      409: schema already used in the group, or resync during a sync
    │   ├── FivetranRateLimitError     429: over a rate limit; ``retry_after`` in seconds when given
    │   ├── FivetranBadRequestError    400 / 422: the API refused the body
    │   └── FivetranServerError        5xx
    ├── FivetranTransportError         no answer at all (connection refused or dropped, timeout)
    ├── FivetranSetupTestsFailedError  setup tests failed for good (carries each failing test)
    ├── FivetranConnectionBrokenError  the connection's ``setup_state`` is ``broken``
    ├── FivetranSyncFailedError        a sync ended in failure
    ├── FivetranDriftError             an existing connection differs from what the task asked for
    └── FivetranWaitTimeoutError       a wait ran past its timeout

Every message is written for the person reading a task log: it says what happened and what to do.
No message ever holds a secret: models mask them, and the hook registers them with Airflow's masker.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any


class FivetranError(Exception):
    """Base class of every error raised by ``airflow_spotify_fivetran``."""


@dataclass(frozen=True)
class InputProblem:
    """One refused value: where it is (``config.report_list[1].fields[0]``), what it was, why it is wrong."""

    path: str
    message: str
    value: Any = None

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class FivetranInputError(FivetranError, ValueError):
    """Input refused before any call to Fivetran; lists every problem with its field path."""

    def __init__(self, problems: Sequence[InputProblem], *, what: str = "input") -> None:
        self.problems: tuple[InputProblem, ...] = tuple(problems)
        self.what = what
        super().__init__(self._render())

    def _render(self) -> str:
        count = len(self.problems)
        head = f"Invalid {self.what} ({count} problem{'s' if count != 1 else ''}):"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])

    @property
    def paths(self) -> list[str]:
        return [p.path for p in self.problems]


class FivetranConfigurationError(FivetranInputError):
    """The Airflow connection cannot be used as it is (unsupported scheme, malformed URL, an API key or secret
    HTTP cannot carry). Never retried: fix the connection. Each problem names the connection's field."""

    def __init__(self, problems: Sequence[InputProblem], *, conn_id: str) -> None:
        self.conn_id = conn_id
        super().__init__(problems, what=f"Airflow connection {conn_id!r}")


class FivetranResponseError(FivetranError):
    """Fivetran's answer could not be read: not JSON, truncated, or not the documented envelope."""

    def __init__(self, message: str, *, method: str = "", path: str = "", status: int | None = None) -> None:
        self.method = method
        self.path = path
        self.status = status
        where = f"{method} {path} -> {status}: " if method else ""
        super().__init__(f"{where}{message}")


class FivetranApiError(FivetranError):
    """Fivetran answered with an HTTP error status.

    ``str()`` reads like ``POST /v1/connections -> 409 Conflict: <Fivetran's message>``, followed by a hint
    where we know what the user should do, and the number of attempts where retries were made.
    """

    def __init__(
        self,
        *,
        status: int,
        code: str | None,
        message: str,
        method: str = "",
        path: str = "",
        request_id: str | None = None,
        attempts: int = 1,
        hint: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.api_message = message
        self.method = method
        self.path = path
        self.request_id = request_id
        self.attempts = attempts
        self.hint = hint
        self.retry_after = retry_after
        super().__init__(self._render())

    def _render(self) -> str:
        where = f"{self.method} {self.path} -> " if self.method else ""
        text = f"{where}{self.status} {self.code or 'error'}: {self.api_message or '(no message)'}"
        if self.request_id:
            text += f" [request id {self.request_id}]"
        if self.attempts > 1:
            text += f" (after {self.attempts} attempts)"
        if self.hint:
            text += f". {self.hint}"
        return text


class FivetranAuthError(FivetranApiError):
    """401 or 403."""


class FivetranNotFoundError(FivetranApiError):
    """404."""


class FivetranConflictError(FivetranApiError):
    """409."""


class FivetranRateLimitError(FivetranApiError):
    """429, after the retry budget ran out."""


class FivetranBadRequestError(FivetranApiError):
    """400 or 422."""


class FivetranServerError(FivetranApiError):
    """5xx, after the retry budget ran out."""


def api_error_class(status: int) -> type[FivetranApiError]:
    """The exception class for an HTTP error status."""
    if status in (401, 403):
        return FivetranAuthError
    if status == 404:
        return FivetranNotFoundError
    if status == 409:
        return FivetranConflictError
    if status == 429:
        return FivetranRateLimitError
    if status in (400, 422):
        return FivetranBadRequestError
    if status >= 500:
        return FivetranServerError
    return FivetranApiError


class FivetranTransportError(FivetranError):
    """No usable answer: connection refused or dropped, or the call timed out (after retries)."""

    def __init__(self, message: str, *, method: str = "", path: str = "", attempts: int = 1) -> None:
        self.method = method
        self.path = path
        self.attempts = attempts
        where = f"{method} {path}: " if method else ""
        tail = f" (after {attempts} attempts)" if attempts > 1 else ""
        super().__init__(f"{where}{message}{tail}")


@dataclass(frozen=True)
class FailedTest:
    """One setup test that did not pass, as Fivetran reported it."""

    title: str
    status: str
    message: str | None = None

    def __str__(self) -> str:
        return f"{self.title} [{self.status}]" + (f": {self.message}" if self.message else "")


class FivetranSetupTestsFailedError(FivetranError):
    """Setup tests of a connection failed, and waiting longer will not change that."""

    def __init__(self, connection_id: str, failed: Iterable[FailedTest], *, hint: str | None = None) -> None:
        self.connection_id = connection_id
        self.failed: tuple[FailedTest, ...] = tuple(failed)
        lines = [f"Setup tests of Fivetran connection {connection_id} failed:"]
        lines += [f"  - {t}" for t in self.failed]
        if hint:
            lines.append(hint)
        super().__init__("\n".join(lines))


class FivetranConnectionBrokenError(FivetranError):
    """The connection's ``setup_state`` is ``broken``: it worked once and no longer does."""


class FivetranSyncFailedError(FivetranError):
    """A sync of the connection failed."""


class FivetranDriftError(FivetranError):
    """An existing connection differs from the requested one in a way the task may not or cannot fix."""


class FivetranWaitTimeoutError(FivetranError):
    """A wait (setup tests, sync) ran past its timeout."""
