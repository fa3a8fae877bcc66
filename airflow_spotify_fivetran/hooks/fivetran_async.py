"""``FivetranAsyncHook``: the non-blocking path that triggers use in the triggerer's event loop.

A subclass of the http provider's ``HttpAsyncHook`` using only public names of it: the Airflow connection
is read with common-compat's ``get_async_connection`` and ``connection_config.read_connection`` (exactly as
``FivetranHook`` reads it), and ``config()`` gives the base URL, headers and request options our calls use.
Calls go through an ``aiohttp.ClientSession`` taken by ``async with FivetranAsyncHook(...) as hook`` and
reused for every poll of a trigger run. Hooks of the same Airflow connection in the same event loop share
that session (``session_pool``): a thousand waiting triggers resolve the connection once and hold a bounded
pool of sockets. Same base URL, timeouts (the deadline of one attempt included), retry policy, headers,
error types (secrets scrubbed, server text cut), proxy and TLS settings as the synchronous ``FivetranHook``.
Nothing here sleeps except ``asyncio.sleep``, and no call blocks the loop.
"""

from __future__ import annotations

import asyncio
import os
import ssl
from collections.abc import Collection
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import aiohttp
import tenacity
from airflow.providers.common.compat.connection import get_async_connection
from airflow.providers.http.hooks.http import HttpAsyncHook, SessionConfig

from airflow_spotify_fivetran.constants import CONN_TYPE, DEFAULT_CONN_ID
from airflow_spotify_fivetran.exceptions import FivetranAuthError, FivetranError, FivetranResponseError
from airflow_spotify_fivetran.hooks.api import (
    CONNECTIONS_PATH,
    CallSettings,
    applied_earlier,
    connection_path,
    decode_body,
    envelope_data,
    no_answer,
    read_answer,
)
from airflow_spotify_fivetran.hooks.connection_config import ConnectionConfig, read_connection
from airflow_spotify_fivetran.hooks.retry import AttemptMemory, retrying_kwargs
from airflow_spotify_fivetran.hooks.secrets import amask_value, secret_values
from airflow_spotify_fivetran.hooks.session_pool import POOL, Lease, new_connector
from airflow_spotify_fivetran.models import Connection
from airflow_spotify_fivetran.models.responses import CURSOR_KEYS
from airflow_spotify_fivetran.spend import ApiSpend


@dataclass(frozen=True)
class SessionContext:
    """What every hook sharing a pooled session needs besides the session: its settings, its proxy, and the
    secrets to scrub from what the server says (a hook that joins a pooled session reads no connection)."""

    settings: CallSettings
    proxy: str | None = None
    secrets: frozenset[str] = frozenset()


def tls_setting(verify: bool | str, cert: str | tuple[str, str] | None = None) -> bool | ssl.SSLContext:
    """The connector's ``ssl=`` for a ``verify`` (``tls_verify``) and a ``cert`` extra, as ``requests`` reads
    them: ``False`` skips certificate checks, a path is a CA bundle (file or directory), ``cert`` is a client
    certificate (one PEM path, or ``(cert, key)``). Reads files: call it off the event loop."""
    if cert is None and isinstance(verify, bool):
        return verify
    if isinstance(verify, str):
        if os.path.isdir(verify):
            context = ssl.create_default_context(capath=verify)
        else:
            context = ssl.create_default_context(cafile=verify)
    else:
        context = ssl.create_default_context()
        if not verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
    if isinstance(cert, tuple):
        context.load_cert_chain(*cert)
    elif cert:
        context.load_cert_chain(cert)
    return context


class FivetranAsyncHook(HttpAsyncHook):
    """Asynchronous reads of Fivetran connections, for triggers.

    Use it as an async context manager so its HTTP session (and its pooled TCP connection) lives exactly as
    long as the trigger run::

        async with FivetranAsyncHook("fivetran_default") as hook:
            connection = await hook.get_connection_details(connection_id)

    Parameters are those of ``FivetranHook`` (``call_timeout`` included: ``hook.settings.call_deadline``
    bounds each attempt as a whole, so a trigger may bound itself to its end time plus one call's deadline).
    """

    conn_name_attr = "fivetran_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = CONN_TYPE
    hook_name = "Fivetran"

    def __init__(
        self,
        fivetran_conn_id: str = DEFAULT_CONN_ID,
        *,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        max_attempts: int | None = None,
        call_timeout: float | None = None,
    ) -> None:
        super().__init__(method="GET", http_conn_id=fivetran_conn_id)
        self.fivetran_conn_id = fivetran_conn_id
        self._overrides: dict[str, Any] = {
            "connect_timeout": connect_timeout,
            "read_timeout": read_timeout,
            "max_attempts": max_attempts,
            "call_timeout": call_timeout,
        }
        self._connection_config: ConnectionConfig | None = None
        self._context: SessionContext | None = None
        self._lease: Lease | None = None
        #: Requests this hook sent (answered, refused or lost) and how many were retries.
        self.spend = ApiSpend()

    async def _read_connection(self) -> ConnectionConfig:
        """The Airflow connection, read once, as ``FivetranHook`` reads it (``read_connection``)."""
        if self._connection_config is None:
            conn = await get_async_connection(conn_id=self.fivetran_conn_id, hook=self)
            await amask_value(conn.password)  # before anything can fail with it in hand
            config = read_connection(conn, conn_id=self.fivetran_conn_id, **self._overrides)
            for secret in config.secrets:
                await amask_value(secret)
            self._connection_config = config
        return self._connection_config

    async def config(self) -> SessionConfig:
        """The Airflow connection as ``HttpAsyncHook`` describes one: our base URL (``https://`` unless the
        host or the schema field says otherwise; ``HttpAsyncHook`` would default to ``http``), the headers of
        every call, and our request options (no redirects, the connection's proxy). The API key and secret
        are not in it: the hook's calls send them."""
        config = await self._read_connection()
        options: dict[str, Any] = {"allow_redirects": False}
        if config.proxy:
            options["proxy"] = config.proxy
        return SessionConfig(base_url=config.base_url, headers=dict(config.headers), extra_options=options)

    @property
    def settings(self) -> CallSettings:
        """Timeouts and retry budget in force: known once the hook is entered (or ``config()`` awaited)."""
        if self._context is not None:
            return self._context.settings
        if self._connection_config is not None:
            return self._connection_config.settings
        raise RuntimeError("enter the hook (or `await hook.config()`) before reading its settings")

    async def _build_session(self) -> tuple[aiohttp.ClientSession, object]:
        """A session for this hook's connection; the Airflow connection is read here, once.

        Proxy and TLS as ``FivetranHook`` (``requests``) applies them: the ``proxies``/``proxy`` extra, else
        ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` from the environment (``trust_env``, default true);
        ``verify``/``verify_ssl`` false or a CA bundle path, and a client ``cert``, on the connector.
        """
        config = await self._read_connection()
        headers = dict(config.headers)
        if config.authorization:  # a header: aiohttp deprecates BasicAuth (a warning per trigger run)
            headers["Authorization"] = config.authorization
        if config.cert is None and isinstance(config.verify, bool):
            tls = tls_setting(config.verify)
        else:  # a CA bundle or a client certificate to read from disk: off the event loop
            tls = await asyncio.to_thread(tls_setting, config.verify, config.cert)
        session = aiohttp.ClientSession(
            base_url=config.base_url + "/",
            headers=headers,
            timeout=aiohttp.ClientTimeout(
                total=config.settings.call_deadline,  # one attempt as a whole: a trickled answer ends here
                connect=config.settings.connect_timeout,
                sock_read=config.settings.read_timeout,
            ),
            connector=new_connector(tls),
            cookie_jar=aiohttp.DummyCookieJar(),  # Fivetran sets no cookies; don't keep a jar per session
            trust_env=config.trust_env,
        )
        return session, SessionContext(config.settings, config.proxy, config.secrets)

    async def _client_session(self) -> aiohttp.ClientSession:
        if self._lease is None:
            key = (self.fivetran_conn_id, tuple(sorted(self._overrides.items())))
            self._lease = await POOL.acquire(key, self._build_session)
            assert isinstance(self._lease.context, SessionContext)
            self._context = self._lease.context
        return self._lease.session

    async def __aenter__(self) -> FivetranAsyncHook:
        await self._client_session()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Give the shared session back (it closes when its last user leaves)."""
        if self._lease is not None:
            lease, self._lease = self._lease, None
            await POOL.release(lease)

    async def _attempt(self, method: str, path: str, attempt: int, *, json: Any = None) -> dict[str, Any]:
        client = await self._client_session()
        shared = self._context
        assert shared is not None  # taken with the lease
        loop = asyncio.get_running_loop()
        started = loop.time()
        self.spend.count(attempt)
        try:
            async with client.request(
                method, path.lstrip("/"), json=json, allow_redirects=False, proxy=shared.proxy
            ) as response:
                # Bytes, decoded leniently: a proxy's Latin-1 error page is an answer, not a UnicodeDecodeError
                status, headers = response.status, response.headers
                body = decode_body(await response.read(), response.charset)
        except TimeoutError:
            passed = loop.time() - started >= self.settings.call_deadline  # the session's total timeout
            raise no_answer(
                self.settings, method=method, path=path, attempt=attempt, deadline=passed
            ) from None
        except aiohttp.ClientError as exc:
            raise no_answer(self.settings, method=method, path=path, attempt=attempt, cause=exc) from None
        try:
            return read_answer(
                status=status,
                body=body,
                headers=headers,
                method=method,
                path=path,
                conn_id=self.fivetran_conn_id,
                attempt=attempt,
                secrets=shared.secrets | secret_values(json),
            )
        except FivetranAuthError:
            self._retire_session()
            raise

    def _retire_session(self) -> None:
        """After a 401/403: hooks that start from now on build a new session, reading the Airflow connection
        again (a rotated secret); the hooks holding this one keep it until they leave."""
        if self._lease is not None:
            self.log.warning(
                "Fivetran refused the credentials of Airflow connection %r: new calls will read it again",
                self.fivetran_conn_id,
            )
            POOL.retire(self._lease)

    async def call(
        self, method: str, path: str, *, json: Any = None, applied_statuses: Collection[int] = ()
    ) -> dict[str, Any]:
        """One API call with the shared retry policy; waits with ``asyncio.sleep`` only.

        ``applied_statuses`` as in ``FivetranHook.call``: after an attempt whose answer was lost, a retry
        answered with one of them means that attempt did the work, and the call succeeds.
        """
        await self._client_session()
        memory = AttemptMemory(applied_statuses)
        async for attempt in tenacity.AsyncRetrying(**retrying_kwargs(self.settings.max_attempts)):
            with attempt:
                number = attempt.retry_state.attempt_number
                if number > 1:
                    self.log.warning("Retrying %s %s (attempt %d)", method, path, number)
                try:
                    return await self._attempt(method, path, number, json=json)
                except FivetranError as exc:
                    if memory.applied_earlier(exc):
                        envelope = applied_earlier(exc)
                        self.log.warning("%s", envelope["message"])
                        return envelope
                    memory.record(exc)
                    raise
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def get_connection_details(self, connection_id: str) -> Connection:
        """``GET /v1/connections/{id}``."""
        path = connection_path(connection_id)
        envelope = await self.call("GET", path)
        data = envelope_data(envelope, method="GET", path=path, status=200)
        return Connection.from_api(data, method="GET", path=path)

    async def run_setup_tests(self, connection_id: str) -> Connection:
        """``POST /v1/connections/{id}/test``: re-run the setup tests (idempotent, so safe in a trigger)."""
        path = connection_path(connection_id, "test")
        envelope = await self.call("POST", path, json={})
        data = envelope_data(envelope, method="POST", path=path, status=200)
        return Connection.from_api(data, method="POST", path=path)

    async def list_group(self, group_id: str) -> list[dict[str, Any]]:
        """``GET /v1/connections?group_id=...&limit=1000``, every page: the group's connections as Fivetran
        answered them (raw item objects; each trigger parses only its own with ``Connection.from_api``).

        The cursor is read as ``ConnectionPage`` reads it (``CURSOR_KEYS``); a cursor seen before is refused
        (a server looping on it would keep a trigger listing forever).
        """
        params: dict[str, Any] = {"group_id": group_id, "limit": 1000}
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        while True:
            path = f"{CONNECTIONS_PATH}?{urlencode(params)}"
            data = envelope_data(await self.call("GET", path), method="GET", path=path, status=200)
            page = data.get("items")
            if not isinstance(page, list) or not all(isinstance(item, dict) for item in page):
                raise FivetranResponseError(
                    "list answer has no 'items' array of objects", method="GET", path=path
                )
            items.extend(page)
            cursor = next((data[key] for key in CURSOR_KEYS if data.get(key)), None)
            if cursor is None:  # absent, null or "" under every key: the last page
                return items
            if not isinstance(cursor, str):
                raise FivetranResponseError(
                    f"list answer has a cursor that is not a string: {cursor!r}", method="GET", path=path
                )
            if cursor in seen:
                raise FivetranResponseError(f"pagination loops on cursor {cursor!r}", method="GET", path=path)
            seen.add(cursor)
            params["cursor"] = cursor
