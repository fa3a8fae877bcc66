"""Simulators started for tests, and an HTTP session bound to one.

Every simulator started here reports each ``/v1`` exchange to :data:`SIMULATOR_EXCHANGES`, which the
``simulator_conformance`` tests (run last) validate against Fivetran's OpenAPI.
"""

from __future__ import annotations

from typing import Any

import requests

from fivetran_simulator import SimulatorServer

SIMULATOR_EXCHANGES: list[dict[str, Any]] = []
"""Every /v1 exchange any simulator of this session has seen (request-log entries, see ``GET /_sim/requests``)."""


def _record(entry: dict[str, Any]) -> None:
    SIMULATOR_EXCHANGES.append(entry)


def start_simulator(**kwargs: Any) -> SimulatorServer:
    """Start a simulator (manual clock unless ``clock=`` is given) whose exchanges are recorded."""
    server = SimulatorServer(**{"clock": "manual", **kwargs})
    server.add_listener(_record)
    return server.start()


class SimulatorHttp(requests.Session):
    """A session bound to a simulator: relative paths, Basic auth, the API's Accept header."""

    def __init__(self, base_url: str, api_key: str, api_secret: str) -> None:
        super().__init__()
        self.base_url = base_url
        self.auth = (api_key, api_secret)
        self.headers["Accept"] = "application/json;version=2"

    @classmethod
    def of(cls, server: SimulatorServer) -> SimulatorHttp:
        """A session with ``server``'s own API key and secret."""
        return cls(server.base_url, server.api_key, server.api_secret)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if isinstance(url, str) and url.startswith("/"):
            url = self.base_url + url
        kwargs.setdefault("timeout", 10)
        return super().request(method, url, *args, **kwargs)
