"""How both hooks read the Airflow connection: the base URL (``https://`` unless told otherwise), proxies,
TLS verification, bad extras and an unknown connection id; over real HTTP(S) against the simulator."""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import certifi
import pytest
from airflow.sdk import Connection
from airflow.sdk.exceptions import AirflowNotFoundException

from airflow_spotify_fivetran.constants import DEFAULT_HOST
from airflow_spotify_fivetran.exceptions import FivetranInputError, FivetranTransportError
from airflow_spotify_fivetran.hooks import FivetranAsyncHook, FivetranHook
from airflow_spotify_fivetran.hooks.api import CallSettings
from airflow_spotify_fivetran.hooks.connection_config import (
    api_base_url,
    extra_flag,
    read_connection,
    tls_verify,
)
from airflow_spotify_fivetran.hooks.fivetran_async import tls_setting
from fivetran_simulator import SimulatorServer
from tests.hooks import airflow_conn_json
from tests.hooks.proxy import CountingProxy
from tests.hooks.tls import TlsFront
from tests.payloads import demo_request

#: A target nothing listens on: only a proxy in between can answer for it.
UNREACHABLE = "http://127.0.0.1:1"


@pytest.fixture
def connection_id(hook: FivetranHook, simulator: SimulatorServer) -> str:
    """A connection on the simulator; the request log starts empty after it."""
    created = hook.create_connection(demo_request("ads_settings", run_setup_tests=False)).id
    simulator.control.clear_requests()
    return created


@pytest.fixture
def use_conn(monkeypatch: pytest.MonkeyPatch, simulator: SimulatorServer) -> Callable[..., None]:
    """``use_conn(host=..., extra=..., **fields)``: point ``AIRFLOW_CONN_FIVETRAN_DEFAULT`` at another host
    or give it other fields (``schema``, ``port``), keeping the simulator's key and secret."""

    def use(*, host: str | None = None, extra: dict[str, Any] | None = None, **fields: Any) -> None:
        conn = json.loads(airflow_conn_json(simulator, host=host, extra=extra))
        conn.update(fields)
        monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_DEFAULT", json.dumps(conn))

    return use


@pytest.fixture
def sync_hooks() -> Iterator[Callable[..., FivetranHook]]:
    made: list[FivetranHook] = []

    def make(**kwargs: Any) -> FivetranHook:
        made.append(FivetranHook(sleep=lambda _: None, **kwargs))
        return made[-1]

    yield make
    for hook in made:
        hook.close()


# -- the base URL: https:// by default ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "schema", "port", "expected"),
    [
        ("api.fivetran.com", None, None, "https://api.fivetran.com"),
        ("api.fivetran.com", "", None, "https://api.fivetran.com"),
        ("  api.fivetran.com  ", None, None, "https://api.fivetran.com"),
        ("api.fivetran.com", "http", None, "http://api.fivetran.com"),
        ("127.0.0.1", None, 8443, "https://127.0.0.1:8443"),
        ("http://127.0.0.1:8080", None, None, "http://127.0.0.1:8080"),
        ("http://127.0.0.1", "https", 8080, "http://127.0.0.1:8080"),  # the host's own scheme wins
        ("https://api.fivetran.com/", None, None, "https://api.fivetran.com"),
        (None, None, None, DEFAULT_HOST),
        ("", "http", None, DEFAULT_HOST),
    ],
)
def test_api_base_url(host: str | None, schema: str | None, port: int | None, expected: str) -> None:
    assert api_base_url(host, schema=schema, port=port) == expected


def test_a_host_without_scheme_is_called_over_https(
    use_conn: Callable[..., None],
    sync_hooks: Callable[..., FivetranHook],
    simulator: SimulatorServer,
    tls_front: TlsFront,
    connection_id: str,
) -> None:
    use_conn(host=tls_front.host_port, extra={"verify": tls_front.ca_file})
    hook = sync_hooks()

    assert hook.get_connection_details(connection_id).id == connection_id
    assert hook.base_url == tls_front.base_url
    # The one TCP connection was a TLS one: a plain-HTTP request would have failed its handshake.
    assert (tls_front.accepted, tls_front.refused) == (1, 0)
    assert len(simulator.control.requests()) == 1


async def test_async_hook_calls_a_host_without_scheme_over_https(
    use_conn: Callable[..., None], simulator: SimulatorServer, tls_front: TlsFront, connection_id: str
) -> None:
    use_conn(host=tls_front.host_port, extra={"verify": tls_front.ca_file})

    async with FivetranAsyncHook() as hook:
        assert (await hook.config()).base_url == tls_front.base_url
        assert (await hook.get_connection_details(connection_id)).id == connection_id

    assert (tls_front.accepted, tls_front.refused) == (1, 0)
    assert len(simulator.control.requests()) == 1


@pytest.mark.parametrize("style", ["host", "schema-field"])
async def test_plain_http_only_when_asked_for(
    use_conn: Callable[..., None],
    sync_hooks: Callable[..., FivetranHook],
    simulator: SimulatorServer,
    connection_id: str,
    style: str,
) -> None:
    if style == "host":
        use_conn(host=f"http://127.0.0.1:{simulator.port}")
    else:
        use_conn(host="127.0.0.1", schema="http", port=simulator.port)
    expected = f"http://127.0.0.1:{simulator.port}"

    hook = sync_hooks()
    assert hook.get_connection_details(connection_id).id == connection_id
    assert hook.base_url == expected
    async with FivetranAsyncHook() as async_hook:
        assert (await async_hook.config()).base_url == expected
        assert (await async_hook.get_connection_details(connection_id)).id == connection_id


# -- TLS verification: verify / verify_ssl -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, True),
        (True, True),
        (False, False),
        ("false", False),
        ("False", False),
        ("0", False),
        ("true", True),
        ("", True),
        (0, False),
        ("/etc/ssl/ca.pem", "/etc/ssl/ca.pem"),
    ],
)
def test_tls_verify_reads_the_extra_as_requests_does(value: Any, expected: bool | str) -> None:
    assert tls_verify(value) == expected


def test_tls_setting(tls_certificate: tuple[Path, Path]) -> None:
    cert, key = (str(path) for path in tls_certificate)
    assert tls_setting(True) is True
    assert tls_setting(False) is False
    bundle = tls_setting(cert)  # a CA bundle
    assert isinstance(bundle, ssl.SSLContext)
    assert bundle.verify_mode == ssl.CERT_REQUIRED
    assert bundle.check_hostname
    unchecked_with_client_cert = tls_setting(False, (cert, key))
    assert isinstance(unchecked_with_client_cert, ssl.SSLContext)
    assert unchecked_with_client_cert.verify_mode == ssl.CERT_NONE
    assert not unchecked_with_client_cert.check_hostname


VERIFY_EXTRAS: dict[str, Callable[[TlsFront], dict[str, Any]]] = {
    "verify-false": lambda front: {"verify": False},
    "verify-string-false": lambda front: {"verify": "false"},
    "verify_ssl-false": lambda front: {"verify_ssl": False},
    "verify-ca-bundle": lambda front: {"verify": front.ca_file},
}


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
@pytest.mark.parametrize("extra", VERIFY_EXTRAS.values(), ids=VERIFY_EXTRAS.keys())
async def test_verify_extras_reach_both_hooks(
    use_conn: Callable[..., None],
    sync_hooks: Callable[..., FivetranHook],
    tls_front: TlsFront,
    connection_id: str,
    extra: Callable[[TlsFront], dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Many images set these; requests would let them override the session's verify (it does not here).
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    monkeypatch.setenv("CURL_CA_BUNDLE", certifi.where())
    use_conn(host=tls_front.base_url, extra=extra(tls_front))

    assert sync_hooks().get_connection_details(connection_id).id == connection_id
    async with FivetranAsyncHook() as hook:
        assert (await hook.get_connection_details(connection_id)).id == connection_id
    assert (tls_front.accepted, tls_front.refused) == (2, 0)


async def test_an_untrusted_certificate_is_refused_by_both_hooks(
    use_conn: Callable[..., None],
    sync_hooks: Callable[..., FivetranHook],
    simulator: SimulatorServer,
    tls_front: TlsFront,
    connection_id: str,
) -> None:
    use_conn(host=tls_front.host_port)  # https://, and no extra: the self-signed certificate is not trusted

    with pytest.raises(FivetranTransportError, match="connection failed"):
        sync_hooks(max_attempts=1).get_connection_details(connection_id)
    async with FivetranAsyncHook(max_attempts=1) as hook:
        with pytest.raises(FivetranTransportError, match="connection failed"):
            await hook.get_connection_details(connection_id)

    deadline = time.monotonic() + 5  # the front counts a refused handshake after the client gave up on it
    while tls_front.refused < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert tls_front.accepted == 0
    assert tls_front.refused == 2
    assert simulator.control.requests() == []


# -- proxies: the proxy/proxies extras, and HTTP(S)_PROXY from the environment ---------------------------------


def airflow_connection(host: str = "https://api.fivetran.com", **extra: Any) -> Connection:
    return Connection(conn_id="fivetran_default", conn_type="fivetran", host=host, extra=json.dumps(extra))


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, None),
        ({"proxy": ""}, None),
        ({"proxy": "http://proxy:3128"}, "http://proxy:3128"),
        ({"proxies": {"https": "http://p:1", "http": "http://q:2"}}, "http://p:1"),
        ({"proxies": {"http": "http://q:2"}}, None),
        ({"proxies": {"all": "http://a:3", "https://api.fivetran.com": "http://h:4"}}, "http://h:4"),
        ({"proxies": {"all://api.fivetran.com": "http://h:4", "all": "http://a:3"}}, "http://h:4"),
        ({"proxies": {"all": "http://a:3"}}, "http://a:3"),
        ({"proxies": {"https": "http://p:1"}, "proxy": "http://q:2"}, "http://p:1"),  # as HttpHook: proxies
    ],
)
def test_the_proxy_for_the_api_url_is_picked_as_requests_picks_it(
    extra: dict[str, Any], expected: str | None
) -> None:
    assert read_connection(airflow_connection(**extra), conn_id="fivetran_default").proxy == expected


@pytest.fixture
def proxy_env(monkeypatch: pytest.MonkeyPatch) -> Callable[[str | None], None]:
    """``proxy_env(url)``: ``HTTP_PROXY=url`` and nothing else proxy-related; ``proxy_env(None)``: none."""
    names = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
    for name in names:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)

    def use(url: str | None) -> None:
        if url is None:
            monkeypatch.delenv("HTTP_PROXY", raising=False)
        else:
            monkeypatch.setenv("HTTP_PROXY", url)

    return use


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param("proxy", id="proxy-string"),
        pytest.param("proxies", id="proxies-mapping"),
    ],
)
async def test_async_hook_goes_through_the_proxy_of_the_extras(
    use_conn: Callable[..., None],
    simulator: SimulatorServer,
    counting_proxy: CountingProxy,
    connection_id: str,
    proxy_env: Callable[[str | None], None],
    extra: str,
) -> None:
    value: Any = counting_proxy.base_url if extra == "proxy" else {"http": counting_proxy.base_url}
    use_conn(host=UNREACHABLE, extra={extra: value})
    proxy_env(UNREACHABLE)  # the connection's proxy wins over the environment's

    async with FivetranAsyncHook(max_attempts=1) as hook:
        assert (await hook.get_connection_details(connection_id)).id == connection_id
        await hook.run_setup_tests(connection_id)
    proxy_env(None)  # before the control calls below

    assert counting_proxy.accepted == 1
    assert [e["method"] for e in simulator.control.requests()] == ["GET", "POST"]


@pytest.mark.parametrize("extra", ["proxy", "proxies"], ids=["proxy-string", "proxies-mapping"])
def test_sync_hook_goes_through_the_proxy_of_the_extras(
    use_conn: Callable[..., None],
    sync_hooks: Callable[..., FivetranHook],
    counting_proxy: CountingProxy,
    connection_id: str,
    proxy_env: Callable[[str | None], None],
    extra: str,
) -> None:
    # The connection's proxy wins over the environment's (requests alone would let HTTP_PROXY win).
    proxy_env(UNREACHABLE)
    value: Any = counting_proxy.base_url if extra == "proxy" else {"http": counting_proxy.base_url}
    use_conn(host=UNREACHABLE, extra={extra: value})

    assert sync_hooks(max_attempts=1).get_connection_details(connection_id).id == connection_id
    assert counting_proxy.accepted == 1


async def test_async_hook_trusts_the_proxy_of_the_environment(
    use_conn: Callable[..., None],
    simulator: SimulatorServer,
    counting_proxy: CountingProxy,
    connection_id: str,
    proxy_env: Callable[[str | None], None],
) -> None:
    use_conn(host=UNREACHABLE)
    proxy_env(counting_proxy.base_url)

    async with FivetranAsyncHook(max_attempts=1) as hook:
        assert (await hook.get_connection_details(connection_id)).id == connection_id
    accepted = counting_proxy.accepted
    proxy_env(None)  # before the control calls below, which would go through it too

    assert accepted == 1
    assert len(simulator.control.requests()) == 1


async def test_async_hook_ignores_the_environment_with_trust_env_false(
    use_conn: Callable[..., None],
    counting_proxy: CountingProxy,
    connection_id: str,
    proxy_env: Callable[[str | None], None],
) -> None:
    use_conn(host=UNREACHABLE, extra={"trust_env": "false"})
    proxy_env(counting_proxy.base_url)

    async with FivetranAsyncHook(max_attempts=1) as hook:
        with pytest.raises(FivetranTransportError, match="connection failed"):
            await hook.get_connection_details(connection_id)
    accepted = counting_proxy.accepted
    proxy_env(None)

    assert accepted == 0


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, True), ("", True), (True, True), (False, False), ("false", False), ("0", False)],
)
def test_extra_flag(value: Any, expected: bool) -> None:
    assert extra_flag(value, default=True) is expected


# -- bad extras and an unknown Airflow connection -------------------------------------------------------------


def test_a_bad_extra_is_an_input_error_naming_the_extra_and_the_connection(
    make_hook: Callable[..., FivetranHook], simulator: SimulatorServer
) -> None:
    hook = make_hook(extra={"read_timeout": "sixty", "max_attempts": 0, "connect_timeout": 5})

    with pytest.raises(FivetranInputError) as raised:
        hook.get_connection_details("any")

    assert raised.value.paths == ["read_timeout", "max_attempts"]  # every bad extra, not only the first
    message = str(raised.value)
    assert "Invalid settings of Airflow connection 'fivetran_default' (2 problems)" in message
    assert "read_timeout: must be a number greater than 0, got 'sixty'" in message
    assert "max_attempts: must be a whole number greater than 0, got 0" in message
    assert "extra of Airflow connection 'fivetran_default'" in message
    assert isinstance(raised.value, ValueError)  # as the bare ValueError it replaces
    assert simulator.control.requests() == []


async def test_async_hook_refuses_a_bad_extra_the_same_way(
    use_conn: Callable[..., None], simulator: SimulatorServer
) -> None:
    use_conn(extra={"read_timeout": "sixty"})

    with pytest.raises(
        FivetranInputError, match="read_timeout: must be a number greater than 0, got 'sixty'"
    ):
        async with FivetranAsyncHook():
            pass
    assert simulator.control.requests() == []


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"read_timeout": -1},
            "read_timeout: must be a number greater than 0, got -1 (hook argument read_timeout)",
        ),
        ({"max_attempts": 2.5}, "max_attempts: must be a whole number greater than 0, got 2.5"),
        ({"connect_timeout": float("nan")}, "connect_timeout: must be a number greater than 0, got nan"),
        ({"connect_timeout": True}, "connect_timeout: must be a number greater than 0, got True"),
    ],
)
def test_call_settings_refuse_what_is_no_positive_number(kwargs: dict[str, Any], expected: str) -> None:
    with pytest.raises(FivetranInputError, match="settings of Airflow connection 'my_fivetran'") as raised:
        CallSettings.resolve({}, conn_id="my_fivetran", **kwargs)
    assert expected in str(raised.value)


def test_call_settings_accept_numbers_as_strings() -> None:
    extras = {"connect_timeout": "2.5", "read_timeout": " ", "max_attempts": "3"}
    assert CallSettings.resolve(extras) == CallSettings(connect_timeout=2.5, max_attempts=3)


async def test_an_unknown_airflow_connection_is_named_by_both_hooks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_NO_SUCH_FIVETRAN", raising=False)

    # Airflow's own exception, left as it is: its message names the connection id.
    with pytest.raises(AirflowNotFoundException, match="no_such_fivetran"):
        FivetranHook("no_such_fivetran").get_connection_details("any")
    with pytest.raises(AirflowNotFoundException, match="no_such_fivetran"):
        async with FivetranAsyncHook("no_such_fivetran"):
            pass
