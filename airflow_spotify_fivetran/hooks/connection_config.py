"""How both hooks read a ``fivetran`` Airflow connection: base URL, API key and secret, and every extra.

Read here, in the open, from the connection's public fields (``host``, ``schema``, ``port``, ``login``,
``password``, ``extra_dejson``), rather than through the http provider's protected session builders, whose
behaviour any of its releases may change. Each extra the http provider documents for its connection is
either honoured as ``requests`` would honour it, or refused with the reason (``EXTRAS`` below); our own extras
are settings (``CallSettings``); any other extra is an HTTP header, as for the http provider.

Pure code: no I/O, no Airflow import.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from requests.utils import select_proxy

from airflow_spotify_fivetran.call_settings import positive_number
from airflow_spotify_fivetran.constants import DEFAULT_CONN_ID, DEFAULT_HOST
from airflow_spotify_fivetran.exceptions import FivetranConfigurationError, InputProblem
from airflow_spotify_fivetran.hooks.api import CallSettings, default_headers

#: Extras that set the hook's ``CallSettings`` (seconds, attempts); never sent as headers.
SETTINGS_EXTRAS = ("connect_timeout", "read_timeout", "call_timeout", "max_attempts")

#: Headers every call sets itself; an extra of the same name (any case) is refused rather than sent.
OWN_HEADERS = frozenset({"accept", "user-agent", "authorization", "content-type"})


class ConnectionFields(Protocol):
    """What is read of an Airflow connection (``airflow.sdk.Connection`` has it)."""

    host: str | None
    schema: str | None
    port: int | None
    login: str | None
    password: str | None

    @property
    def extra_dejson(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class ConnectionConfig:
    """A ``fivetran`` Airflow connection as both hooks use it. The API secret is kept out of ``repr``."""

    conn_id: str
    base_url: str
    login: str | None
    password: str | None = field(repr=False)
    settings: CallSettings
    #: Sent on every call: ``Accept``, ``User-Agent``, then the connection's header extras.
    headers: Mapping[str, str]
    #: ``requests``-style proxies (``{"https": url}``, ``{"all": url}``...); empty: none from the connection.
    proxies: Mapping[str, str] = field(repr=False)
    #: ``True``/``False``, or the path of a CA bundle (file or directory).
    verify: bool | str = True
    #: A client certificate: one PEM path, or (certificate, key) paths.
    cert: str | tuple[str, str] | None = None
    #: Whether the environment's proxies (``HTTPS_PROXY``, ``NO_PROXY``) and CA bundle apply.
    trust_env: bool = True

    @property
    def proxy(self) -> str | None:
        """The connection's proxy for the API URL, picked as ``requests`` picks it (``select_proxy``)."""
        return select_proxy(self.base_url, dict(self.proxies)) if self.proxies else None

    @property
    def authorization(self) -> str | None:
        """The HTTP Basic ``Authorization`` value for the API key and secret; ``None`` without a key."""
        if not self.login:
            return None
        token = base64.b64encode(f"{self.login}:{self.password or ''}".encode("latin-1"))
        return f"Basic {token.decode('ascii')}"

    @property
    def secrets(self) -> frozenset[str]:
        """Values to mask in logs and scrub from errors: the API secret, and a password in a proxy URL."""
        found = {self.password, *(urlsplit(url).password for url in self.proxies.values())}
        return frozenset(value for value in found if value)


def api_base_url(
    host: str | None, *, schema: str | None = None, port: int | None = None, conn_id: str = DEFAULT_CONN_ID
) -> str:
    """The base URL of the API for an Airflow connection's host, schema and port.

    A host without a scheme (``api.fivetran.com``) gets ``https://``: the API key and secret travel in every
    request's ``Authorization`` header, so plain ``http`` is used only when asked for, in the host
    (``http://127.0.0.1:8080``, e.g. the simulator) or in the connection's schema field (the http provider
    would default to ``http``). No host: Fivetran's public API. A trailing ``/`` is dropped, and so is a
    trailing ``/v1``: Fivetran's docs write the base URL ``https://api.fivetran.com/v1``, while every path we
    send starts with ``/v1``.

    Raises ``FivetranConfigurationError`` (naming ``host``, never retried) for a scheme other than http(s)
    or a URL that is not one (no host name, a space in it, a port that is no number).
    """
    host = (host or "").strip() or DEFAULT_HOST
    url = host if "://" in host else f"{(schema or '').strip() or 'https'}://{host}"
    url = url.rstrip("/").removesuffix("/v1").rstrip("/")
    url = f"{url}:{port}" if port else url
    problem = _url_problem(url)
    if problem:
        raise FivetranConfigurationError([InputProblem("host", problem)], conn_id=conn_id)
    return url


def _url_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is no number or out of range
    except ValueError as exc:
        return f"{url!r} is not a URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return f"scheme {parts.scheme!r} of {url!r} is not supported: use https (or http for a local test)"
    if not parts.hostname or any(c.isspace() for c in url):
        return f"{url!r} is not a URL with a host name"
    return None


def check_credentials(login: str | None, password: str | None, *, conn_id: str) -> None:
    """Refuse an API key (login) or secret (password) that HTTP Basic auth cannot carry, before any call.

    Fivetran's API keys and secrets are ASCII letters and digits; HTTP Basic (RFC 7617) has no agreed charset
    beyond ASCII (requests encodes Latin-1, aiohttp too), and Fivetran would refuse any other byte with a
    401. A non-ASCII or control character is a pasting mistake (a typographic dash or a non-breaking space),
    and a ``:`` in the key would split it. The message names the field and the character, never the value.
    """
    problems = []
    for name, value in (("login", login), ("password", password)):
        for char in value or "":
            if not char.isascii() or not char.isprintable() or (name == "login" and char == ":"):
                problems.append(
                    InputProblem(
                        name,
                        f"contains U+{ord(char):04X}, a character HTTP Basic auth cannot carry (Fivetran API "
                        "keys and secrets are ASCII letters and digits; was it pasted with a typographic dash "
                        "or a non-breaking space?)",
                    )
                )
                break
    if problems:
        raise FivetranConfigurationError(problems, conn_id=conn_id)


_FALSE = frozenset({"false", "no", "off", "0"})
_TRUE = frozenset({"true", "yes", "on", "1"})


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
    """A yes/no extra (``trust_env``) that JSON may hold as a bool or a string."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE
    return bool(value)


# -- the http provider's extras: honoured, or refused with the reason ----------------------------------------


class Refused(Exception):
    """An extra's value the hooks will not act on; the message says why and what to do instead."""


def _proxies(value: Any) -> dict[str, str]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):  # one proxy for every request, as the http provider's async hook reads it
        return {"http": value.strip(), "https": value.strip()}
    if isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return {key: url.strip() for key, url in value.items() if url.strip()}
    raise Refused(f"must be a proxy URL or a mapping such as {{'https': 'http://proxy:3128'}}, got {value!r}")


def _cert(value: Any) -> str | tuple[str, str] | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return (value[0], value[1])
    raise Refused(f"must be the path of a PEM file, or [certificate path, key path], got {value!r}")


def _timeout(value: Any) -> tuple[float, float] | None:
    """``requests``' ``timeout``: one number for both the connect and the read timeout, or ``[connect,
    read]``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    pair = value if isinstance(value, list | tuple) and len(value) == 2 else (value, value)
    connect, read = (positive_number(v, float) for v in pair)
    if connect is None or read is None:
        raise Refused(f"must be seconds greater than 0, or [connect, read] seconds, got {value!r}")
    return float(connect), float(read)


def _yes_no(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Refused(f"must be true or false, got {value!r}")


def _allow_redirects(value: Any) -> None:
    if _yes_no(value):
        raise Refused(
            "true is refused: Fivetran's API never redirects, and following a redirect would send the "
            "request again to another address, with the API key and secret and any Spotify credentials in "
            "its body, and a create sent again may create twice. Set host to the API's own URL instead"
        )


def _check_response(value: Any) -> None:
    if _yes_no(value) is False:
        raise Refused(
            "false is refused: every answer is checked, and an error status always raises a typed "
            "FivetranApiError carrying Fivetran's code and message (catch that instead)"
        )


def _max_redirects(value: Any) -> None:
    if value is None or (not isinstance(value, bool) and str(value).strip() in ("", "0")):
        return
    raise Refused(f"{value!r} is refused: redirects are never followed (see allow_redirects); remove it")


def _srv_lookup(value: Any) -> None:
    if _yes_no(value):
        raise Refused(
            "true is refused: Fivetran's API has one host name, not a DNS SRV record; set host to the API "
            "URL (default https://api.fivetran.com)"
        )


#: Each extra of the http provider's connection, and how it is read: a function of its value (and the
#: other extras) that returns what the hooks use, or raises ``Refused``. ``stream`` is accepted either way:
#: every answer is read whole, piece by piece against the attempt's deadline, before a call returns.
EXTRAS: dict[str, Callable[[Any], Any]] = {
    "proxies": _proxies,
    "proxy": _proxies,
    "verify": tls_verify,
    "verify_ssl": tls_verify,
    "cert": _cert,
    "trust_env": lambda value: extra_flag(value, default=True),
    "timeout": _timeout,
    "allow_redirects": _allow_redirects,
    "check_response": _check_response,
    "max_redirects": _max_redirects,
    "srv_lookup": _srv_lookup,
    "stream": _yes_no,
}


def _headers(extras: Mapping[str, Any], problems: list[InputProblem]) -> dict[str, str]:
    """The extras that are neither settings nor request options: HTTP headers, as the http provider sends
    them. A value that is no text is refused (often a misspelt setting), and so is a header we set."""
    headers = default_headers()
    for key, value in extras.items():
        if key in SETTINGS_EXTRAS or key in EXTRAS:
            continue
        if str(key).lower() in OWN_HEADERS:
            problems.append(InputProblem(key, "is a header every call sets itself; remove this extra", value))
        elif not isinstance(value, str):
            problems.append(
                InputProblem(
                    key,
                    "is not a setting of this hook, so it would be sent as an HTTP header (as the http "
                    f"provider sends unknown extras), and a header needs a text value, got {value!r}; is it "
                    f"a misspelt setting ({', '.join(SETTINGS_EXTRAS)})?",
                    value,
                )
            )
        else:
            headers[key] = value
    return headers


def read_connection(
    conn: ConnectionFields,
    *,
    conn_id: str,
    extra_options: Mapping[str, Any] | None = None,
    connect_timeout: float | None = None,
    read_timeout: float | None = None,
    max_attempts: int | None = None,
    call_timeout: float | None = None,
) -> ConnectionConfig:
    """Read Airflow connection ``conn_id``; hook arguments win over its extras, which win over defaults.

    :param extra_options: extras given to the hook's ``get_conn``; they win over the connection's own.
    Raises ``FivetranConfigurationError`` listing what cannot be used (URL, credentials, refused extras),
    each naming the field or extra; ``FivetranInputError`` for a setting that is no positive number.
    """
    base_url = api_base_url(conn.host, schema=conn.schema, port=conn.port, conn_id=conn_id)
    check_credentials(conn.login, conn.password, conn_id=conn_id)
    extras = {**(conn.extra_dejson or {}), **(extra_options or {})}
    problems: list[InputProblem] = []
    read: dict[str, Any] = {}
    for key, reader in EXTRAS.items():
        if key in extras:
            try:
                read[key] = reader(extras[key])
            except Refused as refused:
                problems.append(InputProblem(key, str(refused), extras[key]))
    headers = _headers(extras, problems)
    settings_extras = {key: extras[key] for key in SETTINGS_EXTRAS if key in extras}
    if read.get("timeout") is not None:
        both = [key for key in ("connect_timeout", "read_timeout") if key in settings_extras]
        if both:
            problems.append(
                InputProblem(
                    "timeout",
                    f"sets the connect and read timeouts, and so does {' and '.join(both)}: keep one of them",
                    extras["timeout"],
                )
            )
        else:
            settings_extras["connect_timeout"], settings_extras["read_timeout"] = read["timeout"]
    if problems:
        raise FivetranConfigurationError(problems, conn_id=conn_id)
    settings = CallSettings.resolve(
        settings_extras,
        conn_id=conn_id,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        max_attempts=max_attempts,
        call_timeout=call_timeout,
    )

    def first(*keys: str, default: Any) -> Any:  # "proxies" before "proxy", as the http provider reads them
        return next((read[key] for key in keys if read.get(key) is not None), default)

    return ConnectionConfig(
        conn_id=conn_id,
        base_url=base_url,
        login=conn.login,
        password=conn.password,
        settings=settings,
        headers=headers,
        proxies=first("proxies", "proxy", default={}),
        verify=first("verify", "verify_ssl", default=True),
        cert=read.get("cert"),
        trust_env=read.get("trust_env", True),
    )
