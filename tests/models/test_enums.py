"""Enums and the state sets."""

from __future__ import annotations

import json
import re
from enum import StrEnum

import pytest

from airflow_spotify_fivetran.models import (
    FAILING_TEST_STATUSES,
    PASSING_TEST_STATUSES,
    REPORTED_TEST_STATUSES,
    Connection,
    Dimension,
    Granularity,
    ReportField,
    ScheduleType,
    SetupState,
    SetupTestStatus,
    SyncState,
    UpdateState,
    known,
)
from airflow_spotify_fivetran.models.enums import closest_value
from tests.payloads import connection_answer
from tests.spec import load_spec


def _documented_values(component: str, field: str) -> list[str]:
    """The values a field's description in the vendored OpenAPI lists ("The available values are: - x - ...")."""
    description = load_spec()["components"]["schemas"][component]["properties"][field]["description"]
    return re.findall(r"- (\w+) - ", description)


#: The states Fivetran's OpenAPI documents only in prose (no ``enum``); the other enums are compared with the
#: spec's ``enum`` lists in ``test_spec_conformance.py``.
DOCUMENTED_STATES = [
    (SetupState, "setup_state"),
    (SyncState, "sync_state"),
    (UpdateState, "update_state"),
]


@pytest.mark.parametrize(("enum_cls", "field"), DOCUMENTED_STATES, ids=[f for _, f in DOCUMENTED_STATES])
def test_every_documented_state_is_understood_and_round_trips(enum_cls: type[StrEnum], field: str) -> None:
    documented = _documented_values("ConnectorStatusResponse", field)
    assert documented, f"no values found in the description of {field}"
    assert sorted(documented) == sorted(m.value for m in enum_cls)
    for value in documented:
        data = connection_answer()
        data["status"][field] = value
        status = Connection.from_api(data).status
        parsed = getattr(status, field)
        assert known(enum_cls, parsed) is enum_cls(value)  # understood, not kept as an unknown string
        assert json.loads(json.dumps(parsed)) == value  # written back as Fivetran spelled it


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
