"""Lenient answer models: unknown fields ignored, unknown enum values kept, nulls accepted."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest

from airflow_spotify_fivetran.exceptions import FailedTest, FivetranResponseError
from airflow_spotify_fivetran.models import (
    ConnectCardAnswer,
    Connection,
    ConnectionPage,
    DataDelaySensitivity,
    Dimension,
    Granularity,
    NetworkingMethod,
    ReportField,
    SetupState,
    SetupTest,
    SetupTestStatus,
    SyncState,
    UpdateState,
    known,
)
from tests.payloads import CONNECT_CARD_ANSWER, CONNECTION_ANSWER, connection_answer


def test_connection_answer_parses_to_typed_values() -> None:
    c = Connection.from_api(CONNECTION_ANSWER)
    assert (c.id, c.group_id, c.service, c.schema_) == (
        "sheltered_mockingbird",
        "projected_sickle",
        "spotify_ads",
        "spotify_ads_marketing",
    )
    assert c.created_at == dt.datetime(2026, 5, 11, 9, 12, 44, 183421, tzinfo=dt.UTC)
    assert c.failed_at is None
    assert c.status.setup_state is SetupState.CONNECTED
    assert c.status.sync_state is SyncState.SCHEDULED
    assert c.status.update_state is UpdateState.ON_SCHEDULE
    assert c.data_delay_sensitivity is DataDelaySensitivity.CUSTOM
    assert c.networking_method is NetworkingMethod.PROXY_AGENT
    assert c.config is not None
    assert c.config.schema_ == "spotify_ads_marketing"
    assert c.config.report_list is not None
    assert c.config.report_list[0].dimension is Dimension.CAMPAIGN
    assert c.config.report_list[1].fields[0] is ReportField.IMPRESSIONS
    assert [t.passed for t in c.setup_tests] == [True, True, True]
    assert c.connect_card is not None
    assert c.connect_card.uri is not None
    assert c.connect_card.uri.startswith("https://fivetran.com/connect-card/")


def test_unknown_fields_are_ignored() -> None:
    data = connection_answer()
    data["brand_new_field"] = {"x": 1}
    data["status"]["new_status_detail"] = "x"
    data["config"]["new_option"] = True
    data["setup_tests"][0]["duration_ms"] = 120
    c = Connection.from_api(data)
    assert c.id == data["id"]
    assert "brand_new_field" not in c.model_dump()


def test_unknown_enum_values_are_kept_as_strings() -> None:
    data = connection_answer()
    data["config"]["report_list"][0]["dimension"] = "CREATIVE"
    data["config"]["report_list"][0]["granularity"] = "LIFETIME"
    data["config"]["report_list"][0]["fields"].append("PODCAST_DOWNLOADS")
    data["config"]["sync_mode"] = "SOME_NEW_MODE"
    data["status"]["setup_state"] = "weird"
    data["status"]["sync_state"] = "queued"
    data["status"]["update_state"] = "stale"
    data["networking_method"] = "UnmanagedProxyAgent"
    data["setup_tests"].append({"title": "Check Quota", "status": "NEEDS_REVIEW", "message": None})
    c = Connection.from_api(data)

    assert c.config is not None
    assert c.config.report_list is not None
    report = c.config.report_list[0]
    assert report.dimension == "CREATIVE"
    assert type(report.dimension) is str  # kept raw, not a member
    assert known(Dimension, report.dimension) is None
    assert report.granularity == "LIFETIME"
    assert known(Granularity, report.granularity) is None
    assert report.fields[-1] == "PODCAST_DOWNLOADS"
    assert report.fields[0] is ReportField.IMPRESSIONS
    assert c.config.sync_mode == "SOME_NEW_MODE"
    assert c.status.setup_state == "weird"
    assert known(SetupState, c.status.setup_state) is None
    assert c.status.sync_state == "queued"
    assert c.status.update_state == "stale"
    assert c.networking_method == "UnmanagedProxyAgent"
    new_test = c.setup_tests[-1]
    assert new_test.status == "NEEDS_REVIEW"
    assert not new_test.passed
    assert not new_test.failed
    # known values still come back as members
    assert c.setup_tests[0].status is SetupTestStatus.PASSED


def test_nulls_are_accepted() -> None:
    data = connection_answer()
    for key in (
        "service_version", "paused", "pause_after_trial", "connected_by", "created_at", "succeeded_at",
        "failed_at", "sync_frequency", "daily_sync_time", "schedule_type", "data_delay_sensitivity",
        "data_delay_threshold", "networking_method", "proxy_agent_id", "private_link_id",
        "hybrid_deployment_agent_id", "destination_configuration", "config", "setup_tests", "connect_card",
        "connect_card_config", "source_sync_details",
    ):  # fmt: skip
        data[key] = None
    for key in (
        "update_state",
        "is_historical_sync",
        "rescheduled_for",
        "schema_status",
        "tasks",
        "warnings",
    ):
        data["status"][key] = None
    c = Connection.from_api(data)
    assert c.setup_tests == []
    assert c.status.tasks == []
    assert c.status.warnings == []
    assert c.config is None
    assert c.created_at is None


def test_nested_nulls_and_absent_optional_fields() -> None:
    data = {
        "id": "c1",
        "group_id": "g1",
        "service": "spotify_ads",
        "schema": "s",
        "status": {"setup_state": "incomplete", "sync_state": "paused"},
        "config": {"schema": "s", "sync_mode": None, "accounts": None, "report_list": [{"fields": None}]},
        "setup_tests": [{"title": "Validate Refresh Token", "status": "FAILED", "details": {"http": 401}}],
    }
    c = Connection.from_api(data)
    assert c.config is not None
    assert c.config.report_list is not None
    assert c.config.report_list[0].fields == []
    (test,) = c.setup_tests
    assert test.failed
    assert test.message is None
    assert test.details == {"http": 401}
    assert test.to_failed_test() == FailedTest(title="Validate Refresh Token", status="FAILED", message=None)


def test_status_notices_and_reschedule() -> None:
    data = connection_answer()
    data["status"].update(
        sync_state="rescheduled",
        rescheduled_for="2026-05-12T05:00:00Z",
        warnings=[{"code": "quota", "message": "API quota low", "details": "retry later"}],
        tasks=[{"code": "reconnect", "message": "Reauthorize", "details": {"url": "https://x"}}],
    )
    status = Connection.from_api(data).status
    assert status.sync_state is SyncState.RESCHEDULED
    assert status.rescheduled_for == dt.datetime(2026, 5, 12, 5, tzinfo=dt.UTC)
    assert status.warnings[0].code == "quota"
    assert status.tasks[0].details == {"url": "https://x"}


@pytest.mark.parametrize(
    ("status", "passed", "failed", "reported"),
    [
        ("PASSED", True, False, False),
        ("SKIPPED", True, False, False),
        ("WARNING", False, False, True),  # not a failure, but a reason to name while not connected
        ("FAILED", False, True, True),
        ("JOB_FAILED", False, True, True),
        ("SOMETHING_NEW", False, False, False),  # maybe still running
    ],
)
def test_setup_test_verdicts(status: str, passed: bool, failed: bool, reported: bool) -> None:
    test = SetupTest.from_api({"title": "t", "status": status})
    assert (test.passed, test.failed, test.reported) == (passed, failed, reported)


@pytest.mark.parametrize(
    ("remove", "field"),
    [("id", "id"), ("group_id", "group_id"), ("schema", "schema"), ("status", "status")],
)
def test_missing_required_field_is_a_response_error_naming_it(remove: str, field: str) -> None:
    data = connection_answer()
    del data[remove]
    with pytest.raises(FivetranResponseError, match=rf"{field}: missing"):
        Connection.from_api(data, method="GET", path="/v1/connections/x")


def test_response_error_names_a_missing_required_field_despite_a_garbled_optional_one() -> None:
    data = connection_answer()
    del data["status"]["setup_state"]
    data["created_at"] = "yesterday"
    with pytest.raises(FivetranResponseError) as info:
        Connection.from_api(data, method="GET", path="/v1/connections/x")
    text = str(info.value)
    assert text.startswith("GET /v1/connections/x -> None: ")
    assert "status.setup_state: missing" in text


@pytest.mark.parametrize(
    ("path", "garbled"),
    [
        ("failed_at", "null"),  # seen in airflow-provider-fivetran-async's test payloads
        ("created_at", "yesterday"),
        ("status.rescheduled_for", "soon"),
        ("sync_frequency", "daily"),
        ("paused", {"value": False}),
        ("config", "not an object"),
        ("connect_card", ["x"]),
        ("status.tasks", "none"),
        ("service_version", "v2"),
    ],
)
def test_a_garbled_optional_field_reads_as_absent_and_is_logged(
    caplog: pytest.LogCaptureFixture, path: str, garbled: Any
) -> None:
    data = connection_answer()
    *parents, key = path.split(".")
    target = data
    for parent in parents:
        target = target[parent]
    target[key] = garbled
    with caplog.at_level(logging.WARNING, logger="airflow_spotify_fivetran.models"):
        c = Connection.from_api(data)
    value: Any = c
    for part in path.split("."):
        value = getattr(value, part)
    assert value in (None, [])
    assert path.split(".")[-1] in caplog.text
    assert c.id == "sheltered_mockingbird"


def test_an_unreadable_setup_test_is_skipped_not_the_others() -> None:
    data = connection_answer()
    data["setup_tests"] = [{"status": "PASSED"}, *data["setup_tests"]]  # no title
    c = Connection.from_api(data)
    assert [t.title for t in c.setup_tests] == [t["title"] for t in connection_answer()["setup_tests"]]


def test_a_list_page_survives_a_garbled_item_field() -> None:
    good = connection_answer()
    odd = connection_answer()
    odd["id"] = "odd_one"
    odd["failed_at"] = "null"
    odd["networking_method"] = "CarrierPigeon"  # an enum value this release does not know
    odd["status"]["update_state"] = 7
    page = ConnectionPage.from_api({"items": [good, odd], "next_cursor": None})
    assert [c.id for c in page.items] == ["sheltered_mockingbird", "odd_one"]
    assert page.items[1].failed_at is None
    assert page.items[1].networking_method == "CarrierPigeon"
    assert page.items[1].status.update_state is None


def test_a_list_page_with_an_item_lacking_its_id_is_refused() -> None:
    """Without an id an item cannot be told apart: a lookup that skipped it could create a duplicate."""
    bad = connection_answer()
    del bad["id"]
    with pytest.raises(FivetranResponseError, match="id: missing"):
        ConnectionPage.from_api({"items": [connection_answer(), bad]})


def test_response_error_for_non_object_and_for_an_envelope() -> None:
    with pytest.raises(FivetranResponseError, match="expected a JSON object"):
        Connection.from_api(["not", "an", "object"])  # type: ignore[arg-type]
    with pytest.raises(FivetranResponseError, match="pass its 'data' object"):
        Connection.from_api({"code": "Success", "data": CONNECTION_ANSWER})


def test_connect_card_answer() -> None:
    answer = ConnectCardAnswer.from_api({**CONNECT_CARD_ANSWER, "extra": 1})
    assert answer.connector_id == "sheltered_mockingbird"
    assert answer.connect_card is not None
    assert answer.connect_card.token == CONNECT_CARD_ANSWER["connect_card"]["token"]
    assert answer.connect_card_config is not None
    assert answer.connect_card_config.hide_setup_guide is True
    with pytest.raises(FivetranResponseError, match="connector_id: missing"):
        ConnectCardAnswer.from_api({"connect_card": None})


@pytest.mark.parametrize("cursor", [None, "", "absent"])
def test_connection_page_last_page_cursor(cursor: Any) -> None:
    data: dict[str, Any] = {"items": [CONNECTION_ANSWER]}
    if cursor != "absent":
        data["next_cursor"] = cursor
    page = ConnectionPage.from_api(data)
    assert page.next_cursor is None
    assert page.items[0].id == "sheltered_mockingbird"
    assert (
        ConnectionPage.from_api({"items": [], "next_cursor": "eyJza2lwIjoxMDB9"}).next_cursor
        == "eyJza2lwIjoxMDB9"
    )
