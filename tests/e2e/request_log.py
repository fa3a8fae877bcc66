"""Reading the simulator's request log in end-to-end tests, and acting on it (:class:`RequestWatcher`)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from fivetran_simulator import SimulatorControl, SimulatorServer


def requests_to(entries: list[dict[str, Any]], method: str, suffix: str = "") -> list[dict[str, Any]]:
    return [e for e in entries if e["method"] == method and e["path"].endswith(suffix)]


def created_ids(entries: list[dict[str, Any]], schema: str | None = None) -> list[str]:
    """Ids of connections created (``POST /v1/connections`` answered 201), optionally of one schema."""
    ids = []
    for entry in requests_to(entries, "POST", "/v1/connections"):
        body = entry.get("response_body") or {}
        data = body.get("data") if isinstance(body, dict) else None
        asked = (entry.get("request_body") or {}).get("config", {}).get("schema")
        if entry.get("status") == 201 and isinstance(data, dict) and schema in (None, asked):
            ids.append(str(data["id"]))
    return ids


def changes(entries: list[dict[str, Any]]) -> list[str]:
    """Every request that changes something in Fivetran (anything but GET)."""
    return [f"{e['method']} {e['path']}" for e in entries if e["method"] != "GET"]


def retested_twice(log: list[dict[str, Any]]) -> bool:
    """The setup tests were re-run (``POST .../test``) twice: once by the setup sensor's first check in the
    worker, once more by its trigger, so the task has deferred by then."""
    return len(requests_to(log, "POST", "/test")) >= 2


def connection_by_schema(sim: SimulatorServer, schema: str) -> dict[str, Any]:
    found = [c for c in sim.control.connections() if c["schema"] == schema]
    assert len(found) == 1, f"expected one connection with schema {schema!r}, found {len(found)}"
    return found[0]


class RequestWatcher(threading.Thread):
    """Run ``action(control)`` once ``condition(request_log)`` holds; a stand-in for a person or an admin.

    Use as a context manager around the Airflow run; leaving it stops the thread and re-raises any error the
    action hit. ``fired`` says whether the action ran.
    """

    def __init__(
        self,
        sim: SimulatorServer,
        condition: Callable[[list[dict[str, Any]]], bool],
        action: Callable[[SimulatorControl], None],
        *,
        interval: float = 0.2,
    ) -> None:
        super().__init__(daemon=True, name="e2e-request-watcher")
        self.base_url = sim.base_url
        self.condition = condition
        self.action = action
        self.interval = interval
        self.fired = threading.Event()
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        control = SimulatorControl(self.base_url)  # its own session: requests.Session is not thread-safe
        try:
            while not self.stopping.is_set():
                if self.condition(control.requests()):
                    self.action(control)
                    self.fired.set()
                    return
                self.stopping.wait(self.interval)
        except BaseException as exc:
            self.error = exc
        finally:
            control.close()

    def __enter__(self) -> RequestWatcher:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopping.set()
        self.join(timeout=30)
        if self.error is not None:
            raise self.error
