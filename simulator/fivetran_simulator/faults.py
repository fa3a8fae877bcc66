"""Faults on demand: make the next N requests of a route fail the way real networks and gateways do.

A fault spec (JSON, for ``POST /_sim/faults``, a scenario's ``faults`` or :meth:`SimulatorControl.add_fault`)::

    {"route": "POST /v1/connections",    # "METHOD /path", {name} or * match one path segment;
                                         # method "*" or omitted: any method; "*" alone: every request
     "kind": "error",                    # see KINDS
     "count": 1,                         # the next N matching requests (default 1); null: until cleared
     "status": 503,                      # error/text/malformed_json: the HTTP status to answer
     "retry_after": 2,                   # adds "Retry-After: 2" (error/text)
     "seconds": 5.0,                     # delay: how long to wait before answering
     "body": "...",                      # text/malformed_json: the body to send instead of the default
     "code": "...", "message": "...",    # error: the envelope's code and message
     "apply": false}                     # process the request for real first (the change happens),
                                         # then answer with the fault instead of the real answer

Kinds:
- ``error``: a JSON error envelope with ``status`` (default 500; 429 defaults to ``TooManyRequests`` and
  ``Retry-After: 1``).
- ``text``: a ``text/plain`` body with ``status`` (default 502), as a proxy or load balancer answers.
- ``malformed_json``: ``status`` (default 200) with ``Content-Type: application/json`` and a body that is not JSON.
- ``truncated_json``: the real answer (always applied), its JSON body cut in half.
- ``delay``: wait ``seconds`` (default 5) and then answer normally. Without ``apply`` the request is processed
  after the wait; with ``apply`` it is processed first and only the answer is late (a client that timed out
  never sees it: the create happened, the client does not know).
- ``drop``: close the connection without answering. With ``apply``: the request is processed first
  (the connection IS created, the client gets no answer).

Faults are matched in the order they were added; a request consumes at most one fault.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

KINDS = ("error", "text", "malformed_json", "truncated_json", "delay", "drop")
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS", "*")
DEFAULT_STATUS = {"error": 500, "text": 502, "malformed_json": 200}
ERROR_CODES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}
DEFAULT_MALFORMED_BODY = '{"code": "Success", "data": {"id": "'
FIELDS = frozenset(
    {"route", "kind", "count", "status", "retry_after", "seconds", "body", "code", "message", "apply"}
)
_ids = itertools.count(1)


class FaultSpecError(ValueError):
    """A fault spec is malformed; the message names the field."""


def _route_regex(route: str) -> tuple[str, re.Pattern[str]]:
    route = route.strip()
    if route == "*":
        return "*", re.compile(r"^/.*$")
    method, _, path = route.partition(" ") if " " in route else ("*", "", route)
    method = method.upper()
    path = path.strip()
    if method not in METHODS:
        raise FaultSpecError(f"route: unknown method {method!r}")
    if not path.startswith("/"):
        raise FaultSpecError(f"route: the path must start with '/', got {path!r}")
    parts = []
    for segment in path.strip("/").split("/"):
        if segment == "*" or (segment.startswith("{") and segment.endswith("}")):
            parts.append(r"[^/]+")
        else:
            parts.append(re.escape(segment))
    return method, re.compile("^/" + "/".join(parts) + "$")


@dataclass
class Fault:
    """One armed fault."""

    id: int
    route: str
    kind: str
    remaining: int | None
    status: int | None = None
    retry_after: int | None = None
    seconds: float = 5.0
    body: str | None = None
    code: str | None = None
    message: str | None = None
    apply: bool = False

    def __post_init__(self) -> None:
        self._method, self._pattern = _route_regex(self.route)

    @classmethod
    def from_spec(cls, spec: Any) -> Fault:
        """Parse a spec (see the module docstring); raises :class:`FaultSpecError`."""
        if not isinstance(spec, dict):
            raise FaultSpecError("a fault must be an object")
        unknown = set(spec) - FIELDS
        if unknown:
            raise FaultSpecError(
                f"unknown field {sorted(unknown)[0]!r}; allowed: {', '.join(sorted(FIELDS))}"
            )
        route, kind = spec.get("route"), spec.get("kind", "error")
        if not isinstance(route, str) or not route.strip():
            raise FaultSpecError("route: required, e.g. 'POST /v1/connections' or 'GET /v1/connections/{id}'")
        if kind not in KINDS:
            raise FaultSpecError(f"kind: must be one of {', '.join(KINDS)}, got {kind!r}")
        count = spec.get("count", 1)
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
            raise FaultSpecError("count: must be a whole number >= 1, or null for 'until cleared'")
        status = spec.get("status", DEFAULT_STATUS.get(kind))
        if status is not None and (
            isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599
        ):
            raise FaultSpecError("status: must be an HTTP status code")
        retry_after = spec.get("retry_after", 1 if status == 429 and kind == "error" else None)
        if retry_after is not None and (
            isinstance(retry_after, bool) or not isinstance(retry_after, int) or retry_after < 0
        ):
            raise FaultSpecError("retry_after: must be a whole number of seconds >= 0")
        seconds = spec.get("seconds", 5.0)
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise FaultSpecError("seconds: must be a number >= 0")
        for key in ("body", "code", "message"):
            if spec.get(key) is not None and not isinstance(spec[key], str):
                raise FaultSpecError(f"{key}: must be a string")
        apply = spec.get("apply", kind == "truncated_json")
        if not isinstance(apply, bool):
            raise FaultSpecError("apply: must be a boolean")
        return cls(
            id=next(_ids),
            route=route.strip(),
            kind=kind,
            remaining=count,
            status=status,
            retry_after=retry_after,
            seconds=float(seconds),
            body=spec.get("body"),
            code=spec.get("code"),
            message=spec.get("message"),
            apply=apply or kind == "truncated_json",
        )

    def matches(self, method: str, path: str) -> bool:
        return (self._method in ("*", method)) and bool(self._pattern.match(path))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "route": self.route,
            "kind": self.kind,
            "count": self.remaining,
            "status": self.status,
            "retry_after": self.retry_after,
            "seconds": self.seconds,
            "body": self.body,
            "code": self.code,
            "message": self.message,
            "apply": self.apply,
        }

    def error_envelope(self) -> dict[str, str]:
        status = self.status or 500
        return {
            "code": self.code or ERROR_CODES.get(status, "Error"),
            "message": self.message or f"Simulated fault: HTTP {status} on {self.route}",
        }


class FaultQueue:
    """Armed faults, consumed first-in first-out per matching request."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, spec: Any) -> Fault:
        fault = Fault.from_spec(spec)
        self._faults.append(fault)
        return fault

    def clear(self) -> None:
        self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """Consume one use of the first fault matching this request, if any."""
        for fault in self._faults:
            if fault.matches(method, path):
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def to_list(self) -> list[dict[str, Any]]:
        return [f.to_dict() for f in self._faults]
