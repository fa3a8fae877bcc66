"""When a connection syncs: ``sync_frequency``, ``daily_sync_time`` (a UTC hour), time zones, and the
:class:`Schedule` a task asks for with :func:`schedule_changes`, the PATCH fields that make it so.

Rules (Fivetran's, enforced here before any call):

* ``sync_frequency`` is one of :data:`SYNC_FREQUENCIES` minutes; an ``int`` or a numeric string (``"1440"``,
  as some clients send) is accepted and stored as ``int``; ``True``, floats and ``"abc"`` are refused.
* ``daily_sync_time`` is a whole UTC hour ``"HH:00"``, ``"00:00"`` to ``"23:00"``; ``"9:00"`` and
  ``datetime.time(9)`` are accepted and stored as ``"09:00"``; Fivetran keeps it only when the connection's
  ``sync_frequency`` is, or becomes in the same request, 1440: :func:`daily_sync_time_problem` is the one
  home of that rule and its message (requests and drift read it; schedules, the schedule task and the
  fleet spec refuse with it).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Annotated, Any, Protocol, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, StrictBool, ValidationInfo, field_validator

from airflow_spotify_fivetran.exceptions import FivetranInputError, InputProblem
from airflow_spotify_fivetran.models.enums import DAILY_SYNC_FREQUENCY, SYNC_FREQUENCIES, ScheduleType
from airflow_spotify_fivetran.models.errors import rule_error, strict_enum, validate_input

_ALLOWED_FREQUENCIES = ", ".join(str(f) for f in sorted(SYNC_FREQUENCIES))
_HOUR_MINUTE = re.compile(r"^([0-9]{1,2}):([0-9]{2})$")
_HOUR_RULE = "use 'HH:00' from '00:00' to '23:00' (a whole hour, UTC)"
_ONE_HOUR = dt.timedelta(hours=1)


def parse_sync_frequency(value: object) -> int:
    """``value`` as a sync frequency in minutes.

    Raises:
        ValueError: not an int or numeric string, or not one of :data:`SYNC_FREQUENCIES`.
    """
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        number = int(value)
    if number is None:
        raise ValueError(
            f"{value!r} is not allowed: give a whole number of minutes; allowed: {_ALLOWED_FREQUENCIES}"
        )
    if number not in SYNC_FREQUENCIES:
        raise ValueError(f"{value!r} is not allowed; allowed: {_ALLOWED_FREQUENCIES} (minutes)")
    return number


def normalise_daily_sync_time(value: object) -> str:
    """``value`` (``"14:00"``, ``"9:00"``, ``datetime.time(14)``) as Fivetran's ``"HH:00"``.

    A ``datetime.time`` must be naive (read as UTC) or have a zero UTC offset, and be a whole hour.

    Raises:
        ValueError: not a whole hour between 00:00 and 23:00, or not a str or ``datetime.time``.
    """
    if isinstance(value, dt.time):
        if value.tzinfo is not None and value.utcoffset() != dt.timedelta(0):
            raise ValueError(
                f"{value!r} is not allowed: give a naive time (UTC), or convert a local time with "
                "to_fivetran_daily_sync_time(value, tz)"
            )
        if value.minute or value.second or value.microsecond:
            raise ValueError(
                f"{value.isoformat()!r} is not allowed: Fivetran syncs daily on whole hours; {_HOUR_RULE}"
            )
        return f"{value.hour:02d}:00"
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not allowed: give a string 'HH:00' or a datetime.time; {_HOUR_RULE}")
    match = _HOUR_MINUTE.match(value)
    if match is None or int(match.group(1)) > 23:
        raise ValueError(f"{value!r} is not allowed; {_HOUR_RULE}")
    if match.group(2) != "00":
        raise ValueError(f"{value!r} is not allowed: Fivetran syncs daily on whole hours; {_HOUR_RULE}")
    return f"{int(match.group(1)):02d}:00"


def daily_sync_time_problem(daily_sync_time: object, sync_frequency: int | None) -> str | None:
    """Why Fivetran would not keep ``daily_sync_time``, or ``None`` when it would: the one home of the rule
    "a daily sync time needs ``sync_frequency`` :data:`DAILY_SYNC_FREQUENCY`", and of its message.

    The spec: ``daily_sync_time`` "defines the sync start time when the sync frequency is already set or being
    set by the current request to 1440"; answers carry it "only when sync_frequency is 1440". Fivetran does
    not refuse it otherwise: it drops it. Requests warn with this message, tasks that know the connection
    refuse with it.

    Args:
        daily_sync_time: the time asked for (``None``: none asked, no problem).
        sync_frequency: the frequency the connection has once the request is applied; ``None`` when it is
            unknown (a garbled answer): the time may then be dropped, which is a problem too. A caller that
            cannot know the connection (a PATCH model) does not ask.
    """
    if daily_sync_time is None or sync_frequency == DAILY_SYNC_FREQUENCY:
        return None
    now = (
        "the connection's sync_frequency is unknown"
        if sync_frequency is None
        else f"the connection would sync every {sync_frequency} minutes"
    )
    return (
        f"is only kept by Fivetran when sync_frequency is {DAILY_SYNC_FREQUENCY}, and {now}: set "
        f"sync_frequency {DAILY_SYNC_FREQUENCY} or drop daily_sync_time"
    )


def _sync_frequency_field(value: Any) -> int:
    try:
        return parse_sync_frequency(value)
    except ValueError as exc:
        raise rule_error(str(exc)) from None


def _daily_sync_time_field(value: Any) -> str:
    try:
        return normalise_daily_sync_time(value)
    except ValueError as exc:
        raise rule_error(str(exc)) from None


SyncFrequency = Annotated[int, BeforeValidator(_sync_frequency_field)]
"""A request's ``sync_frequency``: int or numeric string in, ``int`` out, one of :data:`SYNC_FREQUENCIES`."""

DailySyncTime = Annotated[str, BeforeValidator(_daily_sync_time_field)]
"""A request's ``daily_sync_time``: ``str`` or ``datetime.time`` in, ``"HH:00"`` out."""

ScheduleTypeIn = Annotated[ScheduleType, BeforeValidator(strict_enum(ScheduleType))]
"""A request's ``schedule_type``: exactly ``auto`` or ``manual``."""


def _format_offset(offset: dt.timedelta) -> str:
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _zone(name: object) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as 'Europe/Berlin'")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as 'Europe/Berlin'") from exc


def to_fivetran_daily_sync_time(
    value: str | dt.time, tz: str | None = None, *, on: dt.date | None = None
) -> str:
    """The UTC ``"HH:00"`` Fivetran stores for the local wall-clock hour ``value`` in time zone ``tz``.

    Args:
        value: a whole hour, ``"14:00"``, ``"9:00"`` or ``datetime.time(14)`` (naive when ``tz`` is given).
        tz: an IANA zone name (``"Europe/Berlin"``); ``None`` means ``value`` is already UTC.
        on: the date whose UTC offset applies (daylight saving time moves it); default today in ``tz``.
            Fivetran stores one fixed UTC hour, so the local hour drifts when the offset changes.

    Returns:
        ``"HH:00"`` in UTC. A local hour skipped by a daylight-saving jump uses the offset before the jump.

    Raises:
        FivetranInputError: ``value`` is not a whole hour, ``tz`` is unknown, or the zone's offset on that
            date is not a whole number of hours (``Asia/Kolkata``, +05:30), which no UTC hour can express.
    """
    try:
        if tz is not None and isinstance(value, dt.time) and value.tzinfo is not None:
            raise ValueError(f"{value!r} is not allowed: give a naive time together with tz={tz!r}")
        hour_text = normalise_daily_sync_time(value)
        if tz is None:
            return hour_text
        zone = _zone(tz)
        day = on if on is not None else dt.datetime.now(zone).date()
        local = dt.datetime.combine(day, dt.time(int(hour_text[:2])), tzinfo=zone)
        offset = local.utcoffset() or dt.timedelta(0)
        if offset % _ONE_HOUR:
            raise ValueError(
                f"time zone {tz!r} is UTC{_format_offset(offset)} on {day.isoformat()}, not a whole number "
                "of hours: Fivetran's daily_sync_time is a whole UTC hour, so no local hour there can be "
                "expressed; choose the UTC hour yourself"
            )
        return f"{local.astimezone(dt.UTC).hour:02d}:00"
    except ValueError as exc:
        shown = value.isoformat() if isinstance(value, dt.time) else value
        raise FivetranInputError(
            [InputProblem(path="daily_sync_time", message=str(exc), value=shown)], what="daily sync time"
        ) from None


class Schedule(BaseModel):
    """The schedule a task wants; ``None`` (the default) leaves that part as it is.

    Rules: ``sync_frequency`` one of :data:`SYNC_FREQUENCIES` (int or numeric string), ``daily_sync_time`` a
    whole UTC hour (str or ``datetime.time``, stored ``"HH:00"``) and refused next to a ``sync_frequency``
    Fivetran would drop it with (:func:`daily_sync_time_problem`), ``schedule_type`` ``auto``/``manual``,
    ``paused`` a real boolean; unknown fields refused.
    Build it from user input with :meth:`from_api_dict`; compare it with a connection with
    :func:`schedule_changes`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    sync_frequency: SyncFrequency | None = None
    daily_sync_time: DailySyncTime | None = None
    schedule_type: ScheduleTypeIn | None = None
    paused: StrictBool | None = None

    @field_validator("daily_sync_time")
    @classmethod
    def _daily_time_needs_daily_frequency(cls, value: str | None, info: ValidationInfo) -> str | None:
        # A schedule asking for both a non-daily frequency and a daily hour contradicts itself: surely a
        # mistake (Fivetran would drop the hour), so refused here. Without a frequency of its own the
        # schedule cannot tell: schedule_changes decides once the connection is known.
        frequency = info.data.get("sync_frequency")
        problem = daily_sync_time_problem(value, frequency) if frequency is not None else None
        if problem is not None:
            raise rule_error(problem)
        return value

    @classmethod
    def from_api_dict(cls, data: Mapping[str, Any]) -> Self:
        """A schedule from a dict of the fields above.

        Raises:
            FivetranInputError: (what="schedule") listing every problem.
        """
        return validate_input(cls, data, what="schedule")


SCHEDULE_FIELDS: tuple[str, ...] = tuple(Schedule.model_fields)
"""The fields of a connection's schedule: ``sync_frequency``, ``daily_sync_time``, ``schedule_type``,
``paused`` (what the schedule task owns)."""


def _same_hour(actual: str | None, desired: str) -> bool:
    if actual is None:
        return False
    try:
        return normalise_daily_sync_time(actual) == desired
    except ValueError:
        return False


class ScheduleView(Protocol):
    """What :func:`schedule_changes` reads of the current schedule: a ``Connection`` or a ``Schedule``."""

    @property
    def sync_frequency(self) -> int | None: ...
    @property
    def daily_sync_time(self) -> str | None: ...
    @property
    def schedule_type(self) -> Any: ...
    @property
    def paused(self) -> bool | None: ...


def schedule_changes(desired: Schedule, actual: ScheduleView) -> dict[str, Any]:
    """The PATCH fields (JSON-ready) that turn ``actual``'s schedule into ``desired``; ``{}`` if none differ.

    Only fields ``desired`` sets and ``actual`` does not already have are returned. A ``daily_sync_time`` is
    sent alone when the connection already syncs daily (a documented request: Fivetran's guide "How to set a
    start time for daily syncs"), together with the daily ``sync_frequency`` when this change makes it daily.

    Raises:
        FivetranInputError: ``desired`` sets a ``daily_sync_time`` Fivetran would not keep, because the
            connection's frequency stays another one or is unknown (Fivetran would accept the PATCH and drop
            the hour: the schedule asked for could not hold, surely a mistake). The rule is
            :func:`daily_sync_time_problem`.
    """
    changes: dict[str, Any] = {}
    frequency = desired.sync_frequency if desired.sync_frequency is not None else actual.sync_frequency
    if desired.sync_frequency is not None and desired.sync_frequency != actual.sync_frequency:
        changes["sync_frequency"] = desired.sync_frequency
    if desired.daily_sync_time is not None:
        problem = daily_sync_time_problem(desired.daily_sync_time, frequency)
        if problem is not None:
            connection = getattr(actual, "id", None)
            where = f" (connection {connection})" if connection else ""
            raise FivetranInputError(
                [
                    InputProblem(
                        path="daily_sync_time", message=problem + where, value=desired.daily_sync_time
                    )
                ],
                what="schedule",
            )
        if not _same_hour(actual.daily_sync_time, desired.daily_sync_time):
            changes["daily_sync_time"] = desired.daily_sync_time
    if desired.schedule_type is not None and desired.schedule_type != actual.schedule_type:
        changes["schedule_type"] = str(desired.schedule_type)
    if desired.paused is not None and desired.paused != actual.paused:
        changes["paused"] = desired.paused
    return changes
