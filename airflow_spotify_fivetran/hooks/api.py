"""What every call to Fivetran's REST API shares, whichever hook (sync or async) sends it.

Pure code: no I/O, no Airflow import. Both hooks build their requests and read their answers here, so the
two paths cannot drift apart.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

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


def api_base_url(host: str | None, *, schema: str | None = None, port: int | None = None) -> str:
    """The base URL of the API for an Airflow connection's host, schema and port, as both hooks use it.

    A host without a scheme (``api.fivetran.com``) gets ``https://``: the API key and secret travel in every
    request's ``Authorization`` header, so plain ``http`` is used only when asked for, in the host
    (``http://127.0.0.1:8080``, e.g. the simulator) or in the connection's schema field. HttpHook and
    HttpAsyncHook would default to ``http``. No host: Fivetran's public API. A trailing ``/`` is dropped.
    """
    host = (host or "").strip() or DEFAULT_HOST
    url = host if "://" in host else f"{(schema or '').strip() or 'https'}://{host}"
    url = url.rstrip("/")
    return f"{url}:{port}" if port else url


_FALSE = frozenset({"false", "no", "off", "0"})
_TRUE = frozenset({"true", "yes", "on", "1"})


def select_proxy(proxies: Any, url: str) -> str | None:
    """The proxy for ``url`` from a connection's ``proxy``/``proxies`` extra, as ``requests`` picks it.

    A string is the proxy of every request. A mapping is looked up ``requests``-style: ``scheme://host``,
    then ``scheme``, then ``all://host``, then ``all``. ``None`` when no proxy applies.
    """
    if not proxies:
        return None
    if isinstance(proxies, str):
        return proxies.strip() or None
    if not isinstance(proxies, Mapping):
        return None
    parts = urlsplit(url)
    for key in (f"{parts.scheme}://{parts.hostname}", parts.scheme, f"all://{parts.hostname}", "all"):
        value = proxies.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def tls_verify(value: Any) -> bool | str:
    """A ``verify``/``verify_ssl`` extra read as ``requests`` reads it: ``True``/``False``, or the path of a CA
    bundle (file or directory). ``"false"``, ``"no"``, ``"0"`` (any case) are ``False``; unset is ``True``."""
    if value is None or isinstance(value, bool):
        return value is not False
    if isinstance(value, int | float):
        return bool(value)
    text = str(value).strip()
    if text.lower() in _FALSE:
        return False
    if not text or text.lower() in _TRUE:
        return True
    return text


def extra_flag(value: Any, *, default: bool) -> bool:
    """A yes/no connection extra (``trust_env``) that JSON may hold as a bool or a string."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE
    return bool(value)


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
        conn_id: str = DEFAULT_CONN_ID,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        max_attempts: int | None = None,
    ) -> CallSettings:
        """Hook arguments win over connection extras, which win over the defaults.

        Raises ``FivetranInputError`` listing every value that is not a positive number, each naming the
        hook argument or the extra of Airflow connection ``conn_id`` it came from.
        """
        problems: list[InputProblem] = []

        def pick(arg: Any, key: str, default: Any, kind: type) -> Any:
            value = arg if arg is not None else extras.get(key)
            if value is None or (isinstance(value, str) and not value.strip()):
                return default
            where = f"hook argument {key}" if arg is not None else f"extra of Airflow connection {conn_id!r}"
            number = _positive(value, kind)
            if number is None:
                what = "a whole number" if kind is int else "a number"
                problems.append(
                    InputProblem(key, f"must be {what} greater than 0, got {value!r} ({where})", value)
                )
                return default
            return number

        settings = cls(
            connect_timeout=pick(connect_timeout, "connect_timeout", DEFAULT_CONNECT_TIMEOUT, float),
            read_timeout=pick(read_timeout, "read_timeout", DEFAULT_READ_TIMEOUT, float),
            max_attempts=pick(max_attempts, "max_attempts", DEFAULT_MAX_ATTEMPTS, int),
        )
        if problems:
            raise FivetranInputError(problems, what=f"settings of Airflow connection {conn_id!r}")
        return settings


def _positive(value: Any, kind: type) -> float | int | None:
    """``value`` as a finite number of ``kind`` greater than 0, or ``None`` (a bool is no number here)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or number <= 0:
        return None
    if kind is int:
        return int(number) if number.is_integer() else None
    return number


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


def applied_earlier(exc: FivetranApiError) -> dict[str, Any]:
    """The envelope a call returns when a retry's error answer shows that an earlier attempt, whose answer
    was lost, did the work (a DELETE retried into 404, a resync retried into 409)."""
    return {
        "code": "Success",
        "message": (
            f"{exc.method} {exc.path} took effect: the answer to an earlier attempt was lost, and the retry "
            f"was answered {exc.status} {exc.code or 'error'}"
        ),
    }
