"""What goes on the wire: headers, one reused TCP connection, timeouts, and settings from connection extras."""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib.metadata import version

import pytest

from airflow_spotify_fivetran.exceptions import FivetranServerError, FivetranTransportError
from airflow_spotify_fivetran.hooks import FivetranAsyncHook, FivetranHook
from airflow_spotify_fivetran.hooks.api import CallSettings
from fivetran_simulator import DEFAULT_GROUP_ID, SimulatorServer
from tests.hooks import ACCEPT, USER_AGENT, SleepRecorder, airflow_conn_json, header, header_problems
from tests.hooks.proxy import CountingProxy
from tests.payloads import demo_request

DETAILS = "GET /v1/connections/{id}"
EXTRAS = {"connect_timeout": 2, "read_timeout": 0.3, "max_attempts": 2}


def _exercise_every_method(hook: FivetranHook) -> str:
    """Call every endpoint of the hook once (creating one connection); returns its id."""
    created = hook.create_connection(demo_request("ads_wire"))
    hook.get_connection_details(created.id)
    list(hook.list_connections(page_size=1))
    hook.find_connection(DEFAULT_GROUP_ID, "ads_wire")
    hook.modify_connection(created.id, {"paused": False})
    hook.run_setup_tests(created.id)
    hook.sync_connection(created.id)
    hook.create_connect_card(created.id, redirect_uri="https://airflow.example.com/done")
    assert hook.test_connection()[0]
    return created.id


# -- headers --------------------------------------------------------------------------------------------------


def test_every_request_carries_accept_user_agent_and_json_content_type(
    hook: FivetranHook, simulator: SimulatorServer
) -> None:
    conn_id = _exercise_every_method(hook)
    simulator.control.advance_clock(3600)  # the sync ends, so a resync may start
    hook.resync_connection(conn_id)
    hook.delete_connection(conn_id)

    log = simulator.control.requests()
    assert {e["method"] for e in log} == {"GET", "POST", "PATCH", "DELETE"}
    installed = version("airflow-spotify-fivetran")  # the distribution's metadata, not our __version__
    assert header(log[0], "User-Agent") == f"airflow-spotify-fivetran/{installed}"
    for entry in log:
        assert header_problems(entry) == []
        assert header(entry, "Accept") == ACCEPT
        assert header(entry, "User-Agent") == USER_AGENT
    bodies = [e for e in log if e["method"] in ("POST", "PATCH")]
    assert len(bodies) >= 6
    assert all(header(e, "Content-Type") == "application/json" for e in bodies)


async def test_async_hook_sends_the_same_headers(hook: FivetranHook, simulator: SimulatorServer) -> None:
    created = hook.create_connection(demo_request("ads_async_wire", run_setup_tests=False))
    simulator.control.clear_requests()

    async with FivetranAsyncHook() as async_hook:
        await async_hook.get_connection_details(created.id)
        await async_hook.run_setup_tests(created.id)

    log = simulator.control.requests()
    assert len(log) == 2
    for entry in log:
        assert header(entry, "Accept") == ACCEPT
        assert header(entry, "User-Agent") == USER_AGENT
    assert header(log[1], "Content-Type") == "application/json"


# -- one TCP connection -----------------------------------------------------------------------------------------


def test_one_tcp_connection_serves_every_call_of_a_hook(
    make_hook: Callable[..., FivetranHook], simulator: SimulatorServer, counting_proxy: CountingProxy
) -> None:
    hook = make_hook(host=counting_proxy.base_url)

    conn_id = _exercise_every_method(hook)

    assert len(simulator.control.requests()) == 9  # every call went through the proxy...
    assert counting_proxy.accepted == 1  # ...over a single TCP connection

    other = make_hook(host=counting_proxy.base_url)  # the proxy does count connections: a second hook
    other.get_connection_details(conn_id)
    assert counting_proxy.accepted == 2


async def test_async_hook_reuses_one_tcp_connection(
    make_hook: Callable[..., FivetranHook], simulator: SimulatorServer, counting_proxy: CountingProxy
) -> None:
    created = make_hook().create_connection(demo_request("ads_async_tcp", run_setup_tests=False))
    make_hook(host=counting_proxy.base_url)  # points AIRFLOW_CONN_FIVETRAN_DEFAULT at the proxy

    async with FivetranAsyncHook() as async_hook:
        for _ in range(3):
            await async_hook.get_connection_details(created.id)
        await async_hook.run_setup_tests(created.id)

    assert len(simulator.control.requests()) == 5  # the create, then four calls through the proxy
    assert counting_proxy.accepted == 1


# -- timeouts ------------------------------------------------------------------------------------------------------


def test_an_answer_later_than_read_timeout_fails_the_call(
    make_hook: Callable[..., FivetranHook], simulator: SimulatorServer
) -> None:
    hook = make_hook(read_timeout=0.3, max_attempts=1)
    created = hook.create_connection(demo_request("ads_slow"))
    simulator.control.add_fault(DETAILS, "delay", seconds=5, apply=True)

    started = time.monotonic()
    with pytest.raises(FivetranTransportError, match=r"no answer within the timeout .*read 0\.3 s"):
        hook.get_connection_details(created.id)

    assert time.monotonic() - started < 3  # gave up on its own timeout, long before the 5 s answer


def test_a_late_answer_is_retried(
    make_hook: Callable[..., FivetranHook], simulator: SimulatorServer, recorder: SleepRecorder
) -> None:
    hook = make_hook(read_timeout=0.3, max_attempts=2)
    created = hook.create_connection(demo_request("ads_slow_once"))
    simulator.control.add_fault(DETAILS, "delay", seconds=5, apply=True)

    assert hook.get_connection_details(created.id).id == created.id
    assert len(recorder.delays) == 1


async def test_async_hook_applies_read_timeout(
    make_hook: Callable[..., FivetranHook], simulator: SimulatorServer
) -> None:
    created = make_hook().create_connection(demo_request("ads_async_slow"))
    simulator.control.add_fault(DETAILS, "delay", seconds=5, apply=True)

    started = time.monotonic()
    async with FivetranAsyncHook(read_timeout=0.3, max_attempts=1) as async_hook:
        with pytest.raises(FivetranTransportError, match=r"no answer within the timeout .*read 0\.3 s"):
            await async_hook.get_connection_details(created.id)
    assert time.monotonic() - started < 3


# -- settings from connection extras -----------------------------------------------------------------------------


def test_extras_set_timeouts_and_attempts_and_are_not_sent_as_headers(
    make_hook: Callable[..., FivetranHook], simulator: SimulatorServer, recorder: SleepRecorder
) -> None:
    hook = make_hook(extra=EXTRAS)
    created = hook.create_connection(demo_request("ads_extras"))

    assert hook.settings == CallSettings(connect_timeout=2.0, read_timeout=0.3, max_attempts=2)
    simulator.control.add_fault(DETAILS, "delay", seconds=5, apply=True, count=2)
    with pytest.raises(FivetranTransportError, match=r"read 0\.3 s"):  # read_timeout applied...
        hook.get_connection_details(created.id)
    assert len(recorder.delays) == 1  # ...and max_attempts: 2 attempts, one wait between them

    simulator.control.add_fault(DETAILS, "error", status=503, count=5)
    with pytest.raises(FivetranServerError, match="after 2 attempts"):
        hook.get_connection_details(created.id)
    log = simulator.control.requests()
    assert sum(e["fault"] == "error" for e in log) == 2
    for entry in log:
        sent = {name.lower() for name in entry["headers"]}
        assert not sent & {"connect_timeout", "read_timeout", "max_attempts"}


def test_hook_arguments_win_over_extras(make_hook: Callable[..., FivetranHook]) -> None:
    hook = make_hook(extra=EXTRAS, read_timeout=7, max_attempts=4)

    assert hook.settings == CallSettings(connect_timeout=2.0, read_timeout=7.0, max_attempts=4)


async def test_async_hook_reads_the_same_extras(
    make_hook: Callable[..., FivetranHook], simulator: SimulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = make_hook().create_connection(demo_request("ads_async_extras"))
    monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_DEFAULT", airflow_conn_json(simulator, extra=EXTRAS))
    simulator.control.clear_requests()

    async with FivetranAsyncHook() as async_hook:
        assert async_hook.settings == CallSettings(connect_timeout=2.0, read_timeout=0.3, max_attempts=2)
        await async_hook.get_connection_details(created.id)

    (entry,) = simulator.control.requests()
    assert not {name.lower() for name in entry["headers"]} & {
        "connect_timeout",
        "read_timeout",
        "max_attempts",
    }
