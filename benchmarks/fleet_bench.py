"""Row 4: provision a fleet through the fleet code path while the simulator enforces a setup-test rate limit.

The fleet code path, without a scheduler: ``parse_fleet_spec`` + ``plan_fleet`` (with the Airflow-connection
check the fleet DAG's ``validate_spec`` task runs) on a spec of N entries (``defaults`` + one entry per schema,
all on the demo credentials), then per entry what one instance of the DAG's mapped ``provision`` group runs:

1. ``FivetranCreateConnectionOperator(connection=entry.connection, spotify_conn_id=entry.spotify_conn_id,
   ignore_drift_in=["paused"], on_drift="update")``;
2. ``FivetranSetupTestsSensor(connection_id=<created>, retest_on_poke=True, deferrable=True)``;
3. ``FivetranSetScheduleOperator(connection_id=<created>, **entry.schedule, current_schedule=<the wait's
   "schedule" XCom>)``.

Entries run in a thread pool of ``FLEET_PARALLELISM`` workers (the DAG's ``max_active_tis_per_dag``), one
entry's three tasks after each other per worker, each task a fresh operator (so a fresh hook and HTTP session),
as separate task instances would have.

Each create runs setup tests, so it counts against ``setup_tests_per_minute``; over the limit the simulator
answers 429 with ``Retry-After`` and the hook waits as told. The floor is what the limit allows at best: with
N creates and a limit of L per window W, the last create cannot pass before ``(ceil(N / L) - 1) * W``.

Prints one JSON line: wall time, floor, failures, 429 answers, and the final state of every connection.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
from inproc import run_task

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PARALLELISM = 4


def fleet_parallelism() -> int:
    """``FLEET_PARALLELISM`` of the example fleet DAG (4 if the DAG file does not define it)."""
    sys.path.insert(0, str(REPO / "example_dags"))
    try:
        import spotify_ads_fleet

        return int(getattr(spotify_ads_fleet, "FLEET_PARALLELISM", DEFAULT_PARALLELISM))
    except ImportError:
        return DEFAULT_PARALLELISM
    finally:
        sys.path.pop(0)


def fleet_spec(count: int) -> dict[str, Any]:
    """The example spec's ``defaults``, and ``count`` entries on the demo credentials."""
    return {
        "version": 1,
        "defaults": {
            "group_id": "demo_warehouse",
            "spotify_conn_id": "spotify_ads_credentials",
            "data_delay_sensitivity": "NORMAL",
            "config": {
                "sync_mode": "SPECIFIC_ACCOUNTS",
                "timeframe_months": "TWELVE",
                "report_list": [
                    {
                        "table": "campaign_daily",
                        "dimension": "CAMPAIGN",
                        "granularity": "DAY",
                        "fields": ["IMPRESSIONS", "CLICKS", "SPEND", "REACH"],
                    }
                ],
            },
            "schedule": {"sync_frequency": 1440, "daily_sync_time": "06:00", "time_zone": "UTC"},
        },
        "connections": [
            {
                "name": f"team-{i:04d}",
                "config": {"schema": f"spotify_ads_team_{i:04d}", "accounts": ["demo-ad-account-1"]},
            }
            for i in range(count)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the benchmark simulator")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--limit", type=int, required=True, help="setup tests per simulator minute")
    parser.add_argument("--window", type=float, required=True, help="wall seconds of the simulator's minute")
    args = parser.parse_args()

    os.environ["SPOTIFY_ADS_POKE_INTERVAL"] = "1"  # only used if a wait defers (it should not: happy path)
    from airflow_spotify_fivetran.fleet import parse_fleet_spec, plan_fleet
    from airflow_spotify_fivetran.operators import (
        FivetranCreateConnectionOperator,
        FivetranSetScheduleOperator,
    )
    from airflow_spotify_fivetran.operators.create import spotify_auth_from_connection
    from airflow_spotify_fivetran.sensors import FivetranSetupTestsSensor

    parallelism = fleet_parallelism()
    failures: list[str] = []

    def check_connection(conn_id: str) -> None:  # as the DAG's validate_spec task does
        spotify_auth_from_connection(conn_id)

    def provision(i_entry: tuple[int, dict[str, Any]]) -> bool:
        """One instance of the DAG's ``provision`` group: create, wait, schedule."""
        i, entry = i_entry
        try:
            create = FivetranCreateConnectionOperator(
                task_id=f"create_connection_{i}",
                connection=entry["connection"],
                spotify_conn_id=entry["spotify_conn_id"],
                ignore_drift_in=["paused"],
                on_drift="update",
            )
            connection_id = str(run_task(create)[0])
            wait = FivetranSetupTestsSensor(
                task_id=f"wait_for_setup_tests_{i}",
                connection_id=connection_id,
                retest_on_poke=True,
                deferrable=True,
                poke_interval=1,
                timeout=3600,
            )
            setup, deferrals = run_task(wait)
            if deferrals:
                failures.append(
                    f"wait {connection_id} deferred {deferrals} time(s): tests did not pass at create"
                )
            schedule = FivetranSetScheduleOperator(
                task_id=f"schedule_and_unpause_{i}",
                connection_id=connection_id,
                current_schedule=setup["schedule"],
                **entry["schedule"],
            )
            run_task(schedule)
            return True
        except Exception as exc:
            failures.append(f"entry {i}: {type(exc).__name__}: {exc}"[:500])
            return False

    started = time.monotonic()
    entries = [
        e.to_dict()
        for e in plan_fleet(parse_fleet_spec(fleet_spec(args.count)), check_connection=check_connection)
    ]
    with ThreadPoolExecutor(max_workers=parallelism) as pool:
        done = list(pool.map(provision, enumerate(entries)))
    elapsed = time.monotonic() - started

    stats = requests.get(args.url + "/_bench/stats", timeout=60).json()
    sim_conns = requests.get(args.url + "/_sim/connections", timeout=60).json()["connections"]
    good = [
        c
        for c in sim_conns
        if c["status"]["setup_state"] == "connected"
        and c["paused"] is False
        and c["sync_frequency"] == 1440
        and c["daily_sync_time"] == "06:00"
    ]
    floor = (math.ceil(args.count / args.limit) - 1) * args.window
    print(
        json.dumps(
            {
                "count": args.count,
                "limit_per_window": args.limit,
                "window_s": args.window,
                "parallelism": parallelism,
                "elapsed_s": elapsed,
                "floor_s": floor,
                "failures": args.count - sum(done),
                "problems": failures[:5],
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
