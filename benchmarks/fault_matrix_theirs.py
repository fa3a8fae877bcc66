"""Our fault matrix, run against their provider too: a comparison for the README, not a test that must pass.

``tests/reliability/test_fault_matrix.py`` holds our hook to {429 + Retry-After, 500, 502, 503, 504, dropped
connection, read timeout, non-JSON body, truncated JSON} x {create, details, list, modify, setup tests, sync}.
``airflow-provider-fivetran-async`` 2.4.0 has two of those operations, so this runs the same faults on those two
for both providers, over real HTTP, each case against a fresh simulator:

* details: ours ``FivetranHook.get_connection_details(id)`` (``GET /v1/connections/{id}``), theirs
  ``FivetranHook.get_connector(id)`` (``GET /v1/connectors/{id}``);
* sync: ours ``FivetranHook.sync_connection(id)`` (``POST /v1/connections/{id}/sync``), theirs
  ``FivetranHook.start_fivetran_sync(id)`` (what their operator calls: ``GET /v1/connectors/{id}``, then
  ``POST /v1/connectors/{id}/force``); the fault is armed on the POST, the request that starts the sync.

Modes: transient (the fault once) and persistent (budget + 1 faults). The same budget on both sides: 3 attempts
(ours ``max_attempts=3``, theirs ``retry_limit=3``); between attempts ours waits ``Retry-After`` or a jittered
0.5-1 s then 1-2 s, theirs its ``retry_delay`` (1 s, their default). Read timeout: ours ``read_timeout=0.5``;
theirs gets ``timeout_seconds=0.5`` too, which it stores and never passes to ``requests``, so each case runs
under a wall-clock guard (20 s) and a case still running then is recorded as "hung (no timeout)".

The simulator is the package's ``SimulatorServer`` with ``benchsim.py``'s ``/v1/connectors`` alias, plus one
alias more, here only: their sync calls ``POST /v1/connectors/{id}/force``, the old force-sync path, which is
served as ``POST /v1/connections/{id}/sync``. Faults match the path the client really called.

Per cell: the outcome (recovered / failed clearly / failed unclearly / hung), the requests that reached the
faulted route (faults consumed + requests answered normally: a request still held by a delay counts too), and
the error text. "Clearly" means the exception's own text names what happened: the HTTP status with Fivetran's
code or message (or the gateway's text), the transport problem (connection, timeout), or the invalid JSON.

Usage: ``.venv/bin/python benchmarks/fault_matrix_theirs.py [--json FILE] [--guard 20] [--write-readme]``
(about 1 minute; creates ``.bench-venv`` first when it is missing, as ``run.py`` does). ``--write-readme``
puts the summary (one row per fault, the two operations folded together where they agree) between the
``fault-matrix`` markers of the repository's README, and every cell and error text between the
``fault-matrix-cells`` markers of ``benchmarks/README.md`` (``make bench`` does).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

import requests
from benchsim import BenchApi, BenchControlApi
from common import HERE, OUR_PYTHON, REPO, THEIR_PACKAGE, THEIR_PYTHON, clean_env, write_between_markers
from run import ensure_bench_venv, our_airflow_version

from fivetran_simulator import server as server_module
from fivetran_simulator.app import Route
from fivetran_simulator.server import SimulatorServer

BUDGET = 3
READ_TIMEOUT = 0.5
THEIR_RETRY_DELAY = 1.0
GUARD = 20.0
HOLD = 60.0  # how long the read-timeout fault holds the answer: longer than the guard
WORKERS = {"ours": 2, "theirs": 3}
SCRATCH = REPO / ".bench" / "fault-matrix"

# -- the matrix ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    label: str
    spec: dict[str, Any]
    clear: str  # a regular expression: an error text that says what happened


KINDS: tuple[Kind, ...] = (
    Kind(
        "429 + Retry-After: 1",
        {"kind": "error", "status": 429, "retry_after": 1},
        r"429.*(TooManyRequests|Simulated fault)|(TooManyRequests|Simulated fault).*429",
    ),
    Kind(
        "500",
        {"kind": "error", "status": 500},
        r"500.*(InternalServerError|Simulated fault)|(InternalServerError|Simulated fault).*500",
    ),
    Kind("502 (gateway text/plain)", {"kind": "text", "status": 502}, r"502.*Bad Gateway"),
    Kind(
        "503",
        {"kind": "error", "status": 503},
        r"503.*(ServiceUnavailable|Simulated fault)|(ServiceUnavailable|Simulated fault).*503",
    ),
    Kind(
        "504",
        {"kind": "error", "status": 504},
        r"504.*(GatewayTimeout|Simulated fault)|(GatewayTimeout|Simulated fault).*504",
    ),
    Kind("dropped connection", {"kind": "drop"}, r"(?i)connection|disconnected|aborted"),
    Kind(
        "read timeout (answer held 60 s)",
        {"kind": "delay", "seconds": HOLD, "apply": True},
        r"(?i)time ?out|timed out",
    ),
    Kind(
        "non-JSON body (200, HTML)",
        {
            "kind": "malformed_json",
            "status": 200,
            "body": "<html><body>Service temporarily unavailable</body></html>",
        },
        r"(?i)json",
    ),
    Kind("truncated JSON (200)", {"kind": "truncated_json"}, r"(?i)json"),
)
MODES = {"transient": 1, "persistent": BUDGET + 1}
OPS = ("details", "sync")
SIDES = ("ours", "theirs")
ROUTES = {
    ("ours", "details"): "GET /v1/connections/{id}",
    ("ours", "sync"): "POST /v1/connections/{id}/sync",
    ("theirs", "details"): "GET /v1/connectors/{id}",
    ("theirs", "sync"): "POST /v1/connectors/{id}/force",
}


@dataclass(frozen=True)
class Case:
    kind: Kind
    mode: str
    op: str
    side: str

    @property
    def route(self) -> str:
        return ROUTES[(self.side, self.op)]

    @property
    def key(self) -> str:
        return f"{self.kind.label} | {self.mode} | {self.op} | {self.side}"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the simulator ---------------------------------------------------------------------------------------


class ForceAliasApi(BenchApi):
    """``benchsim.py``'s API (``/v1/connectors`` alias) plus their old force-sync path."""

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], list[str]]:
        if method == "POST" and path.startswith("/v1/connectors/") and path.endswith("/force"):
            path = path[: -len("/force")] + "/sync"
        return super().match(method, path)


class FaultSim(SimulatorServer):
    """A fresh simulator per case, in a thread of this process. This process runs no other simulator, so the
    server module's API class is swapped for good (as ``benchsim.py`` does in its own process)."""

    async def _start_async(self, sock: Any) -> None:
        server_module.FivetranApi = ForceAliasApi  # type: ignore[misc]
        server_module.ControlApi = BenchControlApi  # type: ignore[misc]
        await super()._start_async(sock)

    def populate(self) -> str:
        """One connected, unpaused connection (the demo credentials) in the default group; its id."""
        response = requests.post(
            f"{self.base_url}/_bench/populate", json={"count": 1, "prefix": "fm"}, timeout=10
        )
        response.raise_for_status()
        conn_id: str = response.json()["ids"][0]
        return conn_id


# -- the clients -----------------------------------------------------------------------------------------


class Worker:
    """A ``fault_case.py`` process of one side; replaced when a case outlives the guard."""

    def __init__(self, side: str, name: str) -> None:
        self.side, self.name = side, name
        self.proc: subprocess.Popen[str] | None = None
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.started = 0

    def _start(self) -> subprocess.Popen[str]:
        python = THEIR_PYTHON if self.side == "theirs" else OUR_PYTHON
        SCRATCH.mkdir(parents=True, exist_ok=True)
        self.started += 1
        # The client's log lines (stderr, and the structlog lines Airflow prints on stdout) go to a scratch file.
        err: IO[str] = open(SCRATCH / f"{self.name}-{self.started}.log", "w", encoding="utf-8")  # noqa: SIM115
        proc = subprocess.Popen(
            [str(python), str(HERE / "fault_case.py"), "--side", self.side],
            cwd=REPO,
            env=clean_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            start_new_session=True,
        )
        self.lines = queue.Queue()
        lines = self.lines
        assert proc.stdout is not None
        stdout = proc.stdout

        def pump() -> None:
            with err:
                for line in stdout:
                    if line.startswith(("READY", "RESULT ")):
                        lines.put(line)
                    else:
                        err.write(line)
                        err.flush()
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        while True:
            line = lines.get(timeout=120)
            if line is None:
                raise RuntimeError(f"{self.side} client exited at start; see {SCRATCH}/{self.name}-*.log")
            if line.startswith("READY"):
                return proc

    def ensure(self) -> None:
        """A client ready for a case (its imports done, outside any case's guard)."""
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()

    def run(self, case: dict[str, Any], guard: float) -> dict[str, Any] | None:
        """The client's reply, or ``None`` when it was still busy after ``guard`` seconds (then killed)."""
        self.ensure()
        assert self.proc is not None
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(case) + "\n")
        self.proc.stdin.flush()
        deadline = time.monotonic() + guard
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.kill()
                return None
            if line is None:
                self.proc = None
                raise RuntimeError(f"{self.side} client died; see {SCRATCH}/{self.name}-*.log")
            if line.startswith("RESULT "):
                reply: dict[str, Any] = json.loads(line[len("RESULT ") :])
                return reply

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: only this client
            self.proc.wait()
        self.proc = None

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None


# -- one case ------------------------------------------------------------------------------------------


def shorten(text: str, base_url: str, conn_id: str, route: str, limit: int = 170) -> str:
    """The error text, comparable across cells: no address, ``{id}`` for the id, ``<call>`` for the request."""
    text = text.replace(base_url, "").replace(conn_id, "{id}").replace(route, "<call>")
    text = re.sub(r"127\.0\.0\.1:\d+", "HOST", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def run_case(case: Case, worker: Worker, guard: float) -> dict[str, Any]:
    worker.ensure()
    with FaultSim() as sim:
        conn_id = sim.populate()
        sim.control.clear_requests()
        count = MODES[case.mode]
        sim.control.add_faults([{**case.kind.spec, "route": case.route, "count": count}])
        started = time.monotonic()
        reply = worker.run(
            {
                "op": case.op,
                "conn_id": conn_id,
                "url": sim.base_url,
                "airflow_conn": sim.airflow_conn_json,
                "attempts": BUDGET,
                "read_timeout": READ_TIMEOUT,
                "retry_delay": THEIR_RETRY_DELAY,
            },
            guard,
        )
        seconds = time.monotonic() - started
        faults = sim.control.faults()
        consumed = count - (int(faults[0]["count"]) if faults else 0)
        method, path = case.route.split(" ", 1)
        pattern = re.compile("^" + re.escape(path).replace(re.escape("{id}"), "[^/]+") + "$")
        answered = [
            e
            for e in sim.control.requests()
            if e["method"] == method and pattern.match(e["path"]) and not e["fault"]
        ]
        state = sim.control.connection(conn_id)
    attempts = consumed + len(answered)
    row: dict[str, Any] = {
        "kind": case.kind.label,
        "mode": case.mode,
        "op": case.op,
        "side": case.side,
        "route": case.route,
        "attempts": attempts,
        "seconds": round(seconds, 1),
        "sync_started": state["_sim"]["sync"] is not None,
    }
    if reply is None:
        row.update(outcome="hung (no timeout)", error=f"still waiting after {guard:g} s (killed)")
    elif reply["ok"]:
        result = reply["result"]
        right = result.get("id") == conn_id if case.op == "details" else row["sync_started"]
        row.update(outcome="recovered" if right else "wrong result", result=result)
    else:
        text = f"{reply['error_type']}: {reply['error']}"
        clear = bool(re.search(case.kind.clear, reply["error"]))
        row.update(
            outcome="failed clearly" if clear else "failed unclearly",
            error_type=reply["error_type"],
            error=shorten(text, sim.base_url, conn_id, case.route),
        )
    return row


def run_all(guard: float) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    lock = threading.Lock()
    failures: list[BaseException] = []
    queues: dict[str, queue.Queue[Case]] = {side: queue.Queue() for side in SIDES}
    ordered = sorted(
        (Case(kind, mode, op, side) for kind in KINDS for mode in MODES for op in OPS for side in SIDES),
        key=lambda c: (c.kind.spec["kind"] != "delay",),  # the long ones first, so the others overlap them
    )
    for case in ordered:
        queues[case.side].put(case)
    total = len(ordered)

    def serve(side: str, index: int) -> None:
        worker = Worker(side, f"{side}-{index}")
        try:
            while True:
                try:
                    case = queues[side].get_nowait()
                except queue.Empty:
                    return
                row = run_case(case, worker, guard)
                with lock:
                    results.append(row)
                    log(
                        f"  [{len(results):2d}/{total}] {case.key}: {row['outcome']}, {row['attempts']} requests"
                    )
        except BaseException as exc:
            failures.append(exc)
        finally:
            worker.close()

    threads = [
        threading.Thread(target=serve, args=(side, i), daemon=True)
        for side in SIDES
        for i in range(WORKERS[side])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return results


# -- the tables ------------------------------------------------------------------------------------------


def cell(row: dict[str, Any]) -> str:
    n = row["attempts"]
    return f"{row['outcome']}, {n} req"


def md_table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *[line(r) for r in rows]]


def tables(results: list[dict[str, Any]]) -> list[str]:
    by = {(r["kind"], r["mode"], r["op"], r["side"]): r for r in results}
    rows = []
    for kind in KINDS:
        for mode in MODES:
            rows.append(
                (
                    kind.label,
                    mode,
                    *(cell(by[(kind.label, mode, op, side)]) for op in OPS for side in SIDES),
                )
            )
    head = ("fault", "mode", "details: ours", "details: theirs", "sync: ours", "sync: theirs")
    lines = md_table(head, rows)

    # The error texts, each once, with the cells that gave it.
    texts: dict[tuple[str, str], dict[str, list[str]]] = {}
    short_mode = {"transient": "T", "persistent": "P"}
    for kind in KINDS:
        for mode in MODES:
            for op in OPS:
                for side in SIDES:
                    row = by[(kind.label, mode, op, side)]
                    if "error" in row:
                        found = texts.setdefault((side, row["error"]), {"ops": [], "faults": []})
                        fault = f"{kind.label.split(' (')[0].split(' +')[0]} {short_mode[mode]}"
                        found["ops"] += [op] if op not in found["ops"] else []
                        found["faults"] += [fault] if fault not in found["faults"] else []
    text_rows = [
        (
            side,
            "`" + text.replace("|", "\\|").replace("`", "'") + "`",
            f"{' + '.join(where['ops'])}: {', '.join(where['faults'])}",
        )
        for (side, text), where in sorted(texts.items(), key=lambda item: item[0][0])
    ]
    head = ("side", "error text (shortened; `<call>`: the request, `{id}`: the connection id)", "where (T/P)")
    lines += ["", *md_table(head, text_rows)]
    return lines


def summary_cell(rows: list[dict[str, Any]]) -> str:
    """One side's outcome for one fault and mode, over both operations: once when they agree."""

    def one(row: dict[str, Any]) -> str:
        failed = f" ({row['error_type']})" if row.get("error_type") else ""
        return f"{row['outcome']}{failed}, {row['attempts']} req"

    texts = [one(row) for row in rows]
    if len(set(texts)) == 1:
        return texts[0]
    return "; ".join(f"{row['op']}: {text}" for row, text in zip(rows, texts, strict=True))


def summary(results: list[dict[str, Any]]) -> list[str]:
    """One row per fault (faults with the same outcomes share a row): once and always, ours and theirs."""
    by = {(r["kind"], r["mode"], r["op"], r["side"]): r for r in results}
    rows: list[tuple[list[str], tuple[str, ...]]] = []
    for kind in KINDS:
        cells = tuple(
            summary_cell([by[(kind.label, mode, op, side)] for op in OPS]) for mode in MODES for side in SIDES
        )
        if rows and rows[-1][1] == cells:
            rows[-1][0].append(kind.label)
        else:
            rows.append(([kind.label], cells))
    head = ("fault", "once: ours", "once: theirs", "always: ours", "always: theirs")
    return md_table(head, [(", ".join(labels), *cells) for labels, cells in rows])


def versions() -> str:
    """``Airflow A (ours) / B (theirs); theirs: airflow-provider-fivetran-async C``."""
    probe = (
        "import importlib.metadata as m; "
        "print(m.version('apache-airflow'), m.version('airflow-provider-fivetran-async'))"
    )
    found = subprocess.run([str(THEIR_PYTHON), "-c", probe], capture_output=True, text=True, env=clean_env())
    theirs = (found.stdout.split() or ["?", THEIR_PACKAGE])[-2:]
    return f"Airflow {our_airflow_version()} (ours) / {theirs[0]} (theirs); theirs: airflow-provider-fivetran-async {theirs[1]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=str, help="also write every cell to this JSON file")
    parser.add_argument("--guard", type=float, default=GUARD, help="wall-clock limit per case, seconds")
    parser.add_argument(
        "--write-readme",
        action="store_true",
        help="put the summary into README.md and every cell into benchmarks/README.md, between markers",
    )
    args = parser.parse_args()
    started = time.monotonic()
    load = os.getloadavg()[0]
    (REPO / ".bench" / "airflow-home").mkdir(parents=True, exist_ok=True)
    ensure_bench_venv()
    log(
        f"fault matrix: {len(KINDS)} faults x {len(MODES)} modes x {len(OPS)} operations x {len(SIDES)} sides ..."
    )
    results = run_all(args.guard)
    runtime = time.monotonic() - started
    header = (
        f"Command: `.venv/bin/python benchmarks/fault_matrix_theirs.py`; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
        f"runtime {runtime:.0f} s; {os.cpu_count()} CPUs, load average {load:.1f} at start; Python {platform.python_version()}, {versions()}. "
        f"Budget {BUDGET} attempts each; cells: outcome, requests that reached the faulted route."
    )
    cells = "\n".join(tables(results))
    print(header)
    print()
    print(cells)
    if args.write_readme:
        write_between_markers(
            REPO / "README.md", "fault-matrix", header + "\n\n" + "\n".join(summary(results))
        )
        write_between_markers(HERE / "README.md", "fault-matrix-cells", header + "\n\n" + cells)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"runtime_s": runtime, "cells": results}, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
