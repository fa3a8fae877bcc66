"""compute_drift: how an existing connection differs from the request (pure, no HTTP)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from airflow_spotify_fivetran.drift import compute_drift, why_immutable
from tests.payloads import SEED_SECRETS, connection_answer, seed_request


def desired() -> dict[str, Any]:
    """The seed create body as the operator compares it (``to_wire`` output: secrets revealed)."""
    return seed_request()


def actual() -> dict[str, Any]:
    """The connection the seed created, as Fivetran answers it (same settings)."""
    return connection_answer()


def test_the_same_connection_has_no_drift() -> None:
    drift = compute_drift(desired(), actual())
    assert drift.empty
    assert drift.patch == {}
    assert drift.table() == "(no drift)"


def reorder_reports(body: dict[str, Any]) -> None:
    body["config"]["report_list"].reverse()
    for report in body["config"]["report_list"]:
        report["fields"].reverse()


def reorder_accounts(body: dict[str, Any]) -> None:
    body["config"]["accounts"].reverse()


def frequency_as_string(body: dict[str, Any]) -> None:
    body["sync_frequency"] = "1440"


def unset_fields(body: dict[str, Any]) -> None:
    for key in ("paused", "pause_after_trial", "schedule_type", "networking_method", "proxy_agent_id"):
        del body[key]


def other_auth(body: dict[str, Any]) -> None:
    body["auth"]["refresh_token"] = "rt-another-one"


@pytest.mark.parametrize(
    "change",
    [reorder_reports, reorder_accounts, frequency_as_string, unset_fields, other_auth],
    ids=["reports-reordered", "accounts-reordered", "frequency-string", "unset-not-compared", "auth"],
)
def test_changes_that_are_not_drift(change: Callable[[dict[str, Any]], None]) -> None:
    body = desired()
    change(body)
    drift = compute_drift(body, actual())
    assert drift.empty, drift.table()


def test_fields_the_task_does_not_set_are_not_compared() -> None:
    answer = actual()
    answer.update(paused=True, schedule_type="manual", daily_sync_time="09:00")
    body = desired()
    for key in ("paused", "schedule_type", "daily_sync_time"):
        del body[key]
    assert compute_drift(body, answer).empty


@pytest.mark.parametrize(
    ("change", "fields", "patch"),
    [
        (lambda b: b.update(paused=True), ["paused"], {"paused": True}),
        (
            lambda b: b.update(sync_frequency=360, daily_sync_time=None),
            ["sync_frequency"],
            {"sync_frequency": 360},
        ),
        (
            lambda b: b.update(daily_sync_time="05:00"),
            ["daily_sync_time"],
            {"daily_sync_time": "05:00", "sync_frequency": 1440},
        ),
        (
            lambda b: b.update(data_delay_threshold=60),
            ["data_delay_threshold"],
            {"data_delay_threshold": 60, "data_delay_sensitivity": "CUSTOM"},
        ),
        (
            lambda b: b["config"].update(accounts=["only-one"]),
            ["config.accounts"],
            {"config": {"accounts": ["only-one"]}},
        ),
        (
            lambda b: b["config"].update(sync_mode="ALL_ACCOUNTS"),
            ["config.sync_mode"],
            {"config": {"sync_mode": "ALL_ACCOUNTS"}},
        ),
    ],
    ids=["paused", "frequency", "daily-time", "delay-threshold", "accounts", "sync-mode"],
)
def test_mutable_drift_and_its_patch(
    change: Callable[[dict[str, Any]], Any], fields: list[str], patch: dict[str, Any]
) -> None:
    body = desired()
    change(body)
    body = {k: v for k, v in body.items() if v is not None}
    drift = compute_drift(body, actual(), compare_paused=True)
    assert [i.field for i in drift.items] == fields
    assert all(i.mutable for i in drift.items)
    assert drift.patch == patch


def test_a_changed_report_sends_the_whole_report_list() -> None:
    body = desired()
    body["config"]["report_list"][2]["fields"].remove("MIDPOINTS")
    drift = compute_drift(body, actual())
    assert [i.field for i in drift.items] == ["config.report_list"]
    assert drift.patch == {"config": {"report_list": body["config"]["report_list"]}}


def test_a_removed_report_is_drift() -> None:
    body = desired()
    body["config"]["report_list"].pop()
    assert [i.field for i in compute_drift(body, actual()).items] == ["config.report_list"]


@pytest.mark.parametrize(
    ("key", "value", "why"),
    [
        ("timeframe_months", "SIX", "historical sync window is fixed when a connection is created"),
        ("schema", "another_schema", "destination schema name is fixed when a connection is created"),
    ],
)
def test_immutable_drift_is_never_patched(key: str, value: str, why: str) -> None:
    body = desired()
    body["config"][key] = value
    body["paused"] = True
    drift = compute_drift(body, actual(), compare_paused=True)

    [immutable] = drift.immutable
    assert (immutable.field, immutable.actual, immutable.desired) == (
        f"config.{key}",
        actual()["config"][key],
        value,
    )
    assert why in why_immutable(immutable)
    assert drift.patch == {"paused": True}  # the mutable part only
    assert "IMMUTABLE" in drift.table()


def test_ignore_list_skips_named_fields() -> None:
    body = desired()
    body["paused"] = True
    body["config"]["timeframe_months"] = "SIX"
    body["config"]["accounts"] = ["only-one"]
    ignore = ["paused", "config.timeframe_months", "config.accounts"]
    assert compute_drift(body, actual(), ignore=ignore, compare_paused=True).empty
    assert [i.field for i in compute_drift(body, actual(), ignore=ignore[:1], compare_paused=True).items] == [
        "config.timeframe_months",
        "config.accounts",
    ]


@pytest.mark.parametrize("paused", [True, False])
def test_paused_is_the_initial_state_compared_only_when_asked(paused: bool) -> None:
    """A re-run must not pause again a connection a later task unpaused (or unpause one paused since)."""
    body, answer = desired(), actual()
    body["paused"], answer["paused"] = paused, not paused

    assert compute_drift(body, answer).empty
    drift = compute_drift(body, answer, compare_paused=True)
    assert [(i.field, i.actual, i.desired, i.mutable) for i in drift.items] == [
        ("paused", not paused, paused, True)
    ]
    assert drift.patch == {"paused": paused}
    assert compute_drift(body, answer, compare_paused=True, ignore=["paused"]).empty


@pytest.mark.parametrize(
    ("answered_time", "drift_fields"),
    [("03:00", []), ("05:00", ["daily_sync_time"]), (None, ["daily_sync_time"])],
)
def test_daily_sync_time_is_compared_with_1440(answered_time: str | None, drift_fields: list[str]) -> None:
    answer = actual()
    answer["daily_sync_time"] = answered_time
    assert [i.field for i in compute_drift(desired(), answer).items] == drift_fields


def test_moving_to_daily_sends_frequency_and_time_together() -> None:
    # Fivetran answers null for the daily time of a connection that does not sync daily.
    answer = actual()
    answer.update(sync_frequency=360, daily_sync_time=None)
    drift = compute_drift(desired(), answer)
    assert [i.field for i in drift.items] == ["sync_frequency", "daily_sync_time"]
    assert drift.patch == {"sync_frequency": 1440, "daily_sync_time": "03:00"}


def test_daily_sync_time_without_daily_frequency_is_not_compared() -> None:
    body = {"group_id": "g", "config": {"schema": "s"}, "sync_frequency": 360, "daily_sync_time": "03:00"}
    answer = {"sync_frequency": 360, "daily_sync_time": None, "config": {"schema": "s"}}
    assert compute_drift(body, answer).empty


def test_no_secret_in_drift_items_patch_or_table() -> None:
    body = desired()
    body["paused"] = True
    body["config"]["accounts"] = ["only-one"]
    drift = compute_drift(body, actual())
    text = repr(drift.items) + repr(drift.patch) + drift.table()
    for secret in SEED_SECRETS:
        assert secret not in text


def test_compute_drift_does_not_mutate_its_inputs() -> None:
    body, answer = desired(), actual()
    body["paused"] = True
    before = copy.deepcopy((body, answer))
    compute_drift(body, answer)
    assert (body, answer) == before
