"""``FivetranRunSetupTestsOperator``: run a connection's setup tests now."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from airflow.sdk import BaseOperator

from airflow_spotify_fivetran.constants import DEFAULT_CONN_ID
from airflow_spotify_fivetran.exceptions import FivetranConnectionBrokenError, FivetranSetupTestsFailedError
from airflow_spotify_fivetran.links import FivetranConnectionLink, dashboard_url
from airflow_spotify_fivetran.tasks import ConnectionTargetMixin, checked_hook_params

if TYPE_CHECKING:
    from airflow.sdk import Context


class FivetranRunSetupTestsOperator(ConnectionTargetMixin, BaseOperator):
    """Run the setup tests of a connection (``POST .../test``) and report each test.

    :param connection_id: the Fivetran connection id (templated); or give ``group_id`` and ``schema``.
    :param group_id: with ``schema``: find the connection by its schema in this group (templated), with one
        filtered list call, for a connection this DAG did not create.
    :param schema: the connection's schema name (templated), with ``group_id``.
    :param on_failure: ``fail`` (default) fails the task listing each failing test's title and message;
        ``warn`` logs them and succeeds.
    :param trust_certificates: passed to Fivetran's test run.
    :param trust_fingerprints: passed to Fivetran's test run.
    :param hook_params: the hook's settings for this task: ``connect_timeout``, ``read_timeout``,
        ``call_timeout`` (seconds), ``max_attempts``; they win over the connection's extras.
    :return: (XCom) ``{"connection_id", "setup_state", "setup_tests": [...], "schedule": {...}}``.
    """

    template_fields: Sequence[str] = ("connection_id", "group_id", "schema", "fivetran_conn_id")
    operator_extra_links = (FivetranConnectionLink(),)

    def __init__(
        self,
        *,
        connection_id: str | None = None,
        group_id: str | None = None,
        schema: str | None = None,
        on_failure: Literal["fail", "warn"] = "fail",
        trust_certificates: bool | None = None,
        trust_fingerprints: bool | None = None,
        fivetran_conn_id: str = DEFAULT_CONN_ID,
        hook_params: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if on_failure not in ("fail", "warn"):
            raise ValueError(f"on_failure must be 'fail' or 'warn'; got {on_failure!r}")
        self._target(connection_id, group_id, schema)
        self.on_failure = on_failure
        self.trust_certificates = trust_certificates
        self.trust_fingerprints = trust_fingerprints
        self.fivetran_conn_id = fivetran_conn_id
        self.hook_params = checked_hook_params(hook_params)

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_spotify_fivetran.decisions import setup_decision
        from airflow_spotify_fivetran.summaries import setup_summary, setup_tests_table

        connection_id = self.resolve_connection_id()
        FivetranConnectionLink.persist(context, dashboard_url(connection_id))
        connection = self.hook.run_setup_tests(
            connection_id,
            trust_certificates=self.trust_certificates,
            trust_fingerprints=self.trust_fingerprints,
        )
        self.log.info(
            "Setup tests of %s:\n%s", connection_id, setup_tests_table(connection.setup_tests or ())
        )
        decision = setup_decision(connection, failures_are_final=True)
        if not decision.done:
            if self.on_failure == "warn":
                self.log.warning("Setup tests did not pass (on_failure='warn'): %s", decision.reason)
            elif decision.broken:
                raise FivetranConnectionBrokenError(f"Connection {connection_id}: {decision.reason}")
            elif decision.failed:
                raise FivetranSetupTestsFailedError(connection_id, decision.failed_tests)
            else:
                # Not done, yet no test failed (incomplete with tests Fivetran has not finished, or a
                # setup_state this provider does not know): this task does not wait, so it says why.
                raise FivetranSetupTestsFailedError(
                    connection_id,
                    decision.failed_tests,
                    hint="Fivetran reported no failing test, yet the setup is not complete "
                    f"({decision.reason}). Re-run this task later, or wait for the tests with "
                    "FivetranSetupTestsSensor.",
                )
        return setup_summary(connection)
