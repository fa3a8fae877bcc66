"""The provisioning DAG under a real scheduler, a real triggerer, and a triggerer restart mid-wait.

Airflow 3.3 runs a task through four processes, each started here in its own process group:
``airflow api-server`` (the Task Execution API that task processes talk to), ``airflow dag-processor``
(parses the DAG folder into the database), ``airflow scheduler`` (LocalExecutor: runs the tasks) and
``airflow triggerer`` (runs the triggers of deferred tasks). The DAG is unpaused and triggered with the CLI,
and progress is read from the SQLite database by polling with a deadline.

Spotify ad account access is held back when a run starts, so the setup sensor's first check fails and it
defers; access is granted (through the simulator's control API, as a Spotify admin would) only once the
trigger is running in the triggerer and has re-run the setup tests itself.

The runs use distinctive secrets (Fivetran API secret, Spotify client secret and refresh token): the last test
scans the log files the worker and the triggerer wrote, and the database, for them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fivetran_simulator import DEFAULT_API_KEY, SimulatorServer
from tests.e2e.homes import AirflowHome, components_env, make_home
from tests.e2e.request_log import connection_by_schema, created_ids, requests_to
from tests.helpers.credentials import CANARY, CANARY_ACCOUNTS, CANARY_FIVETRAN_API_SECRET, leaked_secrets
from tests.helpers.processes import free_port, wait_until
from tests.helpers.simulator import start_simulator
from tests.limits import HANG_GUARD

pytestmark = pytest.mark.e2e

DAG_ID = "spotify_ads_provisioning"
WAIT_TASK = "wait_for_setup_tests"
TERMINAL = frozenset({"success", "failed", "upstream_failed", "skipped", "removed"})
TRIGGER_CLASSPATH = "airflow_spotify_fivetran.triggers.fivetran.FivetranSetupTestsTrigger"
# What our trigger logs while it waits (triggers/fivetran.py logs the decision's reason).
TRIGGER_WAITING_LINE = "setup tests still failing, waiting for them to pass"


@dataclass
class Cluster:
    """The simulator, the home and the Airflow processes of this module."""

    sim: SimulatorServer
    home: AirflowHome

    def diagnostics(self) -> str:
        parts = [self.home.diagnostics(lines=25)]
        for path in self.home.log_files():
            if "dag_id=" in str(path):
                parts.append(f"--- {path.name} ---\n" + "\n".join(path.read_text().splitlines()[-15:]))
        return "\n".join(parts)


@pytest.fixture(scope="module")
def cluster(migrated_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    sim = start_simulator(
        clock="real",
        api_key=DEFAULT_API_KEY,
        api_secret=CANARY_FIVETRAN_API_SECRET,
        scenario={"spotify": CANARY.spotify_side(CANARY_ACCOUNTS[:1])},
    )
    port = free_port()
    home = make_home(
        tmp_path_factory.mktemp("scheduler-home"),
        migrated_db,
        sim,
        {"spotify_ads_credentials": CANARY},
        **components_env(port),
    )
    running = Cluster(sim, home)
    try:
        home.start_components(port)
        home.unpause_when_stored(DAG_ID)
        yield running
    finally:
        home.stop_all()
        sim.stop()


@dataclass
class Deferral:
    connection_id: str
    trigger_classpath: str
    triggerer_job_id: int


def deferred_in_triggerer(cluster: Cluster, run_id: str, schema: str) -> Deferral | None:
    """The wait task is deferred, a triggerer has its trigger, and that trigger has re-run the setup tests."""
    rows = cluster.home.query(
        "SELECT ti.state, t.classpath, t.triggerer_id FROM task_instance ti "
        "LEFT JOIN trigger t ON ti.trigger_id = t.id "
        "WHERE ti.dag_id = ? AND ti.run_id = ? AND ti.task_id = ?",
        (DAG_ID, run_id, WAIT_TASK),
    )
    if not rows or rows[0][0] != "deferred" or rows[0][2] is None:
        return None
    found = [c for c in cluster.sim.control.connections() if c["schema"] == schema]
    if not found:
        return None
    log = cluster.sim.control.requests()
    # One test run by the sensor in the worker before it deferred, then at least one by the trigger.
    if len(requests_to(log, "POST", f"/v1/connections/{found[0]['id']}/test")) < 2:
        return None
    # ... and the scheduler has heard from the executor that the try which deferred is over. The supervisor
    # may report that seconds after the deferral; if the trigger fired first, the scheduler would re-queue
    # the task and then read that stale "finished" event as the end of the queued try, failing it (an
    # Airflow race, not ours). Granting access only now keeps the trigger's success after that event.
    key = f"TaskInstanceKey(dag_id='{DAG_ID}', task_id='{WAIT_TASK}', run_id='{run_id}', try_number=1"
    events = [
        line
        for line in cluster.home.latest("scheduler").output().splitlines()
        if "Received executor event with state" in line and key in line
    ]
    if not events:
        return None
    return Deferral(found[0]["id"], rows[0][1], int(rows[0][2]))


def provision(
    cluster: Cluster, run_id: str, schema: str, while_deferred: Callable[[Deferral], None]
) -> tuple[dict[tuple[str, int], str | None], Deferral]:
    """Trigger a run with ad account access held back; call ``while_deferred`` once the trigger is running
    in the triggerer (it must grant access); wait for the run to end. Returns the task states."""
    cluster.sim.control.set_scenario({"spotify": CANARY.spotify_side(CANARY_ACCOUNTS[:1])})
    conf = {"group_id": cluster.sim.group_id, "schema": schema, "accounts": list(CANARY_ACCOUNTS)}
    cluster.home.airflow("dags", "trigger", DAG_ID, "--run-id", run_id, "--conf", json.dumps(conf))
    try:
        deferral = wait_until(
            lambda: deferred_in_triggerer(cluster, run_id, schema),
            timeout=HANG_GUARD,
            what=f"{WAIT_TASK} of {run_id} to defer and its trigger to run in the triggerer",
        )
        while_deferred(deferral)

        def finished() -> dict[tuple[str, int], str | None] | None:
            states = cluster.home.task_states(DAG_ID, run_id)
            done = len(states) == 4 and all(s in TERMINAL for s in states.values())
            return states if done else None

        states = wait_until(finished, timeout=HANG_GUARD, what=f"{run_id} to finish")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{cluster.diagnostics()}") from None
    return states, deferral


def grant_access(cluster: Cluster) -> None:
    cluster.sim.control.set_scenario({"spotify": CANARY.spotify_side(CANARY_ACCOUNTS)})


def trigger_logs(cluster: Cluster, run_id: str) -> dict[int, str]:
    """``{triggerer job id: text}`` of the wait task's trigger log files (``attempt=1.log.trigger.<id>.log``)."""
    folder = cluster.home.path / "logs" / f"dag_id={DAG_ID}" / f"run_id={run_id}" / f"task_id={WAIT_TASK}"
    return {
        int(path.name.split(".trigger.")[1].removesuffix(".log")): path.read_text()
        for path in sorted(folder.glob("attempt=1.log.trigger.*.log"))
    }


def task_log(cluster: Cluster, run_id: str, task_id: str) -> str:
    path = cluster.home.path / "logs" / f"dag_id={DAG_ID}" / f"run_id={run_id}" / f"task_id={task_id}"
    return (path / "attempt=1.log").read_text()


def job_type(cluster: Cluster, job_id: int) -> str | None:
    rows = cluster.home.query("SELECT job_type FROM job WHERE id = ?", (job_id,))
    return rows[0][0] if rows else None


def assert_provisioned(
    cluster: Cluster, states: dict[tuple[str, int], str | None], run_id: str, schema: str
) -> Any:
    assert states == {
        ("check_inputs", -1): "success",
        ("create_connection", -1): "success",
        (WAIT_TASK, -1): "success",
        ("schedule_and_unpause", -1): "success",
    }, cluster.diagnostics()
    # Resumed after the trigger, not retried: still the first try.
    assert cluster.home.query(
        "SELECT try_number FROM task_instance WHERE dag_id = ? AND run_id = ? AND task_id = ?",
        (DAG_ID, run_id, WAIT_TASK),
    ) == [(1,)]
    conn = connection_by_schema(cluster.sim, schema)
    assert conn["status"]["setup_state"] == "connected"
    assert (conn["sync_frequency"], conn["daily_sync_time"], conn["paused"]) == (1440, "06:00", False)
    assert created_ids(cluster.sim.control.requests(), schema) == [conn["id"]]  # created once
    return conn


def test_scheduler_runs_the_dag_and_the_wait_runs_in_the_triggerer(cluster: Cluster) -> None:
    run_id = "e2e_scheduler"
    states, deferral = provision(cluster, run_id, "spotify_ads_sched", lambda _: grant_access(cluster))

    assert_provisioned(cluster, states, run_id, "spotify_ads_sched")
    assert deferral.trigger_classpath == TRIGGER_CLASSPATH
    assert job_type(cluster, deferral.triggerer_job_id) == "TriggererJob"
    # The trigger's own log line, written by the triggerer process into the task's trigger log.
    logs = trigger_logs(cluster, run_id)
    assert list(logs) == [deferral.triggerer_job_id]
    text = logs[deferral.triggerer_job_id]
    assert TRIGGER_WAITING_LINE in text
    assert f"setup tests of {deferral.connection_id} passed" in text
    # The worker deferred, then resumed in execute_complete and succeeded.
    worker = task_log(cluster, run_id, WAIT_TASK)
    assert "deferring (poll every 1 s" in worker
    assert "Pausing task as DEFERRED" in worker
    assert worker.index("deferring (poll every") < worker.rindex(
        f"setup tests of {deferral.connection_id} passed"
    )


def test_a_triggerer_restart_during_the_wait_loses_nothing_and_creates_nothing_twice(
    cluster: Cluster,
) -> None:
    run_id = "e2e_triggerer_restart"
    schema = "spotify_ads_restart"
    seen: dict[str, Any] = {}

    def restart_triggerer(deferral: Deferral) -> None:
        cluster.home.latest("triggerer").stop()
        assert not cluster.home.latest("triggerer").running
        seen["state_while_down"] = cluster.home.task_states(DAG_ID, run_id)[(WAIT_TASK, -1)]
        grant_access(cluster)  # granted while no triggerer runs: the next one must notice
        cluster.home.start("triggerer", "triggerer")

    states, deferral = provision(cluster, run_id, schema, restart_triggerer)

    conn = assert_provisioned(cluster, states, run_id, schema)
    assert seen["state_while_down"] == "deferred"
    logs = trigger_logs(cluster, run_id)
    assert len(logs) == 2, f"expected the trigger to run in two triggerer jobs, got {sorted(logs)}"
    first, second = sorted(logs)
    assert first == deferral.triggerer_job_id
    assert {job_type(cluster, first), job_type(cluster, second)} == {"TriggererJob"}
    assert TRIGGER_WAITING_LINE in logs[first]
    assert f"setup tests of {conn['id']} passed" in logs[second]
    log = cluster.sim.control.requests()
    changed = [e for e in log if e["method"] in ("PATCH", "DELETE") and conn["id"] in e["path"]]
    assert len(changed) == 1  # the schedule, once
    assert len([c for c in cluster.sim.control.connections() if c["schema"] == schema]) == 1


def test_no_secret_in_worker_or_triggerer_logs_or_the_database(cluster: Cluster) -> None:
    run_id = "e2e_canary_logs"
    states, _ = provision(cluster, run_id, "spotify_ads_canary_logs", lambda _: grant_access(cluster))
    assert_provisioned(cluster, states, run_id, "spotify_ads_canary_logs")

    files = cluster.home.log_files() + [p.output_file for p in cluster.home.processes]
    run_logs = [p for p in files if f"run_id={run_id}" in str(p)]
    assert {p.name for p in run_logs} >= {"attempt=1.log"}
    assert any(".trigger." in p.name for p in run_logs)
    assert any(TRIGGER_WAITING_LINE in p.read_text() for p in run_logs)  # the scan reads real log lines
    leaks = {str(p): leaked_secrets(p.read_bytes()) for p in files if leaked_secrets(p.read_bytes())}
    assert leaks == {}
    raw = b"".join(p.read_bytes() for p in sorted(cluster.home.path.glob("airflow.db*")) if p.is_file())
    assert b"spotify_ads_canary_logs" in raw
    assert leaked_secrets(raw) == []
