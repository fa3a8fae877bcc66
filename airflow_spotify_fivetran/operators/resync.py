"""``FivetranResyncOperator``: a historical re-sync of a connection, and optionally the wait for it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_spotify_fivetran.operators.sync import RequestThenWaitOperator


class FivetranResyncOperator(RequestThenWaitOperator):
    """Re-sync all of a connection's data from the start of its timeframe (``POST .../resync``) and, with
    ``wait_for_completion``, wait until that sync finishes.

    The wait is the sync operator's: the connection's latest completion, read before the request, is the
    baseline; only a completion after it counts (the XCom carries it for a ``FivetranSyncSensor``).
    Fivetran refuses a re-sync while a sync runs (409); an answer lost on the way is settled by the hook
    (``FivetranHook.resync_connection``), which counts a 409 on its retry as done only if a re-sync now runs.

    :param connection_id: the Fivetran connection id (templated); or give ``group_id`` and ``schema``.
    :param group_id: with ``schema``: find the connection by its schema in this group (templated).
    :param schema: the connection's schema name (templated), with ``group_id``.
    :param scope: a table-level re-sync (``{schema: [tables]}``): refused when the task is built, as Fivetran
        answers 400 for application connectors such as ``spotify_ads``; leave it out to re-sync everything.
    :param wait_for_completion: wait for the re-sync (default False).
    :param deferrable: wait in the triggerer (default: Airflow's ``[operators] default_deferrable``).
    :param poll_interval: seconds between checks while waiting.
    :param timeout: seconds before the wait fails (default 12 hours; a historical sync can be long); a
        deferred wait also ends with the task's ``execution_timeout`` if that comes first.
    :param fail_on_rescheduled: fail when Fivetran reschedules the sync instead of waiting for it.
    :param hook_params: the hook's settings for this task (and its trigger): ``connect_timeout``,
        ``read_timeout``, ``call_timeout`` (seconds), ``max_attempts``.
    :return: (XCom) ``{"connection_id", "baseline"}``; after a wait, also the sync summary
        (``sync_state``, ``succeeded_at``, ``failed_at``).
    """

    what = "re-sync"

    def __init__(self, *, scope: Mapping[str, list[str]] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if scope:
            # Imported only for a task that names a scope (a DAG that cannot run): others pay nothing.
            from airflow_spotify_fivetran.hooks.fivetran import refuse_resync_scope

            refuse_resync_scope(scope)

    def _start_run(self, connection_id: str) -> str:
        return self.hook.resync_connection(connection_id)
