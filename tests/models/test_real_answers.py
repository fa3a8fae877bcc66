"""Recorded and documented real answers (``tests/contract/answers``, sources in its ``SOURCES.md``) parse."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from airflow_spotify_fivetran.models import Connection, ConnectionPage, SetupState
from tests.contract import CONTRACT_DIR

ANSWERS = CONTRACT_DIR / "answers"
LEGAL = sorted(p for p in ANSWERS.glob("*.json"))
GARBLED = sorted((ANSWERS / "garbled").glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_the_fixtures_are_there_and_have_a_source() -> None:
    """Each answer file has a row in ``SOURCES.md``, and each row's file is there (none lost unnoticed)."""
    sources = (ANSWERS / "SOURCES.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([^`]+\.json)` \|", sources, flags=re.MULTILINE))
    assert listed, "SOURCES.md lists no answer file"
    assert {str(path.relative_to(ANSWERS)) for path in [*LEGAL, *GARBLED]} == listed


@pytest.mark.parametrize("path", LEGAL, ids=[p.name for p in LEGAL])
def test_every_legal_answer_parses_without_a_warning(caplog: pytest.LogCaptureFixture, path: Path) -> None:
    data = load(path)
    with caplog.at_level(logging.WARNING, logger="airflow_spotify_fivetran.models"):
        connections = ConnectionPage.from_api(data).items if "items" in data else [Connection.from_api(data)]
    assert connections
    for connection in connections:
        assert connection.id
        assert connection.status.setup_state in set(SetupState)
        assert connection.setup_tests, "the documented answers hold setup tests"
        assert all(t.title for t in connection.setup_tests)
    assert caplog.records == []


def test_the_openapi_example_keeps_every_documented_field() -> None:
    c = Connection.from_api(load(ANSWERS / "connection-openapi-examples.json"))
    assert c.destination_schema_names == "FIVETRAN_NAMING"
    assert c.external_secrets_manager_id == "esm_id"
    assert c.status.schema_status == "ready"
    assert c.setup_tests[0].details.startswith("Authentication failed")


@pytest.mark.parametrize("path", GARBLED, ids=[p.name for p in GARBLED])
def test_a_garbled_answer_still_parses_and_in_a_page_too(
    caplog: pytest.LogCaptureFixture, path: Path
) -> None:
    data = load(path)
    with caplog.at_level(logging.WARNING, logger="airflow_spotify_fivetran.models"):
        connection = Connection.from_api(data)
        page = ConnectionPage.from_api({"items": [load(LEGAL[0]), data]})
    assert connection.failed_at is None
    assert [c.id for c in page.items] == [load(LEGAL[0])["id"], data["id"]]
    assert "failed_at" in caplog.text
