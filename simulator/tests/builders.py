"""Request bodies and small helpers for the simulator tests (built on the demo Spotify side)."""

from __future__ import annotations

import copy
from typing import Any

import requests

from fivetran_simulator import (
    DEFAULT_GROUP_ID,
    DEMO_ACCOUNTS,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REFRESH_TOKEN,
)

REPORT = {
    "table": "campaign_daily",
    "dimension": "CAMPAIGN",
    "granularity": "DAY",
    "fields": ["IMPRESSIONS", "SPEND"],
}


def auth(
    client_id: str = DEMO_CLIENT_ID,
    client_secret: str = DEMO_CLIENT_SECRET,
    refresh_token: str = DEMO_REFRESH_TOKEN,
) -> dict[str, Any]:
    return {
        "refresh_token": refresh_token,
        "client_access": {"client_id": client_id, "client_secret": client_secret},
    }


def create_body(schema: str = "spotify_demo", *, with_auth: bool = True, **overrides: Any) -> dict[str, Any]:
    """A valid create body for the default group; ``config_*`` keyword arguments go into ``config``.

    It sends ``run_setup_tests: true`` as clients do (the real API runs no tests without it, Terraform provider
    issue 339); ``run_setup_tests=None`` leaves the field out.
    """
    config: dict[str, Any] = {"schema": schema}
    for key in [k for k in overrides if k.startswith("config_")]:
        config[key.removeprefix("config_")] = overrides.pop(key)
    body: dict[str, Any] = {
        "group_id": DEFAULT_GROUP_ID,
        "service": "spotify_ads",
        "run_setup_tests": True,
        "config": config,
    }
    if with_auth:
        body["auth"] = auth()
    body.update(copy.deepcopy(overrides))
    return {key: value for key, value in body.items() if value is not None}


def specific_accounts(*accounts: str) -> dict[str, Any]:
    return {"config_sync_mode": "SPECIFIC_ACCOUNTS", "config_accounts": list(accounts or DEMO_ACCOUNTS)}


def create(http: requests.Session, schema: str = "spotify_demo", **overrides: Any) -> dict[str, Any]:
    """Create a connection and return its ``data`` (asserting the 201)."""
    response = http.post("/v1/connections", json=create_body(schema, **overrides))
    assert response.status_code == 201, response.text
    return dict(response.json()["data"])


def details(http: requests.Session, conn_id: str) -> dict[str, Any]:
    response = http.get(f"/v1/connections/{conn_id}")
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


def statuses(data: dict[str, Any]) -> dict[str, str]:
    """``{title: status}`` of a connection's setup tests."""
    return {t["title"]: t["status"] for t in data.get("setup_tests") or []}


def error(response: requests.Response, status: int, code: str | None = None) -> str:
    """Assert an error answer (no ``data``) and return its message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert "data" not in body
    if code is not None:
        assert body["code"] == code, body
    assert isinstance(body["message"], str)
    assert body["message"]
    return str(body["message"])
