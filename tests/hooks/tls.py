"""HTTPS in front of the simulator: a self-signed certificate for 127.0.0.1, and a TLS front (:class:`TlsFront`)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import select
import socket
import socketserver
import ssl
import threading
from pathlib import Path


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
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
