"""The project's shared seed payloads (tests/payloads.py) are accepted by the simulator as-is."""

from __future__ import annotations

from collections.abc import Callable

from fivetran_simulator import SimulatorServer
from tests import payloads
from tests.helpers.simulator import SimulatorHttp


def _seed_world() -> dict[str, object]:
    seed = payloads.seed_request()
    access = seed["auth"]["client_access"]
    return {
        "groups": [seed["group_id"]],
        "spotify": {
            "clients": {access["client_id"]: access["client_secret"]},
            "tokens": {
                seed["auth"]["refresh_token"]: {
                    "client_id": access["client_id"],
                    "accounts": seed["config"]["accounts"],
                }
            },
        },
    }


def test_seed_request_and_patch(simulator_factory: Callable[..., SimulatorServer]) -> None:
    sim = simulator_factory(scenario=_seed_world())
    http = SimulatorHttp(sim.base_url, sim.api_key, sim.api_secret)
    seed = payloads.seed_request()
    response = http.post("/v1/connections", json=seed)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["status"]["setup_state"] == "connected"
    assert data["daily_sync_time"] == seed["daily_sync_time"]
    assert data["config"] == seed["config"]
    text = response.text + str(sim.control.requests())
    assert not [secret for secret in payloads.SEED_SECRETS if secret in text]
    patched = http.patch(f"/v1/connections/{data['id']}", json=payloads.SEED_PATCH)
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["schedule_type"] == "manual"
    assert patched.json()["data"]["status"]["setup_state"] == "connected"
