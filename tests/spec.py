"""Check requests and answers against Fivetran's OpenAPI (the normalized copy vendored in ``tests/contract``).

Reusable by every test module::

    from tests.spec import spec_available, validate_answer, validate_request, validate_exchange

    validate_answer("POST", "/v1/connections", 201, body)           # raises SpecViolation (an AssertionError)
    validate_request("PATCH", "/v1/connections/abc", {"paused": True})
    for entry in sim.control.requests():                             # the simulator's request log
        validate_exchange(entry)                                     # the answer (faults skipped)
        validate_request(entry["method"], entry["path"], entry["request_body"])

``path`` may be the OpenAPI template (``/v1/connections/{connectionId}``) or a concrete path. Schemas are
checked with ``OAS30Validator`` (``nullable`` honoured, ``date-time`` checked). Discriminators are followed
(``ConnectorResponseV1`` with ``service: spotify_ads`` is checked as ``spotify_ads_ConnectorResponseV1``, the
create body as ``spotify_ads_NewConnectorRequestV1``); list items are also checked against the per-service config
schema. Error answers (4xx/5xx) have no schema in the spec: their envelope is checked by hand (``code`` and
``message`` strings, no ``data``). The spec is part of the checkout: a missing file fails, it never skips.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.contract import OPENAPI_NORMALIZED, contract_file

REPO_ROOT = Path(__file__).resolve().parents[1]
SPEC_PATH = OPENAPI_NORMALIZED

# Operations whose body is required even though the spec does not flag it (README: "/test with no body is a 400").
BODY_REQUIRED = {
    ("POST", "/v1/connections"),
    ("PATCH", "/v1/connections/{connectionId}"),
    ("POST", "/v1/connections/{connectionId}/test"),
    ("POST", "/v1/connections/{connectionId}/connect-card"),
}
LIST_OPERATIONS = {("GET", "/v1/connections"), ("GET", "/v1/groups/{groupId}/connections")}


class SpecViolation(AssertionError):
    """A request or an answer does not match the OpenAPI."""


def require_spec() -> dict[str, Any]:
    """The spec (a missing vendored copy fails the calling test, naming the file)."""
    return load_spec()


@functools.cache
def load_spec() -> dict[str, Any]:
    return dict(json.loads(contract_file(SPEC_PATH).read_text(encoding="utf-8")))


@functools.cache
def _templates() -> list[tuple[str, re.Pattern[str]]]:
    return [
        (template, re.compile("^" + re.sub(r"\{\w+\}", "[^/]+", template) + "$"))
        for template in load_spec()["paths"]
    ]


def resolve_template(path: str) -> str:
    """The OpenAPI template of a concrete path (or the template itself); raises SpecViolation if none."""
    paths = load_spec()["paths"]
    if path in paths:
        return path
    matches = [t for t, pattern in _templates() if pattern.match(path)]
    if not matches:
        raise SpecViolation(f"{path} is not a path of the Fivetran API")
    # A literal segment beats a parameter: prefer the template with the fewest parameters.
    return min(matches, key=lambda t: t.count("{"))


def operation(method: str, path: str) -> tuple[str, dict[str, Any]]:
    template = resolve_template(path)
    op = load_spec()["paths"][template].get(method.lower())
    if op is None:
        raise SpecViolation(f"{method} {template} is not an operation of the Fivetran API")
    return template, op


def _validator(schema: dict[str, Any]) -> Any:
    return _cached_validator(json.dumps(schema, sort_keys=True))


@functools.cache
def _cached_validator(schema_json: str) -> Any:
    from openapi_schema_validator import OAS30Validator

    full = {**json.loads(schema_json), "components": _nullable_enums(load_spec()["components"])}
    return OAS30Validator(full, format_checker=OAS30Validator.FORMAT_CHECKER)


def _nullable_enums(node: Any) -> Any:
    """A copy in which every ``nullable`` enum also lists ``null``.

    OpenAPI 3.0.3 says an enum must list ``null`` itself for ``nullable`` to admit it; the normalized contract
    marks optional answer properties ``nullable`` precisely so that answers may carry ``null`` for unset values
    (``destination_schema_names: null``), so the enums it marks admit it too.
    """
    if isinstance(node, list):
        return [_nullable_enums(item) for item in node]
    if not isinstance(node, dict):
        return node
    copy = {key: _nullable_enums(value) for key, value in node.items()}
    if copy.get("nullable") is True and isinstance(copy.get("enum"), list) and None not in copy["enum"]:
        copy["enum"] = [*copy["enum"], None]
    return copy


def _component(name: str) -> dict[str, Any]:
    return dict(load_spec()["components"]["schemas"][name])


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _discriminated(schema: dict[str, Any], instance: Any, where: str) -> Iterator[tuple[str, Any, str]]:
    """Yield (mapped schema name, sub-instance, location) for every discriminator the instance selects."""
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        component = _component(name)
        discriminator = component.get("discriminator")
        if discriminator and isinstance(instance, dict):
            target = discriminator.get("mapping", {}).get(instance.get(discriminator["propertyName"]))
            if target:
                yield _ref_name(target), instance, where
        yield from _discriminated(component, instance, where)
        return
    for sub in schema.get("allOf", []):
        yield from _discriminated(sub, instance, where)
    if isinstance(instance, dict):
        for key, sub in schema.get("properties", {}).items():
            if key in instance:
                yield from _discriminated(sub, instance[key], f"{where}.{key}")
    if isinstance(instance, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(instance):
            yield from _discriminated(schema["items"], item, f"{where}[{i}]")


def schema_errors(schema: dict[str, Any], instance: Any, where: str = "body") -> list[str]:
    """Every violation of ``schema`` (and of the schemas its discriminators select) by ``instance``."""
    errors = [
        f"{where}{''.join(f'[{p!r}]' for p in e.absolute_path)}: {e.message}"
        for e in _validator(schema).iter_errors(instance)
    ]
    for name, sub, location in _discriminated(schema, instance, where):
        errors += [
            f"{location}{''.join(f'[{p!r}]' for p in e.absolute_path)} ({name}): {e.message}"
            for e in _validator({"$ref": f"#/components/schemas/{name}"}).iter_errors(sub)
        ]
    return errors


def component_errors(name: str, instance: Any, where: str = "body") -> list[str]:
    return schema_errors({"$ref": f"#/components/schemas/{name}"}, instance, where)


def _error_envelope_errors(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return [f"an error answer must be a JSON object, got {type(body).__name__}"]
    errors = []
    if not isinstance(body.get("code"), str) or not body["code"] or body["code"] == "Success":
        errors.append(
            f"error answer: 'code' must be a non-empty string other than Success, got {body.get('code')!r}"
        )
    if not isinstance(body.get("message"), str) or not body["message"]:
        errors.append(f"error answer: 'message' must be a non-empty string, got {body.get('message')!r}")
    if "data" in body:
        errors.append("error answer: must not carry 'data'")
    return errors


def answer_errors(method: str, path: str, status: int, body: Any) -> list[str]:
    """Violations of the answer ``status``/``body`` to ``method path`` (empty when it conforms)."""
    template, op = operation(method, path)
    label = f"{method} {template} -> {status}"
    if status >= 400:
        return [f"{label}: {e}" for e in _error_envelope_errors(body)]
    response = op["responses"].get(str(status))
    if response is None:
        documented = ", ".join(s for s in op["responses"] if s.startswith("2"))
        return [f"{label}: undocumented success status (documented: {documented})"]
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return []
    errors = schema_errors(schema, body)
    if isinstance(body, dict) and body.get("code") != "Success":
        errors.append(f"code must be 'Success' on a {status} answer, got {body.get('code')!r}")
    if (method.upper(), template) in LIST_OPERATIONS and isinstance(body, dict):
        for i, item in enumerate((body.get("data") or {}).get("items") or []):
            if isinstance(item, dict) and item.get("service") == "spotify_ads":
                errors += component_errors("spotify_ads_config_V1", item, f"body.data.items[{i}]")
    return [f"{label}: {e}" for e in errors]


def request_errors(method: str, path: str, body: Any) -> list[str]:
    """Violations of a request body sent to ``method path`` (``None``: no body)."""
    template, op = operation(method, path)
    label = f"{method} {template} request"
    if body is None:
        return [f"{label}: a JSON body is required"] if (method.upper(), template) in BODY_REQUIRED else []
    request_body = op.get("requestBody")
    if request_body is None:
        return [f"{label}: this operation takes no body"]
    schema = request_body["content"]["application/json"]["schema"]
    return [f"{label}: {e}" for e in schema_errors(schema, body)]


def _raise(errors: list[str]) -> None:
    if errors:
        raise SpecViolation("\n".join(errors))


def validate_answer(method: str, path: str, status: int, body: Any) -> None:
    """Raise :class:`SpecViolation` listing every way the answer breaks the OpenAPI."""
    _raise(answer_errors(method, path, status, body))


def validate_request(method: str, path: str, body: Any) -> None:
    """Raise :class:`SpecViolation` listing every way the request body breaks the OpenAPI."""
    _raise(request_errors(method, path, body))


#: Endpoints the provider calls that the vendored connections OpenAPI does not define: each with its source
#: and the ``data`` fields that page documents, which its answers must carry (Fivetran's success envelope).
OUTSIDE_VENDORED_SPEC: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    ("GET", "/v1/destinations/{destinationId}"): (
        "Fivetran's REST API reference, Destinations: Retrieve Destination Details",
        ("id", "group_id", "service", "region", "setup_status", "config"),
    ),
}


def _documented_elsewhere_errors(method: str, template: str, status: int, body: Any) -> list[str]:
    _, fields = OUTSIDE_VENDORED_SPEC[(method, template)]
    label = f"{method} {template} -> {status}"
    if status >= 400:
        return [f"{label}: {e}" for e in _error_envelope_errors(body)]
    if not isinstance(body, dict) or body.get("code") != "Success" or not isinstance(body.get("data"), dict):
        return [f"{label}: a success answer is {{'code': 'Success', 'data': {{...}}}}"]
    return [f"{label}: data lacks {field!r}" for field in fields if field not in body["data"]]


def exchange_errors(entry: dict[str, Any]) -> list[str]:
    """Violations of one simulator request-log entry's answer.

    Injected faults are skipped (they break the contract on purpose), except that the real answer behind an
    applied fault (``original_status``/``original_response_body``) is checked. Requests to paths outside the
    API (404 on an unknown path) are checked as error envelopes only.
    """
    method, path = entry["method"], entry.get("path_template") or entry["path"]
    if entry.get("fault"):
        if "original_status" not in entry:
            return []
        status, body = entry["original_status"], entry["original_response_body"]
    else:
        status, body = entry["status"], entry["response_body"]
    if status is None:
        return []
    if (method, path) in OUTSIDE_VENDORED_SPEC:
        return _documented_elsewhere_errors(method, path, status, body)
    try:
        operation(method, path)
    except SpecViolation:
        return (
            [f"{method} {path} -> {status}: {e}" for e in _error_envelope_errors(body)]
            if status >= 400
            else [f"{method} {path}: answered {status} on a path or method outside the API"]
        )
    return answer_errors(method, path, status, body)


def validate_exchange(entry: dict[str, Any]) -> None:
    _raise(exchange_errors(entry))
