"""The control API under ``/_sim/`` (no auth): what a test or a demo uses to steer the simulator.

=====================================================  ===========================================================
``GET /_sim/health``                                   ``{"status": "ok", "now": iso, "clock": mode}``
``GET /_sim/requests?since=SEQ``                       ``{"requests": [entry, ...]}`` every /v1 exchange after SEQ
``DELETE /_sim/requests``                              forget the request log
``POST /_sim/reset``                                   initial scenario, no connections/faults, clock at start
``GET /_sim/faults``                                   ``{"faults": [fault, ...]}`` (armed, with remaining count)
``POST /_sim/faults``                                  body: a fault spec, a list of them or ``{"faults": [...]}``
``DELETE /_sim/faults``                                disarm every fault
``GET /_sim/scenario``, ``PUT /_sim/scenario``         read / replace the sections given (see scenario.py)
``GET /_sim/clock``, ``POST /_sim/clock``              ``{"advance": seconds}`` or ``{"set": iso}``
``GET /_sim/connections[/{id}]``                       full state (secrets redacted, internal sync state)
``POST /_sim/connections/{id}/complete-connect-card``  body ``{}`` (demo credentials) or ``{"auth": {...}}``
``POST /_sim/revoke``                                  ``{"refresh_token": t}`` or ``{"client_id": c}``,
                                                       ``"immediate": bool`` (default false)
``GET /connect-card/setup?auth={token}``               the Connect Card page a user would open (HTML), at the
                                                       address the API answers in ``connect_card.uri``
``POST /_sim/connect-card/{token}/authorize``          the page's "Authorize" button: demo credentials, setup
                                                       tests, then a redirect to ``redirect_uri``
=====================================================  ===========================================================

Errors answer ``{"code": "InvalidInput" | "NotFound", "message": ...}`` with 400 or 404.
"""

from __future__ import annotations

import html
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from fivetran_simulator import validation
from fivetran_simulator.clock import iso, parse_iso
from fivetran_simulator.faults import FaultSpecError
from fivetran_simulator.scenario import ScenarioError
from fivetran_simulator.state import ApiError, SimulatorState
from fivetran_simulator.validation import InvalidInput

ControlHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=json.dumps(data).encode(), content_type="application/json")


def _error(status: int, code: str, message: str) -> web.Response:
    return _json({"code": code, "message": message}, status)


async def _body(request: web.Request, *, default: Any = None) -> Any:
    raw = await request.read()
    if not raw.strip():
        return default
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, "InvalidInput", f"Malformed JSON body: {exc}") from exc


class ControlApi:
    """Handlers of ``/_sim/``; they run on the loop thread like the /v1 API, so changes are atomic."""

    def __init__(self, state: SimulatorState) -> None:
        self.state = state

    def routes(self) -> list[web.RouteDef]:
        def wrap(handler: ControlHandler) -> ControlHandler:
            async def guarded(request: web.Request) -> web.StreamResponse:
                try:
                    return await handler(request)
                except ApiError as exc:
                    return _error(exc.status, exc.code, exc.message)
                except (InvalidInput, ScenarioError, FaultSpecError, ValueError) as exc:
                    return _error(400, "InvalidInput", str(exc))

            return guarded

        return [
            web.get("/_sim/health", wrap(self.health)),
            web.get("/_sim/requests", wrap(self.requests)),
            web.delete("/_sim/requests", wrap(self.clear_requests)),
            web.post("/_sim/reset", wrap(self.reset)),
            web.get("/_sim/faults", wrap(self.faults)),
            web.post("/_sim/faults", wrap(self.add_faults)),
            web.delete("/_sim/faults", wrap(self.clear_faults)),
            web.get("/_sim/scenario", wrap(self.scenario)),
            web.put("/_sim/scenario", wrap(self.set_scenario)),
            web.get("/_sim/clock", wrap(self.clock)),
            web.post("/_sim/clock", wrap(self.move_clock)),
            web.get("/_sim/connections", wrap(self.connections)),
            web.get("/_sim/connections/{id}", wrap(self.connection)),
            web.post("/_sim/connections/{id}/complete-connect-card", wrap(self.complete_connect_card)),
            web.post("/_sim/revoke", wrap(self.revoke)),
            web.get("/connect-card/setup", wrap(self.card_page)),
            web.post("/_sim/connect-card/{token}/authorize", wrap(self.card_authorize)),
        ]

    async def health(self, request: web.Request) -> web.Response:
        return _json({"status": "ok", "now": iso(self.state.now()), "clock": self.state.clock.mode})

    async def requests(self, request: web.Request) -> web.Response:
        raw = request.query.get("since", "0")
        if not raw.isdigit():
            raise InvalidInput("since", "Invalid value for 'since': must be a request sequence number")
        return _json({"requests": self.state.log.since(int(raw))})

    async def clear_requests(self, request: web.Request) -> web.Response:
        self.state.log.clear()
        return _json({"status": "ok"})

    async def reset(self, request: web.Request) -> web.Response:
        self.state.reset()
        return _json({"status": "ok", "now": iso(self.state.now())})

    async def faults(self, request: web.Request) -> web.Response:
        return _json({"faults": self.state.faults.to_list()})

    async def add_faults(self, request: web.Request) -> web.Response:
        body = await _body(request)
        specs = body.get("faults") if isinstance(body, dict) and "faults" in body else body
        specs = specs if isinstance(specs, list) else [specs]
        added = [self.state.faults.add(spec).to_dict() for spec in specs]
        return _json({"added": added, "faults": self.state.faults.to_list()}, 201)

    async def clear_faults(self, request: web.Request) -> web.Response:
        self.state.faults.clear()
        return _json({"faults": []})

    async def scenario(self, request: web.Request) -> web.Response:
        return _json(self.state.scenario.to_dict())

    async def set_scenario(self, request: web.Request) -> web.Response:
        body = await _body(request, default={})
        if not isinstance(body, dict):
            raise InvalidInput("body", "a scenario must be a JSON object")
        self.state.set_scenario(body)
        return _json(self.state.scenario.to_dict())

    async def clock(self, request: web.Request) -> web.Response:
        return _json({"now": iso(self.state.now()), "mode": self.state.clock.mode})

    async def move_clock(self, request: web.Request) -> web.Response:
        body = await _body(request, default={})
        if (
            not isinstance(body, dict)
            or len(set(body) & {"advance", "set"}) != 1
            or set(body) - {"advance", "set"}
        ):
            raise InvalidInput("body", 'send {"advance": seconds} or {"set": "2026-01-01T00:00:00Z"}')
        if "advance" in body:
            seconds = body["advance"]
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
                raise InvalidInput("advance", "Invalid value for 'advance': must be a number of seconds >= 0")
            self.state.clock.advance(float(seconds))
        else:
            try:
                self.state.clock.set(parse_iso(str(body["set"])))
            except ValueError as exc:
                raise InvalidInput("set", f"Invalid value for 'set': not an ISO-8601 time ({exc})") from exc
        self.state.tick_all()
        self.state.changed()
        return _json({"now": iso(self.state.now()), "mode": self.state.clock.mode})

    async def connections(self, request: web.Request) -> web.Response:
        self.state.tick_all()
        return _json(
            {"connections": [self.state.full_view(c) for c in self.state.store.connections.values()]}
        )

    async def connection(self, request: web.Request) -> web.Response:
        return _json(self.state.full_view(self.state.get(request.match_info["id"])))

    async def complete_connect_card(self, request: web.Request) -> web.Response:
        conn = self.state.get(request.match_info["id"])
        body = await _body(request, default={})
        if not isinstance(body, dict) or set(body) - {"auth"}:
            raise InvalidInput("body", 'send {} for the demo credentials or {"auth": {...}}')
        auth = validation.auth(body["auth"]) if body.get("auth") is not None else None
        self.state.complete_connect_card(conn, auth)
        return _json(self.state.full_view(conn))

    async def revoke(self, request: web.Request) -> web.Response:
        body = await _body(request, default={})
        if not isinstance(body, dict) or set(body) - {"refresh_token", "client_id", "immediate"}:
            raise InvalidInput(
                "body", 'send {"refresh_token": "..."} or {"client_id": "..."}, optional "immediate"'
            )
        token, client_id = body.get("refresh_token"), body.get("client_id")
        if not (isinstance(token, str) or isinstance(client_id, str)):
            raise InvalidInput("refresh_token", "name a refresh_token or a client_id (strings) to revoke")
        immediate = body.get("immediate", False)
        if not isinstance(immediate, bool):
            raise InvalidInput("immediate", "Invalid value for 'immediate': must be a boolean")
        affected = self.state.revoke(refresh_token=token, client_id=client_id, immediate=immediate)
        broken = [cid for cid in affected if self.state.store.connections[cid].setup_state == "broken"]
        return _json({"affected": affected, "broken": broken})

    # -- the Connect Card a user would open -------------------------------------------------------------------

    def _card_connection(self, token: str) -> Any:
        conn_id = self.state.store.card_tokens.get(token)
        if conn_id is None:
            raise ApiError(404, "NotFound", "This Connect Card link is invalid or its connection was deleted")
        return self.state.get(conn_id)

    async def card_page(self, request: web.Request) -> web.Response:
        token = request.query.get("auth", "")
        conn = self._card_connection(token)
        schema = html.escape(conn.schema)
        state = html.escape(conn.setup_state)
        page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Connect Spotify Ads ({schema})</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>Fivetran simulator: Connect Card</h1>
<p>Connection <code>{html.escape(conn.id)}</code>, schema <code>{schema}</code>, setup state <b>{state}</b>.</p>
<p>Authorizing signs in to the simulated Spotify Ad Studio with the demo credentials and runs the setup tests.</p>
<form method="post" action="/_sim/connect-card/{html.escape(token)}/authorize">
<button type="submit">Authorize Spotify Ads</button></form>
</body></html>"""
        return web.Response(text=page, content_type="text/html")

    async def card_authorize(self, request: web.Request) -> web.StreamResponse:
        conn = self._card_connection(request.match_info["token"])
        self.state.complete_connect_card(conn)
        redirect = (conn.connect_card_config or {}).get("redirect_uri")
        if redirect:
            separator = "&" if "?" in redirect else "?"
            raise web.HTTPSeeOther(f"{redirect}{separator}{urlencode({'id': conn.id})}")
        return web.Response(
            text=f"Connection {conn.id}: setup state {conn.setup_state}. You can close this page.",
            content_type="text/plain",
        )
