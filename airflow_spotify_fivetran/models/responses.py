"""Fivetran's answers, read leniently.

Rules of every answer model:

* fields this release does not know are ignored (``extra="ignore"``): Fivetran adds fields over time;
* an enum value this release does not know is kept as the raw ``str`` (fields typed ``SomeEnum | str``), so
  ``Dimension.CAMPAIGN`` and ``"CREATIVE"`` both parse; :func:`~.enums.known` gives the member or ``None``;
* every optional field accepts ``null``; lists that may be ``null`` or absent read as ``[]``;
* an optional field Fivetran garbles (a timestamp ``"null"``, an object where a string belongs) reads as
  absent, and an unreadable item of an optional list (a setup test without a title) is skipped; each is
  logged as a warning naming the field, never its value. One bad field never makes a connection, or a page
  of them, unusable;
* secrets Fivetran echoes (``"******"``) are held as ``SecretStr``, so even a real one would not be shown;
* only what we cannot work without is required (a connection's ``id``, ``group_id``, ``service``,
  ``schema``, ``status.setup_state`` and ``status.sync_state``); its absence raises
  :class:`FivetranResponseError` naming the field.

Parse with ``Connection.from_api(data)`` (``data`` being the envelope's ``data`` object),
``ConnectCardAnswer.from_api(data)`` and ``ConnectionPage.from_api(data)``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    SecretStr,
    ValidationError,
    model_validator,
)

from airflow_spotify_fivetran.exceptions import FailedTest, FivetranResponseError
from airflow_spotify_fivetran.models.enums import (
    FAILING_TEST_STATUSES,
    PASSING_TEST_STATUSES,
    REPORTED_TEST_STATUSES,
    DataDelaySensitivity,
    DestinationSchemaNames,
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
)
from airflow_spotify_fivetran.models.errors import path_of

log = logging.getLogger(__name__)


def _none_as_empty_list(value: Any) -> Any:
    return [] if value is None else value


def _blank_as_none(value: Any) -> Any:
    return None if value == "" else value


_LEFT_TO_RIGHT = Field(union_mode="left_to_right")

# An enum member when the value is known, else the raw string (left_to_right: try the enum first).
AnswerSyncMode = Annotated[SyncMode | str, _LEFT_TO_RIGHT]
AnswerTimeframeMonths = Annotated[TimeframeMonths | str, _LEFT_TO_RIGHT]
AnswerDimension = Annotated[Dimension | str, _LEFT_TO_RIGHT]
AnswerGranularity = Annotated[Granularity | str, _LEFT_TO_RIGHT]
AnswerReportField = Annotated[ReportField | str, _LEFT_TO_RIGHT]
AnswerScheduleType = Annotated[ScheduleType | str, _LEFT_TO_RIGHT]
AnswerDataDelaySensitivity = Annotated[DataDelaySensitivity | str, _LEFT_TO_RIGHT]
AnswerNetworkingMethod = Annotated[NetworkingMethod | str, _LEFT_TO_RIGHT]
AnswerSetupState = Annotated[SetupState | str, _LEFT_TO_RIGHT]
AnswerSyncState = Annotated[SyncState | str, _LEFT_TO_RIGHT]
AnswerUpdateState = Annotated[UpdateState | str, _LEFT_TO_RIGHT]
AnswerSetupTestStatus = Annotated[SetupTestStatus | str, _LEFT_TO_RIGHT]
AnswerDestinationSchemaNames = Annotated[DestinationSchemaNames | str, _LEFT_TO_RIGHT]


class AnswerModel(BaseModel):
    """Base of the answer models: unknown fields ignored, fields settable by name or by Fivetran's key."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    @model_validator(mode="wrap")
    @classmethod
    def _read_garbled_optional_fields_as_absent(
        cls, data: Any, handler: ModelWrapValidatorHandler[Self]
    ) -> Self:
        try:
            return handler(data)
        except ValidationError as exc:
            if not isinstance(data, Mapping):
                raise
            cleaned = _without_garbled_optional_fields(cls, data, exc)
            if cleaned is None:
                raise
        return handler(cleaned)  # a garbled required field still fails, naming it

    @classmethod
    def from_api(cls, data: Mapping[str, Any], *, method: str = "", path: str = "") -> Self:
        """Parse the ``data`` object of one of Fivetran's answers.

        Args:
            data: the envelope's ``data`` object (not the whole envelope).
            method: HTTP method of the call, for the error message.
            path: URL path of the call, for the error message.

        Raises:
            FivetranResponseError: ``data`` is not an object, or lacks or garbles a field we need (named).
        """
        what = cls.__name__
        if not isinstance(data, Mapping):
            raise FivetranResponseError(
                f"expected a JSON object for {what}, got {type(data).__name__}", method=method, path=path
            )
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            problems = "; ".join(
                f"{path_of(err['loc']) or '(answer)'}: "
                + ("missing" if err["type"] == "missing" else str(err["msg"]))
                for err in exc.errors(include_url=False)
            )
        hint = ""
        if "data" in data and "id" not in data:
            hint = " (this looks like the whole envelope: pass its 'data' object)"
        raise FivetranResponseError(
            f"Fivetran's answer is not a usable {what}: {problems}{hint}", method=method, path=path
        ) from None


def _without_garbled_optional_fields(
    model: type[BaseModel], data: Mapping[str, Any], exc: ValidationError
) -> dict[str, Any] | None:
    """``data`` without the optional fields (or optional-list items) that ``exc`` found unreadable, each
    logged; ``None`` when there are none to drop."""
    fields = {key: f for name, f in model.model_fields.items() for key in (name, f.alias) if key}
    cleaned = dict(data)
    bad_items: dict[str, set[int]] = {}
    for err in exc.errors(include_url=False):
        loc = err["loc"]
        key = loc[0] if loc else None
        field = fields.get(key) if isinstance(key, str) else None
        if field is None or field.is_required() or not isinstance(key, str) or key not in cleaned:
            continue
        if len(loc) > 1 and isinstance(loc[1], int) and isinstance(cleaned[key], list):
            bad_items.setdefault(key, set()).add(loc[1])
        else:
            cleaned.pop(key)
        log.warning(
            "Fivetran's %s has an unreadable %s (%s): read as absent",
            model.__name__,
            path_of(loc),
            err["type"],
        )
    for key, indexes in bad_items.items():
        if key in cleaned:
            cleaned[key] = [item for i, item in enumerate(cleaned[key]) if i not in indexes]
    return cleaned if cleaned != dict(data) else None


class ReportAnswer(AnswerModel):
    """One ``config.report_list[]`` entry as Fivetran echoes it."""

    table: str | None = None
    dimension: AnswerDimension | None = None
    granularity: AnswerGranularity | None = None
    fields: Annotated[list[AnswerReportField], BeforeValidator(_none_as_empty_list)] = []


class ClientAccessAnswer(AnswerModel):
    """``config.client_access`` if Fivetran echoes it; the secret stays hidden."""

    client_id: str | None = None
    client_secret: SecretStr | None = None


class SpotifyAdsConfigAnswer(AnswerModel):
    """The ``config`` of a ``spotify_ads`` connection as echoed (secrets come back ``"******"``)."""

    schema_: str | None = Field(default=None, alias="schema")
    sync_mode: AnswerSyncMode | None = None
    accounts: list[str] | None = None
    report_list: list[ReportAnswer] | None = None
    timeframe_months: AnswerTimeframeMonths | None = None
    refresh_token: SecretStr | None = None
    client_access: ClientAccessAnswer | None = None


class SetupTest(AnswerModel):
    """One setup test result: ``title``, ``status`` (a ``SetupTestStatus`` or a newer raw string),
    ``message`` and ``details`` (any JSON)."""

    title: str
    status: AnswerSetupTestStatus
    message: str | None = None
    details: Any = None

    @property
    def passed(self) -> bool:
        """``PASSED`` or ``SKIPPED``."""
        return self.status in PASSING_TEST_STATUSES

    @property
    def failed(self) -> bool:
        """``FAILED`` or ``JOB_FAILED`` (``WARNING`` and unknown statuses are neither passed nor failed)."""
        return self.status in FAILING_TEST_STATUSES

    @property
    def reported(self) -> bool:
        """Failed or ``WARNING``: named when the setup is not ``connected`` (``REPORTED_TEST_STATUSES``)."""
        return self.status in REPORTED_TEST_STATUSES

    def to_failed_test(self) -> FailedTest:
        """This result as the ``FailedTest`` that ``FivetranSetupTestsFailedError`` carries."""
        return FailedTest(title=self.title, status=str(self.status), message=self.message)


class ConnectionNotice(AnswerModel):
    """One of ``status.tasks[]`` or ``status.warnings[]``: ``{code, message, details}``."""

    code: str | None = None
    message: str | None = None
    details: Any = None


class ConnectionStatus(AnswerModel):
    """``status``: setup, sync and update state, historical sync flag, tasks and warnings."""

    setup_state: AnswerSetupState
    sync_state: AnswerSyncState
    update_state: AnswerUpdateState | None = None
    is_historical_sync: bool | None = None
    rescheduled_for: dt.datetime | None = None
    schema_status: str | None = None
    tasks: Annotated[list[ConnectionNotice], BeforeValidator(_none_as_empty_list)] = []
    warnings: Annotated[list[ConnectionNotice], BeforeValidator(_none_as_empty_list)] = []


class ConnectCard(AnswerModel):
    """``connect_card``: the token and the URL where a person authorises the connection."""

    token: str | None = None
    uri: str | None = None


class ConnectCardConfigAnswer(AnswerModel):
    """``connect_card_config`` as echoed."""

    redirect_uri: str | None = None
    hide_setup_guide: bool | None = None
    all_fields: bool | None = None


class Connection(AnswerModel):
    """A Fivetran connection (the ``data`` of create, details, PATCH and setup-test answers).

    ``schema_`` holds Fivetran's ``schema`` key (``BaseModel`` already has a ``schema`` attribute).
    """

    id: str
    group_id: str
    service: str
    service_version: int | None = None
    schema_: str = Field(alias="schema")
    paused: bool | None = None
    pause_after_trial: bool | None = None
    connected_by: str | None = None
    created_at: dt.datetime | None = None
    succeeded_at: dt.datetime | None = None
    failed_at: dt.datetime | None = None
    sync_frequency: int | None = None
    daily_sync_time: Annotated[str | None, BeforeValidator(_blank_as_none)] = None
    schedule_type: AnswerScheduleType | None = None
    data_delay_sensitivity: AnswerDataDelaySensitivity | None = None
    data_delay_threshold: int | None = None
    networking_method: AnswerNetworkingMethod | None = None
    proxy_agent_id: str | None = None
    private_link_id: str | None = None
    hybrid_deployment_agent_id: str | None = None
    destination_configuration: dict[str, Any] | None = None
    destination_schema_names: AnswerDestinationSchemaNames | None = None
    external_secrets_manager_id: str | None = None
    external_secrets_keys_config: Any = None
    config: SpotifyAdsConfigAnswer | None = None
    setup_tests: Annotated[list[SetupTest], BeforeValidator(_none_as_empty_list)] = []
    connect_card: ConnectCard | None = None
    connect_card_config: ConnectCardConfigAnswer | None = None
    source_sync_details: Any = None
    status: ConnectionStatus


class ConnectCardAnswer(AnswerModel):
    """The ``data`` of ``POST /v1/connections/{id}/connect-card``."""

    connector_id: str
    connect_card: ConnectCard | None = None
    connect_card_config: ConnectCardConfigAnswer | None = None


#: The keys a list page's cursor is found under, in order of preference: the spec's ``next_cursor``, then
#: the ``nextCursor`` of Fivetran's own documentation example (``tests/contract/answers/SOURCES.md``).
CURSOR_KEYS = ("next_cursor", "nextCursor")


class ConnectionPage(AnswerModel):
    """The ``data`` of a list call: ``items`` and ``next_cursor`` (absent, ``null`` or ``""`` on the last
    page: all read as ``None``). The cursor is read from ``next_cursor`` or, when that holds none, from
    ``nextCursor`` (:data:`CURSOR_KEYS`): reading only one would end a listing after its first page."""

    items: Annotated[list[Connection], BeforeValidator(_none_as_empty_list)] = []
    next_cursor: Annotated[str | None, BeforeValidator(_blank_as_none)] = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any], *, method: str = "", path: str = "") -> Self:
        """Parse a list answer's ``data``; stricter than the model where a lenient reading would hide a
        garbled page.

        Raises:
            FivetranResponseError: ``data`` is not an object, ``items`` is not an array (a page without one
                would silently end a listing), an item is not a usable ``Connection`` (the message is that
                of ``Connection.from_api``), or the cursor is neither a string nor empty.
        """
        if not isinstance(data, Mapping):
            return super().from_api(data, method=method, path=path)  # its "expected a JSON object" error
        items = data.get("items")
        if not isinstance(items, list):
            raise FivetranResponseError("list answer has no 'items' array", method=method, path=path)
        key, cursor = next(((k, data[k]) for k in CURSOR_KEYS if data.get(k)), (CURSOR_KEYS[0], None))
        if not cursor:  # absent, null, "" (or another empty value) under every key: the last page
            cursor = None
        elif not isinstance(cursor, str):
            raise FivetranResponseError(
                f"list answer has a {key} that is not a string: {cursor!r}", method=method, path=path
            )
        return cls(
            items=[Connection.from_api(item, method=method, path=path) for item in items], next_cursor=cursor
        )
