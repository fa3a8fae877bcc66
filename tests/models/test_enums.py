"""Enums and the state sets."""

from __future__ import annotations

from enum import StrEnum

import pytest

from airflow_spotify_fivetran.models import (
    FAILING_TEST_STATUSES,
    PASSING_TEST_STATUSES,
    REPORTED_TEST_STATUSES,
    SYNC_FREQUENCIES,
    DataDelaySensitivity,
    Dimension,
    Granularity,
    NetworkingMethod,
    ReportField,
    ScheduleType,
    SetupState,
    SetupTestStatus,
    SyncMode,
    SyncState,
    TimeframeMonths,
    UpdateState,
    known,
)
from airflow_spotify_fivetran.models.enums import closest_value

ALL_ENUMS = [
    SyncMode, TimeframeMonths, Dimension, Granularity, ReportField, ScheduleType, DataDelaySensitivity,
    NetworkingMethod, SetupState, SyncState, UpdateState, SetupTestStatus,
]  # fmt: skip


@pytest.mark.parametrize("enum_cls", ALL_ENUMS, ids=[e.__name__ for e in ALL_ENUMS])
def test_enums_are_str_enums_equal_to_their_wire_value(enum_cls: type[StrEnum]) -> None:
    assert issubclass(enum_cls, StrEnum)
    for member in enum_cls:
        assert member == member.value
        assert known(enum_cls, member.value) is member


def test_documented_values() -> None:
    assert len(ReportField) == 31
    assert [m.value for m in SetupState] == ["incomplete", "connected", "broken"]
    assert [m.value for m in SyncState] == ["scheduled", "syncing", "paused", "rescheduled"]
    assert [m.value for m in UpdateState] == ["on_schedule", "delayed"]
    assert [m.value for m in SetupTestStatus] == ["PASSED", "SKIPPED", "WARNING", "FAILED", "JOB_FAILED"]
    assert frozenset({1, 5, 15, 30, 60, 120, 180, 360, 480, 720, 1440}) == SYNC_FREQUENCIES
    assert isinstance(SYNC_FREQUENCIES, frozenset)


def test_test_status_sets() -> None:
    assert {SetupTestStatus.PASSED, SetupTestStatus.SKIPPED} == PASSING_TEST_STATUSES
    assert {SetupTestStatus.FAILED, SetupTestStatus.JOB_FAILED} == FAILING_TEST_STATUSES
    # a warning does not fail a setup, yet it is reported while the setup is not connected
    assert SetupTestStatus.WARNING not in PASSING_TEST_STATUSES | FAILING_TEST_STATUSES
    assert FAILING_TEST_STATUSES | {SetupTestStatus.WARNING} == REPORTED_TEST_STATUSES
    assert "PASSED" in PASSING_TEST_STATUSES  # raw strings from answers match too


def test_known() -> None:
    assert known(Dimension, "AD") is Dimension.AD
    assert known(Dimension, "CREATIVE") is None
    assert known(Dimension, None) is None
    assert known(Dimension, 3) is None


@pytest.mark.parametrize(
    ("enum_cls", "typed", "meant"),
    [(ReportField, "CLIKS", "CLICKS"), (ScheduleType, "AUTO", "auto"), (Granularity, "day", "DAY"),
     (Dimension, "zzz", None)],
)  # fmt: skip
def test_closest_value(enum_cls: type[StrEnum], typed: str, meant: str | None) -> None:
    assert closest_value(enum_cls, typed) == meant
