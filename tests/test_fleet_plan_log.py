"""The fleet plan is written to the task log as a table, a line per entry, where people look for it."""

from __future__ import annotations

import logging

import pytest

from airflow_spotify_fivetran.fleet import load_fleet_spec, log_plan, plan_fleet
from tests.helpers.processes import DAGS_FOLDER


def test_the_plan_table_is_logged_a_line_per_entry(caplog: pytest.LogCaptureFixture) -> None:
    entries = plan_fleet(load_fleet_spec(DAGS_FOLDER / "spotify_ads_fleet.yaml"))

    with caplog.at_level(logging.INFO, logger="airflow_spotify_fivetran.fleet"):
        log_plan(entries, "spotify_ads_fleet.yaml")

    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == f"Fleet spec spotify_ads_fleet.yaml: {len(entries)} connections"
    assert lines[1].split() == [
        "entry",
        "group",
        "schema",
        "sync_mode",
        "accounts",
        "spotify_conn_id",
        "schedule",
    ]
    assert len(lines) == 2 + len(entries)
    for entry, line in zip(entries, lines[2:], strict=True):
        assert line.startswith(entry.label)
        assert entry.schema in line
