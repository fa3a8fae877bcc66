"""Shared test payloads: THE fixtures module (import from here, never copy a payload into a test file).

* :data:`SEED_REQUEST`: the create body of a ``spotify_ads`` connection with EVERY field of the API
  contract (``tests/contract``, from the contract README, "Create body") filled with a real value, each ``A | B``
  choice resolved. Secrets are distinctive (:data:`SEED_SECRETS`) so tests can search any output for them.
* :data:`SEED_PATCH`: a PATCH body touching schedule, config and auth.
* :data:`CONNECTION_ANSWER`: the ``data`` object of a details answer for the connection the seed created,
  after setup tests passed and one sync succeeded.
* :data:`CONNECT_CARD_ANSWER`: the ``data`` of ``POST /v1/connections/{id}/connect-card``.

Bodies for the simulator (its group, its demo Spotify credentials and ad accounts, so its setup tests pass):

* :func:`demo_request`: the seed body in the simulator's group (every field of the contract).
* :func:`connection_request`: a minimal create body (``config`` is ``{"schema"}`` unless given);
  :func:`demo_auth`: its ``auth``.
* :func:`full_request`: a create body setting every field the drift check compares, with short report lists.

These are module-level dicts: mutate only a copy (:func:`seed_request`, :func:`connection_answer` return
fresh deep copies).
"""

from __future__ import annotations

import copy
from typing import Any

from fivetran_simulator import (
    DEFAULT_GROUP_ID,
    DEMO_ACCOUNTS,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REFRESH_TOKEN,
)
from tests.contract import CONTRACT_DIR

FIVETRAN_API_DIR = CONTRACT_DIR
"""The API contract folder, vendored in the checkout (``tests/contract``)."""

SEED_REFRESH_TOKEN = "rt-SEED-REFRESH-TOKEN-7f3a"
SEED_CLIENT_SECRET = "cs-SEED-CLIENT-SECRET-91d0"
SEED_SECRETS: tuple[str, ...] = (SEED_REFRESH_TOKEN, SEED_CLIENT_SECRET)

GROUP_ID = "projected_sickle"
CONNECTION_ID = "sheltered_mockingbird"
SCHEMA = "spotify_ads_marketing"

SEED_REQUEST: dict[str, Any] = {
    "group_id": GROUP_ID,
    "service": "spotify_ads",
    "trust_certificates": True,
    "trust_fingerprints": True,
    "run_setup_tests": True,
    "paused": False,
    "pause_after_trial": False,
    "sync_frequency": 1440,
    "data_delay_sensitivity": "CUSTOM",
    "data_delay_threshold": 180,
    "daily_sync_time": "03:00",
    "schedule_type": "auto",
    "connect_card_config": {
        "redirect_uri": "https://airflow.example.com/fivetran/connect-card/done",
        "hide_setup_guide": True,
    },
    "proxy_agent_id": "proxy_agent_glowing_fjord",
    "private_link_id": "private_link_quiet_harbor",
    "networking_method": "ProxyAgent",
    "hybrid_deployment_agent_id": "hybrid_agent_amber_delta",
    "destination_configuration": {"virtual_warehouse": "FIVETRAN_WH"},
    "config": {
        "schema": SCHEMA,
        "sync_mode": "SPECIFIC_ACCOUNTS",
        "accounts": [
            "3f6b2a8e-1c4d-4e7f-9a0b-5d2c8e1f7a36",
            "a91c0d57-6e2b-4f83-8c1d-0b7e4a2f9c58",
        ],
        "report_list": [
            {
                "table": "campaign_daily",
                "dimension": "CAMPAIGN",
                "granularity": "DAY",
                "fields": ["IMPRESSIONS", "CLICKS", "CTR", "SPEND", "REACH", "FREQUENCY", "E_CPM"],
            },
            {
                "table": "ad_hourly",
                "dimension": "AD",
                "granularity": "HOUR",
                "fields": ["IMPRESSIONS", "CLICKS", "STARTS", "COMPLETES", "SKIPS", "STREAMS", "LISTENERS"],
            },
            {
                "table": "ad_set_daily",
                "dimension": "AD_SET",
                "granularity": "DAY",
                "fields": [
                    "FIRST_QUARTILES",
                    "MIDPOINTS",
                    "THIRD_QUARTILES",
                    "VIDEO_VIEWS",
                    "VIDEO_EXPANDS",
                    "VIDEO_EXPAND_RATE",
                    "OFF_SPOTIFY_IMPRESSIONS",
                    "STREAMED_IMPRESSIONS",
                ],
            },
            {
                "table": "ad_account_daily",
                "dimension": "AD_ACCOUNT",
                "granularity": "DAY",
                "fields": [
                    "SPEND",
                    "E_CPCL",
                    "CONVERSION_RATE",
                    "INTENT_RATE",
                    "NEW_LISTENERS",
                    "NEW_LISTENER_CONVERSION_RATE",
                    "NEW_LISTENER_STREAMS",
                    "PAID_LISTENS",
                    "PAID_LISTENS_FREQUENCY",
                    "PAID_LISTENS_REACH",
                    "STREAMS_PER_NEW_LISTENER",
                    "STREAMS_PER_USER",
                ],
            },
        ],
        "timeframe_months": "TWELVE",
    },
    "auth": {
        "refresh_token": SEED_REFRESH_TOKEN,
        "client_access": {
            "client_id": "2d7c9e41b8a34f0e9c6a1b5d3e8f7a20",
            "client_secret": SEED_CLIENT_SECRET,
        },
    },
}

SEED_PATCH: dict[str, Any] = {
    "paused": False,
    "sync_frequency": 1440,
    "daily_sync_time": "05:00",
    "schedule_type": "manual",
    "run_setup_tests": True,
    "trust_certificates": True,
    "config": {
        "sync_mode": "SPECIFIC_ACCOUNTS",
        "accounts": ["3f6b2a8e-1c4d-4e7f-9a0b-5d2c8e1f7a36"],
        "report_list": [
            {
                "table": "campaign_daily",
                "dimension": "CAMPAIGN",
                "granularity": "DAY",
                "fields": ["IMPRESSIONS", "CLICKS", "SPEND"],
            }
        ],
    },
    "auth": copy.deepcopy(SEED_REQUEST["auth"]),
}

CONNECTION_ANSWER: dict[str, Any] = {
    "id": CONNECTION_ID,
    "group_id": GROUP_ID,
    "service": "spotify_ads",
    "service_version": 1,
    "schema": SCHEMA,
    "connected_by": "monitoring_assuring",
    "created_at": "2026-05-11T09:12:44.183421Z",
    "succeeded_at": "2026-05-12T03:41:07.552310Z",
    "failed_at": None,
    "paused": False,
    "pause_after_trial": False,
    "sync_frequency": 1440,
    "daily_sync_time": "03:00",
    "schedule_type": "auto",
    "data_delay_sensitivity": "CUSTOM",
    "data_delay_threshold": 180,
    "networking_method": "ProxyAgent",
    "proxy_agent_id": "proxy_agent_glowing_fjord",
    "private_link_id": "private_link_quiet_harbor",
    "hybrid_deployment_agent_id": "hybrid_agent_amber_delta",
    "destination_configuration": {"virtual_warehouse": "FIVETRAN_WH"},
    "status": {
        "setup_state": "connected",
        "schema_status": "ready",
        "sync_state": "scheduled",
        "update_state": "on_schedule",
        "is_historical_sync": False,
        "rescheduled_for": None,
        "tasks": [],
        "warnings": [],
    },
    "setup_tests": [
        {"title": "Validate Refresh Token", "status": "PASSED", "message": ""},
        {"title": "Validate Ad Account Access", "status": "PASSED", "message": ""},
        {"title": "Validate Report Configuration", "status": "PASSED", "message": ""},
    ],
    "source_sync_details": None,
    "connect_card": {
        "token": "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzaGVsdGVyZWRfbW9ja2luZ2JpcmQifQ.c2lnbmF0dXJl",
        "uri": "https://fivetran.com/connect-card/setup?auth=eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9",
    },
    "connect_card_config": {
        "redirect_uri": "https://airflow.example.com/fivetran/connect-card/done",
        "hide_setup_guide": True,
    },
    "config": copy.deepcopy(SEED_REQUEST["config"]),
}

CONNECT_CARD_ANSWER: dict[str, Any] = {
    "connector_id": CONNECTION_ID,
    "connect_card": copy.deepcopy(CONNECTION_ANSWER["connect_card"]),
    "connect_card_config": copy.deepcopy(CONNECTION_ANSWER["connect_card_config"]),
}


def seed_request() -> dict[str, Any]:
    """A fresh deep copy of :data:`SEED_REQUEST`."""
    return copy.deepcopy(SEED_REQUEST)


def connection_answer() -> dict[str, Any]:
    """A fresh deep copy of :data:`CONNECTION_ANSWER`."""
    return copy.deepcopy(CONNECTION_ANSWER)


# -- bodies the simulator accepts (its group, its demo Spotify side) -----------------------------------------


def demo_auth() -> dict[str, Any]:
    """The ``auth`` of the simulator's demo Spotify user."""
    return {
        "refresh_token": DEMO_REFRESH_TOKEN,
        "client_access": {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET},
    }


def demo_request(schema: str, *, group_id: str = DEFAULT_GROUP_ID, **overrides: Any) -> dict[str, Any]:
    """The seed create body (every field of the contract) in ``group_id``, with the simulator's demo Spotify
    credentials and accounts, so that its setup tests pass and it can sync."""
    body = seed_request()
    body["group_id"] = group_id
    body["config"]["schema"] = schema
    body["config"]["accounts"] = list(DEMO_ACCOUNTS)
    body["auth"] = demo_auth()
    body.update(overrides)
    return body


def connection_request(schema: str = "spotify_demo", *, auth: bool = True, **fields: Any) -> dict[str, Any]:
    """A valid create body in the simulator's group; ``config`` may be given whole or is ``{"schema"}``."""
    body: dict[str, Any] = {
        "group_id": DEFAULT_GROUP_ID,
        "service": "spotify_ads",
        "config": {"schema": schema},
    }
    if auth:
        body["auth"] = demo_auth()
    body.update(fields)
    return body


def full_request(schema: str = "spotify_full") -> dict[str, Any]:
    """A create body setting every field the drift check compares (demo credentials and accounts), with two
    short reports: ``report_list[0]`` has three fields, ``report_list[1]`` two."""
    return connection_request(
        schema,
        paused=False,
        pause_after_trial=False,
        sync_frequency=1440,
        daily_sync_time="03:00",
        schedule_type="auto",
        data_delay_sensitivity="CUSTOM",
        data_delay_threshold=180,
        networking_method="Directly",
        config={
            "schema": schema,
            "sync_mode": "SPECIFIC_ACCOUNTS",
            "accounts": list(DEMO_ACCOUNTS),
            "timeframe_months": "TWELVE",
            "report_list": [
                {
                    "table": "campaign_daily",
                    "dimension": "CAMPAIGN",
                    "granularity": "DAY",
                    "fields": ["IMPRESSIONS", "CLICKS", "SPEND"],
                },
                {
                    "table": "ad_hourly",
                    "dimension": "AD",
                    "granularity": "HOUR",
                    "fields": ["STREAMS", "LISTENERS"],
                },
            ],
        },
    )
