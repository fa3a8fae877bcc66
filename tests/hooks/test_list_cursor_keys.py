"""A list page's cursor under either key: the spec's ``next_cursor`` or the ``nextCursor`` of Fivetran's own
documentation example (``tests/contract/answers/SOURCES.md``). Reading only one would end a listing after its
first page: a group of more than one page (1,000 connections at the largest ``limit``) would look smaller."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from airflow_spotify_fivetran.exceptions import FivetranResponseError
from airflow_spotify_fivetran.hooks import FivetranHook
from airflow_spotify_fivetran.models import ConnectionPage
from fivetran_simulator import SimulatorServer
from tests.contract import CONTRACT_DIR
from tests.payloads import demo_request

LIST = "GET /v1/connections"


def test_the_documented_page_names_its_cursor_nextcursor_and_it_is_read() -> None:
    data = json.loads((CONTRACT_DIR / "answers" / "list-page-docs-example.json").read_text(encoding="utf-8"))
    assert "next_cursor" not in data

    assert ConnectionPage.from_api(data).next_cursor == "cursor_value"


@pytest.mark.parametrize(
    ("data", "cursor"),
    [
        ({"next_cursor": "spec", "nextCursor": "docs"}, "spec"),
        ({"next_cursor": None, "nextCursor": "docs"}, "docs"),
        ({"next_cursor": "", "nextCursor": "docs"}, "docs"),
        ({"next_cursor": "spec", "nextCursor": None}, "spec"),
        ({"nextCursor": ""}, None),
        ({"nextCursor": None}, None),
    ],
)
def test_next_cursor_is_preferred_and_either_empty_key_means_the_last_page(
    data: dict[str, Any], cursor: str | None
) -> None:
    assert ConnectionPage.from_api({"items": [], **data}).next_cursor == cursor


def test_a_camelcase_cursor_that_is_not_a_string_is_refused_naming_its_key() -> None:
    with pytest.raises(FivetranResponseError, match="nextCursor that is not a string: 7"):
        ConnectionPage.from_api({"items": [], "nextCursor": 7})


def test_a_listing_follows_a_camelcase_cursor_to_the_next_page(
    make_hook: Callable[..., FivetranHook], simulator: SimulatorServer
) -> None:
    hook = make_hook()
    ids = [hook.create_connection(demo_request(f"ads_page_{i}")).id for i in range(3)]
    # The simulator's own first page of one item, its cursor renamed as in Fivetran's documentation.
    assert [c.id for c in hook.list_connections(page_size=2)] == ids
    first_page = simulator.control.requests()[-2]["response_body"]
    assert first_page["data"]["next_cursor"]
    first_page["data"]["nextCursor"] = first_page["data"].pop("next_cursor")
    simulator.control.add_fault(LIST, "malformed_json", status=200, body=json.dumps(first_page))
    simulator.control.clear_requests()

    assert [c.id for c in hook.list_connections(page_size=2)] == ids
    assert [e["query"].get("cursor") is not None for e in simulator.control.requests()] == [False, True]
