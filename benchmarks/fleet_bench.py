"""Row 4: provision a fleet through the fleet DAG's own tasks while the simulator enforces create and setup-test limits.

``example_dags/spotify_ads_fleet.py`` is loaded from its file and its tasks run without a scheduler (see
``inproc.py``): the DAG's ``validate_spec`` callable (parse, plan, and the check of each entry's Airflow
connection) on a spec of N entries, then per entry one instance of the DAG's mapped ``provision`` group:
create, the deferrable setup-test wait, schedule and unpause, with the arguments the DAG gives them and the
entry's values resolved through Airflow's own task-group mapping. The spec is the example spec's
(``spotify_ads_fleet.yaml``) ``defaults`` and first entry, repeated N times with one schema each.

Entries run in a thread pool of the DAG's ``FLEET_PARALLELISM`` workers (its ``max_active_tis_per_dag``),
one entry's three tasks after each other per worker, each task a fresh copy of the DAG's task (so a fresh
hook and HTTP session), as separate task instances would have.

Each create runs setup tests, so it counts against ``setup_tests_per_minute``, and against the simulator's
opt-in ``creates_per_minute`` when set (``--creates``); over a limit the simulator answers 429 with
``Retry-After`` and the hook waits as told. The floor is what the limits allow at best: with N creates and
limits L1, L2 per window W, the last create cannot pass before ``max(ceil(N / L) - 1 for each L) * W``.

``run_fleet`` (one run of the DAG's tasks on a spec) is shared with row 2's fleet re-run (``fleet_rerun.py``).

Prints one JSON line: wall time, floor, failures, 429 answers, and the final state of every connection.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import requests
import yaml
from inproc import RETURN_VALUE, RecordingTI, XComStore, load_example_dag, run_dag_task, run_params

REPO = Path(__file__).resolve().parents[1]
SPEC_FILE = REPO / "example_dags" / "spotify_ads_fleet.yaml"
SCRATCH = REPO / ".bench" / "fleet"


def fleet_spec(count: int) -> dict[str, Any]:
    """The example spec's ``defaults``, and ``count`` copies of its first entry, each with its own schema."""
    example = yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))
    first = example["connections"][0]
    return {
        "version": example["version"],
        "defaults": example["defaults"],
        "connections": [
            {
                **first,
                "name": f"team-{i:04d}",
                "config": {**first["config"], "schema": f"spotify_ads_team_{i:04d}"},
            }
            for i in range(count)
        ],
    }


@dataclass
class FleetRun:
    """What one run of the fleet DAG's tasks did: wall time, entries, entries whose three tasks all ran, and
    the first problems (an exception, or a wait that deferred)."""

    elapsed_s: float
    entries: int
    done: int
    problems: list[str]


def run_fleet(fleet: ModuleType, spec: dict[str, Any], name: str = "fleet-spec") -> FleetRun:
    """One run of the fleet DAG (``fleet``, loaded by ``inproc.load_example_dag``) on ``spec``: its
    ``validate_spec`` callable, then per entry one instance of its mapped ``provision`` group (create, wait,
    schedule), ``FLEET_PARALLELISM`` entries at once, each task a fresh copy of the DAG's task."""
    dag = fleet.dag
    validate = dag.get_task("validate_spec")
    group = dag.task_group_dict["provision"].topological_sort()  # create, wait, schedule
    spec_path = SCRATCH / f"{name}.yaml"
    spec_path.parent.mkdir(parents=True, exist_ok=True)
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    params = run_params(dag, {"spec_path": str(spec_path)})
    store: XComStore = {}
    failures: list[str] = []

    def provision(map_index: int) -> bool:
        """One instance of the DAG's ``provision`` group: its tasks in order, with this map index."""
        try:
            for task in group:
                ti = RecordingTI(task.task_id, store, map_index)
                _, deferrals = run_dag_task(task, ti, params)
                if deferrals:
                    failures.append(f"entry {map_index}: {task.task_id} deferred {deferrals} time(s)")
            return True
        except Exception as exc:
            failures.append(f"entry {map_index}: {type(exc).__name__}: {exc}"[:500])
            return False

    started = time.monotonic()
    validate_ti = RecordingTI(validate.task_id, store)
    with contextlib.redirect_stdout(sys.stderr):  # the task's plan table, for its log; stdout is for JSON
        entries = validate.python_callable(params=params, ti=validate_ti)
    validate_ti.xcom_push(RETURN_VALUE, entries)
    with ThreadPoolExecutor(max_workers=fleet.FLEET_PARALLELISM) as pool:
        done = list(pool.map(provision, range(len(entries))))
    return FleetRun(time.monotonic() - started, len(entries), sum(done), failures[:5])


def floor_seconds(count: int, window: float, *limits: int | None) -> float:
    """The least time ``count`` creates can take under per-window ``limits`` (each create counts against
    every one): the last create cannot pass before ``(ceil(count / limit) - 1)`` windows of the tightest."""
    return max(((math.ceil(count / limit) - 1) * window for limit in limits if limit), default=0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the benchmark simulator")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--limit", type=int, required=True, help="setup tests per simulator minute")
    parser.add_argument("--creates", type=int, default=None, help="creates per simulator minute (None: off)")
    parser.add_argument("--window", type=float, required=True, help="wall seconds of the simulator's minute")
    args = parser.parse_args()

    os.environ["SPOTIFY_ADS_POKE_INTERVAL"] = "1"  # only used if a wait defers (it should not: happy path)
    fleet = load_example_dag("spotify_ads_fleet")
    spec = fleet_spec(args.count)
    run = run_fleet(fleet, spec)

    stats = requests.get(args.url + "/_bench/stats", timeout=60).json()
    sim_conns = requests.get(args.url + "/_sim/connections", timeout=60).json()["connections"]
    schedule = spec["defaults"]["schedule"]
    good = [
        c
        for c in sim_conns
        if c["status"]["setup_state"] == "connected"
        and c["paused"] is False
        and c["sync_frequency"] == schedule["sync_frequency"]
        and c["daily_sync_time"] == schedule["daily_sync_time"]
    ]
    floor = floor_seconds(args.count, args.window, args.limit, args.creates)
    print(
        json.dumps(
            {
                "count": args.count,
                "limit_per_window": args.limit,
                "creates_per_window": args.creates,
                "window_s": args.window,
                "parallelism": fleet.FLEET_PARALLELISM,
                "elapsed_s": run.elapsed_s,
                "floor_s": floor,
                "failures": args.count - run.done,
                "problems": run.problems,
                "connections": len(sim_conns),
                "provisioned_ok": len(good),
                "http_429": stats["by_status"].get("429", 0),
                "requests": stats["requests"],
                "by_route": stats["by_route"],
            }
        )
    )


if __name__ == "__main__":
    main()
