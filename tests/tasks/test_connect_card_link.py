"""The Connect Card link is also on the sensor that waits for the person: that is the task they are told to
watch, so its link opens the card."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from airflow.sdk import DAG

from airflow_spotify_fivetran.links import FivetranConnectCardLink, FivetranConnectionLink, dashboard_url
from airflow_spotify_fivetran.operators import FivetranConnectCardOperator
from airflow_spotify_fivetran.sensors import FivetranSetupTestsSensor
from tests.tasks.dag_runs import DagOutcome
from tests.tasks.sim import Sim


@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferred"])
def test_the_waiting_sensor_links_to_the_card(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str, deferrable: bool
) -> None:
    conn_id = sim.create(auth=False)
    # The person completes the card after the sensor's first look.
    sim.on_request("GET", f"/v1/connections/{conn_id}", 1, lambda: sim.control.complete_connect_card(conn_id))
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        card = FivetranConnectCardOperator(
            task_id="card", connection_id=conn_id, redirect_uri="https://airflow.example.com/done"
        )
        wait = FivetranSetupTestsSensor(
            task_id="wait",
            connection_id=conn_id,
            wait_for_connect_card=True,
            connect_card_uri="{{ ti.xcom_pull(task_ids='card')['connect_card_uri'] }}",
            deferrable=deferrable,
            mode="poke",
            poke_interval=0.1,
            timeout=20,
        )
        card >> wait

    outcome = run_dag(dag)

    assert outcome.task_states == {"card": "success", "wait": "success"}
    uri = outcome.xcom("card")["connect_card_uri"]
    assert outcome.xcom("wait", key=FivetranConnectCardLink().xcom_key) == uri
    assert outcome.xcom("wait", key=FivetranConnectionLink().xcom_key) == dashboard_url(conn_id)


def test_a_sensor_without_a_card_has_no_card_link(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str
) -> None:
    conn_id = sim.create()
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        FivetranSetupTestsSensor(
            task_id="wait", connection_id=conn_id, mode="poke", poke_interval=0.1, timeout=20
        )

    outcome = run_dag(dag)

    assert outcome.task_states == {"wait": "success"}
    assert outcome.xcom("wait", key=FivetranConnectCardLink().xcom_key) == ""  # Airflow shows no link
