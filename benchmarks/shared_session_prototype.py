"""A what-if, NOT the package's behaviour: every trigger of one event loop shares one HTTP session.

Today ``FivetranAsyncHook`` opens one ``aiohttp.ClientSession`` (with its own connector, cookie jar and TCP
connection) per trigger run and resolves the Airflow connection per trigger. This prototype, installed only
into the benchmark client's process by ``waits_client.py --side ours-shared``, sizes the proposed fix: the
first hook of a (loop, Airflow connection id) builds one session with a bounded connector
(``limit=CONNECTION_LIMIT``) and no cookie jar, and every later hook of that loop reuses it and its resolved
settings; closing a hook leaves the shared session open. Nothing else of the hook changes (same calls, retries,
timeouts, errors).
"""

from __future__ import annotations

import asyncio
from typing import Any

CONNECTION_LIMIT = 64


def install() -> None:
    import aiohttp

    from airflow_spotify_fivetran.hooks import fivetran_async
    from airflow_spotify_fivetran.hooks.api import default_headers

    base: Any = fivetran_async.FivetranAsyncHook
    shared: dict[tuple[int, str], asyncio.Future[tuple[Any, Any, Any]]] = {}

    class SharedSessionHook(base):  # type: ignore[misc, valid-type]
        async def _client_session(self) -> aiohttp.ClientSession:
            loop = asyncio.get_running_loop()
            key = (id(loop), self.fivetran_conn_id)
            pending = shared.get(key)
            if pending is None:
                pending = shared[key] = loop.create_future()
                config = await self.config()
                settings = self.settings
                headers = {**default_headers(), **(config.headers or {})}
                if self._authorization:
                    headers["Authorization"] = self._authorization
                session = aiohttp.ClientSession(
                    base_url=config.base_url.rstrip("/") + "/",
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(
                        connect=settings.connect_timeout, sock_read=settings.read_timeout
                    ),
                    connector=aiohttp.TCPConnector(limit=CONNECTION_LIMIT),
                    cookie_jar=aiohttp.DummyCookieJar(),
                )
                pending.set_result((session, config, settings))
            session, self._config, self._settings = await pending
            return session  # type: ignore[no-any-return]

        async def aclose(self) -> None:
            """The shared session outlives the hook."""

    fivetran_async.FivetranAsyncHook = SharedSessionHook  # type: ignore[misc]
