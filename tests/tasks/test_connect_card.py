"""FivetranConnectCardOperator, and the whole Connect Card flow: create without auth, card, a person, wait."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from airflow.sdk import DAG, Context

from airflow_spotify_fivetran.exceptions import FivetranNotFoundError
from airflow_spotify_fivetran.links import FivetranConnectCardLink, FivetranConnectionLink, dashboard_url
from airflow_spotify_fivetran.operators import (
    FivetranConnectCardOperator,
    FivetranCreateConnectionOperator,
    FivetranSyncOperator,
)
from airflow_spotify_fivetran.sensors.fivetran import FivetranSetupTestsSensor
from tests.helpers.task_calls import RecordingTI, pulled
from tests.payloads import connection_request
from tests.tasks.dag_runs import DagOutcome
from tests.tasks.sim import Sim

REDIRECT = "https://airflow.example.com/fivetran/card-done"


def card_op(connection_id: Any, **kwargs: Any) -> FivetranConnectCardOperator:
    return FivetranConnectCardOperator(
        task_id="card", connection_id=connection_id, redirect_uri=REDIRECT, **kwargs
    )


def test_connect_card_uri_is_returned_and_linked(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str
) -> None:
    conn_id = sim.create(auth=False)
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        card_op(conn_id, hide_setup_guide=True)

    outcome = run_dag(dag)

    assert outcome.task_states == {"card": "success"}
    result = outcome.xcom("card")
    uri = result["connect_card_uri"]
    assert result == {"connection_id": conn_id, "connect_card_uri": uri}
    assert uri == sim.details(conn_id)["connect_card"]["uri"]
    assert outcome.xcom("card", key=FivetranConnectCardLink().xcom_key) == uri
    assert outcome.xcom("card", key=FivetranConnectionLink().xcom_key) == dashboard_url(conn_id)
    assert sim.calls() == [("POST", f"/v1/connections/{conn_id}/connect-card")]
    assert sim.requests()[0]["request_body"] == {
        "connect_card_config": {"redirect_uri": REDIRECT, "hide_setup_guide": True}
    }


def test_connect_card_for_an_unknown_connection_fails(sim: Sim, context: Context, ti: RecordingTI) -> None:
    with pytest.raises(FivetranNotFoundError, match="doesn't exist"):
        card_op("no_such_connection").execute(context)
    assert FivetranConnectCardLink().xcom_key not in ti.xcoms


def card_token(card_uri: str) -> str:
    """The card's token: Fivetran's URI carries it as the query parameter ``auth`` (contract README)."""
    [token] = parse_qs(urlsplit(card_uri).query)["auth"]
    return token


def authorize_in_the_card(card_uri: str) -> None:
    """What a person does: open the card's URI and press "Authorize" (the page's form posts here)."""
    uri = urlsplit(card_uri)
    token = card_token(card_uri)
    response = requests.post(
        f"{uri.scheme}://{uri.netloc}/_sim/connect-card/{token}/authorize", allow_redirects=False, timeout=10
    )
    assert response.status_code == 303, response.text
    assert response.headers["Location"].startswith(REDIRECT)


@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferred"])
def test_connect_card_flow_from_create_to_connected(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str, deferrable: bool
) -> None:
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        create = FivetranCreateConnectionOperator(task_id="create", connection=connection_request(auth=False))
        card = card_op(pulled(create))
        wait = FivetranSetupTestsSensor(
            task_id="wait",
            connection_id=pulled(create),
            wait_for_connect_card=True,
            deferrable=deferrable,
            mode="poke",
            poke_interval=0.1,
            timeout=20,
        )
        create >> card >> wait

    def card_uri() -> str:
        [connection] = sim.control.connections()
        return str(connection["connect_card"]["uri"])

    def person_waits_for_the_first_look() -> None:
        # The id is known once the connection exists: then wait for the sensor's first read (it sees
        # the tests failing, as nobody authorised yet) and authorise in the card.
        conn_id = sim.control.connections()[0]["id"]
        sim.on_request("GET", f"/v1/connections/{conn_id}", 1, lambda: authorize_in_the_card(card_uri()))

    sim.on_request("POST", "/v1/connections", 1, person_waits_for_the_first_look)

    outcome = run_dag(dag)

    assert outcome.task_states == {"create": "success", "card": "success", "wait": "success"}
    conn_id = outcome.xcom("create")
    assert sim.calls() == [
        ("GET", "/v1/connections"),
        ("POST", "/v1/connections"),
        ("POST", f"/v1/connections/{conn_id}/connect-card"),
        ("GET", f"/v1/connections/{conn_id}"),  # tests failing: no authorisation yet; the person acts
        ("GET", f"/v1/connections/{conn_id}"),  # connected
    ]
    assert outcome.xcom("wait")["setup_state"] == "connected"
    assert sim.details(conn_id)["status"]["setup_state"] == "connected"
    assert outcome.xcom("card")["connect_card_uri"] == card_uri()


def test_links_come_from_the_running_operator(sim: Sim, context: Context, ti: RecordingTI) -> None:
    """Airflow 3 asks get_link for the URL when a task ends; a task that failed first has no link, and
    asking does not look anything up (no "XCom not found" in the task's log)."""
    conn_id = sim.create(auth=False)
    op = card_op(conn_id)
    assert FivetranConnectionLink().get_link(op, ti_key=ti) == ""  # type: ignore[arg-type]
    context["task"] = op
    op.execute(context)
    assert FivetranConnectionLink().get_link(op, ti_key=ti) == dashboard_url(conn_id)  # type: ignore[arg-type]
    card_uri = FivetranConnectCardLink().get_link(op, ti_key=ti)  # type: ignore[arg-type]
    assert card_uri == ti.xcoms[FivetranConnectCardLink().xcom_key]
    assert card_uri.startswith(sim.server.base_url)


# -- a deferred task keeps its link ---------------------------------------------------------------------


def deferred_setup_sensor(sim: Sim) -> tuple[str, Callable[[], Any]]:
    conn_id = sim.create(auth=False, connect_card_config={"redirect_uri": REDIRECT})
    sim.on_request("GET", f"/v1/connections/{conn_id}", 2, lambda: sim.control.complete_connect_card(conn_id))
    return conn_id, lambda: FivetranSetupTestsSensor(
        task_id="task",
        connection_id=conn_id,
        wait_for_connect_card=True,
        deferrable=True,
        poke_interval=0.05,
        timeout=20,
    )


def deferred_sync_operator(sim: Sim) -> tuple[str, Callable[[], Any]]:
    conn_id = sim.create()
    sim.complete_sync(conn_id)
    # reads: 1 baseline, 2 the worker's check (syncing), 3 the trigger's first poll: the sync then ends
    sim.on_request("GET", f"/v1/connections/{conn_id}", 3, lambda: sim.control.advance_clock(60))
    return conn_id, lambda: FivetranSyncOperator(
        task_id="task",
        connection_id=conn_id,
        wait_for_completion=True,
        deferrable=True,
        poll_interval=0.05,
        timeout=20,
    )


@pytest.mark.parametrize("make", [deferred_setup_sensor, deferred_sync_operator], ids=["sensor", "sync"])
def test_a_deferred_task_keeps_its_dashboard_link(
    sim: Sim,
    run_dag: Callable[[DAG], DagOutcome],
    dag_id: str,
    make: Callable[[Sim], tuple[str, Callable[[], Any]]],
) -> None:
    """execute_complete runs on a new operator instance, whose get_link() Airflow pushes when the task
    ends: that instance must know the URL too, or the link XCom ends up empty."""
    conn_id, task = make(sim)
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        task()

    outcome = run_dag(dag)

    assert outcome.task_states == {"task": "success"}
    assert outcome.xcom("task", key=FivetranConnectionLink().xcom_key) == dashboard_url(conn_id)


def test_a_deferred_task_that_fails_keeps_its_dashboard_link(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str
) -> None:
    conn_id = sim.create(run_setup_tests=False)  # incomplete, nothing failing: the wait cannot end
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        FivetranSetupTestsSensor(
            task_id="task", connection_id=conn_id, deferrable=True, poke_interval=0.05, timeout=0.2
        )

    outcome = run_dag(dag)

    assert outcome.task_states == {"task": "failed"}
    assert outcome.xcom("task", key=FivetranConnectionLink().xcom_key) == dashboard_url(conn_id)


def test_the_connect_card_uri_is_not_logged(
    sim: Sim, context: Context, ti: RecordingTI, capsys: pytest.CaptureFixture[str]
) -> None:
    """The URI holds a short-lived token to configure the credentials: link and XCom only."""
    conn_id = sim.create(auth=False)
    result = card_op(conn_id).execute(context)

    uri = result["connect_card_uri"]
    token = card_token(uri)
    assert ti.xcoms[FivetranConnectCardLink().xcom_key] == uri
    out = capsys.readouterr().out
    assert f"Connect Card for {conn_id} created" in out
    assert "'Fivetran Connect Card' link" in out
    assert uri not in out
    assert token not in out
