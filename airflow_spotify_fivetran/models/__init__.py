"""Typed models of Fivetran's ``spotify_ads`` connection: strict requests, lenient answers, schedules.

* Requests (refusing only what Fivetran refuses or what is surely a mistake; every problem reported with its path as a ``FivetranInputError``):
  :class:`NewSpotifyAdsConnection` (create body) and :class:`ConnectionUpdate` (PATCH body), built with
  ``from_api_dict(d)``, sent as ``to_wire()``.
* Answers (lenient: unknown fields and enum values kept or ignored, never a crash): :class:`Connection`,
  :class:`ConnectCardAnswer`, :class:`ConnectionPage`, parsed with ``from_api(data)``.
* Schedules: :class:`Schedule`, :func:`schedule_changes`, :func:`to_fivetran_daily_sync_time`, and
  :func:`daily_sync_time_problem`, the one home of the rule "a daily time needs sync_frequency 1440".
* Secrets: ``models.secrets`` says which keys of a request hold secrets (everyone else reads it there).

Imports only pydantic and the standard library (no Airflow): cheap to import anywhere.
"""

from airflow_spotify_fivetran.models.enums import (
    DAILY_SYNC_FREQUENCY,
    DEFAULT_SYNC_FREQUENCY,
    FAILING_TEST_STATUSES,
    PASSING_TEST_STATUSES,
    REPORTED_TEST_STATUSES,
    SYNC_FREQUENCIES,
    DataDelaySensitivity,
    DestinationSchemaNames,
    Dimension,
    Granularity,
    NetworkingMethod,
    ReportField,
    ScheduleType,
    SchemaStatus,
    SetupState,
    SetupTestStatus,
    SyncMode,
    SyncState,
    TimeframeMonths,
    UpdateState,
    known,
)
from airflow_spotify_fivetran.models.errors import MASK, path_of, to_input_error
from airflow_spotify_fivetran.models.requests import (
    ClientAccess,
    ConnectCardConfig,
    ConnectionUpdate,
    DestinationConfiguration,
    NewSpotifyAdsConnection,
    SpotifyAdsAuth,
    SpotifyAdsConfig,
    SpotifyAdsConfigUpdate,
    SpotifyAdsReport,
)
from airflow_spotify_fivetran.models.responses import (
    ClientAccessAnswer,
    ConnectCard,
    ConnectCardAnswer,
    ConnectCardConfigAnswer,
    Connection,
    ConnectionNotice,
    ConnectionPage,
    ConnectionStatus,
    ReportAnswer,
    SetupTest,
    SpotifyAdsConfigAnswer,
)
from airflow_spotify_fivetran.models.schedule import (
    Schedule,
    daily_sync_time_problem,
    normalise_daily_sync_time,
    parse_sync_frequency,
    schedule_changes,
    to_fivetran_daily_sync_time,
)

__all__ = [
    "DAILY_SYNC_FREQUENCY",
    "DEFAULT_SYNC_FREQUENCY",
    "FAILING_TEST_STATUSES",
    "MASK",
    "PASSING_TEST_STATUSES",
    "REPORTED_TEST_STATUSES",
    "SYNC_FREQUENCIES",
    "ClientAccess",
    "ClientAccessAnswer",
    "ConnectCard",
    "ConnectCardAnswer",
    "ConnectCardConfig",
    "ConnectCardConfigAnswer",
    "Connection",
    "ConnectionNotice",
    "ConnectionPage",
    "ConnectionStatus",
    "ConnectionUpdate",
    "DataDelaySensitivity",
    "DestinationConfiguration",
    "DestinationSchemaNames",
    "Dimension",
    "Granularity",
    "NetworkingMethod",
    "NewSpotifyAdsConnection",
    "ReportAnswer",
    "ReportField",
    "Schedule",
    "ScheduleType",
    "SchemaStatus",
    "SetupState",
    "SetupTest",
    "SetupTestStatus",
    "SpotifyAdsAuth",
    "SpotifyAdsConfig",
    "SpotifyAdsConfigAnswer",
    "SpotifyAdsConfigUpdate",
    "SpotifyAdsReport",
    "SyncMode",
    "SyncState",
    "TimeframeMonths",
    "UpdateState",
    "daily_sync_time_problem",
    "known",
    "normalise_daily_sync_time",
    "parse_sync_frequency",
    "path_of",
    "schedule_changes",
    "to_fivetran_daily_sync_time",
    "to_input_error",
]
