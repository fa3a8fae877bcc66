"""One list poll per group for the triggers of one event loop: a thousand waits, one request per interval.

A triggerer runs every deferred wait in one event loop. Waits on connections of the same group, through the
same Airflow connection and hook settings, share a ``GroupPoller``: ``await poller.connection(id, max_age,
now)`` answers from the group's latest list answer when its request started less than ``max_age`` seconds
(the asking trigger's poll interval) before ``now`` (``fresh``), and otherwise starts one list fetch that
every trigger asking meanwhile awaits. Fivetran's list answer carries each connection's ``status``,
``succeeded_at`` and ``failed_at``: all a wait decides from.

* The fetch runs as its own ``asyncio.Task`` with its own ``FivetranAsyncHook`` (on the pooled session), and
  its callers await it shielded: a trigger cancelled mid-fetch (its task ended, its look timed out) does not
  cancel the others' fetch. The trigger that started a fetch counts its requests (``spend``).
* A fetch refused with a rate limit (429) is remembered until its ``Retry-After`` has passed: callers meanwhile
  get a ``FivetranRateLimitError`` with the time left, without a new request (no storm of a thousand
  retries). Any other error goes to the callers of that fetch only; the next look fetches again.
* A poll is shared only when it saves requests: while a group has no more waiting triggers than its list
  takes pages (one, up to 1,000 connections), each reads its own connection (``shares``): as many requests,
  and a much smaller answer than the whole group's.
* A connection missing from the answer (moved to another group, deleted, or a group answer cut short) is
  ``None``, as is every connection of a poll not shared: the trigger reads its own connection then, so a
  deleted one still fails its wait clearly (404).
  A group that no longer exists (404 on the list) reads as an empty group, for the same reason.
* Pollers are counted by their users (``use_group_poller``) and dropped with the last one: a long-lived
  triggerer keeps none for groups nobody waits on.

Times are the callers' (a trigger's ``_now``), never the wall clock read here, so tests drive them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow_spotify_fivetran.exceptions import FivetranNotFoundError, FivetranRateLimitError

#: Connections per page of a group's list (``FivetranAsyncHook.list_group``: Fivetran's largest ``limit``).
PAGE_SIZE = 1000

if TYPE_CHECKING:
    from airflow_spotify_fivetran.spend import ApiSpend


def fresh(started: datetime | None, max_age: float, now: datetime) -> bool:
    """Whether an answer whose request started at ``started`` may serve a look at ``now`` by a wait polling
    every ``max_age`` seconds: started less than ``max_age`` before ``now`` (and not after it).

    Strictly less: waits polling in step (the same interval, looking at the same moments) then fetch once
    per interval each time, instead of reusing an answer a whole interval old and seeing news every other
    interval. No answer yet (``None``) is never fresh.
    """
    if started is None:
        return False
    age = (now - started).total_seconds()
    return 0 <= age < max_age


def shares(waits: int, pages: int) -> bool:
    """Whether ``waits`` triggers of a group whose list takes ``pages`` requests (1 before any answer) save
    requests by listing the group instead of each reading its own connection."""
    return waits > max(pages, 1)


@dataclass
class _Snapshot:
    started: datetime
    items: dict[str, dict[str, Any]]

    @property
    def pages(self) -> int:
        return -(-len(self.items) // PAGE_SIZE)


@dataclass
class _Fetch:
    started: datetime
    task: asyncio.Task[_Snapshot]


@dataclass
class GroupPoller:
    """The shared list poll of one group (see the module); build it with ``use_group_poller``."""

    fivetran_conn_id: str
    hook_params: Mapping[str, Any]
    group_id: str
    users: int = 0
    _snapshot: _Snapshot | None = None
    _fetch: _Fetch | None = None
    _limited_until: datetime | None = None
    _limit: FivetranRateLimitError | None = None
    #: List requests started (each a fetch of every page); for the tests' and benchmarks' counts.
    fetches: int = field(default=0)

    async def connection(
        self, connection_id: str, *, max_age: float, now: datetime, spend: ApiSpend | None = None
    ) -> dict[str, Any] | None:
        """The connection's item in a group answer fresh for ``max_age`` at ``now`` (``fresh``), or
        ``None`` when the group's answer does not hold it or the poll is not worth sharing (``shares``): the
        caller reads its own connection then. ``spend``: where the requests of a fetch this
        call starts are counted.

        Raises what the fetch raised: a ``FivetranRateLimitError`` (also, without a request, while an
        earlier refusal's ``Retry-After`` runs), or any other error of the fetch this call awaited.
        """
        snapshot = self._snapshot
        if snapshot is not None and fresh(snapshot.started, max_age, now):
            return snapshot.items.get(connection_id)
        if not shares(self.users, snapshot.pages if snapshot is not None else 1):
            return None
        if self._limited_until is not None and now < self._limited_until and self._limit is not None:
            raise _still_limited(self._limit, (self._limited_until - now).total_seconds())
        fetch = self._fetch
        if fetch is None or not fresh(fetch.started, max_age, now):
            fetch = self._start(now, spend)
        snapshot = await asyncio.shield(fetch.task)
        return snapshot.items.get(connection_id)

    def _start(self, now: datetime, spend: ApiSpend | None) -> _Fetch:
        self.fetches += 1
        fetch = _Fetch(now, asyncio.get_running_loop().create_task(self._list(now, spend)))
        fetch.task.add_done_callback(lambda task: self._finished(fetch))
        self._fetch = fetch
        return fetch

    async def _list(self, started: datetime, spend: ApiSpend | None) -> _Snapshot:
        from airflow_spotify_fivetran.hooks.fivetran_async import FivetranAsyncHook

        hook = FivetranAsyncHook(self.fivetran_conn_id, **self.hook_params)
        try:
            async with hook:
                items = await hook.list_group(self.group_id)
        except FivetranNotFoundError:  # the group is gone: so are its connections (each wait reads its own)
            items = []
        finally:
            if spend is not None:
                spend.add(hook.spend)
        return _Snapshot(started, {str(item.get("id")): item for item in items})

    def _finished(self, fetch: _Fetch) -> None:
        """Keep what a finished fetch learned: its answer, or how long Fivetran asked us to wait."""
        if self._fetch is fetch:
            self._fetch = None
        if fetch.task.cancelled():
            return
        error = fetch.task.exception()
        if error is None:
            result = fetch.task.result()
            if self._snapshot is None or result.started >= self._snapshot.started:
                self._snapshot = result
        elif isinstance(error, FivetranRateLimitError) and error.retry_after:
            self._limit = error
            self._limited_until = fetch.started + timedelta(seconds=error.retry_after)

    def close(self) -> None:
        """Stop a fetch nobody waits for any more (the last user left)."""
        if self._fetch is not None:
            self._fetch.task.cancel()
            self._fetch = None


def _still_limited(refusal: FivetranRateLimitError, seconds_left: float) -> FivetranRateLimitError:
    """The remembered refusal, with the ``Retry-After`` still to run (a wait sleeps that long, no longer)."""
    return FivetranRateLimitError(
        status=refusal.status,
        code=refusal.code,
        message=refusal.api_message,
        method=refusal.method,
        path=refusal.path,
        request_id=refusal.request_id,
        attempts=refusal.attempts,
        hint=refusal.hint,
        retry_after=max(seconds_left, 0.0),
    )


_PollerKey = tuple[int, str, tuple[tuple[str, Any], ...], str]
_POLLERS: dict[_PollerKey, GroupPoller] = {}


@contextmanager
def use_group_poller(
    fivetran_conn_id: str, hook_params: Mapping[str, Any], group_id: str
) -> Iterator[GroupPoller]:
    """The running loop's poller of ``group_id`` through ``fivetran_conn_id`` with ``hook_params``, held for
    the ``with`` block; dropped when its last user leaves."""
    key = (
        id(asyncio.get_running_loop()),
        fivetran_conn_id,
        tuple(sorted(hook_params.items())),
        group_id,
    )
    poller = _POLLERS.get(key)
    if poller is None:
        poller = _POLLERS[key] = GroupPoller(fivetran_conn_id, dict(hook_params), group_id)
    poller.users += 1
    try:
        yield poller
    finally:
        poller.users -= 1
        if poller.users == 0:
            poller.close()
            if _POLLERS.get(key) is poller:
                del _POLLERS[key]


def active_pollers() -> int:
    """Pollers in use in this process (every loop): none once every wait has ended."""
    return len(_POLLERS)
