"""A thousand concurrent pollers: every answer arrives (a smoke check of the design, not a benchmark).

The simulator answers from memory on one event loop, with O(1) lookups and keep-alive connections. If a
change made it block or scan, the pollers would wait on each other; a hang ends at the guard. The throughput is
printed with -s; how fast belongs in ``make bench``, not here.
"""

from __future__ import annotations

import asyncio
import base64
import time

import aiohttp

from builders import create
from fivetran_simulator import DEFAULT_GROUP_ID, SimulatorServer
from tests.helpers.simulator import SimulatorHttp
from tests.limits import HANG_GUARD

POLLERS = 1000
POLLS_EACH = 5


async def test_a_thousand_concurrent_pollers(
    simulator: SimulatorServer, simulator_http: SimulatorHttp
) -> None:
    ids = [create(simulator_http, f"load_{i}", run_setup_tests=False)["id"] for i in range(50)]
    token = base64.b64encode(f"{simulator.api_key}:{simulator.api_secret}".encode()).decode()
    headers = {"Accept": "application/json;version=2", "Authorization": f"Basic {token}"}
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=HANG_GUARD)

    async def poll(session: aiohttp.ClientSession, n: int) -> list[int]:
        codes = []
        for i in range(POLLS_EACH):
            if i % 2:
                url = f"{simulator.base_url}/v1/connections/{ids[n % len(ids)]}"
            else:
                url = f"{simulator.base_url}/v1/connections?group_id={DEFAULT_GROUP_ID}&schema=load_{n % len(ids)}"
            async with session.get(url, headers=headers) as response:
                await response.json()
                codes.append(response.status)
        return codes

    started = time.monotonic()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        results = await asyncio.gather(*(poll(session, n) for n in range(POLLERS)))
    elapsed = time.monotonic() - started
    codes = [code for poller in results for code in poller]
    assert codes == [200] * (POLLERS * POLLS_EACH)
    print(
        f"{len(codes)} answers to {POLLERS} concurrent pollers in {elapsed:.2f} s ({len(codes) / elapsed:.0f}/s)"
    )
