"""The decisions every wait shares: "done, failed, or keep waiting?".

Pure functions of a connection as Fivetran answered it: no I/O, no clock, no sleeping. The sensors' ``poke``,
the triggers' loops and the operators that wait all call these, so deferred and non-deferred runs of the
same task cannot decide differently. Unknown states (Fivetran adds some over time) mean "keep waiting",
with the reason saying what was seen; the wait's timeout bounds it.

Setup: only ``status.setup_state`` says a setup is done; test statuses alone never do. What a test status
means is written once, in ``models.enums.SetupTestStatus`` (with its basis): a ``WARNING`` does not fail a
setup, so a ``connected`` connection is done whatever its tests say. While the state is ``incomplete``, its
failed and ``WARNING`` tests (``SetupTest.reported``) are the reasons Fivetran gives: the task reports them,
and when ``failures_are_final`` they end the wait, a setup held back by warnings only being named so, not
called failed.

Sync: a paused connection does not sync, so the wait fails, except while a sync is running
(``sync_state`` ``syncing``): that sync may still end well, so the wait goes on, bounded by its timeout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from airflow_spotify_fivetran.exceptions import FailedTest
from airflow_spotify_fivetran.utc import as_utc

if TYPE_CHECKING:
    from airflow_spotify_fivetran.models import Connection


class Verdict(StrEnum):
    DONE = "done"
    FAILED = "failed"
    WAIT = "wait"


@dataclass(frozen=True)
class Decision:
    """A verdict, the reason a person reads in the log, and the setup tests it reports (failed or
    ``WARNING``, in Fivetran's order) where there are any.

    ``broken`` marks the failure of a connection whose ``setup_state`` is ``broken`` (it passed its setup
    tests once and fails them now): the tasks raise ``FivetranConnectionBrokenError`` for it, with guidance.
    """

    verdict: Verdict
    reason: str
    failed_tests: tuple[FailedTest, ...] = field(default=())
    broken: bool = False
    #: Seconds Fivetran asked us to wait before the next look (a rate limit's ``Retry-After``).
    retry_after: float | None = None

    @property
    def done(self) -> bool:
        return self.verdict is Verdict.DONE

    @property
    def failed(self) -> bool:
        return self.verdict is Verdict.FAILED


BROKEN_GUIDANCE = (
    "The connection is broken: it passed its setup tests once and fails them now, usually because the "
    "Spotify credentials were revoked or the ad account access was removed. Re-authorize it (new auth via "
    "the Connect Card or FivetranCreateConnectionOperator with on_drift='update'), then re-run the setup tests."
)


def _reported_tests(connection: Connection) -> tuple[FailedTest, ...]:
    """The setup tests a not-connected setup reports (failed or ``WARNING``), in Fivetran's order. An unknown
    status is not among them: it may be a test still running, so it means "keep waiting"."""
    return tuple(test.to_failed_test() for test in connection.setup_tests if test.reported)


def setup_decision(connection: Connection, *, failures_are_final: bool) -> Decision:
    """Are the connection's setup tests passed (``setup_state`` connected)?

    :param failures_are_final: whether failed tests end the wait. True when nothing outside Fivetran is
        expected to fix them (the tests just ran on the credentials given); False when the task re-runs the
        tests on each poke or waits for a person to finish the Connect Card, so a failure may still turn.
    """
    from airflow_spotify_fivetran.models import SetupState, SetupTestStatus, known

    state = known(SetupState, connection.status.setup_state)
    failing = _reported_tests(connection)
    if state is SetupState.CONNECTED:
        return Decision(Verdict.DONE, f"setup tests of {connection.id} passed (setup_state connected)")
    if state is SetupState.BROKEN:
        return Decision(Verdict.FAILED, BROKEN_GUIDANCE, failing, broken=True)
    if state is not SetupState.INCOMPLETE:
        seen = str(connection.status.setup_state)
        return Decision(Verdict.WAIT, f"unknown setup_state {seen!r}; waiting for connected")
    if failing:
        listed = "; ".join(str(t) for t in failing)
        # Only warnings: not called a failure (a warning does not fail a setup), yet the state is not
        # connected, and the warnings are the only reasons Fivetran gives.
        warnings_only = all(t.status == SetupTestStatus.WARNING for t in failing)
        if failures_are_final:
            what = "have warnings and setup_state is still incomplete" if warnings_only else "failed"
            return Decision(Verdict.FAILED, f"setup tests of {connection.id} {what}: {listed}", failing)
        what = "have warnings" if warnings_only else "still failing"
        return Decision(Verdict.WAIT, f"setup tests {what}, waiting for them to pass: {listed}", failing)
    return Decision(Verdict.WAIT, f"setup of {connection.id} incomplete; waiting for setup tests to pass")


def _utc(moment: datetime | None) -> datetime | None:
    return as_utc(moment) if moment is not None else None


def _after(moment: datetime | None, baseline: datetime | None) -> bool:
    return moment is not None and (baseline is None or moment > baseline)


def sync_decision(
    connection: Connection, *, baseline: datetime | None, fail_on_rescheduled: bool = False
) -> Decision:
    """Has the sync started after ``baseline`` finished?

    :param baseline: the connection's last completion (``max(succeeded_at, failed_at)``) read before the
        sync was requested; only a completion after it counts. ``None``: any completion counts.
    :param fail_on_rescheduled: end the wait when Fivetran reschedules the sync (``rescheduled``) instead
        of waiting for the rescheduled run.
    """
    from airflow_spotify_fivetran.models import SyncState, known

    baseline = _utc(baseline)
    succeeded, failed_at = _utc(connection.succeeded_at), _utc(connection.failed_at)
    state = known(SyncState, connection.status.sync_state)
    if (
        failed_at is not None
        and _after(failed_at, baseline)
        and (succeeded is None or failed_at >= succeeded)
    ):
        return Decision(Verdict.FAILED, f"sync of {connection.id} failed at {failed_at.isoformat()}")
    if succeeded is not None and _after(succeeded, baseline) and state is not SyncState.SYNCING:
        return Decision(Verdict.DONE, f"sync of {connection.id} succeeded at {succeeded.isoformat()}")
    if state is SyncState.RESCHEDULED:
        when = connection.status.rescheduled_for
        reason = (
            f"sync of {connection.id} rescheduled by Fivetran for {when.isoformat() if when else 'later'}"
        )
        return Decision(Verdict.FAILED if fail_on_rescheduled else Verdict.WAIT, reason)
    if state is SyncState.SYNCING and connection.paused:
        # Paused while a sync runs: that sync may still end well (a completion after the baseline is
        # judged above on the next look); if it never does, the wait's timeout ends it, naming this state.
        return Decision(
            Verdict.WAIT,
            f"sync of {connection.id} is syncing although the connection was paused; "
            "waiting for the running sync to end",
        )
    if state is SyncState.PAUSED or connection.paused:
        return Decision(
            Verdict.FAILED,
            f"connection {connection.id} is paused, so the sync will not run; unpause it first",
        )
    if state in (SyncState.SYNCING, SyncState.SCHEDULED):
        return Decision(Verdict.WAIT, f"sync of {connection.id} is {state}")
    seen = str(connection.status.sync_state)
    return Decision(Verdict.WAIT, f"unknown sync_state {seen!r}; waiting for the sync to finish")


def sync_baseline(connection: Connection) -> datetime | None:
    """The latest completion time of a connection, before a sync is requested."""
    moments = [as_utc(m) for m in (connection.succeeded_at, connection.failed_at) if m is not None]
    return max(moments) if moments else None


def rate_limited(retry_after: float | None, message: str) -> Decision:
    """A look that Fivetran refused with 429 (after the hook's own retries, which wait at most
    ``hooks.retry.MAX_RETRY_AFTER`` inside one call): in a wait that means "wait longer", not "failed".
    An hourly limit, such as the setup-test budget, asks for many minutes; the wait's timeout bounds it."""
    return Decision(Verdict.WAIT, f"over Fivetran's rate limit: {message}", retry_after=retry_after)


def next_pause(decision: Decision, poll_interval: float) -> float:
    """Seconds a wait sleeps before its next look: its poll interval, or longer when Fivetran asked."""
    return max(decision.retry_after or 0.0, poll_interval)


#: The longest gap between two re-tests of one wait (``retest_due``): ten minutes. Re-testing sooner spends
#: Fivetran's setup-test budget (250 a minute, 2,500 an hour per account) on access that rarely comes within
#: seconds; later would keep a person who just granted access waiting noticeably.
RETEST_MAX_GAP = 600.0


def retest_moments_until(elapsed: float, poll_interval: float, max_gap: float = RETEST_MAX_GAP) -> int:
    """How many re-test moments of a wait lie at or before ``elapsed`` seconds after its start.

    The moments: the start itself (the task's own check), then gaps of ``poll_interval``, twice that, four
    times... each gap at most ``max_gap`` (and never shorter than ``poll_interval``): 0, 30, 90, 210, 450, 930,
    1530, 2130... for 30 s. Negative ``elapsed``: none.
    """
    if elapsed < 0:
        return 0
    interval = max(poll_interval, 1e-3)
    count, moment, gap = 1, 0.0, interval
    while gap < max_gap:  # the doubling part: at most ~20 steps, whatever the interval
        if moment + gap > elapsed:
            return count
        moment += gap
        count += 1
        gap *= 2
    gap = max(interval, max_gap)
    return count + int((elapsed - moment) // gap)


def retest_due(
    start: datetime,
    previous: datetime | None,
    now: datetime,
    poll_interval: float,
    max_gap: float = RETEST_MAX_GAP,
) -> bool:
    """Whether a wait that re-runs setup tests (``retest_on_poke``) re-tests at this look.

    Due when a re-test moment (``retest_moments_until``: the start, then gaps doubling from the poll
    interval up to ``max_gap``) lies after the ``previous`` look and at or before ``now``. Stateless: a
    trigger rebuilt after a triggerer restart, knowing only the wait's start, keeps the same schedule; it
    has no previous look (``None``), so its first look re-tests once if any moment has passed.
    """
    since = (as_utc(now) - as_utc(start)).total_seconds()
    reached = retest_moments_until(since, poll_interval, max_gap)
    if previous is None:
        return reached > 0
    before = (as_utc(previous) - as_utc(start)).total_seconds()
    return reached > retest_moments_until(before, poll_interval, max_gap)


def retest_due_at_poke(poke: int, poll_interval: float, max_gap: float = RETEST_MAX_GAP) -> bool:
    """``retest_due`` counted in pokes, for the worker-side waits: the ``poke``-th poke of a try (0 = the
    first) re-tests when it is a re-test moment of the schedule measured in poll intervals (0, 1, 3, 7, 15...,
    gaps capped at ``max_gap`` worth of intervals). Pokes come at least a poll interval apart, so the real
    gaps are at least the scheduled ones, and no moment is skipped or re-tested twice however late a poke
    runs (a time window of a rescheduled poke, which knows no previous poke, could do either)."""
    if poke <= 0:
        return True
    cap = max(1, math.ceil(max_gap / max(poll_interval, 1e-3)))
    moment, gap = 0, 1
    while gap < cap:
        moment += gap
        if moment >= poke:
            return moment == poke
        gap *= 2
    return (poke - moment) % cap == 0
