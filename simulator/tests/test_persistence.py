"""``state_file`` / ``--state``: the state is saved after changes and loaded at the next start."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from builders import create, create_body, details
from fivetran_simulator import SimulatorServer
from tests.helpers.simulator import SimulatorHttp


def _wait_for(predicate: Callable[[], bool], what: str) -> None:
    """Poll a file written by the server's background saver (I/O, not simulated time)."""
    deadline = time.monotonic() + 5
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_state_survives_a_restart(tmp_path: Path, simulator_factory: Callable[..., SimulatorServer]) -> None:
    path = tmp_path / "state" / "sim.json"
    sim = simulator_factory(state_file=path, scenario={"groups": ["g2"], "sync": {"duration_seconds": 100}})
    http = SimulatorHttp(sim.base_url, sim.api_key, sim.api_secret)
    first = create(http, "kept")
    _wait_for(lambda: path.exists() and first["id"] in path.read_text(), "the create to be saved")
    second = create(http, "other", group_id="g2", paused=True)
    http.post(f"/v1/connections/{first['id']}/sync")
    sim.control.advance_clock(40)
    sim.control.revoke(client_id="other-client-id")
    before = [details(http, first["id"]), details(http, second["id"])]
    sim.stop()

    saved = json.loads(path.read_text())
    assert saved["version"] == 1
    restarted = simulator_factory(state_file=path)
    http2 = SimulatorHttp(restarted.base_url, restarted.api_key, restarted.api_secret)
    assert [details(http2, first["id"]), details(http2, second["id"])] == before
    assert restarted.control.now().isoformat() == "2026-01-01T00:00:40+00:00"  # the manual clock resumes
    assert restarted.control.scenario()["spotify"]["revoked_clients"] == ["other-client-id"]
    # The running sync continues on the restored clock; auth was kept (the tests still pass).
    restarted.control.advance_clock(60)
    assert details(http2, first["id"])["succeeded_at"] == "2026-01-01T00:01:40.000000Z"
    assert http2.post(f"/v1/connections/{first['id']}/test", json={}).json()["data"]["status"][
        "setup_state"
    ] == ("connected")
    assert http2.post("/v1/connections", json=create_body("kept")).status_code == 409  # indexes rebuilt
    assert http2.post("/v1/connections", json=create_body("new")).status_code == 201


def test_a_missing_state_file_starts_empty(
    tmp_path: Path, simulator_factory: Callable[..., SimulatorServer]
) -> None:
    sim = simulator_factory(state_file=tmp_path / "absent.json")
    assert sim.control.connections() == []


def test_a_corrupt_state_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"version": 99}')
    with pytest.raises(ValueError, match="version"):
        SimulatorServer(state_file=path)
