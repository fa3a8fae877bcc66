"""What we send: the create body of a ``spotify_ads`` connection and the PATCH body.

Rules follow Fivetran (``docs/validation-rules.md`` lists each with its basis): a request model refuses,
before any HTTP call, only what the spec or evidence refuses, or what is surely a mistake (its message says
why):

* values of the wrong type (booleans must be booleans, ids strings) and values outside an enum (the message
  lists the allowed values and a likely intended one);
* the rules written on each class below.

What Fivetran accepts but ignores (``accounts`` under ``ALL_ACCOUNTS``, a threshold without ``CUSTOM``, a
daily time without daily syncs, a field it does not know) is accepted, sent as given, and logged as a
warning on the ``airflow_spotify_fivetran.models`` logger (paths and reasons only, never a value). Unknown
keys are not refused (the official request schemas are open) but dropped with a warning: Fivetran drops them
too (Terraform provider issues 296 and 574), and one may be a misspelt secret, which must not travel on.

``from_api_dict(d)`` builds a model from the dict a user writes (Fivetran's JSON shape) and raises
:class:`FivetranInputError` listing EVERY problem with its path (``config.report_list[1].fields[0]``);
``to_wire()`` returns the JSON-ready body, the only output that reveals secrets. Models are immutable.
"""

from __future__ import annotations

import logging
import re
import typing
from collections.abc import Callable, Iterator, Mapping
from typing import Annotated, Any, ClassVar, Literal, Self
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
    field_validator,
    model_validator,
)

from airflow_spotify_fivetran.constants import SERVICE
from airflow_spotify_fivetran.models.enums import (
    DEFAULT_SYNC_FREQUENCY,
    DataDelaySensitivity,
    DestinationSchemaNames,
    Dimension,
    Granularity,
    NetworkingMethod,
    ReportField,
    SchemaStatus,
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
    path_of,
    rule_error,
    strict_enum,
    validate_input,
)
from airflow_spotify_fivetran.models.schedule import (
    DailySyncTime,
    ScheduleTypeIn,
    SyncFrequency,
    daily_sync_time_problem,
    normalise_daily_sync_time,
    parse_sync_frequency,
)

log = logging.getLogger(__name__)

NAME_MAX_LENGTH = 63
_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")

# to_wire() passes this context; only then do secret fields serialise to their real value.
_WIRE_CONTEXT_KEY = "airflow_spotify_fivetran.reveal_secrets"
_WIRE_TOKEN = object()


# --- field types -------------------------------------------------------------------------------------------


def _non_empty(value: str) -> str:
    # Ours: an empty id, name or secret, or one wrapped in spaces, is surely a mistake (Fivetran ids and
    # names never hold them).
    if not value.strip():
        raise rule_error("must not be empty")
    if value != value.strip():
        raise rule_error(f"{value!r} has leading or trailing spaces; remove them")
    return value


def _secret_non_empty(value: SecretStr) -> SecretStr:
    if not value.get_secret_value().strip():
        raise rule_error("must not be empty")
    return value


def _http_url(value: str) -> str:
    # Spec (ConnectCardConfig.redirect_uri): "The URI must start with the https or http prefix".
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not host or value != value.strip():
        raise rule_error(f"{value!r} is not allowed: give an http:// or https:// URL with a host")
    return value


def _not_negative(value: int) -> int:
    # Ours: a negative number of minutes is surely a mistake (the spec's default is 0).
    if value < 0:
        raise rule_error(f"{value!r} is not allowed: give a number of minutes, 0 or more")
    return value


def _service(value: Any) -> str:
    if value != SERVICE or not isinstance(value, str):
        raise rule_error(f"{value!r} is not allowed: this model creates {SERVICE!r} connections only")
    return SERVICE


NonEmptyStr = Annotated[StrictStr, AfterValidator(_non_empty)]
SecretNonEmpty = Annotated[SecretStr, AfterValidator(_secret_non_empty)]
HttpUrlStr = Annotated[StrictStr, AfterValidator(_http_url)]
Minutes = Annotated[StrictInt, AfterValidator(_not_negative)]
SyncModeIn = Annotated[SyncMode, BeforeValidator(strict_enum(SyncMode))]
TimeframeMonthsIn = Annotated[TimeframeMonths, BeforeValidator(strict_enum(TimeframeMonths))]
DimensionIn = Annotated[Dimension, BeforeValidator(strict_enum(Dimension))]
GranularityIn = Annotated[Granularity, BeforeValidator(strict_enum(Granularity))]
ReportFieldIn = Annotated[ReportField, BeforeValidator(strict_enum(ReportField))]
DataDelaySensitivityIn = Annotated[DataDelaySensitivity, BeforeValidator(strict_enum(DataDelaySensitivity))]
NetworkingMethodIn = Annotated[NetworkingMethod, BeforeValidator(strict_enum(NetworkingMethod))]
DestinationSchemaNamesIn = Annotated[
    DestinationSchemaNames, BeforeValidator(strict_enum(DestinationSchemaNames))
]
SchemaStatusIn = Annotated[SchemaStatus, BeforeValidator(strict_enum(SchemaStatus))]


# --- helpers for checks across fields (they read the raw input, so they run even when a field failed) -------


def _parsed(parse: Any, value: Any) -> Any:
    """``parse(value)``, or ``None`` when it fails (that failure is reported by the field itself)."""
    try:
        return parse(value)
    except (ValueError, TypeError):
        return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _schedule_advice(data: Mapping[str, Any], *, at_create: bool) -> Iterator[Issue]:
    """A daily time Fivetran drops, a threshold it does not use: accepted, worth a warning.

    At create the connection's frequency is the request's or Fivetran's default (360), and its sensitivity the
    request's or NORMAL; in a PATCH a missing one is the connection's, which this model does not know.
    """
    raw = data.get("sync_frequency", DEFAULT_SYNC_FREQUENCY if at_create else None)
    frequency = _parsed(parse_sync_frequency, raw) if raw is not None else None
    daily = data.get("daily_sync_time")
    if daily is not None and frequency is not None and _parsed(normalise_daily_sync_time, daily):
        problem = daily_sync_time_problem(daily, frequency)
        if problem is not None:
            yield Issue(("daily_sync_time",), problem + " (Fivetran accepts the request and drops the time)")
    threshold = data.get("data_delay_threshold")
    sensitivity = data.get("data_delay_sensitivity", DataDelaySensitivity.NORMAL if at_create else None)
    if (
        threshold
        and sensitivity is not None
        and known(DataDelaySensitivity, sensitivity)
        not in (
            None,
            DataDelaySensitivity.CUSTOM,
        )
    ):
        yield Issue(
            ("data_delay_threshold",),
            f"is only used with data_delay_sensitivity CUSTOM, and it is {sensitivity}: Fivetran ignores it",
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


def _accounts_issues(data: Mapping[str, Any]) -> Iterator[Issue]:
    """Refused: ``SPECIFIC_ACCOUNTS`` with an empty ``accounts`` list (spec: "Must be populated if sync_mode is
    set to SPECIFIC_ACCOUNTS"); at create, also without ``accounts`` (see ``SpotifyAdsConfig``)."""
    accounts = data.get("accounts")
    if known(SyncMode, data.get("sync_mode")) is SyncMode.SPECIFIC_ACCOUNTS and accounts == []:
        yield Issue(
            ("accounts",),
            "is required and must list at least one ad account id when sync_mode is SPECIFIC_ACCOUNTS",
            accounts,
        )


def _accounts_advice(config: Mapping[str, Any], *, at_create: bool) -> Iterator[Issue]:
    raw_mode = config.get("sync_mode")
    mode = known(SyncMode, raw_mode)
    accounts = config.get("accounts")
    if mode is SyncMode.ALL_ACCOUNTS and isinstance(accounts, list) and accounts:
        # Evidence (contract README): accepted by Fivetran, ignored under ALL_ACCOUNTS.
        yield Issue(
            ("config", "accounts"),
            "is ignored by Fivetran with sync_mode ALL_ACCOUNTS (every account is synced): remove accounts, or "
            "set sync_mode SPECIFIC_ACCOUNTS to sync only these",
        )
    elif raw_mode is None and at_create and isinstance(accounts, list) and accounts:
        yield Issue(
            ("config", "accounts"),
            "is given without sync_mode: set sync_mode SPECIFIC_ACCOUNTS to sync only these accounts",
        )
    elif raw_mode is None and not at_create and accounts == []:
        yield Issue(
            ("config", "accounts"),
            "is empty: a connection with sync_mode SPECIFIC_ACCOUNTS needs at least one account",
        )
    yield from (
        issue._replace(loc=("config", *issue.loc), value=None)
        for issue in _duplicate_issues(
            accounts,
            loc_of=lambda i: ("accounts", i),
            key=lambda a: a if isinstance(a, str) else None,
            message=lambda a, first: f"repeats accounts[{first}]",
        )
    )


def _report_advice(config: Mapping[str, Any]) -> Iterator[Issue]:
    reports = config.get("report_list")
    if not isinstance(reports, list):
        return
    if not reports:
        yield Issue(("config", "report_list"), "is empty: no report is configured")
    for index, report in enumerate(reports):
        if not isinstance(report, Mapping):
            continue
        at: Loc = ("config", "report_list", index)
        missing = [key for key in ("table", "dimension", "granularity", "fields") if report.get(key) is None]
        if missing:
            yield Issue(at, f"has no {', '.join(missing)}: Fivetran's behaviour then is undocumented")
        if report.get("fields") == []:
            yield Issue((*at, "fields"), "is empty: this report holds no metric")
        yield from (
            issue._replace(loc=(*at, *issue.loc), value=None)
            for issue in _duplicate_issues(
                report.get("fields"),
                loc_of=lambda i: ("fields", i),
                key=lambda f: str(f) if isinstance(f, str) else None,
                message=lambda f, first: f"repeats fields[{first}]",
            )
        )
        table = report.get("table")
        if (
            isinstance(table, str)
            and table.strip()
            and (not _TABLE_NAME.match(table) or len(table) > NAME_MAX_LENGTH)
        ):
            yield Issue(
                (*at, "table"),
                "is not a plain identifier (ASCII letters, digits, underscores, not starting with a digit, at "
                f"most {NAME_MAX_LENGTH} characters): the destination may store it under another name",
            )


def _schema_advice(config: Mapping[str, Any]) -> Iterator[Issue]:
    schema = config.get("schema")
    if (
        isinstance(schema, str)
        and schema.strip()
        and (not _SCHEMA_NAME.match(schema) or len(schema) > NAME_MAX_LENGTH)
    ):
        yield Issue(
            ("config", "schema"),
            "is not a plain lowercase identifier (lowercase letters, digits, underscores, not starting with a "
            f"digit, at most {NAME_MAX_LENGTH} characters): destinations may fold or shorten it, while a re-run "
            "finds the connection only by the exact schema name",
        )


def _table_issues(data: Mapping[str, Any]) -> Iterator[Issue]:
    """Ours, surely a mistake: two reports writing one table (compared case-insensitively, as destinations
    fold names)."""
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


def _model_of(annotation: Any) -> type[RequestModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, RequestModel):
        return annotation
    for arg in typing.get_args(annotation):
        if (found := _model_of(arg)) is not None:
            return found
    return None


def _unknown_keys(model: type[RequestModel], data: Any, at: Loc = ()) -> Iterator[Issue]:
    """Every key of ``data`` that ``model`` (and its nested models) has no field for; values never shown."""
    if not isinstance(data, Mapping):
        return
    fields = {key: f for name, f in model.model_fields.items() for key in (name, f.alias) if key}
    for key, value in data.items():
        if key not in fields:
            reason = (
                "is not a field Fivetran documents here: dropped (Fivetran drops fields it does not know)"
            )
            yield Issue((*at, key), reason)
            continue
        inner = _model_of(fields[key].annotation)
        if inner is None:
            continue
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from _unknown_keys(inner, item, (*at, key, index))
        else:
            yield from _unknown_keys(inner, value, (*at, key))


# --- base ------------------------------------------------------------------------------------------


class RequestModel(BaseModel):
    """Base of the request models: immutable, every problem collected, secrets revealed only by :meth:`to_wire`.

    Unknown keys are dropped (``extra="ignore"``) and warned about by the request bodies. Subclasses add
    refusals across fields in ``_check_together`` (run on the raw input, even when some field failed, so one
    error lists everything), may refuse keys with a reason via ``_refused_keys``, and the two request bodies
    list what is accepted but worth a warning in ``_advice`` (logged once the whole request is valid).
    """

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True, hide_input_in_errors=True)

    _refused_keys: ClassVar[Mapping[str, str]] = {}
    _what: ClassVar[str] = "request"

    @classmethod
    def _check_together(cls, data: Mapping[str, Any]) -> Iterator[Issue]:
        return iter(())

    @classmethod
    def _advice(cls, data: Mapping[str, Any]) -> Iterator[Issue]:
        return iter(())

    @model_validator(mode="wrap")
    @classmethod
    def _collect_every_problem(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        issues: list[Issue] = []
        raw = data
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
        if isinstance(raw, Mapping):
            for issue in cls._advice(raw):
                log.warning("%s: %s %s", cls._what, path_of(issue.loc) or "(request)", issue.message)
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


def _reveal_on_wire(
    value: SecretStr | None, handler: SerializerFunctionWrapHandler, info: SerializationInfo
) -> Any:
    context = info.context
    if value is not None and isinstance(context, dict) and context.get(_WIRE_CONTEXT_KEY) is _WIRE_TOKEN:
        return value.get_secret_value()
    return handler(value)


# --- nested objects --------------------------------------------------------------------------------


class ConnectCardConfig(RequestModel):
    """``connect_card_config``: where the Connect Card sends the user back (``redirect_uri``, required, an
    http(s) URL with a host: spec), and whether it hides the setup guide or shows all fields."""

    _what = "connect card config"

    redirect_uri: HttpUrlStr
    hide_setup_guide: StrictBool | None = None
    all_fields: StrictBool | None = None


class DestinationConfiguration(RequestModel):
    """``destination_configuration``: ``virtual_warehouse`` (non-empty), for destinations that have one."""

    virtual_warehouse: NonEmptyStr | None = None


class ClientAccess(RequestModel):
    """``auth.client_access``: ``client_id`` and ``client_secret`` (secret) of the Ad Studio application,
    non-empty when given."""

    client_id: NonEmptyStr | None = None
    client_secret: SecretNonEmpty | None = None

    _reveal_secret = field_serializer("client_secret", mode="wrap")(_reveal_on_wire)


class SpotifyAdsAuth(RequestModel):
    """``auth``: ``refresh_token`` (secret) and ``client_access``, non-empty when given. The spec requires
    none of them (a PATCH may renew only the token); a create without all three is warned about. Leave
    ``auth`` out to let a person authorise through the Connect Card."""

    refresh_token: SecretNonEmpty | None = None
    client_access: ClientAccess | None = None

    _reveal_secret = field_serializer("refresh_token", mode="wrap")(_reveal_on_wire)


class SpotifyAdsReport(RequestModel):
    """One ``config.report_list[]`` entry: a report synced into its own table.

    The spec requires no key of a report; what is given is checked: ``table`` non-empty, ``dimension``,
    ``granularity`` and each of ``fields`` from their enums. A missing key, an empty or repeated field, a
    table name that is not a plain identifier are accepted and warned about.
    """

    table: NonEmptyStr | None = None
    dimension: DimensionIn | None = None
    granularity: GranularityIn | None = None
    fields: list[ReportFieldIn] | None = None


class SpotifyAdsConfig(RequestModel):
    """``config`` of a new ``spotify_ads`` connection.

    Refused:
        * no ``schema``, or an empty one (spec: required);
        * ``sync_mode`` ``SPECIFIC_ACCOUNTS`` without accounts (spec: ``accounts`` "must be populated");
        * two reports into the same table, compared case-insensitively (ours: surely a mistake).

    Accepted and warned about: ``accounts`` under ``ALL_ACCOUNTS`` or without ``sync_mode``, repeated
    accounts or fields, an empty ``report_list`` or ``fields``, names that are not plain identifiers.
    ``timeframe_months`` is fixed after create.
    """

    schema_: NonEmptyStr = Field(alias="schema")
    sync_mode: SyncModeIn | None = None
    accounts: list[NonEmptyStr] | None = None
    report_list: list[SpotifyAdsReport] | None = None
    timeframe_months: TimeframeMonthsIn | None = None

    @classmethod
    def _check_together(cls, data: Mapping[str, Any]) -> Iterator[Issue]:
        if (
            known(SyncMode, data.get("sync_mode")) is SyncMode.SPECIFIC_ACCOUNTS
            and data.get("accounts") is None
        ):
            yield Issue(
                ("accounts",),
                "is required and must list at least one ad account id when sync_mode is SPECIFIC_ACCOUNTS",
            )
        yield from _accounts_issues(data)
        yield from _table_issues(data)


class SpotifyAdsConfigUpdate(RequestModel):
    """The ``config`` of a PATCH: ``sync_mode``, ``accounts`` and ``report_list`` may change.

    ``schema`` and ``timeframe_months`` are refused: they cannot change after create (spec; whether Fivetran
    refuses or ignores them is unconfirmed, the contract README says treat as refused). Rules as in
    :class:`SpotifyAdsConfig`, except that ``SPECIFIC_ACCOUNTS`` without ``accounts`` is allowed (the
    connection keeps its list) and so is ``accounts`` without ``sync_mode`` (the connection keeps its mode).
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
    report_list: list[SpotifyAdsReport] | None = None

    @classmethod
    def _check_together(cls, data: Mapping[str, Any]) -> Iterator[Issue]:
        yield from _accounts_issues(data)
        yield from _table_issues(data)


def _config_advice(data: Mapping[str, Any], *, at_create: bool) -> Iterator[Issue]:
    config = _mapping(data.get("config"))
    if at_create:
        yield from _schema_advice(config)
    yield from _accounts_advice(config, at_create=at_create)
    yield from _report_advice(config)


# --- the bodies ------------------------------------------------------------------------------------


class NewSpotifyAdsConnection(RequestModel):
    """The body of ``POST /v1/connections`` for a ``spotify_ads`` connection.

    Refused (beyond types and enums):
        * ``group_id`` missing or empty; ``service`` other than ``"spotify_ads"`` (filled in when absent);
        * ``sync_frequency`` not one of 1, 5, 15, 30, 60, 120, 180, 360, 480, 720, 1440 (int or numeric
          string, sent as int); ``daily_sync_time`` not a whole UTC hour (str or ``datetime.time``, sent
          ``"HH:00"``); a negative ``data_delay_threshold``;
        * ``connect_card_config.redirect_uri`` not an http(s) URL with a host; empty ids;
        * ``config`` and ``auth``: see :class:`SpotifyAdsConfig` and :class:`SpotifyAdsAuth`.

    Accepted and warned about: a ``daily_sync_time`` without ``sync_frequency`` 1440, a non-zero
    ``data_delay_threshold`` without ``CUSTOM`` (both ignored by Fivetran), ``auth`` without all of
    ``refresh_token``, ``client_id`` and ``client_secret``, unknown keys (dropped).

    ``run_setup_tests`` is always sent, ``True`` unless set ``False``: Fivetran's maintainers say tests run
    on create only when it is sent (contract README, Terraform provider issue 339), whatever the spec's
    documented default. ``trust_certificates`` and ``trust_fingerprints`` steer the tests only (never
    stored). Other ``None`` fields are not sent (Fivetran's default applies).
    """

    _what = "spotify_ads connection request"

    group_id: NonEmptyStr
    service: Annotated[Literal["spotify_ads"], BeforeValidator(_service)] = SERVICE
    trust_certificates: StrictBool | None = None
    trust_fingerprints: StrictBool | None = None
    run_setup_tests: StrictBool = True
    paused: StrictBool | None = None
    pause_after_trial: StrictBool | None = None
    sync_frequency: SyncFrequency | None = None
    data_delay_sensitivity: DataDelaySensitivityIn | None = None
    data_delay_threshold: Minutes | None = None
    daily_sync_time: DailySyncTime | None = None
    schedule_type: ScheduleTypeIn | None = None
    connect_card_config: ConnectCardConfig | None = None
    proxy_agent_id: NonEmptyStr | None = None
    private_link_id: NonEmptyStr | None = None
    networking_method: NetworkingMethodIn | None = None
    hybrid_deployment_agent_id: NonEmptyStr | None = None
    destination_configuration: DestinationConfiguration | None = None
    destination_schema_names: DestinationSchemaNamesIn | None = None
    external_secrets_manager_id: NonEmptyStr | None = None
    config: SpotifyAdsConfig
    auth: SpotifyAdsAuth | None = None

    @field_validator("run_setup_tests", mode="before")
    @classmethod
    def _none_means_default(cls, value: Any) -> Any:
        return True if value is None else value

    @classmethod
    def _advice(cls, data: Mapping[str, Any]) -> Iterator[Issue]:
        yield from _unknown_keys(cls, data)
        yield from _schedule_advice(data, at_create=True)
        yield from _config_advice(data, at_create=True)
        auth = data.get("auth")
        if isinstance(auth, Mapping):
            access = _mapping(auth.get("client_access"))
            if not (auth.get("refresh_token") and access.get("client_id") and access.get("client_secret")):
                yield Issue(
                    ("auth",),
                    "lacks some of refresh_token, client_access.client_id, client_access.client_secret: the "
                    "setup tests cannot authorise without all three (or leave auth out and use the Connect "
                    "Card)",
                )


_STEERING_FIELDS = ("run_setup_tests", "trust_certificates", "trust_fingerprints")


class ConnectionUpdate(RequestModel):
    """The body of ``PATCH /v1/connections/{id}`` for a ``spotify_ads`` connection.

    Refused (beyond types and enums), as the spec says:
        * no persistent field (anything but ``run_setup_tests``, ``trust_certificates``,
          ``trust_fingerprints``); to only rerun setup tests, call the test endpoint;
        * ``trust_certificates``/``trust_fingerprints`` without ``run_setup_tests: true``;
        * ``config``: see :class:`SpotifyAdsConfigUpdate` (``schema`` and ``timeframe_months`` are refused).

    Rules that depend on the connection's current state are not here: ``{"daily_sync_time": "03:00"}`` alone
    is valid for a connection at 1440, ``{"data_delay_threshold": 30}`` alone for a CUSTOM one. A daily time
    beside a non-1440 ``sync_frequency``, or a threshold beside a non-CUSTOM sensitivity, in the same PATCH is
    accepted and warned about (Fivetran ignores them). The schedule operator, which knows the connection,
    decides with :func:`~airflow_spotify_fivetran.models.schedule.daily_sync_time_problem`.

    ``None`` means "not sent" (leave as it is); this model cannot clear a field.
    """

    _what = "connection update"

    paused: StrictBool | None = None
    pause_after_trial: StrictBool | None = None
    sync_frequency: SyncFrequency | None = None
    daily_sync_time: DailySyncTime | None = None
    schedule_type: ScheduleTypeIn | None = None
    data_delay_sensitivity: DataDelaySensitivityIn | None = None
    data_delay_threshold: Minutes | None = None
    run_setup_tests: StrictBool | None = None
    trust_certificates: StrictBool | None = None
    trust_fingerprints: StrictBool | None = None
    is_historical_sync: StrictBool | None = None
    schema_status: SchemaStatusIn | None = None
    networking_method: NetworkingMethodIn | None = None
    proxy_agent_id: NonEmptyStr | None = None
    private_link_id: NonEmptyStr | None = None
    hybrid_deployment_agent_id: NonEmptyStr | None = None
    destination_configuration: DestinationConfiguration | None = None
    external_secrets_manager_id: NonEmptyStr | None = None
    external_secrets_keys_config: Any = None
    config: SpotifyAdsConfigUpdate | None = None
    auth: SpotifyAdsAuth | None = None

    @classmethod
    def _check_together(cls, data: Mapping[str, Any]) -> Iterator[Issue]:
        for name in ("trust_certificates", "trust_fingerprints"):
            if data.get(name) is not None and data.get("run_setup_tests") is not True:
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

    @classmethod
    def _advice(cls, data: Mapping[str, Any]) -> Iterator[Issue]:
        yield from _unknown_keys(cls, data)
        yield from _schedule_advice(data, at_create=False)
        yield from _config_advice(data, at_create=False)
