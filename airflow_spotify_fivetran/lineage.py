"""OpenLineage for the sync, re-sync and sync-sensor tasks: what a Spotify Ads connection reads and writes.

``lineage_datasets`` is the rule, a pure function from a connection's details and its group's destination to
the input and output datasets (``DatasetName``). ``operator_lineage`` is what the tasks'
``get_openlineage_facets_on_complete`` calls: it reads the connection and (once per process, per Airflow
connection and group) the destination, and builds the OpenLineage provider's ``OperatorLineage``.

Nothing here runs unless the OpenLineage provider calls it: that provider only does when it is installed and
enabled, and the tasks import this module inside that method, so a DAG parse never loads it.

Naming follows the OpenLineage naming conventions (https://openlineage.io/docs/spec/naming): a namespace
names the instance that holds datasets (``scheme://authority``), a name the dataset inside it.

* Inputs: Spotify Ads has no convention of its own. Each ad account is the instance (as a database server
  is), so its namespace is ``spotify-ads://<ad account id>``, and each report of ``report_list`` is a dataset
  in it, named like the report's table: one report of one account is one input. Under ``ALL_ACCOUNTS`` the
  accounts are not listed in the connection, so the namespace is ``spotify-ads://all-accounts``.
* Outputs: one table per report, ``<schema>.<table>`` in the destination's namespace (the connection's schema
  is the destination schema). For warehouses with a convention the namespace and name follow it
  (PostgreSQL, MySQL, Redshift, Snowflake, BigQuery); any other destination is ``fivetran://<group id>``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage

    from airflow_spotify_fivetran.hooks.fivetran import FivetranHook
    from airflow_spotify_fivetran.models import Connection

SPOTIFY_ADS_SCHEME = "spotify-ads"
#: The input namespace when the connection syncs every account its credentials reach (none are listed).
ALL_ACCOUNTS = "all-accounts"


@dataclass(frozen=True)
class DatasetName:
    """One OpenLineage dataset: ``namespace`` and ``name``."""

    namespace: str
    name: str


@dataclass(frozen=True)
class DestinationPlace:
    """Where a group's tables are: the namespace, and what goes before ``<schema>.<table>`` in a name."""

    namespace: str
    name_prefix: str = ""


def _authority(config: Mapping[str, Any], default_port: int | None) -> str | None:
    host = config.get("host")
    if not isinstance(host, str) or not host:
        return None
    port = config.get("port") or default_port
    return f"{host.lower()}:{port}" if port else host.lower()


def destination_place(destination: Mapping[str, Any]) -> DestinationPlace:
    """The namespace and name prefix of a destination (the ``data`` of ``GET /v1/destinations/{id}``)."""
    service = str(destination.get("service") or "").lower()
    config = destination.get("config")
    config = config if isinstance(config, Mapping) else {}
    database = config.get("database")
    prefix = f"{database}." if isinstance(database, str) and database else ""
    fallback = DestinationPlace(f"fivetran://{destination.get('group_id') or destination.get('id')}")
    if "postgres" in service:
        authority = _authority(config, 5432)
        return DestinationPlace(f"postgres://{authority}", prefix) if authority else fallback
    if "redshift" in service:
        authority = _authority(config, 5439)
        return DestinationPlace(f"redshift://{authority}", prefix) if authority else fallback
    if "mysql" in service:  # MySQL names have no database part: its schema is the database.
        authority = _authority(config, 3306)
        return DestinationPlace(f"mysql://{authority}") if authority else fallback
    if "snowflake" in service:
        host = str(config.get("host") or "").lower()
        account = host.removesuffix(".snowflakecomputing.com")
        return DestinationPlace(f"snowflake://{account}", prefix) if account else fallback
    if service in ("big_query", "managed_big_query"):
        project = config.get("project_id")
        return (
            DestinationPlace("bigquery", f"{project}.") if isinstance(project, str) and project else fallback
        )
    return fallback


def lineage_datasets(
    connection: Connection, place: DestinationPlace
) -> tuple[list[DatasetName], list[DatasetName]]:
    """The inputs (each listed ad account's reports) and outputs (each report's destination table)."""
    from airflow_spotify_fivetran.models.enums import SyncMode

    config = connection.config
    tables = [r.table for r in (config.report_list or []) if r.table] if config else []
    accounts = config.accounts if config and config.sync_mode == SyncMode.SPECIFIC_ACCOUNTS else None
    namespaces = [f"{SPOTIFY_ADS_SCHEME}://{a}" for a in accounts or [ALL_ACCOUNTS]]
    inputs = [DatasetName(namespace, table) for namespace in namespaces for table in tables]
    outputs = [DatasetName(place.namespace, f"{place.name_prefix}{connection.schema_}.{t}") for t in tables]
    return inputs, outputs


_places: dict[tuple[str, str], DestinationPlace] = {}
_places_lock = threading.Lock()


def cached_destination_place(hook: FivetranHook, fivetran_conn_id: str, group_id: str) -> DestinationPlace:
    """The group's ``DestinationPlace``, read from Fivetran once per process per Airflow connection and group."""
    key = (fivetran_conn_id, group_id)
    with _places_lock:
        if key in _places:
            return _places[key]
    place = destination_place(hook.get_destination(group_id))
    with _places_lock:
        return _places.setdefault(key, place)


def forget_destinations() -> None:
    """Drop the cached destinations (a destination moved, or a test starts afresh)."""
    with _places_lock:
        _places.clear()


class LineageTask(Protocol):
    """What ``operator_lineage`` needs of a task (the sync and re-sync operators, the sync sensor)."""

    fivetran_conn_id: str
    hook_params: dict[str, Any]

    def resolve_connection_id(self) -> str: ...


def operator_lineage(task: LineageTask) -> OperatorLineage:
    """The task's ``OperatorLineage``: the connection's datasets (two API reads, the second cached).

    Called by the OpenLineage provider after the task succeeded; an error here is logged by that provider
    and never fails the task.
    """
    from airflow.providers.common.compat.openlineage.facet import Dataset
    from airflow.providers.openlineage.extractors import OperatorLineage

    from airflow_spotify_fivetran.hooks.fivetran import FivetranHook

    connection_id = task.resolve_connection_id()
    # A hook of its own, closed here: the task's hook is closed after execute, before OpenLineage asks.
    hook = FivetranHook(task.fivetran_conn_id, **task.hook_params)
    try:
        connection = hook.get_connection_details(connection_id)
        place = cached_destination_place(hook, task.fivetran_conn_id, connection.group_id)
    finally:
        hook.close()
    inputs, outputs = lineage_datasets(connection, place)
    return OperatorLineage(
        inputs=[Dataset(namespace=d.namespace, name=d.name) for d in inputs],
        outputs=[Dataset(namespace=d.namespace, name=d.name) for d in outputs],
    )
