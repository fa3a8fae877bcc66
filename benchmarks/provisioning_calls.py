"""Row 2: API calls of a fresh provisioning and of an unchanged re-run, from the simulator's request log.

The three tasks of ``example_dags/spotify_ads_provisioning.py`` (create, wait for setup tests, schedule and
unpause), built with that DAG's arguments and concrete values instead of its Jinja params, run through their
``execute`` paths in this process (see ``inproc.py``) against an embedded simulator whose default scenario
lets the demo credentials pass every setup test (the happy path). The wait is deferrable, as in the DAG; the
schedule task gets the wait's ``schedule`` XCom, as in the DAG. Then the same three tasks run again.

Prints one JSON line: the calls of each run, by ``METHOD path``.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

from inproc import new_context, run_task

from fivetran_simulator import (
    DEFAULT_GROUP_ID,
    DEMO_ACCOUNTS,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REFRESH_TOKEN,
    SimulatorServer,
)


def provision(schema: str) -> dict[str, Any]:
    """One DAG run's three tasks; returns what they returned and how often the wait deferred."""
    from airflow_spotify_fivetran.operators import (
        FivetranCreateConnectionOperator,
        FivetranSetScheduleOperator,
    )
    from airflow_spotify_fivetran.sensors import FivetranSetupTestsSensor

    create = FivetranCreateConnectionOperator(
        task_id="create_connection",
        connection={
            "group_id": DEFAULT_GROUP_ID,
            "service": "spotify_ads",
            "paused": True,
            "run_setup_tests": True,
            "sync_frequency": 1440,
            "config": {
                "schema": schema,
                "sync_mode": "SPECIFIC_ACCOUNTS",
                "accounts": list(DEMO_ACCOUNTS),
                "timeframe_months": "TWELVE",
                "report_list": [
                    {
                        "table": "campaign_daily",
                        "dimension": "CAMPAIGN",
                        "granularity": "DAY",
                        "fields": ["IMPRESSIONS", "CLICKS", "SPEND", "REACH"],
                    },
                    {
                        "table": "ad_hourly",
                        "dimension": "AD",
                        "granularity": "HOUR",
                        "fields": ["IMPRESSIONS", "STREAMS", "LISTENERS"],
                    },
                ],
            },
        },
        spotify_conn_id="spotify_ads_credentials",
        ignore_drift_in=["paused"],
        on_drift="update",
    )
    connection_id, _ = run_task(create)
    wait = FivetranSetupTestsSensor(
        task_id="wait_for_setup_tests",
        connection_id=connection_id,
        retest_on_poke=True,
        deferrable=True,
        poke_interval=1,
        timeout=60 * 60,
    )
    setup, deferrals = run_task(wait)
    schedule = FivetranSetScheduleOperator(
        task_id="schedule_and_unpause",
        connection_id=connection_id,
        sync_frequency=1440,
        daily_sync_time="06:00",
        time_zone="UTC",
        paused=False,
        current_schedule=setup["schedule"],
    )
    result, _ = run_task(schedule, new_context())
    return {"connection_id": connection_id, "schedule": result, "deferrals": deferrals}


def calls(entries: list[dict[str, Any]]) -> dict[str, Any]:
    counts = Counter(f"{e['method']} {e['path_template'] or e['path']}" for e in entries)
    return {"total": len(entries), "by_route": dict(counts)}


def main() -> None:
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
