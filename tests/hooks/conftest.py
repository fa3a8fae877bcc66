"""Fixtures of the hook tests: hooks bound to the simulator, a sleep recorder, a TCP-counting proxy
(:mod:`tests.hooks.proxy`), and a TLS front of the simulator (self-signed certificate for 127.0.0.1,
:mod:`tests.hooks.tls`).

Every test that uses the ``simulator`` fixture is also checked after it ran: each request the hook sent
carries our headers and conforms to the OpenAPI.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_spotify_fivetran.hooks import FivetranHook
from fivetran_simulator import SimulatorServer
from tests.hooks import SleepRecorder, airflow_conn_json, request_problems
from tests.hooks.proxy import CountingProxy
from tests.hooks.tls import TlsFront, self_signed_certificate


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


@pytest.fixture
def counting_proxy(simulator: SimulatorServer) -> Iterator[CountingProxy]:
    proxy = CountingProxy(("127.0.0.1", simulator.port))
    thread = threading.Thread(target=proxy.serve_forever, args=(0.05,), name="counting-proxy", daemon=True)
    thread.start()
    yield proxy
    proxy.shutdown()
    proxy.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def tls_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_front(simulator: SimulatorServer, tls_certificate: tuple[Path, Path]) -> Iterator[TlsFront]:
    front = TlsFront(("127.0.0.1", simulator.port), *tls_certificate)
    thread = threading.Thread(target=front.serve_forever, args=(0.05,), name="tls-front", daemon=True)
    thread.start()
    yield front
    front.shutdown()
    front.server_close()
    thread.join(timeout=5)
