"""``FivetranAsyncHook``: the non-blocking path that triggers use in the triggerer's event loop.

Built on ``HttpAsyncHook``, which resolves the Airflow connection asynchronously. Calls go through an
``aiohttp.ClientSession`` taken by ``async with FivetranAsyncHook(...) as hook`` and reused for every poll of
a trigger run. Hooks of the same Airflow connection in the same event loop share that session
(``session_pool``): a thousand waiting triggers resolve the connection once and hold a bounded pool of
sockets. Same timeouts, retry policy, headers and error types as the synchronous ``FivetranHook``. Nothing
here sleeps except ``asyncio.sleep``, and no call blocks the loop.
"""

from __future__ import annotations

import base64
from types import TracebackType
from typing import Any
from urllib.parse import urlparse

import aiohttp
import tenacity
from airflow.providers.http.hooks.http import HttpAsyncHook, SessionConfig

from airflow_spotify_fivetran.hooks.api import (
    DEFAULT_CONN_ID,
    DEFAULT_HOST,
    OUR_EXTRAS,
    CallSettings,
    connection_path,
    default_headers,
    envelope_data,
    no_answer,
    read_answer,
)
from airflow_spotify_fivetran.hooks.retry import retrying_kwargs
from airflow_spotify_fivetran.hooks.secrets import mask_value
from airflow_spotify_fivetran.hooks.session_pool import POOL, Lease, new_connector
from airflow_spotify_fivetran.models import Connection


class FivetranAsyncHook(HttpAsyncHook):
    """Asynchronous reads of Fivetran connections, for triggers.

    Use it as an async context manager so its HTTP session (and its pooled TCP connection) lives exactly as
    long as the trigger run::

        async with FivetranAsyncHook("fivetran_default") as hook:
            connection = await hook.get_connection_details(connection_id)

    Parameters are those of ``FivetranHook``.
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
    ) -> None:
        super().__init__(method="GET", http_conn_id=fivetran_conn_id)
        # HttpAsyncHook calls auth_type(login, password) once, while it resolves the connection. aiohttp
        # deprecates BasicAuth (a warning per trigger run), so we keep the header and hand back None.
        self.auth_type = self._remember_credentials
        self._authorization: str | None = None
        self.fivetran_conn_id = fivetran_conn_id
        self._overrides: dict[str, Any] = {
            "connect_timeout": connect_timeout,
            "read_timeout": read_timeout,
            "max_attempts": max_attempts,
        }
        self._settings: CallSettings | None = None
        self._lease: Lease | None = None

    def _remember_credentials(self, login: str, password: str | None) -> None:
        token = base64.b64encode(f"{login}:{password or ''}".encode("latin1")).decode("ascii")
        self._authorization = f"Basic {token}"
        mask_value(password)

    async def config(self) -> SessionConfig:
        """Resolve the Airflow connection once; our extras become settings, never HTTP headers."""
        if self._settings is None:
            config = await super().config()
            headers = dict(config.headers or {})
            extras = {key: headers.pop(key) for key in OUR_EXTRAS if key in headers}
            self._settings = CallSettings.resolve(extras, **self._overrides)
            base_url = config.base_url if urlparse(config.base_url).hostname else DEFAULT_HOST
            self._config = config.model_copy(update={"headers": headers, "base_url": base_url})
        assert self._config is not None
        return self._config

    @property
    def settings(self) -> CallSettings:
        if self._settings is None:
            raise RuntimeError("call `await hook.config()` (or enter the hook) before reading its settings")
        return self._settings

    async def _build_session(self) -> tuple[aiohttp.ClientSession, object]:
        """A session for this hook's connection; the Airflow connection is resolved here, once."""
        config = await self.config()
        settings = self.settings
        headers = {**default_headers(), **(config.headers or {})}
        if self._authorization:
            headers["Authorization"] = self._authorization
        session = aiohttp.ClientSession(
            base_url=config.base_url.rstrip("/") + "/",
            headers=headers,
            timeout=aiohttp.ClientTimeout(connect=settings.connect_timeout, sock_read=settings.read_timeout),
            connector=new_connector(),
            cookie_jar=aiohttp.DummyCookieJar(),  # Fivetran sets no cookies; don't keep a jar per session
        )
        return session, settings

    async def _client_session(self) -> aiohttp.ClientSession:
        if self._lease is None:
            key = (self.fivetran_conn_id, tuple(sorted(self._overrides.items())))
            self._lease = await POOL.acquire(key, self._build_session)
            assert isinstance(self._lease.context, CallSettings)
            self._settings = self._lease.context
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
        try:
            async with client.request(method, path.lstrip("/"), json=json, allow_redirects=False) as response:
                status, body, headers = response.status, await response.text(), response.headers
        except TimeoutError:
            raise no_answer(self.settings, method=method, path=path, attempt=attempt) from None
        except aiohttp.ClientError as exc:
            raise no_answer(self.settings, method=method, path=path, attempt=attempt, cause=exc) from None
        return read_answer(
            status=status,
            body=body,
            headers=headers,
            method=method,
            path=path,
            conn_id=self.fivetran_conn_id,
            attempt=attempt,
        )

    async def call(self, method: str, path: str, *, json: Any = None) -> dict[str, Any]:
        """One API call with the shared retry policy; waits with ``asyncio.sleep`` only."""
        await self._client_session()
        async for attempt in tenacity.AsyncRetrying(**retrying_kwargs(self.settings.max_attempts)):
            with attempt:
                number = attempt.retry_state.attempt_number
                if number > 1:
                    self.log.warning("Retrying %s %s (attempt %d)", method, path, number)
                return await self._attempt(method, path, number, json=json)
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
