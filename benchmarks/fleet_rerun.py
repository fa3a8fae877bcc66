"""Row 2's fleet figure: the API calls of an unchanged re-run of a fleet of N connections in one group.

``example_dags/spotify_ads_fleet.py`` is loaded from its file and run twice on the same spec of N entries, all in
the simulator's group, through its own tasks without a scheduler (``fleet_bench.run_fleet``, ``inproc.py``):
``validate_spec`` (which reads each group once and hands every entry its listed state), then per entry one
instance of the mapped ``provision`` group (create, deferrable setup-test wait, schedule and unpause). The
first run creates the N connections (no rate limit); the simulator's request log is then cleared, and the
second run's requests are counted from it: in all, by route, and the writes (any method but GET).

Theirs has no figure: their provider cannot create a connection (Terraform, which people use instead, reads
every resource on refresh: N reads).

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter
from typing import Any

import requests
from fleet_bench import fleet_spec, run_fleet
from inproc import load_example_dag


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the benchmark simulator")
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()

    os.environ["SPOTIFY_ADS_POKE_INTERVAL"] = "1"  # only used if a wait defers (it should not: happy path)
    fleet = load_example_dag("spotify_ads_fleet")
    spec = fleet_spec(args.count)
    http = requests.Session()
    fresh = run_fleet(fleet, spec, "fleet-rerun-spec")
    fresh_requests = len(http.get(args.url + "/_sim/requests", timeout=120).json()["requests"])
    http.delete(args.url + "/_sim/requests", timeout=60).raise_for_status()
    rerun = run_fleet(load_example_dag("spotify_ads_fleet"), spec, "fleet-rerun-spec")
    log: list[dict[str, Any]] = http.get(args.url + "/_sim/requests", timeout=120).json()["requests"]
    conns = http.get(args.url + "/_sim/connections", timeout=120).json()["connections"]
    routes = Counter(f"{e['method']} {e['path_template'] or e['path']}" for e in log)
    print(
        json.dumps(
            {
                "count": args.count,
                "fresh": {
                    "elapsed_s": fresh.elapsed_s,
                    "done": fresh.done,
                    "problems": fresh.problems,
                    "requests": fresh_requests,
                },
                "rerun": {
                    "elapsed_s": rerun.elapsed_s,
                    "done": rerun.done,
                    "problems": rerun.problems,
                    "requests": len(log),
                    "writes": sum(1 for e in log if e["method"] != "GET"),
                    "by_route": dict(routes),
                },
                "connections": len(conns),
                "connected": sum(1 for c in conns if c["status"]["setup_state"] == "connected"),
            }
        )
    )


if __name__ == "__main__":
    main()
