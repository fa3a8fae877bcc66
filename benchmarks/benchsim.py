"""The benchmark-only Fivetran simulator: the package's ``SimulatorServer`` plus what the benchmarks measure.

Nothing here changes the package's simulator; this process subclasses it and adds:

* **accepted TCP connections**: the aiohttp server's ``connection_made``/``connection_lost`` are wrapped, so
  every connection the listening socket accepts is counted (and the peak of open ones), whoever the client is;
* **request counts** per ``METHOD path-template`` and per status (a request-log listener);
* **the deprecated ``/v1/connectors/...`` paths** as an alias of ``/v1/connections/...`` (same handlers), only
  so that ``airflow-provider-fivetran-async`` 2.4.0, which still calls them, can be measured at all; the
  request counts keep the path it really called;
* **a faster clock** (``--speed K``): simulator time runs K times faster than wall time, so a per-minute
  rate-limit window lasts 60/K real seconds. ``Retry-After`` is converted to real seconds (rounded up), so a
  client sleeping as told waits exactly as long as the limit requires. ``--speed 1`` is the plain real clock;
* bench control routes: ``GET /_bench/stats``, ``GET /_bench/times`` (when each counted request arrived, in
  this process's monotonic seconds: requests per poll interval), ``POST /_bench/stats/reset``, ``POST /_bench/populate``
  (create N connected connections with the demo credentials, in-process) and ``POST /_bench/sync_all``
  (start a sync of the given connections at one simulator instant).

Run: ``python benchmarks/benchsim.py [--speed K] [--scenario JSON]``; prints ``listening: URL`` and serves
until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import socket
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from fivetran_simulator import server as server_module
from fivetran_simulator import validation
from fivetran_simulator.app import ApiResponse, FivetranApi, Route
from fivetran_simulator.clock import SimClock, iso
from fivetran_simulator.control import ControlApi
from fivetran_simulator.defaults import (
    DEFAULT_GROUP_ID,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REFRESH_TOKEN,
)
from fivetran_simulator.server import SimulatorServer

DEPRECATED = "/v1/connectors"
CURRENT = "/v1/connections"
_RETRY_IN_MESSAGE = re.compile(r"retry after \d+ seconds")


@dataclass
class BenchStats:
    """What the benchmark reads back: accepted TCP connections and requests."""

    accepted: int = 0
    open: int = 0
    peak_open: int = 0
    requests: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    #: When each request arrived (the request log's ``monotonic``: this process's monotonic seconds).
    times: list[float] = field(default_factory=list)

    def reset(self) -> None:
        self.accepted = 0
        self.peak_open = self.open
        self.requests.clear()
        self.statuses.clear()
        self.times.clear()

    def record(self, entry: dict[str, Any]) -> None:
        path = entry["path"]
        template = entry.get("path_template") or path
        if path.startswith(DEPRECATED):  # keep what the client really called
            template = DEPRECATED + template[len(CURRENT) :]
        self.requests[f"{entry['method']} {template}"] += 1
        self.statuses[int(entry.get("status") or 0)] += 1
        self.times.append(float(entry["monotonic"]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "open": self.open,
            "peak_open": self.peak_open,
            "requests": sum(self.requests.values()),
            "by_route": dict(self.requests),
            "by_status": {str(k): v for k, v in self.statuses.items()},
        }


class DilatedClock(SimClock):
    """A ``real`` clock whose time runs ``speed`` times faster than the wall clock, from its creation."""

    def __init__(self, speed: float) -> None:
        super().__init__("real")
        self.speed = speed
        self._origin = datetime.now(UTC)

    def now(self) -> datetime:
        return self._origin + (datetime.now(UTC) - self._origin) * self.speed + self._offset


class BenchApi(FivetranApi):
    """The package's ``/v1`` API, answering the deprecated ``/v1/connectors`` paths too."""

    speed: float = 1.0

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], list[str]]:
        if path == DEPRECATED or path.startswith(DEPRECATED + "/"):
            path = CURRENT + path[len(DEPRECATED) :]
        return super().match(method, path)

    def process(
        self,
        request: web.Request,
        raw: bytes,
        route: Route | None,
        params: dict[str, str],
        allowed: list[str],
    ) -> ApiResponse:
        result = super().process(request, raw, route, params, allowed)
        if result.status == 429 and self.speed != 1.0 and "Retry-After" in result.headers:
            # The limiter counts simulator seconds; the client sleeps wall seconds.
            real = max(1, math.ceil(int(result.headers["Retry-After"]) / self.speed))
            result.headers["Retry-After"] = str(real)
            message = str(result.body.get("message", ""))
            result.body["message"] = _RETRY_IN_MESSAGE.sub(f"retry after {real} seconds", message)
        return result


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=json.dumps(data).encode(), content_type="application/json")


class BenchControlApi(ControlApi):
    """The package's ``/_sim`` routes plus ``/_bench``."""

    def routes(self) -> list[web.RouteDef]:
        return [
            *super().routes(),
            web.get("/_bench/stats", self.stats),
            web.get("/_bench/times", self.times),
            web.post("/_bench/stats/reset", self.reset_stats),
            web.post("/_bench/populate", self.populate),
            web.post("/_bench/sync_all", self.sync_all),
        ]

    @property
    def bench(self) -> BenchStats:
        stats: BenchStats = self.state.bench  # type: ignore[attr-defined]
        return stats

    async def stats(self, request: web.Request) -> web.Response:
        return _json(self.bench.to_dict())

    async def times(self, request: web.Request) -> web.Response:
        return _json({"times": self.bench.times})

    async def reset_stats(self, request: web.Request) -> web.Response:
        self.bench.reset()
        return _json(self.bench.to_dict())

    async def populate(self, request: web.Request) -> web.Response:
        """Create ``count`` connected, unpaused connections (schemas ``{prefix}_{i}``) with the demo credentials."""
        body = await request.json()
        count, prefix = int(body["count"]), str(body.get("prefix", "bench"))
        ids = []
        for i in range(count):
            group_id, change = validation.create_body(
                {
                    "group_id": DEFAULT_GROUP_ID,
                    "service": "spotify_ads",
                    "paused": False,
                    "run_setup_tests": True,  # without it a connection stays incomplete, as on Fivetran
                    "config": {"schema": f"{prefix}_{i}"},
                    "auth": {
                        "refresh_token": DEMO_REFRESH_TOKEN,
                        "client_access": {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET},
                    },
                }
            )
            ids.append(self.state.create(group_id, change, str(request.url.origin())).id)
        return _json({"ids": ids})

    async def sync_all(self, request: web.Request) -> web.Response:
        """Start a sync of each listed connection at the same simulator instant; returns that instant."""
        body = await request.json()
        before = self.state.now()
        for conn_id in body["ids"]:
            self.state.trigger_sync(self.state.get(conn_id), force=True)
        return _json({"started_at": iso(before)})


class BenchSimulator(SimulatorServer):
    """``SimulatorServer`` with the additions above (module docstring)."""

    def __init__(self, *, speed: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.speed = speed
        if speed != 1.0:
            self.state.clock = DilatedClock(speed)
        self.bench = BenchStats()
        self.state.bench = self.bench  # type: ignore[attr-defined]
        self.add_listener(self.bench.record)

    async def _start_async(self, sock: socket.socket) -> None:
        # The package's server builds its apps from these module names: in this process only, they are ours.
        BenchApi.speed = self.speed
        server_module.FivetranApi = BenchApi  # type: ignore[misc]
        server_module.ControlApi = BenchControlApi  # type: ignore[misc]
        await super()._start_async(sock)
        assert self._runner is not None
        assert self._runner.server is not None
        aio_server = self._runner.server
        made, lost = aio_server.connection_made, aio_server.connection_lost
        stats = self.bench

        def connection_made(handler: Any, transport: asyncio.Transport) -> None:
            stats.accepted += 1
            stats.open += 1
            stats.peak_open = max(stats.peak_open, stats.open)
            made(handler, transport)

        def connection_lost(handler: Any, exc: BaseException | None = None) -> None:
            stats.open -= 1
            lost(handler, exc)

        aio_server.connection_made = connection_made  # type: ignore[method-assign]
        aio_server.connection_lost = connection_lost  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=1.0, help="simulator seconds per wall second")
    parser.add_argument("--scenario", default=None, help="scenario as a JSON string")
    parser.add_argument("--log-size", type=int, default=1000)
    args = parser.parse_args()
    scenario = json.loads(args.scenario) if args.scenario else None
    server = BenchSimulator(speed=args.speed, scenario=scenario, clock="real", log_size=args.log_size)

    def ready(srv: SimulatorServer) -> None:
        print(f"listening: {srv.base_url}", flush=True)

    server.serve_forever(on_ready=ready)


if __name__ == "__main__":
    main()
