"""A tiny HTTP/1.1 server on 127.0.0.1 for answers the simulator cannot give: bodies in another encoding,
``Retry-After`` as a date, error texts that quote the request, and bodies trickled one byte at a time.

Each request gets the next of ``answers`` (the last one repeats): a ``RawAnswer`` or a callable building one
from the request. Every request is recorded (method, path, headers, body), and the connection is closed after
each answer.
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

REASONS = {200: "OK", 400: "Bad Request", 429: "Too Many Requests", 503: "Service Unavailable"}


@dataclass(frozen=True)
class RawRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class RawAnswer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: Seconds between two bytes of the body (0: all at once).
    trickle: float = 0.0

    @classmethod
    def json(cls, status: int, payload: object, **headers: str) -> RawAnswer:
        return cls(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **headers})


Answer = RawAnswer | Callable[[RawRequest], RawAnswer]


class _Handler(socketserver.BaseRequestHandler):
    server: RawServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        request_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                return
            body += chunk
        method, path, _ = request_line.split(" ", 2)
        request = RawRequest(method, path, headers, body)
        answer = self.server.next_answer(request)
        head_lines = [f"HTTP/1.1 {answer.status} {REASONS.get(answer.status, 'Status')}"]
        extra = {"Content-Length": str(len(answer.body)), "Connection": "close", **answer.headers}
        head_lines += [f"{k}: {v}" for k, v in extra.items()]
        try:
            sock.sendall(("\r\n".join(head_lines) + "\r\n\r\n").encode("latin-1"))
            if not answer.trickle:
                sock.sendall(answer.body)
                return
            for byte in answer.body:
                if self.server.stopping.wait(answer.trickle):
                    return
                sock.sendall(bytes([byte]))
        except OSError:  # the client gave up
            return


class RawServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, answers: Sequence[Answer]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self._answers = list(answers)
        self._lock = threading.Lock()
        self.requests: list[RawRequest] = []
        self.stopping = threading.Event()

    def next_answer(self, request: RawRequest) -> RawAnswer:
        with self._lock:
            self.requests.append(request)
            answer = self._answers[min(len(self.requests), len(self._answers)) - 1]
        return answer(request) if callable(answer) else answer

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def airflow_conn_json(self, *, login: str = "key", password: str = "secret", **extra: object) -> str:
        conn: dict[str, object] = {
            "conn_type": "fivetran",
            "login": login,
            "password": password,
            "host": self.base_url,
        }
        if extra:
            conn["extra"] = extra
        return json.dumps(conn)


@contextmanager
def raw_server(*answers: Answer) -> Iterator[RawServer]:
    """Serve ``answers`` until the block ends."""
    server = RawServer(answers)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="raw-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def connection_data(connection_id: str = "conn_1") -> dict[str, object]:
    """A minimal connection object a hook can read."""
    return {
        "id": connection_id,
        "group_id": "group_1",
        "service": "spotify_ads",
        "schema": "ads",
        "status": {"setup_state": "connected", "sync_state": "scheduled"},
    }
