"""Row 3's client: N deferred waits at once in ONE event loop, as a triggerer holds them.

Runs under either virtual environment (it imports only the side it measures):

* ``--side ours``: N ``airflow_spotify_fivetran.triggers.FivetranSyncTrigger(...).run()`` generators, given the
  connections' group (``--group``, as our sync operator hands its trigger the group its first check saw), so
  they share one list poll per interval (``triggers/group_poll.py``);
* ``--side theirs``: N ``fivetran_provider_async.triggers.FivetranTrigger(...).run()`` generators (2.4.0). Its
  hook builds every URL as ``f"{api_protocol}://{api_host}/{endpoint}"`` from class attributes
  (``https``, ``api.fivetran.com``): this harness sets those two attributes to the simulator's scheme and
  address, the only way to point it anywhere else; nothing else of it is changed.

Both get the same baseline (the moment before the syncs started) so neither spends a call to find it, the same
poll interval, and logging filtered at WARNING (structlog), so neither pays for formatting INFO lines.

Protocol: prints ``READY <rss_kb>`` once imported and the triggers are built, waits for a line on stdin (the
harness starts the syncs meanwhile), runs every wait to its first event while a ticker coroutine measures
how late 10 ms sleeps wake up, then prints one JSON line of figures.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import resource
import sys
import time
from collections.abc import AsyncGenerator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

TICK = 0.010


def rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def quiet_logging() -> None:
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.disable(logging.INFO)


def build_ours(ids: list[str], baseline: str, poll: float, group_id: str | None) -> list[Any]:
    # What run() imports on first use; a triggerer already running such triggers has it loaded.
    import airflow_spotify_fivetran.decisions
    import airflow_spotify_fivetran.hooks.api
    import airflow_spotify_fivetran.hooks.fivetran_async
    import airflow_spotify_fivetran.models
    import airflow_spotify_fivetran.summaries
    import airflow_spotify_fivetran.triggers.group_poll  # noqa: F401
    from airflow_spotify_fivetran.triggers import FivetranSyncTrigger

    end_time = (datetime.now(UTC) + timedelta(minutes=30)).isoformat()
    return [
        FivetranSyncTrigger(
            connection_id=conn_id,
            fivetran_conn_id="fivetran_default",
            poll_interval=poll,
            end_time=end_time,
            baseline=baseline,
            group_id=group_id,
        )
        for conn_id in ids
    ]


def build_theirs(ids: list[str], baseline: str, poll: float, base_url: str) -> list[Any]:
    import pendulum
    from fivetran_provider_async.hooks import FivetranHook
    from fivetran_provider_async.triggers import FivetranTrigger

    url = urlsplit(base_url)
    FivetranHook.api_protocol = url.scheme
    FivetranHook.api_host = url.netloc
    previous = pendulum.parse(baseline)
    return [
        FivetranTrigger(
            task_id=f"wait_{i}",
            connector_id=conn_id,
            fivetran_conn_id="fivetran_default",
            previous_completed_at=previous,
            poke_interval=poll,
        )
        for i, conn_id in enumerate(ids)
    ]


async def first_event(trigger: Any) -> dict[str, Any]:
    events: AsyncGenerator[Any, None] = trigger.run()
    try:
        event = await anext(events)
    finally:
        await events.aclose()
    payload: dict[str, Any] = event.payload
    return payload


async def ticker(stop: asyncio.Event, lateness: list[float]) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        start = loop.time()
        await asyncio.sleep(TICK)
        lateness.append(loop.time() - start - TICK)


async def run_all(triggers: list[Any]) -> tuple[list[dict[str, Any]], list[float], float]:
    stop = asyncio.Event()
    lateness: list[float] = []
    tick = asyncio.create_task(ticker(stop, lateness))
    await asyncio.sleep(0.05)  # the ticker's first samples: an idle loop
    started = time.perf_counter()
    results = await asyncio.gather(*(first_event(t) for t in triggers), return_exceptions=True)
    elapsed = time.perf_counter() - started
    stop.set()
    await tick
    payloads = [r if isinstance(r, dict) else {"status": "exception", "message": repr(r)} for r in results]
    return payloads, lateness, elapsed


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", choices=("ours", "theirs"), required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--ids", required=True, help="JSON file: the connection ids to wait for")
    parser.add_argument("--baseline", required=True, help="ISO time before the syncs started")
    parser.add_argument("--poll", type=float, default=1.0)
    parser.add_argument("--group", default=None, help="ours: the connections' group (their shared poll)")
    args = parser.parse_args()

    with open(args.ids, encoding="utf-8") as handle:
        ids: list[str] = json.load(handle)
    builder: Callable[[], list[Any]]
    if args.side == "ours":
        builder = lambda: build_ours(ids, args.baseline, args.poll, args.group)  # noqa: E731
    else:
        builder = lambda: build_theirs(ids, args.baseline, args.poll, args.url)  # noqa: E731
    triggers = builder()
    quiet_logging()
    gc.collect()
    before_rss = rss_kb()
    print(f"READY {before_rss}", flush=True)
    sys.stdin.readline()

    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    payloads, lateness, elapsed = asyncio.run(run_all(triggers))
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    statuses: dict[str, int] = {}
    for payload in payloads:
        statuses[str(payload.get("status"))] = statuses.get(str(payload.get("status")), 0) + 1
    failures = [p for p in payloads if p.get("status") != "success"][:3]
    print(
        json.dumps(
            {
                "side": args.side,
                "waits": len(triggers),
                "statuses": statuses,
                "failure_samples": failures,
                "elapsed_s": elapsed,
                "cpu_s": cpu,
                "rss_before_kb": before_rss,
                "maxrss_kb": usage1.ru_maxrss,
                "lag_max_ms": max(lateness, default=0.0) * 1000,
                "lag_p99_ms": percentile(lateness, 0.99) * 1000,
                "lag_samples": len(lateness),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
