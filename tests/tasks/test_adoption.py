"""plan_adoption: what the create task does with a connection that exists, as a table (pure, no HTTP).

The operator carries the plan out or, with ``plan_only``, logs it (tests/tasks/test_create.py runs both
against the simulator); here every combination of drift and parameters is decided on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from airflow_spotify_fivetran.adoption import Adoption, plan_adoption
from tests.payloads import CONNECTION_ID, SEED_SECRETS, connection_answer, seed_request

Change = Callable[[dict[str, Any]], Any]


def mutable(body: dict[str, Any]) -> None:
    body["config"]["accounts"] = ["only-one"]


def immutable(body: dict[str, Any]) -> None:
    body["config"]["timeframe_months"] = "SIX"


def no_auth(body: dict[str, Any]) -> None:
    del body["auth"]


AUTH = ["auth", "run_setup_tests"]
CANNOT_CHANGE = "config.timeframe_months cannot change: the historical sync window is fixed"
ON_DRIFT_FAIL = f"Connection {CONNECTION_ID} differs from the request (on_drift='fail')"


def adoption(changes: list[Change], on_drift: Any = "update", reauthorize: bool = False) -> Adoption:
    desired = seed_request()  # the connection the answer describes, secrets revealed as to_wire() gives them
    for change in changes:
        change(desired)
    return plan_adoption(
        CONNECTION_ID, desired, connection_answer(), on_drift=on_drift, reauthorize=reauthorize
    )


@pytest.mark.parametrize(
    ("changes", "on_drift", "reauthorize", "failure", "patch", "left", "nothing_to_reauthorize"),
    [
        ([], "update", False, None, [], False, False),
        ([], "fail", False, None, [], False, False),  # no drift: nothing to fail on
        ([], "update", True, None, AUTH, False, False),  # the credentials, and tests run on them
        ([mutable], "update", False, None, ["config"], False, False),
        ([mutable], "update", True, None, ["auth", "config", "run_setup_tests"], False, False),
        ([mutable], "fail", False, ON_DRIFT_FAIL, [], False, False),
        ([mutable], "fail", True, ON_DRIFT_FAIL, [], False, False),  # failing wins over re-authorizing
        ([mutable], "ignore", False, None, [], True, False),
        ([mutable], "ignore", True, None, AUTH, True, False),  # drift left, credentials still sent
        ([immutable], "update", False, CANNOT_CHANGE, [], False, False),
        ([immutable], "ignore", False, CANNOT_CHANGE, [], False, False),  # whatever on_drift says
        ([immutable, mutable], "fail", False, CANNOT_CHANGE, [], False, False),
        ([no_auth], "update", True, None, [], False, True),
        ([no_auth, mutable], "update", True, None, ["config"], False, True),
    ],
)
def test_adoption_table(
    changes: list[Change],
    on_drift: Any,
    reauthorize: bool,
    failure: str | None,
    patch: list[str],
    left: bool,
    nothing_to_reauthorize: bool,
) -> None:
    plan = adoption(changes, on_drift, reauthorize)
    if failure is None:
        assert plan.failure is None
    else:
        assert plan.failure is not None
        assert failure in plan.failure
    assert sorted(plan.patch) == patch
    assert (plan.drift_left, plan.nothing_to_reauthorize) == (left, nothing_to_reauthorize)


def test_the_patch_sends_only_the_drifted_values_and_the_request_s_credentials() -> None:
    plan = adoption([mutable], reauthorize=True)
    assert plan.patch == {
        "config": {"accounts": ["only-one"]},
        "auth": seed_request()["auth"],
        "run_setup_tests": True,
    }


def test_an_immutable_failure_says_why_and_what_to_do() -> None:
    plan = adoption([immutable])
    assert plan.failure == (
        f"Connection {CONNECTION_ID} differs from the request in fields Fivetran cannot change. "
        "config.timeframe_months cannot change: the historical sync window is fixed when a connection is "
        "created (Fivetran: 'cannot be modified once the connector is created'). Create a connection with "
        "another schema name instead."
    )


def test_on_drift_fail_lists_the_drift() -> None:
    plan = adoption([mutable], "fail")
    assert plan.failure is not None
    assert plan.drift.table() in plan.failure


@pytest.mark.parametrize(
    ("changes", "on_drift", "reauthorize", "logged"),
    [
        ([], "update", False, [(logging.INFO, "Plan only: would PATCH nothing")]),
        ([mutable], "update", False, [(logging.INFO, "Plan only: would PATCH ['config']")]),
        (
            [mutable],
            "ignore",
            True,
            [
                (
                    logging.WARNING,
                    f"Plan only: would leave the drift of connection {CONNECTION_ID} as it is "
                    "(on_drift='ignore')",
                ),
                (logging.INFO, "Plan only: would PATCH ['auth', 'run_setup_tests']"),
            ],
        ),
        (
            [no_auth],
            "update",
            True,
            [
                (logging.WARNING, "reauthorize=True but the request holds no auth: nothing to re-authorize"),
                (logging.INFO, "Plan only: would PATCH nothing"),
            ],
        ),
        ([immutable, no_auth], "update", True, [(logging.WARNING, "Plan only: would fail: Connection ")]),
    ],
)
def test_what_plan_only_logs(
    changes: list[Change], on_drift: Any, reauthorize: bool, logged: list[tuple[int, str]]
) -> None:
    plan_log = adoption(changes, on_drift, reauthorize).plan_log()
    assert [level for level, _ in plan_log] == [level for level, _ in logged]
    for (_, message), (_, expected) in zip(plan_log, logged, strict=True):
        assert message.startswith(expected)


def test_a_real_run_warns_in_its_own_words() -> None:
    assert adoption([mutable], "ignore").warnings() == [
        f"Leaving the drift of connection {CONNECTION_ID} as it is (on_drift='ignore')"
    ]


def test_no_secret_in_a_plan_s_repr_or_log() -> None:
    plan = adoption([mutable], reauthorize=True)
    assert "auth" in plan.patch
    text = repr(plan) + str(plan) + repr(plan.plan_log()) + repr(plan.warnings())
    for secret in SEED_SECRETS:
        assert secret not in text
