"""One ``aiohttp.ClientSession`` per (event loop, Airflow connection, settings), shared by the hooks in it.

A triggerer runs every deferred wait in one event loop. A session per trigger would hold a connector, a
cookie jar and a TCP connection for each of a thousand waits, and look the Airflow connection up a thousand
times inside the loop. Shared, the connection is resolved once, the pool holds at most ``CONNECTION_LIMIT``
sockets, and memory per wait is a few coroutine frames.

A session lives while it has users: it closes when its last user leaves, and the next hook builds a new one,
reading the Airflow connection again. Under a steady stream of waits that moment may never come, so a session
whose call was refused with 401/403 (a rotated or revoked API secret) is *retired* (``retire``): it leaves the
pool at once, the next hook builds a fresh session from the Airflow connection as it is now, and the hooks
still holding the old one keep it until they leave; the last one closes it.
"""

from __future__ import annotations

import asyncio
import ssl
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
    after the last user, ``retire`` makes the next ``acquire`` build a new one."""

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

    def retire(self, lease: Lease) -> None:
        """Take ``lease`` out of the pool: the next ``acquire`` of its key builds a new session. Its current
        users keep it until they ``release`` it; the last release closes it. Idempotent."""
        if self._leases.get(lease.key) is lease:
            del self._leases[lease.key]

    async def release(self, lease: Lease) -> None:
        """Give a share back; the session closes when its last user leaves."""
        lease.users -= 1
        if lease.users > 0:
            return
        if self._leases.get(lease.key) is lease:
            del self._leases[lease.key]
        lock = self._locks.get(lease.key)
        if lease.key not in self._leases and lock is not None and not lock.locked():
            del self._locks[lease.key]  # nobody uses or is building a session of this key
        await lease.session.close()

    def __len__(self) -> int:
        return len(self._leases)


def new_connector(tls: bool | ssl.SSLContext = True) -> aiohttp.TCPConnector:
    """The connector of a shared session; ``tls`` False skips certificate checks, a context sets them."""
    return aiohttp.TCPConnector(limit=CONNECTION_LIMIT, ssl=tls)


#: The pool of this process (the triggerer's, or a worker's for the odd async call).
POOL = SessionPool()
