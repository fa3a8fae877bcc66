"""What we send: the create body of a ``spotify_ads`` connection and the PATCH body, validated strictly.

Every request model refuses, before any HTTP call:

* unknown fields (``extra="forbid"``) and values of the wrong type (booleans must be booleans, ids strings);
* a value outside an enum (the message lists the allowed values and a likely intended one);
* the rules written on each class below.

``from_api_dict(d)`` builds a model from the dict a user writes (Fivetran's JSON shape) and raises
:class:`FivetranInputError` listing EVERY problem with its path (``config.report_list[1].fields[0]``);
``to_wire()`` returns the JSON-ready body, the only output that reveals secrets. Models are immutable.

Names (``config.schema``, ``report_list[].table``) follow the destination identifier rule: ASCII letters,
digits and underscores, not starting with a digit, at most 63 characters (the shortest common limit of
destinations: PostgreSQL/Redshift). ``config.schema`` must also be lowercase, since destinations fold it and
Fivetran looks connections up by the exact schema. Table names are compared case-insensitively.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Annotated, Any, ClassVar, Final, Literal, Self
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    SecretStr,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    field_serializer,
    model_validator,
)

from airflow_spotify_fivetran.models.enums import (
    DAILY_SYNC_FREQUENCY,
    DataDelaySensitivity,
    Dimension,
    Granularity,
    NetworkingMethod,
    ReportField,
    SyncMode,
    TimeframeMonths,
    known,
)
from airflow_spotify_fivetran.models.errors import (
    Issue,
    Loc,
    details_of,
    issue_details,
    issues_error,
    rule_error,
    strict_enum,
    validate_input,
)
from airflow_spotify_fivetran.models.schedule import (
    DailySyncTime,
    ScheduleTypeIn,
    SyncFrequency,
    normalise_daily_sync_time,
    parse_sync_frequency,
)

SERVICE: Final = "spotify_ads"
NAME_MAX_LENGTH = 63
_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")

# to_wire() passes this context; only then do secret fields serialise to their real value.
_WIRE_CONTEXT_KEY = "airflow_spotify_fivetran.reveal_secrets"
_WIRE_TOKEN = object()


# --- field types -------------------------------------------------------------------------------------------


def _non_empty(value: str) -> str:
    if not value.strip():
        raise rule_error("must not be empty")
    if value != value.strip():
        raise rule_error(f"{value!r} has leading or trailing spaces; remove them")
    return value


def _secret_non_empty(value: SecretStr) -> SecretStr:
    if not value.get_secret_value().strip():
        raise rule_error("must not be empty")
    return value


def _suggest_name(value: str, *, lowercase: bool) -> str:
    fixed = re.sub(r"[^A-Za-z0-9_]+", "_", value.strip()).strip("_") or "name"
    if fixed[0].isdigit():
        fixed = f"_{fixed}"
    fixed = fixed[:NAME_MAX_LENGTH]
    return fixed.lower() if lowercase else fixed


def _table_name(value: str) -> str:
    if not _TABLE_NAME.match(value) or len(value) > NAME_MAX_LENGTH:
        raise rule_error(
            f"{value!r} is not a valid table name: use ASCII letters, digits and underscores, not starting "
            f"with a digit, at most {NAME_MAX_LENGTH} characters "
            f"(e.g. {_suggest_name(value, lowercase=False)!r})"
        )
    return value


def _schema_name(value: str) -> str:
    if not _SCHEMA_NAME.match(value) or len(value) > NAME_MAX_LENGTH:
        raise rule_error(
            f"{value!r} is not a valid schema name: use lowercase letters, digits and underscores, not "
            f"starting with a digit, at most {NAME_MAX_LENGTH} characters "
            f"(e.g. {_suggest_name(value, lowercase=True)!r})"
        )
    return value


def _http_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not host or value != value.strip():
        raise rule_error(f"{value!r} is not allowed: give an http:// or https:// URL with a host")
    return value


def _positive(value: int) -> int:
    if value <= 0:
        raise rule_error(f"{value!r} is not allowed: give a positive number of minutes")
    return value


def _not_empty_list(value: list[Any]) -> list[Any]:
    if not value:
        raise rule_error("must not be empty")
    return value


def _service(value: Any) -> str:
    if value != SERVICE or not isinstance(value, str):
        raise rule_error(f"{value!r} is not allowed: this model creates {SERVICE!r} connections only")
    return SERVICE


NonEmptyStr = Annotated[StrictStr, AfterValidator(_non_empty)]
SecretNonEmpty = Annotated[SecretStr, AfterValidator(_secret_non_empty)]
TableName = Annotated[StrictStr, AfterValidator(_table_name)]
SchemaName = Annotated[StrictStr, AfterValidator(_schema_name)]
HttpUrlStr = Annotated[StrictStr, AfterValidator(_http_url)]
PositiveMinutes = Annotated[StrictInt, AfterValidator(_positive)]
SyncModeIn = Annotated[SyncMode, BeforeValidator(strict_enum(SyncMode))]
TimeframeMonthsIn = Annotated[TimeframeMonths, BeforeValidator(strict_enum(TimeframeMonths))]
DimensionIn = Annotated[Dimension, BeforeValidator(strict_enum(Dimension))]
GranularityIn = Annotated[Granularity, BeforeValidator(strict_enum(Granularity))]
ReportFieldIn = Annotated[ReportField, BeforeValidator(strict_enum(ReportField))]
DataDelaySensitivityIn = Annotated[DataDelaySensitivity, BeforeValidator(strict_enum(DataDelaySensitivity))]
NetworkingMethodIn = Annotated[NetworkingMethod, BeforeValidator(strict_enum(NetworkingMethod))]


# --- helpers for checks across fields (they read the raw input, so they run even when a field failed) -------


def _given(data: Mapping[str, Any], key: str) -> bool:
    return data.get(key) is not None


def _parsed(parse: Any, value: Any) -> Any:
    """``parse(value)``, or ``None`` when it fails (that failure is reported by the field itself)."""
    try:
        return parse(value)
    except (ValueError, TypeError):
        return None


def _schedule_issues(data: Mapping[str, Any]) -> Iterator[Issue]:
    """``daily_sync_time`` needs ``sync_frequency`` 1440 in the same request; ``data_delay_threshold`` needs
    ``data_delay_sensitivity`` CUSTOM in the same request."""
    if _given(data, "daily_sync_time") and _parsed(normalise_daily_sync_time, data["daily_sync_time"]):
        raw = data.get("sync_frequency")
        frequency = _parsed(parse_sync_frequency, raw) if raw is not None else None
        if raw is None or (frequency is not None and frequency != DAILY_SYNC_FREQUENCY):
            now = "sync_frequency is not set" if raw is None else f"sync_frequency is {frequency}"
            yield Issue(
                ("daily_sync_time",),
                f"is only kept by Fivetran when sync_frequency is {DAILY_SYNC_FREQUENCY} in the same request "
                f"({now}): add sync_frequency: {DAILY_SYNC_FREQUENCY} or drop daily_sync_time",
                data["daily_sync_time"],
            )
    if _given(data, "data_delay_threshold"):
        raw = data.get("data_delay_sensitivity")
        sensitivity = known(DataDelaySensitivity, raw)
        if raw is None or (sensitivity is not None and sensitivity != DataDelaySensitivity.CUSTOM):
            now = "it is not set" if raw is None else f"it is {sensitivity}"
            yield Issue(
                ("data_delay_threshold",),
                "is only used with data_delay_sensitivity CUSTOM in the same request "
                f"({now}): add data_delay_sensitivity: CUSTOM or drop data_delay_threshold",
                data["data_delay_threshold"],
            )


def _duplicate_issues(
    values: Any,
    *,
    loc_of: Callable[[int], Loc],
    key: Callable[[Any], Any],
    message: Callable[[Any, int], str],
) -> Iterator[Issue]:
    """One issue per repeated item of the list ``values``, compared by ``key`` (``None`` keys skipped)."""
    if not isinstance(values, list):
        return
    first: dict[Any, int] = {}
    for index, item in enumerate(values):
        k = key(item)
        if k is None:
            continue
        if k in first:
            yield Issue(loc_of(index), message(item, first[k]), item)
        else:
            first[k] = index


def _accounts_issues(data: Mapping[str, Any], *, at_create: bool) -> Iterator[Issue]:
    raw_mode = data.get("sync_mode")
    mode = known(SyncMode, raw_mode)
    accounts = data.get("accounts")
    has_accounts = isinstance(accounts, list) and len(accounts) > 0
    if mode is SyncMode.SPECIFIC_ACCOUNTS and isinstance(accounts, list | None) and not has_accounts:
        if at_create or accounts is not None:
            yield Issue(
                ("accounts",),
                "is required and must list at least one ad account id when sync_mode is SPECIFIC_ACCOUNTS",
                accounts,
            )
    elif mode is SyncMode.ALL_ACCOUNTS and has_accounts:
        yield Issue(
            ("accounts",),
            "is pointless with sync_mode ALL_ACCOUNTS (Fivetran ignores it and syncs every account): remove "
            "accounts, or set sync_mode SPECIFIC_ACCOUNTS to sync only these",
            accounts,
        )
    elif raw_mode is None and at_create and has_accounts:
        yield Issue(
            ("accounts",),
            "is given without sync_mode: set sync_mode SPECIFIC_ACCOUNTS to sync only these accounts",
            accounts,
        )
    elif raw_mode is None and not at_create and isinstance(accounts, list) and not accounts:
        yield Issue(
            ("accounts",),
            "must not be empty (an empty list only makes sense with sync_mode ALL_ACCOUNTS in this PATCH)",
            accounts,
        )
    yield from _duplicate_issues(
        accounts,
        loc_of=lambda i: ("accounts", i),
        key=lambda a: a if isinstance(a, str) else None,
        message=lambda a, first: f"{a!r} is listed twice (also accounts[{first}])",
    )


def _table_issues(data: Mapping[str, Any]) -> Iterator[Issue]:
    reports = data.get("report_list")
    if not isinstance(reports, list):
        return
    tables = [r.get("table") if isinstance(r, Mapping) else None for r in reports]
    yield from _duplicate_issues(
        tables,
        loc_of=lambda i: ("report_list", i, "table"),
        key=lambda t: t.lower() if isinstance(t, str) else None,
        message=lambda t, first: (
            f"{t!r} is already the table of report_list[{first}]: each report needs its own table "
            "(table names are compared case-insensitively)"
        ),
    )


# --- base ------------------------------------------------------------------------------------------


class RequestModel(BaseModel):
    """Base of the request models: strict, immutable, every problem collected, secrets revealed only by
    :meth:`to_wire`.

    Subclasses add checks across fields in ``_check_together`` (run on the raw input, even when some field
    failed, so one error lists everything) and may refuse keys with a reason via ``_refused_keys``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, hide_input_in_errors=True)

    _refused_keys: ClassVar[Mapping[str, str]] = {}
    _what: ClassVar[str] = "request"

    @classmethod
    def _check_together(cls, data: Mapping[str, Any]) -> Iterator[Issue]:
        return iter(())

    @model_validator(mode="wrap")
    @classmethod
    def _collect_every_problem(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        issues: list[Issue] = []
        if isinstance(data, Mapping) and cls._refused_keys:
            issues += [
                Issue((k,), cls._refused_keys[k], v) for k, v in data.items() if k in cls._refused_keys
            ]
            data = {k: v for k, v in data.items() if k not in cls._refused_keys}
        errors = []
        model: Self | None = None
        try:
            model = handler(data)
        except ValidationError as exc:
            errors = details_of(exc)
        if isinstance(data, Mapping):
            issues += list(cls._check_together(data))
        if errors or issues:
            raise issues_error(cls.__name__, [*errors, *issue_details(issues)])
        assert model is not None
        return model

    @classmethod
    def from_api_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build the model from a dict shaped like Fivetran's JSON.

        Raises:
            FivetranInputError: listing every problem (path, message, value; secrets shown as ``'******'``).
        """
        return validate_input(cls, data, what=cls._what)

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready body: Fivetran's field names (``schema``), enums as strings, no ``None`` fields,
        secrets revealed. The only way to get the secrets out of a model."""
        return self.model_dump(
            mode="json", by_alias=True, exclude_none=True, context={_WIRE_CONTEXT_KEY: _WIRE_TOKEN}
        )


def _reveal_on_wire(value: SecretStr, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
    context = info.context
    if isinstance(context, dict) and context.get(_WIRE_CONTEXT_KEY) is _WIRE_TOKEN:
        return value.get_secret_value()
    return handler(value)


# --- nested objects --------------------------------------------------------------------------------


class ConnectCardConfig(RequestModel):
    """``connect_card_config``: where the Connect Card sends the user back (``redirect_uri``, required, an
    http(s) URL with a host), and whether it hides the setup guide or shows all fields."""

    _what = "connect card config"

    redirect_uri: HttpUrlStr
    hide_setup_guide: StrictBool | None = None
    all_fields: StrictBool | None = None


class DestinationConfiguration(RequestModel):
    """``destination_configuration``: ``virtual_warehouse`` (non-empty), for destinations that have one."""

    virtual_warehouse: NonEmptyStr | None = None


class ClientAccess(RequestModel):
    """``auth.client_access``: ``client_id`` and ``client_secret`` (secret) of the Ad Studio application,
    both required and non-empty."""

    client_id: NonEmptyStr
    client_secret: SecretNonEmpty

    _reveal_secret = field_serializer("client_secret", mode="wrap")(_reveal_on_wire)


class SpotifyAdsAuth(RequestModel):
    """``auth``: ``refresh_token`` (secret) and ``client_access``, all required and non-empty. Leave ``auth``
    out to let a person authorise through the Connect Card."""

    refresh_token: SecretNonEmpty
    client_access: ClientAccess

    _reveal_secret = field_serializer("refresh_token", mode="wrap")(_reveal_on_wire)


class SpotifyAdsReport(RequestModel):
    """One ``config.report_list[]`` entry: a report synced into its own table.

    Rules: ``table``, ``dimension``, ``granularity`` and ``fields`` are all required (a report is meaningless
    without any of them); ``table`` a valid table name (see the module docstring); ``fields`` non-empty, each
    a :class:`ReportField`, none twice.
    """

    table: TableName
    dimension: DimensionIn
    granularity: GranularityIn
    fields: Annotated[list[ReportFieldIn], AfterValidator(_not_empty_list)]

    @classmethod
    def _check_together(cls, data: Mapping[str, Any]) -> Iterator[Issue]:
        yield from _duplicate_issues(
            data.get("fields"),
            loc_of=lambda i: ("fields", i),
            key=lambda f: str(f) if isinstance(f, str) else None,
            message=lambda f, first: f"{str(f)!r} is listed twice in this report (also fields[{first}])",
        )


class SpotifyAdsConfig(RequestModel):
    """``config`` of a new ``spotify_ads`` connection.

    Rules:
        * ``schema`` required: lowercase letters, digits, underscores, not starting with a digit, <= 63
          characters; unique in the group and permanent.
        * ``sync_mode`` ``SPECIFIC_ACCOUNTS`` needs a non-empty ``accounts``. With ``ALL_ACCOUNTS`` a
          non-empty ``accounts`` is REFUSED (Fivetran would ignore it; refusing surfaces the mistake).
          ``accounts`` without ``sync_mode`` is refused too (say which mode you mean). Account ids are
          non-empty, none twice.
        * ``report_list``, when given, has at least one report; table names are unique, compared
          case-insensitively.
        * ``timeframe_months`` is fixed after create.
    """

    schema_: SchemaName = Field(alias="schema")
    sync_mode: SyncModeIn | None = None
    accounts: list[NonEmptyStr] | None = None
    report_list: Annotated[list[SpotifyAdsReport], AfterValidator(_not_empty_list)] | None = None
    timeframe_months: TimeframeMonthsIn | None = None

    @classmethod
    def _check_together(cls, data: Mapping[str, Any]) -> Iterator[Issue]:
        yield from _accounts_issues(data, at_create=True)
        yield from _table_issues(data)


class SpotifyAdsConfigUpdate(RequestModel):
    """The ``config`` of a PATCH: only ``sync_mode``, ``accounts`` and ``report_list`` may change.

    ``schema`` and ``timeframe_months`` are refused: they cannot change after create. Rules as in
    :class:`SpotifyAdsConfig`, except that ``SPECIFIC_ACCOUNTS`` without ``accounts`` is allowed (the
    connection keeps its list) and ``accounts`` without ``sync_mode`` is allowed (the connection keeps its
    mode; an empty list then is refused).
    """

    _refused_keys = {
        "schema": "cannot change after create: the schema is fixed when the connection is created; create a "
        "new connection to sync into another schema",
        "schema_": "cannot change after create: the schema is fixed when the connection is created",
        "timeframe_months": "cannot change after create: the historical sync window is fixed when the "
        "connection is created; create a new connection for another window",
    }

    sync_mode: SyncModeIn | None = None
    accounts: list[NonEmptyStr] | None = None
    report_list: Annotated[list[SpotifyAdsReport], AfterValidator(_not_empty_list)] | None = None

    @classmethod
    def _check_together(cls, data: Mapping[str, Any]) -> Iterator[Issue]:
        yield from _accounts_issues(data, at_create=False)
        yield from _table_issues(data)


# --- the bodies ------------------------------------------------------------------------------------


class NewSpotifyAdsConnection(RequestModel):
    """The body of ``POST /v1/connections`` for a ``spotify_ads`` connection.

    Rules (beyond types, enums and unknown fields):
        * ``group_id`` non-empty; ``service`` ``"spotify_ads"`` (the default, filled in when absent).
        * ``sync_frequency`` one of 1, 5, 15, 30, 60, 120, 180, 360, 480, 720, 1440 (int or numeric
          string, sent as int); ``daily_sync_time`` a whole UTC hour (str or ``datetime.time``, sent
          ``"HH:00"``), only with ``sync_frequency`` 1440 in this request.
        * ``data_delay_threshold`` a positive number of minutes, only with ``data_delay_sensitivity`` CUSTOM.
        * ``connect_card_config.redirect_uri`` an http(s) URL with a host; ids non-empty.
        * ``config`` and ``auth``: see :class:`SpotifyAdsConfig` and :class:`SpotifyAdsAuth`.

    ``trust_certificates``, ``trust_fingerprints`` and ``run_setup_tests`` steer the setup tests only
    (Fivetran does not store them). ``None`` means "not sent" (Fivetran's default applies).
    """

    _what = "spotify_ads connection request"

    group_id: NonEmptyStr
    service: Annotated[Literal["spotify_ads"], BeforeValidator(_service)] = SERVICE
    trust_certificates: StrictBool | None = None
    trust_fingerprints: StrictBool | None = None
    run_setup_tests: StrictBool | None = None
    paused: StrictBool | None = None
    pause_after_trial: StrictBool | None = None
    sync_frequency: SyncFrequency | None = None
    data_delay_sensitivity: DataDelaySensitivityIn | None = None
    data_delay_threshold: PositiveMinutes | None = None
    daily_sync_time: DailySyncTime | None = None
    schedule_type: ScheduleTypeIn | None = None
    connect_card_config: ConnectCardConfig | None = None
    proxy_agent_id: NonEmptyStr | None = None
    private_link_id: NonEmptyStr | None = None
    networking_method: NetworkingMethodIn | None = None
    hybrid_deployment_agent_id: NonEmptyStr | None = None
    destination_configuration: DestinationConfiguration | None = None
    config: SpotifyAdsConfig
    auth: SpotifyAdsAuth | None = None

    @classmethod
    def _check_together(cls, data: Mapping[str, Any]) -> Iterator[Issue]:
        yield from _schedule_issues(data)


_STEERING_FIELDS = ("run_setup_tests", "trust_certificates", "trust_fingerprints")


class ConnectionUpdate(RequestModel):
    """The body of ``PATCH /v1/connections/{id}`` for a ``spotify_ads`` connection.

    Rules (beyond types, enums and unknown fields):
        * at least one persistent field (anything but ``run_setup_tests``, ``trust_certificates``,
          ``trust_fingerprints``), as Fivetran requires; to only rerun setup tests, call the test endpoint;
        * ``trust_certificates``/``trust_fingerprints`` true need ``run_setup_tests`` true in the same PATCH;
        * ``daily_sync_time`` only with ``sync_frequency`` 1440 in the same PATCH (this model cannot know the
          current frequency; :func:`schedule_changes` always sends both);
        * ``data_delay_threshold`` only with ``data_delay_sensitivity`` CUSTOM in the same PATCH;
        * ``config``: see :class:`SpotifyAdsConfigUpdate` (``schema`` and ``timeframe_months`` are refused).

    ``None`` means "not sent" (leave as it is); this model cannot clear a field.
    """

    _what = "connection update"

    paused: StrictBool | None = None
    pause_after_trial: StrictBool | None = None
    sync_frequency: SyncFrequency | None = None
    daily_sync_time: DailySyncTime | None = None
    schedule_type: ScheduleTypeIn | None = None
    data_delay_sensitivity: DataDelaySensitivityIn | None = None
    data_delay_threshold: PositiveMinutes | None = None
    run_setup_tests: StrictBool | None = None
    trust_certificates: StrictBool | None = None
    trust_fingerprints: StrictBool | None = None
    networking_method: NetworkingMethodIn | None = None
    proxy_agent_id: NonEmptyStr | None = None
    private_link_id: NonEmptyStr | None = None
    hybrid_deployment_agent_id: NonEmptyStr | None = None
    destination_configuration: DestinationConfiguration | None = None
    config: SpotifyAdsConfigUpdate | None = None
    auth: SpotifyAdsAuth | None = None

    @classmethod
    def _check_together(cls, data: Mapping[str, Any]) -> Iterator[Issue]:
        yield from _schedule_issues(data)
        for name in ("trust_certificates", "trust_fingerprints"):
            if data.get(name) is True and data.get("run_setup_tests") is not True:
                yield Issue(
                    (name,),
                    "only steers a setup-test run: in a PATCH it needs run_setup_tests: true",
                    data[name],
                )
        persistent = [
            k
            for k, v in data.items()
            if k not in _STEERING_FIELDS and v is not None and not (isinstance(v, Mapping) and not v)
        ]
        if not persistent:
            yield Issue(
                (),
                "a PATCH must change at least one persistent field (e.g. paused, sync_frequency, config, "
                "auth); "
                "run_setup_tests, trust_certificates and trust_fingerprints alone are refused by Fivetran: "
                "use POST /v1/connections/{id}/test to only run setup tests",
                None,
            )
