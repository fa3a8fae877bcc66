"""The fleet DAG on a production-shaped Airflow: CeleryExecutor with two workers (two slots each), PostgreSQL,
Redis, api-server, scheduler, dag-processor, triggerer, and the Fivetran simulator.

Run by ``make test-distributed`` (part of ``make test``). The tests share one cluster and run in file order; each
step is bounded in time, and the figures (time per step, API calls per entry, triggerer memory per deferred
wait) are printed at the end.
"""

from __future__ import annotations

import json
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from fivetran_simulator import DEFAULT_API_KEY, DEMO_ACCOUNTS
from tests.distributed.cluster import Cluster, Postgres, Redis, descendants, sigkill_tree, timed
from tests.helpers.credentials import (
    CANARY,
    CANARY_FIVETRAN_API_SECRET,
    CANARY_SECRETS,
    DEMO,
    SpotifyCredentials,
)
from tests.helpers.processes import wait_until
from tests.helpers.simulator import start_simulator

DAG_ID = "spotify_ads_fleet"
HEALTHY, STUCK = 16, 4
#: Credentials whose token reaches the late ad account only once a Spotify admin grants it.
LATE = SpotifyCredentials("late-client-id", "late-client-secret-0d1e", "late-refresh-token-7c2b")
LATE_ACCOUNT = "late-ad-account-1"
FIGURES: dict[str, float] = {}


def spotify_side(late_granted: bool) -> dict[str, Any]:
    demo, late, canary = (
        DEMO.spotify_side(DEMO_ACCOUNTS),
        LATE.spotify_side([LATE_ACCOUNT] if late_granted else []),
        CANARY.spotify_side(DEMO_ACCOUNTS),
    )
    return {
        "clients": {**demo["clients"], **late["clients"], **canary["clients"]},
        "tokens": {**demo["tokens"], **late["tokens"], **canary["tokens"]},
    }


def fleet_spec(path: Path, prefix: str, healthy: int, stuck: int) -> Path:
    """A spec of ``stuck`` entries waiting for late access (listed first, so they start first) and ``healthy``
    ones that pass at once."""
    entries = [
        {
            "name": f"{prefix}_late_{i}",
            "spotify_conn_id": "spotify_late",
            "config": {"schema": f"{prefix}_late_{i}", "accounts": [LATE_ACCOUNT]},
        }
        for i in range(stuck)
    ] + [
        {"name": f"{prefix}_{i}", "config": {"schema": f"{prefix}_{i}", "accounts": [DEMO_ACCOUNTS[i % 2]]}}
        for i in range(healthy)
    ]
    spec = {
        "version": 1,
        "defaults": {
            "group_id": "demo_warehouse",
            "spotify_conn_id": "spotify_canary",
            "config": {
                "sync_mode": "SPECIFIC_ACCOUNTS",
                "report_list": [
                    {
                        "table": "campaign_daily",
                        "dimension": "CAMPAIGN",
                        "granularity": "DAY",
                        "fields": ["SPEND"],
                    }
                ],
            },
            "schedule": {"sync_frequency": 1440, "daily_sync_time": "06:00", "time_zone": "UTC"},
        },
        "connections": entries,
    }
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    work = tmp_path_factory.mktemp("distributed")
    sim = start_simulator(
        clock="real",
        api_key=DEFAULT_API_KEY,
        api_secret=CANARY_FIVETRAN_API_SECRET,
        scenario={"spotify": spotify_side(late_granted=False)},
    )
    postgres, redis = Postgres(work), Redis(work)
    running: Cluster | None = None
    # A SIGTERM (a CI time limit) unwinds like Ctrl-C, so the servers below are still stopped.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with timed(FIGURES, "start PostgreSQL and Redis"):
            postgres.start()
            redis.start()
        running = Cluster(
            work / "airflow-home",
            postgres,
            redis,
            {
                "AIRFLOW_CONN_FIVETRAN_DEFAULT": sim.airflow_conn_json,
                "AIRFLOW_CONN_SPOTIFY_CANARY": CANARY.airflow_conn(),
                "AIRFLOW_CONN_SPOTIFY_LATE": LATE.airflow_conn(),
                "SPOTIFY_ADS_POKE_INTERVAL": "2",
                "SPOTIFY_ADS_RETRY_DELAY": "2",
                # A lost worker's tasks are noticed after 30 s without a heartbeat, not Airflow's default 300 s.
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "30",
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
            },
        )
        running.sim = sim  # type: ignore[attr-defined]
        (work / "airflow-home").mkdir()
        with timed(FIGURES, "airflow db migrate (PostgreSQL)"):
            running.airflow("db", "migrate", timeout=300)
        with timed(FIGURES, "start Airflow (api-server, dag-processor, scheduler, triggerer, 2 workers)"):
            running.start_worker("worker-1")
            running.start_worker("worker-2")
            running.start_components(running.api_port, timeout=180)
            wait_until(
                lambda: postgres.query("SELECT 1 FROM serialized_dag WHERE dag_id = %s", (DAG_ID,)),
                timeout=180,
                what="the DAG processor to store the fleet DAG",
            )
            running.airflow("dags", "unpause", DAG_ID)
        triggerer = next(p for p in running.processes if p.name == "triggerer")
        FIGURES["triggerer RSS with no wait (MiB)"] = rss_mib(triggerer.popen.pid)
        yield running
    finally:
        if running is not None:
            running.stop_all()
        redis.stop()
        postgres.stop()
        sim.stop()
        signal.signal(signal.SIGTERM, previous)
        print("\nDistributed end-to-end figures:")
        for step, value in FIGURES.items():
            print(f"  {step}: {value:.1f}")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def sim_of(cluster: Cluster) -> Any:
    return cluster.sim  # type: ignore[attr-defined]


def connections_by_schema(cluster: Cluster) -> Counter[str]:
    return Counter(c["schema"] for c in sim_of(cluster).control.connections())


def states_of(cluster: Cluster, run_id: str, task: str) -> list[tuple[str | None, int]]:
    return [
        v for (task_id, _), v in cluster.task_states(DAG_ID, run_id).items() if task_id == f"provision.{task}"
    ]


def test_healthy_entries_never_wait_on_stuck_ones_and_a_triggerer_kill_loses_no_wait(
    cluster: Cluster, tmp_path: Path
) -> None:
    sim = sim_of(cluster)
    spec = fleet_spec(tmp_path / "fleet.yaml", "fleet", HEALTHY, STUCK)
    sim.control.clear_requests()
    with timed(FIGURES, f"fleet of {HEALTHY + STUCK}: healthy entries scheduled (s)"):
        cluster.trigger(DAG_ID, "fleet_1", json.dumps({"spec_path": str(spec)}))
        try:
            wait_until(
                lambda: (
                    sum(s == ("success", 1) for s in states_of(cluster, "fleet_1", "schedule_and_unpause"))
                    == HEALTHY
                ),
                timeout=300,
                what=f"all {HEALTHY} healthy entries to be scheduled while {STUCK} wait for access",
                interval=2,
            )
        except AssertionError as exc:
            raise AssertionError(
                f"{exc}\n{cluster.task_states(DAG_ID, 'fleet_1')}\n{cluster.diagnostics()}"
            ) from None
    waits = states_of(cluster, "fleet_1", "wait_for_setup_tests")
    assert sorted(waits).count(("deferred", 1)) == STUCK, waits

    # Memory of the triggerer per deferred wait: its resident size with the stuck waits deferred.
    triggerer = next(p for p in cluster.processes if p.name == "triggerer")
    FIGURES[f"triggerer RSS with {STUCK} deferred waits (MiB)"] = rss_mib(triggerer.popen.pid)
    FIGURES["triggerer memory per deferred wait (MiB)"] = (
        FIGURES[f"triggerer RSS with {STUCK} deferred waits (MiB)"]
        - FIGURES["triggerer RSS with no wait (MiB)"]
    ) / STUCK

    with timed(FIGURES, "triggerer SIGKILL and restart, waits resumed (s)"):
        sigkill_tree(triggerer)
        cluster.start("triggerer", "triggerer")
        sim.control.set_scenario({"spotify": spotify_side(late_granted=True)})
        assert cluster.wait_for_run(DAG_ID, "fleet_1", timeout=240) == "success", cluster.diagnostics()
    # Every wait completed at its first try: the restart lost none of them.
    assert set(states_of(cluster, "fleet_1", "wait_for_setup_tests")) == {("success", 1)}
    assert connections_by_schema(cluster) == Counter({s: 1 for s in connections_by_schema(cluster)})
    assert len(connections_by_schema(cluster)) == HEALTHY + STUCK
    log = sim.control.requests()
    FIGURES["fleet_1 API calls per entry"] = len(log) / (HEALTHY + STUCK)


def test_an_unchanged_rerun_writes_nothing(cluster: Cluster, tmp_path: Path) -> None:
    sim = sim_of(cluster)
    spec = fleet_spec(tmp_path / "fleet.yaml", "fleet", HEALTHY, STUCK)
    sim.control.clear_requests()
    with timed(FIGURES, "unchanged re-run (s)"):
        cluster.trigger(DAG_ID, "fleet_rerun", json.dumps({"spec_path": str(spec)}))
        assert cluster.wait_for_run(DAG_ID, "fleet_rerun", timeout=300) == "success", cluster.diagnostics()
    log = sim.control.requests()
    assert [f"{e['method']} {e['path']}" for e in log if e["method"] != "GET"] == []
    FIGURES["unchanged re-run API calls per entry"] = len(log) / (HEALTHY + STUCK)


def test_a_worker_killed_with_creates_in_flight_still_gives_one_connection_per_entry(
    cluster: Cluster, tmp_path: Path
) -> None:
    sim = sim_of(cluster)
    entries = 8
    spec = fleet_spec(tmp_path / "fleet.yaml", "killed", entries, 0)
    sim.control.clear_requests()
    # Creates take effect at once but answer only after 20 s: the worker dies while they are in flight.
    sim.control.add_fault("POST /v1/connections", "delay", count=entries, seconds=20, apply=True)
    worker = next(p for p in cluster.processes if p.name == "worker-1")
    with timed(FIGURES, "worker SIGKILL with creates in flight, recovered by retries (s)"):
        cluster.trigger(DAG_ID, "killed_1", json.dumps({"spec_path": str(spec)}))
        wait_until(
            lambda: sum(s == "killed" for s in [c["schema"][:6] for c in sim.control.connections()]) >= 2,
            timeout=180,
            what="creates to reach Fivetran",
        )
        killed = sigkill_tree(worker)
        assert len(killed) > 1, "the worker had no task runners to kill"
        cluster.start_worker("worker-1")
        assert cluster.wait_for_run(DAG_ID, "killed_1", timeout=360) == "success", cluster.diagnostics()
    created = Counter(c["schema"] for c in sim.control.connections() if c["schema"].startswith("killed_"))
    assert created == Counter({f"killed_{i}": 1 for i in range(entries)})
    retried = [s for s in states_of(cluster, "killed_1", "create_connection") if s[1] > 1]
    assert retried, "no create was retried: the kill hit no create in flight"


def test_deferred_waits_outlast_fivetrans_hourly_setup_test_limit(cluster: Cluster, tmp_path: Path) -> None:
    """Another client spent the hourly setup-test budget while our waits re-test: Fivetran answers their
    re-tests 429 with a ``Retry-After`` longer than the hook waits inside one call (120 s). The waits sleep
    it out in the triggerer and succeed at their first try once access arrives; none fails."""
    sim = sim_of(cluster)
    entries, budget, retry_after = 4, 12, 140
    spec = fleet_spec(tmp_path / "fleet.yaml", "limited", 0, entries)
    sim.control.set_scenario({"spotify": spotify_side(late_granted=False), "rate_limits": None})
    with timed(FIGURES, f"hourly setup-test limit spent mid-wait, {entries} waits outlast it (s)"):
        cluster.trigger(DAG_ID, "limited_1", json.dumps({"spec_path": str(spec)}))
        wait_until(
            lambda: states_of(cluster, "limited_1", "wait_for_setup_tests").count(("deferred", 1)) == entries,
            timeout=180,
            what=f"{entries} waits for late access to defer",
            interval=1,
        )
        stuck = [c["id"] for c in sim.control.connections() if c["schema"].startswith("limited_late_")]
        other = next(c["id"] for c in sim.control.connections() if c["schema"] == "fleet_0")
        # Hold the waits' re-tests off (503, retried by their hook after 3 s) while the budget is spent
        # by another client and the simulator's clock moves on, so that the first 429 they meet asks for
        # ``retry_after`` seconds, not for the hour.
        for conn_id in stuck:
            sim.control.add_fault(
                f"POST /v1/connections/{conn_id}/test", "error", status=503, retry_after=3, count=None
            )
        limits = {"all_per_hour": None, "setup_tests_per_minute": None, "setup_tests_per_hour": budget}
        sim.control.set_scenario({"rate_limits": limits})
        answers = [sim_post(sim, f"/v1/connections/{other}/test") for _ in range(budget + 1)]
        assert [a.status_code for a in answers] == [200] * budget + [429]
        sim.control.advance_clock(3600 - retry_after)
        sim.control.clear_faults()
        probe = sim_post(sim, f"/v1/connections/{other}/test")
        assert probe.status_code == 429
        assert 120 < int(probe.headers["Retry-After"]) <= retry_after
        sim.control.set_scenario({"spotify": spotify_side(late_granted=True)})
        assert cluster.wait_for_run(DAG_ID, "limited_1", timeout=360) == "success", cluster.diagnostics()
    assert set(states_of(cluster, "limited_1", "wait_for_setup_tests")) == {("success", 1)}
    limited = [
        e for e in sim.control.requests() if e["path"].endswith("/test") and e["path"].split("/")[3] in stuck
    ]
    assert {e["path"].split("/")[3] for e in limited if e["status"] == 429} == set(stuck)
    sim.control.set_scenario({"rate_limits": None})


def sim_post(sim: Any, path: str) -> requests.Response:
    """A request of another client of the same Fivetran account."""
    return requests.post(
        f"{sim.base_url}{path}", json={}, auth=(DEFAULT_API_KEY, CANARY_FIVETRAN_API_SECRET), timeout=10
    )


def test_no_secret_in_task_logs_the_database_or_redis(cluster: Cluster) -> None:
    texts = [p.read_bytes() for p in (cluster.home / "logs").rglob("*") if p.is_file()]
    texts += [p.output_file.read_bytes() for p in cluster.processes]
    texts.append(cluster.postgres.dump().encode())
    texts.append(cluster.redis.dump())
    leaks = [s for s in CANARY_SECRETS for text in texts if s.encode() in text]
    assert leaks == []
    FIGURES["files, tables and keys searched for secrets"] = len(texts)


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its descendants, in MiB."""
    total = 0
    for p in [pid, *descendants(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024
