"""The simulator as a server: an aiohttp app on its own event loop, in a background thread or the main one."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from fivetran_simulator.app import FivetranApi
from fivetran_simulator.client import SimulatorControl
from fivetran_simulator.clock import ClockMode, SimClock
from fivetran_simulator.control import ControlApi
from fivetran_simulator.defaults import DEFAULT_API_KEY, DEFAULT_API_SECRET, DEFAULT_GROUP_ID
from fivetran_simulator.scenario import Scenario
from fivetran_simulator.state import Listener, SimulatorState

log = logging.getLogger(__name__)

# How long a stopping server lets in-flight answers finish (delayed answers are cut short at once).
SHUTDOWN_TIMEOUT = 2.0
SAVE_INTERVAL = 0.05


def _write_atomic(path: Path, payload: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


async def _not_found(request: web.Request) -> web.Response:
    body = {"code": "NotFound", "message": f"No endpoint {request.method} {request.path}"}
    return web.Response(status=404, body=json.dumps(body).encode(), content_type="application/json")


class SimulatorServer:
    """A local Fivetran ``/v1/connections`` API for ``spotify_ads``.

    :param host: interface to bind (loopback by default).
    :param port: TCP port; 0 picks a free one (read :attr:`port` / :attr:`base_url` after :meth:`start`).
    :param api_key: the API key clients must send (HTTP Basic user).
    :param api_secret: the API secret (HTTP Basic password).
    :param scenario: ``None`` (defaults), a scenario dict, or the path of a JSON scenario file (see
        :mod:`.scenario`); it is also what :meth:`SimulatorControl.reset` returns to.
    :param state_file: JSON file to load at start (when it exists) and to save after every change.
    :param clock: ``"real"`` (wall time) or ``"manual"`` (fixed start, moves only when advanced).
    :param log_size: how many exchanges ``GET /_sim/requests`` keeps.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str = DEFAULT_API_KEY,
        api_secret: str = DEFAULT_API_SECRET,
        scenario: Scenario | dict[str, Any] | str | os.PathLike[str] | None = None,
        state_file: str | os.PathLike[str] | None = None,
        clock: ClockMode = "real",
        *,
        log_size: int = 10_000,
    ) -> None:
        self.host = host
        self.port = port
        self.api_key = api_key
        self.api_secret = api_secret
        self.group_id = DEFAULT_GROUP_ID
        source = Path(scenario) if isinstance(scenario, os.PathLike) else scenario
        self.state = SimulatorState(
            api_key=api_key,
            api_secret=api_secret,
            scenario=Scenario.load(source),
            clock=SimClock(clock),
            log_size=log_size,
        )
        self.state_file = Path(state_file) if state_file is not None else None
        if self.state_file is not None and self.state_file.exists():
            self.state.load_state(json.loads(self.state_file.read_text(encoding="utf-8")))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._wake: asyncio.Event | None = None
        self._save_wanted: asyncio.Event | None = None
        self._saver: asyncio.Task[None] | None = None
        self._control: SimulatorControl | None = None

    # -- public properties ---------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def airflow_conn_json(self) -> str:
        """The Airflow connection (``AIRFLOW_CONN_FIVETRAN_DEFAULT``) that reaches this simulator."""
        return json.dumps(
            {
                "conn_type": "fivetran",
                "login": self.api_key,
                "password": self.api_secret,
                "host": self.base_url,
            }
        )

    @property
    def control(self) -> SimulatorControl:
        if self._control is None:
            self._control = SimulatorControl(self.base_url)
        return self._control

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(entry)`` (on the server thread) for every /v1 exchange; see ``GET /_sim/requests``."""
        self.state.log.listeners.append(listener)

    # -- lifecycle -----------------------------------------------------------------------------------------

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(1024)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        return sock

    async def _sleep(self, seconds: float) -> None:
        """Sleep for a delay fault, cut short when the server stops or is reset."""
        assert self._wake is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    def _wake_sleepers(self) -> None:
        if self._wake is not None:
            self._wake.set()
            self._wake = asyncio.Event()

    def _on_change(self) -> None:
        if self._save_wanted is not None:
            self._save_wanted.set()

    async def _save_loop(self) -> None:
        assert self._save_wanted is not None
        assert self.state_file is not None
        while True:
            await self._save_wanted.wait()
            self._save_wanted.clear()
            payload = json.dumps(self.state.to_state(), indent=1)
            self.state.dirty = False
            try:
                await asyncio.to_thread(_write_atomic, self.state_file, payload)
            except OSError:
                log.exception("could not save the simulator state to %s", self.state_file)
            # Coalesce bursts of changes (at most ~20 saves a second); stop() flushes whatever is left.
            await asyncio.sleep(SAVE_INTERVAL)

    async def _start_async(self, sock: socket.socket) -> None:
        self._wake = asyncio.Event()
        self.state.on_reset = self._wake_sleepers
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.add_routes(ControlApi(self.state).routes())
        api = FivetranApi(self.state, self._sleep)
        app.router.add_route("*", "/v1", api.handle)
        app.router.add_route("*", "/v1/{tail:.*}", api.handle)
        app.router.add_route("*", "/{tail:.*}", _not_found)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT
        )
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        if self.state_file is not None:
            self._save_wanted = asyncio.Event()
            self.state.on_change = self._on_change
            self._saver = asyncio.create_task(self._save_loop())

    async def _stop_async(self) -> None:
        if self._wake is not None:
            self._wake.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._saver is not None:
            self._saver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._saver
            self._saver = None
        self.state.on_change = None
        if self.state_file is not None and self.state.dirty:
            _write_atomic(self.state_file, json.dumps(self.state.to_state(), indent=1))
            self.state.dirty = False

    def start(self) -> SimulatorServer:
        """Serve in a background thread with its own event loop; returns once the server is listening."""
        if self._thread is not None:
            raise RuntimeError("the simulator is already running")
        sock = self._bind()
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._start_async(sock))
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self._stop_async())
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name=f"fivetran-simulator-{self.port}", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = self._loop = None
            raise RuntimeError("the simulator failed to start") from failure[0]
        return self

    def stop(self) -> None:
        """Stop serving (saving the state file when one is set); safe to call twice."""
        if self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._thread = self._loop = None
        if self._control is not None:
            self._control.close()
            self._control = None

    def serve_forever(self, on_ready: Callable[[SimulatorServer], None] | None = None) -> None:
        """Serve in the calling thread until SIGTERM or SIGINT (the CLI)."""

        async def main() -> None:
            sock = self._bind()
            await self._start_async(sock)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            if on_ready is not None:
                on_ready(self)
            try:
                await stop.wait()
            finally:
                await self._stop_async()

        asyncio.run(main())

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
