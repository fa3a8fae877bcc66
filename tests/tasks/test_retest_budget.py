"""Re-testing setup tests backs off (``decisions.retest_due``) and stays within the triggerer's setup-test
budget (``triggers.setup_test_budget``), so waits for access that never comes do not meet a wall of 429s."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from airflow.sdk import Context

from airflow_spotify_fivetran.decisions import retest_due, retest_due_at_poke, retest_moments_until
from airflow_spotify_fivetran.sensors.fivetran import FivetranSetupTestsSensor
from airflow_spotify_fivetran.triggers import setup_test_budget
from airflow_spotify_fivetran.triggers.fivetran import FivetranSetupTestsTrigger
from airflow_spotify_fivetran.triggers.setup_test_budget import SetupTestBudget, active_budgets
from fivetran_simulator.clock import parse_iso
from tests.tasks.clock import START, FakeClock
from tests.tasks.loop_clock import LoopClock
from tests.tasks.sim import Sim

# -- the schedule ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "moments"),
    [
        (30, [0, 30, 90, 210, 450, 930, 1530, 2130, 2730, 3330]),  # gaps 30, 60, 120, 240, 480, then 600
        (60, [0, 60, 180, 420, 900, 1500, 2100, 2700, 3300]),  # 60, 120, 240, 480, then 600
        (900, [0, 900, 1800, 2700, 3600]),  # an interval beyond the cap: every look
    ],
)
def test_retests_come_at_doubling_gaps_up_to_ten_minutes(interval: float, moments: list[float]) -> None:
    looks = [k * interval for k in range(int(3600 // interval) + 1)]
    due = [
        t
        for t in looks
        if retest_due(START, START + timedelta(seconds=t - interval), START + timedelta(seconds=t), interval)
    ]
    assert due == [m for m in moments if m <= 3600]


def test_the_schedule_does_not_depend_on_when_the_looks_come() -> None:
    """Looks late or irregular: each moment is re-tested once, at the first look at or after it."""
    looks = [0, 31, 95, 100, 215, 460, 461, 935]
    due = [
        now
        for previous, now in zip([None, *looks], looks, strict=False)
        if retest_due(
            START,
            None if previous is None else START + timedelta(seconds=previous),
            START + timedelta(seconds=now),
            30,
        )
    ]
    assert due == [0, 31, 95, 215, 460, 935]


def test_a_rebuilt_trigger_without_a_previous_look_re_tests_once_then_keeps_the_schedule() -> None:
    now = START + timedelta(seconds=700)  # restarted after the moment at 450, before the one at 930
    assert retest_due(START, None, now, 30)
    assert not retest_due(START, now, now + timedelta(seconds=30), 30)
    assert retest_due(START, START + timedelta(seconds=920), START + timedelta(seconds=930), 30)


@pytest.mark.parametrize(
    ("interval", "pokes"),
    [(30, [0, 1, 3, 7, 15, 31, 51, 71]), (60, [0, 1, 3, 7, 15, 25, 35]), (1, [0, 1, 3, 7, 15, 31, 63])],
)
def test_worker_pokes_re_test_on_the_same_schedule_counted_in_pokes(
    interval: float, pokes: list[int]
) -> None:
    assert [p for p in range(pokes[-1] + 1) if retest_due_at_poke(p, interval)] == pokes


def test_moments_are_counted_from_the_start() -> None:
    assert [retest_moments_until(t, 30) for t in (-1, 0, 29, 30, 89, 90, 3600)] == [0, 1, 1, 2, 2, 3, 10]


# -- the budget --------------------------------------------------------------------------------------------


def test_the_budget_lets_a_minutes_worth_through_then_waits_for_the_oldest_to_leave() -> None:
    clock = FakeClock()
    budget = SetupTestBudget(per_minute=3, per_hour=5)

    async def takes(count: int) -> list[float]:
        moments = []
        for _ in range(count):
            assert await budget.take(clock.now, clock.sleep)
            moments.append(clock.elapsed)
        return moments

    # 3 at once; the 4th and 5th when the first minute has passed; the 6th when the first hour has.
    assert asyncio.run(takes(6)) == [0, 0, 0, 60, 60, 3600]


def test_a_slot_after_the_waits_end_is_refused_at_once() -> None:
    clock = FakeClock()
    budget = SetupTestBudget(per_minute=1, per_hour=10)

    async def scenario() -> list[bool]:
        first = await budget.take(clock.now, clock.sleep, latest=clock.at(30))
        second = await budget.take(clock.now, clock.sleep, latest=clock.at(30))
        return [first, second]

    assert asyncio.run(scenario()) == [True, False]
    assert clock.sleeps == []


def test_the_budget_keeps_a_fifth_of_fivetrans_limits_for_other_clients() -> None:
    budget = SetupTestBudget()
    assert (budget.per_minute, budget.per_hour) == (200, 2000)  # of 250 a minute, 2,500 an hour


# -- many waits re-testing against the simulator's limits --------------------------------------------------


def setup_trigger(conn_id: str, sim: Sim, end: float) -> FivetranSetupTestsTrigger:
    return FivetranSetupTestsTrigger(
        connection_id=conn_id,
        fivetran_conn_id="fivetran_default",
        poll_interval=30,
        end_time=(START + timedelta(seconds=end)).isoformat(),
        retest=True,
        failures_are_final=False,
        group_id=sim.group_id,
        wait_started=START.isoformat(),
    )


def most_in_any_window(seconds: list[float], span: float) -> int:
    return max((sum(1 for t in seconds if s <= t < s + span) for s in seconds), default=0)


def test_many_waits_whose_tests_keep_failing_stay_under_the_setup_test_limit(
    sim: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    """40 waits for access that never comes, for 40 simulated minutes, against a simulator whose setup-test
    limits are a tenth of Fivetran's (25 a minute, 250 an hour) and a budget at 80% of those: no 429, never
    more than the budget in any minute, and the looks between re-tests cost one list request per interval."""
    per_minute, per_hour = 20, 200
    monkeypatch.setattr(
        setup_test_budget,
        "SetupTestBudget",
        partial(SetupTestBudget, per_minute=per_minute, per_hour=per_hour),
    )
    conn_ids = [sim.create(f"spotify_no_access_{i}", auth=False, run_setup_tests=False) for i in range(40)]
    sim.control.set_scenario({"rate_limits": {"setup_tests_per_minute": 25, "setup_tests_per_hour": 250}})
    sim.control.clear_requests()

    async def advance(seconds: float) -> None:
        await asyncio.to_thread(sim.control.advance_clock, seconds)

    events = asyncio.run(
        LoopClock().run([setup_trigger(c, sim, 2400) for c in conn_ids], until=2400, on_advance=advance)
    )

    assert [e.payload["status"] if e else None for e in events] == ["timeout"] * 40
    assert all("setup tests still failing" in e.payload["message"] for e in events if e)
    log = sim.requests()
    assert [e for e in log if e["status"] == 429] == []
    tests = [e for e in log if e["method"] == "POST" and e["path"].endswith("/test")]
    start = parse_iso(log[0]["time"])
    moments = [(parse_iso(e["time"]) - start).total_seconds() for e in tests]
    assert most_in_any_window(moments, 60) <= per_minute
    # Unbudgeted, 40 waits would re-test at 30, 90, 210, 450, 930, 1530, 2130 s: 280 runs in 40 minutes.
    assert 150 <= len(tests) <= per_hour
    assert {e["path"] for e in tests} == {f"/v1/connections/{c}/test" for c in conn_ids}  # nobody starves
    reads = [e for e in log if e["method"] == "GET"]
    assert {e["path"] for e in reads} == {"/v1/connections"}
    assert len(reads) <= 2400 // 30 + 1
    assert active_budgets() == 0


def test_two_hundred_waits_re_testing_for_an_hour_meet_no_429_under_fivetrans_limits(sim: Sim) -> None:
    """The issue's case: 200 waits for access that never comes, re-testing for one simulated hour against the
    simulator's Fivetran limits (250 setup tests a minute, 2,500 an hour, 20,000 calls an hour)."""
    conn_ids = [sim.create(f"spotify_hour_{i}", auth=False, run_setup_tests=False) for i in range(200)]
    sim.control.set_scenario({"rate_limits": {}})
    sim.control.clear_requests()

    async def advance(seconds: float) -> None:
        await asyncio.to_thread(sim.control.advance_clock, seconds)

    events = asyncio.run(
        LoopClock().run([setup_trigger(c, sim, 3600) for c in conn_ids], until=3600, on_advance=advance)
    )

    assert [e.payload["status"] if e else None for e in events] == ["timeout"] * 200
    log = sim.requests()
    assert [e for e in log if e["status"] == 429] == []
    tests = [e for e in log if e["method"] == "POST"]
    start = parse_iso(log[0]["time"])
    assert most_in_any_window([(parse_iso(e["time"]) - start).total_seconds() for e in tests], 60) < 250
    assert len(tests) < 2_500  # 9 re-tests each (the first check's aside): 1,800, not 24,000
    assert len([e for e in log if e["method"] == "GET"]) <= 3600 // 30 + 1  # the group's list, once a look


# -- the worker-side waits ---------------------------------------------------------------------------------


def test_a_poking_sensor_re_tests_on_the_schedule_and_reads_between(sim: Sim, context: Context) -> None:
    conn_id = sim.create(auth=False, run_setup_tests=False)
    task = FivetranSetupTestsSensor(
        task_id="wait", connection_id=conn_id, retest_on_poke=True, mode="poke", poke_interval=30
    )

    for _ in range(8):
        assert task.poke(context) is False

    retested = [i for i, call in enumerate(reads_and_tests(sim)) if call == "test"]
    # 8 pokes: all read; pokes 0, 1, 3 and 7 re-test after reading.
    assert reads_and_tests(sim).count("read") == 8
    assert len(retested) == 4


def test_a_rescheduled_sensor_counts_its_pokes_with_airflow(sim: Sim, context: Context) -> None:
    conn_id = sim.create(auth=False, run_setup_tests=False)
    tested = []
    for count in range(8):
        task = FivetranSetupTestsSensor(
            task_id="wait", connection_id=conn_id, retest_on_poke=True, mode="reschedule", poke_interval=30
        )
        sim.control.clear_requests()
        assert task.poke({**context, "task_reschedule_count": count}) is False
        tested.append("test" in reads_and_tests(sim))
    assert [i for i, t in enumerate(tested) if t] == [0, 1, 3, 7]


def reads_and_tests(sim: Sim) -> list[str]:
    kinds: dict[str, Any] = {"GET": "read", "POST": "test"}
    return [kinds[e["method"]] for e in sim.requests()]
