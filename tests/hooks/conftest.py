"""Fixtures of the hook tests: hooks bound to the simulator, a sleep recorder, a TCP-counting proxy.

Every test that uses the ``simulator`` fixture is also checked after it ran: each request the hook sent
carries our headers and (when ``../shared/fivetran-api`` is present) conforms to the OpenAPI.
"""

from __future__ import annotations

import select
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from airflow_spotify_fivetran.hooks import FivetranHook
from airflow_spotify_fivetran.simulator import SimulatorServer
from tests.hooks import SleepRecorder, airflow_conn_json, request_problems


@pytest.fixture(autouse=True)
def _every_request_conforms(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "simulator" not in request.fixturenames:
        return
    # The session-wide server behind ``simulator`` (that fixture itself is torn down by now).
    simulator: SimulatorServer = request.getfixturevalue("_simulator_server")
    problems = request_problems(simulator.control.requests())
    assert not problems, "requests that break the contract:\n" + "\n".join(problems)


@pytest.fixture
def recorder() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def make_hook(
    simulator: SimulatorServer, monkeypatch: pytest.MonkeyPatch, recorder: SleepRecorder
) -> Iterator[Callable[..., FivetranHook]]:
    """``make_hook(extra=None, password=None, host=None, **hook_kwargs)``: a ``FivetranHook`` on the simulator
    (``AIRFLOW_CONN_FIVETRAN_DEFAULT``), sleeping through ``recorder`` unless ``sleep=`` is given."""
    hooks: list[FivetranHook] = []

    def make(
        *,
        extra: dict[str, Any] | None = None,
        password: str | None = None,
        host: str | None = None,
        **kwargs: Any,
    ) -> FivetranHook:
        conn = airflow_conn_json(simulator, host=host, password=password, extra=extra)
        monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_DEFAULT", conn)
        kwargs.setdefault("sleep", recorder)
        hook = FivetranHook(**kwargs)
        hooks.append(hook)
        return hook

    yield make
    for hook in hooks:
        hook.close()


@pytest.fixture
def hook(make_hook: Callable[..., FivetranHook]) -> FivetranHook:
    return make_hook()


class _Pipe(socketserver.BaseRequestHandler):
    server: CountingProxy

    def handle(self) -> None:
        self.server.count_connection()
        with socket.create_connection(self.server.upstream) as upstream:
            ends = [self.request, upstream]
            while True:
                readable, _, _ = select.select(ends, [], [], 1.0)
                for end in readable:
                    data = end.recv(65536)
                    if not data:
                        return
                    (upstream if end is self.request else self.request).sendall(data)


class CountingProxy(socketserver.ThreadingTCPServer):
    """A TCP forwarder to the simulator that counts the TCP connections clients open through it."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, upstream: tuple[str, int]) -> None:
        super().__init__(("127.0.0.1", 0), _Pipe)
        self.upstream = upstream
        self._lock = threading.Lock()
        self.accepted = 0

    def count_connection(self) -> None:
        with self._lock:
            self.accepted += 1

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


@pytest.fixture
def counting_proxy(simulator: SimulatorServer) -> Iterator[CountingProxy]:
    proxy = CountingProxy(("127.0.0.1", simulator.port))
    thread = threading.Thread(target=proxy.serve_forever, name="counting-proxy", daemon=True)
    thread.start()
    yield proxy
    proxy.shutdown()
    proxy.server_close()
    thread.join(timeout=5)
