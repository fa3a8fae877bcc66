"""``FivetranSyncOperator``: start a sync, and optionally wait for it (deferrable).

Its request-then-wait (``RequestThenWaitOperator``) is shared with ``FivetranResyncOperator``: read the
connection's latest completion (the baseline), send the request, then wait for a completion after it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_spotify_fivetran.constants import DEFAULT_CONN_ID
from airflow_spotify_fivetran.decisions import Decision, Verdict
from airflow_spotify_fivetran.exceptions import FivetranSyncFailedError
from airflow_spotify_fivetran.links import FivetranConnectionLink, dashboard_url
from airflow_spotify_fivetran.tasks import (
    ConnectionTargetMixin,
    checked_hook_params,
    default_deferrable,
    deferral_end,
    look,
    resume,
    wait_in_worker,
)

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage
    from airflow.sdk import Context


class RequestThenWaitOperator(ConnectionTargetMixin, BaseOperator):
    """Send one request that starts a sync of a connection (``_start_run``), then optionally wait for it.

    The connection's latest completion is read first and becomes the baseline: only a completion after
    it counts, and the baseline travels to the trigger and into the XCom (for a ``FivetranSyncSensor``
    downstream), so a sync finishing between two checks is never missed. A subclass gives ``_start_run``
    and ``what`` (the word its log and errors use).
    """

    template_fields: Sequence[str] = ("connection_id", "group_id", "schema", "fivetran_conn_id")
    operator_extra_links = (FivetranConnectionLink(),)
    #: What the request starts, as the task's log and errors say it.
    what = "sync"

    def __init__(
        self,
        *,
        connection_id: str | None = None,
        group_id: str | None = None,
        schema: str | None = None,
        wait_for_completion: bool = False,
        deferrable: bool | None = None,
        poll_interval: float = 60,
        timeout: float = 12 * 60 * 60,
        fail_on_rescheduled: bool = False,
        fivetran_conn_id: str = DEFAULT_CONN_ID,
        hook_params: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._target(connection_id, group_id, schema)
        self.wait_for_completion = wait_for_completion
        self.deferrable = default_deferrable() if deferrable is None else deferrable
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.fail_on_rescheduled = fail_on_rescheduled
        self.fivetran_conn_id = fivetran_conn_id
        self.hook_params = checked_hook_params(hook_params)

    def _start_run(self, connection_id: str) -> str:
        """Send the request that starts the run; Fivetran's message."""
        raise NotImplementedError

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_spotify_fivetran.decisions import sync_baseline, sync_decision
        from airflow_spotify_fivetran.summaries import sync_summary

        connection_id = self.resolve_connection_id()
        FivetranConnectionLink.persist(context, dashboard_url(connection_id))
        before = self.hook.get_connection_details(connection_id)
        latest = sync_baseline(before)
        # The trigger reads the connection through its group's shared poll (triggers.group_poll).
        group_id = before.group_id or self.group_id or None
        baseline = latest.isoformat() if latest else None
        message = self._start_run(connection_id)
        self.log.info(
            "%s of %s requested: %s (baseline %s)", self.what.capitalize(), connection_id, message, baseline
        )
        started = {"connection_id": connection_id, "baseline": baseline}
        if not self.wait_for_completion:
            return started

        def check() -> tuple[Decision, dict[str, Any]]:
            connection = self.hook.get_connection_details(connection_id)
            decision = sync_decision(
                connection, baseline=latest, fail_on_rescheduled=self.fail_on_rescheduled
            )
            return decision, {**started, **sync_summary(connection)}

        if self.deferrable:
            decision, result = look(check)
            if decision.verdict is Verdict.WAIT:
                from airflow_spotify_fivetran.triggers.fivetran import FivetranSyncTrigger

                end_time = deferral_end(
                    context, timeout=self.timeout, execution_timeout=self.execution_timeout
                )
                self.defer(
                    trigger=FivetranSyncTrigger(
                        connection_id=connection_id,
                        fivetran_conn_id=self.fivetran_conn_id,
                        poll_interval=self.poll_interval,
                        end_time=end_time.isoformat(),
                        baseline=baseline,
                        fail_on_rescheduled=self.fail_on_rescheduled,
                        hook_params=self.hook_params,
                        group_id=group_id,
                    ),
                    method_name="execute_complete",
                    # The resumed task is a new instance: one found by group and schema learns its id here.
                    kwargs={"connection_id": connection_id},
                    # A backstop: the trigger itself ends at end_time with a clear "timeout" event.
                    timeout=end_time - datetime.now(UTC) + timedelta(seconds=self.poll_interval + 60),
                )
        else:
            decision, result = wait_in_worker(
                check,
                poll_interval=self.poll_interval,
                timeout=self.timeout,
                log=self.log,
                what=f"the {self.what}",
            )
        if decision.failed:
            raise FivetranSyncFailedError(decision.reason)
        self.log.info("%s", decision.reason)
        self._describe_asset_events(context, result)
        return result

    def execute_complete(
        self, context: Context, event: Any = None, connection_id: str | None = None
    ) -> dict[str, Any]:
        """Resume after the trigger: validate the event; succeed or fail with its message."""
        result = resume(
            context,
            event,
            connection_id=connection_id or self.connection_id,
            on_failure=lambda message, _event: FivetranSyncFailedError(message),
            log=self.log,
        )
        self._describe_asset_events(context, result)
        return result

    def _describe_asset_events(self, context: Context, result: Mapping[str, Any]) -> None:
        """Put the finished sync's facts on the event of each asset in ``outlets`` (Airflow emits the
        events when the task succeeds; a DAG scheduled on the asset reads them in ``triggering_asset_events``).
        """
        from airflow.sdk import Asset

        facts = {"connection_id": result.get("connection_id"), "succeeded_at": result.get("succeeded_at")}
        for outlet in self.outlets:
            if isinstance(outlet, Asset):
                context["outlet_events"][outlet].extra.update(facts)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage:
        """OpenLineage (called by its provider, when installed and enabled, after the task succeeded): the
        Spotify Ads ad accounts' reports as inputs, their destination tables as outputs (``lineage``)."""
        from airflow_spotify_fivetran.lineage import operator_lineage

        return operator_lineage(self)


class FivetranSyncOperator(RequestThenWaitOperator):
    """Start a sync of a connection and, with ``wait_for_completion``, wait until it finishes.

    The connection's latest completion is read first and becomes the baseline: only a completion after
    it counts, and the baseline travels to the trigger and into the XCom (for a ``FivetranSyncSensor``
    downstream), so a sync finishing between two checks is never missed.

    :param connection_id: the Fivetran connection id (templated); or give ``group_id`` and ``schema``.
    :param group_id: with ``schema``: find the connection by its schema in this group (templated), with one
        filtered list call, for a connection this DAG did not create.
    :param schema: the connection's schema name (templated), with ``group_id``.
    :param force: ask Fivetran to start the sync even if one is running.
    :param wait_for_completion: wait for the sync (default False: hand the wait to a sensor).
    :param deferrable: wait in the triggerer (default: Airflow's ``[operators] default_deferrable``).
    :param poll_interval: seconds between checks while waiting.
    :param timeout: seconds before the wait fails (default 12 hours); a deferred wait also ends with the
        task's ``execution_timeout`` if that comes first.
    :param fail_on_rescheduled: fail when Fivetran reschedules the sync instead of waiting for it.
    :param hook_params: the hook's settings for this task (and its trigger): ``connect_timeout``,
        ``read_timeout``, ``call_timeout`` (seconds), ``max_attempts``; they win over the connection's extras.
    :return: (XCom) ``{"connection_id", "baseline"}``; after a wait, also the sync summary.
    """

    def __init__(self, *, force: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.force = force

    def _start_run(self, connection_id: str) -> str:
        return self.hook.sync_connection(connection_id, force=self.force)
