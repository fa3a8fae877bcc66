"""Strict request models: the seed round trip, normalisations, and a table of refused inputs."""

from __future__ import annotations

import copy
import datetime as dt
import re
from typing import Any

import pytest

from airflow_spotify_fivetran.exceptions import FivetranInputError
from airflow_spotify_fivetran.models import (
    ConnectionUpdate,
    Dimension,
    NewSpotifyAdsConnection,
    ReportField,
    SyncMode,
)
from tests.payloads import SEED_PATCH, SEED_REQUEST, SEED_SECRETS

_DELETE = object()
_STEP = re.compile(r"([A-Za-z_]+)|\[(\d+)\]")


def changed(base: dict[str, Any], paths: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of ``base`` with each path (``config.report_list[1].fields[0]``) set to its value, or
    removed when the value is ``_DELETE``."""
    data = copy.deepcopy(base)
    for path, value in paths.items():
        steps: list[str | int] = [m.group(1) if m.group(1) else int(m.group(2)) for m in _STEP.finditer(path)]
        target: Any = data
        for step in steps[:-1]:
            target = target[step]
        if value is _DELETE:
            del target[steps[-1]]
        else:
            target[steps[-1]] = value
    return data


def refusal(model: type[NewSpotifyAdsConnection] | type[ConnectionUpdate], data: Any) -> FivetranInputError:
    with pytest.raises(FivetranInputError) as info:
        model.from_api_dict(data)
    return info.value


# --- the seed ------------------------------------------------------------------------------------------


def test_seed_holds_every_field_of_the_create_body() -> None:
    """The shared seed really is complete: every contract field, every report field, a real value each."""
    assert set(SEED_REQUEST) == {
        "group_id", "service", "trust_certificates", "trust_fingerprints", "run_setup_tests", "paused",
        "pause_after_trial", "sync_frequency", "data_delay_sensitivity", "data_delay_threshold",
        "daily_sync_time", "schedule_type", "connect_card_config", "proxy_agent_id", "private_link_id",
        "networking_method", "hybrid_deployment_agent_id", "destination_configuration", "config", "auth",
    }  # fmt: skip
    assert set(SEED_REQUEST["config"]) == {
        "schema",
        "sync_mode",
        "accounts",
        "report_list",
        "timeframe_months",
    }
    assert set(SEED_REQUEST["connect_card_config"]) == {"redirect_uri", "hide_setup_guide"}
    assert set(SEED_REQUEST["auth"]) == {"refresh_token", "client_access"}
    assert set(SEED_REQUEST["auth"]["client_access"]) == {"client_id", "client_secret"}
    reports = SEED_REQUEST["config"]["report_list"]
    assert all(set(r) == {"table", "dimension", "granularity", "fields"} for r in reports)
    assert {f for r in reports for f in r["fields"]} == {m.value for m in ReportField}
    assert {r["dimension"] for r in reports} == {m.value for m in Dimension}

    def leaves(value: Any) -> list[Any]:
        if isinstance(value, dict):
            return [leaf for v in value.values() for leaf in leaves(v)]
        if isinstance(value, list):
            return [leaf for v in value for leaf in leaves(v)]
        return [value]

    assert None not in leaves(SEED_REQUEST)


def test_seed_round_trips_unchanged() -> None:
    model = NewSpotifyAdsConnection.from_api_dict(SEED_REQUEST)
    assert model.to_wire() == SEED_REQUEST


def test_seed_parses_to_typed_values() -> None:
    model = NewSpotifyAdsConnection.from_api_dict(SEED_REQUEST)
    assert model.config.schema_ == "spotify_ads_marketing"
    assert model.config.sync_mode is SyncMode.SPECIFIC_ACCOUNTS
    assert model.config.report_list is not None
    assert model.config.report_list[1].fields[0] is ReportField.IMPRESSIONS
    assert model.sync_frequency == 1440
    assert model.auth is not None
    assert model.auth.refresh_token.get_secret_value() == SEED_SECRETS[0]


def test_wire_body_is_json_ready_with_fivetran_names() -> None:
    wire = NewSpotifyAdsConnection.from_api_dict(SEED_REQUEST).to_wire()
    assert "schema" in wire["config"]
    assert "schema_" not in wire["config"]
    assert type(wire["config"]["sync_mode"]) is str
    assert all(type(f) is str for f in wire["config"]["report_list"][0]["fields"])


def test_wire_body_leaves_out_what_was_not_given() -> None:
    minimal = {"group_id": "g", "config": {"schema": "spotify_ads"}}
    assert NewSpotifyAdsConnection.from_api_dict(minimal).to_wire() == {
        "group_id": "g",
        "service": "spotify_ads",  # documented: filled in when absent
        "config": {"schema": "spotify_ads"},
    }


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ({"sync_frequency": "1440", "daily_sync_time": "9:00"}, {"sync_frequency": 1440, "daily_sync_time": "09:00"}),
        ({"sync_frequency": 1440, "daily_sync_time": dt.time(14, 0)}, {"sync_frequency": 1440, "daily_sync_time": "14:00"}),
        ({"sync_frequency": 1440, "daily_sync_time": dt.time(0, tzinfo=dt.UTC)}, {"sync_frequency": 1440, "daily_sync_time": "00:00"}),
        ({"sync_frequency": "5"}, {"sync_frequency": 5}),
        ({"schedule_type": "manual", "paused": True}, {"schedule_type": "manual", "paused": True}),
    ],
    ids=["numeric-string-and-short-hour", "time-object", "utc-aware-time", "five-minutes", "manual-paused"],
)  # fmt: skip
def test_documented_normalisations(given: dict[str, Any], sent: dict[str, Any]) -> None:
    model = NewSpotifyAdsConnection.from_api_dict({"group_id": "g", "config": {"schema": "s"}, **given})
    wire = model.to_wire()
    assert {k: wire[k] for k in sent} == sent


def test_accepts_enum_members_and_models_built_in_python() -> None:
    config = {**SEED_REQUEST["config"], "sync_mode": SyncMode.SPECIFIC_ACCOUNTS}
    model = NewSpotifyAdsConnection.from_api_dict({**SEED_REQUEST, "config": config})
    assert model.to_wire() == SEED_REQUEST
    again = NewSpotifyAdsConnection.model_validate(model)
    assert again.to_wire() == SEED_REQUEST


def test_models_are_immutable() -> None:
    model = NewSpotifyAdsConnection.from_api_dict(SEED_REQUEST)
    with pytest.raises(ValueError, match="frozen"):
        model.sync_frequency = 45  # type: ignore[misc]


def test_optional_fields_accept_null() -> None:
    data = changed(
        SEED_REQUEST, {"paused": None, "auth": None, "config.report_list": None, "daily_sync_time": None}
    )
    wire = NewSpotifyAdsConnection.from_api_dict(data).to_wire()
    assert "paused" not in wire
    assert "auth" not in wire
    assert "report_list" not in wire["config"]


@pytest.mark.parametrize(
    "config",
    [
        {"schema": "s", "sync_mode": "ALL_ACCOUNTS"},
        {"schema": "s", "sync_mode": "ALL_ACCOUNTS", "accounts": []},
        {"schema": "s", "sync_mode": "SPECIFIC_ACCOUNTS", "accounts": ["a"]},
        {"schema": "_s9"},
        {"schema": "s", "report_list": [{"table": "T_1", "dimension": "AD", "granularity": "DAY", "fields": ["CTR"]}]},
        {"schema": "a" * 63},
    ],
    ids=["all-accounts", "all-accounts-empty-list", "specific", "underscore-schema", "mixed-case-table", "63-chars"],
)  # fmt: skip
def test_valid_configs_are_accepted(config: dict[str, Any]) -> None:
    wire = NewSpotifyAdsConnection.from_api_dict({"group_id": "g", "config": config}).to_wire()
    assert wire["config"] == config


# --- refused create bodies: (id, changes, path that must be named, fragment of the message) ---------------

S = SEED_REQUEST
CREATE_REFUSALS: list[tuple[str, dict[str, Any], str, str]] = [
    ("group-empty", {"group_id": ""}, "group_id", "must not be empty"),
    ("group-not-string", {"group_id": 123}, "group_id", "must be a string"),
    ("group-missing", {"group_id": _DELETE}, "group_id", "is required"),
    ("service-other", {"service": "google_ads"}, "service", "'google_ads' is not allowed"),
    ("trust-certificates-yes", {"trust_certificates": "yes"}, "trust_certificates", "true or false"),
    ("run-setup-tests-int", {"run_setup_tests": 1}, "run_setup_tests", "true or false"),
    ("paused-string", {"paused": "false"}, "paused", "true or false"),
    ("pause-after-trial-no", {"pause_after_trial": "no"}, "pause_after_trial", "true or false"),
    ("frequency-45", {"sync_frequency": 45}, "sync_frequency", "allowed: 1, 5, 15, 30, 60, 120, 180, 360"),
    ("frequency-abc", {"sync_frequency": "abc"}, "sync_frequency", "'abc' is not allowed"),
    ("frequency-true", {"sync_frequency": True}, "sync_frequency", "True is not allowed"),
    ("frequency-float", {"sync_frequency": 1440.0}, "sync_frequency", "whole number"),
    ("daily-half-hour", {"daily_sync_time": "14:30"}, "daily_sync_time", "'14:30' is not allowed"),
    ("daily-24", {"daily_sync_time": "24:00"}, "daily_sync_time", "'00:00' to '23:00'"),
    ("daily-2pm", {"daily_sync_time": "2pm"}, "daily_sync_time", "'HH:00'"),
    ("daily-time-half-hour", {"daily_sync_time": dt.time(6, 30)}, "daily_sync_time", "whole hours"),
    ("daily-with-360", {"sync_frequency": 360}, "daily_sync_time", "sync_frequency is 360"),
    ("daily-without-frequency", {"sync_frequency": _DELETE}, "daily_sync_time", "sync_frequency is not set"),
    ("sensitivity-medium", {"data_delay_sensitivity": "MEDIUM"}, "data_delay_sensitivity", "allowed: LOW, NORMAL"),
    ("threshold-zero", {"data_delay_threshold": 0}, "data_delay_threshold", "positive"),
    ("threshold-string", {"data_delay_threshold": "60"}, "data_delay_threshold", "whole number"),
    ("threshold-without-custom", {"data_delay_sensitivity": "NORMAL"}, "data_delay_threshold", "CUSTOM"),
    ("schedule-type-upper", {"schedule_type": "AUTO"}, "schedule_type", "did you mean 'auto'?"),
    ("redirect-ftp", {"connect_card_config.redirect_uri": "ftp://example.com/x"}, "connect_card_config.redirect_uri", "http"),
    ("redirect-no-host", {"connect_card_config.redirect_uri": "https://"}, "connect_card_config.redirect_uri", "host"),
    ("redirect-missing", {"connect_card_config.redirect_uri": _DELETE}, "connect_card_config.redirect_uri", "required"),
    ("hide-guide-string", {"connect_card_config.hide_setup_guide": "true"}, "connect_card_config.hide_setup_guide", "true or false"),
    ("networking-vpn", {"networking_method": "VPN"}, "networking_method", "allowed: Directly, PrivateLink, SshTunnel, ProxyAgent"),
    ("proxy-agent-empty", {"proxy_agent_id": ""}, "proxy_agent_id", "must not be empty"),
    ("private-link-spaces", {"private_link_id": " link "}, "private_link_id", "spaces"),
    ("warehouse-empty", {"destination_configuration.virtual_warehouse": ""}, "destination_configuration.virtual_warehouse", "empty"),
    ("destination-unknown-key", {"destination_configuration.warehouse": "W"}, "destination_configuration.warehouse", "did you mean 'virtual_warehouse'?"),
    ("config-missing", {"config": _DELETE}, "config", "is required"),
    ("config-not-object", {"config": "spotify"}, "config", "must be an object"),
    ("schema-missing", {"config.schema": _DELETE}, "config.schema", "is required"),
    ("schema-uppercase", {"config.schema": "Spotify_Ads"}, "config.schema", "lowercase letters, digits and underscores"),
    ("schema-digit-first", {"config.schema": "1spotify"}, "config.schema", "not starting with a digit"),
    ("schema-too-long", {"config.schema": "s" * 64}, "config.schema", "at most 63 characters"),
    ("schema-dash", {"config.schema": "spotify-ads"}, "config.schema", "e.g. 'spotify_ads'"),
    ("sync-mode-unknown", {"config.sync_mode": "SOME_ACCOUNTS"}, "config.sync_mode", "allowed: ALL_ACCOUNTS, SPECIFIC_ACCOUNTS"),
    ("accounts-empty-specific", {"config.accounts": []}, "config.accounts", "at least one"),
    ("accounts-missing-specific", {"config.accounts": _DELETE}, "config.accounts", "SPECIFIC_ACCOUNTS"),
    ("accounts-with-all", {"config.sync_mode": "ALL_ACCOUNTS"}, "config.accounts", "pointless"),
    ("accounts-without-mode", {"config.sync_mode": _DELETE}, "config.accounts", "without sync_mode"),
    ("account-empty", {"config.accounts[1]": ""}, "config.accounts[1]", "must not be empty"),
    ("account-twice", {"config.accounts[1]": S["config"]["accounts"][0]}, "config.accounts[1]", "listed twice"),
    ("timeframe-unknown", {"config.timeframe_months": "SEVEN"}, "config.timeframe_months", "allowed: THREE, SIX"),
    ("field-typo", {"config.report_list[1].fields[0]": "CLIKS"}, "config.report_list[1].fields[0]", "'CLIKS' is not allowed; allowed: CLICKS, COMPLETES"),
    ("field-lowercase", {"config.report_list[2].fields[3]": "video_views"}, "config.report_list[2].fields[3]", "did you mean 'VIDEO_VIEWS'?"),
    ("fields-empty", {"config.report_list[0].fields": []}, "config.report_list[0].fields", "must not be empty"),
    ("field-twice", {"config.report_list[0].fields[1]": "IMPRESSIONS"}, "config.report_list[0].fields[1]", "listed twice"),
    ("dimension-creative", {"config.report_list[1].dimension": "CREATIVE"}, "config.report_list[1].dimension", "allowed: AD_ACCOUNT, AD, AD_SET, CAMPAIGN"),
    ("granularity-lifetime", {"config.report_list[1].granularity": "LIFETIME"}, "config.report_list[1].granularity", "allowed: HOUR, DAY"),
    ("dimension-missing", {"config.report_list[3].dimension": _DELETE}, "config.report_list[3].dimension", "is required"),
    ("table-twice-other-case", {"config.report_list[1].table": "Campaign_Daily"}, "config.report_list[1].table", "report_list[0]"),
    ("table-digit-first", {"config.report_list[0].table": "2024_campaigns"}, "config.report_list[0].table", "not starting with a digit"),
    ("table-space", {"config.report_list[0].table": "campaign daily"}, "config.report_list[0].table", "valid table name"),
    ("table-too-long", {"config.report_list[0].table": "t" * 64}, "config.report_list[0].table", "at most 63"),
    ("report-unknown-key", {"config.report_list[0].metrics": ["CTR"]}, "config.report_list[0].metrics", "not a known field"),
    ("report-list-empty", {"config.report_list": []}, "config.report_list", "must not be empty"),
    ("config-unknown-key", {"config.start_date": "2024-01-01"}, "config.start_date", "not a known field"),
    ("refresh-token-empty", {"auth.refresh_token": ""}, "auth.refresh_token", "must not be empty"),
    ("client-id-blank", {"auth.client_access.client_id": "  "}, "auth.client_access.client_id", "must not be empty"),
    ("client-secret-missing", {"auth.client_access.client_secret": _DELETE}, "auth.client_access.client_secret", "is required"),
    ("client-access-missing", {"auth.client_access": _DELETE}, "auth.client_access", "is required"),
    ("top-level-typo", {"sync_freqency": 60}, "sync_freqency", "did you mean 'sync_frequency'?"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "path", "fragment"), [c[1:] for c in CREATE_REFUSALS], ids=[c[0] for c in CREATE_REFUSALS]
)
def test_create_refuses_bad_input_naming_the_path(changes: dict[str, Any], path: str, fragment: str) -> None:
    error = refusal(NewSpotifyAdsConnection, changed(SEED_REQUEST, changes))
    assert error.what == "spotify_ads connection request"
    assert path in error.paths, error
    assert f"  - {path}: " in str(error)
    messages = [p.message for p in error.problems if p.path == path]
    assert any(fragment in m for m in messages), messages
    assert not any(secret in str(error) or secret in repr(error.problems) for secret in SEED_SECRETS)


def test_enough_refusal_cases() -> None:
    assert len(CREATE_REFUSALS) + len(PATCH_REFUSALS) >= 35
    assert len({c[0] for c in CREATE_REFUSALS}) == len(CREATE_REFUSALS)


def test_every_problem_is_listed_at_once() -> None:
    data = changed(
        SEED_REQUEST,
        {
            "paused": "yes",
            "sync_frequency": 45,
            "config.schema": "Bad Schema",
            "config.report_list[1].fields[0]": "CLIKS",
            "config.report_list[2].table": "ad_hourly",
            "auth.refresh_token": "",
        },
    )
    error = refusal(NewSpotifyAdsConnection, data)
    assert set(error.paths) == {
        "paused",
        "sync_frequency",
        "config.schema",
        "config.report_list[1].fields[0]",
        "config.report_list[2].table",
        "auth.refresh_token",
    }
    assert str(error).startswith("Invalid spotify_ads connection request (6 problems):")


def test_problem_carries_the_bad_value() -> None:
    error = refusal(
        NewSpotifyAdsConnection, changed(SEED_REQUEST, {"config.report_list[1].fields[0]": "CLIKS"})
    )
    (problem,) = error.problems
    assert problem.path == "config.report_list[1].fields[0]"
    assert problem.value == "CLIKS"
    assert problem.message.startswith("'CLIKS' is not allowed; allowed: CLICKS, COMPLETES, CONVERSION_RATE")


def test_error_is_a_value_error_without_the_pydantic_chain() -> None:
    error = refusal(NewSpotifyAdsConnection, changed(SEED_REQUEST, {"auth.refresh_token": ""}))
    assert isinstance(error, ValueError)
    assert error.__cause__ is None
    assert error.__suppress_context__


def test_refuses_a_non_dict() -> None:
    error = refusal(NewSpotifyAdsConnection, ["group_id"])
    assert error.paths == [""]
    assert "must be a dict" in str(error)


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"auth.refresh_token": 7}, "auth.refresh_token"),
        ({"auth.client_access.client_secret": ["x", SEED_SECRETS[1]]}, "auth.client_access.client_secret"),
        ({"auth": SEED_SECRETS[0]}, "auth"),
        ({"refresh_tokn": SEED_SECRETS[0]}, "refresh_tokn"),
        ({"config.refresh_token": SEED_SECRETS[0]}, "config.refresh_token"),
        ({"auth.client_access.secret": SEED_SECRETS[1]}, "auth.client_access.secret"),
        ({"config": [{"schema": "s", "refresh_token": SEED_SECRETS[0]}]}, "config"),
    ],
    ids=["token-wrong-type", "secret-list", "auth-as-string", "misspelt-top-level", "secret-in-config", "misspelt-in-auth",
         "nested-in-bad-config"],
)  # fmt: skip
def test_secret_values_never_reach_a_problem(changes: dict[str, Any], path: str) -> None:
    error = refusal(NewSpotifyAdsConnection, changed(SEED_REQUEST, changes))
    assert path in error.paths
    text = f"{error} {error.problems!r} {[p.value for p in error.problems]!r}"
    assert not any(secret in text for secret in SEED_SECRETS)
    problem = next(p for p in error.problems if p.path == path)
    assert problem.value in ("******", None) or "******" in repr(problem.value)


# --- PATCH ---------------------------------------------------------------------------------------------------


def test_seed_patch_round_trips() -> None:
    assert ConnectionUpdate.from_api_dict(SEED_PATCH).to_wire() == SEED_PATCH


@pytest.mark.parametrize(
    "body",
    [
        {"paused": True},
        {"run_setup_tests": True, "trust_certificates": True, "trust_fingerprints": True, "paused": False},
        {"config": {"sync_mode": "SPECIFIC_ACCOUNTS"}},
        {"config": {"accounts": ["acc-1"]}},
        {"config": {"sync_mode": "ALL_ACCOUNTS", "accounts": []}},
        {"auth": SEED_REQUEST["auth"]},
        {"data_delay_sensitivity": "CUSTOM", "data_delay_threshold": 30},
        {"proxy_agent_id": "agent", "networking_method": "ProxyAgent"},
        {"destination_configuration": {"virtual_warehouse": "WH"}},
    ],
    ids=["pause", "tests-with-trust", "mode-keeps-accounts", "accounts-keep-mode", "back-to-all",
         "new-credentials", "custom-delay", "proxy", "warehouse"],
)  # fmt: skip
def test_valid_patches(body: dict[str, Any]) -> None:
    assert ConnectionUpdate.from_api_dict(body).to_wire() == body


PATCH_REFUSALS: list[tuple[str, dict[str, Any], str, str]] = [
    ("empty", {}, "", "at least one persistent field"),
    ("only-run-setup-tests", {"run_setup_tests": True}, "", "POST /v1/connections/{id}/test"),
    ("only-steering", {"run_setup_tests": True, "trust_certificates": True}, "", "persistent"),
    ("only-empty-config", {"config": {}}, "", "persistent"),
    ("trust-without-tests", {"paused": True, "trust_fingerprints": True}, "trust_fingerprints", "run_setup_tests: true"),
    ("schema", {"config": {"schema": "other"}}, "config.schema", "cannot change after create"),
    ("timeframe", {"config": {"timeframe_months": "SIX"}}, "config.timeframe_months", "cannot change after create"),
    ("daily-alone", {"daily_sync_time": "10:00"}, "daily_sync_time", "sync_frequency is not set"),
    ("daily-with-720", {"sync_frequency": 720, "daily_sync_time": "10:00"}, "daily_sync_time", "1440"),
    ("threshold-alone", {"data_delay_threshold": 30}, "data_delay_threshold", "CUSTOM"),
    ("specific-empty", {"config": {"sync_mode": "SPECIFIC_ACCOUNTS", "accounts": []}}, "config.accounts", "at least one"),
    ("accounts-empty-no-mode", {"config": {"accounts": []}}, "config.accounts", "must not be empty"),
    ("all-with-accounts", {"config": {"sync_mode": "ALL_ACCOUNTS", "accounts": ["a"]}}, "config.accounts", "pointless"),
    ("report-field", {"config": {"report_list": [{"table": "t", "dimension": "AD", "granularity": "DAY", "fields": ["CLICKS", "CLIKS"]}]}}, "config.report_list[0].fields[1]", "CLIKS"),
    ("paused-string", {"paused": "true"}, "paused", "true or false"),
    ("auth-partial", {"auth": {"refresh_token": "x"}}, "auth.client_access", "is required"),
    ("top-level-schema", {"schema": "x", "paused": True}, "schema", "not a known field"),
    ("schedule-type", {"schedule_type": "cron"}, "schedule_type", "allowed: auto, manual"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "path", "fragment"), [c[1:] for c in PATCH_REFUSALS], ids=[c[0] for c in PATCH_REFUSALS]
)
def test_patch_refuses_bad_input_naming_the_path(body: dict[str, Any], path: str, fragment: str) -> None:
    error = refusal(ConnectionUpdate, body)
    assert error.what == "connection update"
    assert path in error.paths, error
    messages = [p.message for p in error.problems if p.path == path]
    assert any(fragment in m for m in messages), messages
