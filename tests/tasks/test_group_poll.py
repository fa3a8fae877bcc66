"""Deferred waits of one group share one list poll per interval (``triggers.group_poll``).

The triggers run together in one event loop on a :class:`~tests.tasks.loop_clock.LoopClock` that moves the
simulator's manual clock in step; the simulator's request log is the count of what they sent.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from airflow_spotify_fivetran.spend import ApiSpend
from airflow_spotify_fivetran.triggers.fivetran import FivetranSetupTestsTrigger, FivetranSyncTrigger
from airflow_spotify_fivetran.triggers.group_poll import active_pollers, fresh, shares, use_group_poller
from fivetran_simulator.clock import parse_iso
from tests.tasks.clock import START
from tests.tasks.loop_clock import LoopClock
from tests.tasks.sim import Sim

LIST = ("GET", "/v1/connections")


@pytest.mark.parametrize(
    ("age", "max_age", "served"),
    [
        (0, 30, True),  # the answer of a fetch started at this very moment
        (29.9, 30, True),
        (30, 30, False),  # a whole interval old: waits polling in step fetch each interval
        (45, 30, False),
        (5, 10, True),
        (-1, 30, False),  # started "after now": another clock; never trusted
    ],
)
def test_which_answer_is_fresh_enough(age: float, max_age: float, served: bool) -> None:
    assert fresh(START, max_age, START + timedelta(seconds=age)) is served


def test_no_answer_is_never_fresh() -> None:
    assert fresh(None, 30, START) is False


def mover(sim: Sim) -> Any:
    async def advance(seconds: float) -> None:
        await asyncio.to_thread(sim.control.advance_clock, seconds)

    return advance


def sync_trigger(conn_id: str, group_id: str | None, interval: float = 30) -> FivetranSyncTrigger:
    return FivetranSyncTrigger(
        connection_id=conn_id,
        fivetran_conn_id="fivetran_default",
        poll_interval=interval,
        end_time=None,
        baseline=None,
        group_id=group_id,
    )


def per_interval(entries: list[dict[str, Any]], interval: float) -> Counter[int]:
    """Requests per ``interval`` of the simulator's clock, from its first request on."""
    times = [parse_iso(e["time"]) for e in entries]
    return Counter(int((t - times[0]).total_seconds() // interval) for t in times)


def test_fifty_waits_on_one_group_share_one_list_request_per_interval(sim: Sim) -> None:
    """Fifty syncs ending over 100 s: every wait ends on its own with its own connection's completion,
    while the group costs one list request per poll interval and no wait reads its connection alone."""
    sim.control.set_scenario({"sync": {"duration_seconds": 60}})
    conn_ids = [sim.create(f"spotify_group_{i}") for i in range(50)]
    for conn_id in conn_ids:  # each sync ends 2 s after the previous one
        sim.api("POST", f"/v1/connections/{conn_id}/sync", {})
        sim.control.advance_clock(2)
    sim.control.clear_requests()
    clock = LoopClock()

    events = asyncio.run(
        clock.run([sync_trigger(c, sim.group_id) for c in conn_ids], until=600, on_advance=mover(sim))
    )

    assert [e.payload["connection_id"] if e else None for e in events] == conn_ids
    assert {e.payload["status"] for e in events if e} == {"success"}
    assert all(e.payload["result"]["succeeded_at"] for e in events if e)
    log = sim.requests()
    assert {(e["method"], e["path"]) for e in log} == {LIST}
    assert {e["query"]["group_id"] for e in log} == {sim.group_id}
    assert max(per_interval(log, 30).values()) <= 2
    assert len(log) <= 2 * (clock.elapsed // 30 + 1)
    assert active_pollers() == 0


def test_a_rate_limited_list_is_remembered_not_retried_by_every_wait(sim: Sim) -> None:
    """Refused with a Retry-After of 300 s (longer than the hook waits inside a call): the waits looking in
    the meantime get the same refusal without a request, and all look again once it has passed."""
    conn_ids = [sim.create(f"spotify_limited_{i}") for i in range(20)]
    sim.control.add_fault("GET /v1/connections", "error", status=429, retry_after=300, count=1)
    sim.control.clear_requests()
    # Half look every 30 s, half every 45 s: the second half's first look falls inside the refusal.
    triggers = [
        FivetranSetupTestsTrigger(
            connection_id=c,
            fivetran_conn_id="fivetran_default",
            poll_interval=30 if i % 2 else 45,
            end_time=None,
            group_id=sim.group_id,
        )
        for i, c in enumerate(conn_ids)
    ]
    events = asyncio.run(LoopClock().run(triggers, until=900, on_advance=mover(sim)))

    assert [e.payload["status"] if e else None for e in events] == ["success"] * 20
    assert [(e["method"], e["path"], e["status"]) for e in sim.requests()] == [(*LIST, 429), (*LIST, 200)]


def test_a_connection_missing_from_its_groups_answer_is_read_on_its_own(sim: Sim) -> None:
    """Deleted, or moved to another group: the wait reads its own connection, and a 404 ends it clearly."""
    listed, moved = sim.create("spotify_listed"), sim.create("spotify_moved")
    sim.complete_sync(listed)
    sim.complete_sync(moved)
    triggers = [
        sync_trigger("no_such_connection", sim.group_id),
        sync_trigger(listed, sim.group_id),
        sync_trigger(moved, "no_such_group"),
        sync_trigger(listed, "no_such_group"),
    ]

    events = asyncio.run(LoopClock().run(triggers, until=60))

    assert [e.payload["status"] if e else None for e in events] == ["error", "success", "success", "success"]
    assert events[0] is not None
    assert "Connection with id 'no_such_connection' doesn't exist" in events[0].payload["message"]
    assert sorted((e["method"], e["path"], e["status"]) for e in sim.requests()) == sorted(
        [
            (*LIST, 200),
            (*LIST, 404),  # a group that is gone reads as empty: its waits read their own
            ("GET", "/v1/connections/no_such_connection", 404),
            ("GET", f"/v1/connections/{moved}", 200),
            ("GET", f"/v1/connections/{listed}", 200),
        ]
    )


def test_a_cancelled_wait_does_not_cancel_the_fetch_the_others_await(sim: Sim) -> None:
    first, second = sim.create("spotify_first"), sim.create("spotify_second")
    sim.control.add_fault("GET /v1/connections", "delay", seconds=0.5, count=1)
    leader_spend = ApiSpend()

    async def scenario() -> tuple[Any, Any]:
        with (
            use_group_poller("fivetran_default", {}, sim.group_id) as poller,
            use_group_poller("fivetran_default", {}, sim.group_id),
        ):
            leader = asyncio.create_task(poller.connection(first, max_age=30, now=START, spend=leader_spend))
            await asyncio.sleep(0.1)  # the leader's fetch is on its way
            follower = asyncio.create_task(poller.connection(second, max_age=30, now=START))
            await asyncio.sleep(0.1)
            leader.cancel()
            item = await follower
            with pytest.raises(asyncio.CancelledError):
                await leader
            return item, await poller.connection(first, max_age=30, now=START)

    second_item, first_item = asyncio.run(scenario())

    assert second_item["id"] == second
    assert first_item["id"] == first  # from the same answer
    assert sim.calls() == [LIST]
    assert leader_spend.calls == 1  # the wait that started the fetch counts it, cancelled or not
    assert active_pollers() == 0


def test_a_fetch_error_goes_to_its_waits_and_the_next_look_fetches_again(sim: Sim) -> None:
    conn_id = sim.create()
    sim.control.add_fault("GET /v1/connections", "error", status=400, count=1)

    async def scenario() -> Any:
        with (
            use_group_poller("fivetran_default", {}, sim.group_id) as poller,
            use_group_poller("fivetran_default", {}, sim.group_id),
        ):
            with pytest.raises(Exception, match="400"):
                await poller.connection(conn_id, max_age=30, now=START)
            return await poller.connection(conn_id, max_age=30, now=START + timedelta(seconds=1))

    assert asyncio.run(scenario())["id"] == conn_id
    assert [e["status"] for e in sim.requests()] == [400, 200]


def test_waits_through_other_settings_or_groups_do_not_share_a_poll() -> None:
    async def scenario() -> list[bool]:
        with (
            use_group_poller("fivetran_default", {}, "g1") as a,
            use_group_poller("fivetran_default", {}, "g1") as same,
            use_group_poller("fivetran_default", {"max_attempts": 1}, "g1") as other_settings,
            use_group_poller("fivetran_other", {}, "g1") as other_conn,
            use_group_poller("fivetran_default", {}, "g2") as other_group,
        ):
            return [same is a, other_settings is a, other_conn is a, other_group is a]

    assert asyncio.run(scenario()) == [True, False, False, False]
    assert active_pollers() == 0


def test_sync_trigger_without_a_group_reads_its_connection_as_before(sim: Sim) -> None:
    conn_id = sim.create()
    sim.complete_sync(conn_id)
    (event,) = asyncio.run(LoopClock().run([sync_trigger(conn_id, None)], until=60))

    assert event is not None
    assert event.payload["status"] == "success"
    assert sim.calls() == [("GET", f"/v1/connections/{conn_id}")]


@pytest.mark.parametrize(
    ("waits", "pages", "shared"),
    [(1, 1, False), (2, 1, True), (2, 0, True), (3, 3, False), (4, 3, True)],
)
def test_a_poll_is_shared_only_when_it_saves_requests(waits: int, pages: int, shared: bool) -> None:
    assert shares(waits, pages) is shared


def test_a_lone_wait_of_a_group_reads_its_own_connection(sim: Sim) -> None:
    """One wait: its own read costs the same one request as the group's list, with a far smaller answer."""
    conn_id = sim.create()
    sim.complete_sync(conn_id)
    (event,) = asyncio.run(LoopClock().run([sync_trigger(conn_id, sim.group_id)], until=60))

    assert event is not None
    assert event.payload["status"] == "success"
    assert sim.calls() == [("GET", f"/v1/connections/{conn_id}")]
