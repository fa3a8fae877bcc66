"""One ``aiohttp.ClientSession`` per (event loop, Airflow connection, settings), shared by the hooks in it.

A triggerer runs every deferred wait in one event loop. A session per trigger would hold a connector, a
cookie jar and a TCP connection for each of a thousand waits, and look the Airflow connection up a thousand
times inside the loop. Shared, the connection is resolved once, the pool holds at most ``CONNECTION_LIMIT``
sockets, and memory per wait is a few coroutine frames. The session closes when its last user leaves, so
a rotated API secret is picked up as soon as the waits using the old one end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass

import aiohttp

#: Sockets one shared session may hold open to Fivetran at once; further requests queue for a free one.
CONNECTION_LIMIT = 64


@dataclass
class Lease:
    """A hook's share of a pooled session: release it exactly once."""

    key: Hashable
    session: aiohttp.ClientSession
    context: object
    users: int = 0


class SessionPool:
    """Sessions keyed by loop and caller key; ``acquire`` builds one on first use, ``release`` closes it
    after the last user."""

    def __init__(self) -> None:
        self._leases: dict[Hashable, Lease] = {}
        self._locks: dict[Hashable, asyncio.Lock] = {}

    async def acquire(
        self,
        key: Hashable,
        build: Callable[[], Awaitable[tuple[aiohttp.ClientSession, object]]],
    ) -> Lease:
        """The shared lease for ``key`` in the running loop; ``build`` makes (session, context) once."""
        full_key = (id(asyncio.get_running_loop()), key)
        lock = self._locks.setdefault(full_key, asyncio.Lock())
        async with lock:
            lease = self._leases.get(full_key)
            if lease is None or lease.session.closed:
                session, context = await build()
                lease = self._leases[full_key] = Lease(full_key, session, context)
            lease.users += 1
        return lease

    async def release(self, lease: Lease) -> None:
        lease.users -= 1
        if lease.users > 0:
            return
        if self._leases.get(lease.key) is lease:
            del self._leases[lease.key]
            self._locks.pop(lease.key, None)
        await lease.session.close()

    def __len__(self) -> int:
        return len(self._leases)


def new_connector() -> aiohttp.TCPConnector:
    return aiohttp.TCPConnector(limit=CONNECTION_LIMIT)


#: The pool of this process (the triggerer's, or a worker's for the odd async call).
POOL = SessionPool()
