"""``FivetranAsyncHook``: the non-blocking path that triggers use in the triggerer's event loop.

Subclass of ``HttpAsyncHook`` (the ``fivetran`` connection type, ``config()`` giving a ``SessionConfig``).
Calls go through an ``aiohttp.ClientSession`` taken by ``async with FivetranAsyncHook(...) as hook`` and
reused for every poll of a trigger run. Hooks of the same Airflow connection in the same event loop share
that session (``session_pool``): a thousand waiting triggers resolve the connection once and hold a bounded
pool of sockets. Same base URL, timeouts (the deadline of one attempt included), retry policy, headers,
error types (secrets scrubbed, server text cut), proxy and TLS settings as the synchronous ``FivetranHook``.
Nothing here sleeps except ``asyncio.sleep``, and no call blocks the loop.
"""

from __future__ import annotations

import asyncio
import base64
import os
import ssl
from collections.abc import Collection
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import tenacity
from airflow.providers.common.compat.connection import get_async_connection
from airflow.providers.http.hooks.http import (
    HttpAsyncHook,
    SessionConfig,
    _process_extra_options_from_connection,
)

from airflow_spotify_fivetran.exceptions import FivetranAuthError, FivetranError
from airflow_spotify_fivetran.hooks.api import (
    DEFAULT_CONN_ID,
    OUR_EXTRAS,
    CallSettings,
    api_base_url,
    applied_earlier,
    check_credentials,
    connection_path,
    decode_body,
    default_headers,
    envelope_data,
    extra_flag,
    no_answer,
    read_answer,
    select_proxy,
    tls_verify,
)
from airflow_spotify_fivetran.hooks.retry import AttemptMemory, retrying_kwargs
from airflow_spotify_fivetran.hooks.secrets import amask_value, secret_values
from airflow_spotify_fivetran.hooks.session_pool import POOL, Lease, new_connector
from airflow_spotify_fivetran.models import Connection


@dataclass(frozen=True)
class SessionContext:
    """What every hook sharing a pooled session needs besides the session: its settings and proxy."""

    settings: CallSettings
    proxy: str | None = None


def tls_setting(verify: bool | str, cert: Any = None) -> bool | ssl.SSLContext:
    """The connector's ``ssl=`` for a ``verify`` (``tls_verify``) and a ``cert`` extra, as ``requests`` reads
    them: ``False`` skips certificate checks, a path is a CA bundle (file or directory), ``cert`` is a client
    certificate (one PEM path, or ``[cert, key]``). Reads files: call it off the event loop."""
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
    if cert:
        if isinstance(cert, list | tuple):
            context.load_cert_chain(*cert)
        else:
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
    conn_type = "fivetran"
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
        # The Basic auth header, set by config(): aiohttp deprecates BasicAuth (a warning per trigger run).
        self._authorization: str | None = None
        self._settings: CallSettings | None = None
        self._proxy: str | None = None
        self._api_secret: str | None = None
        self._lease: Lease | None = None

    async def config(self) -> SessionConfig:
        """Resolve the Airflow connection once, as ``FivetranHook`` reads it.

        The base URL is ``https://`` unless the host or the schema field says otherwise (``HttpAsyncHook``
        would default to ``http``); extras are split as ``HttpHook`` splits them: its request options
        (``proxies``, ``verify``, ``cert``, ``trust_env``...) go to ``extra_options``, our
        ``connect_timeout``/``read_timeout``/``max_attempts`` become settings, the rest are headers.
        """
        if self._config is None:
            conn = await get_async_connection(conn_id=self.fivetran_conn_id, hook=self)
            headers, options = _process_extra_options_from_connection(conn, {})
            extras = {key: headers.pop(key) for key in OUR_EXTRAS if key in headers}
            self._settings = CallSettings.resolve(extras, conn_id=self.fivetran_conn_id, **self._overrides)
            await amask_value(conn.password)
            self._api_secret = conn.password
            check_credentials(conn.login, conn.password, conn_id=self.fivetran_conn_id)
            if conn.login:
                token = base64.b64encode(f"{conn.login}:{conn.password or ''}".encode("ascii"))
                self._authorization = f"Basic {token.decode('ascii')}"
            self._config = SessionConfig(
                base_url=api_base_url(
                    conn.host, schema=conn.schema, port=conn.port, conn_id=self.fivetran_conn_id
                ),
                headers=headers,
                extra_options=options,
            )
        return self._config

    @property
    def settings(self) -> CallSettings:
        if self._settings is None:
            raise RuntimeError("call `await hook.config()` (or enter the hook) before reading its settings")
        return self._settings

    async def _build_session(self) -> tuple[aiohttp.ClientSession, object]:
        """A session for this hook's connection; the Airflow connection is resolved here, once.

        Proxy and TLS as ``FivetranHook`` (``requests``) applies them: the ``proxies``/``proxy`` extra, else
        ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` from the environment (``trust_env``, default true);
        ``verify``/``verify_ssl`` false or a CA bundle path, and a client ``cert``, on the connector.
        """
        config = await self.config()
        options = config.extra_options or {}
        headers = {**default_headers(), **(config.headers or {})}
        if self._authorization:
            headers["Authorization"] = self._authorization
        proxy = select_proxy(options.get("proxy"), config.base_url)
        if proxy:
            await amask_value(urlsplit(proxy).password)
        verify = tls_verify(options.get("verify_ssl"))
        cert = options.get("cert")
        if cert is None and isinstance(verify, bool):
            tls = tls_setting(verify)
        else:  # a CA bundle or a client certificate to read from disk: off the event loop
            tls = await asyncio.to_thread(tls_setting, verify, cert)
        session = aiohttp.ClientSession(
            base_url=config.base_url.rstrip("/") + "/",
            headers=headers,
            timeout=aiohttp.ClientTimeout(
                total=self.settings.call_deadline,  # one attempt as a whole: a trickled answer ends here
                connect=self.settings.connect_timeout,
                sock_read=self.settings.read_timeout,
            ),
            connector=new_connector(tls),
            cookie_jar=aiohttp.DummyCookieJar(),  # Fivetran sets no cookies; don't keep a jar per session
            trust_env=extra_flag(options.get("trust_env"), default=True),
        )
        return session, SessionContext(self.settings, proxy)

    async def _client_session(self) -> aiohttp.ClientSession:
        if self._lease is None:
            key = (self.fivetran_conn_id, tuple(sorted(self._overrides.items())))
            self._lease = await POOL.acquire(key, self._build_session)
            assert isinstance(self._lease.context, SessionContext)
            self._settings = self._lease.context.settings
            self._proxy = self._lease.context.proxy
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
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with client.request(
                method, path.lstrip("/"), json=json, allow_redirects=False, proxy=self._proxy
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
                secrets={self._api_secret, *secret_values(json)} - {None, ""},  # type: ignore[arg-type]
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
