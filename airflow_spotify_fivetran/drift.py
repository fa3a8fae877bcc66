"""How an existing connection differs from the one a task asks for: a pure comparison of wire shapes.

``desired`` is the create body the task would send (``NewSpotifyAdsConnection.to_wire()``); ``actual`` is
the connection as Fivetran answers it. Only fields the task sets are compared. Secrets are never compared
(Fivetran does not echo them) and never appear in a drift item.

``paused`` in a create body is the connection's initial state: a later task (or a person) unpauses it on
purpose, so it is compared only when asked (``compare_paused``); otherwise a re-run would pause again a
connection that has been syncing since.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: Fixed when the connection is created: Fivetran refuses (or ignores) a change.
IMMUTABLE_CONFIG = ("schema", "timeframe_months")
#: Top-level fields a PATCH may change.
MUTABLE_FIELDS = (
    "paused",
    "pause_after_trial",
    "sync_frequency",
    "daily_sync_time",
    "schedule_type",
    "data_delay_sensitivity",
    "data_delay_threshold",
    "networking_method",
    "proxy_agent_id",
    "private_link_id",
    "hybrid_deployment_agent_id",
)
MUTABLE_CONFIG = ("sync_mode", "accounts", "report_list")
#: Every wire path ``compute_drift`` compares, i.e. the names its ``ignore`` accepts.
COMPARED_FIELDS = (
    *(f"config.{key}" for key in IMMUTABLE_CONFIG),
    *MUTABLE_FIELDS,
    *(f"config.{key}" for key in MUTABLE_CONFIG),
)
WHY_IMMUTABLE = {
    "schema": "the destination schema name is fixed when a connection is created",
    "timeframe_months": "the historical sync window is fixed when a connection is created "
    "(Fivetran: 'cannot be modified once the connector is created')",
}


@dataclass(frozen=True)
class DriftItem:
    """One difference: the field's wire path, the value Fivetran holds and the value asked for."""

    field: str
    actual: Any
    desired: Any
    mutable: bool


@dataclass(frozen=True)
class Drift:
    items: tuple[DriftItem, ...] = ()
    patch: dict[str, Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.items

    @property
    def immutable(self) -> tuple[DriftItem, ...]:
        return tuple(i for i in self.items if not i.mutable)

    @property
    def mutable(self) -> tuple[DriftItem, ...]:
        return tuple(i for i in self.items if i.mutable)

    def table(self) -> str:
        """A readable table for a task log."""
        if self.empty:
            return "(no drift)"
        width = max(len(i.field) for i in self.items)
        lines = [f"{'field'.ljust(width)}  change      Fivetran has -> task wants"]
        for item in self.items:
            kind = "mutable" if item.mutable else "IMMUTABLE"
            lines.append(f"{item.field.ljust(width)}  {kind.ljust(10)}  {item.actual!r} -> {item.desired!r}")
        return "\n".join(lines)


def _reports(value: Any) -> Any:
    """Report lists compare by table, ignoring the order of reports and of fields."""
    if not isinstance(value, list):
        return value
    normalised = {}
    for report in value:
        if isinstance(report, Mapping):
            normalised[str(report.get("table", "")).lower()] = (
                report.get("dimension"),
                report.get("granularity"),
                tuple(sorted(report.get("fields") or ())),
            )
    return normalised


def _same(key: str, actual: Any, desired: Any) -> bool:
    if key == "accounts":
        return sorted(actual or []) == sorted(desired or [])
    if key == "report_list":
        return bool(_reports(actual) == _reports(desired))
    if key == "sync_frequency" and actual is not None and desired is not None:
        return int(actual) == int(desired)
    return bool(actual == desired)


def compute_drift(
    desired: Mapping[str, Any],
    actual: Mapping[str, Any],
    *,
    ignore: Iterable[str] = (),
    compare_paused: bool = False,
) -> Drift:
    """Compare a desired create body with an existing connection; return the differences and the PATCH.

    :param ignore: wire paths (``config.accounts``, ``paused``) not to compare.
    :param compare_paused: also compare ``paused`` (by default the initial state only, see the module doc);
        ``ignore`` still wins.
    """
    skip = frozenset(ignore) | (frozenset() if compare_paused else frozenset({"paused"}))
    items: list[DriftItem] = []
    patch: dict[str, Any] = {}
    desired_config: Mapping[str, Any] = desired.get("config") or {}
    actual_config: Mapping[str, Any] = actual.get("config") or {}

    for key in IMMUTABLE_CONFIG:
        if f"config.{key}" in skip:
            continue
        if key in desired_config and not _same(key, actual_config.get(key), desired_config[key]):
            items.append(DriftItem(f"config.{key}", actual_config.get(key), desired_config[key], False))

    for key in MUTABLE_FIELDS:
        if key not in desired or key in skip:
            continue
        if key == "daily_sync_time" and int(desired.get("sync_frequency") or 0) != 1440:
            continue  # Fivetran keeps a daily time only with sync_frequency 1440
        if not _same(key, actual.get(key), desired[key]):
            items.append(DriftItem(key, actual.get(key), desired[key], True))
            patch[key] = desired[key]

    config_patch = {}
    for key in MUTABLE_CONFIG:
        if f"config.{key}" in skip:
            continue
        if key in desired_config and not _same(key, actual_config.get(key), desired_config[key]):
            items.append(DriftItem(f"config.{key}", actual_config.get(key), desired_config[key], True))
            config_patch[key] = desired_config[key]
    if config_patch:
        patch["config"] = config_patch
    # Fivetran takes these only together with their companion in the same request (and the PATCH model
    # refuses them alone): a daily time with sync_frequency 1440, a threshold with sensitivity CUSTOM.
    for key, companion in (
        ("daily_sync_time", "sync_frequency"),
        ("data_delay_threshold", "data_delay_sensitivity"),
    ):
        if key in patch and companion in desired:
            patch.setdefault(companion, desired[companion])
    return Drift(tuple(items), patch)


def why_immutable(item: DriftItem) -> str:
    key = item.field.removeprefix("config.")
    return WHY_IMMUTABLE.get(key, "it is fixed when a connection is created")
