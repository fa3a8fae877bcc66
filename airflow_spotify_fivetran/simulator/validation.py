"""Request validation, written from the contract (README + OpenAPI), independent of the client's models.

Every rule raises :class:`InvalidInput` with the dotted name of the offending field in its message, which the
app answers as ``400 {"code": "InvalidInput", "message": ...}``. The functions return normalised values
(``sync_frequency`` as an int, configs with their defaults) so the store never sees raw input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from airflow_spotify_fivetran.simulator.defaults import SERVICE

SYNC_FREQUENCIES = (1, 5, 15, 30, 60, 120, 180, 360, 480, 720, 1440)
DAILY_FREQUENCY = 1440
SCHEDULE_TYPES = ("auto", "manual")
DATA_DELAY_SENSITIVITIES = ("LOW", "NORMAL", "HIGH", "CUSTOM", "SYNC_FREQUENCY")
NETWORKING_METHODS = ("Directly", "PrivateLink", "SshTunnel", "ProxyAgent")
DESTINATION_SCHEMA_NAMES = ("FIVETRAN_NAMING", "SOURCE_NAMING")
SCHEMA_STATUSES = ("blocked_on_capture", "ready")
SYNC_MODES = ("ALL_ACCOUNTS", "SPECIFIC_ACCOUNTS")
TIMEFRAMES = ("THREE", "SIX", "TWELVE", "TWENTY_FOUR", "ALL_TIME")
DIMENSIONS = ("AD_ACCOUNT", "AD", "AD_SET", "CAMPAIGN")
GRANULARITIES = ("HOUR", "DAY")
REPORT_FIELDS = (
    "CLICKS", "COMPLETES", "CONVERSION_RATE", "CTR", "E_CPCL", "E_CPM", "FIRST_QUARTILES", "FREQUENCY",
    "IMPRESSIONS", "INTENT_RATE", "LISTENERS", "MIDPOINTS", "NEW_LISTENERS", "NEW_LISTENER_CONVERSION_RATE",
    "NEW_LISTENER_STREAMS", "OFF_SPOTIFY_IMPRESSIONS", "PAID_LISTENS", "PAID_LISTENS_FREQUENCY",
    "PAID_LISTENS_REACH", "REACH", "SKIPS", "SPEND", "STARTS", "STREAMED_IMPRESSIONS", "STREAMS",
    "STREAMS_PER_NEW_LISTENER", "STREAMS_PER_USER", "THIRD_QUARTILES", "VIDEO_EXPANDS", "VIDEO_EXPAND_RATE",
    "VIDEO_VIEWS",
)  # fmt: skip
DEFAULT_CONFIG = {"sync_mode": "ALL_ACCOUNTS", "timeframe_months": "SIX"}
CONFIG_FIELDS = frozenset({"schema", "sync_mode", "accounts", "timeframe_months", "report_list"})
REPORT_KEYS = frozenset({"table", "dimension", "granularity", "fields"})
AUTH_FIELDS = frozenset({"refresh_token", "client_access"})
CLIENT_ACCESS_FIELDS = frozenset({"client_id", "client_secret"})
CONNECT_CARD_FIELDS = frozenset({"redirect_uri", "hide_setup_guide", "all_fields"})

# Fields that only steer a setup-test run: never stored, never echoed.
TEST_CONTROL_FIELDS = frozenset({"run_setup_tests", "trust_certificates", "trust_fingerprints"})
# Plain scalar/object fields shared by create and PATCH (besides config, auth and the test controls).
COMMON_FIELDS = frozenset(
    {
        "paused",
        "pause_after_trial",
        "sync_frequency",
        "data_delay_sensitivity",
        "data_delay_threshold",
        "daily_sync_time",
        "schedule_type",
        "proxy_agent_id",
        "private_link_id",
        "networking_method",
        "hybrid_deployment_agent_id",
        "destination_configuration",
        "external_secrets_manager_id",
    }
)
CREATE_FIELDS = (
    COMMON_FIELDS
    | TEST_CONTROL_FIELDS
    | {"group_id", "service", "config", "auth", "connect_card_config", "destination_schema_names"}
)
PATCH_FIELDS = COMMON_FIELDS | TEST_CONTROL_FIELDS | {"config", "auth", "schema_status", "is_historical_sync"}
PATCH_PERSISTENT_FIELDS = PATCH_FIELDS - TEST_CONTROL_FIELDS
# Accepted in the spec's request schemas but not simulated: refused so that a client notices.
NOT_SIMULATED = frozenset({"external_secrets_keys_config"})

_DIGITS = re.compile(r"^[0-9]{1,9}$")
_DAILY_TIME = re.compile(r"^(?:[01]\d|2[0-3]):00$")
_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MAX_NAME = 128


class InvalidInput(Exception):
    """A request breaks a rule; ``field`` is the dotted path of the offending value."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _fail(field: str, reason: str) -> InvalidInput:
    return InvalidInput(field, f"Invalid value for '{field}': {reason}")


def _missing(field: str) -> InvalidInput:
    return InvalidInput(field, f"Missing required field '{field}'")


def _unknown(field: str, allowed: frozenset[str]) -> InvalidInput:
    return InvalidInput(field, f"Unknown field '{field}'; allowed: {', '.join(sorted(allowed))}")


def _check_known(body: dict[str, Any], allowed: frozenset[str], prefix: str = "") -> None:
    for key in body:
        if key in NOT_SIMULATED:
            raise InvalidInput(prefix + key, f"Field '{prefix}{key}' is not supported by the simulator")
        if key not in allowed:
            raise _unknown(prefix + key, allowed)


def _bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(field, f"must be a boolean (true or false), got {value!r}")
    return value


def _text(value: Any, field: str, *, nullable: bool = False) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(field, f"must be a non-empty string, got {value!r}")
    return value


def _enum(value: Any, field: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise _fail(field, f"must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(field, f"must be an object, got {type(value).__name__}")
    return value


def sync_frequency(value: Any, field: str = "sync_frequency") -> int:
    """An allowed frequency in minutes; a numeric string such as ``"360"`` is accepted (clients send it)."""
    if isinstance(value, str) and _DIGITS.match(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value not in SYNC_FREQUENCIES:
        allowed = ", ".join(str(f) for f in SYNC_FREQUENCIES)
        raise _fail(field, f"must be one of {allowed} (minutes), got {value!r}")
    return value


def daily_sync_time(value: Any, field: str = "daily_sync_time") -> str:
    if not isinstance(value, str) or not _DAILY_TIME.match(value):
        raise _fail(field, f'must be a whole hour "HH:00" from 00:00 to 23:00 (UTC), got {value!r}')
    return value


def http_url(value: Any, field: str) -> str:
    if not isinstance(value, str) or any(c.isspace() for c in value):
        raise _fail(field, f"must be an http(s) URL, got {value!r}")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _fail(field, f"must be an absolute URL starting with https:// or http://, got {value!r}")
    return value


def connect_card_config(value: Any, field: str = "connect_card_config") -> dict[str, Any]:
    card = _object(value, field)
    _check_known(card, CONNECT_CARD_FIELDS, field + ".")
    if "redirect_uri" not in card:
        raise _missing(field + ".redirect_uri")
    result: dict[str, Any] = {"redirect_uri": http_url(card["redirect_uri"], field + ".redirect_uri")}
    for key in ("hide_setup_guide", "all_fields"):
        if key in card:
            result[key] = _bool(card[key], f"{field}.{key}")
    return result


def destination_configuration(value: Any, field: str = "destination_configuration") -> dict[str, Any]:
    conf = _object(value, field)
    _check_known(conf, frozenset({"virtual_warehouse"}), field + ".")
    return {k: _text(v, f"{field}.{k}") for k, v in conf.items()}


def _accounts(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise _fail("config.accounts", "must be a list of ad account ids")
    for i, item in enumerate(value):
        _text(item, f"config.accounts[{i}]")
    if len(set(value)) != len(value):
        raise _fail("config.accounts", "ad account ids must not repeat")
    return list(value)


def _report_list(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise _fail("config.report_list", "must be a list of reports")
    reports: list[dict[str, Any]] = []
    tables: set[str] = set()
    for i, raw in enumerate(value):
        where = f"config.report_list[{i}]"
        report = _object(raw, where)
        _check_known(report, REPORT_KEYS, where + ".")
        for key in ("table", "dimension", "granularity", "fields"):
            if key not in report:
                raise _missing(f"{where}.{key}")
        table = str(_text(report["table"], where + ".table"))
        if table in tables:
            raise _fail(where + ".table", f"table {table!r} is already used by another report")
        tables.add(table)
        fields = report["fields"]
        if not isinstance(fields, list) or not fields:
            raise _fail(where + ".fields", "must be a non-empty list of metrics")
        for j, metric in enumerate(fields):
            _enum(metric, f"{where}.fields[{j}]", REPORT_FIELDS)
        if len(set(fields)) != len(fields):
            raise _fail(where + ".fields", "metrics must not repeat")
        reports.append(
            {
                "table": table,
                "dimension": _enum(report["dimension"], where + ".dimension", DIMENSIONS),
                "granularity": _enum(report["granularity"], where + ".granularity", GRANULARITIES),
                "fields": list(fields),
            }
        )
    return reports


def config(value: Any, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """Validate ``config``; with ``current`` it is a PATCH (merged, ``schema``/``timeframe_months`` refused)."""
    conf = _object(value, "config")
    _check_known(conf, CONFIG_FIELDS, "config.")
    creating = current is None
    if not creating:
        for permanent in ("schema", "timeframe_months"):
            if permanent in conf:
                raise InvalidInput(
                    f"config.{permanent}",
                    f"Field 'config.{permanent}' cannot be changed after the connection is created; "
                    "omit it from the PATCH body",
                )
    result: dict[str, Any] = {} if creating else dict(current or {})
    if creating:
        if "schema" not in conf:
            raise _missing("config.schema")
        schema = conf["schema"]
        if not isinstance(schema, str) or not _SCHEMA_NAME.match(schema) or len(schema) > _MAX_NAME:
            raise _fail(
                "config.schema",
                "must be a name of letters, digits and underscores, not starting with a digit, "
                f"at most {_MAX_NAME} characters, got {schema!r}",
            )
        result["schema"] = schema
        result.update(DEFAULT_CONFIG)
        if "timeframe_months" in conf:
            result["timeframe_months"] = _enum(
                conf["timeframe_months"], "config.timeframe_months", TIMEFRAMES
            )
    if "sync_mode" in conf:
        result["sync_mode"] = _enum(conf["sync_mode"], "config.sync_mode", SYNC_MODES)
    if "accounts" in conf:
        result["accounts"] = _accounts(conf["accounts"])
    if "report_list" in conf:
        result["report_list"] = _report_list(conf["report_list"])
    if result.get("sync_mode") == "SPECIFIC_ACCOUNTS" and not result.get("accounts"):
        raise InvalidInput(
            "config.accounts",
            "Field 'config.accounts' is required and must not be empty when config.sync_mode is SPECIFIC_ACCOUNTS",
        )
    return result


def auth(value: Any, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """Validate ``auth`` and merge it over ``current`` (a PATCH may rotate only the refresh token)."""
    obj = _object(value, "auth")
    _check_known(obj, AUTH_FIELDS, "auth.")
    result: dict[str, Any] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in (current or {}).items()}
    if "refresh_token" in obj:
        result["refresh_token"] = _text(obj["refresh_token"], "auth.refresh_token")
    if "client_access" in obj:
        access = _object(obj["client_access"], "auth.client_access")
        _check_known(access, CLIENT_ACCESS_FIELDS, "auth.client_access.")
        merged = dict(result.get("client_access") or {})
        for key, val in access.items():
            merged[key] = _text(val, f"auth.client_access.{key}")
        result["client_access"] = merged
    return result


@dataclass
class SettingsChange:
    """Validated, normalised fields of a create or PATCH body."""

    fields: dict[str, Any] = field(default_factory=dict)  # persistent top-level fields (minus config/auth)
    config: dict[str, Any] | None = None  # the full resulting config when config was sent
    auth: dict[str, Any] | None = None  # the full resulting auth when auth was sent
    run_setup_tests: bool | None = None
    daily_sync_time_sent: bool = False


def _common(body: dict[str, Any], change: SettingsChange) -> None:
    for key in ("paused", "pause_after_trial", "trust_certificates", "trust_fingerprints"):
        if key in body:
            value = _bool(body[key], key)
            if key not in TEST_CONTROL_FIELDS:
                change.fields[key] = value
    if "run_setup_tests" in body:
        change.run_setup_tests = _bool(body["run_setup_tests"], "run_setup_tests")
    if "sync_frequency" in body:
        change.fields["sync_frequency"] = sync_frequency(body["sync_frequency"])
    if "daily_sync_time" in body:
        change.daily_sync_time_sent = True
        value = body["daily_sync_time"]
        change.fields["daily_sync_time"] = None if value is None else daily_sync_time(value)
    if "schedule_type" in body:
        change.fields["schedule_type"] = _enum(body["schedule_type"], "schedule_type", SCHEDULE_TYPES)
    if "data_delay_sensitivity" in body:
        change.fields["data_delay_sensitivity"] = _enum(
            body["data_delay_sensitivity"], "data_delay_sensitivity", DATA_DELAY_SENSITIVITIES
        )
    if "data_delay_threshold" in body:
        value = body["data_delay_threshold"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _fail("data_delay_threshold", f"must be a whole number of minutes >= 0, got {value!r}")
        change.fields["data_delay_threshold"] = value
    if "networking_method" in body:
        change.fields["networking_method"] = _enum(
            body["networking_method"], "networking_method", NETWORKING_METHODS
        )
    for key in (
        "proxy_agent_id",
        "private_link_id",
        "hybrid_deployment_agent_id",
        "external_secrets_manager_id",
    ):
        if key in body:
            change.fields[key] = _text(body[key], key, nullable=True)
    if "destination_configuration" in body:
        change.fields["destination_configuration"] = destination_configuration(
            body["destination_configuration"]
        )


def _check_daily_time(change: SettingsChange, current_frequency: int | None) -> None:
    if change.fields.get("daily_sync_time") is None:
        return
    frequency = change.fields.get("sync_frequency", current_frequency)
    if frequency != DAILY_FREQUENCY:
        raise InvalidInput(
            "daily_sync_time",
            "Field 'daily_sync_time' is only allowed when sync_frequency is, or is set in the same request to, "
            f"1440 (daily); the sync frequency would be {frequency}",
        )


def create_body(body: dict[str, Any]) -> tuple[str, SettingsChange]:
    """Validate a create body; returns the group id and the change (``config`` always set)."""
    _check_known(body, CREATE_FIELDS)
    for key in ("group_id", "service", "config"):
        if key not in body:
            raise _missing(key)
    group_id = str(_text(body["group_id"], "group_id"))
    if body["service"] != SERVICE:
        raise _fail("service", f"the simulator serves only {SERVICE!r}, got {body['service']!r}")
    change = SettingsChange()
    _common(body, change)
    _check_daily_time(change, 360)
    change.config = config(body["config"])
    if body.get("auth") is not None:
        change.auth = auth(body["auth"])
    if "connect_card_config" in body:
        change.fields["connect_card_config"] = connect_card_config(body["connect_card_config"])
    if "destination_schema_names" in body:
        change.fields["destination_schema_names"] = _enum(
            body["destination_schema_names"], "destination_schema_names", DESTINATION_SCHEMA_NAMES
        )
    return group_id, change


def patch_body(
    body: dict[str, Any],
    current_config: dict[str, Any],
    current_auth: dict[str, Any] | None,
    current_frequency: int,
) -> SettingsChange:
    """Validate a PATCH body against the connection's current config, auth and frequency."""
    for key in ("group_id", "service", "connect_card_config", "destination_schema_names"):
        if key in body:
            raise InvalidInput(key, f"Field '{key}' cannot be changed with PATCH")
    _check_known(body, PATCH_FIELDS)
    if not any(key in PATCH_PERSISTENT_FIELDS for key in body):
        raise InvalidInput(
            "body",
            "The PATCH body needs at least one persistent field (e.g. sync_frequency, paused, config, auth, "
            "daily_sync_time); run_setup_tests, trust_certificates and trust_fingerprints cannot be sent alone. "
            "To only run the setup tests, use POST /v1/connections/{id}/test",
        )
    change = SettingsChange()
    _common(body, change)
    _check_daily_time(change, current_frequency)
    if "config" in body:
        change.config = config(body["config"], current_config)
    if "auth" in body:
        change.auth = auth(body["auth"], current_auth)
    if "schema_status" in body:
        change.fields["schema_status"] = _enum(body["schema_status"], "schema_status", SCHEMA_STATUSES)
    if "is_historical_sync" in body:
        change.fields["is_historical_sync"] = _bool(body["is_historical_sync"], "is_historical_sync")
    return change


def setup_test_body(body: dict[str, Any]) -> None:
    _check_known(body, frozenset({"trust_certificates", "trust_fingerprints"}))
    for key, value in body.items():
        _bool(value, key)


def sync_body(body: dict[str, Any] | None) -> bool:
    """Validate a sync body; returns ``force``."""
    if body is None:
        return False
    _check_known(body, frozenset({"force"}))
    return _bool(body["force"], "force") if "force" in body else False


def resync_body(body: dict[str, Any] | None) -> dict[str, list[str]] | None:
    """Validate a resync body; returns the scope (``None``: everything)."""
    if body is None:
        return None
    _check_known(body, frozenset({"scope"}))
    scope = body.get("scope")
    if scope is None:
        return None
    scope = _object(scope, "scope")
    if not scope:
        raise _fail("scope", "must name at least one schema (omit scope to re-sync everything)")
    result: dict[str, list[str]] = {}
    for schema, tables in scope.items():
        where = f"scope.{schema}"
        if not isinstance(tables, list) or not tables:
            raise _fail(where, "must be a non-empty list of table names")
        for i, table in enumerate(tables):
            _text(table, f"{where}[{i}]")
        if len(set(tables)) != len(tables):
            raise _fail(where, "table names must not repeat")
        result[schema] = list(tables)
    return result


def connect_card_body(body: dict[str, Any]) -> dict[str, Any]:
    _check_known(body, frozenset({"connect_card_config"}))
    if "connect_card_config" not in body:
        raise _missing("connect_card_config")
    return connect_card_config(body["connect_card_config"])


def page_limit(raw: str | None) -> int:
    """The ``limit`` query parameter: 1..1000, default 100."""
    if raw is None:
        return 100
    if not _DIGITS.match(raw.strip()) or not 1 <= int(raw) <= 1000:
        raise _fail("limit", f"must be a whole number from 1 to 1000, got {raw!r}")
    return int(raw)
