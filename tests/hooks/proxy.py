"""A TCP forwarder to the simulator that counts the TCP connections clients open through it."""

from __future__ import annotations

import select
import socket
import socketserver
import threading


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
