"""The ``/v1`` HTTP API: routing, auth, content negotiation, body parsing, rate limits, faults, request log.

Order of checks for a ``/v1`` request (the first failing one answers):

1. an armed fault for the route (unless it is applied after processing, see :mod:`.faults`);
2. HTTP Basic auth -> ``401 Unauthorized``;
3. ``Accept``: missing, ``*/*``, ``application/*``, ``application/json`` or ``application/json;version=1|2``
   are served; anything else (``application/xml``, ``application/json;version=3``) -> ``406 NotAcceptable``;
4. unknown path -> ``404 NotFound`` (the deprecated ``/v1/connectors`` paths included), wrong method -> ``405``;
5. POST/PATCH with a non-empty body whose ``Content-Type`` is not JSON -> ``415 UnsupportedMediaType``;
   malformed JSON -> ``400 BadRequest``; a body that is not an object, or no body where one is required
   (create, PATCH, ``/test``, connect-card) -> ``400 InvalidInput``; ``/sync``, ``/resync`` and
   ``/schemas/reload`` take an optional body; keys the spec does not name are dropped, never refused;
6. rate limits (when enabled) -> ``429 TooManyRequests`` with ``Retry-After``;
7. the operation itself (validation errors -> ``400 InvalidInput`` naming the field).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aiohttp import web

from fivetran_simulator import validation
from fivetran_simulator.clock import iso
from fivetran_simulator.destinations import destination
from fivetran_simulator.faults import Fault
from fivetran_simulator.state import ApiError, SimulatorState
from fivetran_simulator.store import decode_cursor, encode_cursor, redact
from fivetran_simulator.validation import InvalidInput

JSON_TYPE = "application/json"
HIDDEN_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
SERVED_VERSIONS = (None, "1", "2")
CANCELLED = "cancelled by reset"


@dataclass
class ApiResponse:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    """One parsed /v1 request, as handlers see it."""

    request: web.Request
    params: dict[str, str]
    body: dict[str, Any] | None


Handler = Callable[["FivetranApi", Call], ApiResponse]


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # the OpenAPI path template
    handler: Handler
    body: str  # "none" | "optional" | "required"
    pattern: re.Pattern[str]


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")


def success(data: Any = None, message: str | None = None, status: int = 200) -> ApiResponse:
    body: dict[str, Any] = {"code": "Success"}
    if message is not None:
        body["message"] = message
    if data is not None:
        body["data"] = data
    return ApiResponse(status, body)


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"code": code, "message": message}


def acceptable(header: str | None) -> bool:
    """Whether an ``Accept`` header admits the JSON we answer (see the module docstring)."""
    if header is None or not header.strip():
        return True
    for part in header.split(","):
        media, *raw_params = (p.strip() for p in part.split(";"))
        params = {}
        for raw in raw_params:
            key, _, value = raw.partition("=")
            params[key.strip().lower()] = value.strip().strip('"')
        try:
            if float(params.get("q", "1")) <= 0:
                continue
        except ValueError:
            continue
        media = media.lower()
        if media in ("*/*", "application/*"):
            return True
        if media == JSON_TYPE and params.get("version") in SERVED_VERSIONS:
            return True
    return False


def is_json_type(header: str | None) -> bool:
    media = (header or "").split(";")[0].strip().lower()
    return media == JSON_TYPE or (media.startswith("application/") and media.endswith("+json"))


def parse_body_for_log(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return redact(json.loads(raw))
    except ValueError:
        return raw.decode("utf-8", errors="replace")


class FivetranApi:
    """The ``/v1`` endpoints over a :class:`SimulatorState`."""

    def __init__(self, state: SimulatorState, sleep: Callable[[float], Any]) -> None:
        self.state = state
        self._sleep = sleep

    # -- dispatch -------------------------------------------------------------------------------------------

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], list[str]]:
        allowed: list[str] = []
        for route in ROUTES:
            found = route.pattern.match(path)
            if found:
                if route.method == method:
                    return route, found.groupdict(), []
                allowed.append(route.method)
        return None, {}, allowed

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        started = time.monotonic()
        method, path = request.method, request.path
        route, params, allowed = self.match(method, path)
        entry: dict[str, Any] = {
            "seq": self.state.log.next_seq(),
            "time": iso(self.state.now()),
            "monotonic": started,
            "method": method,
            "path": path,
            "path_template": route.template if route else None,
            "query": dict(request.query),
            "headers": {k: v for k, v in request.headers.items() if k.lower() not in HIDDEN_HEADERS},
            "request_body": parse_body_for_log(raw),
            "status": None,
            "response_body": None,
            "fault": None,
        }
        fault = self.state.faults.take(method, path)
        if fault is not None:
            entry["fault"] = fault.kind
            entry["fault_id"] = fault.id
            entry["applied"] = fault.apply
        generation = self.state.generation
        if fault is not None and fault.kind == "delay" and not fault.apply:
            await self._sleep(fault.seconds)
            if self.state.generation != generation:  # reset while held: a request of a past test
                return self._drop(request, entry, started, CANCELLED)
        if fault is not None and not fault.apply and fault.kind != "delay":
            return self._fault_answer(request, fault, entry, None, started)

        result = self.process(request, raw, route, params, allowed)
        if method != "GET" and result.status < 400:
            self.state.changed()
        if fault is not None and fault.apply:
            if fault.kind != "delay":
                return self._fault_answer(request, fault, entry, result, started)
            entry["original_status"] = result.status
            entry["original_response_body"] = result.body
            await self._sleep(fault.seconds)
            if self.state.generation != generation:
                return self._drop(request, entry, started, CANCELLED)
        return self._answer(result, entry, started, request)

    def _drop(self, request: web.Request, entry: dict[str, Any], started: float, note: str) -> web.Response:
        if request.transport is not None:
            request.transport.abort()
        if note != CANCELLED:  # a request of a past test must not appear in the fresh log
            entry["note"] = note
            self._finish(entry, started)
        return web.Response(status=500)  # never sent: the transport is gone

    def _finish(self, entry: dict[str, Any], started: float) -> None:
        entry["duration_ms"] = round((time.monotonic() - started) * 1000, 3)
        self.state.log.record(entry)

    def _answer(
        self, result: ApiResponse, entry: dict[str, Any], started: float, request: web.Request
    ) -> web.Response:
        headers = {"X-Request-Id": f"sim-{entry['seq']}", **result.headers}
        entry["status"] = result.status
        entry["response_body"] = result.body
        entry["response_headers"] = headers
        self._finish(entry, started)
        return web.Response(
            status=result.status,
            body=json.dumps(result.body).encode(),
            content_type=JSON_TYPE,
            headers=headers,
        )

    def _fault_answer(
        self,
        request: web.Request,
        fault: Fault,
        entry: dict[str, Any],
        real: ApiResponse | None,
        started: float,
    ) -> web.Response:
        if real is not None:
            entry["original_status"] = real.status
            entry["original_response_body"] = real.body
        headers = {"X-Request-Id": f"sim-{entry['seq']}"}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        if fault.kind == "drop":
            return self._drop(request, entry, started, "connection closed without an answer")
        status = fault.status or 500
        if fault.kind == "error":
            body: Any = fault.error_envelope()
            text, ctype = json.dumps(body), JSON_TYPE
        elif fault.kind == "text":
            phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
            text, ctype = fault.body or f"{status} {phrase}".strip(), "text/plain"
            body = text
        elif fault.kind == "malformed_json":
            text, ctype = fault.body or '{"code": "Success", "data": {"id": "', JSON_TYPE
            body = text
        else:  # truncated_json: the real answer, cut
            assert real is not None
            full = json.dumps(real.body)
            text, ctype, status = full[: max(1, len(full) // 2)], JSON_TYPE, real.status
            headers.update(real.headers)
            body = text
        entry["status"] = status
        entry["response_body"] = body
        entry["response_headers"] = headers
        self._finish(entry, started)
        return web.Response(status=status, body=text.encode(), content_type=ctype, headers=headers)

    def process(
        self,
        request: web.Request,
        raw: bytes,
        route: Route | None,
        params: dict[str, str],
        allowed: list[str],
    ) -> ApiResponse:
        """Everything after faults: synchronous, so one request's changes are atomic."""
        try:
            self._authenticate(request)
            if not acceptable(request.headers.get("Accept")):
                raise ApiError(
                    406,
                    "NotAcceptable",
                    f"Cannot produce a response matching Accept: {request.headers.get('Accept')}; "
                    "send Accept: application/json;version=2",
                )
            if route is None:
                raise self._no_route(request.method, request.path, allowed)
            body = self._body(request, raw, route)
            verdict = self.state.limiter.check(
                self.state.clock.timestamp(),
                setup_test=self._is_setup_test(route, body),
                create=route.handler is FivetranApi.create_connection,
            )
            if not verdict.allowed:
                raise ApiError(
                    429,
                    "TooManyRequests",
                    f"Rate limit exceeded; retry after {verdict.retry_after} seconds",
                    {**verdict.headers, "Retry-After": str(verdict.retry_after)},
                )
            try:
                result = route.handler(self, Call(request, params, body))
            except InvalidInput as exc:
                raise ApiError(400, "InvalidInput", exc.message) from exc
            result.headers.update(verdict.headers)
            return result
        except ApiError as exc:
            return ApiResponse(exc.status, error_body(exc.code, exc.message), dict(exc.headers))

    def _authenticate(self, request: web.Request) -> None:
        unauthorized = ApiError(
            401,
            "Unauthorized",
            "Unauthorized: check your API key and API secret (HTTP Basic auth, base64 of key:secret)",
            {"WWW-Authenticate": 'Basic realm="Fivetran API simulator"'},
        )
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            raise unauthorized
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise unauthorized from exc
        key, _, secret = decoded.partition(":")
        key_ok = hmac.compare_digest(key.encode(), self.state.api_key.encode())
        secret_ok = hmac.compare_digest(secret.encode(), self.state.api_secret.encode())
        if not (key_ok and secret_ok):
            raise unauthorized

    @staticmethod
    def _no_route(method: str, path: str, allowed: list[str]) -> ApiError:
        if allowed:
            return ApiError(
                405,
                "MethodNotAllowed",
                f"Method {method} is not allowed on {path}; allowed: {', '.join(allowed)}",
                {"Allow": ", ".join(allowed)},
            )
        if path.startswith("/v1/connectors"):
            return ApiError(
                404,
                "NotFound",
                "The deprecated /v1/connectors endpoints are not simulated: use /v1/connections",
            )
        return ApiError(404, "NotFound", f"No endpoint {method} {path}")

    @staticmethod
    def _body(request: web.Request, raw: bytes, route: Route) -> dict[str, Any] | None:
        if route.body == "none":
            return None
        if not raw.strip():
            if route.body == "required":
                raise ApiError(
                    400,
                    "InvalidInput",
                    f"Missing request body: {route.method} {route.template} needs a JSON object "
                    "(send {} when there is nothing to set)",
                )
            return None
        if not is_json_type(request.headers.get("Content-Type")):
            raise ApiError(
                415,
                "UnsupportedMediaType",
                f"Unsupported Content-Type {request.headers.get('Content-Type')!r}: send Content-Type: application/json",
            )
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise ApiError(400, "BadRequest", f"Malformed JSON body: {exc}") from exc
        if not isinstance(body, dict):
            raise ApiError(
                400, "InvalidInput", "Invalid value for 'body': the request body must be a JSON object"
            )
        return body

    @staticmethod
    def _is_setup_test(route: Route, body: dict[str, Any] | None) -> bool:
        if route.handler is FivetranApi.run_setup_tests:
            return True
        if route.handler in (FivetranApi.create_connection, FivetranApi.modify_connection):
            return (body or {}).get("run_setup_tests") is True
        return False

    @staticmethod
    def _origin(request: web.Request) -> str:
        return str(request.url.origin())

    # -- operations -------------------------------------------------------------------------------------------

    def _list(self, call: Call, group_id: str | None, message: str) -> ApiResponse:
        query = call.request.query
        limit = validation.page_limit(query.get("limit"))
        cursor = query.get("cursor") or None
        try:
            after = decode_cursor(cursor) if cursor else 0
        except ValueError as exc:
            raise InvalidInput("cursor", f"Invalid value for 'cursor': {exc}") from exc
        if group_id is not None and not self.state.known_group(group_id):
            raise ApiError(404, "NotFound", f"Group with id '{group_id}' doesn't exist")
        schema = query.get("schema") or None
        items, next_after = self.state.store.page(group_id=group_id, schema=schema, after=after, limit=limit)
        for conn in items:
            self.state.tick(conn)
        data: dict[str, Any] = {"items": [conn.render() for conn in items]}
        if next_after is not None:
            data["next_cursor"] = encode_cursor(next_after)
        return success(data, message)

    # Success messages are the spec's examples of each operation (clients never parse them).
    def list_connections(self, call: Call) -> ApiResponse:
        group_id = call.request.query.get("group_id") or None
        return self._list(call, group_id, "Connections list retrieved successfully")

    def list_group_connections(self, call: Call) -> ApiResponse:
        return self._list(call, call.params["groupId"], "Group connections retrieved successfully")

    def create_connection(self, call: Call) -> ApiResponse:
        assert call.body is not None
        group_id, change = validation.create_body(call.body)
        conn = self.state.create(group_id, change, self._origin(call.request))
        return success(conn.render(), "Connection has been created", 201)

    def connection_details(self, call: Call) -> ApiResponse:
        conn = self.state.get(call.params["connectionId"])
        return success(conn.render(), "Connection details retrieved successfully")

    def modify_connection(self, call: Call) -> ApiResponse:
        assert call.body is not None
        conn = self.state.get(call.params["connectionId"])
        change = validation.patch_body(call.body, conn.config, conn.auth, conn.sync_frequency)
        return success(self.state.modify(conn, change).render(), "Connection has been updated")

    def delete_connection(self, call: Call) -> ApiResponse:
        conn_id = call.params["connectionId"]
        self.state.delete(conn_id)
        return success(message=f"Connection with id '{conn_id}' has been deleted")

    def run_setup_tests(self, call: Call) -> ApiResponse:
        assert call.body is not None
        conn = self.state.get(call.params["connectionId"])
        validation.setup_test_body(call.body)
        self.state.run_setup_tests(conn)
        self.state.tick(conn)
        self.state.changed()
        return success(conn.render(), "Setup tests have been completed")

    def sync_connection(self, call: Call) -> ApiResponse:
        conn = self.state.get(call.params["connectionId"])
        force = validation.sync_body(call.body)
        return success(message=self.state.trigger_sync(conn, force))

    def resync_connection(self, call: Call) -> ApiResponse:
        conn = self.state.get(call.params["connectionId"])
        validation.resync_body(call.body)
        return success(message=self.state.trigger_resync(conn))

    def reload_schema(self, call: Call) -> ApiResponse:
        conn = self.state.get(call.params["connectionId"])
        validation.reload_body(call.body)
        return success(self.state.schema_config(conn), "Schema configuration has been reloaded")

    def destination_details(self, call: Call) -> ApiResponse:
        # A group and its destination map 1:1 and share the id (Fivetran's "Retrieve Destination Details").
        group_id = call.params["destinationId"]
        if not self.state.known_group(group_id):
            raise ApiError(404, "NotFound_Destination", f"Destination with id '{group_id}' doesn't exist")
        return success(destination(group_id), "Destination details retrieved successfully")

    def connect_card(self, call: Call) -> ApiResponse:
        assert call.body is not None
        conn = self.state.get(call.params["connectionId"])
        card_config = validation.connect_card_body(call.body)
        card = self.state.create_connect_card(conn, card_config, self._origin(call.request))
        data = {"connector_id": conn.id, "connect_card": dict(card), "connect_card_config": dict(card_config)}
        return success(data, "Connection Connect Card has been created")


_CONN = "/v1/connections/{connectionId}"
ROUTES: tuple[Route, ...] = tuple(
    Route(method, template, handler, body, _pattern(template))
    for method, template, handler, body in (
        ("GET", "/v1/connections", FivetranApi.list_connections, "none"),
        ("POST", "/v1/connections", FivetranApi.create_connection, "required"),
        ("GET", _CONN, FivetranApi.connection_details, "none"),
        ("PATCH", _CONN, FivetranApi.modify_connection, "required"),
        ("DELETE", _CONN, FivetranApi.delete_connection, "none"),
        ("POST", _CONN + "/test", FivetranApi.run_setup_tests, "required"),
        ("POST", _CONN + "/sync", FivetranApi.sync_connection, "optional"),
        ("POST", _CONN + "/resync", FivetranApi.resync_connection, "optional"),
        ("POST", _CONN + "/connect-card", FivetranApi.connect_card, "required"),
        ("POST", _CONN + "/schemas/reload", FivetranApi.reload_schema, "optional"),
        ("GET", "/v1/groups/{groupId}/connections", FivetranApi.list_group_connections, "none"),
        ("GET", "/v1/destinations/{destinationId}", FivetranApi.destination_details, "none"),
    )
)
