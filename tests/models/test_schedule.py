"""daily_sync_time, sync_frequency, time zones, Schedule and schedule_changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from airflow_spotify_fivetran.exceptions import FivetranInputError
from airflow_spotify_fivetran.models import (
    Connection,
    ConnectionUpdate,
    Schedule,
    ScheduleType,
    daily_sync_time_problem,
    normalise_daily_sync_time,
    parse_sync_frequency,
    schedule_changes,
    to_fivetran_daily_sync_time,
)
from tests.payloads import connection_answer

SUMMER = dt.date(2026, 7, 15)
WINTER = dt.date(2026, 1, 15)


@pytest.mark.parametrize(
    ("value", "tz", "on", "expected"),
    [
        ("14:00", None, None, "14:00"),
        ("9:00", None, None, "09:00"),
        (dt.time(14, 0), None, None, "14:00"),
        ("14:00", "UTC", SUMMER, "14:00"),
        ("09:00", "Europe/Berlin", SUMMER, "07:00"),  # CEST, UTC+2
        ("09:00", "Europe/Berlin", WINTER, "08:00"),  # CET, UTC+1
        (dt.time(14, 0), "Europe/Berlin", SUMMER, "12:00"),
        ("01:00", "Europe/Berlin", WINTER, "00:00"),
        ("00:00", "Europe/Berlin", WINTER, "23:00"),  # previous UTC day
        ("09:00", "America/New_York", WINTER, "14:00"),  # EST, UTC-5
        ("22:00", "America/New_York", SUMMER, "02:00"),  # EDT, UTC-4, next UTC day
        ("09:00", "Asia/Tokyo", None, "00:00"),  # no DST: default date (today) is deterministic
        ("01:00", "Australia/Sydney", WINTER, "14:00"),  # AEDT, UTC+11 in January
    ],
    ids=[
        "utc-default", "short-hour", "time-object", "utc-zone", "berlin-summer", "berlin-winter",
        "berlin-time-object", "berlin-1am", "berlin-midnight", "new-york-winter", "new-york-summer",
        "tokyo-today", "sydney-summer",
    ],
)  # fmt: skip
def test_local_hour_to_fivetran_utc_hour(
    value: Any, tz: str | None, on: dt.date | None, expected: str
) -> None:
    assert to_fivetran_daily_sync_time(value, tz, on=on) == expected


@pytest.mark.parametrize(
    ("value", "tz", "fragment"),
    [
        ("09:00", "Asia/Kolkata", "UTC+05:30"),
        ("09:00", "Asia/Kathmandu", "UTC+05:45"),
        ("09:00", "America/St_Johns", "UTC-02:30"),  # NDT in July
        ("09:00", "Mars/Olympus_Mons", "unknown time zone 'Mars/Olympus_Mons'"),
        ("09:00", "", "unknown time zone ''"),
        ("09:00", "../../etc/passwd", "unknown time zone"),
        ("14:30", "Europe/Berlin", "whole hours"),
        ("14:30", None, "whole hours"),
        (dt.time(14, 30), None, "whole hours"),
        ("25:00", None, "'00:00' to '23:00'"),
        ("14:00:00", None, "'HH:00'"),
        (dt.time(9, tzinfo=dt.UTC), "Europe/Berlin", "naive time"),
        (14, None, "string 'HH:00' or a datetime.time"),
    ],
    ids=[
        "kolkata-half-hour", "kathmandu-45", "st-johns-negative-half", "unknown-zone", "empty-zone",
        "path-zone", "half-hour-local", "half-hour-utc", "half-hour-time", "hour-25", "seconds", "aware-and-tz",
        "int",
    ],
)  # fmt: skip
def test_conversion_refusals(value: Any, tz: str | None, fragment: str) -> None:
    with pytest.raises(FivetranInputError) as info:
        to_fivetran_daily_sync_time(value, tz, on=SUMMER)
    assert info.value.paths == ["daily_sync_time"]
    assert fragment in str(info.value)


def test_time_object_with_nonzero_offset_is_refused_without_tz() -> None:
    with pytest.raises(ValueError, match="naive time"):
        normalise_daily_sync_time(dt.time(9, tzinfo=dt.timezone(dt.timedelta(hours=2))))


@pytest.mark.parametrize(("value", "expected"), [(1440, 1440), ("1440", 1440), (1, 1), ("60", 60)])
def test_sync_frequency_accepted(value: Any, expected: int) -> None:
    assert parse_sync_frequency(value) == expected


@pytest.mark.parametrize("value", [45, "45", "abc", True, False, 1440.0, "", " 60", "1_440", None, "١٤٤٠"])
def test_sync_frequency_refused(value: Any) -> None:
    with pytest.raises(ValueError, match="allowed: 1, 5, 15, 30, 60, 120, 180, 360, 480, 720, 1440"):
        parse_sync_frequency(value)


# --- Schedule and schedule_changes ------------------------------------------------------------------


def connection(**changes: Any) -> Connection:
    data = connection_answer()
    data.update(changes)
    return Connection.from_api(data)


def test_schedule_from_api_dict_is_strict() -> None:
    with pytest.raises(FivetranInputError) as info:
        Schedule.from_api_dict(
            {"sync_frequency": 360, "daily_sync_time": "03:00", "paused": "yes", "cron": "x"}
        )
    assert set(info.value.paths) == {"daily_sync_time", "paused", "cron"}
    assert info.value.what == "schedule"
    schedule = Schedule.from_api_dict({"sync_frequency": "1440", "daily_sync_time": dt.time(5)})
    assert (schedule.sync_frequency, schedule.daily_sync_time) == (1440, "05:00")


def test_no_changes_for_the_current_schedule() -> None:
    actual = connection()  # 1440 at 03:00, auto, not paused
    current = Schedule(sync_frequency=1440, daily_sync_time="03:00", schedule_type="auto", paused=False)
    assert schedule_changes(current, actual) == {}
    assert schedule_changes(Schedule(), actual) == {}
    assert schedule_changes(Schedule(daily_sync_time=dt.time(3)), actual) == {}  # already "03:00"


def test_only_differing_fields_are_returned() -> None:
    actual = connection()  # 1440 at 03:00, auto, not paused
    desired = Schedule(sync_frequency=1440, daily_sync_time="03:00", schedule_type="manual", paused=True)
    changes = schedule_changes(desired, actual)
    assert changes == {"schedule_type": "manual", "paused": True}
    assert type(changes["schedule_type"]) is str


def test_new_daily_time_of_a_daily_connection_is_sent_alone() -> None:
    """A documented PATCH (Fivetran's guide "How to set a start time for daily syncs"): the connection
    already syncs every 1440 minutes, so only the time changes."""
    actual = connection()
    changes = schedule_changes(Schedule(daily_sync_time="05:00"), actual)
    assert changes == {"daily_sync_time": "05:00"}
    assert ConnectionUpdate.from_api_dict(changes).to_wire() == changes


def test_daily_time_with_an_unknown_current_frequency_asks_for_1440() -> None:
    actual = connection(sync_frequency=None)
    with pytest.raises(FivetranInputError, match="sync_frequency is unknown"):
        schedule_changes(Schedule(daily_sync_time="05:00"), actual)


@pytest.mark.parametrize(
    ("time", "frequency", "why"),
    [
        (None, 360, None),
        (None, None, None),
        ("05:00", 1440, None),
        ("05:00", 360, "the connection would sync every 360 minutes"),
        ("05:00", 1, "the connection would sync every 1 minutes"),
        ("05:00", None, "the connection's sync_frequency is unknown"),  # the hour may be dropped
    ],
)
def test_daily_sync_time_problem_is_the_one_rule(
    time: str | None, frequency: int | None, why: str | None
) -> None:
    problem = daily_sync_time_problem(time, frequency)
    if why is None:
        assert problem is None
    else:
        assert problem == (
            f"is only kept by Fivetran when sync_frequency is 1440, and {why}: set sync_frequency 1440 or drop "
            "daily_sync_time"
        )


@pytest.mark.parametrize(
    "refusal",
    [
        lambda: Schedule.from_api_dict({"sync_frequency": 360, "daily_sync_time": "05:00"}),
        lambda: schedule_changes(Schedule(daily_sync_time="05:00"), connection(sync_frequency=360)),
    ],
    ids=["schedule", "schedule-changes"],
)
def test_every_refusal_of_a_dropped_daily_time_says_the_rule_s_message(refusal: Any) -> None:
    with pytest.raises(FivetranInputError) as info:
        refusal()
    [problem] = info.value.problems
    assert problem.path == "daily_sync_time"
    assert problem.message.startswith(str(daily_sync_time_problem("05:00", 360)))


def test_switch_to_daily_with_a_time() -> None:
    actual = connection(sync_frequency=360, daily_sync_time=None)
    changes = schedule_changes(Schedule(sync_frequency=1440, daily_sync_time="05:00"), actual)
    assert changes == {"sync_frequency": 1440, "daily_sync_time": "05:00"}
    # the result is a valid PATCH body
    assert ConnectionUpdate.from_api_dict(changes).to_wire() == changes


def test_leaving_daily_drops_the_time_without_sending_it() -> None:
    actual = connection()  # 1440 at 03:00
    assert schedule_changes(Schedule(sync_frequency=360), actual) == {"sync_frequency": 360}


def test_daily_time_for_a_non_daily_connection_is_refused() -> None:
    actual = connection(sync_frequency=360, daily_sync_time=None)
    with pytest.raises(FivetranInputError) as info:
        schedule_changes(Schedule(daily_sync_time="05:00"), actual)
    assert info.value.paths == ["daily_sync_time"]
    assert "every 360 minutes" in str(info.value)


def test_unknown_answer_values_count_as_different() -> None:
    actual = connection(schedule_type="cron_like")
    assert actual.schedule_type == "cron_like"
    assert schedule_changes(Schedule(schedule_type=ScheduleType.AUTO), actual) == {"schedule_type": "auto"}
