"""``FivetranRunSetupTestsOperator``: run a connection's setup tests now."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from airflow.sdk import BaseOperator

from airflow_spotify_fivetran.constants import DEFAULT_CONN_ID
from airflow_spotify_fivetran.exceptions import FivetranConnectionBrokenError, FivetranSetupTestsFailedError
from airflow_spotify_fivetran.links import FivetranConnectionLink, dashboard_url
from airflow_spotify_fivetran.tasks import FivetranHookMixin

if TYPE_CHECKING:
    from airflow.sdk import Context


class FivetranRunSetupTestsOperator(FivetranHookMixin, BaseOperator):
    """Run the setup tests of a connection (``POST .../test``) and report each test.

    :param connection_id: the Fivetran connection id (templated).
    :param on_failure: ``fail`` (default) fails the task listing each failing test's title and message;
        ``warn`` logs them and succeeds.
    :param trust_certificates: passed to Fivetran's test run.
    :param trust_fingerprints: passed to Fivetran's test run.
    :return: (XCom) ``{"connection_id", "setup_state", "setup_tests": [...], "schedule": {...}}``.
    """

    template_fields: Sequence[str] = ("connection_id", "fivetran_conn_id")
    operator_extra_links = (FivetranConnectionLink(),)

    def __init__(
        self,
        *,
        connection_id: str,
        on_failure: Literal["fail", "warn"] = "fail",
        trust_certificates: bool | None = None,
        trust_fingerprints: bool | None = None,
        fivetran_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if on_failure not in ("fail", "warn"):
            raise ValueError(f"on_failure must be 'fail' or 'warn'; got {on_failure!r}")
        self.connection_id = connection_id
        self.on_failure = on_failure
        self.trust_certificates = trust_certificates
        self.trust_fingerprints = trust_fingerprints
        self.fivetran_conn_id = fivetran_conn_id

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_spotify_fivetran.decisions import setup_decision
        from airflow_spotify_fivetran.summaries import setup_summary, setup_tests_table

        FivetranConnectionLink.persist(context, dashboard_url(self.connection_id))
        connection = self.hook.run_setup_tests(
            self.connection_id,
            trust_certificates=self.trust_certificates,
            trust_fingerprints=self.trust_fingerprints,
        )
        self.log.info(
            "Setup tests of %s:\n%s", self.connection_id, setup_tests_table(connection.setup_tests or ())
        )
        decision = setup_decision(connection, failures_are_final=True)
        if not decision.done:
            if self.on_failure == "warn":
                self.log.warning("Setup tests did not pass (on_failure='warn'): %s", decision.reason)
            elif decision.broken:
                raise FivetranConnectionBrokenError(f"Connection {self.connection_id}: {decision.reason}")
            elif decision.failed:
                raise FivetranSetupTestsFailedError(self.connection_id, decision.failed_tests)
            else:
                # Not done, yet no test failed (incomplete with tests Fivetran has not finished, or a
                # setup_state this provider does not know): this task does not wait, so it says why.
                raise FivetranSetupTestsFailedError(
                    self.connection_id,
                    decision.failed_tests,
                    hint="Fivetran reported no failing test, yet the setup is not complete "
                    f"({decision.reason}). Re-run this task later, or wait for the tests with "
                    "FivetranSetupTestsSensor.",
                )
        return setup_summary(connection)
