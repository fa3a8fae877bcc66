"""Strict request models: the seed round trip, normalisations, and a table of refused inputs."""

from __future__ import annotations

import copy
import datetime as dt
import logging
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
    assert model.config.report_list[1].fields == [
        ReportField(f) for f in SEED_REQUEST["config"]["report_list"][1]["fields"]
    ]
    assert model.sync_frequency == 1440
    assert model.auth is not None
    assert model.auth.refresh_token is not None
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
        "run_setup_tests": True,  # always sent: Fivetran runs the tests only when asked (contract README)
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
    ("threshold-negative", {"data_delay_threshold": -5}, "data_delay_threshold", "0 or more"),
    ("schema-empty", {"config.schema": ""}, "config.schema", "must not be empty"),
    ("table-empty", {"config.report_list[0].table": " "}, "config.report_list[0].table", "must not be empty"),
    ("names-schema-names", {"destination_schema_names": "source"}, "destination_schema_names", "allowed: FIVETRAN_NAMING, SOURCE_NAMING"),
    ("sensitivity-medium", {"data_delay_sensitivity": "MEDIUM"}, "data_delay_sensitivity", "allowed: LOW, NORMAL"),
    ("threshold-string", {"data_delay_threshold": "60"}, "data_delay_threshold", "whole number"),
    ("schedule-type-upper", {"schedule_type": "AUTO"}, "schedule_type", "did you mean 'auto'?"),
    ("redirect-ftp", {"connect_card_config.redirect_uri": "ftp://example.com/x"}, "connect_card_config.redirect_uri", "http"),
    ("redirect-no-host", {"connect_card_config.redirect_uri": "https://"}, "connect_card_config.redirect_uri", "host"),
    ("redirect-missing", {"connect_card_config.redirect_uri": _DELETE}, "connect_card_config.redirect_uri", "required"),
    ("hide-guide-string", {"connect_card_config.hide_setup_guide": "true"}, "connect_card_config.hide_setup_guide", "true or false"),
    ("networking-vpn", {"networking_method": "VPN"}, "networking_method", "allowed: Directly, PrivateLink, SshTunnel, ProxyAgent"),
    ("proxy-agent-empty", {"proxy_agent_id": ""}, "proxy_agent_id", "must not be empty"),
    ("private-link-spaces", {"private_link_id": " link "}, "private_link_id", "spaces"),
    ("warehouse-empty", {"destination_configuration.virtual_warehouse": ""}, "destination_configuration.virtual_warehouse", "empty"),
    ("config-missing", {"config": _DELETE}, "config", "is required"),
    ("config-not-object", {"config": "spotify"}, "config", "must be an object"),
    ("schema-missing", {"config.schema": _DELETE}, "config.schema", "is required"),
    ("sync-mode-unknown", {"config.sync_mode": "SOME_ACCOUNTS"}, "config.sync_mode", "allowed: ALL_ACCOUNTS, SPECIFIC_ACCOUNTS"),
    ("accounts-empty-specific", {"config.accounts": []}, "config.accounts", "at least one"),
    ("accounts-missing-specific", {"config.accounts": _DELETE}, "config.accounts", "SPECIFIC_ACCOUNTS"),
    ("account-empty", {"config.accounts[1]": ""}, "config.accounts[1]", "must not be empty"),
    ("timeframe-unknown", {"config.timeframe_months": "SEVEN"}, "config.timeframe_months", "allowed: THREE, SIX"),
    ("field-typo", {"config.report_list[1].fields[0]": "CLIKS"}, "config.report_list[1].fields[0]", "'CLIKS' is not allowed; allowed: CLICKS, COMPLETES"),
    ("field-lowercase", {"config.report_list[2].fields[3]": "video_views"}, "config.report_list[2].fields[3]", "did you mean 'VIDEO_VIEWS'?"),
    ("dimension-creative", {"config.report_list[1].dimension": "CREATIVE"}, "config.report_list[1].dimension", "allowed: AD_ACCOUNT, AD, AD_SET, CAMPAIGN"),
    ("granularity-lifetime", {"config.report_list[1].granularity": "LIFETIME"}, "config.report_list[1].granularity", "allowed: HOUR, DAY"),
    ("table-twice-other-case", {"config.report_list[1].table": "Campaign_Daily"}, "config.report_list[1].table", "report_list[0]"),
    ("refresh-token-empty", {"auth.refresh_token": ""}, "auth.refresh_token", "must not be empty"),
    ("client-id-blank", {"auth.client_access.client_id": "  "}, "auth.client_access.client_id", "must not be empty"),
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


def test_every_problem_is_listed_at_once() -> None:
    data = changed(
        SEED_REQUEST,
        {
            "paused": "yes",
            "sync_frequency": 45,
            "config.schema": "",
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
        ({"config": [{"schema": "s", "refresh_token": SEED_SECRETS[0]}]}, "config"),
    ],
    ids=["token-wrong-type", "secret-list", "auth-as-string", "nested-in-bad-config"],
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
    ("trust-false-without-tests", {"paused": True, "trust_certificates": False}, "trust_certificates", "run_setup_tests: true"),
    ("schema-status-upper", {"schema_status": "READY"}, "schema_status", "did you mean 'ready'?"),
    ("historical-string", {"is_historical_sync": "true"}, "is_historical_sync", "true or false"),
    ("schema", {"config": {"schema": "other"}}, "config.schema", "cannot change after create"),
    ("timeframe", {"config": {"timeframe_months": "SIX"}}, "config.timeframe_months", "cannot change after create"),
    ("specific-empty", {"config": {"sync_mode": "SPECIFIC_ACCOUNTS", "accounts": []}}, "config.accounts", "at least one"),
    ("report-field", {"config": {"report_list": [{"table": "t", "dimension": "AD", "granularity": "DAY", "fields": ["CLICKS", "CLIKS"]}]}}, "config.report_list[0].fields[1]", "CLIKS"),
    ("paused-string", {"paused": "true"}, "paused", "true or false"),
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


# --- accepted and warned about: (id, changes, path named in the warning, fragment) ------------
# Fivetran accepts these (the spec has no rule, or the evidence says it ignores the value): refusing them would
# be stricter than Fivetran. See docs/validation-rules.md.

CREATE_WARNINGS: list[tuple[str, dict[str, Any], str, str]] = [
    ("daily-with-360", {"sync_frequency": 360}, "daily_sync_time", "every 360 minutes"),
    ("daily-default-frequency", {"sync_frequency": _DELETE}, "daily_sync_time", "every 360 minutes"),
    ("threshold-without-custom", {"data_delay_sensitivity": "NORMAL"}, "data_delay_threshold", "CUSTOM"),
    ("threshold-default-sensitivity", {"data_delay_sensitivity": _DELETE}, "data_delay_threshold", "CUSTOM"),
    ("destination-unknown-key", {"destination_configuration.warehouse": "W"}, "destination_configuration.warehouse", "dropped"),
    ("schema-uppercase", {"config.schema": "Spotify_Ads"}, "config.schema", "lowercase"),
    ("schema-digit-first", {"config.schema": "1spotify"}, "config.schema", "not starting with a digit"),
    ("schema-too-long", {"config.schema": "s" * 64}, "config.schema", "at most 63"),
    ("schema-dash", {"config.schema": "spotify-ads"}, "config.schema", "exact schema name"),
    ("accounts-with-all", {"config.sync_mode": "ALL_ACCOUNTS"}, "config.accounts", "ignored by Fivetran"),
    ("accounts-without-mode", {"config.sync_mode": _DELETE}, "config.accounts", "without sync_mode"),
    ("account-twice", {"config.accounts[1]": S["config"]["accounts"][0]}, "config.accounts[1]", "repeats accounts[0]"),
    ("fields-empty", {"config.report_list[0].fields": []}, "config.report_list[0].fields", "no metric"),
    ("field-twice", {"config.report_list[0].fields[1]": "IMPRESSIONS"}, "config.report_list[0].fields[1]", "repeats"),
    ("dimension-missing", {"config.report_list[3].dimension": _DELETE}, "config.report_list[3]", "has no dimension"),
    ("table-digit-first", {"config.report_list[0].table": "2024_campaigns"}, "config.report_list[0].table", "plain identifier"),
    ("table-space", {"config.report_list[0].table": "campaign daily"}, "config.report_list[0].table", "plain identifier"),
    ("report-unknown-key", {"config.report_list[0].metrics": ["CTR"]}, "config.report_list[0].metrics", "dropped"),
    ("report-list-empty", {"config.report_list": []}, "config.report_list", "is empty"),
    ("config-unknown-key", {"config.start_date": "2024-01-01"}, "config.start_date", "dropped"),
    ("client-secret-missing", {"auth.client_access.client_secret": _DELETE}, "auth", "cannot authorise"),
    ("client-access-missing", {"auth.client_access": _DELETE}, "auth", "cannot authorise"),
    ("top-level-typo", {"sync_freqency": 60}, "sync_freqency", "dropped"),
]  # fmt: skip

PATCH_WARNINGS: list[tuple[str, dict[str, Any], str, str]] = [
    ("daily-with-720", {"sync_frequency": 720, "daily_sync_time": "10:00"}, "daily_sync_time", "1440"),
    ("threshold-with-low", {"data_delay_sensitivity": "LOW", "data_delay_threshold": 30}, "data_delay_threshold", "CUSTOM"),
    ("accounts-empty-no-mode", {"config": {"accounts": []}}, "config.accounts", "is empty"),
    ("all-with-accounts", {"config": {"sync_mode": "ALL_ACCOUNTS", "accounts": ["a"]}}, "config.accounts", "ignored"),
    ("top-level-schema", {"schema": "x", "paused": True}, "schema", "dropped"),
]  # fmt: skip


def _warned(caplog: pytest.LogCaptureFixture, path: str, fragment: str) -> None:
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f": {path} " in line and fragment in line for line in lines), lines
    assert not any(secret in line for line in lines for secret in SEED_SECRETS)


@pytest.mark.parametrize(
    ("changes", "path", "fragment"), [c[1:] for c in CREATE_WARNINGS], ids=[c[0] for c in CREATE_WARNINGS]
)
def test_create_accepts_what_fivetran_accepts_with_a_warning(
    caplog: pytest.LogCaptureFixture, changes: dict[str, Any], path: str, fragment: str
) -> None:
    body = changed(SEED_REQUEST, changes)
    with caplog.at_level(logging.WARNING, logger="airflow_spotify_fivetran.models"):
        wire = NewSpotifyAdsConnection.from_api_dict(body).to_wire()
    _warned(caplog, path, fragment)
    if fragment == "dropped":  # an unknown key: Fivetran drops it too, so it is not sent
        body = changed(body, {path: _DELETE})
    assert wire == body


@pytest.mark.parametrize(
    ("body", "path", "fragment"), [c[1:] for c in PATCH_WARNINGS], ids=[c[0] for c in PATCH_WARNINGS]
)
def test_patch_accepts_what_fivetran_accepts_with_a_warning(
    caplog: pytest.LogCaptureFixture, body: dict[str, Any], path: str, fragment: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="airflow_spotify_fivetran.models"):
        wire = ConnectionUpdate.from_api_dict(body).to_wire()
    _warned(caplog, path, fragment)
    assert wire == (changed(body, {path: _DELETE}) if fragment == "dropped" else body)


@pytest.mark.parametrize(
    "body",
    [
        {"daily_sync_time": "03:00"},
        {"data_delay_threshold": 30},
        {"is_historical_sync": True},
        {
            "schema_status": "ready",
            "external_secrets_manager_id": "esm",
            "external_secrets_keys_config": {"a": 1},
        },
    ],
    ids=["daily-time-alone", "threshold-alone", "historical-resync", "schema-status-and-secrets-manager"],
)
def test_documented_patches_that_depend_on_the_connection_are_accepted_silently(
    caplog: pytest.LogCaptureFixture, body: dict[str, Any]
) -> None:
    """``{"daily_sync_time": "03:00"}`` is valid for a connection at 1440, ``{"data_delay_threshold": 30}``
    for a CUSTOM one: this stateless model cannot tell, so it neither refuses nor warns."""
    with caplog.at_level(logging.WARNING, logger="airflow_spotify_fivetran.models"):
        assert ConnectionUpdate.from_api_dict(body).to_wire() == body
    assert caplog.records == []


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"refresh_tokn": SEED_SECRETS[0]}, "refresh_tokn"),
        ({"config.refresh_token": SEED_SECRETS[0]}, "config.refresh_token"),
        ({"auth.client_access.secret": SEED_SECRETS[1]}, "auth.client_access.secret"),
        ({"auth.token": SEED_SECRETS[0]}, "auth.token"),
    ],
    ids=["misspelt-top-level", "secret-in-config", "misspelt-in-auth", "unknown-in-auth"],
)
def test_unknown_keys_are_warned_about_by_path_only(
    caplog: pytest.LogCaptureFixture, changes: dict[str, Any], path: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="airflow_spotify_fivetran.models"):
        model = NewSpotifyAdsConnection.from_api_dict(changed(SEED_REQUEST, changes))
    _warned(caplog, path, "")
    assert not any(secret in repr(model) or secret in str(model) for secret in SEED_SECRETS)


def test_unknown_keys_are_dropped_not_sent() -> None:
    """An unknown key may be a misspelt secret: it is not kept, so no log of the model or body shows it."""
    body = changed(SEED_REQUEST, {"auth.token": "x", "refresh_tokn": "y", "config.start_date": "2024-01-01"})
    assert NewSpotifyAdsConnection.from_api_dict(body).to_wire() == SEED_REQUEST
