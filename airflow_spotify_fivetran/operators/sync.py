"""``FivetranSyncOperator``: start a sync, and optionally wait for it (deferrable)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_spotify_fivetran.constants import DEFAULT_CONN_ID
from airflow_spotify_fivetran.decisions import Decision, Verdict
from airflow_spotify_fivetran.exceptions import FivetranSyncFailedError
from airflow_spotify_fivetran.links import FivetranConnectionLink, dashboard_url
from airflow_spotify_fivetran.tasks import FivetranHookMixin, default_deferrable, look, resume, wait_in_worker

if TYPE_CHECKING:
    from airflow.sdk import Context


class FivetranSyncOperator(FivetranHookMixin, BaseOperator):
    """Start a sync of a connection and, with ``wait_for_completion``, wait until it finishes.

    The connection's latest completion is read first and becomes the baseline: only a completion after
    it counts, and the baseline travels to the trigger and into the XCom (for a ``FivetranSyncSensor``
    downstream), so a sync finishing between two checks is never missed.

    :param connection_id: the Fivetran connection id (templated).
    :param force: ask Fivetran to start the sync even if one is running.
    :param wait_for_completion: wait for the sync (default False: hand the wait to a sensor).
    :param deferrable: wait in the triggerer (default: Airflow's ``[operators] default_deferrable``).
    :param poll_interval: seconds between checks while waiting.
    :param timeout: seconds before the wait fails (default 12 hours).
    :param fail_on_rescheduled: fail when Fivetran reschedules the sync instead of waiting for it.
    :return: (XCom) ``{"connection_id", "baseline"}``; after a wait, also the sync summary.
    """

    template_fields: Sequence[str] = ("connection_id", "fivetran_conn_id")
    operator_extra_links = (FivetranConnectionLink(),)

    def __init__(
        self,
        *,
        connection_id: str,
        force: bool = False,
        wait_for_completion: bool = False,
        deferrable: bool | None = None,
        poll_interval: float = 60,
        timeout: float = 12 * 60 * 60,
        fail_on_rescheduled: bool = False,
        fivetran_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.connection_id = connection_id
        self.force = force
        self.wait_for_completion = wait_for_completion
        self.deferrable = default_deferrable() if deferrable is None else deferrable
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.fail_on_rescheduled = fail_on_rescheduled
        self.fivetran_conn_id = fivetran_conn_id

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_spotify_fivetran.decisions import sync_baseline, sync_decision
        from airflow_spotify_fivetran.summaries import sync_summary

        FivetranConnectionLink.persist(context, dashboard_url(self.connection_id))
        latest = sync_baseline(self.hook.get_connection_details(self.connection_id))
        baseline = latest.isoformat() if latest else None
        message = self.hook.sync_connection(self.connection_id, force=self.force)
        self.log.info("Sync of %s requested: %s (baseline %s)", self.connection_id, message, baseline)
        started = {"connection_id": self.connection_id, "baseline": baseline}
        if not self.wait_for_completion:
            return started

        def check() -> tuple[Decision, dict[str, Any]]:
            connection = self.hook.get_connection_details(self.connection_id)
            decision = sync_decision(
                connection, baseline=latest, fail_on_rescheduled=self.fail_on_rescheduled
            )
            return decision, {**started, **sync_summary(connection)}

        if self.deferrable:
            decision, result = look(check)
            if decision.verdict is Verdict.WAIT:
                from airflow_spotify_fivetran.triggers.fivetran import FivetranSyncTrigger

                end_time = datetime.now(UTC) + timedelta(seconds=self.timeout)
                self.defer(
                    trigger=FivetranSyncTrigger(
                        connection_id=self.connection_id,
                        fivetran_conn_id=self.fivetran_conn_id,
                        poll_interval=self.poll_interval,
                        end_time=end_time.isoformat(),
                        baseline=baseline,
                        fail_on_rescheduled=self.fail_on_rescheduled,
                    ),
                    method_name="execute_complete",
                    timeout=timedelta(seconds=self.timeout + self.poll_interval + 60),
                )
        else:
            decision, result = wait_in_worker(
                check, poll_interval=self.poll_interval, timeout=self.timeout, log=self.log, what="the sync"
            )
        if decision.failed:
            raise FivetranSyncFailedError(decision.reason)
        self.log.info("%s", decision.reason)
        return result

    def execute_complete(self, context: Context, event: Any = None) -> dict[str, Any]:
        """Resume after the trigger: validate the event; succeed or fail with its message."""
        return resume(
            context,
            event,
            connection_id=self.connection_id,
            on_failure=lambda message, _event: FivetranSyncFailedError(message),
            log=self.log,
        )
