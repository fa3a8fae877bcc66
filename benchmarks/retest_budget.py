"""Row 5: N setup waits whose tests keep failing, re-testing for one simulated hour in one event loop.

N ``FivetranSetupTestsTrigger(retest=True, group_id=...)`` (poll interval 30 s, ``end_time`` one hour after
the start) run in ONE event loop, as a triggerer holds them, against the package's simulator (embedded, its
own thread) with Fivetran's rate limits (``rate_limits: {}``: 250 setup-test requests a rolling minute, 2,500
an hour, 20,000 requests an hour). Every connection names an ad account (``SPECIFIC_ACCOUNTS``) the demo user
cannot read, so its setup tests fail at every re-test, until the end: access that never comes.

Time is virtual (``LoopClock``, the tests' shared clock of ``tests/tasks/loop_clock.py``): each trigger's ``_now``/``_sleep`` (instance attributes, as the tests
replace them) read and wait on one clock, which moves to the earliest wake-up only once every trigger still
running sleeps (none is mid-request), and moves the simulator's manual clock as far through its control API
(``POST /_sim/clock``), so both clocks agree and the simulator's rolling windows count simulated time. An hour
runs in well under a minute of wall time, the same however fast the machine is.

Counted from the simulator's request log: 429 answers, setup-test requests (``POST .../test``) in the most
loaded rolling minute (and the most loaded calendar minute) and in the hour, the list polls, and how each
wait ended. Their provider cannot re-run setup tests; the naive figure for contrast is N waits re-testing at
every 30 s look: 2N a minute.

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from common import REPO, most_in_any_window

from fivetran_simulator import (
    DEFAULT_GROUP_ID,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REFRESH_TOKEN,
    SimulatorServer,
)
from fivetran_simulator.clock import parse_iso

POLL = 30.0
HOUR = 3600.0
#: An ad account the demo Spotify user cannot read: the accounts test fails at every re-test.
UNREADABLE_ACCOUNT = "nobody-ad-account-1"


async def run_on_clock(
    triggers: Sequence[Any], sim: SimulatorServer, start: datetime
) -> list[dict[str, Any]]:
    """Every trigger to its first event's payload on one ``LoopClock`` (the tests' shared virtual clock),
    the simulator's clock moved as far each time it moves."""
    sys.path.insert(0, str(REPO))  # the tests' clock, not a copy of it
    from tests.tasks.loop_clock import LoopClock

    async def advance(step: float) -> None:
        await asyncio.to_thread(sim.control.advance_clock, step)

    events = await LoopClock(start).run(triggers, until=float("inf"), on_advance=advance)
    return [dict(e.payload) if e is not None else {"status": "exception"} for e in events]


def quiet_logging() -> None:
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.disable(logging.INFO)


def create_connections(sim: SimulatorServer, count: int) -> list[str]:
    """``count`` connections with the demo credentials whose config names an account they cannot read."""
    import requests

    ids = []
    with requests.Session() as http:
        http.auth = (sim.api_key, sim.api_secret)
        http.headers["Accept"] = "application/json;version=2"
        for i in range(count):
            body = {
                "group_id": DEFAULT_GROUP_ID,
                "service": "spotify_ads",
                "paused": True,
                "run_setup_tests": True,
                "config": {
                    "schema": f"spotify_ads_no_access_{i:04d}",
                    "sync_mode": "SPECIFIC_ACCOUNTS",
                    "accounts": [UNREADABLE_ACCOUNT],
                },
                "auth": {
                    "refresh_token": DEMO_REFRESH_TOKEN,
                    "client_access": {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET},
                },
            }
            response = http.post(sim.base_url + "/v1/connections", json=body, timeout=60)
            response.raise_for_status()
            ids.append(str(response.json()["data"]["id"]))
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=HOUR, help="simulated seconds the waits last")
    args = parser.parse_args()

    with SimulatorServer(clock="manual", log_size=50_000) as sim:
        os.environ["AIRFLOW_CONN_FIVETRAN_DEFAULT"] = sim.airflow_conn_json
        ids = create_connections(sim, args.count)  # rate limits off: the creates are not what is measured
        sim.control.set_scenario({"rate_limits": {}})  # Fivetran's limits, their windows empty
        sim.control.clear_requests()
        start = sim.control.now()
        end = (start + timedelta(seconds=args.seconds)).isoformat()

        from airflow_spotify_fivetran.triggers import FivetranSetupTestsTrigger

        quiet_logging()  # every look logs "still failing" at INFO: not what is measured
        triggers = [
            FivetranSetupTestsTrigger(
                connection_id=conn_id,
                fivetran_conn_id="fivetran_default",
                poll_interval=POLL,
                end_time=end,
                retest=True,
                failures_are_final=False,
                group_id=DEFAULT_GROUP_ID,
                wait_started=start.isoformat(),
            )
            for conn_id in ids
        ]
        payloads = asyncio.run(run_on_clock(triggers, sim, start))
        log = sim.control.requests()

    tests = [e for e in log if e["method"] == "POST" and str(e["path"]).endswith("/test")]
    moments = [(parse_iso(e["time"]) - start).total_seconds() for e in tests]
    by_minute = Counter(int(m // 60) for m in moments)
    statuses = Counter(str(p.get("status")) for p in payloads)
    print(
        json.dumps(
            {
                "count": args.count,
                "simulated_s": args.seconds,
                "poll_s": POLL,
                "requests": len(log),
                "http_429": sum(1 for e in log if e["status"] == 429),
                "setup_tests": len(tests),
                "setup_tests_max_rolling_minute": most_in_any_window(moments, 60.0),
                "setup_tests_max_calendar_minute": max(by_minute.values(), default=0),
                "connections_retested": len({e["path"] for e in tests}),
                "list_polls": sum(1 for e in log if e["method"] == "GET" and e["path"] == "/v1/connections"),
                "reads": sum(1 for e in log if e["method"] == "GET" and e["path"] != "/v1/connections"),
                "by_status": dict(Counter(str(e["status"]) for e in log)),
                "wait_outcomes": dict(statuses),
                "naive_setup_tests_per_minute": args.count * 60 / POLL,
                "naive_setup_tests_per_hour": args.count * HOUR / POLL,
            }
        )
    )


if __name__ == "__main__":
    main()
