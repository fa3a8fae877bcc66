"""Every task says what it spent of Fivetran's API budget: the requests it sent, and how many were retries.

The count a task logs and pushes (XCom ``api_calls``) is checked against the simulator's own request log, so
it cannot agree with itself by construction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from airflow.sdk import DAG, Context

from airflow_spotify_fivetran.operators import FivetranRunSetupTestsOperator, FivetranSyncOperator
from airflow_spotify_fivetran.spend import API_CALLS_XCOM_KEY, ApiSpend, describe, total
from tests.helpers.task_calls import RecordingTI, expect_deferral, first_event
from tests.tasks.dag_runs import DagOutcome
from tests.tasks.sim import Sim
from tests.tasks.test_call_counts import provisioning_dag


def test_a_spend_counts_requests_and_retries_and_reads_back_leniently() -> None:
    spend = ApiSpend()
    for attempt in (1, 1, 2, 3):
        spend.count(attempt)
    assert spend.to_json() == {"calls": 4, "retries": 2}
    assert str(spend) == "4 Fivetran API calls (2 retries)"
    assert describe(1, 1) == "1 Fivetran API call (1 retry)"
    # What an older trigger sent (no count), or a garbled value, counts as nothing rather than failing a task.
    assert total(
        [spend.to_json(), None, {"calls": "3"}, {"calls": -1, "retries": True}, {"calls": 2}]
    ).to_json() == {
        "calls": 6,
        "retries": 2,
    }


@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferrable"])
def test_each_task_pushes_the_calls_it_made_and_they_add_up_to_what_fivetran_saw(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str, deferrable: bool
) -> None:
    fresh = run_dag(provisioning_dag(dag_id, deferrable=deferrable))

    assert set(fresh.task_states.values()) == {"success"}, fresh.task_states
    spent = {task: fresh.xcom(task, key=API_CALLS_XCOM_KEY) for task in ("create", "wait", "schedule")}
    assert spent == {
        "create": {"calls": 2, "retries": 0},  # the lookup and the create
        "wait": {"calls": 1, "retries": 0},
        "schedule": {"calls": 1, "retries": 0},
    }
    assert sum(s["calls"] for s in spent.values()) == len(sim.calls())


def test_a_deferred_task_counts_its_calls_before_deferring_and_its_triggers(
    sim: Sim, context: Context, ti: RecordingTI, capsys: pytest.CaptureFixture[str]
) -> None:
    conn_id = sim.create(schedule_type="manual")
    sim.complete_sync(conn_id)
    sim.control.clear_requests()
    task = FivetranSyncOperator(
        task_id="sync", connection_id=conn_id, wait_for_completion=True, deferrable=True, poll_interval=0.1
    )
    deferred = expect_deferral(task, context)  # the sync request and the check that saw it running
    before = len(sim.calls())
    assert "hook" not in task.__dict__  # closed before deferring
    sim.control.advance_clock(60)  # the sync ends

    event = first_event(deferred.trigger).payload
    task.execute_complete(context, **{**(deferred.kwargs or {}), "event": event})

    assert event[API_CALLS_XCOM_KEY] == {"calls": len(sim.calls()) - before, "retries": 0}
    assert ti.xcoms[API_CALLS_XCOM_KEY] == {"calls": len(sim.calls()), "retries": 0}
    out = capsys.readouterr().out
    assert f"Spent {before} Fivetran API calls (0 retries) before deferring" in out
    assert f"Spent {len(sim.calls())} Fivetran API calls (0 retries)" in out


def test_a_task_that_fails_still_says_what_it_spent_retries_included(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str
) -> None:
    conn_id = sim.create()
    route = f"POST /v1/connections/{conn_id}/test"
    sim.control.add_faults([{"route": route, "kind": "error", "status": 503, "count": None}])
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        FivetranRunSetupTestsOperator(
            task_id="test", connection_id=conn_id, hook_params={"max_attempts": 3}, retries=0
        )

    outcome = run_dag(dag)

    assert outcome.task_states == {"test": "failed"}
    assert outcome.xcom("test", key=API_CALLS_XCOM_KEY) == {"calls": 3, "retries": 2}
    assert len(sim.calls()) == 3
