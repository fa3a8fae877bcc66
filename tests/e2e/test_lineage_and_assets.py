"""The sync example DAG for real: the OpenLineage events its sync task emits, and the asset-scheduled DAG
(``spotify_ads_downstream``) that a successful sync run starts under a real scheduler.

The OpenLineage provider writes its events with its file transport (one JSON event a line), configured through
``AIRFLOW__OPENLINEAGE__TRANSPORT`` as a deployment would configure an HTTP one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fivetran_simulator import DEFAULT_GROUP_ID, DEMO_ACCOUNTS, SimulatorServer
from tests.e2e.homes import AirflowHome, components_env
from tests.helpers.processes import free_port, wait_until
from tests.helpers.simulator import SimulatorHttp
from tests.limits import HANG_GUARD
from tests.payloads import full_request

pytestmark = pytest.mark.e2e

SCHEMA = "spotify_ads"  # the sync example DAG's default schema, in its default group
TABLES = ("campaign_daily", "ad_hourly")  # full_request's reports
SimulatorFactory = Callable[..., SimulatorServer]
HomeFactory = Callable[..., AirflowHome]


def connected_connection(sim: SimulatorServer, sync_seconds: float = 2) -> str:
    """A connected, manual-schedule connection with two reports of the demo accounts."""
    sim.control.set_scenario({"sync": {"duration_seconds": sync_seconds, "outcome": "success"}})
    with SimulatorHttp.of(sim) as http:
        body = {**full_request(SCHEMA), "schedule_type": "manual", "run_setup_tests": True}
        answer = http.post("/v1/connections", json=body)
    assert answer.status_code == 201, answer.text
    data = answer.json()["data"]
    assert data["status"]["setup_state"] == "connected"
    return str(data["id"])


def test_a_sync_run_emits_the_accounts_reports_as_inputs_and_the_tables_as_outputs(
    simulator_factory: SimulatorFactory, airflow_home_factory: HomeFactory, tmp_path: Path
) -> None:
    sim = simulator_factory(clock="real")
    connected_connection(sim)
    events_file = tmp_path / "openlineage.jsonl"
    transport = {"type": "file", "log_file_path": str(events_file), "append": True}
    home = airflow_home_factory(sim, AIRFLOW__OPENLINEAGE__TRANSPORT=json.dumps(transport))

    run = home.dags_test("spotify_ads_sync", timeout=HANG_GUARD)

    assert run.returncode == 0, run.output[-5000:]
    events = [json.loads(line) for line in events_file.read_text().splitlines() if line.strip()]
    complete = [
        e for e in events if e["eventType"] == "COMPLETE" and e["job"]["name"] == "spotify_ads_sync.sync"
    ]
    assert len(complete) == 1, [(e["eventType"], e["job"]["name"]) for e in events]
    inputs = {(d["namespace"], d["name"]) for d in complete[0]["inputs"]}
    outputs = {(d["namespace"], d["name"]) for d in complete[0]["outputs"]}
    assert inputs == {(f"spotify-ads://{account}", table) for account in DEMO_ACCOUNTS for table in TABLES}
    assert outputs == {
        ("postgres://warehouse.simulator.invalid:5432", f"{DEFAULT_GROUP_ID}.{SCHEMA}.{table}")
        for table in TABLES
    }


def test_a_successful_sync_run_starts_the_asset_scheduled_downstream_dag(
    simulator_factory: SimulatorFactory, airflow_home_factory: HomeFactory
) -> None:
    sim = simulator_factory(clock="real")
    # Long enough that the deferring task process has exited before the trigger fires: a trigger that fires
    # while the scheduler still sees that process's end makes Airflow fail the task ("state changed externally").
    conn_id = connected_connection(sim, sync_seconds=20)
    port = free_port()
    home = airflow_home_factory(
        sim,
        **components_env(port),
    )
    home.start_components(port)
    home.unpause_when_stored("spotify_ads_sync", "spotify_ads_downstream")
    assert home.query("SELECT count(*) FROM dag_run WHERE dag_id = 'spotify_ads_downstream'") == [(0,)]

    home.airflow("dags", "trigger", "spotify_ads_sync")

    def downstream_finished() -> list[tuple[Any, ...]] | None:
        rows = home.query("SELECT state, run_type FROM dag_run WHERE dag_id = 'spotify_ads_downstream'")
        return rows if rows and rows[0][0] in ("success", "failed") else None

    try:
        runs = wait_until(
            downstream_finished, timeout=HANG_GUARD, what="the asset-scheduled DAG run to finish"
        )
    except Exception:
        print(home.diagnostics())
        raise
    assert runs == [("success", "asset_triggered")]
    assert home.task_states("spotify_ads_sync") == {("sync", -1): "success"}
    landed = home.xcom("spotify_ads_downstream", "report_landed_sync")
    succeeded_at = home.xcom("spotify_ads_sync", "sync")["succeeded_at"]
    assert landed == [{"connection_id": conn_id, "succeeded_at": succeeded_at}]
