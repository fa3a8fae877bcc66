"""The session's simulator seen from a task test (:class:`Sim`): set up the Fivetran side directly over HTTP,
read what the code under test sent, and change the Fivetran side *between* two polls of a waiting task
(:meth:`Sim.on_request`), without sleeping on timing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fivetran_simulator import DEMO_REFRESH_TOKEN, SimulatorServer
from tests.helpers.simulator import SimulatorHttp
from tests.payloads import connection_request


@dataclass
class _Rule:
    method: str
    path: str
    nth: int
    action: Callable[[], Any]
    seen: int = 0
    fired: bool = False


class Dispatcher:
    """The one request-log listener per simulator server; rules are armed per test and cleared after it.

    The listener runs on the simulator's loop thread, before the answer is sent; the action runs on its own
    thread (a control-API call from the loop thread would wait for the loop itself). The client polls again
    only after its poll interval, long after the control call is done.
    """

    def __init__(self) -> None:
        self.rules: list[_Rule] = []
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []
        self.lock = threading.Lock()

    def __call__(self, entry: dict[str, Any]) -> None:
        with self.lock:
            for rule in self.rules:
                if rule.fired or entry["method"] != rule.method or entry["path"] != rule.path:
                    continue
                rule.seen += 1
                if rule.seen == rule.nth:
                    rule.fired = True
                    thread = threading.Thread(target=self._run, args=(rule.action,), daemon=True)
                    self.threads.append(thread)
                    thread.start()

    def _run(self, action: Callable[[], Any]) -> None:
        try:
            action()
        except BaseException as exc:  # reported by the fixture's teardown
            self.errors.append(exc)

    def finish(self) -> list[BaseException]:
        for thread in self.threads:
            thread.join(timeout=10)
        errors, unfired = list(self.errors), [r for r in self.rules if not r.fired]
        self.rules, self.threads, self.errors = [], [], []
        if unfired:
            errors.append(AssertionError(f"on_request rules never fired: {unfired}"))
        return errors


class Sim:
    """The session's simulator, reset for this test, with the helpers task tests need."""

    def __init__(self, server: SimulatorServer, dispatcher: Dispatcher) -> None:
        self.server = server
        self.control = server.control
        self.group_id = server.group_id
        self._dispatcher = dispatcher
        self._http = SimulatorHttp.of(server)

    def close(self) -> None:
        self._http.close()

    # -- the Fivetran side, set up directly (not through the code under test) --------------------------

    def api(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        response = self._http.request(method, path, json=body)
        assert response.status_code < 300, response.text
        return dict(response.json().get("data") or {})

    def create(self, schema: str = "spotify_demo", *, auth: bool = True, **fields: Any) -> str:
        """Create a connection over HTTP; returns its id. The request log is cleared afterwards.

        ``run_setup_tests`` is sent (true unless given): Fivetran runs no tests without it (README, last
        section), so ``run_setup_tests=False`` makes a connection whose tests never ran.
        """
        body = connection_request(schema, auth=auth, **{"run_setup_tests": True, **fields})
        conn_id = str(self.api("POST", "/v1/connections", body)["id"])
        self.control.clear_requests()
        return conn_id

    def details(self, conn_id: str) -> dict[str, Any]:
        return self.control.connection(conn_id)

    def grant_account(self, account: str) -> None:
        """On the Spotify side: let the demo user read one more ad account."""
        spotify = self.control.scenario()["spotify"]
        spotify["tokens"][DEMO_REFRESH_TOKEN]["accounts"].append(account)
        self.control.set_scenario({"spotify": spotify})

    def complete_sync(self, conn_id: str, *, outcome: str = "success") -> datetime:
        """Run one sync to its end on the manual clock (scenario duration 60 s); returns the end time."""
        self.control.set_scenario({"sync": {"duration_seconds": 60, "outcome": outcome}})
        self.api("POST", f"/v1/connections/{conn_id}/sync", {"force": False})
        end = self.control.advance_clock(60)
        self.control.clear_requests()
        return end

    # -- what the code under test sent ------------------------------------------------------------------

    def requests(self) -> list[dict[str, Any]]:
        """Every /v1 exchange since the last reset or clear."""
        return self.control.requests()

    def calls(self) -> list[tuple[str, str]]:
        """``(method, path)`` of every /v1 exchange since the last reset or clear."""
        return [(e["method"], e["path"]) for e in self.requests()]

    # -- changing the Fivetran side while a task waits --------------------------------------------------

    def on_request(self, method: str, path: str, nth: int, action: Callable[[], Any]) -> None:
        """Run ``action`` once the simulator has answered the ``nth`` ``method path`` request from now on.

        The test fails if the rule never fires or the action raises.
        """
        with self._dispatcher.lock:
            self._dispatcher.rules.append(_Rule(method, path, nth, action))


_DISPATCHERS: dict[int, Dispatcher] = {}


def dispatcher_of(server: SimulatorServer) -> Dispatcher:
    """The one :class:`Dispatcher` listening to ``server``'s request log (added on first use)."""
    dispatcher = _DISPATCHERS.get(id(server))
    if dispatcher is None:
        dispatcher = _DISPATCHERS[id(server)] = Dispatcher()
        server.add_listener(dispatcher)
    return dispatcher
