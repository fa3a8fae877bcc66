"""The models against Fivetran's official OpenAPI definition (normalized copy vendored in tests/contract)."""

from __future__ import annotations

import json
import typing
from typing import Any

import pytest
from pydantic import BaseModel

from airflow_spotify_fivetran.models import (
    SYNC_FREQUENCIES,
    ConnectCardAnswer,
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
    SpotifyAdsConfig,
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
    assert {m.value for m in DataDelaySensitivity} == _enum_of(new["data_delay_sensitivity"])
    assert {m.value for m in ScheduleType} == _enum_of(new["schedule_type"])
    assert {m.value for m in NetworkingMethod} == _enum_of(new["networking_method"])
    assert set(SYNC_FREQUENCIES) == _enum_of(new["sync_frequency"])
    assert {m.value for m in SetupTestStatus} == _enum_of(
        s["SetupTestResultResponse"]["properties"]["status"]
    )


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with ``$ref`` followed and ``allOf`` parts merged (properties merged recursively)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _resolve(spec, schemas(spec)[name])
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema.get("allOf", []):
        resolved = _resolve(spec, part)
        properties = merged.setdefault("properties", {})
        for key, value in resolved.get("properties", {}).items():
            if key in properties:
                value = _resolve(spec, {"allOf": [properties[key], value]})
            properties[key] = value
        merged.update({k: v for k, v in resolved.items() if k not in ("properties", "allOf")})
    return merged


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def unmodelled(
    spec: dict[str, Any], schema: dict[str, Any], model: type[BaseModel], at: str = ""
) -> list[str]:
    """Every property of ``schema`` (and of its nested objects) that ``model`` has no field for, by alias."""
    missing = []
    fields = {(f.alias or name): f for name, f in model.model_fields.items()}
    for key, prop in _resolve(spec, schema).get("properties", {}).items():
        path = f"{at}{key}"
        if key not in fields:
            missing.append(path)
            continue
        prop = _resolve(spec, prop)
        if prop.get("type") == "array" and "items" in prop:
            prop = _resolve(spec, prop["items"])
        for inner in _models_in(fields[key].annotation)[:1]:
            missing += unmodelled(spec, prop, inner, f"{path}.")
    return missing


@pytest.mark.parametrize(
    ("schema", "model"),
    [
        ("spotify_ads_NewConnectorRequestV1", NewSpotifyAdsConnection),
        ("UpdateConnectorRequest", ConnectionUpdate),
        ("spotify_ads_ConnectorResponseV1", Connection),
        ("ConnectorConnectCardResponse", ConnectCardAnswer),
    ],
)
def test_every_property_of_the_official_objects_is_modelled(
    spec: dict[str, Any], schema: str, model: type[BaseModel]
) -> None:
    assert unmodelled(spec, {"$ref": f"#/components/schemas/{schema}"}, model) == []


def test_the_walk_finds_nested_properties(spec: dict[str, Any]) -> None:
    """The walk is not vacuous: it reaches the report items and the auth of the create request."""

    class Bare(BaseModel):
        pass

    found = unmodelled(spec, {"$ref": "#/components/schemas/spotify_ads_NewConnectorRequestV1"}, Bare)
    assert {"group_id", "destination_schema_names", "config", "auth"} <= set(found)

    class Partial(BaseModel):
        config: SpotifyAdsConfig

    partial = unmodelled(spec, {"$ref": "#/components/schemas/spotify_ads_NewConnectorRequestV1"}, Partial)
    assert "config.schema" not in partial
    assert "group_id" in partial


def test_answers_keep_external_secrets_fields() -> None:
    """The contract README: answers also hold external_secrets_keys_config (not yet in the answer schema)."""
    assert "external_secrets_keys_config" in Connection.model_fields


def test_run_setup_tests_is_always_sent_on_create() -> None:
    """Fivetran's maintainers: setup tests run on create only when ``run_setup_tests: true`` is sent."""
    minimal = {"group_id": "g", "config": {"schema": "s"}}
    assert NewSpotifyAdsConnection.from_api_dict(minimal).to_wire()["run_setup_tests"] is True
    off = NewSpotifyAdsConnection.from_api_dict({**minimal, "run_setup_tests": False}).to_wire()
    assert off["run_setup_tests"] is False
