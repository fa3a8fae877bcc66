"""The models against Fivetran's official OpenAPI definition (normalized copy in ../shared/fivetran-api)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_spotify_fivetran.models import (
    SYNC_FREQUENCIES,
    Connection,
    ConnectionUpdate,
    DataDelaySensitivity,
    Dimension,
    Granularity,
    NetworkingMethod,
    NewSpotifyAdsConnection,
    ReportField,
    ScheduleType,
    SetupTestStatus,
    SyncMode,
    TimeframeMonths,
)
from tests.contract import contract_file
from tests.payloads import CONNECTION_ANSWER, FIVETRAN_API_DIR, SEED_PATCH, SEED_REQUEST

SPEC_PATH = FIVETRAN_API_DIR / "openapi-connections.normalized.json"

pytestmark = pytest.mark.spec


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return json.loads(contract_file(SPEC_PATH).read_text(encoding="utf-8"))


def validator(spec: dict[str, Any], name: str) -> Any:
    import openapi_schema_validator as oas

    return oas.OAS30Validator({"$ref": f"#/components/schemas/{name}", "components": spec["components"]})


def schemas(spec: dict[str, Any]) -> dict[str, Any]:
    return spec["components"]["schemas"]


def test_seed_request_wire_body_validates_against_create_schema(spec: dict[str, Any]) -> None:
    wire = NewSpotifyAdsConnection.from_api_dict(SEED_REQUEST).to_wire()
    validator(spec, "spotify_ads_NewConnectorRequestV1").validate(wire)


def test_create_schema_validator_is_not_vacuous(spec: dict[str, Any]) -> None:
    """The same validator refuses what our model refuses: the spec check above can fail."""
    check = validator(spec, "spotify_ads_NewConnectorRequestV1")
    for bad in (
        {**SEED_REQUEST, "sync_frequency": 45},
        {**SEED_REQUEST, "config": {**SEED_REQUEST["config"], "timeframe_months": "SEVEN"}},
        {k: v for k, v in SEED_REQUEST.items() if k != "group_id"},
        {**SEED_REQUEST, "config": {"sync_mode": "ALL_ACCOUNTS"}},  # no schema
    ):
        assert not check.is_valid(bad)


@pytest.mark.parametrize(
    "body",
    [
        SEED_PATCH,
        {"paused": True},
        {"sync_frequency": "1440", "daily_sync_time": "7:00"},
        {"config": {"sync_mode": "ALL_ACCOUNTS", "accounts": []}},
        {"data_delay_sensitivity": "CUSTOM", "data_delay_threshold": 90, "networking_method": "Directly"},
    ],
    ids=["seed-patch", "pause", "daily-time", "all-accounts", "delay-and-network"],
)
def test_patch_wire_body_validates_against_update_schema(spec: dict[str, Any], body: dict[str, Any]) -> None:
    wire = ConnectionUpdate.from_api_dict(body).to_wire()
    assert wire
    validator(spec, "UpdateConnectorRequest").validate(wire)


def test_connection_answer_validates_and_parses(spec: dict[str, Any]) -> None:
    validator(spec, "spotify_ads_ConnectorResponseV1").validate(CONNECTION_ANSWER)
    connection = Connection.from_api(CONNECTION_ANSWER)
    assert connection.id == CONNECTION_ANSWER["id"]
    assert connection.schema_ == CONNECTION_ANSWER["schema"]


def _enum_of(schema: dict[str, Any]) -> set[Any]:
    return set(schema["enum"])


def test_enums_match_the_spec(spec: dict[str, Any]) -> None:
    s = schemas(spec)
    config = s["spotify_ads_config_V1"]["properties"]["config"]["properties"]
    report = config["report_list"]["items"]["properties"]
    new = s["NewConnectorRequestV1"]["properties"]
    assert {m.value for m in SyncMode} == _enum_of(config["sync_mode"])
    assert {m.value for m in TimeframeMonths} == _enum_of(config["timeframe_months"])
    assert {m.value for m in Dimension} == _enum_of(report["dimension"])
    assert {m.value for m in Granularity} == _enum_of(report["granularity"])
    assert {m.value for m in ReportField} == _enum_of(report["fields"]["items"])
    assert len(ReportField) == 31
    assert {m.value for m in DataDelaySensitivity} == _enum_of(new["data_delay_sensitivity"])
    assert {m.value for m in ScheduleType} == _enum_of(new["schedule_type"])
    assert {m.value for m in NetworkingMethod} == _enum_of(new["networking_method"])
    assert set(SYNC_FREQUENCIES) == _enum_of(new["sync_frequency"])
    assert {m.value for m in SetupTestStatus} == _enum_of(
        s["SetupTestResultResponse"]["properties"]["status"]
    )


def test_create_model_covers_every_spec_field_we_document(spec: dict[str, Any]) -> None:
    """Every top-level create field of the spec is modelled, except two the contract does not list."""
    spec_fields = set(schemas(spec)["NewConnectorRequestV1"]["properties"])
    modelled = {f.alias or name for name, f in NewSpotifyAdsConnection.model_fields.items()}
    not_in_contract = {"destination_schema_names", "external_secrets_manager_id"}
    assert spec_fields - not_in_contract == modelled - {"config", "auth"}
