"""Reading each group once (``inventory.read_groups``) against the simulator, and the listed state it hands the
tasks: JSON, free of secrets, "absent" told apart from present, a malformed value refused."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_spotify_fivetran.exceptions import FivetranInputError
from airflow_spotify_fivetran.hooks.fivetran import FivetranHook
from airflow_spotify_fivetran.inventory import listed_connection, listed_state, read_groups, unlisted
from airflow_spotify_fivetran.models import Connection
from fivetran_simulator import DEMO_ACCOUNTS
from tests.payloads import CONNECTION_ID, connection_answer
from tests.tasks.sim import Sim

SECOND_GROUP = "second_warehouse"


@pytest.fixture
def hook(sim: Sim) -> Iterator[FivetranHook]:
    hook = FivetranHook("fivetran_default")
    yield hook
    hook.close()


def lists(sim: Sim) -> list[tuple[str | None, str | None, bool]]:
    """``(group_id, limit, has a cursor)`` of each list call since the last clear."""
    return [
        (e["query"].get("group_id"), e["query"].get("limit"), "cursor" in e["query"])
        for e in sim.requests()
        if (e["method"], e["path"]) == ("GET", "/v1/connections")
    ]


def test_each_group_is_listed_once_with_every_page_followed(sim: Sim, hook: FivetranHook) -> None:
    sim.control.set_scenario({"groups": [SECOND_GROUP]})
    first = [sim.create(f"spotify_ads_{n}") for n in ("a", "b", "c")]
    other = sim.create("spotify_ads_a", group_id=SECOND_GROUP)  # the same schema in another group
    # The group's first page as the simulator makes a page of one: its cursor points at the rest.
    list(hook.list_connections(group_id=sim.group_id, page_size=1))
    page = sim.requests()[0]["response_body"]
    assert page["data"]["next_cursor"]
    sim.control.add_fault("GET /v1/connections", "malformed_json", status=200, body=json.dumps(page))
    sim.control.clear_requests()

    groups = read_groups(hook, [sim.group_id, SECOND_GROUP, sim.group_id, sim.group_id])

    assert {group: {s: c.id for s, c in by_schema.items()} for group, by_schema in groups.items()} == {
        sim.group_id: dict(zip(("spotify_ads_a", "spotify_ads_b", "spotify_ads_c"), first, strict=True)),
        SECOND_GROUP: {"spotify_ads_a": other},
    }
    assert lists(sim) == [
        (sim.group_id, "1000", False),
        (sim.group_id, "1000", True),
        (SECOND_GROUP, "1000", False),
    ]
    assert [e["method"] for e in sim.requests()] == ["GET"] * 3


def test_an_unknown_group_is_left_out_for_its_entries_to_find_out(
    sim: Sim, hook: FivetranHook, caplog: pytest.LogCaptureFixture
) -> None:
    conn_id = sim.create("spotify_ads_a")

    with caplog.at_level(logging.WARNING, logger="airflow_spotify_fivetran.inventory"):
        groups = read_groups(hook, ["no_such_group", sim.group_id])

    assert {group: [c.id for c in by_schema.values()] for group, by_schema in groups.items()} == {
        sim.group_id: [conn_id]
    }
    assert "Group no_such_group is not known to Fivetran" in caplog.text


def test_a_listed_connection_is_json_and_reads_back_as_listed(sim: Sim, hook: FivetranHook) -> None:
    config = {"schema": "spotify_ads_a", "sync_mode": "SPECIFIC_ACCOUNTS", "accounts": list(DEMO_ACCOUNTS)}
    conn_id = sim.create(config=config)
    listed = listed_state(read_groups(hook, [sim.group_id])[sim.group_id]["spotify_ads_a"])

    again = listed_connection(json.loads(json.dumps(listed)))  # as an XCom carries it

    assert again is not None
    assert again.id == conn_id
    assert str(again.status.setup_state) == "connected"
    assert again.config is not None
    assert again.config.accounts == list(DEMO_ACCOUNTS)
    assert (again.sync_frequency, again.paused) == (360, False)


def test_absent_is_told_apart_from_a_connection() -> None:
    assert listed_state(None) == {"connection": None}
    assert listed_connection({"connection": None}) is None
    assert unlisted({"connection": None}, ["config.accounts"]) == ["config.accounts"]


def test_the_listed_state_holds_no_secret_even_one_fivetran_echoed() -> None:
    answer = connection_answer()
    answer["config"]["refresh_token"] = "rt-REAL-REFRESH-TOKEN"
    answer["config"]["client_access"] = {"client_id": "id", "client_secret": "cs-REAL-CLIENT-SECRET"}
    text = json.dumps(listed_state(Connection.from_api(answer)))

    assert "rt-REAL-REFRESH-TOKEN" not in text
    assert "cs-REAL-CLIENT-SECRET" not in text
    assert answer["connect_card"]["token"] not in text  # a token that opens the Connect Card
    assert "connect_card" not in json.loads(text)["connection"]


def test_what_the_answer_did_not_carry_is_told_from_null() -> None:
    answer = connection_answer()
    del answer["config"]["accounts"]
    answer["daily_sync_time"] = None
    listed = listed_state(Connection.from_api(answer))

    assert unlisted(listed, ["config.accounts", "daily_sync_time", "config.sync_mode"]) == ["config.accounts"]
    del answer["config"]
    assert unlisted(listed_state(Connection.from_api(answer)), ["config.schema"]) == ["config.schema"]


@pytest.mark.parametrize(
    ("listed", "message"),
    [
        ("{'connection': None}", "got str: a template rendered to a string"),
        ({"conn": None}, "must be {'connection': <a connection> or None}, got dict"),
        ([{"connection": None}], "got list"),
        ({"connection": "abc"}, "connection must be a connection (an object) or None, got str"),
        ({"connection": {"id": CONNECTION_ID}}, "connection is not a usable connection: "),
    ],
)
def test_a_malformed_listed_state_is_refused(listed: Any, message: str) -> None:
    with pytest.raises(FivetranInputError, match="listed state") as raised:
        listed_connection(listed)
    assert message in str(raised.value)
    assert raised.value.paths == ["listed"]
