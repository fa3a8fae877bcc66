"""Fixtures of the hook tests: hooks bound to the simulator, a sleep recorder, a TCP-counting proxy, and a
TLS front of the simulator (self-signed certificate for 127.0.0.1).

Every test that uses the ``simulator`` fixture is also checked after it ran: each request the hook sent
carries our headers and conforms to the OpenAPI.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import select
import socket
import socketserver
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_spotify_fivetran.hooks import FivetranHook
from fivetran_simulator import SimulatorServer
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
    thread = threading.Thread(target=proxy.serve_forever, args=(0.05,), name="counting-proxy", daemon=True)
    thread.start()
    yield proxy
    proxy.shutdown()
    proxy.server_close()
    thread.join(timeout=5)


# -- a TLS front of the simulator ---------------------------------------------------------------------------------


def _self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed CA certificate for 127.0.0.1 and its key, as PEM files (``cert.pem``, ``key.pem``)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fivetran simulator test CA")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


class _TlsPipe(socketserver.BaseRequestHandler):
    server: TlsFront

    def handle(self) -> None:
        try:
            tls = self.server.context.wrap_socket(self.request, server_side=True)
        except (ssl.SSLError, OSError):
            self.server.count(handshake_ok=False)  # e.g. the client refused our certificate
            return
        self.server.count(handshake_ok=True)
        with tls, socket.create_connection(self.server.upstream) as upstream:
            while True:
                readable = [tls] if tls.pending() else select.select([tls, upstream], [], [], 1.0)[0]
                for end in readable:
                    try:
                        data = end.recv(65536)
                    except (ssl.SSLError, OSError):
                        return
                    if not data:
                        return
                    (upstream if end is tls else tls).sendall(data)


class TlsFront(socketserver.ThreadingTCPServer):
    """HTTPS in front of the simulator (which speaks plain HTTP): TLS ends here, bytes go on to it.

    ``ca_file`` is the self-signed certificate (a CA bundle that trusts it); ``accepted`` counts completed TLS
    handshakes, ``refused`` the connections whose handshake failed (a client that did not trust us, or that
    spoke plain HTTP to this port).
    """

    daemon_threads = True
    block_on_close = False

    def __init__(self, upstream: tuple[str, int], cert: Path, key: Path) -> None:
        super().__init__(("127.0.0.1", 0), _TlsPipe)
        self.upstream = upstream
        self.ca_file = str(cert)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self._lock = threading.Lock()
        self.accepted = 0
        self.refused = 0

    def count(self, *, handshake_ok: bool) -> None:
        with self._lock:
            if handshake_ok:
                self.accepted += 1
            else:
                self.refused += 1

    @property
    def host_port(self) -> str:
        """``127.0.0.1:PORT``: a host without a scheme."""
        host, port = self.server_address[:2]
        return f"{host!s}:{port}"

    @property
    def base_url(self) -> str:
        return f"https://{self.host_port}"


@pytest.fixture(scope="session")
def tls_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_front(simulator: SimulatorServer, tls_certificate: tuple[Path, Path]) -> Iterator[TlsFront]:
    front = TlsFront(("127.0.0.1", simulator.port), *tls_certificate)
    thread = threading.Thread(target=front.serve_forever, args=(0.05,), name="tls-front", daemon=True)
    thread.start()
    yield front
    front.shutdown()
    front.server_close()
    thread.join(timeout=5)
