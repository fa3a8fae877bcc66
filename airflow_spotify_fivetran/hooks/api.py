"""What every call to Fivetran's REST API shares, whichever hook (sync or async) sends it.

Pure code: no I/O, no Airflow import. Both hooks build their requests and read their answers here, so the
two paths cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from airflow_spotify_fivetran import __version__
from airflow_spotify_fivetran.call_settings import SETTING_KINDS, expected, positive_number
from airflow_spotify_fivetran.constants import DEFAULT_CONN_ID
from airflow_spotify_fivetran.exceptions import (
    FivetranApiError,
    FivetranInputError,
    FivetranResponseError,
    FivetranTransportError,
    InputProblem,
    api_error_class,
)

ACCEPT = "application/json;version=2"
USER_AGENT = f"airflow-spotify-fivetran/{__version__}"

DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 60.0
DEFAULT_MAX_ATTEMPTS = 5


def default_headers() -> dict[str, str]:
    """Headers sent on every call; ``Content-Type`` is added by the HTTP client when a JSON body is sent."""
    return {"Accept": ACCEPT, "User-Agent": USER_AGENT}


CONNECTIONS_PATH = "/v1/connections"


def path_segment(value: Any, name: str) -> str:
    """``value`` as one escaped path segment; ``FivetranInputError`` naming ``name`` when it cannot be one.

    Refused before any call: an empty or blank id (it would turn a GET, PATCH or DELETE of one connection into
    one on the whole collection), and the dot segments ``.`` and ``..``, which HTTP clients remove (RFC 3986,
    even escaped as ``%2E``): ``DELETE /v1/connections/..`` would be sent as ``DELETE /v1/``.
    """
    if not isinstance(value, str) or not value.strip():
        why = (
            f"{value!r} is not a Fivetran id (an upstream task may have returned None, e.g. a create task in "
            "plan_only mode)"
        )
    elif value in (".", ".."):
        why = f"{value!r} is not a Fivetran id: a dot segment would send the call to another endpoint"
    else:
        return quote(value, safe="")
    raise FivetranInputError([InputProblem(name, why, value)], what=name.replace("_", " "))


def connection_path(connection_id: str, action: str = "") -> str:
    """``/v1/connections/{id}[/{action}]`` with the id as one escaped segment (``path_segment``)."""
    path = f"{CONNECTIONS_PATH}/{path_segment(connection_id, 'connection_id')}"
    return f"{path}/{action}" if action else path


@dataclass(frozen=True)
class CallSettings:
    """Timeouts (seconds) and retry budget of one hook, from hook arguments, then connection extras."""

    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    #: Seconds one attempt (connect, send, read the whole answer) may take; None: connect + read timeouts.
    call_timeout: float | None = None

    @property
    def call_deadline(self) -> float:
        """Seconds after which one attempt is abandoned, however the server trickles its answer."""
        return self.call_timeout or self.connect_timeout + self.read_timeout

    @classmethod
    def resolve(
        cls,
        extras: Mapping[str, Any],
        *,
        conn_id: str = DEFAULT_CONN_ID,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        max_attempts: int | None = None,
        call_timeout: float | None = None,
    ) -> CallSettings:
        """Hook arguments win over connection extras, which win over the defaults.

        Raises ``FivetranInputError`` listing every value that is not a positive number, each naming the
        hook argument or the extra of Airflow connection ``conn_id`` it came from.
        """
        problems: list[InputProblem] = []

        def pick(arg: Any, key: str, default: Any) -> Any:
            value = arg if arg is not None else extras.get(key)
            if value is None or (isinstance(value, str) and not value.strip()):
                return default
            where = f"hook argument {key}" if arg is not None else f"extra of Airflow connection {conn_id!r}"
            number = positive_number(value, SETTING_KINDS[key])
            if number is None:
                problems.append(
                    InputProblem(
                        key, f"must be {expected(SETTING_KINDS[key])}, got {value!r} ({where})", value
                    )
                )
                return default
            return number

        settings = cls(
            connect_timeout=pick(connect_timeout, "connect_timeout", DEFAULT_CONNECT_TIMEOUT),
            read_timeout=pick(read_timeout, "read_timeout", DEFAULT_READ_TIMEOUT),
            max_attempts=pick(max_attempts, "max_attempts", DEFAULT_MAX_ATTEMPTS),
            call_timeout=pick(call_timeout, "call_timeout", None),
        )
        if problems:
            raise FivetranInputError(problems, what=f"settings of Airflow connection {conn_id!r}")
        return settings


#: Characters of server text (an error message, a body) kept in an exception; the rest is cut, and said so.
MAX_SERVER_TEXT = 2000
SCRUBBED = "***"


def server_text(text: str, secrets: Collection[str] = ()) -> str:
    """Text from the server, safe for an exception or a log line: every secret of the call replaced by
    ``***`` (an error may quote the request back), then cut to ``MAX_SERVER_TEXT`` characters."""
    forms = {form for s in secrets if s for form in (s, json.dumps(s)[1:-1])}  # raw, and as quoted in JSON
    for secret in sorted(forms, key=len, reverse=True):  # longest first: a secret may contain another
        text = text.replace(secret, SCRUBBED)
    if len(text) > MAX_SERVER_TEXT:
        text = f"{text[:MAX_SERVER_TEXT]}… [cut: {len(text):,} characters in all]"
    return text


def decode_body(raw: bytes, charset: str | None = None) -> str:
    """A body as text, whatever its bytes: a proxy's Latin-1 error page is an answer like any other."""
    try:
        return raw.decode(charset or "utf-8", errors="replace")
    except LookupError:  # an unknown charset name
        return raw.decode("utf-8", errors="replace")


def _hint(status: int, method: str, path: str, conn_id: str) -> str | None:
    if status in (401, 403):
        return f"Check the API key (login) and API secret (password) of Airflow connection {conn_id!r}" + (
            ", and that the key may manage this group" if status == 403 else ""
        )
    if status == 404:
        return "Check the connection or group id; it may have been deleted"
    if status == 409 and method == "POST" and path.endswith(("/sync", "/resync")):
        return "A sync of this connection is running; retry after it ends"
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
    secrets: Collection[str] = (),
) -> FivetranApiError:
    """The typed exception for an HTTP error answer, carrying Fivetran's own ``code`` and ``message``.

    Every text taken from the answer goes through ``server_text``: no secret of the call, no megabyte page.
    """
    code: str | None = None
    message = ""
    try:
        payload = json.loads(body) if body else None
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        raw_code, raw_message = payload.get("code"), payload.get("message")
        code = server_text(raw_code, secrets) if isinstance(raw_code, str) else None
        message = raw_message if isinstance(raw_message, str) else ""
    if message:
        message = server_text(message, secrets)
    else:
        snippet = server_text(" ".join(body.split()), secrets)
        message = f"non-JSON answer: {snippet!r}" if snippet else "empty answer"
    request_id = headers.get("X-Request-Id") or headers.get("X-Request-ID")
    return api_error_class(status)(
        status=status,
        code=code,
        message=message,
        method=method,
        path=path,
        request_id=server_text(request_id, secrets)[:200] if request_id else None,
        attempts=attempts,
        hint=_hint(status, method, path, conn_id),
        retry_after=parse_retry_after(headers.get("Retry-After")),
    )


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """``Retry-After`` in seconds: whole seconds (what Fivetran sends) or an HTTP date (RFC 9110, section
    10.2.3), counted from ``now`` (default: the current time); a date in the past is 0. ``None`` when absent
    or unreadable. The cap (``retry.MAX_RETRY_AFTER``) is applied by the retry policy."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value.strip())
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # "-0000": UTC, as RFC 5322 reads it
            when = when.replace(tzinfo=dt.UTC)
        return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())
    return seconds if seconds >= 0 and math.isfinite(seconds) else None


def read_envelope(
    *,
    status: int,
    body: str,
    method: str,
    path: str,
    attempts: int = 1,
    secrets: Collection[str] = (),
) -> dict[str, Any]:
    """Parse a 2xx answer's envelope ``{"code": "Success", "message": ..., "data": ...}``.

    Raises ``FivetranResponseError`` (a clear message, never a ``KeyError``) when the body is not JSON,
    is truncated, is not an object, or does not say ``Success``. ``attempts`` (the number of this attempt)
    is named in the message from the second attempt on, as API and transport errors do.
    """
    tail = f" (after {attempts} attempts)" if attempts > 1 else ""
    try:
        payload = json.loads(body)
    except ValueError:
        snippet = server_text(" ".join(body.split()), secrets)
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
        said = server_text(f"{payload['code']}: {payload.get('message') or '(no message)'}", secrets)
        raise FivetranResponseError(f"answer says {said}{tail}", method=method, path=path, status=status)
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
    secrets: Collection[str] = (),
) -> dict[str, Any]:
    """One answer, as both hooks read it: the envelope of a success, or the typed error of a failure.

    ``secrets``: every secret value of this call (the API secret, those of the request body), scrubbed from
    every text of the answer that an error carries.
    """
    if status >= 300:
        raise api_error(
            status=status,
            body=body,
            method=method,
            path=path,
            conn_id=conn_id,
            headers=headers,
            attempts=attempt,
            secrets=secrets,
        )
    return read_envelope(
        status=status, body=body, method=method, path=path, attempts=attempt, secrets=secrets
    )


def no_answer(
    settings: CallSettings,
    *,
    method: str,
    path: str,
    attempt: int,
    cause: BaseException | None = None,
    deadline: bool = False,
) -> FivetranTransportError:
    """The error for a call that got no (complete) answer: a timeout (``cause`` None), the attempt's
    deadline passed (``deadline``), or a failed connection."""
    if deadline:
        message = (
            f"no complete answer within the deadline of {settings.call_deadline:g} s of one attempt "
            "(call_timeout; default: connect + read timeouts)"
        )
    elif cause is None:
        message = (
            f"no answer within the timeout (connect {settings.connect_timeout:g} s, "
            f"read {settings.read_timeout:g} s)"
        )
    else:
        message = f"connection failed ({type(cause).__name__})"
    return FivetranTransportError(message, method=method, path=path, attempts=attempt)


def applied_earlier(exc: FivetranApiError) -> dict[str, Any]:
    """The envelope a call returns when a retry's error answer shows that an earlier attempt, whose answer
    was lost, did the work (a DELETE retried into 404, a resync retried into 409 while it runs)."""
    return {
        "code": "Success",
        "message": (
            f"{exc.method} {exc.path} took effect: the answer to an earlier attempt was lost, and the retry "
            f"was answered {exc.status} {exc.code or 'error'}"
        ),
    }
