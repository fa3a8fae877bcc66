"""The pure decisions every wait shares: tables of connection states -> done / failed / wait (no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_spotify_fivetran.decisions import (
    BROKEN_GUIDANCE,
    Verdict,
    setup_decision,
    sync_baseline,
    sync_decision,
)
from airflow_spotify_fivetran.models import Connection
from tests.payloads import connection_answer

DONE, FAILED, WAIT = Verdict.DONE, Verdict.FAILED, Verdict.WAIT
BASELINE = datetime(2026, 5, 12, 3, 0, tzinfo=UTC)
BEFORE, AT, AFTER, LATER = (
    "2026-05-12T02:00:00Z",
    "2026-05-12T03:00:00Z",
    "2026-05-12T04:00:00Z",
    "2026-05-12T05:00:00Z",
)

PASS = {"title": "Validating refresh token", "status": "PASSED", "message": "ok"}
FAIL = {"title": "Checking ad account access", "status": "FAILED", "message": "No access to ad accounts x"}
JOB_FAIL = {"title": "Validating client credentials", "status": "JOB_FAILED", "message": "job crashed"}
WARN = {"title": "Checking report availability", "status": "WARNING", "message": "reports delayed"}
SKIP = {"title": "Checking ad account access", "status": "SKIPPED", "message": None}
NEWER = {"title": "Some future test", "status": "IN_PROGRESS", "message": None}


def connection(
    *,
    setup_state: str = "connected",
    tests: list[dict[str, Any]] | None = None,
    sync_state: str = "scheduled",
    succeeded_at: str | None = None,
    failed_at: str | None = None,
    paused: bool = False,
    rescheduled_for: str | None = None,
) -> Connection:
    data = connection_answer()
    data["status"].update(setup_state=setup_state, sync_state=sync_state, rescheduled_for=rescheduled_for)
    data.update(
        setup_tests=[PASS] if tests is None else tests,
        succeeded_at=succeeded_at,
        failed_at=failed_at,
        paused=paused,
    )
    return Connection.from_api(data)


# -- setup -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setup_state", "tests", "final", "verdict", "blocking"),
    [
        ("connected", [PASS], True, DONE, []),
        ("connected", [PASS, SKIP], False, DONE, []),
        ("connected", [], True, DONE, []),  # the state decides, even when no test is reported
        ("incomplete", [PASS, FAIL], True, FAILED, [FAIL]),
        ("incomplete", [JOB_FAIL, SKIP], True, FAILED, [JOB_FAIL]),
        ("incomplete", [PASS, WARN], True, FAILED, [WARN]),  # tests ran, still incomplete: the warning is why
        ("incomplete", [FAIL, WARN], True, FAILED, [FAIL, WARN]),
        ("incomplete", [PASS, FAIL], False, WAIT, [FAIL]),  # retest / connect card may still fix it
        ("incomplete", [PASS, WARN], False, WAIT, [WARN]),
        ("incomplete", [WARN], True, FAILED, [WARN]),  # warnings only: the tests say why it is not done
        ("connected", [PASS, WARN], True, DONE, []),  # setup_state decides: a warning does not undo it
        ("connected", [WARN], False, DONE, []),
        ("connected", [PASS, FAIL], True, DONE, []),  # even a failed test: Fivetran says connected
        ("pending_review", [WARN], True, WAIT, []),
        ("incomplete", [], True, WAIT, []),  # tests never ran
        ("incomplete", [PASS], True, WAIT, []),
        ("incomplete", [PASS, NEWER], True, WAIT, []),  # unknown test status: maybe still running
        ("broken", [PASS, FAIL], True, FAILED, [FAIL]),
        ("broken", [PASS, FAIL], False, FAILED, [FAIL]),  # broken ends every wait, with guidance
        ("broken", [], False, FAILED, []),
        ("pending_review", [FAIL], True, WAIT, []),  # an unknown setup_state: keep waiting
        ("", [], True, WAIT, []),
    ],
)
def test_setup_decision_table(
    setup_state: str,
    tests: list[dict[str, Any]],
    final: bool,
    verdict: Verdict,
    blocking: list[dict[str, Any]],
) -> None:
    decision = setup_decision(connection(setup_state=setup_state, tests=tests), failures_are_final=final)
    assert decision.verdict is verdict, decision.reason
    assert [(t.title, t.status, t.message) for t in decision.failed_tests] == [
        (t["title"], t["status"], t["message"]) for t in blocking
    ]


def test_failed_setup_names_each_failing_test_and_its_message() -> None:
    decision = setup_decision(
        connection(setup_state="incomplete", tests=[PASS, FAIL, JOB_FAIL]), failures_are_final=True
    )
    for test in (FAIL, JOB_FAIL):
        assert test["title"] in decision.reason
        assert test["message"] in decision.reason
    assert PASS["title"] not in decision.reason


def test_broken_setup_gives_guidance() -> None:
    decision = setup_decision(connection(setup_state="broken", tests=[FAIL]), failures_are_final=False)
    assert decision.reason == BROKEN_GUIDANCE
    assert "Re-authorize" in decision.reason


@pytest.mark.parametrize(
    ("setup_state", "tests", "final"),
    [
        ("connected", [PASS], True),
        ("incomplete", [PASS, FAIL], True),
        ("incomplete", [PASS, FAIL], False),
        ("incomplete", [], True),
        ("pending_review", [FAIL], True),
    ],
)
def test_only_a_broken_connection_is_marked_broken(
    setup_state: str, tests: list[dict[str, Any]], final: bool
) -> None:
    decision = setup_decision(connection(setup_state=setup_state, tests=tests), failures_are_final=final)
    assert decision.broken is False
    broken = setup_decision(connection(setup_state="broken", tests=tests), failures_are_final=final)
    assert (broken.verdict, broken.broken) == (FAILED, True)


SETUP_STATES = ["incomplete", "broken", "pending_review", ""]
TEST_LISTS = [[], [PASS], [PASS, SKIP], [WARN], [PASS, WARN], [FAIL], [JOB_FAIL, WARN], [NEWER]]


@pytest.mark.parametrize("final", [True, False])
@pytest.mark.parametrize("tests", TEST_LISTS, ids=lambda t: "+".join(x["status"] for x in t) or "none")
@pytest.mark.parametrize("setup_state", SETUP_STATES)
def test_only_setup_state_connected_makes_a_setup_done(
    setup_state: str, tests: list[dict[str, Any]], final: bool
) -> None:
    """Test statuses alone never end a setup wait well: only setup_state connected does (SetupTestStatus)."""
    decision = setup_decision(connection(setup_state=setup_state, tests=tests), failures_are_final=final)
    assert decision.verdict is not DONE, decision.reason
    connected = setup_decision(connection(setup_state="connected", tests=tests), failures_are_final=final)
    assert connected.verdict is DONE


@pytest.mark.parametrize("final", [True, False])
def test_a_setup_held_back_by_warnings_only_is_not_called_failed(final: bool) -> None:
    decision = setup_decision(
        connection(setup_state="incomplete", tests=[PASS, WARN]), failures_are_final=final
    )
    assert "failed" not in decision.reason
    assert "failing" not in decision.reason
    assert "warnings" in decision.reason
    assert f"{WARN['title']} [WARNING]: {WARN['message']}" in decision.reason


def test_unknown_setup_state_is_named_in_the_reason() -> None:
    decision = setup_decision(connection(setup_state="pending_review"), failures_are_final=True)
    assert "'pending_review'" in decision.reason


# -- sync --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "succeeded", "failed", "paused", "fail_on_rescheduled", "verdict"),
    [
        ("scheduled", AFTER, None, False, False, DONE),
        ("scheduled", AT, None, False, False, WAIT),  # equal to the baseline: the old completion
        ("scheduled", BEFORE, None, False, False, WAIT),
        ("syncing", BEFORE, None, False, False, WAIT),
        ("syncing", AFTER, None, False, False, WAIT),  # done once, but a sync runs again: wait for it
        ("scheduled", None, AFTER, False, False, FAILED),
        ("syncing", BEFORE, AFTER, False, False, FAILED),  # a failure after the baseline ends the wait
        ("scheduled", AFTER, LATER, False, False, FAILED),  # failed after succeeded: the last one counts
        ("scheduled", LATER, AFTER, False, False, DONE),  # succeeded after failed
        ("scheduled", AFTER, AFTER, False, False, FAILED),  # same moment: do not report success
        ("scheduled", AFTER, BEFORE, False, False, DONE),
        ("scheduled", BEFORE, AT, False, False, WAIT),  # both at or before the baseline
        ("rescheduled", BEFORE, None, False, False, WAIT),
        ("rescheduled", BEFORE, None, False, True, FAILED),
        ("rescheduled", AFTER, None, False, True, DONE),  # completed first: the reschedule is later news
        ("paused", BEFORE, None, True, False, FAILED),
        ("scheduled", BEFORE, None, True, False, FAILED),  # paused flag with a stale sync_state
        ("paused", AFTER, None, True, False, DONE),
        ("syncing", BEFORE, None, True, False, WAIT),  # paused mid-sync: the running sync may still end well
        ("syncing", AFTER, None, True, False, WAIT),
        ("syncing", BEFORE, AFTER, True, False, FAILED),  # ... and a failure still ends the wait
        ("syncing", BEFORE, None, True, True, WAIT),
        ("queued_somewhere", BEFORE, None, False, False, WAIT),  # unknown sync_state: keep waiting
    ],
)
def test_sync_decision_table(
    state: str,
    succeeded: str | None,
    failed: str | None,
    paused: bool,
    fail_on_rescheduled: bool,
    verdict: Verdict,
) -> None:
    conn = connection(sync_state=state, succeeded_at=succeeded, failed_at=failed, paused=paused)
    decision = sync_decision(conn, baseline=BASELINE, fail_on_rescheduled=fail_on_rescheduled)
    assert decision.verdict is verdict, decision.reason


def test_paused_while_syncing_says_so_in_the_reason() -> None:
    decision = sync_decision(connection(sync_state="syncing", paused=True), baseline=BASELINE)
    assert "is syncing although the connection was paused" in decision.reason


def test_a_paused_sync_that_never_ends_times_out_naming_the_state() -> None:
    """The worker's wait (the trigger's is in test_triggers): the timeout ends it, with the state seen."""
    from airflow_spotify_fivetran.exceptions import FivetranWaitTimeoutError
    from airflow_spotify_fivetran.tasks import wait_in_worker
    from tests.tasks.clock import FakeClock

    clock = FakeClock()
    paused_mid_sync = connection(sync_state="syncing", paused=True)
    looks: list[float] = []

    def check() -> tuple[Any, dict[str, Any]]:
        looks.append(clock.monotonic())
        return sync_decision(paused_mid_sync, baseline=BASELINE), {}

    with pytest.raises(FivetranWaitTimeoutError, match="syncing although the connection was paused"):
        wait_in_worker(
            check,
            poll_interval=60,
            timeout=300,
            log=SimpleNamespace(info=lambda *args: None),
            what="the sync",
            sleep=clock.sleep_sync,
            clock=clock.monotonic,
        )
    assert looks == [0, 60, 120, 180, 240, 300]


@pytest.mark.parametrize(
    ("succeeded", "failed", "verdict"),
    [(None, None, WAIT), (BEFORE, None, DONE), (None, BEFORE, FAILED)],
)
def test_sync_decision_without_baseline_counts_any_completion(
    succeeded: str | None, failed: str | None, verdict: Verdict
) -> None:
    conn = connection(succeeded_at=succeeded, failed_at=failed)
    assert sync_decision(conn, baseline=None).verdict is verdict


def test_naive_baseline_is_read_as_utc() -> None:
    conn = connection(succeeded_at=AFTER)
    naive = BASELINE.replace(tzinfo=None)
    assert sync_decision(conn, baseline=naive).verdict is DONE
    assert sync_decision(conn, baseline=naive.replace(hour=5)).verdict is WAIT


def test_sync_reasons_say_what_was_seen() -> None:
    rescheduled = connection(sync_state="rescheduled", rescheduled_for="2026-05-12T06:00:00Z")
    assert "2026-05-12T06:00:00+00:00" in sync_decision(rescheduled, baseline=BASELINE).reason
    assert "unpause" in sync_decision(connection(paused=True), baseline=BASELINE).reason
    unknown = connection(sync_state="queued_somewhere")
    assert "'queued_somewhere'" in sync_decision(unknown, baseline=BASELINE).reason
    failed = connection(failed_at=AFTER)
    assert "failed at 2026-05-12T04:00:00+00:00" in sync_decision(failed, baseline=BASELINE).reason


@pytest.mark.parametrize(
    ("succeeded", "failed", "baseline"),
    [
        (None, None, None),
        (AFTER, None, AFTER),
        (None, AFTER, AFTER),
        (AFTER, LATER, LATER),
        (LATER, AFTER, LATER),
    ],
)
def test_sync_baseline_is_the_latest_completion(
    succeeded: str | None, failed: str | None, baseline: str | None
) -> None:
    expected = datetime.fromisoformat(baseline) if baseline else None
    assert sync_baseline(connection(succeeded_at=succeeded, failed_at=failed)) == expected
