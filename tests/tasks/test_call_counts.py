"""What provisioning costs in API calls: a fresh run and an unchanged re-run of create -> wait -> schedule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from airflow.sdk import DAG

from airflow_spotify_fivetran.operators import FivetranCreateConnectionOperator, FivetranSetScheduleOperator
from airflow_spotify_fivetran.sensors.fivetran import SCHEDULE_XCOM_KEY, FivetranSetupTestsSensor
from tests.helpers.task_calls import pulled
from tests.payloads import full_request
from tests.tasks.dag_runs import DagOutcome
from tests.tasks.sim import Sim

FRESH_TARGET, RERUN_TARGET = 4, 2


def provisioning_dag(dag_id: str, *, deferrable: bool) -> DAG:
    """The provider's main job: create (or adopt), wait for the setup tests, set the schedule."""
    body = full_request()
    for key in ("sync_frequency", "daily_sync_time", "schedule_type", "paused"):  # the schedule task's job
        body.pop(key, None)
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        create = FivetranCreateConnectionOperator(task_id="create", connection=body)
        wait = FivetranSetupTestsSensor(
            task_id="wait",
            connection_id=pulled(create),
            deferrable=deferrable,
            mode="poke",
            poke_interval=0.1,
            timeout=20,
        )
        schedule = FivetranSetScheduleOperator(
            task_id="schedule",
            connection_id=pulled(create),
            sync_frequency=1440,
            daily_sync_time="06:00",
            time_zone="Europe/Berlin",
            current_schedule=pulled(wait, key=SCHEDULE_XCOM_KEY),
        )
        create >> wait >> schedule
    return dag


@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferrable"])
def test_provisioning_call_counts(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str, deferrable: bool
) -> None:
    dag = provisioning_dag(dag_id, deferrable=deferrable)

    fresh = run_dag(dag)
    fresh_calls = sim.calls()
    sim.control.clear_requests()
    rerun = run_dag(dag)
    rerun_calls = sim.calls()

    print(f"\nprovisioning API calls ({'deferrable' if deferrable else 'poke'} sensor):")
    print(f"  fresh run: {len(fresh_calls)} (target <= {FRESH_TARGET}): {fresh_calls}")
    print(f"  unchanged re-run: {len(rerun_calls)} (target <= {RERUN_TARGET}): {rerun_calls}")

    everything = {"create": "success", "wait": "success", "schedule": "success"}
    assert fresh.task_states == everything
    assert rerun.task_states == everything
    conn_id = fresh.xcom("create")
    assert rerun.xcom("create") == conn_id
    assert len(sim.control.connections()) == 1
    assert fresh.xcom("schedule") == rerun.xcom("schedule")
    assert fresh.xcom("schedule")["sync_frequency"] == 1440
    assert len(fresh_calls) <= FRESH_TARGET
    assert len(rerun_calls) <= RERUN_TARGET
    assert fresh_calls == [
        ("GET", "/v1/connections"),
        ("POST", "/v1/connections"),
        ("GET", f"/v1/connections/{conn_id}"),
        ("PATCH", f"/v1/connections/{conn_id}"),
    ]
    assert rerun_calls == [("GET", "/v1/connections"), ("GET", f"/v1/connections/{conn_id}")]
