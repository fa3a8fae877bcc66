"""What every call to Fivetran's REST API shares, whichever hook (sync or async) sends it.

Pure code: no I/O, no Airflow import. Both hooks build their requests and read their answers here, so the
two paths cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from airflow_spotify_fivetran import __version__
from airflow_spotify_fivetran.exceptions import (
    FivetranApiError,
    FivetranInputError,
    FivetranResponseError,
    FivetranTransportError,
    InputProblem,
    api_error_class,
)

DEFAULT_CONN_ID = "fivetran_default"
DEFAULT_HOST = "https://api.fivetran.com"
ACCEPT = "application/json;version=2"
USER_AGENT = f"airflow-spotify-fivetran/{__version__}"

#: Extras of a ``fivetran`` Airflow connection that are ours. HttpHook would send any other extra key as an
#: HTTP header, so these are removed before it sees them.
OUR_EXTRAS = ("connect_timeout", "read_timeout", "max_attempts")

DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 60.0
DEFAULT_MAX_ATTEMPTS = 5


def default_headers() -> dict[str, str]:
    """Headers sent on every call; ``Content-Type`` is added by the HTTP client when a JSON body is sent."""
    return {"Accept": ACCEPT, "User-Agent": USER_AGENT}


CONNECTIONS_PATH = "/v1/connections"


def connection_path(connection_id: str, action: str = "") -> str:
    """``/v1/connections/{id}[/{action}]`` with the id escaped, so an odd id cannot change the route.

    An empty or missing id is refused before any call: it would otherwise turn a GET, PATCH or DELETE of
    one connection into one on the whole collection.
    """
    if not isinstance(connection_id, str) or not connection_id.strip():
        raise FivetranInputError(
            [
                InputProblem(
                    "connection_id",
                    f"{connection_id!r} is not a Fivetran connection id (an upstream task may have returned "
                    "None, e.g. a create task in plan_only mode)",
                    connection_id,
                )
            ],
            what="connection id",
        )
    path = f"{CONNECTIONS_PATH}/{quote(connection_id, safe='')}"
    return f"{path}/{action}" if action else path


@dataclass(frozen=True)
class CallSettings:
    """Timeouts (seconds) and retry budget of one hook, from hook arguments, then connection extras."""

    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    max_attempts: int = DEFAULT_MAX_ATTEMPTS

    @classmethod
    def resolve(
        cls,
        extras: Mapping[str, Any],
        *,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        max_attempts: int | None = None,
    ) -> CallSettings:
        """Hook arguments win over connection extras, which win over the defaults."""

        def pick(arg: Any, key: str, default: Any, kind: type) -> Any:
            value = arg if arg is not None else extras.get(key)
            if value in (None, ""):
                return default
            try:
                number = kind(value)
            except (TypeError, ValueError):
                raise ValueError(f"{key} must be a number, got {value!r}") from None
            if number <= 0:
                raise ValueError(f"{key} must be greater than 0, got {value!r}")
            return number

        return cls(
            connect_timeout=pick(connect_timeout, "connect_timeout", DEFAULT_CONNECT_TIMEOUT, float),
            read_timeout=pick(read_timeout, "read_timeout", DEFAULT_READ_TIMEOUT, float),
            max_attempts=pick(max_attempts, "max_attempts", DEFAULT_MAX_ATTEMPTS, int),
        )


def _hint(status: int, code: str | None, conn_id: str) -> str | None:
    if status in (401, 403):
        return f"Check the API key (login) and API secret (password) of Airflow connection {conn_id!r}" + (
            ", and that the key may manage this group" if status == 403 else ""
        )
    if status == 404:
        return "Check the connection or group id; it may have been deleted"
    if status == 409:
        return "A connection with this schema already exists in the group, or a sync is running"
    if status == 429:
        return (
            "Fivetran's rate limit was hit; lower the parallelism of these tasks (a pool, or "
            "max_active_tis_per_dag) or spread them over time"
        )
    return None


def api_error(
    *,
    status: int,
    body: str,
    method: str,
    path: str,
    conn_id: str,
    headers: Mapping[str, str],
    attempts: int = 1,
) -> FivetranApiError:
    """The typed exception for an HTTP error answer, carrying Fivetran's own ``code`` and ``message``."""
    code: str | None = None
    message = ""
    try:
        payload = json.loads(body) if body else None
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        raw_code, raw_message = payload.get("code"), payload.get("message")
        code = raw_code if isinstance(raw_code, str) else None
        message = raw_message if isinstance(raw_message, str) else ""
    if not message:
        snippet = " ".join(body.split())[:200]
        message = f"non-JSON answer: {snippet!r}" if snippet else "empty answer"
    return api_error_class(status)(
        status=status,
        code=code,
        message=message,
        method=method,
        path=path,
        request_id=headers.get("X-Request-Id") or headers.get("X-Request-ID"),
        attempts=attempts,
        hint=_hint(status, code, conn_id),
        retry_after=parse_retry_after(headers.get("Retry-After")),
    )


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (Fivetran sends whole seconds); ``None`` when absent or unreadable."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def read_envelope(*, status: int, body: str, method: str, path: str, attempts: int = 1) -> dict[str, Any]:
    """Parse a 2xx answer's envelope ``{"code": "Success", "message": ..., "data": ...}``.

    Raises ``FivetranResponseError`` (a clear message, never a ``KeyError``) when the body is not JSON,
    is truncated, is not an object, or does not say ``Success``. ``attempts`` (the number of this attempt)
    is named in the message from the second attempt on, as API and transport errors do.
    """
    tail = f" (after {attempts} attempts)" if attempts > 1 else ""
    try:
        payload = json.loads(body)
    except ValueError:
        snippet = " ".join(body.split())[:120]
        raise FivetranResponseError(
            f"answer is not valid JSON (truncated or not JSON): {snippet!r}{tail}",
            method=method,
            path=path,
            status=status,
        ) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("code"), str):
        raise FivetranResponseError(
            f"answer is not Fivetran's envelope (an object with 'code'){tail}",
            method=method,
            path=path,
            status=status,
        )
    if payload["code"] != "Success":
        raise FivetranResponseError(
            f"answer says {payload['code']}: {payload.get('message') or '(no message)'}{tail}",
            method=method,
            path=path,
            status=status,
        )
    return payload


def envelope_data(envelope: Mapping[str, Any], *, method: str, path: str, status: int) -> dict[str, Any]:
    """The ``data`` object of an envelope, or a clear error where the API should have sent one."""
    data = envelope.get("data")
    if not isinstance(data, dict):
        raise FivetranResponseError("answer has no 'data' object", method=method, path=path, status=status)
    return data


def read_answer(
    *,
    status: int,
    body: str,
    headers: Mapping[str, str],
    method: str,
    path: str,
    conn_id: str,
    attempt: int,
) -> dict[str, Any]:
    """One answer, as both hooks read it: the envelope of a success, or the typed error of a failure."""
    if status >= 300:
        raise api_error(
            status=status,
            body=body,
            method=method,
            path=path,
            conn_id=conn_id,
            headers=headers,
            attempts=attempt,
        )
    return read_envelope(status=status, body=body, method=method, path=path, attempts=attempt)


def no_answer(
    settings: CallSettings, *, method: str, path: str, attempt: int, cause: BaseException | None = None
) -> FivetranTransportError:
    """The error for a call that got no answer: a timeout (``cause`` None) or a failed connection."""
    if cause is None:
        message = (
            f"no answer within the timeout (connect {settings.connect_timeout:g} s, "
            f"read {settings.read_timeout:g} s)"
        )
    else:
        message = f"connection failed ({type(cause).__name__})"
    return FivetranTransportError(message, method=method, path=path, attempts=attempt)
