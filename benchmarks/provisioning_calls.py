"""Row 2: API calls of a fresh provisioning and of an unchanged re-run, from the simulator's request log.

The tasks of ``example_dags/spotify_ads_provisioning.py`` (create, wait for setup tests, schedule and
unpause), loaded from that file and run in order through their ``execute`` paths in this process (see
``inproc.py``): their templates rendered with the DAG's params (the simulator's group and ad accounts, a
benchmark schema), their XComs passed as in the DAG. The simulator's default scenario lets the demo
credentials pass every setup test (the happy path). Then a second run of the same DAG.

Prints one JSON line: the calls of each run, by ``METHOD path``.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

from inproc import RecordingTI, XComStore, load_example_dag, run_dag_task, run_params

from fivetran_simulator import (
    DEFAULT_GROUP_ID,
    DEMO_ACCOUNTS,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REFRESH_TOKEN,
    SimulatorServer,
)


def provision(schema: str) -> dict[str, Any]:
    """One run of the provisioning DAG's tasks, in order; what they returned and how often the wait deferred."""
    dag = load_example_dag("spotify_ads_provisioning").dag
    params = run_params(
        dag,
        {"group_id": DEFAULT_GROUP_ID, "schema": schema, "accounts": list(DEMO_ACCOUNTS)},
    )
    store: XComStore = {}
    results: dict[str, Any] = {}
    deferrals: dict[str, int] = {}
    for task in dag.task_group.topological_sort():
        ti = RecordingTI(task.task_id, store)
        results[task.task_id], deferrals[task.task_id] = run_dag_task(task, ti, params)
    return {
        "connection_id": results["create_connection"],
        "schedule": results["schedule_and_unpause"],
        "deferrals": sum(deferrals.values()),
    }


def calls(entries: list[dict[str, Any]]) -> dict[str, Any]:
    counts = Counter(f"{e['method']} {e['path_template'] or e['path']}" for e in entries)
    return {"total": len(entries), "by_route": dict(counts)}


def main() -> None:
    os.environ["SPOTIFY_ADS_POKE_INTERVAL"] = "1"  # the DAG's wait, as `make demo` runs it
    with SimulatorServer(clock="manual") as sim:
        os.environ["AIRFLOW_CONN_FIVETRAN_DEFAULT"] = sim.airflow_conn_json
        os.environ["AIRFLOW_CONN_SPOTIFY_ADS_CREDENTIALS"] = json.dumps(
            {
                "conn_type": "generic",
                "login": DEMO_CLIENT_ID,
                "password": DEMO_CLIENT_SECRET,
                "extra": {"refresh_token": DEMO_REFRESH_TOKEN},
            }
        )
        first = provision("spotify_ads_bench")
        fresh = sim.control.requests()
        last = max((e["seq"] for e in fresh), default=0)
        second = provision("spotify_ads_bench")
        rerun = sim.control.requests(since=last)
        conn = sim.control.connection(first["connection_id"])
        print(
            json.dumps(
                {
                    "fresh": calls(fresh),
                    "rerun": calls(rerun),
                    "same_connection": first["connection_id"] == second["connection_id"],
                    "deferrals": [first["deferrals"], second["deferrals"]],
                    "final": {
                        "setup_state": conn["status"]["setup_state"],
                        "paused": conn["paused"],
                        "sync_frequency": conn["sync_frequency"],
                        "daily_sync_time": conn["daily_sync_time"],
                    },
                }
            )
        )


if __name__ == "__main__":
    main()
