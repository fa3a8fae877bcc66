"""tests/spec.py catches what it must (so that a passing conformance test means something)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.spec import (
    SpecViolation,
    answer_errors,
    exchange_errors,
    request_errors,
    require_spec,
    resolve_template,
    validate_answer,
    validate_request,
)

CONNECTION: dict[str, Any] = {
    "id": "amber_anchor",
    "group_id": "demo_warehouse",
    "service": "spotify_ads",
    "service_version": 1,
    "schema": "s",
    "connected_by": "u",
    "created_at": "2026-01-01T00:00:00.000000Z",
    "succeeded_at": None,
    "failed_at": None,
    "paused": False,
    "pause_after_trial": False,
    "sync_frequency": 360,
    "schedule_type": "auto",
    "data_delay_sensitivity": "NORMAL",
    "status": {
        "setup_state": "incomplete",
        "sync_state": "scheduled",
        "update_state": "on_schedule",
        "is_historical_sync": True,
    },
    "config": {"schema": "s", "sync_mode": "ALL_ACCOUNTS"},
}


@pytest.fixture(autouse=True)
def _spec() -> None:
    require_spec()


def _details(**changes: Any) -> dict[str, Any]:
    return {"code": "Success", "data": copy.deepcopy(CONNECTION) | changes}


def test_a_good_answer_passes() -> None:
    validate_answer("GET", "/v1/connections/amber_anchor", 200, _details())
    validate_answer("GET", "/v1/connections/{connectionId}", 200, _details())


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"connect_card": None}, "connect_card"),
        ({"sync_frequency": "360"}, "sync_frequency"),
        ({"created_at": "yesterday"}, "date-time"),
        ({"config": {"sync_mode": "SOME"}}, "spotify_ads_ConnectorResponseV1"),
        ({"setup_tests": [{"title": "t", "status": "MAYBE"}]}, "MAYBE"),
    ],
)
def test_a_bad_connection_is_caught(changes: dict[str, Any], needle: str) -> None:
    with pytest.raises(SpecViolation, match=needle):
        validate_answer("GET", "/v1/connections/x", 200, _details(**changes))


def test_list_rules() -> None:
    good = {"code": "Success", "data": {"items": [CONNECTION], "next_cursor": "abc"}}
    assert answer_errors("GET", "/v1/connections", 200, good) == []
    null_cursor = {"code": "Success", "data": {"items": [], "next_cursor": None}}
    assert answer_errors("GET", "/v1/connections", 200, null_cursor)
    bad_item = {"code": "Success", "data": {"items": [CONNECTION | {"config": {"timeframe_months": "NINE"}}]}}
    assert answer_errors("GET", "/v1/groups/g/connections", 200, bad_item)


def test_status_and_error_envelopes() -> None:
    assert answer_errors("POST", "/v1/connections", 200, _details())  # create answers 201
    assert (
        answer_errors("GET", "/v1/connections/x", 404, {"code": "NotFound_Connection", "message": "m"}) == []
    )
    assert answer_errors("GET", "/v1/connections/x", 404, {"code": "NotFound", "message": "m", "data": {}})
    assert answer_errors("GET", "/v1/connections/x", 500, "oops")
    assert answer_errors("DELETE", "/v1/connections/x", 200, {"code": "Success"})  # message required


def test_request_rules() -> None:
    validate_request("PATCH", "/v1/connections/x", {"paused": True})
    validate_request("POST", "/v1/connections/x/sync", None)
    assert request_errors("POST", "/v1/connections/x/test", None)
    create = {"group_id": "g", "service": "spotify_ads", "config": {"schema": "s"}, "sync_frequency": "360"}
    assert any("sync_frequency" in e for e in request_errors("POST", "/v1/connections", create))
    assert any("schema" in e for e in request_errors("POST", "/v1/connections", create | {"config": {}}))


def test_paths_and_exchanges() -> None:
    assert resolve_template("/v1/connections/abc/test") == "/v1/connections/{connectionId}/test"
    assert resolve_template("/v1/groups/g/connections") == "/v1/groups/{groupId}/connections"
    with pytest.raises(SpecViolation):
        resolve_template("/v1/connectors/abc")
    faulted = {
        "method": "GET",
        "path": "/v1/connections",
        "path_template": "/v1/connections",
        "fault": "text",
        "status": 502,
        "response_body": "502 Bad Gateway",
    }
    assert exchange_errors(faulted) == []
    unknown = {
        "method": "GET",
        "path": "/v1/nope",
        "path_template": None,
        "fault": None,
        "status": 404,
        "response_body": {"code": "NotFound", "message": "No endpoint"},
    }
    assert exchange_errors(unknown) == []


def test_an_endpoint_documented_outside_the_vendored_spec_is_checked_by_its_documented_fields() -> None:
    path = "/v1/destinations/{destinationId}"
    data = {"id": "g", "group_id": "g", "service": "postgres_warehouse", "region": "GCP_US_EAST4"}
    answer = {
        "method": "GET",
        "path": "/v1/destinations/g",
        "path_template": path,
        "fault": None,
        "status": 200,
    }
    complete = {**data, "setup_status": "connected", "config": {}}

    assert exchange_errors({**answer, "response_body": {"code": "Success", "data": complete}}) == []
    assert exchange_errors({**answer, "response_body": {"code": "Success", "data": data}}) == [
        f"GET {path} -> 200: data lacks 'setup_status'",
        f"GET {path} -> 200: data lacks 'config'",
    ]
    missing = {**answer, "status": 404, "response_body": {"code": "NotFound", "message": "No destination"}}
    assert exchange_errors(missing) == []
