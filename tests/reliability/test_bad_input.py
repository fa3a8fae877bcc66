"""Invalid DAG inputs are refused before any HTTP call, with the field named in the message.

Every case runs the real entry point a DAG uses (an operator's ``execute``, a model's ``from_api_dict``, the
fleet's ``plan_fleet``) next to a live simulator, then checks that the simulator's request log is still EMPTY:
the refusal happened in the task, not at Fivetran. Secrets given in a refused input never appear in the message.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from airflow_spotify_fivetran.exceptions import FivetranInputError
from fivetran_simulator import (
    DEFAULT_GROUP_ID,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REFRESH_TOKEN,
    SimulatorServer,
)
from tests.helpers.task_calls import RecordingTI, task_context
from tests.payloads import demo_request

if TYPE_CHECKING:
    from airflow.sdk import Context

DELETE: Any = object()
_STEP = re.compile(r"([A-Za-z_]+)|\[(\d+)\]")
SECRETS = (DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN)


@pytest.fixture
def sim(simulator: SimulatorServer, simulator_airflow_conn: str) -> Iterator[SimulatorServer]:
    """The simulator, with ``fivetran_default`` pointing at it; its /v1 log must stay empty."""
    yield simulator
    assert simulator.control.requests() == [], "an invalid input reached the API"


@pytest.fixture
def context() -> Context:
    return task_context(RecordingTI())


def valid_body() -> dict[str, Any]:
    """A create body that the simulator would accept (every field of the contract, demo credentials)."""
    return demo_request("spotify_bad_input")


def changed(paths: dict[str, Any]) -> dict[str, Any]:
    """``valid_body()`` with each path (``config.report_list[1].fields[0]``) set, or removed with DELETE."""
    data = valid_body()
    for path, value in paths.items():
        steps: list[str | int] = [m.group(1) or int(m.group(2)) for m in _STEP.finditer(path)]
        target: Any = data
        for step in steps[:-1]:
            target = target[step]
        if value is DELETE:
            del target[steps[-1]]
        else:
            target[steps[-1]] = copy.deepcopy(value)
    return data


def assert_names(exc: BaseException, field: str) -> None:
    text = str(exc)
    assert field in text, f"{field!r} not named in: {text}"
    for secret in SECRETS:
        assert secret not in text, f"a secret leaked into: {text}"


# --- create: FivetranCreateConnectionOperator(connection=bad).execute(context) ------------------------------

CREATE_CASES = [
    pytest.param({"group_id": DELETE}, "group_id", id="group_id-missing"),
    pytest.param({"group_id": ""}, "group_id", id="group_id-empty"),
    pytest.param({"group_id": 42}, "group_id", id="group_id-not-a-string"),
    pytest.param({"group_id": " demo_warehouse"}, "group_id", id="group_id-leading-space"),
    pytest.param({"service": "google_ads"}, "service", id="service-other-connector"),
    pytest.param({"sync_frequency": 7}, "sync_frequency", id="sync_frequency-not-allowed"),
    pytest.param({"sync_frequency": "sixty"}, "sync_frequency", id="sync_frequency-word"),
    pytest.param({"sync_frequency": True}, "sync_frequency", id="sync_frequency-bool"),
    pytest.param({"sync_frequency": 60.0}, "sync_frequency", id="sync_frequency-float"),
    pytest.param({"daily_sync_time": "25:00"}, "daily_sync_time", id="daily_sync_time-hour-25"),
    pytest.param({"daily_sync_time": "06:30"}, "daily_sync_time", id="daily_sync_time-not-whole-hour"),
    pytest.param({"schedule_type": "hourly"}, "schedule_type", id="schedule_type-unknown"),
    pytest.param({"paused": "false"}, "paused", id="paused-string"),
    pytest.param({"trust_certificates": "yes"}, "trust_certificates", id="trust_certificates-string"),
    pytest.param(
        {"data_delay_sensitivity": "MEDIUM"}, "data_delay_sensitivity", id="data_delay_sensitivity-unknown"
    ),
    pytest.param({"data_delay_threshold": -5}, "data_delay_threshold", id="data_delay_threshold-negative"),
    pytest.param({"networking_method": "VPN"}, "networking_method", id="networking_method-unknown"),
    pytest.param(
        {"connect_card_config.redirect_uri": "ftp://example.com"},
        "connect_card_config.redirect_uri",
        id="redirect_uri-not-http",
    ),
    pytest.param(
        {"connect_card_config": {"hide_setup_guide": True}},
        "connect_card_config.redirect_uri",
        id="redirect_uri-missing",
    ),
    pytest.param(
        {"destination_configuration.virtual_warehouse": ""},
        "destination_configuration.virtual_warehouse",
        id="virtual_warehouse-empty",
    ),
    pytest.param({"proxy_agent_id": ""}, "proxy_agent_id", id="proxy_agent_id-empty"),
    pytest.param({"config": DELETE}, "config", id="config-missing"),
    pytest.param({"config.schema": DELETE}, "config.schema", id="schema-missing"),
    pytest.param({"config.sync_mode": "SOME_ACCOUNTS"}, "config.sync_mode", id="sync_mode-unknown"),
    pytest.param({"config.accounts": []}, "config.accounts", id="accounts-empty-for-specific"),
    pytest.param({"config.accounts": [""]}, "config.accounts[0]", id="accounts-empty-id"),
    pytest.param(
        {"config.timeframe_months": "FIVE"}, "config.timeframe_months", id="timeframe_months-unknown"
    ),
    pytest.param(
        {"config.report_list[0].dimension": "COUNTRY"},
        "config.report_list[0].dimension",
        id="report-dimension-unknown",
    ),
    pytest.param(
        {"config.report_list[0].granularity": "LIFETIME"},
        "config.report_list[0].granularity",
        id="report-granularity-answer-only-value",
    ),
    pytest.param(
        {"config.report_list[0].fields": ["CLIKS"]},
        "config.report_list[0].fields[0]",
        id="report-field-typo",
    ),
    pytest.param(
        {"config.report_list[1].table": "Campaign_Daily"},
        "config.report_list[1].table",
        id="report-table-twice-case-insensitive",
    ),
    pytest.param({"auth.refresh_token": ""}, "auth.refresh_token", id="auth-refresh_token-empty"),
    pytest.param(
        {"auth.client_access.client_secret": "   "},
        "auth.client_access.client_secret",
        id="auth-client_secret-blank",
    ),
]

#: Requests Fivetran accepts (the spec or the evidence says so) that are pointless or odd: sent, with a warning
#: naming the field (docs/validation-rules.md). Unknown keys are dropped, not sent: one may be a misspelt secret.
WARNED_CASES = [
    pytest.param({"sync_frequncy": 60}, "sync_frequncy", id="unknown-field-typo"),
    pytest.param({"sync_frequency": 360}, "daily_sync_time", id="daily_sync_time-without-daily-frequency"),
    pytest.param(
        {"data_delay_sensitivity": "HIGH"}, "data_delay_threshold", id="data_delay_threshold-without-custom"
    ),
    pytest.param({"config.schema": "Spotify-Ads"}, "config.schema", id="schema-uppercase-dash"),
    pytest.param({"config.schema": "1spotify"}, "config.schema", id="schema-starts-with-digit"),
    pytest.param({"config.schema": "s" * 64}, "config.schema", id="schema-too-long"),
    pytest.param({"config.sync_mode": "ALL_ACCOUNTS"}, "config.accounts", id="accounts-with-all-accounts"),
    pytest.param(
        {"config.accounts": ["demo-ad-account-1", "demo-ad-account-1"]},
        "config.accounts[1]",
        id="accounts-duplicate",
    ),
    pytest.param({"config.report_list": []}, "config.report_list", id="report_list-empty"),
    pytest.param(
        {"config.report_list[0].fields": []}, "config.report_list[0].fields", id="report-fields-empty"
    ),
    pytest.param(
        {"config.report_list[0].fields": ["CLICKS", "CLICKS"]},
        "config.report_list[0].fields[1]",
        id="report-field-twice",
    ),
    pytest.param(
        {"config.report_list[0].table": "campaign daily"},
        "config.report_list[0].table",
        id="report-table-space",
    ),
    pytest.param(
        {"config.report_list[0].dimension": DELETE}, "config.report_list[0]", id="report-dimension-missing"
    ),
    pytest.param({"auth.client_access": DELETE}, "auth", id="auth-client_access-missing"),
    pytest.param({"auth.token": "abc"}, "auth.token", id="auth-unknown-key"),
]


@pytest.mark.parametrize(("paths", "field"), CREATE_CASES)
def test_create_operator_refuses_before_any_call(
    sim: SimulatorServer, context: Context, paths: dict[str, Any], field: str
) -> None:
    from airflow_spotify_fivetran.operators import FivetranCreateConnectionOperator

    op = FivetranCreateConnectionOperator(task_id="create", connection=changed(paths))
    with pytest.raises(FivetranInputError) as info:
        op.execute(context)
    assert field in info.value.paths
    assert_names(info.value, field)


@pytest.mark.parametrize(("paths", "field"), WARNED_CASES)
def test_create_operator_sends_what_fivetran_accepts_and_warns(
    simulator: SimulatorServer,
    simulator_airflow_conn: str,
    context: Context,
    caplog: pytest.LogCaptureFixture,
    paths: dict[str, Any],
    field: str,
) -> None:
    from airflow_spotify_fivetran.operators import FivetranCreateConnectionOperator

    with caplog.at_level(logging.WARNING, logger="airflow_spotify_fivetran"):
        FivetranCreateConnectionOperator(task_id="create", connection=changed(paths)).execute(context)
    log = simulator.control.requests()
    creates = [e for e in log if (e["method"], e["path"]) == ("POST", "/v1/connections")]
    assert len(creates) == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(field in message for message in warnings), warnings
    for secret in SECRETS:
        assert secret not in caplog.text
    unknown = field.rsplit(".", 1)[-1]
    if unknown in ("sync_frequncy", "token"):  # unknown keys: dropped, not sent
        assert f'"{unknown}"' not in json.dumps(creates[0]["request_body"])


def test_create_operator_refuses_a_body_that_is_not_a_dict(sim: SimulatorServer, context: Context) -> None:
    from airflow_spotify_fivetran.operators import FivetranCreateConnectionOperator

    op = FivetranCreateConnectionOperator(task_id="create", connection=[valid_body()])  # type: ignore[arg-type]
    with pytest.raises(FivetranInputError) as info:
        op.execute(context)
    assert info.value.paths == ["connection"]
    assert sim.control.requests() == []


@pytest.mark.parametrize(
    ("paths", "field"),
    [
        pytest.param(
            {"config.report_list[0].fields[1]": "CLIKCS"}, "config.report_list[0].fields[1]", id="field"
        ),
        pytest.param({"config.timeframe_months": "FIVE"}, "config.timeframe_months", id="timeframe"),
        pytest.param({"sync_frequency": 2}, "sync_frequency", id="sync_frequency"),
    ],
)
def test_model_refuses_before_any_call(sim: SimulatorServer, paths: dict[str, Any], field: str) -> None:
    from airflow_spotify_fivetran.models import NewSpotifyAdsConnection

    with pytest.raises(FivetranInputError) as info:
        NewSpotifyAdsConnection.from_api_dict(changed(paths))
    assert_names(info.value, field)


def test_every_problem_is_listed_at_once(sim: SimulatorServer, context: Context) -> None:
    from airflow_spotify_fivetran.operators import FivetranCreateConnectionOperator

    bad = changed({"sync_frequency": 7, "config.sync_mode": "SOME", "config.report_list[0].fields": ["NOPE"]})
    op = FivetranCreateConnectionOperator(task_id="create", connection=bad)
    with pytest.raises(FivetranInputError) as info:
        op.execute(context)
    assert {"sync_frequency", "config.sync_mode", "config.report_list[0].fields[0]"} <= set(info.value.paths)


# --- credentials from an Airflow connection (spotify_conn_id) -------------------------------------------------


@pytest.mark.parametrize(
    ("conn", "field"),
    [
        pytest.param(
            {"login": DEMO_CLIENT_ID, "password": DEMO_CLIENT_SECRET}, "refresh_token", id="no-refresh-token"
        ),
        pytest.param(
            {"login": DEMO_CLIENT_ID, "extra": {"refresh_token": DEMO_REFRESH_TOKEN}},
            "password",
            id="no-secret",
        ),
        pytest.param(
            {"password": DEMO_CLIENT_SECRET, "extra": {"refresh_token": DEMO_REFRESH_TOKEN}},
            "login",
            id="no-client-id",
        ),
    ],
)
def test_incomplete_spotify_connection_is_refused_before_any_call(
    sim: SimulatorServer,
    context: Context,
    monkeypatch: pytest.MonkeyPatch,
    conn: dict[str, Any],
    field: str,
) -> None:
    from airflow_spotify_fivetran.operators import FivetranCreateConnectionOperator

    monkeypatch.setenv("AIRFLOW_CONN_SPOTIFY_INCOMPLETE", json.dumps({"conn_type": "generic", **conn}))
    body = valid_body()
    del body["auth"]
    op = FivetranCreateConnectionOperator(
        task_id="create", connection=body, spotify_conn_id="spotify_incomplete"
    )
    with pytest.raises(ValueError, match="spotify_incomplete") as info:
        op.execute(context)
    assert_names(info.value, field)


# --- operator arguments refused when the DAG is parsed ----------------------------------------------------


def _create_with_bad_on_drift() -> Any:
    from airflow_spotify_fivetran.operators import FivetranCreateConnectionOperator

    return FivetranCreateConnectionOperator(task_id="create", connection=valid_body(), on_drift="sometimes")  # type: ignore[arg-type]


def _setup_tests_with_bad_on_failure() -> Any:
    from airflow_spotify_fivetran.operators import FivetranRunSetupTestsOperator

    return FivetranRunSetupTestsOperator(task_id="test", connection_id="c", on_failure="ignore")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("build", "field"),
    [
        pytest.param(_create_with_bad_on_drift, "on_drift", id="create-on_drift"),
        pytest.param(_setup_tests_with_bad_on_failure, "on_failure", id="setup_tests-on_failure"),
    ],
)
def test_bad_operator_arguments_fail_at_parse_time(
    sim: SimulatorServer, build: Callable[[], Any], field: str
) -> None:
    with pytest.raises(ValueError, match=field) as info:
        build()
    assert_names(info.value, field)


# --- schedule: FivetranSetScheduleOperator(...).execute(context) ----------------------------------------------

SCHEDULE_CASES = [
    pytest.param({"sync_frequency": 7}, "sync_frequency", id="frequency-not-allowed"),
    pytest.param({"sync_frequency": "daily"}, "sync_frequency", id="frequency-word"),
    pytest.param({"sync_frequency": 1440.0}, "sync_frequency", id="frequency-float"),
    pytest.param(
        {"sync_frequency": 360, "daily_sync_time": "06:00"}, "daily_sync_time", id="daily-time-at-360"
    ),
    pytest.param({"sync_frequency": 1440, "daily_sync_time": "24:00"}, "daily_sync_time", id="daily-time-24"),
    pytest.param(
        {"sync_frequency": 1440, "daily_sync_time": "06:15"}, "daily_sync_time", id="daily-time-quarter"
    ),
    pytest.param(
        {"sync_frequency": 1440, "daily_sync_time": dt.time(6, 30)},
        "daily_sync_time",
        id="daily-time-object-half",
    ),
    pytest.param(
        {"sync_frequency": 1440, "daily_sync_time": "06:00", "time_zone": "Mars/Olympus_Mons"},
        "time zone",
        id="time-zone-unknown",
    ),
    pytest.param(
        {"sync_frequency": 1440, "daily_sync_time": "06:00", "time_zone": "Asia/Kolkata"},
        "time zone",
        id="time-zone-half-hour-offset",
    ),
    pytest.param({"schedule_type": "weekly"}, "schedule_type", id="schedule-type-unknown"),
    pytest.param({"paused": "no"}, "paused", id="paused-string"),
    pytest.param({}, "sync_frequency", id="nothing-to-set"),
]


@pytest.mark.parametrize(("kwargs", "field"), SCHEDULE_CASES)
def test_schedule_operator_refuses_before_any_call(
    sim: SimulatorServer, context: Context, kwargs: dict[str, Any], field: str
) -> None:
    from airflow_spotify_fivetran.operators import FivetranSetScheduleOperator

    op = FivetranSetScheduleOperator(task_id="schedule", connection_id="some_connection", **kwargs)
    with pytest.raises(FivetranInputError) as info:
        op.execute(context)
    assert_names(info.value, field)


# --- fleet spec entries: plan_fleet(parse_fleet_spec(spec)) ---------------------------------------------------


def fleet(*entries: dict[str, Any], **top: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "version": 1,
        "defaults": {
            "group_id": DEFAULT_GROUP_ID,
            "spotify_conn_id": "spotify_ads_credentials",
            "config": {"sync_mode": "SPECIFIC_ACCOUNTS", "timeframe_months": "TWELVE"},
            "schedule": {"sync_frequency": 1440, "daily_sync_time": "06:00", "time_zone": "UTC"},
        },
        "connections": list(entries),
    }
    spec.update(top)
    return spec


def entry(name: str = "music", **fields: Any) -> dict[str, Any]:
    return {
        "name": name,
        "config": {"schema": f"spotify_ads_{name}", "accounts": ["demo-ad-account-1"]},
        **fields,
    }


FLEET_CASES = [
    pytest.param(
        fleet(entry(auth={"refresh_token": "x"})), "connections[0] (music): auth", id="secret-in-entry"
    ),
    pytest.param(
        fleet(entry(), defaults={"group_id": DEFAULT_GROUP_ID, "refresh_token": "x"}),
        "defaults: refresh_token",
        id="secret-in-defaults",
    ),
    pytest.param(fleet({"config": {"schema": "spotify_ads_x"}}), "connections[0]: name", id="name-missing"),
    pytest.param(fleet(entry(), entry()), "connections[1] (music): name", id="name-twice"),
    pytest.param(
        fleet(entry(), {**entry("other"), "config": {"schema": "spotify_ads_music", "accounts": ["a"]}}),
        "connections[1] (other): config.schema",
        id="schema-twice-in-group",
    ),
    pytest.param(
        fleet(entry(sync_frequency=60)),
        "connections[0] (music): sync_frequency",
        id="schedule-field-in-create-part",
    ),
    pytest.param(
        fleet(entry(schedule={"daily_sync_time": "6:30"})),
        "connections[0] (music): schedule.daily_sync_time",
        id="schedule-daily-time-half-hour",
    ),
    pytest.param(
        fleet(entry(schedule={"frequency": 60})),
        "connections[0] (music): schedule.frequency",
        id="schedule-unknown-key",
    ),
    pytest.param(
        fleet(entry(schedule={"time_zone": "Nowhere/Land"})),
        "schedule.time_zone",
        id="schedule-time-zone-unknown",
    ),
    pytest.param(
        fleet(
            entry(),
            defaults={"group_id": DEFAULT_GROUP_ID, "spotify_conn_id": "c", "config": {"sync_mode": "SOME"}},
        ),
        "defaults: config.sync_mode",
        id="bad-value-in-defaults",
    ),
    pytest.param(
        fleet({"name": "music", "config": {"schema": ""}}),
        "connections[0] (music): config.schema",
        id="schema-empty",
    ),
    pytest.param(fleet(), "connections", id="no-entries"),
    pytest.param(fleet(entry(), version=2), "version", id="unknown-version"),
    pytest.param(fleet(entry(), conections=[]), "conections", id="unknown-top-level-key"),
    pytest.param(
        fleet(entry(), defaults={"group_id": DEFAULT_GROUP_ID, "config": {"sync_mode": "SPECIFIC_ACCOUNTS"}}),
        "spotify_conn_id",
        id="spotify_conn_id-missing",
    ),
]


@pytest.mark.parametrize(("spec", "field"), FLEET_CASES)
def test_fleet_spec_is_refused_before_any_call(
    sim: SimulatorServer, spec: dict[str, Any], field: str
) -> None:
    from airflow_spotify_fivetran.fleet import parse_fleet_spec, plan_fleet

    with pytest.raises(FivetranInputError) as info:
        plan_fleet(parse_fleet_spec(spec))
    assert_names(info.value, field)


def test_fleet_entry_naming_an_unusable_spotify_connection_is_refused(
    sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_spotify_fivetran.fleet import parse_fleet_spec, plan_fleet
    from airflow_spotify_fivetran.hooks.credentials import spotify_auth_from_connection

    def check_connection(conn_id: str) -> None:  # as the fleet DAG's validate_spec task does
        spotify_auth_from_connection(conn_id)

    monkeypatch.setenv(
        "AIRFLOW_CONN_SPOTIFY_ADS_CREDENTIALS",
        json.dumps({"conn_type": "generic", "login": DEMO_CLIENT_ID, "password": DEMO_CLIENT_SECRET}),
    )
    with pytest.raises(FivetranInputError) as info:
        plan_fleet(
            parse_fleet_spec(fleet(entry())),
            check_connection=check_connection,
        )
    assert_names(info.value, "connections[0] (music): spotify_conn_id")
    assert "refresh_token" in str(info.value)


def test_fleet_yaml_that_does_not_parse_is_refused(sim: SimulatorServer, tmp_path: Any) -> None:
    from airflow_spotify_fivetran.fleet import load_fleet_spec

    path = tmp_path / "fleet.yaml"
    path.write_text("connections:\n  - name: music\n    config: {schema: [unclosed\n", encoding="utf-8")
    with pytest.raises(FivetranInputError) as info:
        load_fleet_spec(path)
    assert "line" in str(info.value)
    assert str(path) in str(info.value)


# --- the check itself: a valid input does reach the simulator (so an empty log above means something) ----------


def test_control_a_valid_create_does_reach_the_simulator(
    simulator: SimulatorServer, simulator_airflow_conn: str, context: Context
) -> None:
    from airflow_spotify_fivetran.operators import FivetranCreateConnectionOperator

    FivetranCreateConnectionOperator(task_id="create", connection=valid_body()).execute(context)
    assert [e["method"] for e in simulator.control.requests()] == ["GET", "POST"]


# --- ids and Connect Card redirects, refused in the hook before any call ---------------------------------------


def _connect_card(redirect_uri: str) -> Any:
    from airflow_spotify_fivetran.operators import FivetranConnectCardOperator

    return FivetranConnectCardOperator(
        task_id="card", connection_id="some_connection", redirect_uri=redirect_uri
    )


def _sensor(connection_id: Any) -> Any:
    from airflow_spotify_fivetran.sensors import FivetranSetupTestsSensor

    return FivetranSetupTestsSensor(task_id="wait", connection_id=connection_id, deferrable=True)


def _schedule(connection_id: Any) -> Any:
    from airflow_spotify_fivetran.operators import FivetranSetScheduleOperator

    return FivetranSetScheduleOperator(
        task_id="schedule",
        connection_id=connection_id,
        sync_frequency=60,
        current_schedule={"sync_frequency": 360},
    )


def _delete(connection_id: Any) -> Any:
    from airflow_spotify_fivetran.operators import FivetranDeleteConnectionOperator

    return FivetranDeleteConnectionOperator(task_id="delete", connection_id=connection_id)


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: _sensor(None), id="sensor-None"),
        pytest.param(lambda: _sensor(""), id="sensor-empty"),
        pytest.param(lambda: _schedule(""), id="schedule-empty"),
        pytest.param(lambda: _delete(""), id="delete-empty"),
        # HTTP clients remove dot segments: DELETE /v1/connections/.. went to DELETE /v1/, and its 404 was
        # read by missing_ok (the operator's default) as "already gone".
        pytest.param(lambda: _delete(".."), id="delete-dotdot-missing-ok"),
        pytest.param(lambda: _delete("."), id="delete-dot-missing-ok"),
        pytest.param(lambda: _delete("   "), id="delete-blank"),
        pytest.param(lambda: _schedule(".."), id="schedule-dotdot"),
    ],
)
def test_missing_connection_id_is_refused_before_any_call(
    simulator: SimulatorServer, simulator_airflow_conn: str, context: Context, build: Callable[[], Any]
) -> None:
    with pytest.raises(FivetranInputError) as info:
        build().execute(context)
    assert_names(info.value, "connection_id")
    assert simulator.control.requests() == []


@pytest.mark.parametrize("uri", ["ftp://example.com/back", "not a url"], ids=["ftp", "not-a-url"])
def test_connect_card_redirect_uri_is_refused_before_any_call(
    simulator: SimulatorServer, simulator_airflow_conn: str, context: Context, uri: str
) -> None:
    with pytest.raises(FivetranInputError) as info:
        _connect_card(uri).execute(context)
    assert_names(info.value, "redirect_uri")
    assert simulator.control.requests() == []
