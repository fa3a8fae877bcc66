"""The closed vocabularies of Fivetran's ``spotify_ads`` connection, as ``StrEnum``s.

Requests accept only these values. Answers accept them too, but keep any value Fivetran adds later as a
plain ``str`` (its enums grow over time), so answer fields are typed ``SomeEnum | str``: use :func:`known`
to get the member, or ``None`` for a value this release does not know.

This module imports only the standard library.
"""

from __future__ import annotations

import difflib
from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


class SyncMode(StrEnum):
    """``config.sync_mode``: sync every ad account the credentials reach, or only ``config.accounts``."""

    ALL_ACCOUNTS = "ALL_ACCOUNTS"
    SPECIFIC_ACCOUNTS = "SPECIFIC_ACCOUNTS"


class TimeframeMonths(StrEnum):
    """``config.timeframe_months``: how far back the first (historical) sync reaches; fixed after create."""

    THREE = "THREE"
    SIX = "SIX"
    TWELVE = "TWELVE"
    TWENTY_FOUR = "TWENTY_FOUR"
    ALL_TIME = "ALL_TIME"


class Dimension(StrEnum):
    """``config.report_list[].dimension``: the entity a report row describes."""

    AD_ACCOUNT = "AD_ACCOUNT"
    AD = "AD"
    AD_SET = "AD_SET"
    CAMPAIGN = "CAMPAIGN"


class Granularity(StrEnum):
    """``config.report_list[].granularity``: one row per hour or per day."""

    HOUR = "HOUR"
    DAY = "DAY"


class ReportField(StrEnum):
    """``config.report_list[].fields[]``: the 31 metrics a Spotify Ads report can hold."""

    CLICKS = "CLICKS"
    COMPLETES = "COMPLETES"
    CONVERSION_RATE = "CONVERSION_RATE"
    CTR = "CTR"
    E_CPCL = "E_CPCL"
    E_CPM = "E_CPM"
    FIRST_QUARTILES = "FIRST_QUARTILES"
    FREQUENCY = "FREQUENCY"
    IMPRESSIONS = "IMPRESSIONS"
    INTENT_RATE = "INTENT_RATE"
    LISTENERS = "LISTENERS"
    MIDPOINTS = "MIDPOINTS"
    NEW_LISTENERS = "NEW_LISTENERS"
    NEW_LISTENER_CONVERSION_RATE = "NEW_LISTENER_CONVERSION_RATE"
    NEW_LISTENER_STREAMS = "NEW_LISTENER_STREAMS"
    OFF_SPOTIFY_IMPRESSIONS = "OFF_SPOTIFY_IMPRESSIONS"
    PAID_LISTENS = "PAID_LISTENS"
    PAID_LISTENS_FREQUENCY = "PAID_LISTENS_FREQUENCY"
    PAID_LISTENS_REACH = "PAID_LISTENS_REACH"
    REACH = "REACH"
    SKIPS = "SKIPS"
    SPEND = "SPEND"
    STARTS = "STARTS"
    STREAMED_IMPRESSIONS = "STREAMED_IMPRESSIONS"
    STREAMS = "STREAMS"
    STREAMS_PER_NEW_LISTENER = "STREAMS_PER_NEW_LISTENER"
    STREAMS_PER_USER = "STREAMS_PER_USER"
    THIRD_QUARTILES = "THIRD_QUARTILES"
    VIDEO_EXPANDS = "VIDEO_EXPANDS"
    VIDEO_EXPAND_RATE = "VIDEO_EXPAND_RATE"
    VIDEO_VIEWS = "VIDEO_VIEWS"


class ScheduleType(StrEnum):
    """``schedule_type``: ``auto`` syncs every ``sync_frequency`` minutes; ``manual`` only on request."""

    AUTO = "auto"
    MANUAL = "manual"


class DataDelaySensitivity(StrEnum):
    """``data_delay_sensitivity``: when Fivetran calls data delayed (``CUSTOM``: ``data_delay_threshold``)."""

    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    CUSTOM = "CUSTOM"
    SYNC_FREQUENCY = "SYNC_FREQUENCY"


class NetworkingMethod(StrEnum):
    """``networking_method`` a request may set (answers also: ``UnmanagedProxyAgent``, ``Unknown``)."""

    DIRECTLY = "Directly"
    PRIVATE_LINK = "PrivateLink"
    SSH_TUNNEL = "SshTunnel"
    PROXY_AGENT = "ProxyAgent"


class DestinationSchemaNames(StrEnum):
    """``destination_schema_names``: how Fivetran names schemas and tables in the destination (the spec says it
    "will soon become a required field")."""

    FIVETRAN_NAMING = "FIVETRAN_NAMING"
    SOURCE_NAMING = "SOURCE_NAMING"


class SchemaStatus(StrEnum):
    """``schema_status`` a PATCH may set (Universal Column Masking flow)."""

    BLOCKED_ON_CAPTURE = "blocked_on_capture"
    READY = "ready"


class SetupState(StrEnum):
    """``status.setup_state``: ``incomplete`` (tests never passed), ``connected``, ``broken``."""

    INCOMPLETE = "incomplete"
    CONNECTED = "connected"
    BROKEN = "broken"


class SyncState(StrEnum):
    """``status.sync_state``; ``rescheduled`` comes with ``status.rescheduled_for``."""

    SCHEDULED = "scheduled"
    SYNCING = "syncing"
    PAUSED = "paused"
    RESCHEDULED = "rescheduled"


class UpdateState(StrEnum):
    """``status.update_state``: is the data on time."""

    ON_SCHEDULE = "on_schedule"
    DELAYED = "delayed"


class SetupTestStatus(StrEnum):
    """``setup_tests[].status``. What each means for the setup is written once, here, in the sets below.

    ``WARNING`` does not fail a setup: as far as Fivetran documents it, a connection whose tests pass, are
    skipped or only warn becomes ``connected``. The basis: Fivetran's Terraform provider reports every status
    but ``PASSED`` and ``SKIPPED`` as a diagnostic *warning*, never an error (its connector resource, after a
    create or a test run), and Fivetran's dashboard calls a warning "a problem that you may need to fix, but
    that does not keep Fivetran from syncing your data". No live account has confirmed it (the contract
    README, last section), so no wait decides from test statuses: ``status.setup_state`` alone says whether a
    setup is done (``decisions``). While a setup is not ``connected``, its failed and warning tests are the
    reasons Fivetran gives, and the tasks report them (:data:`REPORTED_TEST_STATUSES`).
    """

    PASSED = "PASSED"
    SKIPPED = "SKIPPED"
    WARNING = "WARNING"
    FAILED = "FAILED"
    JOB_FAILED = "JOB_FAILED"


SYNC_FREQUENCIES: frozenset[int] = frozenset({1, 5, 15, 30, 60, 120, 180, 360, 480, 720, 1440})
"""The sync frequencies (minutes) Fivetran accepts."""

DAILY_SYNC_FREQUENCY = 1440
"""The only ``sync_frequency`` with which Fivetran keeps a ``daily_sync_time``."""

DEFAULT_SYNC_FREQUENCY = 360
"""Fivetran's ``sync_frequency`` of a new connection that does not set one (contract README)."""

PASSING_TEST_STATUSES: frozenset[SetupTestStatus] = frozenset(
    {SetupTestStatus.PASSED, SetupTestStatus.SKIPPED}
)
"""Statuses of a test that passed (or did not need to run)."""

FAILING_TEST_STATUSES: frozenset[SetupTestStatus] = frozenset(
    {SetupTestStatus.FAILED, SetupTestStatus.JOB_FAILED}
)
"""Statuses of a test that failed. ``WARNING`` is neither passing nor failing (see :class:`SetupTestStatus`);
an unknown status neither: it may be a test still running."""

REPORTED_TEST_STATUSES: frozenset[SetupTestStatus] = FAILING_TEST_STATUSES | {SetupTestStatus.WARNING}
"""Statuses of the tests a task names when a setup is not ``connected``: failures, and warnings (not a
failure, but a reason Fivetran gives)."""


def known(enum_cls: type[E], value: object) -> E | None:
    """The member of ``enum_cls`` that ``value`` names, or ``None`` for a value this release does not know."""
    if isinstance(value, enum_cls):
        return value
    if isinstance(value, str):
        try:
            return enum_cls(value)
        except ValueError:
            return None
    return None


def allowed_values(enum_cls: type[StrEnum]) -> str:
    """The values of ``enum_cls`` as a comma-separated list, in declaration order (for messages)."""
    return ", ".join(member.value for member in enum_cls)


def closest_value(enum_cls: type[StrEnum], value: str) -> str | None:
    """The value of ``enum_cls`` that ``value`` most likely meant (case and typos), or ``None``."""
    values = [member.value for member in enum_cls]
    by_upper = {v.upper(): v for v in values}
    if value.strip().upper() in by_upper:
        return by_upper[value.strip().upper()]
    matches = difflib.get_close_matches(value.upper(), list(by_upper), n=1, cutoff=0.75)
    return by_upper[matches[0]] if matches else None
