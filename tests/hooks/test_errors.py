"""Errors as a task log shows them: typed, carrying Fivetran's code and message, saying what to do."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from airflow_spotify_fivetran.exceptions import (
    FivetranAuthError,
    FivetranNotFoundError,
    FivetranResponseError,
)
from airflow_spotify_fivetran.hooks import FivetranAsyncHook, FivetranHook
from fivetran_simulator import SimulatorServer
from tests.hooks import airflow_conn_json
from tests.payloads import demo_request

DETAILS = "GET /v1/connections/{id}"
LIST = "GET /v1/connections"


def test_401_says_to_check_key_and_secret_of_the_airflow_connection(
    make_hook: Callable[..., FivetranHook], simulator: SimulatorServer
) -> None:
    hook = make_hook(password="wrong-secret")

    with pytest.raises(FivetranAuthError) as raised:
        hook.get_connection_details("any_connection")

    message = str(raised.value)
    assert raised.value.status == 401
    assert raised.value.code == "Unauthorized"
    assert "GET /v1/connections/any_connection -> 401 Unauthorized" in message
    assert "API key" in message
    assert "API secret" in message
    assert "'fivetran_default'" in message
    assert len(simulator.control.requests()) == 1  # a wrong secret is not retried


async def test_async_401_says_the_same(simulator: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_DEFAULT", airflow_conn_json(simulator, password="wrong-secret"))

    async with FivetranAsyncHook() as async_hook:
        with pytest.raises(FivetranAuthError) as raised:
            await async_hook.get_connection_details("any_connection")

    assert "API secret" in str(raised.value)
    assert "'fivetran_default'" in str(raised.value)


def test_404_is_not_found_with_fivetran_code(hook: FivetranHook, simulator: SimulatorServer) -> None:
    with pytest.raises(FivetranNotFoundError) as raised:
        hook.get_connection_details("no_such_connection")

    error = raised.value
    assert (error.status, error.code, error.method, error.path) == (
        404,
        "NotFound_Connection",
        "GET",
        "/v1/connections/no_such_connection",
    )
    assert "Connection with id 'no_such_connection' doesn't exist" in error.api_message
    assert error.request_id == "sim-1"
    assert str(error).startswith("GET /v1/connections/no_such_connection -> 404 NotFound_Connection: ")


# Answers a 2xx may carry that are not what the API documents; each must give a FivetranResponseError that
# says what was wrong, never a KeyError/TypeError from deep inside the hook.
GARBLED = {
    "html": ("<html><body>Bad gateway</body></html>", "not valid JSON"),
    "truncated": ('{"code": "Success", "data": {"id": "abc", "gro', "truncated or not JSON"),
    "empty": ("", "not valid JSON"),
    "a-list": ("[1, 2, 3]", "not Fivetran's envelope"),
    "no-code": ('{"data": {}}', "not Fivetran's envelope"),
    "not-success": ('{"code": "Pending", "message": "later"}', "answer says Pending: later"),
    "no-data": ('{"code": "Success"}', "no 'data' object"),
    "data-not-object": ('{"code": "Success", "data": "abc"}', "no 'data' object"),
    "incomplete-data": (
        '{"code": "Success", "data": {"id": "abc"}}',
        "not a usable Connection: group_id: missing",
    ),
}


@pytest.mark.parametrize(("body", "expected"), GARBLED.values(), ids=GARBLED.keys())
def test_a_garbled_answer_is_a_clear_response_error(
    make_hook: Callable[..., FivetranHook], simulator: SimulatorServer, body: str, expected: str
) -> None:
    hook = make_hook(max_attempts=1)
    simulator.control.add_fault(DETAILS, "malformed_json", status=200, body=body)

    with pytest.raises(FivetranResponseError) as raised:
        hook.get_connection_details("abc")

    assert expected in str(raised.value)
    assert "GET /v1/connections/abc" in str(raised.value)
    assert not isinstance(raised.value.__cause__, KeyError | TypeError | AttributeError)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"code": "Success", "data": {}}', "no 'items' array"),
        ('{"code": "Success", "data": {"items": {"a": 1}}}', "no 'items' array"),
        ('{"code": "Success", "data": {"items": null}}', "no 'items' array"),
        ('{"code": "Success", "data": {"items": [{"id": "x"}]}}', "not a usable Connection"),
        (
            '{"code": "Success", "data": {"items": [], "next_cursor": ["x"]}}',
            "next_cursor that is not a string",
        ),
        (
            '{"code": "Success", "data": {"items": [], "next_cursor": 7}}',
            "next_cursor that is not a string: 7",
        ),
    ],
)
def test_a_garbled_list_answer_is_a_clear_response_error(
    make_hook: Callable[..., FivetranHook], simulator: SimulatorServer, body: str, expected: str
) -> None:
    hook = make_hook(max_attempts=1)
    simulator.control.add_fault(LIST, "malformed_json", status=200, body=body)

    with pytest.raises(FivetranResponseError, match=expected):
        list(hook.list_connections())


def test_a_looping_cursor_is_an_error_not_an_endless_list(
    make_hook: Callable[..., FivetranHook], simulator: SimulatorServer
) -> None:
    hook = make_hook(max_attempts=1)
    page = '{"code": "Success", "data": {"items": [], "next_cursor": "same"}}'
    simulator.control.add_fault(LIST, "malformed_json", status=200, body=page, count=3)

    with pytest.raises(FivetranResponseError, match="pagination loops on cursor 'same'"):
        list(hook.list_connections())
    assert len(simulator.control.requests()) == 2


@pytest.mark.parametrize("last_cursor", ["absent", "null", "empty"])
def test_every_last_page_marker_ends_the_list(
    make_hook: Callable[..., FivetranHook], simulator: SimulatorServer, last_cursor: str
) -> None:
    hook = make_hook()
    created = hook.create_connection(demo_request("ads_last_page"))
    item = simulator.control.connection(created.id)
    del item["_sim"]
    data: dict[str, object] = {"items": [item]}
    if last_cursor != "absent":
        data["next_cursor"] = None if last_cursor == "null" else ""
    simulator.control.add_fault(
        LIST, "malformed_json", status=200, body=json.dumps({"code": "Success", "data": data})
    )

    assert [c.id for c in hook.list_connections()] == [created.id]


def test_an_error_answer_that_is_not_json_keeps_the_status(
    make_hook: Callable[..., FivetranHook], simulator: SimulatorServer
) -> None:
    hook = make_hook(max_attempts=1)
    simulator.control.add_fault(DETAILS, "text", status=404, body="<h1>Not Found</h1>")

    with pytest.raises(FivetranNotFoundError) as raised:
        hook.get_connection_details("abc")

    assert raised.value.code is None
    assert "404 error: non-JSON answer: '<h1>Not Found</h1>'" in str(raised.value)


def test_a_garbled_connect_card_answer_is_a_clear_response_error(
    make_hook: Callable[..., FivetranHook], simulator: SimulatorServer
) -> None:
    hook = make_hook(max_attempts=1)
    body = '{"code": "Success", "data": {"connect_card": {"uri": "https://x"}}}'
    simulator.control.add_fault(
        "POST /v1/connections/{id}/connect-card", "malformed_json", status=200, body=body
    )

    with pytest.raises(FivetranResponseError) as raised:
        hook.create_connect_card("abc", redirect_uri="https://airflow.example.com/done")

    assert "POST /v1/connections/abc/connect-card" in str(raised.value)
    assert "not a usable ConnectCardAnswer: connector_id: missing" in str(raised.value)
