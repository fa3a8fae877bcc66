"""``GET /v1/destinations/{id}``: each group of the scenario has one destination with the group's id."""

from __future__ import annotations

import pytest
import requests

from fivetran_simulator import DEFAULT_GROUP_ID, SimulatorServer
from tests.helpers.simulator import SimulatorHttp

pytestmark = pytest.mark.usefixtures("simulator")


def test_a_groups_destination_has_the_group_id_and_a_masked_password(simulator_http: SimulatorHttp) -> None:
    response = simulator_http.get(f"/v1/destinations/{DEFAULT_GROUP_ID}")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "Success"
    data = body["data"]
    assert data["id"] == data["group_id"] == DEFAULT_GROUP_ID
    assert data["setup_status"] == "connected"
    assert data["service"] == "postgres_warehouse"
    assert data["config"]["database"] == DEFAULT_GROUP_ID
    assert data["config"]["password"] == "******"


def test_every_scenario_group_has_a_destination_and_others_are_404(
    simulator: SimulatorServer, simulator_http: SimulatorHttp
) -> None:
    simulator.control.set_scenario({"groups": ["second_warehouse"]})
    assert simulator_http.get("/v1/destinations/second_warehouse").json()["data"]["id"] == "second_warehouse"
    missing = simulator_http.get("/v1/destinations/no_such_group")
    assert missing.status_code == 404
    assert missing.json()["code"].startswith("NotFound")


def test_the_destination_needs_the_api_key(simulator: SimulatorServer) -> None:
    response = requests.get(f"{simulator.base_url}/v1/destinations/{DEFAULT_GROUP_ID}", timeout=10)
    assert response.status_code == 401
