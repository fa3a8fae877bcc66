"""Every endpoint of the contract, over real HTTP, with the defaults and echo rules of the README."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from builders import REPORT, create, create_body, details, error
from fivetran_simulator import DEFAULT_GROUP_ID, SimulatorServer
from tests.helpers.simulator import SimulatorHttp

pytestmark = pytest.mark.usefixtures("simulator")


def test_create_answers_201_with_readme_defaults(simulator_http: SimulatorHttp) -> None:
    response = simulator_http.post("/v1/connections", json=create_body(run_setup_tests=False))
    assert response.status_code == 201
    body = response.json()
    assert body["code"] == "Success"
    assert body["message"]
    data = body["data"]
    assert data["group_id"] == DEFAULT_GROUP_ID
    assert data["service"] == "spotify_ads"
    assert data["schema"] == "spotify_demo"
    assert data["paused"] is False
    assert data["pause_after_trial"] is False
    assert data["schedule_type"] == "auto"
    assert data["sync_frequency"] == 360
    assert data["daily_sync_time"] is None
    assert data["data_delay_sensitivity"] == "NORMAL"
    assert data["succeeded_at"] is None
    assert data["failed_at"] is None
    assert data["created_at"] == "2026-01-01T00:00:00.000000Z"  # the manual clock's start
    assert data["status"] == {
        "setup_state": "incomplete",
        "sync_state": "scheduled",
        "update_state": "on_schedule",
        "is_historical_sync": True,
        "rescheduled_for": None,
        "tasks": [],
        "warnings": [],
    }
    assert data["config"]["timeframe_months"] == "SIX"
    assert "auth" not in data
    # Every nullable property of the official answer object is there, null when unset.
    for key in (
        "proxy_agent_id",
        "private_link_id",
        "hybrid_deployment_agent_id",
        "external_secrets_manager_id",
        "external_secrets_keys_config",
        "source_sync_details",
        "setup_tests",
        "destination_schema_names",
    ):
        assert data[key] is None, key
    # Non-nullable $refs are omitted when unset.
    for key in ("connect_card", "connect_card_config", "destination_configuration"):
        assert key not in data


def test_create_without_run_setup_tests_runs_no_tests(simulator_http: SimulatorHttp) -> None:
    """Fivetran maintainers (Terraform provider issue 339): absent means no tests, whatever the spec says."""
    for schema, body in (
        ("absent", create_body("absent", run_setup_tests=None)),
        ("off", create_body("off", run_setup_tests=False)),
    ):
        assert "run_setup_tests" not in body or body["run_setup_tests"] is False
        response = simulator_http.post("/v1/connections", json=body)
        assert response.status_code == 201, response.text
        data = response.json()["data"]
        assert data["status"]["setup_state"] == "incomplete", schema
        assert data["setup_tests"] is None, schema


def test_create_paused_reports_sync_state_paused(simulator_http: SimulatorHttp) -> None:
    data = create(simulator_http, paused=True)
    assert data["paused"] is True
    assert data["status"]["sync_state"] == "paused"


def test_control_fields_are_never_stored_or_echoed(simulator_http: SimulatorHttp) -> None:
    data = create(simulator_http, trust_certificates=True, trust_fingerprints=False, run_setup_tests=True)
    for key in ("trust_certificates", "trust_fingerprints", "run_setup_tests"):
        assert key not in data
        assert key not in details(simulator_http, data["id"])


def test_sync_frequency_as_numeric_string_is_answered_as_int(simulator_http: SimulatorHttp) -> None:
    data = create(simulator_http, sync_frequency="1440", daily_sync_time="14:00")
    assert data["sync_frequency"] == 1440
    assert data["daily_sync_time"] == "14:00"


def test_daily_sync_time_null_unless_daily_and_explicit(simulator_http: SimulatorHttp) -> None:
    data = create(simulator_http, sync_frequency=1440)
    assert data["daily_sync_time"] is None
    conn_id = data["id"]
    patched = simulator_http.patch(f"/v1/connections/{conn_id}", json={"daily_sync_time": "07:00"}).json()[
        "data"
    ]
    assert patched["daily_sync_time"] == "07:00"
    # Leaving the daily frequency drops the explicit time; coming back does not restore it.
    patched = simulator_http.patch(f"/v1/connections/{conn_id}", json={"sync_frequency": 60}).json()["data"]
    assert patched["daily_sync_time"] is None
    patched = simulator_http.patch(f"/v1/connections/{conn_id}", json={"sync_frequency": 1440}).json()["data"]
    assert patched["daily_sync_time"] is None
    # Both in one request is fine.
    both = {"sync_frequency": 1440, "daily_sync_time": "23:00"}
    assert (
        simulator_http.patch(f"/v1/connections/{conn_id}", json=both).json()["data"]["daily_sync_time"]
        == "23:00"
    )


def test_every_create_field_is_accepted_and_echoed(simulator_http: SimulatorHttp) -> None:
    body = create_body(
        "full_demo",
        paused=False,
        pause_after_trial=True,
        sync_frequency=1440,
        daily_sync_time="03:00",
        data_delay_sensitivity="CUSTOM",
        data_delay_threshold=180,
        schedule_type="manual",
        connect_card_config={"redirect_uri": "https://airflow.example.com/done", "hide_setup_guide": True},
        proxy_agent_id="proxy_1",
        private_link_id="link_1",
        networking_method="ProxyAgent",
        hybrid_deployment_agent_id="agent_1",
        destination_configuration={"virtual_warehouse": "FIVETRAN_WH"},
        destination_schema_names="SOURCE_NAMING",
        external_secrets_manager_id="esm_1",
        trust_certificates=True,
        trust_fingerprints=True,
        run_setup_tests=True,
        config_sync_mode="SPECIFIC_ACCOUNTS",
        config_accounts=["demo-ad-account-1"],
        config_timeframe_months="TWELVE",
        config_report_list=[REPORT],
    )
    response = simulator_http.post("/v1/connections", json=body)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    for key in (
        "pause_after_trial",
        "sync_frequency",
        "daily_sync_time",
        "data_delay_sensitivity",
        "data_delay_threshold",
        "schedule_type",
        "proxy_agent_id",
        "private_link_id",
        "networking_method",
        "hybrid_deployment_agent_id",
        "destination_configuration",
        "destination_schema_names",
        "external_secrets_manager_id",
        "connect_card_config",
    ):
        assert data[key] == body[key], key
    assert data["config"] == {
        "schema": "full_demo",
        "sync_mode": "SPECIFIC_ACCOUNTS",
        "accounts": ["demo-ad-account-1"],
        "timeframe_months": "TWELVE",
        "report_list": [REPORT],
    }
    assert data["connect_card"]["uri"].startswith(simulator_http.base_url + "/connect-card/setup?")
    assert data["status"]["setup_state"] == "connected"


def test_details_and_404(simulator_http: SimulatorHttp) -> None:
    data = create(simulator_http)
    assert details(simulator_http, data["id"]) == data | {"setup_tests": data["setup_tests"]}
    message = error(simulator_http.get("/v1/connections/no_such_id"), 404, "NotFound_Connection")
    assert "no_such_id" in message


def test_modify_changes_fields_and_runs_tests_only_when_asked(simulator_http: SimulatorHttp) -> None:
    conn_id = create(simulator_http, run_setup_tests=False)["id"]
    response = simulator_http.patch(f"/v1/connections/{conn_id}", json={"sync_frequency": 60, "paused": True})
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["sync_frequency"], data["paused"], data["status"]["sync_state"]) == (60, True, "paused")
    assert data["status"]["setup_state"] == "incomplete"
    assert data["setup_tests"] is None
    data = simulator_http.patch(
        f"/v1/connections/{conn_id}",
        json={"paused": False, "run_setup_tests": True, "trust_certificates": True},
    ).json()["data"]
    assert data["status"]["setup_state"] == "connected"
    assert data["status"]["sync_state"] == "syncing"  # auto schedule: the first sync starts after setup
    assert "run_setup_tests" not in data


def test_modify_merges_config_and_auth(simulator_http: SimulatorHttp) -> None:
    conn_id = create(simulator_http, config_report_list=[REPORT])["id"]
    body = {
        "config": {"sync_mode": "SPECIFIC_ACCOUNTS", "accounts": ["demo-ad-account-2"]},
        "run_setup_tests": True,
    }
    data = simulator_http.patch(f"/v1/connections/{conn_id}", json=body).json()["data"]
    assert data["config"]["report_list"] == [REPORT]
    assert data["config"]["accounts"] == ["demo-ad-account-2"]
    assert data["status"]["setup_state"] == "connected"
    # Rotating only the refresh token keeps the client credentials.
    body = {"auth": {"refresh_token": "not-a-token"}, "run_setup_tests": True}
    data = simulator_http.patch(f"/v1/connections/{conn_id}", json=body).json()["data"]
    assert data["status"]["setup_state"] == "broken"
    assert [t["status"] for t in data["setup_tests"]] == ["PASSED", "FAILED", "SKIPPED"]


def test_delete_answers_200_naming_the_id(simulator_http: SimulatorHttp) -> None:
    conn_id = create(simulator_http)["id"]
    response = simulator_http.delete(f"/v1/connections/{conn_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "Success"
    assert conn_id in body["message"]
    assert "data" not in body
    error(simulator_http.get(f"/v1/connections/{conn_id}"), 404, "NotFound_Connection")
    error(simulator_http.delete(f"/v1/connections/{conn_id}"), 404, "NotFound_Connection")
    # The schema is free again.
    create(simulator_http)


def test_setup_test_endpoint(simulator_http: SimulatorHttp) -> None:
    conn_id = create(simulator_http, run_setup_tests=False)["id"]
    response = simulator_http.post(f"/v1/connections/{conn_id}/test", json={})
    assert response.status_code == 200
    assert response.json()["data"]["status"]["setup_state"] == "connected"
    body = {"trust_certificates": True, "trust_fingerprints": True}
    assert simulator_http.post(f"/v1/connections/{conn_id}/test", json=body).status_code == 200


def test_sync_and_resync_answer_without_data(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    conn_id = create(simulator_http)["id"]
    for body in (None, {}, {"force": True}):
        response = simulator_http.post(f"/v1/connections/{conn_id}/sync", json=body)
        assert response.status_code == 200
        assert "data" not in response.json()
        assert conn_id in response.json()["message"]
    simulator.control.advance_clock(60)
    for body in (None, {}, {"scope": None}):
        response = simulator_http.post(f"/v1/connections/{conn_id}/resync", json=body)
        assert response.status_code == 200, response.text
        assert "data" not in response.json()
        simulator.control.advance_clock(3600)


def test_connect_card_endpoint(simulator_http: SimulatorHttp) -> None:
    conn_id = create(simulator_http, with_auth=False)["id"]
    card_config = {
        "redirect_uri": "http://localhost:8080/done",
        "hide_setup_guide": True,
        "all_fields": False,
    }
    response = simulator_http.post(
        f"/v1/connections/{conn_id}/connect-card", json={"connect_card_config": card_config}
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["connector_id"] == conn_id
    assert data["connect_card_config"] == card_config
    token, uri = data["connect_card"]["token"], data["connect_card"]["uri"]
    # Fivetran's shape: .../connect-card/setup?redirect_uri=...&auth=<token>&hide_setup_guide=true
    parts = urlsplit(uri)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{simulator_http.base_url}/connect-card/setup"
    assert parse_qsl(parts.query) == [
        ("redirect_uri", "http://localhost:8080/done"),
        ("auth", token),
        ("hide_setup_guide", "true"),
    ]
    assert details(simulator_http, conn_id)["connect_card"] == data["connect_card"]


def test_list_pages_with_opaque_cursors(simulator_http: SimulatorHttp) -> None:
    ids = [create(simulator_http, f"schema_{i}", run_setup_tests=False)["id"] for i in range(7)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        body = simulator_http.get("/v1/connections", params=params).json()
        seen += [item["id"] for item in body["data"]["items"]]
        pages += 1
        cursor = body["data"].get("next_cursor")
        if cursor is None:
            break
        assert isinstance(cursor, str)
        assert cursor
    assert pages == 3
    assert seen == ids
    # next_cursor is absent (not null) on the last page.
    assert "next_cursor" not in simulator_http.get("/v1/connections", params={"limit": 100}).json()["data"]


def test_cursor_stays_valid_when_connections_are_deleted(simulator_http: SimulatorHttp) -> None:
    ids = [create(simulator_http, f"schema_{i}", run_setup_tests=False)["id"] for i in range(4)]
    first = simulator_http.get("/v1/connections", params={"limit": 2}).json()["data"]
    simulator_http.delete(f"/v1/connections/{ids[2]}")
    second = simulator_http.get("/v1/connections", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [i["id"] for i in second["data"]["items"]] == [ids[3]]


def test_list_filters_by_exact_schema_and_group(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    simulator.control.set_scenario({"groups": ["other_group"]})
    mine = create(simulator_http, "marketing", run_setup_tests=False)["id"]
    create(simulator_http, "marketing_eu", run_setup_tests=False)
    theirs = create(simulator_http, "marketing", group_id="other_group", run_setup_tests=False)["id"]

    def ids(path: str, **params: str) -> list[str]:
        response = simulator_http.get(path, params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["data"]["items"]]

    assert ids("/v1/connections", schema="marketing") == [mine, theirs]
    assert ids("/v1/connections", schema="marketing", group_id=DEFAULT_GROUP_ID) == [mine]
    assert ids("/v1/connections", schema="market") == []
    assert ids("/v1/connections", schema="MARKETING") == []
    assert ids("/v1/groups/other_group/connections") == [theirs]
    assert ids(f"/v1/groups/{DEFAULT_GROUP_ID}/connections", schema="marketing") == [mine]
    assert len(ids(f"/v1/groups/{DEFAULT_GROUP_ID}/connections", limit="1")) == 1


def test_group_listing_paginates(simulator_http: SimulatorHttp) -> None:
    ids = [create(simulator_http, f"schema_{i}", run_setup_tests=False)["id"] for i in range(5)]
    seen, cursor = [], None
    while True:
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        data = simulator_http.get(f"/v1/groups/{DEFAULT_GROUP_ID}/connections", params=params).json()["data"]
        seen += [i["id"] for i in data["items"]]
        cursor = data.get("next_cursor")
        if not cursor:
            break
    assert seen == ids


def test_list_default_limit_is_100(simulator_http: SimulatorHttp) -> None:
    for i in range(101):
        create(simulator_http, f"s{i}", run_setup_tests=False)
    data = simulator_http.get("/v1/connections").json()["data"]
    assert len(data["items"]) == 100
    assert data["next_cursor"]
    assert len(simulator_http.get("/v1/connections", params={"limit": 1000}).json()["data"]["items"]) == 101
