"""How an existing connection differs from the one a task asks for: a pure comparison of wire shapes.

``desired`` is the create body the task would send (``NewSpotifyAdsConnection.to_wire()``); ``actual`` is
the connection as Fivetran answers it. Only fields the task sets are compared. Secrets are never compared
(Fivetran does not echo them) and never appear in a drift item.

``paused`` in a create body is the connection's initial state: a later task (or a person) unpauses it on
purpose, so it is compared only when asked (``compare_paused``); otherwise a re-run would pause again a
connection that has been syncing since.

The create operator imports this module when a DAG file is parsed (to check ``ignore_drift_in``), so it
imports only the standard library at its top; the models' rules are read inside :func:`compute_drift`.
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
#: What ``compute_drift`` compares, in the order it reports: each wire path and whether a PATCH may change it.
COMPARED: tuple[tuple[str, bool], ...] = (
    *((f"config.{key}", False) for key in IMMUTABLE_CONFIG),
    *((key, True) for key in MUTABLE_FIELDS),
    *((f"config.{key}", True) for key in MUTABLE_CONFIG),
)
#: Every wire path ``compute_drift`` compares, i.e. the names its ``ignore`` accepts.
COMPARED_FIELDS = tuple(path for path, _ in COMPARED)
#: Fields Fivetran takes only beside their companion in the same request (and the PATCH model refuses
#: alone): a daily time with its sync frequency, a delay threshold with its sensitivity (CUSTOM).
COMPANIONS = {"daily_sync_time": "sync_frequency", "data_delay_threshold": "data_delay_sensitivity"}
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


def _at(body: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    """Whether ``body`` holds the wire path ``path`` (``config.accounts``), and its value."""
    *parents, key = path.split(".")
    for parent in parents:
        body = body.get(parent) or {}
    return key in body, body.get(key)


def _daily_time_kept(desired: Mapping[str, Any]) -> bool:
    """Whether Fivetran keeps the desired ``daily_sync_time``: the rule is ``daily_sync_time_problem``, with
    the frequency the body asks for (a new connection's default when it asks none)."""
    from airflow_spotify_fivetran.models import (
        DEFAULT_SYNC_FREQUENCY,
        daily_sync_time_problem,
        parse_sync_frequency,
    )

    try:
        frequency = parse_sync_frequency(desired.get("sync_frequency", DEFAULT_SYNC_FREQUENCY))
    except ValueError:
        return False
    return daily_sync_time_problem(desired.get("daily_sync_time"), frequency) is None


def compute_drift(
    desired: Mapping[str, Any],
    actual: Mapping[str, Any],
    *,
    ignore: Iterable[str] = (),
    compare_paused: bool = False,
) -> Drift:
    """Compare a desired create body with an existing connection; return the differences and the PATCH.

    Each field of :data:`COMPARED` that ``desired`` sets is compared; a mutable one that differs goes into
    the PATCH (with its :data:`COMPANIONS` field when ``desired`` sets it). A ``daily_sync_time`` Fivetran
    would not keep (``models.schedule.daily_sync_time_problem``) is not compared: Fivetran answers ``null``.

    :param ignore: wire paths (``config.accounts``, ``paused``) not to compare.
    :param compare_paused: also compare ``paused`` (by default the initial state only, see the module doc);
        ``ignore`` still wins.
    """
    skip = frozenset(ignore) | (frozenset() if compare_paused else frozenset({"paused"}))
    if "daily_sync_time" in desired and not _daily_time_kept(desired):
        skip |= {"daily_sync_time"}
    items: list[DriftItem] = []
    patch: dict[str, Any] = {}
    for path, mutable in COMPARED:
        wanted, value = _at(desired, path)
        if not wanted or path in skip:
            continue
        _, current = _at(actual, path)
        if _same(path.removeprefix("config."), current, value):
            continue
        items.append(DriftItem(path, current, value, mutable))
        if mutable:
            if path.startswith("config."):
                patch.setdefault("config", {})[path.removeprefix("config.")] = value
            else:
                patch[path] = value
    for key, companion in COMPANIONS.items():
        if key in patch and companion in desired:
            patch.setdefault(companion, desired[companion])
    return Drift(tuple(items), patch)


def why_immutable(item: DriftItem) -> str:
    key = item.field.removeprefix("config.")
    return WHY_IMMUTABLE.get(key, "it is fixed when a connection is created")
