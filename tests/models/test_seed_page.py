"""The request on Fivetran's "Spotify Ads API Configuration" page is accepted as it stands.

The request is read from the vendored seed page (``tests/contract``), not copied: every ``A | B`` choice is
expanded into one request per value (``sync_mode``, ``granularity``, ``dimension``, ``timeframe_months``, each
report field alone, and all fields at once). Its other placeholders (``"group_id"``, ``"schema_name"``,
``"string"``...) are already valid values and stay as they are. Each variant must validate and serialise to the
very JSON that was given: ``data_delay_threshold: 0`` beside ``NORMAL``, ``accounts`` beside ``ALL_ACCOUNTS``,
``networking_method: Directly`` beside the agent and link ids, everything.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_spotify_fivetran.models import NewSpotifyAdsConnection
from tests.contract import SEED_PAGE, contract_file
from tests.spec import load_spec

SECRETS = ("my_refresh_token", "my_client_secret")


def seed_page_request() -> dict[str, Any]:
    """The JSON body of the first request on the seed page (the one with every field)."""
    lines = contract_file(SEED_PAGE).read_text(encoding="utf-8").splitlines()
    start = lines.index("POST https://api.fivetran.com/v1/connections") + 1
    body = json.loads(lines[start])
    assert isinstance(body, dict)
    return body


def choices(value: str) -> list[str]:
    return [part.strip() for part in value.split("|")]


def seed_variants() -> Iterator[tuple[str, dict[str, Any]]]:
    """``(id, request)``: every value of every ``A | B`` enum of the seed request, the others at their first."""
    page = seed_page_request()
    config = page["config"]
    (report,) = config["report_list"]
    options = {
        "sync_mode": choices(config["sync_mode"]),
        "timeframe_months": choices(config["timeframe_months"]),
        "granularity": choices(report["granularity"]),
        "dimension": choices(report["dimension"]),
    }
    fields = choices(report["fields"][0])

    def build(**chosen: Any) -> dict[str, Any]:
        body = copy.deepcopy(page)
        picks = {key: values[0] for key, values in options.items()} | chosen
        body["config"]["sync_mode"] = picks["sync_mode"]
        body["config"]["timeframe_months"] = picks["timeframe_months"]
        body["config"]["report_list"][0].update(
            granularity=picks["granularity"], dimension=picks["dimension"], fields=picks.get("fields", fields)
        )
        return body

    for key, values in options.items():
        for value in values:
            yield f"{key}={value}", build(**{key: value})
    for field in fields:
        yield f"fields=[{field}]", build(fields=[field])
    yield "fields=all", build()


VARIANTS = list(seed_variants())


def test_the_seed_page_offers_every_value_the_api_defines() -> None:
    """The expansion reaches every value: each ``A | B`` of the page lists exactly the OpenAPI's enum."""
    schemas = load_spec()["components"]["schemas"]
    config_schema = schemas["spotify_ads_config_V1"]["properties"]["config"]["properties"]
    report_schema = config_schema["report_list"]["items"]["properties"]
    config = seed_page_request()["config"]
    (report,) = config["report_list"]
    offered = {
        "sync_mode": (config["sync_mode"], config_schema["sync_mode"]),
        "timeframe_months": (config["timeframe_months"], config_schema["timeframe_months"]),
        "granularity": (report["granularity"], report_schema["granularity"]),
        "dimension": (report["dimension"], report_schema["dimension"]),
        "fields": (report["fields"][0], report_schema["fields"]["items"]),
    }
    for name, (on_the_page, schema) in offered.items():
        assert sorted(choices(on_the_page)) == sorted(schema["enum"]), name
    page = seed_page_request()
    assert (page["data_delay_sensitivity"], page["data_delay_threshold"]) == ("NORMAL", 0)
    assert page["networking_method"] == "Directly"
    assert page["config"]["accounts"] == ["string"]


@pytest.mark.parametrize("body", [v[1] for v in VARIANTS], ids=[v[0] for v in VARIANTS])
def test_every_seed_variant_is_accepted_and_sent_unchanged(body: dict[str, Any]) -> None:
    assert NewSpotifyAdsConnection.from_api_dict(body).to_wire() == body


def test_pointless_values_of_the_seed_are_warned_about_without_secrets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """``accounts`` under ALL_ACCOUNTS: accepted (Fivetran ignores it), warned; the seed's threshold 0 is the
    documented default, so it is not worth a warning."""
    body = dict(VARIANTS)["sync_mode=ALL_ACCOUNTS"]
    with caplog.at_level(logging.WARNING, logger="airflow_spotify_fivetran.models"):
        NewSpotifyAdsConnection.from_api_dict(body)
    text = caplog.text
    assert "config.accounts" in text
    assert "ALL_ACCOUNTS" in text
    assert "data_delay_threshold" not in text
    assert not any(secret in text for secret in SECRETS)


def test_a_threshold_without_custom_is_sent_and_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    body = {**dict(VARIANTS)["sync_mode=SPECIFIC_ACCOUNTS"], "data_delay_threshold": 30}
    with caplog.at_level(logging.WARNING, logger="airflow_spotify_fivetran.models"):
        assert NewSpotifyAdsConnection.from_api_dict(body).to_wire() == body
    assert "config.accounts" not in caplog.text
    assert "data_delay_threshold" in caplog.text
    assert "CUSTOM" in caplog.text
