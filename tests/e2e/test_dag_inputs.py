"""A bad input to an example DAG stops it before anything reaches Fivetran: the trigger form's schema refuses
what it can express, and the first task checks the rest with the package's models (real ``airflow dags test``
runs against the simulator)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fivetran_simulator import SimulatorServer
from tests.e2e.homes import AirflowHome

pytestmark = pytest.mark.e2e

SimulatorFactory = Callable[..., SimulatorServer]
HomeFactory = Callable[..., AirflowHome]


@pytest.mark.parametrize(
    ("dag_id", "conf", "named"),
    [
        # Passes the form (a well-formed zone name) but no whole UTC hour can express it: +05:30.
        ("spotify_ads_provisioning", {"time_zone": "Asia/Kolkata"}, "Asia/Kolkata"),
        ("spotify_ads_provisioning", {"time_zone": "Mars/Olympus_Mons"}, "Mars/Olympus_Mons"),
        ("spotify_ads_connect_card", {"time_zone": "Asia/Kolkata"}, "Asia/Kolkata"),
    ],
)
def test_a_bad_input_fails_the_first_task_and_nothing_reaches_fivetran(
    simulator_factory: SimulatorFactory,
    airflow_home_factory: HomeFactory,
    dag_id: str,
    conf: dict[str, Any],
    named: str,
) -> None:
    sim = simulator_factory(clock="manual")
    home = airflow_home_factory(sim)

    run = home.dags_test(dag_id, conf)

    assert run.returncode != 0
    states = home.task_states(dag_id)
    assert states[("check_inputs", -1)] == "failed"
    assert states[("create_connection", -1)] == "upstream_failed"
    assert named in run.output
    assert sim.control.requests() == []


@pytest.mark.parametrize(
    "conf",
    [
        {"daily_sync_time": "14:30"},  # Fivetran syncs daily on whole hours only
        {"accounts": []},  # SPECIFIC_ACCOUNTS needs at least one
        {"schema": "Spotify Ads"},
    ],
    ids=["half-hour", "no-accounts", "schema-with-space"],
)
def test_the_trigger_form_refuses_what_its_schema_expresses(
    simulator_factory: SimulatorFactory, airflow_home_factory: HomeFactory, conf: dict[str, Any]
) -> None:
    sim = simulator_factory(clock="manual")
    home = airflow_home_factory(sim)

    run = home.dags_test("spotify_ads_provisioning", conf)

    assert run.returncode != 0
    assert home.task_states("spotify_ads_provisioning") == {}  # no task ran
    assert next(iter(conf)) in run.output
    assert sim.control.requests() == []
