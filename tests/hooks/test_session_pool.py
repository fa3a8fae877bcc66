"""The shared session of the async hooks: one per loop and connection, retired after a 401/403 so that a
rotated API secret is picked up by the next hook while the hooks holding the old session keep it."""

from __future__ import annotations

import json
from collections.abc import Callable

import aiohttp
import pytest

from airflow_spotify_fivetran.exceptions import FivetranAuthError, FivetranNotFoundError
from airflow_spotify_fivetran.hooks import FivetranAsyncHook
from airflow_spotify_fivetran.hooks.session_pool import POOL, SessionPool
from fivetran_simulator import SimulatorServer


class FakeBuild:
    """A ``build`` for ``SessionPool.acquire`` that counts the sessions it made."""

    def __init__(self) -> None:
        self.sessions: list[aiohttp.ClientSession] = []

    async def __call__(self) -> tuple[aiohttp.ClientSession, object]:
        self.sessions.append(aiohttp.ClientSession())
        return self.sessions[-1], len(self.sessions)


async def test_retire_makes_the_next_acquire_build_a_new_session() -> None:
    pool, build = SessionPool(), FakeBuild()
    first = await pool.acquire("conn", build)
    second = await pool.acquire("conn", build)
    assert first is second
    assert len(build.sessions) == 1

    pool.retire(first)
    pool.retire(first)  # idempotent
    assert len(pool) == 0
    fresh = await pool.acquire("conn", build)
    assert fresh is not first
    assert fresh.context == 2
    pool.retire(first)  # a stale lease never retires the one that replaced it
    assert len(pool) == 1

    await pool.release(first)
    assert not first.session.closed  # its other user still holds it
    await pool.release(second)
    assert first.session.closed  # the last user of the retired session closed it
    assert not fresh.session.closed
    assert len(pool) == 1
    await pool.release(fresh)
    assert fresh.session.closed
    assert len(pool) == 0
    assert pool._locks == {}  # nothing left behind


async def test_release_of_a_retired_lease_leaves_the_pool_empty() -> None:
    pool, build = SessionPool(), FakeBuild()
    lease = await pool.acquire("conn", build)
    pool.retire(lease)
    await pool.release(lease)
    assert lease.session.closed
    assert len(pool) == 0
    assert pool._locks == {}


def _conn_json(simulator: SimulatorServer, secret: str) -> str:
    conn = json.loads(simulator.airflow_conn_json)
    conn["password"] = secret
    return json.dumps(conn)


async def test_a_rotated_secret_is_picked_up_by_the_next_hook(
    simulator_factory: Callable[..., SimulatorServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = simulator_factory(api_secret="old-secret")
    monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_DEFAULT", _conn_json(server, "old-secret"))

    async with FivetranAsyncHook() as first, FivetranAsyncHook() as second:
        assert first._lease is second._lease  # one shared session
        old = first._lease
        assert old is not None
        with pytest.raises(FivetranNotFoundError):  # authenticated: the id is unknown, the key is fine
            await first.get_connection_details("any_connection")

        # The secret is rotated at Fivetran and in the Airflow connection.
        server.state.api_secret = "new-secret"
        monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_DEFAULT", _conn_json(server, "new-secret"))
        assert len(POOL) == 1

        with pytest.raises(FivetranAuthError, match="401"):
            await first.get_connection_details("any_connection")
        assert len(POOL) == 0  # retired at once, though two hooks still use it

        async with FivetranAsyncHook() as third:  # reads the Airflow connection again
            assert third._lease is not old
            with pytest.raises(FivetranNotFoundError):
                await third.get_connection_details("any_connection")

        # The hooks holding the old session keep it until they leave.
        assert not old.session.closed
        with pytest.raises(FivetranAuthError):
            await second.get_connection_details("any_connection")

    assert old.session.closed  # closed by its last user
    assert len(POOL) == 0
    statuses = [e["status"] for e in server.control.requests()]
    assert statuses == [404, 401, 404, 401]  # a 401 is never retried
