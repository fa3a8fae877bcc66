"""Deferred sync waits of one group share one list poll in a real triggerer, and survive its SIGKILL.

A DAG maps ``FivetranSyncOperator(wait_for_completion=True, deferrable=True)`` over four connections of one
group, under a real scheduler and triggerer (the helpers of ``test_scheduler``). Once the four waits are
deferred and polling, the triggerer is killed with SIGKILL (no graceful release of its triggers), the syncs
end on the simulator's manual clock while no triggerer runs, and a new triggerer takes the triggers over. All
four waits complete, each task once, each sync requested once, and the triggers read the group's list
rather than each its own connection.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fivetran_simulator import SimulatorServer
from tests.e2e.homes import AirflowHome, components_env, make_home
from tests.e2e.request_log import requests_to
from tests.helpers.processes import free_port, wait_until
from tests.helpers.simulator import SimulatorHttp, start_simulator
from tests.limits import HANG_GUARD
from tests.payloads import connection_request

pytestmark = pytest.mark.e2e

DAG_ID = "group_sync_waits"
TASK = "sync"
WAITS = 4
TERMINAL = frozenset({"success", "failed", "upstream_failed", "skipped", "removed"})
TRIGGER_CLASSPATH = "airflow_spotify_fivetran.triggers.fivetran.FivetranSyncTrigger"
DAG_FILE = f'''
from datetime import datetime

from airflow.sdk import DAG, task

from airflow_spotify_fivetran.operators import FivetranSyncOperator

with DAG("{DAG_ID}", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):

    @task
    def connection_ids(**context):
        return context["params"]["connection_ids"]

    FivetranSyncOperator.partial(
        task_id="{TASK}", wait_for_completion=True, deferrable=True, poll_interval=1, timeout=600
    ).expand(connection_id=connection_ids())
'''


class Cluster:
    def __init__(self, sim: SimulatorServer, home: AirflowHome) -> None:
        self.sim = sim
        self.home = home

    def diagnostics(self) -> str:
        parts = [self.home.diagnostics(lines=25)]
        for path in self.home.log_files():
            if f"dag_id={DAG_ID}" in str(path):
                parts.append(f"--- {path} ---\n" + "\n".join(path.read_text().splitlines()[-15:]))
        return "\n".join(parts)


@pytest.fixture(scope="module")
def cluster(migrated_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    sim = start_simulator()  # the manual clock: a sync ends when the test moves it
    dags = tmp_path_factory.mktemp("group-waits-dags")
    (dags / "group_sync_waits.py").write_text(DAG_FILE)
    port = free_port()
    home = make_home(
        tmp_path_factory.mktemp("group-waits-home"),
        migrated_db,
        sim,
        None,  # the demo Spotify credentials
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        **components_env(port, parallelism=8),
        # A killed triggerer's triggers go to a live one once its heartbeat is this old (default 30 s).
        AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC="1",
        AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD="10",
    )
    running = Cluster(sim, home)
    try:
        home.start_components(port)
        home.unpause_when_stored(DAG_ID)
        yield running
    finally:
        home.stop_all()
        sim.stop()


def deferred_rows(cluster: Cluster, run_id: str) -> list[tuple[Any, ...]]:
    return cluster.home.query(
        "SELECT ti.map_index, ti.state, t.classpath, t.triggerer_id FROM task_instance ti "
        "LEFT JOIN trigger t ON ti.trigger_id = t.id WHERE ti.dag_id = ? AND ti.run_id = ? AND ti.task_id = ?",
        (DAG_ID, run_id, TASK),
    )


def all_polling(cluster: Cluster, run_id: str) -> list[tuple[Any, ...]] | None:
    """Every wait deferred and held by a triggerer, its trigger polling the group, and the scheduler told
    that each try which deferred is over (see ``test_scheduler.deferred_in_triggerer``)."""
    rows = deferred_rows(cluster, run_id)
    ended = [r for r in rows if r[1] in TERMINAL]
    if ended:
        raise AssertionError(f"waits ended before deferring: {ended}")
    if len(rows) != WAITS or any(r[1] != "deferred" or r[3] is None for r in rows):
        return None
    polls = requests_to(cluster.sim.control.requests(), "GET", "/v1/connections")
    if not polls:
        return None
    scheduler = cluster.home.latest("scheduler").output()
    for index in range(WAITS):
        key = f"task_id='{TASK}', run_id='{run_id}', try_number=1, map_index={index})"
        if not any(
            "Received executor event with state" in line and key in line for line in scheduler.splitlines()
        ):
            return None
    return rows


def kill(process: Any) -> None:
    os.killpg(process.popen.pid, signal.SIGKILL)
    process.popen.wait(timeout=30)


def test_waits_sharing_a_group_poll_survive_a_killed_triggerer(cluster: Cluster) -> None:
    sim, home, run_id = cluster.sim, cluster.home, "group_waits_restart"
    http = SimulatorHttp.of(sim)
    created = [
        http.post(
            "/v1/connections",
            json=connection_request(f"spotify_group_wait_{i}", schedule_type="manual", run_setup_tests=True),
        )
        for i in range(WAITS)
    ]
    http.close()
    assert {response.status_code for response in created} == {201}
    conn_ids = [str(response.json()["data"]["id"]) for response in created]
    sim.control.set_scenario({"sync": {"duration_seconds": 600}})
    sim.control.clear_requests()

    home.airflow(
        "dags", "trigger", DAG_ID, "--run-id", run_id, "--conf", json.dumps({"connection_ids": conn_ids})
    )
    try:
        rows = wait_until(
            lambda: all_polling(cluster, run_id), timeout=HANG_GUARD, what="the four waits to defer and poll"
        )
        first_triggerer = {r[3] for r in rows}
        kill(home.latest("triggerer"))
        killed_at = max(e["seq"] for e in sim.control.requests())
        while_down = {r[0]: r[1] for r in deferred_rows(cluster, run_id)}
        sim.control.advance_clock(600)  # every sync ends while no triggerer runs
        home.start("triggerer", "triggerer")

        def finished() -> dict[tuple[str, int], str | None] | None:
            states = home.task_states(DAG_ID, run_id)
            done = len(states) == WAITS + 1 and all(s in TERMINAL for s in states.values())
            return states if done else None

        states = wait_until(finished, timeout=HANG_GUARD, what=f"{run_id} to finish")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{cluster.diagnostics()}") from None

    assert states == {("connection_ids", -1): "success", **{(TASK, i): "success" for i in range(WAITS)}}, (
        cluster.diagnostics()
    )
    assert while_down == dict.fromkeys(range(WAITS), "deferred")
    assert {r[2] for r in rows} == {TRIGGER_CLASSPATH}
    assert len(first_triggerer) == 1
    # Resumed from their triggers' events, once each: still the first try, one sync request each.
    tries = home.query(
        "SELECT map_index, try_number FROM task_instance WHERE dag_id = ? AND run_id = ? AND task_id = ?",
        (DAG_ID, run_id, TASK),
    )
    assert sorted(tries) == [(i, 1) for i in range(WAITS)]
    log = sim.control.requests()
    assert sorted(e["path"] for e in requests_to(log, "POST", "/sync")) == sorted(
        f"/v1/connections/{c}/sync" for c in conn_ids
    )
    assert requests_to(log, "POST", "/v1/connections") == []  # nothing created
    # The workers read each connection twice (the baseline, the look before deferring); the triggers, of
    # both triggerers, read the group's list only.
    for conn_id in conn_ids:
        assert len(requests_to(log, "GET", f"/v1/connections/{conn_id}")) == 2
    polls = requests_to(log, "GET", "/v1/connections")
    assert {e["query"].get("group_id") for e in polls} == {sim.group_id}
    after_kill = [(e["method"], e["path"]) for e in log if e["seq"] > killed_at]
    assert after_kill, "the new triggerer sent nothing"
    assert set(after_kill) == {("GET", "/v1/connections")}  # the new triggerer's triggers share the poll too
    for index, conn_id in enumerate(conn_ids):
        assert home.xcom(DAG_ID, TASK, map_index=index)["connection_id"] == conn_id
        folder = (
            home.path
            / "logs"
            / f"dag_id={DAG_ID}"
            / f"run_id={run_id}"
            / f"task_id={TASK}"
            / f"map_index={index}"
        )
        trigger_logs = sorted(folder.glob("attempt=1.log.trigger.*.log"))
        assert len(trigger_logs) == 2, f"expected the trigger in two triggerer jobs, got {trigger_logs}"
        assert (
            f"sync of {conn_id} succeeded"
            in "".join(p.read_text() for p in trigger_logs) + (folder / "attempt=1.log").read_text()
        )
