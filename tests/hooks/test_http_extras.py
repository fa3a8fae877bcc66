"""The http provider's own connection extras: each is honoured by both hooks, or refused before any call with
a message naming the Airflow connection, the extra and the reason (``connection_config.EXTRAS``)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from airflow.sdk import Connection

from airflow_spotify_fivetran.exceptions import (
    FivetranApiError,
    FivetranConfigurationError,
    FivetranTransportError,
)
from airflow_spotify_fivetran.hooks import FivetranAsyncHook, FivetranHook
from airflow_spotify_fivetran.hooks.api import CallSettings
from airflow_spotify_fivetran.hooks.connection_config import ConnectionConfig, read_connection
from fivetran_simulator import SimulatorServer
from tests.hooks import header
from tests.hooks.raw_server import RawAnswer, raw_server
from tests.payloads import demo_request

DETAILS = "GET /v1/connections/{id}"


def read(**extra: Any) -> ConnectionConfig:
    conn = Connection(
        conn_id="fivetran_default",
        conn_type="fivetran",
        host="https://api.fivetran.com",
        login="key",
        password="secret",
        extra=json.dumps(extra),
    )
    return read_connection(conn, conn_id="fivetran_default")


# -- honoured ---------------------------------------------------------------------------------------------------

HONOURED: dict[str, tuple[dict[str, Any], Callable[[ConnectionConfig], object], object]] = {
    "timeout-one-number": (
        {"timeout": 5},
        lambda c: c.settings,
        CallSettings(connect_timeout=5, read_timeout=5),
    ),
    "timeout-connect-read": (
        {"timeout": [2, 30]},
        lambda c: c.settings,
        CallSettings(connect_timeout=2, read_timeout=30),
    ),
    "timeout-null": ({"timeout": None}, lambda c: c.settings, CallSettings()),
    "timeout-with-call_timeout": (
        {"timeout": 5, "call_timeout": 7},
        lambda c: c.settings,
        CallSettings(connect_timeout=5, read_timeout=5, call_timeout=7),
    ),
    "verify_ssl-false": ({"verify_ssl": "false"}, lambda c: c.verify, False),
    "verify-wins-over-verify_ssl": (
        {"verify": "/ca.pem", "verify_ssl": False},
        lambda c: c.verify,
        "/ca.pem",
    ),
    "cert-and-key": ({"cert": ["/c.pem", "/k.pem"]}, lambda c: c.cert, ("/c.pem", "/k.pem")),
    "trust_env-false": ({"trust_env": "false"}, lambda c: c.trust_env, False),
    # What the hook does anyway: accepted.
    "allow_redirects-false": ({"allow_redirects": False}, lambda c: c.settings, CallSettings()),
    "check_response-true": ({"check_response": "true"}, lambda c: c.settings, CallSettings()),
    "max_redirects-0": ({"max_redirects": 0}, lambda c: c.settings, CallSettings()),
    "srv_lookup-false": ({"srv_lookup": False}, lambda c: c.settings, CallSettings()),
    "stream-true": ({"stream": True}, lambda c: c.settings, CallSettings()),
    # Any other extra is a header, as for the http provider.
    "header": ({"X-Team": "ads"}, lambda c: c.headers["X-Team"], "ads"),
}


@pytest.mark.parametrize(("extra", "read_back", "expected"), HONOURED.values(), ids=HONOURED.keys())
def test_extras_honoured(
    extra: dict[str, Any], read_back: Callable[[ConnectionConfig], object], expected: object
) -> None:
    assert read_back(read(**extra)) == expected


def test_hook_arguments_win_over_the_timeout_extra() -> None:
    conn = Connection(conn_id="c", conn_type="fivetran", extra=json.dumps({"timeout": 5}))
    assert read_connection(conn, conn_id="c", read_timeout=9).settings == CallSettings(5, 9)


# -- refused ----------------------------------------------------------------------------------------------------

REFUSED: dict[str, tuple[dict[str, Any], str, str]] = {
    "allow_redirects-true": (
        {"allow_redirects": True},
        "allow_redirects",
        "a create sent again may create twice",
    ),
    "allow_redirects-string": ({"allow_redirects": "yes"}, "allow_redirects", "never redirects"),
    "check_response-false": ({"check_response": False}, "check_response", "every answer is checked"),
    "max_redirects": ({"max_redirects": 5}, "max_redirects", "redirects are never followed"),
    "srv_lookup-true": ({"srv_lookup": "true"}, "srv_lookup", "not a DNS SRV record"),
    "stream-not-a-flag": ({"stream": "maybe"}, "stream", "must be true or false"),
    "timeout-not-a-number": ({"timeout": "soon"}, "timeout", "must be seconds greater than 0"),
    "timeout-zero": ({"timeout": 0}, "timeout", "must be seconds greater than 0"),
    "timeout-beside-read_timeout": (
        {"timeout": 5, "read_timeout": 30},
        "timeout",
        "and so does read_timeout: keep one of them",
    ),
    "proxies-a-list": ({"proxies": ["http://p:1"]}, "proxies", "must be a proxy URL or a mapping"),
    "cert-three-paths": ({"cert": ["a", "b", "c"]}, "cert", "must be the path of a PEM file"),
    "our-own-header": ({"accept": "text/html"}, "accept", "a header every call sets itself"),
    "misspelt-setting": ({"read_timout": 30}, "read_timout", "is it a misspelt setting"),
}


@pytest.mark.parametrize(("extra", "key", "reason"), REFUSED.values(), ids=REFUSED.keys())
def test_extras_refused_name_the_connection_the_extra_and_why(
    extra: dict[str, Any], key: str, reason: str
) -> None:
    with pytest.raises(FivetranConfigurationError) as raised:
        read(**extra)

    assert raised.value.paths == [key]
    message = str(raised.value)
    assert message.startswith("Invalid Airflow connection 'fivetran_default' (1 problem):")
    assert f"  - {key}: " in message
    assert reason in message


def test_every_refused_extra_is_listed_at_once() -> None:
    with pytest.raises(FivetranConfigurationError) as raised:
        read(allow_redirects=True, check_response=False, srv_lookup=True)
    assert raised.value.paths == ["allow_redirects", "check_response", "srv_lookup"]


# -- over HTTP, both hooks --------------------------------------------------------------------------------------


async def test_a_refused_extra_fails_both_hooks_before_any_call(
    make_hook: Callable[..., FivetranHook], simulator: SimulatorServer
) -> None:
    hook = make_hook(extra={"allow_redirects": True})

    with pytest.raises(FivetranConfigurationError, match="allow_redirects"):
        hook.get_connection_details("conn_1")
    with pytest.raises(FivetranConfigurationError, match="allow_redirects"):
        async with FivetranAsyncHook():
            pass
    assert simulator.control.requests() == []


async def test_the_timeout_extra_is_the_read_timeout_of_both_hooks(
    make_hook: Callable[..., FivetranHook], simulator: SimulatorServer
) -> None:
    created = make_hook().create_connection(demo_request("ads_timeout_extra")).id
    hook = make_hook(extra={"timeout": 0.3}, max_attempts=1)
    simulator.control.add_fault(DETAILS, "delay", seconds=5, apply=True, count=2)

    started = time.monotonic()
    with pytest.raises(FivetranTransportError, match=r"connect 0\.3 s, read 0\.3 s"):
        hook.get_connection_details(created)
    async with FivetranAsyncHook(max_attempts=1) as async_hook:
        with pytest.raises(FivetranTransportError, match=r"connect 0\.3 s, read 0\.3 s"):
            await async_hook.get_connection_details(created)
    assert time.monotonic() - started < 6  # each gave up on its own timeout, not at the 5 s answer


async def test_header_extras_are_sent_by_both_hooks(
    make_hook: Callable[..., FivetranHook], simulator: SimulatorServer
) -> None:
    created = make_hook().create_connection(demo_request("ads_header_extra", run_setup_tests=False)).id
    hook = make_hook(extra={"X-Team": "ads", "connect_timeout": 5})
    simulator.control.clear_requests()

    hook.get_connection_details(created)
    async with FivetranAsyncHook() as async_hook:
        await async_hook.get_connection_details(created)

    log = simulator.control.requests()
    assert [header(entry, "X-Team") for entry in log] == ["ads", "ads"]
    assert [header(entry, "connect_timeout") for entry in log] == [None, None]  # a setting, not a header


async def test_a_redirect_is_never_followed(monkeypatch: pytest.MonkeyPatch) -> None:
    with raw_server(RawAnswer.json(200, {"code": "Success", "data": {}})) as elsewhere:
        moved = RawAnswer(307, b"", {"Location": f"{elsewhere.base_url}/v1/connections/conn_1"})
        with raw_server(moved) as server:
            monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_DEFAULT", server.airflow_conn_json())
            hook = FivetranHook(max_attempts=1)
            with pytest.raises(FivetranApiError, match="-> 307"):
                hook.get_connection_details("conn_1")
            hook.close()
            async with FivetranAsyncHook(max_attempts=1) as async_hook:
                with pytest.raises(FivetranApiError, match="-> 307"):
                    await async_hook.get_connection_details("conn_1")
            assert len(server.requests) == 2
        assert elsewhere.requests == []  # neither the credentials nor the call went on to the new address
