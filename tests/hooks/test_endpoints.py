"""Each hook method against the simulator: what it sends, what it returns, what the simulator then holds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from airflow_spotify_fivetran.exceptions import FivetranNotFoundError
from airflow_spotify_fivetran.hooks import FivetranAsyncHook, FivetranHook
from airflow_spotify_fivetran.models import (
    ConnectCardAnswer,
    Connection,
    ConnectionUpdate,
    NewSpotifyAdsConnection,
)
from airflow_spotify_fivetran.models.enums import SetupState
from fivetran_simulator import DEFAULT_GROUP_ID, SimulatorServer
from tests.hooks import calls
from tests.payloads import demo_request

CONNECTIONS = "/v1/connections"
ONE = "/v1/connections/{connectionId}"
OTHER_GROUP = "second_warehouse"


def _create(hook: FivetranHook, schema: str, **overrides: Any) -> Connection:
    return hook.create_connection(demo_request(schema, **overrides))


# -- create -------------------------------------------------------------------------------------------------


def test_create_answers_201_and_returns_the_connection(
    hook: FivetranHook, simulator: SimulatorServer
) -> None:
    created = hook.create_connection(demo_request("ads_create"))

    assert isinstance(created, Connection)
    stored = simulator.control.connections()
    assert [c["id"] for c in stored] == [created.id]
    assert (created.group_id, created.schema_, created.service) == (
        DEFAULT_GROUP_ID,
        "ads_create",
        "spotify_ads",
    )
    assert created.sync_frequency == 1440
    assert created.daily_sync_time == "03:00"
    assert created.status.setup_state == SetupState.CONNECTED  # demo credentials pass the setup tests
    assert created.setup_tests
    (post,) = calls(simulator.control.requests(), "POST", CONNECTIONS)
    assert post["status"] == 201
    assert post["request_body"]["config"]["schema"] == "ads_create"
    assert (
        post["request_body"]["auth"]["refresh_token"] == "******"
    )  # sent, and redacted by the simulator log


def test_create_accepts_a_model(hook: FivetranHook, simulator: SimulatorServer) -> None:
    model = NewSpotifyAdsConnection.from_api_dict(demo_request("ads_model", run_setup_tests=False))

    created = hook.create_connection(model)

    assert created.schema_ == "ads_model"
    assert created.status.setup_state == SetupState.INCOMPLETE  # run_setup_tests=false reached the API
    assert [c["id"] for c in simulator.control.connections()] == [created.id]


# -- read ----------------------------------------------------------------------------------------------------


def test_get_connection_details(hook: FivetranHook, simulator: SimulatorServer) -> None:
    created = _create(hook, "ads_details")

    details = hook.get_connection_details(created.id)

    assert details.id == created.id
    assert details.schema_ == "ads_details"
    assert details.config is not None
    assert details.config.schema_ == "ads_details"
    (get,) = calls(simulator.control.requests(), "GET", ONE)
    assert get["path"] == f"/v1/connections/{created.id}"


def test_list_connections_follows_the_cursor_across_pages(
    hook: FivetranHook, simulator: SimulatorServer
) -> None:
    simulator.control.set_scenario({"groups": [DEFAULT_GROUP_ID, OTHER_GROUP]})
    mine = {_create(hook, f"ads_{i}").id for i in range(7)}
    theirs = {_create(hook, f"ads_other_{i}", group_id=OTHER_GROUP).id for i in range(2)}
    simulator.control.clear_requests()

    listed = list(hook.list_connections(group_id=DEFAULT_GROUP_ID, page_size=3))

    assert len(listed) == 7  # each once: no page repeated or skipped
    assert {c.id for c in listed} == mine
    pages = calls(simulator.control.requests(), "GET", CONNECTIONS)
    assert len(pages) == 3  # 3 + 3 + 1
    assert all(p["query"]["limit"] == "3" and p["query"]["group_id"] == DEFAULT_GROUP_ID for p in pages)
    assert "cursor" not in pages[0]["query"]
    assert pages[1]["query"]["cursor"]
    assert pages[2]["query"]["cursor"] != pages[1]["query"]["cursor"]

    everything = list(hook.list_connections(page_size=4))
    assert {c.id for c in everything} == mine | theirs
    assert len(everything) == 9


def test_list_connections_filters_by_schema(hook: FivetranHook, simulator: SimulatorServer) -> None:
    simulator.control.set_scenario({"groups": [DEFAULT_GROUP_ID, OTHER_GROUP]})
    _create(hook, "ads_wanted")
    _create(hook, "ads_wanted_too")  # an exact match only: a prefix must not match
    other = _create(hook, "ads_wanted", group_id=OTHER_GROUP)

    in_group = list(hook.list_connections(group_id=OTHER_GROUP, schema="ads_wanted"))
    anywhere = list(hook.list_connections(schema="ads_wanted"))

    assert [c.id for c in in_group] == [other.id]
    assert sorted(c.group_id for c in anywhere) == sorted([DEFAULT_GROUP_ID, OTHER_GROUP])
    assert {c.schema_ for c in anywhere} == {"ads_wanted"}


def test_list_connections_refuses_a_page_size_outside_the_api_range(
    hook: FivetranHook, simulator: SimulatorServer
) -> None:
    for size in (0, 1001):
        with pytest.raises(ValueError, match="page_size"):
            list(hook.list_connections(page_size=size))
    assert simulator.control.requests() == []


def test_find_connection_is_one_filtered_list_call(hook: FivetranHook, simulator: SimulatorServer) -> None:
    for i in range(12):  # more than one page of the lookup's page size
        _create(hook, f"ads_find_{i}", run_setup_tests=False)
    simulator.control.clear_requests()

    found = hook.find_connection(DEFAULT_GROUP_ID, "ads_find_11")
    missing = hook.find_connection(DEFAULT_GROUP_ID, "ads_find_99")

    assert found is not None
    assert found.schema_ == "ads_find_11"
    assert missing is None
    log = simulator.control.requests()
    assert len(log) == 2  # one list call each, nothing else
    for entry, schema in zip(log, ("ads_find_11", "ads_find_99"), strict=True):
        assert (entry["method"], entry["path"]) == ("GET", CONNECTIONS)
        assert entry["query"]["group_id"] == DEFAULT_GROUP_ID
        assert entry["query"]["schema"] == schema


# -- change ---------------------------------------------------------------------------------------------------


def test_modify_connection_sends_only_the_given_fields(
    hook: FivetranHook, simulator: SimulatorServer
) -> None:
    created = _create(hook, "ads_modify")

    modified = hook.modify_connection(
        created.id, {"paused": True, "sync_frequency": 1440, "daily_sync_time": "05:00"}
    )

    assert modified.paused is True
    assert modified.daily_sync_time == "05:00"
    stored = simulator.control.connection(created.id)
    assert (stored["paused"], stored["daily_sync_time"]) == (True, "05:00")
    (patch,) = calls(simulator.control.requests(), "PATCH", ONE)
    assert patch["request_body"] == {"paused": True, "sync_frequency": 1440, "daily_sync_time": "05:00"}


def test_modify_connection_accepts_a_model(hook: FivetranHook, simulator: SimulatorServer) -> None:
    created = _create(hook, "ads_modify_model")

    modified = hook.modify_connection(created.id, ConnectionUpdate.from_api_dict({"schedule_type": "manual"}))

    assert modified.schedule_type == "manual"
    assert simulator.control.connection(created.id)["schedule_type"] == "manual"


def test_run_setup_tests(hook: FivetranHook, simulator: SimulatorServer) -> None:
    created = _create(hook, "ads_tests", run_setup_tests=False)
    assert created.status.setup_state == SetupState.INCOMPLETE

    tested = hook.run_setup_tests(created.id)
    again = hook.run_setup_tests(created.id, trust_certificates=True, trust_fingerprints=False)

    assert tested.status.setup_state == SetupState.CONNECTED
    assert tested.setup_tests
    assert all(t.passed for t in tested.setup_tests)
    assert again.status.setup_state == SetupState.CONNECTED
    bodies = [e["request_body"] for e in calls(simulator.control.requests(), "POST", ONE + "/test")]
    assert bodies == [{}, {"trust_certificates": True, "trust_fingerprints": False}]


def test_sync_connection_starts_a_sync(hook: FivetranHook, simulator: SimulatorServer) -> None:
    created = _create(hook, "ads_sync")

    message = hook.sync_connection(created.id, force=True)

    assert created.id in message
    assert simulator.control.connection(created.id)["_sim"]["sync"] is not None
    (sync,) = calls(simulator.control.requests(), "POST", ONE + "/sync")
    assert sync["request_body"] == {"force": True}


def test_resync_connection(hook: FivetranHook, simulator: SimulatorServer) -> None:
    created = _create(hook, "ads_resync")
    simulator.control.advance_clock(3600)  # the first sync (automatic after setup) ends

    message = hook.resync_connection(created.id)

    assert created.id in message
    run = simulator.control.connection(created.id)["_sim"]["sync"]
    assert run is not None
    assert run["kind"] == "resync"
    (resync,) = calls(simulator.control.requests(), "POST", ONE + "/resync")
    assert resync["request_body"] == {}


def test_delete_connection_and_missing_ok(hook: FivetranHook, simulator: SimulatorServer) -> None:
    created = _create(hook, "ads_delete")

    message = hook.delete_connection(created.id)

    assert created.id in message
    assert simulator.control.connections() == []
    with pytest.raises(FivetranNotFoundError) as raised:
        hook.delete_connection(created.id)
    assert raised.value.code == "NotFound_Connection"
    assert created.id in hook.delete_connection(created.id, missing_ok=True)
    assert len(calls(simulator.control.requests(), "DELETE", ONE)) == 3  # a 404 is never retried


def test_create_connect_card(hook: FivetranHook, simulator: SimulatorServer) -> None:
    request = demo_request("ads_card")
    del request["auth"]  # the user authorises in the Connect Card
    created = hook.create_connection(request)

    card = hook.create_connect_card(
        created.id, redirect_uri="https://airflow.example.com/done", hide_setup_guide=True, all_fields=False
    )

    assert isinstance(card, ConnectCardAnswer)
    assert card.connector_id == created.id
    assert card.connect_card is not None
    assert card.connect_card.token
    assert card.connect_card.uri
    assert card.connect_card.uri.startswith(simulator.base_url)
    assert card.connect_card_config is not None
    assert card.connect_card_config.redirect_uri == "https://airflow.example.com/done"
    (post,) = calls(simulator.control.requests(), "POST", ONE + "/connect-card")
    assert post["request_body"] == {
        "connect_card_config": {
            "redirect_uri": "https://airflow.example.com/done",
            "hide_setup_guide": True,
            "all_fields": False,
        }
    }


def test_test_connection(make_hook: Callable[..., FivetranHook], simulator: SimulatorServer) -> None:
    assert make_hook().test_connection() == (True, "Fivetran accepted the API key and secret")

    ok, message = make_hook(password="not-the-secret").test_connection()

    assert ok is False
    assert "401" in message
    assert "API secret" in message
    entries = simulator.control.requests()
    assert [(e["path"], e["query"], e["status"]) for e in entries] == [
        (CONNECTIONS, {"limit": "1"}, 200),
        (CONNECTIONS, {"limit": "1"}, 401),
    ]


# -- async ----------------------------------------------------------------------------------------------------


async def test_async_hook_reads_details_and_runs_setup_tests(
    hook: FivetranHook, simulator: SimulatorServer
) -> None:
    created = _create(hook, "ads_async", run_setup_tests=False)
    simulator.control.clear_requests()

    async with FivetranAsyncHook() as async_hook:
        before = await async_hook.get_connection_details(created.id)
        tested = await async_hook.run_setup_tests(created.id)
        after = await async_hook.get_connection_details(created.id)

    assert before.id == created.id
    assert before.status.setup_state == SetupState.INCOMPLETE
    assert tested.status.setup_state == SetupState.CONNECTED
    assert tested.setup_tests
    assert after.status.setup_state == SetupState.CONNECTED
    log = simulator.control.requests()
    assert [(e["method"], e["path_template"], e["status"]) for e in log] == [
        ("GET", ONE, 200),
        ("POST", ONE + "/test", 200),
        ("GET", ONE, 200),
    ]
    assert log[1]["request_body"] == {}


async def test_async_hook_raises_not_found(simulator: SimulatorServer, simulator_airflow_conn: str) -> None:
    async with FivetranAsyncHook() as async_hook:
        with pytest.raises(FivetranNotFoundError) as raised:
            await async_hook.get_connection_details("no_such_connection")

    assert raised.value.status == 404
    assert raised.value.code == "NotFound_Connection"
    assert len(simulator.control.requests()) == 1
