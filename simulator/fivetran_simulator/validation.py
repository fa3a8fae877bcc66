"""Request validation, written from the contract (README + OpenAPI), independent of the client's models.

The simulator refuses only what Fivetran's spec or the evidence gathered in the contract README refuses (see
each rule's comment; the README's last section, "Corrections and additions", overrides the rest). Request
objects are open: the official schemas carry no ``additionalProperties: false`` and the real API drops unknown
config fields (Terraform provider issues 296 and 574), so unknown keys are dropped at every level, never refused.

Every refusal raises :class:`InvalidInput` with the dotted name of the offending field in its message, which the
app answers as ``400 {"code": "InvalidInput", "message": ...}``. The functions return normalised values
(``sync_frequency`` as an int, configs with their defaults, unknown keys gone) so the store never sees raw input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from fivetran_simulator.defaults import SERVICE

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
# Config fields that are fixed once the connection exists (seed page: "cannot be changed after connection
# creation", "cannot be modified once the connector is created"; README: "treat as refused").
PERMANENT_CONFIG = ("schema", "timeframe_months")

# Fields that only steer a setup-test run: never stored, never echoed.
TEST_CONTROL_FIELDS = frozenset({"run_setup_tests", "trust_certificates", "trust_fingerprints"})
# String fields that the answers carry as nullable: a client may send null to clear them.
NULLABLE_IDS = (
    "proxy_agent_id",
    "private_link_id",
    "hybrid_deployment_agent_id",
    "external_secrets_manager_id",
)
# UpdateConnectorRequest minus the test controls: what counts as a "persistent configuration parameter".
PATCH_PERSISTENT_FIELDS = frozenset(
    {
        "config", "auth", "paused", "pause_after_trial", "sync_frequency", "data_delay_threshold",
        "data_delay_sensitivity", "daily_sync_time", "schema_status", "is_historical_sync",
        "schedule_type", "networking_method", "hybrid_deployment_agent_id", "proxy_agent_id", "private_link_id",
        "destination_configuration", "external_secrets_manager_id", "external_secrets_keys_config",
    }
)  # fmt: skip

_DIGITS = re.compile(r"^[0-9]{1,9}$")
_DAILY_TIME = re.compile(r"^(?:[01]\d|2[0-3]):00$")


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


def _bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(field, f"must be a boolean (true or false), got {value!r}")
    return value


def _string(value: Any, field: str, *, nullable: bool = False) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise _fail(field, f"must be a string, got {value!r}")
    return value


def _enum(value: Any, field: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise _fail(field, f"must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(field, f"must be an object, got {type(value).__name__}")
    return value


def _list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(field, f"must be a list, got {type(value).__name__}")
    return value


def sync_frequency(value: Any, field: str = "sync_frequency") -> int:
    """An allowed frequency in minutes (spec enum); a numeric string such as ``"360"`` is accepted (README)."""
    if isinstance(value, str) and _DIGITS.match(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value not in SYNC_FREQUENCIES:
        allowed = ", ".join(str(f) for f in SYNC_FREQUENCIES)
        raise _fail(field, f"must be one of {allowed} (minutes), got {value!r}")
    return value


def daily_sync_time(value: Any, field: str = "daily_sync_time") -> str:
    # Spec: "one hour increments starting from 00:00 to 23:00"; README: "HH:00", UTC.
    if not isinstance(value, str) or not _DAILY_TIME.match(value):
        raise _fail(field, f'must be a whole hour "HH:00" from 00:00 to 23:00 (UTC), got {value!r}')
    return value


def http_url(value: Any, field: str) -> str:
    # Spec (ConnectCardConfig.redirect_uri): "The URI must start with the https or http prefix".
    if not isinstance(value, str) or any(c.isspace() for c in value):
        raise _fail(field, f"must be an http(s) URL, got {value!r}")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _fail(field, f"must be an absolute URL starting with https:// or http://, got {value!r}")
    return value


def connect_card_config(value: Any, field: str = "connect_card_config") -> dict[str, Any]:
    card = _object(value, field)
    if "redirect_uri" not in card:  # spec: ConnectCardConfig.required
        raise _missing(field + ".redirect_uri")
    result: dict[str, Any] = {"redirect_uri": http_url(card["redirect_uri"], field + ".redirect_uri")}
    for key in ("hide_setup_guide", "all_fields"):
        if key in card:
            result[key] = _bool(card[key], f"{field}.{key}")
    return result


def destination_configuration(value: Any, field: str = "destination_configuration") -> dict[str, Any]:
    conf = _object(value, field)
    if "virtual_warehouse" not in conf:
        return {}
    return {"virtual_warehouse": _string(conf["virtual_warehouse"], field + ".virtual_warehouse")}


def _accounts(value: Any) -> list[str]:
    # Spec: an array of strings, no minItems, no uniqueItems: repeats are kept as sent.
    return [
        str(_string(item, f"config.accounts[{i}]")) for i, item in enumerate(_list(value, "config.accounts"))
    ]


def _report_list(value: Any) -> list[dict[str, Any]]:
    """Spec: items require no key; ``fields`` has no minItems or uniqueItems; tables may repeat."""
    reports: list[dict[str, Any]] = []
    for i, raw in enumerate(_list(value, "config.report_list")):
        where = f"config.report_list[{i}]"
        item = _object(raw, where)
        report: dict[str, Any] = {}
        if "table" in item:
            report["table"] = _string(item["table"], where + ".table")
        if "dimension" in item:
            report["dimension"] = _enum(item["dimension"], where + ".dimension", DIMENSIONS)
        if "granularity" in item:
            report["granularity"] = _enum(item["granularity"], where + ".granularity", GRANULARITIES)
        if "fields" in item:
            metrics = _list(item["fields"], where + ".fields")
            report["fields"] = [
                _enum(m, f"{where}.fields[{j}]", REPORT_FIELDS) for j, m in enumerate(metrics)
            ]
        reports.append(report)
    return reports


def config(value: Any, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """Validate ``config``; with ``current`` it is a PATCH (merged over the current config)."""
    conf = _object(value, "config")
    creating = current is None
    result: dict[str, Any] = {} if creating else dict(current or {})
    if creating:
        if "schema" not in conf:  # seed page: "schema (required)"; spec: schema_format_schema.required
            raise _missing("config.schema")
        schema = _string(conf["schema"], "config.schema")
        if not str(schema).strip():  # surely a mistake: no destination schema can have an empty name
            raise _fail("config.schema", "must name the destination schema, got an empty string")
        result["schema"] = schema
        result.update(DEFAULT_CONFIG)
        if "timeframe_months" in conf:
            result["timeframe_months"] = _enum(
                conf["timeframe_months"], "config.timeframe_months", TIMEFRAMES
            )
    else:
        for permanent in PERMANENT_CONFIG:
            # Sending the current value back is not a change (clients PATCH whole configs).
            if permanent in conf and conf[permanent] != result.get(permanent):
                raise InvalidInput(
                    f"config.{permanent}",
                    f"Field 'config.{permanent}' cannot be changed after the connection is created; "
                    "omit it from the PATCH body",
                )
    if "sync_mode" in conf:
        result["sync_mode"] = _enum(conf["sync_mode"], "config.sync_mode", SYNC_MODES)
    if "accounts" in conf:
        result["accounts"] = _accounts(conf["accounts"])
    if "report_list" in conf:
        result["report_list"] = _report_list(conf["report_list"])
    # Spec (config.accounts): "Must be populated if sync_mode is set to SPECIFIC_ACCOUNTS".
    if result.get("sync_mode") == "SPECIFIC_ACCOUNTS" and not result.get("accounts"):
        raise InvalidInput(
            "config.accounts",
            "Field 'config.accounts' is required and must not be empty when config.sync_mode is SPECIFIC_ACCOUNTS",
        )
    return result


def auth(value: Any, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """Validate ``auth`` and merge it over ``current`` (a PATCH may rotate only the refresh token)."""
    obj = _object(value, "auth")
    result: dict[str, Any] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in (current or {}).items()}
    if "refresh_token" in obj:
        result["refresh_token"] = _string(obj["refresh_token"], "auth.refresh_token")
    if "client_access" in obj:
        access = _object(obj["client_access"], "auth.client_access")
        merged = dict(result.get("client_access") or {})
        for key in ("client_id", "client_secret"):
            if key in access:
                merged[key] = _string(access[key], f"auth.client_access.{key}")
        result["client_access"] = merged
    return result


def external_secrets_keys_config(value: Any) -> dict[str, str] | None:
    # The answer schema (ConnectorResponse.external_secrets_keys_config) is an object of strings, nullable.
    if value is None:
        return None
    keys = _object(value, "external_secrets_keys_config")
    return {k: str(_string(v, f"external_secrets_keys_config.{k}")) for k, v in keys.items()}


@dataclass
class SettingsChange:
    """Validated, normalised fields of a create or PATCH body."""

    fields: dict[str, Any] = field(default_factory=dict)  # persistent top-level fields (minus config/auth)
    config: dict[str, Any] | None = None  # the full resulting config when config was sent
    auth: dict[str, Any] | None = None  # the full resulting auth when auth was sent
    run_setup_tests: bool | None = None
    daily_sync_time_sent: bool = False


def _common(body: dict[str, Any], change: SettingsChange) -> None:
    """The fields create and PATCH share, typed as the spec types them."""
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
        # Spec: int32 minutes. A negative number of minutes is surely a mistake.
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _fail("data_delay_threshold", f"must be a whole number of minutes >= 0, got {value!r}")
        change.fields["data_delay_threshold"] = value
    if "networking_method" in body:
        change.fields["networking_method"] = _enum(
            body["networking_method"], "networking_method", NETWORKING_METHODS
        )
    for key in NULLABLE_IDS:
        if key in body:
            change.fields[key] = _string(body[key], key, nullable=True)
    if "destination_configuration" in body:
        change.fields["destination_configuration"] = destination_configuration(
            body["destination_configuration"]
        )


def _check_daily_time(change: SettingsChange, current_frequency: int | None) -> None:
    # Spec (daily_sync_time): it defines the start time "when the sync frequency is already set or being set by
    # the current request to 1440"; README: "only meaningful when sync_frequency is, or becomes ..., 1440", and
    # the answer carries it "only when frequency is 1440 and it was set explicitly, null otherwise". Neither
    # says Fivetran refuses it beside another frequency, so it is accepted and dropped, not refused.
    if change.fields.get("daily_sync_time") is None:
        return
    if change.fields.get("sync_frequency", current_frequency) != DAILY_FREQUENCY:
        del change.fields["daily_sync_time"]


def create_body(body: dict[str, Any]) -> tuple[str, SettingsChange]:
    """Validate a create body; returns the group id and the change (``config`` always set)."""
    for key in ("group_id", "service"):  # spec: NewConnectorRequestV1.required
        if key not in body:
            raise _missing(key)
    if "config" not in body:  # seed page: config.schema is required
        raise _missing("config.schema")
    group_id = str(_string(body["group_id"], "group_id"))
    if body["service"] != SERVICE:  # a limit of the simulator, not of Fivetran
        raise _fail("service", f"the simulator serves only {SERVICE!r}, got {body['service']!r}")
    change = SettingsChange()
    _common(body, change)
    _check_daily_time(change, 360)
    change.config = config(body["config"])
    if body.get("auth") is not None:
        change.auth = auth(body["auth"])
    if "connect_card_config" in body:
        change.fields["connect_card_config"] = connect_card_config(body["connect_card_config"])
    if body.get("destination_schema_names") is not None:
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
    """Validate a PATCH body (``UpdateConnectorRequest``; other keys are dropped) against the connection."""
    if not any(key in PATCH_PERSISTENT_FIELDS for key in body):
        # Spec (run_setup_tests, trust_*): "you must also include at least one persistent configuration
        # parameter"; README: "at least one persistent field".
        raise InvalidInput(
            "body",
            "The PATCH body needs at least one persistent field (e.g. sync_frequency, paused, config, auth, "
            "daily_sync_time); run_setup_tests, trust_certificates and trust_fingerprints cannot be sent alone. "
            "To only run the setup tests, use POST /v1/connections/{id}/test",
        )
    for key in ("trust_certificates", "trust_fingerprints"):
        # Spec: "this parameter must be combined with `run_setup_tests=true`".
        if key in body and body.get("run_setup_tests") is not True:
            raise InvalidInput(
                key,
                f"Field '{key}' only steers a setup-test run: send it with run_setup_tests: true "
                "(or use POST /v1/connections/{id}/test)",
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
    if "external_secrets_keys_config" in body:
        change.fields["external_secrets_keys_config"] = external_secrets_keys_config(
            body["external_secrets_keys_config"]
        )
    return change


def setup_test_body(body: dict[str, Any]) -> None:
    for key in ("trust_certificates", "trust_fingerprints"):
        if key in body:
            _bool(body[key], key)


def sync_body(body: dict[str, Any] | None) -> bool:
    """Validate a sync body; returns ``force``."""
    if body is None or "force" not in body:
        return False
    return _bool(body["force"], "force")


def resync_body(body: dict[str, Any] | None) -> None:
    """Validate a resync body: ``scope`` (table-level re-sync) is refused for ``spotify_ads``.

    Spec (ResyncConnectorRequest.scope): "Sending scope to an unsupported connector type ... returns 400"; it is
    supported "typically" by database connectors, and spotify_ads is an application connector (README).
    """
    if body is not None and body.get("scope") is not None:
        raise InvalidInput(
            "scope",
            f"Invalid value for 'scope': table-level re-sync is not supported by {SERVICE} connections; "
            "omit scope (or send null) to re-sync the whole connection",
        )


def reload_body(body: dict[str, Any] | None) -> str:
    """Validate a schema-reload body; returns ``exclude_mode`` (spec: a string, default ``PRESERVE``)."""
    if body is None or body.get("exclude_mode") is None:
        return "PRESERVE"
    return str(_string(body["exclude_mode"], "exclude_mode"))


def connect_card_body(body: dict[str, Any]) -> dict[str, Any]:
    if "connect_card_config" not in body:  # spec: ConnectCardConfigRequest.required
        raise _missing("connect_card_config")
    return connect_card_config(body["connect_card_config"])


def page_limit(raw: str | None) -> int:
    """The ``limit`` query parameter: 1..1000, default 100 (README)."""
    if raw is None:
        return 100
    if not _DIGITS.match(raw.strip()) or not 1 <= int(raw) <= 1000:
        raise _fail("limit", f"must be a whole number from 1 to 1000, got {raw!r}")
    return int(raw)
