"""``make bench``: issues #7 and #15's benchmarks, ours against ``airflow-provider-fivetran-async`` 2.4.0, one table.

Rows (each measured in this run, ours and theirs side by side):

1. DAG-parse cost: what importing the operators and sensors (and, apart, the hook module) adds to a fresh
   process that already imported ``airflow.sdk`` (median of >= 7 fresh processes each, bytecode cached);
2. API calls of a fresh provisioning (create, setup-test wait, schedule) and of an unchanged re-run; and the
   fleet DAG on 1,000 entries in one group, run twice: the re-run's calls and writes (``fleet_rerun.py``);
3. 1,000 deferred waits in one event loop (a triggerer's situation; ours share their group's list poll)
   against a simulator in another process: requests per poll interval and calls per hour at a 30 s interval,
   TCP connections accepted by the simulator, requests, peak memory growth, CPU time, event-loop lag;
4. a fleet of 200 connections provisioned under tight create and setup-test rate limits: time against the
   floor the limits allow, and failures;
5. 200 setup waits whose tests keep failing, re-testing for one simulated hour in one event loop against
   Fivetran's limits, on a virtual clock (``retest_budget.py``): 429 answers, setup tests per minute and hour.

Theirs runs in its own virtual environment, ``.bench-venv/`` (created on first use with the same Airflow
version and the same versions of every shared dependency as ours); ours runs with this interpreter.

Usage: ``python benchmarks/run.py [--quick] [--json FILE] [--write-readme]``. ``--quick`` is a smoke run with
fewer processes, waits and connections (its figures are not the ones to quote). ``--write-readme`` puts the
table, with the command, date and machine that made it, between the ``bench`` markers of the repository's
README (``make bench`` does).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import (
    BENCH_VENV,
    HERE,
    OUR_PYTHON,
    REPO,
    THEIR_PACKAGE,
    THEIR_PYTHON,
    BenchSimProcess,
    clean_env,
    fivetran_conn_env,
    median,
    most_in_any_window,
    per_interval_counts,
    run_json,
    write_between_markers,
)

from fivetran_simulator import DEFAULT_GROUP_ID

README = REPO / "README.md"
PYCACHE = REPO / ".bench" / "pycache"
SPOTIFY_CONN = json.dumps(
    {
        "conn_type": "generic",
        "login": "demo-client-id",
        "password": "demo-client-secret",
        "extra": {"refresh_token": "demo-refresh-token"},
    }
)


@dataclass(frozen=True)
class Settings:
    parse_runs: int
    parse_warmup: bool
    waits: int
    wait_reps: int
    sync_seconds: float
    poll: float
    fleet_count: int
    fleet_limit: int
    fleet_creates: int
    fleet_speed: float
    rerun_count: int
    retest_count: int
    retest_seconds: float


FULL = Settings(
    parse_runs=7,
    parse_warmup=True,
    waits=1000,
    wait_reps=3,
    sync_seconds=3,
    poll=1.0,
    fleet_count=200,
    fleet_limit=50,
    fleet_creates=20,
    fleet_speed=6,
    rerun_count=1000,
    retest_count=200,
    retest_seconds=3600,
)
QUICK = Settings(
    parse_runs=3,
    parse_warmup=False,
    waits=200,
    wait_reps=1,
    sync_seconds=2,
    poll=1.0,
    fleet_count=40,
    fleet_limit=20,
    fleet_creates=20,
    fleet_speed=6,
    rerun_count=100,
    retest_count=50,
    retest_seconds=3600,
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the comparison venv ---------------------------------------------------------------------------------


def our_airflow_version() -> str:
    from importlib.metadata import version

    return version("apache-airflow")


def ensure_bench_venv() -> str:
    """Create or reuse ``.bench-venv`` with their provider; returns the Airflow version installed there."""
    wanted = our_airflow_version()
    probe = "import fivetran_provider_async, airflow; print(airflow.__version__)"
    if THEIR_PYTHON.exists():
        found = subprocess.run(
            [str(THEIR_PYTHON), "-c", probe], capture_output=True, text=True, env=clean_env()
        )
        if found.returncode == 0 and found.stdout.strip().splitlines()[-1:] == [wanted]:
            return wanted
    log(f"creating {BENCH_VENV} (apache-airflow=={wanted}, {THEIR_PACKAGE}) ...")
    if not THEIR_PYTHON.exists():
        # From this interpreter: the same Python version on both sides.
        subprocess.run([str(OUR_PYTHON), "-m", "venv", str(BENCH_VENV)], check=True)
    uv = OUR_PYTHON.parent / "uv"
    installer = (
        [str(uv), "pip", "install", "--quiet", "--python", str(THEIR_PYTHON)]
        if uv.exists()
        else [str(THEIR_PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    )
    # Same versions of every shared dependency as ours (aiohttp, requests, pendulum...): only the providers differ.
    freeze = subprocess.run(
        [str(OUR_PYTHON), "-m", "pip", "freeze"]
        if not uv.exists()
        else [str(uv), "pip", "freeze", "--python", str(OUR_PYTHON)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pins = [
        line
        for line in freeze.splitlines()
        if line and not line.startswith("-e") and not line.lower().startswith("airflow-spotify-fivetran")
    ]
    packages = [f"apache-airflow=={wanted}", THEIR_PACKAGE]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as constraints:
        constraints.write("\n".join(pins) + "\n")
    try:
        pinned = subprocess.run([*installer, "-c", constraints.name, *packages], check=False)
        if pinned.returncode != 0:
            log("  the shared pins do not resolve with their provider; installing without them")
            subprocess.run([*installer, *packages], check=True)
    finally:
        os.unlink(constraints.name)
    return wanted


# -- row 1 -----------------------------------------------------------------------------------------------


def parse_cost(settings: Settings) -> dict[str, Any]:
    targets = {
        "ours-tasks": OUR_PYTHON,
        "theirs-tasks": THEIR_PYTHON,
        "ours-hooks": OUR_PYTHON,
        "theirs-hooks": THEIR_PYTHON,
    }
    env = clean_env()
    probe = str(HERE / "parse_probe.py")
    if settings.parse_warmup or not PYCACHE.exists():
        for target, python in targets.items():  # warm-up: writes the bytecode caches
            run_json([str(python), probe, target], env)
    samples: dict[str, list[dict[str, Any]]] = {t: [] for t in targets}
    for i in range(settings.parse_runs):
        order = list(targets) if i % 2 == 0 else list(reversed(targets))
        for target in order:
            samples[target].append(run_json([str(targets[target]), probe, target], env))
    return {
        target: {
            "median_ms": median([s["ms"] for s in runs]),
            "runs_ms": [round(s["ms"], 2) for s in runs],
            "aiohttp": runs[0]["aiohttp"],
            "requests": runs[0]["requests"],
        }
        for target, runs in samples.items()
    }


# -- row 2 -----------------------------------------------------------------------------------------------


def api_calls(settings: Settings) -> dict[str, Any]:
    result = run_json([str(OUR_PYTHON), str(HERE / "provisioning_calls.py")], clean_env())
    # The fleet's re-run: a fresh simulator (no rate limit, real clock) whose log holds both runs' requests.
    with BenchSimProcess(log_size=4 * settings.rerun_count + 1000) as sim:
        env = clean_env(**fivetran_conn_env(sim.base_url), AIRFLOW_CONN_SPOTIFY_ADS_CREDENTIALS=SPOTIFY_CONN)
        cmd = [str(OUR_PYTHON), str(HERE / "fleet_rerun.py"), "--url", sim.base_url]
        result["fleet"] = run_json([*cmd, "--count", str(settings.rerun_count)], env, timeout=1800)
    return result


# -- row 3 -----------------------------------------------------------------------------------------------


def one_wait_run(sim: BenchSimProcess, side: str, ids_file: Path, settings: Settings) -> dict[str, Any]:
    python = THEIR_PYTHON if side == "theirs" else OUR_PYTHON
    baseline = sim.call("GET", "/_sim/clock")["now"]
    cmd = [
        str(python),
        str(HERE / "waits_client.py"),
        "--side",
        side,
        "--url",
        sim.base_url,
        "--ids",
        str(ids_file),
        "--baseline",
        baseline,
        "--poll",
        str(settings.poll),
    ]
    if side == "ours":  # as our sync operator hands its trigger the group its first check saw
        cmd += ["--group", DEFAULT_GROUP_ID]
    client = subprocess.Popen(
        cmd,
        env=clean_env(**fivetran_conn_env(sim.base_url)),
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert client.stdout is not None
    assert client.stdin is not None
    ready = client.stdout.readline()
    if not ready.startswith("READY"):
        client.kill()
        raise RuntimeError(
            f"{side} waits client did not start: {ready!r} {client.stderr.read() if client.stderr else ''}"
        )
    ids = json.loads(ids_file.read_text())
    sim.reset_stats()
    sim.call("POST", "/_bench/sync_all", {"ids": ids})
    client.stdin.write("go\n")
    client.stdin.flush()
    out, err = client.communicate(timeout=600)
    if client.returncode != 0:
        raise RuntimeError(f"{side} waits client exited {client.returncode}:\n{err[-3000:]}")
    result: dict[str, Any] = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
    result["server"] = sim.stats()
    times = sim.request_times()
    result["max_per_interval"] = most_in_any_window(times, settings.poll)
    whole = per_interval_counts(times, settings.poll)
    result["per_interval"] = whole
    # Steady state: the median whole interval (a run shorter than two intervals: the mean over it).
    result["steady_per_interval"] = (
        median(whole) if whole else len(times) / max(result["elapsed_s"] / settings.poll, 1.0)
    )
    return result


def waits_at_scale(settings: Settings) -> dict[str, Any]:
    scenario = {"sync": {"duration_seconds": settings.sync_seconds}}
    with BenchSimProcess(scenario=scenario) as sim, tempfile.TemporaryDirectory() as tmp:
        ids = sim.call("POST", "/_bench/populate", {"count": settings.waits, "prefix": "wait"})["ids"]
        ids_file = Path(tmp) / "ids.json"
        ids_file.write_text(json.dumps(ids))
        sides = ["ours", "theirs"]
        runs: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
        for rep in range(settings.wait_reps):
            for side in sides if rep % 2 == 0 else list(reversed(sides)):
                log(f"  row 3: {settings.waits} waits, {side}, run {rep + 1} of {settings.wait_reps}")
                runs[side].append(one_wait_run(sim, side, ids_file, settings))
    summary: dict[str, Any] = {}
    for side, results in runs.items():
        waits = settings.waits
        summary[side] = {
            "success": median([r["statuses"].get("success", 0) for r in results]),
            "connections": median([r["server"]["accepted"] for r in results]),
            "requests": median([r["server"]["requests"] for r in results]),
            "routes": results[0]["server"]["by_route"],
            "mem_kb_per_wait": median([(r["maxrss_kb"] - r["rss_before_kb"]) / waits for r in results]),
            "peak_rss_growth_mb": median([(r["maxrss_kb"] - r["rss_before_kb"]) / 1024 for r in results]),
            "cpu_ms_per_wait": median([r["cpu_s"] * 1000 / waits for r in results]),
            "cpu_s": median([r["cpu_s"] for r in results]),
            "lag_p99_ms": median([r["lag_p99_ms"] for r in results]),
            "lag_max_ms": median([r["lag_max_ms"] for r in results]),
            "elapsed_s": median([r["elapsed_s"] for r in results]),
            "max_per_interval": max(r["max_per_interval"] for r in results),
            "steady_per_interval": median([r["steady_per_interval"] for r in results]),
            "runs": results,
        }
    return summary


# -- row 4 -----------------------------------------------------------------------------------------------


def fleet_under_limit(settings: Settings) -> dict[str, Any]:
    window = 60.0 / settings.fleet_speed
    limits = {"setup_tests_per_minute": settings.fleet_limit, "creates_per_minute": settings.fleet_creates}
    scenario = {"rate_limits": limits}
    with BenchSimProcess(speed=settings.fleet_speed, scenario=scenario) as sim:
        env = clean_env(**fivetran_conn_env(sim.base_url), AIRFLOW_CONN_SPOTIFY_ADS_CREDENTIALS=SPOTIFY_CONN)
        cmd = [
            str(OUR_PYTHON),
            str(HERE / "fleet_bench.py"),
            "--url",
            sim.base_url,
            "--count",
            str(settings.fleet_count),
            "--limit",
            str(settings.fleet_limit),
            "--creates",
            str(settings.fleet_creates),
            "--window",
            str(window),
        ]
        return run_json(cmd, env)


# -- row 5 -----------------------------------------------------------------------------------------------


def retests_for_an_hour(settings: Settings) -> dict[str, Any]:
    cmd = [str(OUR_PYTHON), str(HERE / "retest_budget.py"), "--count", str(settings.retest_count)]
    return run_json([*cmd, "--seconds", str(settings.retest_seconds)], clean_env(), timeout=1800)


# -- the table -------------------------------------------------------------------------------------------


def ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}x" if theirs else "-"


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def table(results: dict[str, Any], settings: Settings) -> list[str]:
    p, calls, w, f = results["parse"], results["calls"], results["waits"], results["fleet"]
    rt, fr = results["retests"], calls["fleet"]
    o, t = w["ours"], w["theirs"]
    n = settings.waits
    rows: list[tuple[str, str, str, str, str]] = []

    def add(what: str, ours: str, theirs: str, r: str, target: str = "") -> None:
        rows.append((what, ours, theirs, r, target))

    ot, tt, oh, th = p["ours-tasks"], p["theirs-tasks"], p["ours-hooks"], p["theirs-hooks"]
    add(
        f"1. DAG parse: import operators + sensors (ms, median of {settings.parse_runs})",
        f"{ot['median_ms']:.1f}",
        f"{tt['median_ms']:.1f}",
        ratio(ot["median_ms"], tt["median_ms"]),
        f"<= 20 ms: {verdict(ot['median_ms'] <= 20)}",
    )
    add(
        "   aiohttp / requests loaded by that import",
        f"{'yes' if ot['aiohttp'] else 'no'} / {'yes' if ot['requests'] else 'no'}",
        f"{'yes' if tt['aiohttp'] else 'no'} / {'yes' if tt['requests'] else 'no'}",
        "",
    )
    add(
        f"   hook module alone (ms, median of {settings.parse_runs}; ours: only inside execute/run)",
        f"{oh['median_ms']:.1f}",
        f"{th['median_ms']:.1f}",
        ratio(oh["median_ms"], th["median_ms"]),
    )
    fresh, rerun = calls["fresh"]["total"], calls["rerun"]["total"]
    add(
        "2. API calls: fresh provisioning (create, setup wait, schedule)",
        str(fresh),
        "n/a (cannot create a connection)",
        "-",
        f"<= 4: {verdict(fresh <= 4)}",
    )
    add(
        "   API calls: unchanged re-run",
        str(rerun),
        "n/a (cannot create a connection)",
        "-",
        f"<= 2: {verdict(rerun <= 2)}",
    )
    fn, fre = fr["count"], fr["rerun"]
    add(
        f"   fleet of {fn:,} in one group, fresh run: API calls (entries provisioned)",
        f"{fr['fresh']['requests']:,} ({fr['connected']:,} connected)",
        "n/a (cannot create a connection)",
        "-",
    )
    add(
        f"   fleet of {fn:,} in one group, unchanged re-run: API calls / writes",
        f"{fre['requests']} / {fre['writes']}",
        f"n/a (cannot create; Terraform refresh: {fn:,} reads)",
        "-",
        f"<= 2 calls, no writes: {verdict(fre['requests'] <= 2 and fre['writes'] == 0 and fre['done'] == fn)}",
    )
    reps = f"median of {settings.wait_reps}" if settings.wait_reps > 1 else "1 run"
    add(
        f"3. {n:,} waits in one loop: completed with success ({reps})",
        f"{o['success']:.0f}",
        f"{t['success']:.0f}",
        "",
        f"all {n:,}: {verdict(o['success'] == n)}",
    )
    poll = f"{settings.poll:g} s"
    add(
        f"   requests per poll interval ({poll}): most in any interval / steady state",
        f"{o['max_per_interval']} / {o['steady_per_interval']:g}",
        f"{t['max_per_interval']} / {t['steady_per_interval']:g}",
        ratio(o["steady_per_interval"], t["steady_per_interval"]),
        f"<= 2: {verdict(o['max_per_interval'] <= 2)}",
    )
    ours_hour, theirs_hour = o["steady_per_interval"] * 120, t["steady_per_interval"] * 120
    add(
        f"   calls per hour of {n:,} waits at a 30 s interval (steady state x 120; limit 20,000/h)",
        f"{ours_hour:,.0f}",
        f"{theirs_hour:,.0f}",
        ratio(ours_hour, theirs_hour),
        f"< 20,000/h: {verdict(ours_hour < 20_000)}",
    )
    add(
        "   TCP connections accepted by the simulator",
        f"{o['connections']:.0f}",
        f"{t['connections']:.0f}",
        ratio(o["connections"], t["connections"]),
        f"<= waits ({n}): {verdict(o['connections'] <= n)}",
    )
    add(
        "   HTTP requests",
        f"{o['requests']:.0f}",
        f"{t['requests']:.0f}",
        ratio(o["requests"], t["requests"]),
    )
    add(
        "   peak RSS growth per wait (KB)",
        f"{o['mem_kb_per_wait']:.1f}",
        f"{t['mem_kb_per_wait']:.1f}",
        ratio(o["mem_kb_per_wait"], t["mem_kb_per_wait"]),
        f"lower: {verdict(o['mem_kb_per_wait'] < t['mem_kb_per_wait'])}",
    )
    add(
        "   CPU time per wait (ms, user+sys of the client)",
        f"{o['cpu_ms_per_wait']:.2f}",
        f"{t['cpu_ms_per_wait']:.2f}",
        ratio(o["cpu_ms_per_wait"], t["cpu_ms_per_wait"]),
        f"lower: {verdict(o['cpu_ms_per_wait'] < t['cpu_ms_per_wait'])}",
    )
    add(
        "   event-loop lag of a 10 ms ticker: p99 / max (ms)",
        f"{o['lag_p99_ms']:.0f} / {o['lag_max_ms']:.0f}",
        f"{t['lag_p99_ms']:.0f} / {t['lag_max_ms']:.0f}",
        ratio(o["lag_p99_ms"], t["lag_p99_ms"]),
    )
    add(
        "   wall time until every wait ended (s)",
        f"{o['elapsed_s']:.1f}",
        f"{t['elapsed_s']:.1f}",
        ratio(o["elapsed_s"], t["elapsed_s"]),
    )
    add(
        f"4. fleet of {f['count']} under {f['creates_per_window']} creates and {f['limit_per_window']} setup tests"
        f" / {f['window_s']:g} s: time / floor",
        f"{f['elapsed_s']:.1f} s / {f['floor_s']:.0f} s = {f['elapsed_s'] / f['floor_s']:.2f}",
        "n/a (cannot create a connection)",
        "-",
        f"<= 1.2: {verdict(f['elapsed_s'] <= 1.2 * f['floor_s'])}",
    )
    add(
        "   failures / 429 answers absorbed by retries",
        f"{f['failures']} / {f['http_429']}",
        "n/a",
        "-",
        f"0 failures: {verdict(f['failures'] == 0 and f['provisioned_ok'] == f['count'])}",
    )
    hours = f"{rt['simulated_s'] / 3600:g} simulated hour{'s' if rt['simulated_s'] != 3600 else ''}"
    add(
        f"5. {rt['count']} setup waits re-testing failing tests for {hours}: 429 answers",
        str(rt["http_429"]),
        "n/a (cannot re-test)",
        "-",
        f"0: {verdict(rt['http_429'] == 0)}",
    )
    minute_ok = rt["setup_tests_max_rolling_minute"] < 250
    add(
        "   setup-test calls: most in any rolling minute / in all",
        f"{rt['setup_tests_max_rolling_minute']} / {rt['setup_tests']:,}",
        f"n/a (naive re-test at every 30 s look: {rt['naive_setup_tests_per_minute']:,.0f}/min"
        f", {rt['naive_setup_tests_per_hour']:,.0f}/h)",
        "-",
        f"< 250 / < 2,500: {verdict(minute_ok and rt['setup_tests'] < 2_500)}",
    )
    ended = ", ".join(f"{k} {v}" for k, v in sorted(rt["wait_outcomes"].items()))
    add(
        "   list polls (the looks between re-tests) / how the waits ended",
        f"{rt['list_polls']} / {ended}",
        "n/a",
        "-",
    )
    head = ("benchmark", "ours", "theirs (fivetran-async 2.4.0)", "ratio ours/theirs", "target")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(5)]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *[line(r) for r in rows]]


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                cpu = row.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    theirs = (
        subprocess.run(
            [str(THEIR_PYTHON), "-c", "import airflow; print(airflow.__version__)"],
            capture_output=True,
            text=True,
            env=clean_env(),
        )
        .stdout.strip()
        .splitlines()
    )
    memory = "?"
    try:
        for row in Path("/proc/meminfo").read_text().splitlines():
            if row.startswith("MemTotal:"):
                memory = f"{int(row.split()[1]) / 1024 / 1024:.0f} GB"
                break
    except OSError:
        pass
    return {
        "memory": memory,
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "airflow_ours": our_airflow_version(),
        "airflow_theirs": theirs[-1] if theirs else "?",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: fewer processes, waits, connections")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument(
        "--write-readme", action="store_true", help="put the table between the README's bench markers"
    )
    args = parser.parse_args()
    settings = QUICK if args.quick else FULL
    started = time.monotonic()
    # Other work on the machine moves every figure: the header says how much there was.
    load = os.getloadavg()[0]
    (REPO / ".bench" / "airflow-home").mkdir(parents=True, exist_ok=True)

    ensure_bench_venv()
    results: dict[str, Any] = {}
    timings: dict[str, float] = {}
    steps = (
        ("parse", "row 1: DAG-parse cost", lambda: parse_cost(settings)),
        (
            "calls",
            f"row 2: API calls (and a fleet of {settings.rerun_count} run twice)",
            lambda: api_calls(settings),
        ),
        ("waits", f"row 3: {settings.waits} waits at once", lambda: waits_at_scale(settings)),
        (
            "fleet",
            f"row 4: fleet of {settings.fleet_count} under a rate limit",
            lambda: fleet_under_limit(settings),
        ),
        (
            "retests",
            f"row 5: {settings.retest_count} re-testing waits for {settings.retest_seconds:g} simulated s",
            lambda: retests_for_an_hour(settings),
        ),
    )
    for key, title, step in steps:
        log(f"{title} ...")
        step_started = time.monotonic()
        results[key] = step()
        timings[key] = time.monotonic() - step_started
        log(f"  done in {timings[key]:.0f} s")
    runtime = time.monotonic() - started

    lines = table(results, settings)
    info = machine()
    shown = [a for a in sys.argv[1:] if a not in ("--write-readme",)]
    if args.json:  # where the JSON went is not part of the measurement
        shown = [a for a in shown if a != "--json" and a != str(args.json)]
    command = " ".join([".venv/bin/python benchmarks/run.py", *shown])
    if not shown:
        command = f"make bench ({command})"
    header = (
        f"Command: `{command}`; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; runtime {runtime:.0f} s. "
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory']} RAM, load average {load:.1f} at start, "
        f"Python {info['python']}, "
        f"Airflow {info['airflow_ours']} (ours) / {info['airflow_theirs']} (theirs, .bench-venv)."
    )
    print(header)
    print()
    print("\n".join(lines))
    results.update(
        {
            "machine": info,
            "runtime_s": runtime,
            "row_runtime_s": timings,
            "quick": args.quick,
            "settings": settings.__dict__,
        }
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    if args.write_readme:
        write_between_markers(README, "bench", header + "\n\n" + "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
