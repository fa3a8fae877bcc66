"""The main job: provision a Spotify Ads connection with Airflow against the embedded Fivetran simulator.

``make demo`` runs this. It starts ``fivetran-simulator`` on a free loopback port, makes a throwaway
``AIRFLOW_HOME`` (SQLite, no Airflow examples), runs ``airflow dags test spotify_ads_provisioning`` and
prints what Fivetran (the simulator) now holds: the connection, each setup test, the schedule, and how
many API calls it took. Then it runs the DAG a second time to show that a re-run changes nothing.

The story it plays: the Spotify ad accounts are not yet readable by the demo credentials when the
connection is created, so its "ad account access" setup test fails; the setup sensor defers (its trigger
re-runs the tests), a Spotify admin grants access a moment later (the demo does this through the
simulator's control API), the trigger sees the tests pass, and the DAG schedules and unpauses the
connection.

``--fleet`` runs the fleet DAG instead (``make demo-fleet``): it provisions every connection of
``example_dags/spotify_ads_fleet.yaml`` (two Spotify apps, so two Airflow connections), twice, and prints a
table of the fleet as Fivetran holds it. Exits non-zero if anything failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DAG_ID = "spotify_ads_provisioning"
FLEET_DAG_ID = "spotify_ads_fleet"
SCHEMA = "spotify_ads_demo"


class Simulator:
    """``fivetran-simulator`` in its own process group, stopped by its own process id."""

    def __init__(self, scenario: Path) -> None:
        self.process = subprocess.Popen(
            [str(BIN / "fivetran-simulator"), "--port", "0", "--scenario", str(scenario)],
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.info: dict[str, str] = {}
        assert self.process.stdout is not None
        for line in self.process.stdout:
            key, _, value = line.strip().partition(": " if not line.startswith("AIRFLOW_CONN") else "=")
            self.info[key] = value
            if key == "listening":
                break
        if "listening" not in self.info:
            raise SystemExit(f"the simulator did not start (exit code {self.process.poll()})")
        from fivetran_simulator import SimulatorControl

        self.control = SimulatorControl(self.info["listening"])

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def spotify_conn(client_id: str, client_secret: str, refresh_token: str) -> str:
    """An Airflow connection (JSON) holding Spotify credentials."""
    return json.dumps(
        {
            "conn_type": "generic",
            "login": client_id,
            "password": client_secret,
            "extra": {"refresh_token": refresh_token},
        }
    )


def airflow_env(home: Path, sim: Simulator) -> dict[str, str]:
    from fivetran_simulator import OTHER_CLIENT_ID, OTHER_CLIENT_SECRET, OTHER_REFRESH_TOKEN

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_", "AIRFLOW__"))}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "example_dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW_CONN_FIVETRAN_DEFAULT": sim.info["AIRFLOW_CONN_FIVETRAN_DEFAULT"],
            "AIRFLOW_CONN_SPOTIFY_ADS_CREDENTIALS": spotify_conn(
                sim.info["client_id"], sim.info["client_secret"], sim.info["refresh_token"]
            ),
            # The fleet's podcast team uses a second Spotify app (see spotify_ads_fleet.yaml).
            "AIRFLOW_CONN_SPOTIFY_ADS_PODCASTS": spotify_conn(
                OTHER_CLIENT_ID, OTHER_CLIENT_SECRET, OTHER_REFRESH_TOKEN
            ),
            "SPOTIFY_ADS_POKE_INTERVAL": "1",
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    return env


def run(cmd: list[str], env: dict[str, str], log: Path) -> int:
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        return subprocess.call(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)


def grant_access_when_waiting(sim: Simulator, scenario: dict[str, Any], stop: threading.Event) -> None:
    """Play the Spotify admin: once the sensor re-runs the setup tests, grant the missing account."""
    while not stop.is_set():
        if any(r["path"].endswith("/test") for r in sim.control.requests()):
            sim.control.set_scenario({"spotify": scenario["later"]})
            print("  (a Spotify admin grants the demo credentials access to every ad account)", flush=True)
            return
        stop.wait(0.2)


def summary(sim: Simulator, since: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    requests = [r for r in sim.control.requests() if r["seq"] > since]
    return sim.control.connections(), requests


def print_connection(conn: dict[str, Any]) -> None:
    status = conn.get("status") or {}
    print(f"  connection id : {conn['id']}  (schema {conn['schema']}, group {conn['group_id']})")
    print(f"  setup state   : {status.get('setup_state')}")
    for test in conn.get("setup_tests") or []:
        print(f"    - {test['title']:<32} {test['status']:<8} {test.get('message') or ''}")
    print(
        f"  schedule      : sync_frequency {conn.get('sync_frequency')}, daily_sync_time "
        f"{conn.get('daily_sync_time')} UTC, schedule_type {conn.get('schedule_type')}, "
        f"paused {conn.get('paused')}"
    )


def print_fleet(connections: list[dict[str, Any]]) -> None:
    rows = [("schema", "connection id", "setup state", "accounts", "sync", "daily (UTC)", "paused")]
    for conn in sorted(connections, key=lambda c: c["schema"]):
        config = conn.get("config") or {}
        accounts = ",".join(config.get("accounts") or []) or str(config.get("sync_mode"))
        rows.append(
            (
                conn["schema"],
                conn["id"],
                str((conn.get("status") or {}).get("setup_state")),
                accounts,
                f"{conn.get('sync_frequency')} min",
                str(conn.get("daily_sync_time")),
                str(conn.get("paused")),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def print_calls(title: str, requests: list[dict[str, Any]]) -> None:
    counts = Counter(f"{r['method']} {r['route'] if 'route' in r else r['path']}" for r in requests)
    print(f"  {title}: {len(requests)} API calls  ({', '.join(f'{n}x {k}' for k, n in counts.items())})")


def fleet_schemas() -> list[str]:
    """The schemas the shipped fleet spec provisions."""
    from airflow_spotify_fivetran.fleet import load_fleet_spec, plan_fleet

    spec = load_fleet_spec(REPO / "example_dags" / "spotify_ads_fleet.yaml")
    return sorted(entry.schema for entry in plan_fleet(spec))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fleet", action="store_true", help="run the fleet DAG instead")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway AIRFLOW_HOME")
    args = parser.parse_args()

    scenario = json.loads((REPO / "scripts" / "demo_scenario.json").read_text())
    home = Path(tempfile.mkdtemp(prefix="spotify-ads-demo-"))
    scenario_file = home / "scenario.json"
    # The provisioning story holds back ad account access until the sensor waits; the fleet runs with the
    # simulator's default Spotify side (both demo apps can read their accounts from the start).
    dropped = {"later", "spotify"} if args.fleet else {"later"}
    scenario_file.write_text(json.dumps({k: v for k, v in scenario.items() if k not in dropped}))
    log = home / "airflow.log"
    started = time.monotonic()
    sim = Simulator(scenario_file)
    ok = False
    try:
        env = airflow_env(home, sim)
        print(f"Fivetran simulator on {sim.info['listening']}; AIRFLOW_HOME={home}")
        if run([str(BIN / "airflow"), "db", "migrate"], env, log) != 0:
            raise RuntimeError("airflow db migrate failed")
        dag_id = FLEET_DAG_ID if args.fleet else DAG_ID
        conf = json.dumps(
            {"group_id": sim.info["group_id"], "schema": SCHEMA, "accounts": sim.info["accounts"].split(",")}
        )
        dag_args = [] if args.fleet else ["-c", conf]

        stop = threading.Event()
        if not args.fleet:
            granter = threading.Thread(
                target=grant_access_when_waiting, args=(sim, scenario, stop), daemon=True
            )
            granter.start()
        print(f"Run 1: airflow dags test {dag_id}")
        code = run([str(BIN / "airflow"), "dags", "test", dag_id, *dag_args], env, log)
        stop.set()
        connections, calls = summary(sim, 0)
        if code != 0:
            raise RuntimeError(f"airflow dags test exited {code}")
        last = max((r["seq"] for r in calls), default=0)

        print(f"Run 2 (re-run, should change nothing): airflow dags test {dag_id}")
        code = run([str(BIN / "airflow"), "dags", "test", dag_id, *dag_args], env, log)
        connections_after, rerun_calls = summary(sim, last)
        if code != 0:
            raise RuntimeError(f"the re-run exited {code}")

        print("\nWhat Fivetran now holds:")
        if args.fleet:
            print_fleet(connections_after)
        else:
            for conn in connections_after:
                print_connection(conn)
        print()
        print_calls("run 1 (fresh)", calls)
        print_calls("run 2 (re-run)", rerun_calls)
        deferrals = log.read_text().count("Pausing task as DEFERRED")
        if args.fleet:
            print(f"  the setup waits deferred {deferrals} time(s) (tests that pass at create need no wait)")
        else:
            print(
                f"  the setup wait deferred {deferrals} time(s); its trigger re-ran the setup tests until "
                "they passed"
            )
        changes = [r for r in rerun_calls if r["method"] != "GET" and not r["path"].endswith("/test")]
        problems = []
        if changes:
            problems.append(
                f"the re-run changed something: {[r['method'] + ' ' + r['path'] for r in changes]}"
            )
        for conn in connections_after:
            status = conn.get("status") or {}
            if (
                status.get("setup_state") != "connected"
                or conn.get("paused")
                or conn.get("sync_frequency") != 1440
            ):
                problems.append(f"connection {conn['id']} is not connected, scheduled daily and unpaused")
        if not args.fleet and deferrals < 1:
            problems.append("the setup sensor never deferred")
        if len(connections_after) != len(connections) or not connections_after:
            problems.append("the re-run created or lost connections")
        if args.fleet:
            expected = fleet_schemas()
            held = sorted(conn["schema"] for conn in connections_after)
            if held != expected:
                problems.append(f"the fleet spec lists {expected}, Fivetran holds {held}")
        if problems:
            raise RuntimeError("; ".join(problems))
        ok = True
        print(f"\nDemo passed in {time.monotonic() - started:.0f} s.")
    except RuntimeError as exc:
        print(f"\nDemo FAILED: {exc}\n--- last lines of {log} ---")
        lines = log.read_text().splitlines() if log.exists() else []
        print("\n".join(lines[-60:]))
    finally:
        sim.stop()
        if ok and not args.keep:
            shutil.rmtree(home, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
