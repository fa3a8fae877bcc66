"""A small synchronous client of the simulator's control API (``/_sim/``), for tests and demos."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import requests

from fivetran_simulator.clock import iso, parse_iso


class SimulatorControlError(RuntimeError):
    """The control API refused a call; the message is the simulator's."""


class SimulatorControl:
    """Steer a running simulator: request log, reset, faults, scenario, clock, Connect Card, revocation.

    :param base_url: the simulator's base URL, e.g. ``http://127.0.0.1:8765``.
    :param timeout: seconds per control call.
    """

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()

    def close(self) -> None:
        self._session.close()

    def _call(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        response = self._session.request(
            method, f"{self.base_url}/_sim{path}", json=body, params=params, timeout=self.timeout
        )
        try:
            data = response.json()
        except ValueError as exc:
            raise SimulatorControlError(
                f"{method} /_sim{path} -> {response.status_code}: {response.text}"
            ) from exc
        if response.status_code >= 400:
            raise SimulatorControlError(
                f"{method} /_sim{path} -> {response.status_code}: {data.get('message')}"
            )
        return data

    # -- log ------------------------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return dict(self._call("GET", "/health"))

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        """Every /v1 exchange after sequence number ``since`` (see ``GET /_sim/requests``)."""
        return list(self._call("GET", "/requests", params={"since": since})["requests"])

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    def reset(self) -> None:
        """Initial scenario, no connections, no faults, empty log, clock back at its start."""
        self._call("POST", "/reset")

    # -- faults ---------------------------------------------------------------------------------------------

    def add_fault(
        self,
        route: str,
        kind: str = "error",
        *,
        count: int | None = 1,
        status: int | None = None,
        retry_after: int | None = None,
        seconds: float | None = None,
        body: str | None = None,
        code: str | None = None,
        message: str | None = None,
        apply: bool | None = None,
    ) -> dict[str, Any]:
        """Arm a fault for the next ``count`` requests matching ``route`` (see :mod:`.faults`); returns it."""
        spec: dict[str, Any] = {"route": route, "kind": kind, "count": count}
        optional = {
            "status": status,
            "retry_after": retry_after,
            "seconds": seconds,
            "body": body,
            "code": code,
            "message": message,
            "apply": apply,
        }
        spec.update({k: v for k, v in optional.items() if v is not None})
        return dict(self._call("POST", "/faults", spec)["added"][0])

    def add_faults(self, specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return list(self._call("POST", "/faults", {"faults": specs})["added"])

    def faults(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/faults")["faults"])

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    # -- scenario and clock ---------------------------------------------------------------------------------

    def scenario(self) -> dict[str, Any]:
        return dict(self._call("GET", "/scenario"))

    def set_scenario(self, scenario: dict[str, Any]) -> dict[str, Any]:
        """Replace the sections given (groups, spotify, sync, rate_limits, faults, extra_setup_tests, seed)."""
        return dict(self._call("PUT", "/scenario", scenario))

    def now(self) -> datetime:
        return parse_iso(self._call("GET", "/clock")["now"])

    def advance_clock(self, seconds: float) -> datetime:
        """Move the simulator clock forward; returns the new simulator time."""
        return parse_iso(self._call("POST", "/clock", {"advance": seconds})["now"])

    def set_clock(self, moment: datetime | str) -> datetime:
        value = moment if isinstance(moment, str) else iso(moment)
        return parse_iso(self._call("POST", "/clock", {"set": value})["now"])

    # -- connections ----------------------------------------------------------------------------------------

    def connections(self) -> list[dict[str, Any]]:
        """Full state of every connection (secrets redacted; internal state under ``_sim``)."""
        return list(self._call("GET", "/connections")["connections"])

    def connection(self, conn_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/connections/{conn_id}"))

    def complete_connect_card(
        self,
        conn_id: str,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        refresh_token: str | None = None,
    ) -> dict[str, Any]:
        """Do what a user does in the Connect Card: authorize (demo credentials unless given), run setup tests."""
        body: dict[str, Any] = {}
        if client_id is not None or client_secret is not None or refresh_token is not None:
            auth: dict[str, Any] = {}
            if refresh_token is not None:
                auth["refresh_token"] = refresh_token
            access = {
                k: v for k, v in (("client_id", client_id), ("client_secret", client_secret)) if v is not None
            }
            if access:
                auth["client_access"] = access
            body["auth"] = auth
        return dict(self._call("POST", f"/connections/{conn_id}/complete-connect-card", body))

    def revoke(
        self, *, refresh_token: str | None = None, client_id: str | None = None, immediate: bool = False
    ) -> dict[str, Any]:
        """Revoke a refresh token or an application; ``immediate`` breaks connected connections at once."""
        body: dict[str, Any] = {"immediate": immediate}
        if refresh_token is not None:
            body["refresh_token"] = refresh_token
        if client_id is not None:
            body["client_id"] = client_id
        return dict(self._call("POST", "/revoke", body))
