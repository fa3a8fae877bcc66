"""OpenLineage of the sync, re-sync and sync-sensor tasks, and the asset events of a successful sync.

Lineage: the datasets a real sync task reports after a ``dag.test()`` run against the simulator (the ad
accounts' reports in, the destination tables out, in the destination's namespace read once and cached),
and that a run with OpenLineage disabled (no transport configured, as here) makes no lineage call.
Assets: a sync task with ``outlets`` puts the sync's facts on the asset event Airflow records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from airflow.sdk import DAG, Asset

from airflow_spotify_fivetran.lineage import (
    DatasetName,
    DestinationPlace,
    destination_place,
    forget_destinations,
    lineage_datasets,
)
from airflow_spotify_fivetran.models import Connection
from airflow_spotify_fivetran.operators import FivetranResyncOperator, FivetranSyncOperator
from airflow_spotify_fivetran.sensors.fivetran import FivetranSyncSensor
from fivetran_simulator import DEFAULT_GROUP_ID, DEMO_ACCOUNTS
from tests.payloads import full_request
from tests.tasks.dag_runs import DagOutcome
from tests.tasks.sim import Sim

SCHEMA = "spotify_lineage"
TABLES = ("campaign_daily", "ad_hourly")  # full_request's reports
DESTINATION = ("GET", f"/v1/destinations/{DEFAULT_GROUP_ID}")
# The simulator's destination: PostgreSQL, database named after the group (simulator/destinations.py).
OUTPUTS = [
    DatasetName("postgres://warehouse.simulator.invalid:5432", f"{DEFAULT_GROUP_ID}.{SCHEMA}.{table}")
    for table in TABLES
]
INPUTS = [DatasetName(f"spotify-ads://{account}", table) for account in DEMO_ACCOUNTS for table in TABLES]


@pytest.fixture(autouse=True)
def _fresh_destination_cache() -> Iterator[None]:
    forget_destinations()
    yield
    forget_destinations()


@pytest.fixture
def conn_id(sim: Sim) -> str:
    """A manual-schedule connection with two reports of two listed accounts, synced once."""
    conn_id = sim.create(SCHEMA, schedule_type="manual", config=full_request(SCHEMA)["config"])
    sim.complete_sync(conn_id)
    return conn_id


def finish_sync_on_third_read(sim: Sim, conn_id: str) -> None:
    # reads: 1 baseline, 2 first check (syncing), 3 first poll (syncing): then the sync ends.
    sim.on_request("GET", f"/v1/connections/{conn_id}", 3, lambda: sim.control.advance_clock(60))


def names(datasets: list[Any]) -> list[DatasetName]:
    return [DatasetName(d.namespace, d.name) for d in datasets]


def connection(config: dict[str, Any]) -> Connection:
    return Connection.model_validate(
        {
            "id": "c1",
            "group_id": "g1",
            "service": "spotify_ads",
            "schema": "ads",
            "config": config,
            "status": {"setup_state": "connected", "sync_state": "scheduled"},
        }
    )


# -- the rule ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("destination", "place"),
    [
        (
            {"service": "postgres_rds_warehouse", "config": {"host": "DB.example.com", "database": "dw"}},
            DestinationPlace("postgres://db.example.com:5432", "dw."),
        ),
        (
            {"service": "snowflake", "config": {"host": "xy123.snowflakecomputing.com", "database": "RAW"}},
            DestinationPlace("snowflake://xy123", "RAW."),
        ),
        ({"service": "big_query", "config": {"project_id": "acme"}}, DestinationPlace("bigquery", "acme.")),
        (
            {"service": "mysql_warehouse", "config": {"host": "m", "port": 3307}},
            DestinationPlace("mysql://m:3307"),
        ),
        (
            {"id": "g1", "group_id": "g1", "service": "databricks", "config": {}},
            DestinationPlace("fivetran://g1"),
        ),
        (
            {"group_id": "g1", "service": "postgres_warehouse", "config": {}},
            DestinationPlace("fivetran://g1"),
        ),
    ],
    ids=["postgres", "snowflake", "bigquery", "mysql", "unknown-service", "no-host"],
)
def test_a_destination_gives_the_openlineage_namespace_of_its_warehouse(
    destination: dict[str, Any], place: DestinationPlace
) -> None:
    assert destination_place(destination) == place


def test_listed_accounts_are_inputs_and_each_report_is_an_output_table() -> None:
    config = {
        "sync_mode": "SPECIFIC_ACCOUNTS",
        "accounts": ["a1", "a2"],
        "report_list": [{"table": "t1"}, {"table": "t2"}],
    }
    inputs, outputs = lineage_datasets(connection(config), DestinationPlace("postgres://h:5432", "dw."))

    assert inputs == [
        DatasetName("spotify-ads://a1", "t1"),
        DatasetName("spotify-ads://a1", "t2"),
        DatasetName("spotify-ads://a2", "t1"),
        DatasetName("spotify-ads://a2", "t2"),
    ]
    assert outputs == [
        DatasetName("postgres://h:5432", "dw.ads.t1"),
        DatasetName("postgres://h:5432", "dw.ads.t2"),
    ]


def test_all_accounts_is_one_input_namespace_and_no_reports_is_no_lineage() -> None:
    config = {"sync_mode": "ALL_ACCOUNTS", "accounts": ["ignored"], "report_list": [{"table": "t1"}]}
    inputs, _ = lineage_datasets(connection(config), DestinationPlace("x"))
    assert inputs == [DatasetName("spotify-ads://all-accounts", "t1")]

    assert lineage_datasets(connection({"sync_mode": "ALL_ACCOUNTS"}), DestinationPlace("x")) == ([], [])


# -- the tasks ---------------------------------------------------------------------------------------------


def test_a_sync_run_reports_the_accounts_reports_in_and_the_destination_tables_out(
    sim: Sim, conn_id: str, run_dag: Callable[[DAG], DagOutcome], dag_id: str
) -> None:
    finish_sync_on_third_read(sim, conn_id)
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        task = FivetranSyncOperator(
            task_id="sync",
            group_id=DEFAULT_GROUP_ID,
            schema=SCHEMA,
            wait_for_completion=True,
            poll_interval=0.1,
        )
    assert run_dag(dag).task_states == {"sync": "success"}
    sim.control.clear_requests()

    lineage = task.get_openlineage_facets_on_complete(None)
    again = task.get_openlineage_facets_on_complete(None)

    assert names(lineage.inputs) == INPUTS
    assert names(lineage.outputs) == OUTPUTS
    assert names(again.outputs) == OUTPUTS
    assert sim.calls().count(DESTINATION) == 1  # read once, then cached


def test_the_resync_operator_and_the_sync_sensor_report_the_same_datasets(sim: Sim, conn_id: str) -> None:
    resync = FivetranResyncOperator(task_id="resync", connection_id=conn_id)
    sensor = FivetranSyncSensor(task_id="wait", group_id=DEFAULT_GROUP_ID, schema=SCHEMA)

    for task in (resync, sensor):
        lineage = task.get_openlineage_facets_on_complete(None)
        assert names(lineage.inputs) == INPUTS
        assert names(lineage.outputs) == OUTPUTS


def test_with_openlineage_disabled_a_sync_run_makes_no_lineage_call(
    sim: Sim, conn_id: str, run_dag: Callable[[DAG], DagOutcome], dag_id: str
) -> None:
    from airflow.providers.openlineage import conf

    assert conf.is_disabled()  # no transport configured: the provider calls nothing
    finish_sync_on_third_read(sim, conn_id)
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        FivetranSyncOperator(
            task_id="sync", connection_id=conn_id, wait_for_completion=True, poll_interval=0.1
        )

    assert run_dag(dag).task_states == {"sync": "success"}
    assert DESTINATION not in sim.calls()
    # baseline, first check, two polls: no read of the connection for lineage either
    assert sim.calls().count(("GET", f"/v1/connections/{conn_id}")) == 4


# -- assets ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("deferrable", [False, True], ids=["worker", "deferred"])
def test_a_successful_sync_puts_its_facts_on_the_outlet_asset_event(
    sim: Sim, conn_id: str, run_dag: Callable[[DAG], DagOutcome], dag_id: str, deferrable: bool
) -> None:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    asset = Asset(name=f"spotify_ads_{dag_id}", uri=f"fivetran://{DEFAULT_GROUP_ID}/{dag_id}")
    finish_sync_on_third_read(sim, conn_id)
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        FivetranSyncOperator(
            task_id="sync",
            connection_id=conn_id,
            wait_for_completion=True,
            deferrable=deferrable,
            poll_interval=0.1,
            outlets=[asset],
        )
    outcome = run_dag(dag)

    assert outcome.task_states == {"sync": "success"}
    with create_session() as session:
        events = session.scalars(
            select(AssetEvent)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .where(AssetModel.name == asset.name)
        ).all()
        extras = [dict(e.extra) for e in events]
    assert extras == [{"connection_id": conn_id, "succeeded_at": outcome.xcom("sync")["succeeded_at"]}]
    assert extras[0]["succeeded_at"] is not None
