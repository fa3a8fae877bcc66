"""The fleet spec: loading, merging defaults, and whole-spec validation that names the entry and the field."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from airflow_spotify_fivetran.exceptions import FivetranInputError, InputProblem
from airflow_spotify_fivetran.fleet import (
    FleetSpec,
    load_fleet_spec,
    merge,
    parse_fleet_spec,
    plan_fleet,
    summarize_plan,
)
from airflow_spotify_fivetran.models import NewSpotifyAdsConnection
from airflow_spotify_fivetran.models.schedule import to_fivetran_daily_sync_time

SHIPPED_SPEC = Path(__file__).resolve().parents[1] / "example_dags" / "spotify_ads_fleet.yaml"

DEFAULTS: dict[str, Any] = {
    "group_id": "warehouse",
    "spotify_conn_id": "spotify_ads_credentials",
    "config": {
        "sync_mode": "SPECIFIC_ACCOUNTS",
        "report_list": [
            {"table": "campaign_daily", "dimension": "CAMPAIGN", "granularity": "DAY", "fields": ["CLICKS"]}
        ],
    },
    "schedule": {"sync_frequency": 1440, "daily_sync_time": "06:00", "time_zone": "UTC"},
}


def entry(name: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "config": {"schema": f"spotify_ads_{name}", "accounts": [f"act-{name}"]},
    }
    return merge(body, overrides)


def spec(*entries: Any, defaults: dict[str, Any] | None = None) -> FleetSpec:
    return parse_fleet_spec(
        {"defaults": copy.deepcopy(DEFAULTS if defaults is None else defaults), "connections": list(entries)}
    )


def problems(fleet: FleetSpec, **kwargs: Any) -> list[str]:
    with pytest.raises(FivetranInputError) as caught:
        plan_fleet(fleet, **kwargs)
    return [str(p) for p in caught.value.problems]


# --- the shipped spec ------------------------------------------------------------------------------------


def test_shipped_spec_plans_every_entry_with_defaults_merged() -> None:
    entries = plan_fleet(load_fleet_spec(SHIPPED_SPEC))

    by_name = {e.name: e for e in entries}
    assert list(by_name) == ["music", "audiobooks", "brand", "podcasts"]
    assert [e.index for e in entries] == [0, 1, 2, 3]
    music, audiobooks, brand, podcasts = entries
    # defaults fill what an entry leaves out; an entry's own values win
    assert music.connection["group_id"] == "demo_warehouse"
    assert music.connection["config"]["timeframe_months"] == "TWELVE"
    assert music.spotify_conn_id == "spotify_ads_credentials"
    assert podcasts.spotify_conn_id == "spotify_ads_podcasts"
    assert audiobooks.schedule == {
        "sync_frequency": 1440,
        "daily_sync_time": "07:00",
        "time_zone": "UTC",
        "paused": False,
    }
    assert podcasts.schedule["time_zone"] == "Europe/Berlin"
    # a list replaces the default list whole
    assert [r["table"] for r in brand.connection["config"]["report_list"]] == ["campaign_daily", "ad_hourly"]
    assert "accounts" not in brand.connection["config"]
    assert brand.connection["config"]["sync_mode"] == "ALL_ACCOUNTS"


def test_planned_create_bodies_are_valid_paused_and_hold_no_auth() -> None:
    for planned in plan_fleet(load_fleet_spec(SHIPPED_SPEC)):
        body = dict(planned.connection)
        assert body["paused"] is True  # nothing syncs before its setup tests pass and the schedule is set
        assert "auth" not in body
        assert not {"sync_frequency", "daily_sync_time", "schedule_type"} & set(body)
        assert NewSpotifyAdsConnection.from_api_dict(body).to_wire() == body


def test_entries_are_json_round_trippable_xcom_values() -> None:
    entries = plan_fleet(load_fleet_spec(SHIPPED_SPEC))
    as_json = [e.to_dict() for e in entries]
    assert json.loads(json.dumps(as_json)) == as_json
    assert as_json[3]["name"] == "podcasts"
    assert as_json[3]["connection"]["config"]["schema"] == "spotify_ads_podcasts"


def test_summary_table_names_every_entry() -> None:
    table = summarize_plan(plan_fleet(load_fleet_spec(SHIPPED_SPEC)))
    assert "connections[3] (podcasts)" in table
    assert "spotify_ads_audiobooks" in table
    assert len(table.splitlines()) == 5


# --- merging --------------------------------------------------------------------------------------------


def test_merge_merges_mappings_and_replaces_lists_and_scalars() -> None:
    defaults: dict[str, Any] = {
        "config": {"sync_mode": "SPECIFIC_ACCOUNTS", "accounts": ["a", "b"]},
        "group_id": "g",
    }
    merged = merge(defaults, {"config": {"accounts": ["c"]}, "group_id": "h"})
    assert merged == {"config": {"sync_mode": "SPECIFIC_ACCOUNTS", "accounts": ["c"]}, "group_id": "h"}
    assert defaults["config"]["accounts"] == ["a", "b"]  # the defaults are not mutated


def test_an_entry_can_override_a_default_schedule_field() -> None:
    [planned] = plan_fleet(spec(entry("music", schedule={"daily_sync_time": "09:00", "time_zone": None})))
    assert planned.schedule == {"sync_frequency": 1440, "daily_sync_time": "09:00", "paused": False}


def test_schedule_may_keep_a_connection_paused() -> None:
    [planned] = plan_fleet(spec(entry("music", schedule={"paused": True})))
    assert planned.schedule["paused"] is True


# --- each problem, named by entry and field ------------------------------------------------------------------

DAILY = "is only kept by Fivetran when sync_frequency is 1440, and the connection would sync every"
OWNED = "connections are created paused and the schedule task sets the schedule once the setup tests pass"
NO_SCHEDULE = {k: v for k, v in DEFAULTS.items() if k != "schedule"}


@pytest.mark.parametrize(
    ("entries", "defaults", "expected"),
    [
        pytest.param(
            [entry("music"), "podcasts"], DEFAULTS, ["connections[1]: must be a mapping of fields, not str"],
            id="entry-not-a-mapping",
        ),
        pytest.param(
            [{"name": "music", "config": {"accounts": ["a"]}}], DEFAULTS,
            ["connections[0] (music): config.schema: is required"],
            id="missing-required-field-blamed-on-the-entry",
        ),
        pytest.param(
            [entry("music", schedule={"sync_frequency": 60})], DEFAULTS,
            [f"defaults: schedule.daily_sync_time: {DAILY} 60 minutes: set sync_frequency 1440 or drop "
             "daily_sync_time"],
            id="daily-time-from-defaults-beside-the-entry-s-frequency",
        ),
        pytest.param(
            [entry("music", schedule={"daily_sync_time": "06:00"})], NO_SCHEDULE,
            [f"connections[0] (music): schedule.daily_sync_time: {DAILY} 360 minutes: set sync_frequency 1440 or "
             "drop daily_sync_time"],
            id="daily-time-at-the-default-frequency-of-a-new-connection",
        ),
        pytest.param(
            [entry("music", schedule={"sync_frequency": "1440", "daily_sync_time": "06:00"})], NO_SCHEDULE, [],
            id="daily-time-with-a-numeric-string-frequency",
        ),
        *(
            pytest.param(
                [entry("music", **{field: value})], DEFAULTS,
                [f"connections[0] (music): {field}: belongs in schedule.{field}: {OWNED}"],
                id=f"{field}-in-the-create-part",
            )
            for field, value in (
                ("sync_frequency", 60), ("daily_sync_time", "06:00"), ("schedule_type", "auto"), ("paused", False)
            )
        ),
        pytest.param(
            [entry("music"), entry("music", config={"schema": "other"})], DEFAULTS,
            ["connections[1] (music): name: is also the name of connections[0]"],
            id="names-unique",
        ),
    ],
)  # fmt: skip
def test_plan_fleet_problems(entries: list[Any], defaults: dict[str, Any], expected: list[str]) -> None:
    fleet = spec(*entries, defaults=defaults)
    if expected:
        assert problems(fleet) == expected
    else:
        assert [e.name for e in plan_fleet(fleet)] == ["music"]


# --- naming the entry and the field -----------------------------------------------------------------------


def test_a_bad_field_is_named_with_its_entry() -> None:
    bad = entry("podcasts")
    bad["config"]["accounts"] = []
    found = problems(spec(entry("music"), entry("brand"), entry("news"), bad))
    assert len(found) == 1
    assert found[0].startswith("connections[3] (podcasts): config.accounts: ")
    assert "SPECIFIC_ACCOUNTS" in found[0]


def test_every_problem_of_every_entry_is_reported_at_once() -> None:
    first = entry(
        "music", config={"report_list": [{"table": "t", "dimension": "CAMPAING", "granularity": "WEEK"}]}
    )
    second = entry("news", config={"schema": ""}, data_delay_sensitivity="SOMETIMES")
    found = problems(spec(first, entry("ok"), second))
    paths = [f.split(": ")[0] + ": " + f.split(": ")[1] for f in found]
    assert "connections[0] (music): config.report_list[0].dimension" in paths
    assert "connections[0] (music): config.report_list[0].granularity" in paths
    assert "connections[2] (news): config.schema" in paths
    assert "connections[2] (news): data_delay_sensitivity" in paths
    assert not any("connections[1]" in f for f in found)


def test_a_bad_default_is_reported_once_as_defaults() -> None:
    defaults = merge(DEFAULTS, {"config": {"report_list": [{"table": "t", "dimension": "CAMPAIGN"}]}})
    defaults["config"]["report_list"][0].update(granularity="DAY", fields=["CLIKS"])
    found = problems(spec(entry("music"), entry("news"), defaults=defaults))
    assert len(found) == 1
    assert found[0].startswith("defaults: config.report_list[0].fields[0]: 'CLIKS' is not allowed")
    assert "did you mean 'CLICKS'" in found[0]


def test_a_default_the_entry_overrides_is_blamed_on_the_entry() -> None:
    found = problems(spec(entry("music", config={"sync_mode": "SOME_ACCOUNTS"})))
    assert [f.split(": ")[0] for f in found] == ["connections[0] (music)"]


# --- secrets --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        ({"auth": {"refresh_token": "SECRET-CANARY-1"}}, "auth"),
        ({"config": {"client_secret": "SECRET-CANARY-1"}}, "config.client_secret"),
        ({"schedule": {"refresh_token": "SECRET-CANARY-1"}}, "schedule.refresh_token"),
    ],
)
def test_secrets_in_an_entry_are_refused_without_echoing_them(extra: dict[str, Any], path: str) -> None:
    with pytest.raises(FivetranInputError) as caught:
        plan_fleet(spec(entry("music", **extra)))
    assert f"connections[0] (music): {path}: secrets never go in the fleet spec" in str(caught.value)
    assert "SECRET-CANARY-1" not in str(caught.value)
    assert "SECRET-CANARY-1" not in repr(caught.value.problems)


def test_secrets_in_defaults_are_refused() -> None:
    defaults = merge(
        DEFAULTS, {"auth": {"client_access": {"client_id": "x", "client_secret": "SECRET-CANARY-2"}}}
    )
    with pytest.raises(FivetranInputError) as caught:
        plan_fleet(spec(entry("music"), defaults=defaults))
    assert "defaults: auth: secrets never go in the fleet spec" in str(caught.value)
    assert "SECRET-CANARY-2" not in str(caught.value)


def test_every_entry_needs_a_spotify_connection() -> None:
    defaults = {k: v for k, v in DEFAULTS.items() if k != "spotify_conn_id"}
    found = problems(spec(entry("music"), entry("news", spotify_conn_id="news_creds"), defaults=defaults))
    assert len(found) == 1
    assert found[0].startswith("connections[0] (music): spotify_conn_id: is required")


# --- schedule -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "path"),
    [
        ({"time_zone": "Mars/Olympus"}, "schedule.time_zone"),
        ({"time_zone": "Asia/Kolkata"}, "schedule.time_zone"),  # UTC+05:30: no whole UTC hour fits
        ({"daily_sync_time": "06:30"}, "schedule.daily_sync_time"),
        ({"sync_frequency": 45}, "schedule.sync_frequency"),
        ({"schedule_type": "sometimes"}, "schedule.schedule_type"),
        ({"paused": "no"}, "schedule.paused"),
        ({"every": "day"}, "schedule.every"),
    ],
)
def test_bad_schedule_values_are_named(schedule: dict[str, Any], path: str) -> None:
    found = problems(spec(entry("music", schedule=schedule)))
    assert any(f.startswith(f"connections[0] (music): {path}: ") for f in found), found


# --- across entries ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [None, "", "two words", "ünïcode", "x" * 64])
def test_names_are_required_and_plain(name: Any) -> None:
    bad = entry("music")
    bad["name"] = name
    found = problems(spec(bad))
    assert any(": name: is required" in f for f in found), found


def test_a_schema_is_unique_per_group() -> None:
    found = problems(spec(entry("music"), entry("news", config={"schema": "spotify_ads_music"})))
    assert len(found) == 1
    assert found[0].startswith(
        "connections[1] (news): config.schema: 'spotify_ads_music' in group 'warehouse'"
    )
    assert "connections[0]" in found[0]


def test_the_same_schema_in_two_groups_is_fine() -> None:
    entries = plan_fleet(
        spec(entry("music"), entry("news", group_id="other", config={"schema": "spotify_ads_music"}))
    )
    assert [(e.group_id, e.schema) for e in entries] == [
        ("warehouse", "spotify_ads_music"),
        ("other", "spotify_ads_music"),
    ]


def test_too_many_entries_for_one_run_are_refused() -> None:
    fleet = spec(*(entry(f"n{i}") for i in range(4)))
    assert problems(fleet, max_entries=3)[0].startswith("connections: lists 4 entries; at most 3")
    assert len(plan_fleet(fleet, max_entries=4)) == 4


# --- Airflow connections ----------------------------------------------------------------------------------


def test_each_spotify_connection_is_checked_once_and_named_per_entry() -> None:
    calls: list[str] = []

    def check(conn_id: str) -> None:
        calls.append(conn_id)
        if conn_id == "missing":
            raise LookupError("The conn_id `missing` isn't defined")

    fleet = spec(
        entry("a"), entry("b"), entry("c", spotify_conn_id="missing"), entry("d", spotify_conn_id="missing")
    )
    found = problems(fleet, check_connection=check)
    assert calls == ["spotify_ads_credentials", "missing"]
    assert found == [
        "connections[2] (c): spotify_conn_id: Airflow connection 'missing' is not usable: The conn_id `missing` "
        "isn't defined",
        "connections[3] (d): spotify_conn_id: Airflow connection 'missing' is not usable: The conn_id `missing` "
        "isn't defined",
    ]


def test_connection_checks_run_alongside_other_problems() -> None:
    def check(conn_id: str) -> None:
        raise ValueError("lacks refresh_token")

    bad = entry("b")
    bad["config"]["accounts"] = []
    found = problems(spec(entry("a"), bad), check_connection=check)
    assert (
        "connections[0] (a): spotify_conn_id: Airflow connection 'spotify_ads_credentials' is not usable: "
        in (found[-1])
    )
    assert any(f.startswith("connections[1] (b): config.accounts: ") for f in found)


def test_an_input_error_of_the_check_is_reported_by_its_problems_only() -> None:
    """``spotify_auth_from_connection`` raises a FivetranInputError: its heading is not repeated."""

    def check(conn_id: str) -> None:
        raise FivetranInputError(
            [InputProblem("spotify_conn_id", f"Airflow connection {conn_id!r} lacks refresh_token", conn_id)],
            what="Spotify credentials",
        )

    assert problems(spec(entry("a")), check_connection=check) == [
        "connections[0] (a): spotify_conn_id: Airflow connection 'spotify_ads_credentials' is not usable: "
        "Airflow connection 'spotify_ads_credentials' lacks refresh_token"
    ]


# --- reading the file -------------------------------------------------------------------------------------


def test_load_reads_yaml(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(
        "connections:\n  - name: a\n    group_id: g\n    spotify_conn_id: c\n    config: {schema: a}\n"
    )
    fleet = load_fleet_spec(path)
    assert fleet.source == str(path)
    assert plan_fleet(fleet)[0].connection["config"] == {"schema": "a"}


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(
        FivetranInputError, match=r"(?s)fleet spec .*nope\.yaml .*cannot read the file: No such file"
    ):
        load_fleet_spec(tmp_path / "nope.yaml")


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text("connections:\n  - name: a\n  config: [unclosed\n")
    with pytest.raises(FivetranInputError, match=r"is not valid YAML \(line \d+, column \d+\)"):
        load_fleet_spec(path)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("", "must be a mapping with a 'connections' list, not empty"),
        ("- a\n- b\n", "must be a mapping with a 'connections' list, not a list"),
        ("defaults: {}\n", "connections: is required"),
        ("connections: []\n", "connections: must list at least one connection"),
        ("connections: {a: 1}\n", "connections: must be a list of entries, not dict"),
        ("version: 2\nconnections: [{}]\n", "version: must be 1"),
        ("defaults: []\nconnections: [{}]\n", "defaults: must be a mapping of default fields, not list"),
        ("connection: []\n", "connection: is not a known key; allowed: version, defaults, connections"),
    ],
)
def test_the_document_shape_is_checked(tmp_path: Path, document: str, message: str) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(document)
    with pytest.raises(FivetranInputError) as caught:
        load_fleet_spec(path)
    assert message in str(caught.value)


def test_the_daily_sync_time_stays_local_for_the_schedule_task() -> None:
    # The schedule task converts the local hour to UTC on the day it runs (daylight saving time moves it).
    [planned] = plan_fleet(spec(entry("music", schedule={"time_zone": "Europe/Berlin"})))
    assert planned.schedule["daily_sync_time"] == "06:00"
    assert planned.schedule["time_zone"] == "Europe/Berlin"
    assert to_fivetran_daily_sync_time("06:00", "Europe/Berlin") in ("04:00", "05:00")
