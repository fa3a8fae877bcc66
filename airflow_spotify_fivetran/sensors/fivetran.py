"""Sensors that wait for a Fivetran connection: setup tests passed, or a sync finished.

Both check once in the worker; if the answer is "keep waiting" they either defer to a trigger
(``deferrable=True``: the wait costs no worker slot) or poke (``mode="reschedule"`` by default, which
frees the slot between pokes). Deferred is the budget-friendly way: the triggers of one group share one list
poll per interval (``triggers.group_poll``), while each poke reads its own connection. Poke, trigger and the first check call the same decision function of
``airflow_spotify_fivetran.decisions``, with the same flags, so both ways decide alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue

from airflow_spotify_fivetran.constants import DEFAULT_CONN_ID
from airflow_spotify_fivetran.decisions import Decision, Verdict
from airflow_spotify_fivetran.exceptions import (
    FivetranConnectionBrokenError,
    FivetranError,
    FivetranInputError,
    FivetranSetupTestsFailedError,
    FivetranSyncFailedError,
    InputProblem,
)
from airflow_spotify_fivetran.links import FivetranConnectCardLink, FivetranConnectionLink, dashboard_url
from airflow_spotify_fivetran.tasks import (
    ConnectionTargetMixin,
    checked_hook_params,
    default_deferrable,
    deferral_end,
    look,
    resume,
)
from airflow_spotify_fivetran.utc import as_utc, parse_utc

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage
    from airflow.sdk import Context
    from airflow.triggers.base import BaseTrigger

    from airflow_spotify_fivetran.models import Connection

#: XCom key under which the setup sensor also pushes the connection's schedule as it saw it.
SCHEDULE_XCOM_KEY = "schedule"


class _FivetranWaitSensor(ConnectionTargetMixin, BaseSensorOperator):
    """Check, then defer or poke; subclasses give the check, the trigger and the failure.

    The connection is ``connection_id``, or the one found by ``group_id`` + ``schema`` (``tasks``) at the
    start of each ``execute`` (each reschedule looks it up again: one list call).

    The methods subclasses fill in are private (``_check``, ``_trigger``...): ``BaseSensorOperator`` and
    ``BaseOperator`` have many public names, and one of theirs must never be overridden by accident.
    """

    template_fields: Sequence[str] = ("connection_id", "group_id", "schema", "fivetran_conn_id")
    operator_extra_links = (FivetranConnectionLink(),)

    def __init__(
        self,
        *,
        connection_id: str | None = None,
        group_id: str | None = None,
        schema: str | None = None,
        fivetran_conn_id: str = DEFAULT_CONN_ID,
        hook_params: Mapping[str, Any] | None = None,
        deferrable: bool | None = None,
        poke_interval: float = 30,
        timeout: float = 60 * 60,
        mode: str = "reschedule",
        **kwargs: Any,
    ) -> None:
        super().__init__(poke_interval=poke_interval, timeout=timeout, mode=mode, **kwargs)
        self._target(connection_id, group_id, schema)
        self.fivetran_conn_id = fivetran_conn_id
        self.hook_params = checked_hook_params(hook_params)
        self.deferrable = default_deferrable() if deferrable is None else deferrable
        # What a check learned: the connection's group (its trigger shares the group's poll), and where
        # the wait stands in its re-test schedule (``decisions.retest_due``).
        self._seen_group_id: str | None = None
        self._wait_started: datetime | None = None
        self._retest_now = True
        self._pokes = 0

    # -- subclasses --------------------------------------------------------------------------------------
    def _check(self) -> tuple[Decision, dict[str, Any]]:
        """One look at the connection: the decision and the task's result if it is done."""
        raise NotImplementedError

    def _trigger(self, end_time: datetime) -> BaseTrigger:
        """The trigger that waits in the triggerer until ``end_time``."""
        raise NotImplementedError

    def _saw(self, connection: Connection) -> Connection:
        """Note what a check's read tells the wait beyond its decision (the connection's group)."""
        self._seen_group_id = connection.group_id or self._seen_group_id
        return connection

    @property
    def _trigger_group_id(self) -> str | None:
        """The group whose shared poll the trigger reads: the one the first check saw (a check refused by
        a rate limit saw none), else the one the task was given; None: the trigger reads its connection."""
        return self._seen_group_id or self.group_id or None

    def _failure(self, message: str, event: dict[str, Any]) -> FivetranError:
        """The exception of a ``failed`` event (``triggers.events.decision_event``) and its message."""
        raise NotImplementedError

    def _on_done(self, context: Context, result: dict[str, Any]) -> None:
        """Run once the wait succeeded (to push extra XComs)."""

    def _prepare(self, context: Context) -> None:
        """Run at the start of every ``execute`` (each reschedule runs it again)."""

    def _listed_result(self) -> dict[str, Any] | None:
        """The task's result when a state read upstream already says the wait is over (no call), else None."""
        return None

    # -- the two ways of waiting ------------------------------------------------------------------------
    def execute(self, context: Context) -> Any:
        connection_id = self.resolve_connection_id()
        FivetranConnectionLink.persist(context, dashboard_url(connection_id))
        self._prepare(context)
        listed = self._listed_result()
        if listed is not None:
            self._on_done(context, listed)
            return listed
        if not self.deferrable:
            return super().execute(context)
        self._wait_started, self._retest_now = datetime.now(UTC), True
        decision, result = look(self._check)
        if decision.done:
            self._on_done(context, result)
            return result
        if decision.failed:
            raise self._failure_of(decision)
        self.log.info(
            "%s; deferring (poll every %g s, up to %g s)", decision.reason, self.poke_interval, self.timeout
        )
        end_time = deferral_end(context, timeout=self.timeout, execution_timeout=self.execution_timeout)
        self.defer(
            trigger=self._trigger(end_time),
            method_name="execute_complete",
            # The resumed task is a new instance: one found by group and schema learns its id here.
            kwargs={"connection_id": connection_id},
            # A backstop: the trigger itself ends at end_time with a clear "timeout" event.
            timeout=end_time - datetime.now(UTC) + timedelta(seconds=self.poke_interval + 60),
        )

    def poke(self, context: Context) -> PokeReturnValue | bool:
        from airflow_spotify_fivetran.decisions import retest_due_at_poke

        self._retest_now = retest_due_at_poke(self._poke_number(context), self.poke_interval)
        self._pokes += 1
        decision, result = look(self._check)
        if decision.failed:
            raise self._failure_of(decision)
        if decision.done:
            self._on_done(context, result)
            return PokeReturnValue(is_done=True, xcom_value=result)
        self.log.info("%s", decision.reason)
        return False

    def _poke_number(self, context: Context) -> int:
        """Which poke of this try this is (0 = the first): in reschedule mode each poke runs in a new task
        instance, and Airflow counts the reschedules (``task_reschedule_count``); in poke mode, this one."""
        rescheduled = context.get("task_reschedule_count") if self.mode == "reschedule" else None
        return int(rescheduled) if isinstance(rescheduled, int) else self._pokes

    def execute_complete(self, context: Context, event: Any = None, connection_id: str | None = None) -> Any:
        """Resume after the trigger: validate its event; succeed, or fail with the trigger's message."""
        if connection_id and self.connection_id is None:
            self.connection_id = connection_id  # found by group and schema before deferring
        result = resume(
            context,
            event,
            connection_id=connection_id or self.connection_id,
            on_failure=self._failure,
            log=self.log,
        )
        self._on_done(context, result)
        return result

    def _failure_of(self, decision: Decision) -> FivetranError:
        """The exception of a failed decision seen in the worker: the one its trigger's event would give."""
        from airflow_spotify_fivetran.triggers.events import decision_event

        return self._failure(decision.reason, decision_event(self.resolve_connection_id(), decision, {}))


class FivetranSetupTestsSensor(_FivetranWaitSensor):
    """Wait until the connection's setup tests pass (``status.setup_state`` is ``connected``).

    Failing tests end the wait at once with each failing test's title and message, unless something
    outside may still fix them: with ``retest_on_poke`` (credentials or account access granted later) the
    tests are re-run on every poke and the sensor waits; with ``wait_for_connect_card`` it waits for a
    person to finish the Connect Card. A ``broken`` connection always fails, with guidance.

    :param connection_id: the Fivetran connection id (templated; e.g. the create task's XCom); or give
        ``group_id`` and ``schema`` (templated) to find it with one filtered list call.
    :param retest_on_poke: re-run the setup tests (``POST .../test``) while they fail, at growing gaps: the
        first check, then after 1, 2, 4... poke intervals, at most 10 minutes apart
        (``decisions.retest_due``); the pokes between read the connection. Deferred, every re-test of one
        triggerer through one Airflow connection also stays within a setup-test budget below Fivetran's
        limit (``triggers.setup_test_budget``).
    :param wait_for_connect_card: keep waiting while tests fail, for a person to authorise in the card.
    :param connect_card_uri: the Connect Card's URI, shown as this task's "Fivetran Connect Card" link: the
        task people watch while the card waits for them (templated; e.g.
        ``"{{ ti.xcom_pull(task_ids='connect_card')['connect_card_uri'] }}"``).
    :param listed: the connection's state as a list call upstream read it (``inventory.listed_state``,
        templated; the fleet DAG's first task reads each group once): when it is this connection and says
        ``connected``, the task succeeds at once with that state as its result, without a call. Otherwise
        (``None``, "absent", another connection, not connected) it waits as without it. Pass it only when no
        task in between re-runs the setup tests or changes the schedule (the fleet's create does neither).
    :param deferrable: wait in the triggerer (default: Airflow's ``[operators] default_deferrable``).
    :param poke_interval: seconds between checks (also the trigger's poll interval).
    :param timeout: seconds before the wait fails (default one hour).
    :param mode: ``reschedule`` (default) or ``poke`` when not deferrable.
    :param hook_params: the hook's settings for this task (and its trigger): ``connect_timeout``,
        ``read_timeout``, ``call_timeout`` (seconds), ``max_attempts``; they win over the connection's extras.
    :return: (XCom) ``{"connection_id", "setup_state", "setup_tests": [...], "schedule": {...}}``; the
        schedule is also pushed under the XCom key ``schedule``.
    """

    template_fields: Sequence[str] = (*_FivetranWaitSensor.template_fields, "connect_card_uri", "listed")
    # The base class's links are inferred as one link's tuple; this sensor shows two.
    operator_extra_links = (FivetranConnectionLink(), FivetranConnectCardLink())  # type: ignore[assignment]

    def __init__(
        self,
        *,
        retest_on_poke: bool = False,
        wait_for_connect_card: bool = False,
        connect_card_uri: str | None = None,
        listed: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.retest_on_poke = retest_on_poke
        self.wait_for_connect_card = wait_for_connect_card
        self.connect_card_uri = connect_card_uri
        self.listed = listed

    def _prepare(self, context: Context) -> None:
        if self.connect_card_uri:
            FivetranConnectCardLink.persist(context, str(self.connect_card_uri))
            self.log.info("Open the Connect Card from this task's %r link", FivetranConnectCardLink.name)

    def execute_complete(self, context: Context, event: Any = None, connection_id: str | None = None) -> Any:
        self._prepare(context)  # the resumed task is a new instance: its link is set again
        return super().execute_complete(context, event, connection_id)

    @property
    def failures_are_final(self) -> bool:
        return not (self.retest_on_poke or self.wait_for_connect_card)

    def _listed_result(self) -> dict[str, Any] | None:
        from airflow_spotify_fivetran.decisions import setup_decision
        from airflow_spotify_fivetran.inventory import listed_connection
        from airflow_spotify_fivetran.summaries import setup_summary, setup_tests_table

        if self.listed is None:
            return None
        connection = listed_connection(self.listed)
        if connection is None or connection.id != self.resolve_connection_id():
            return None
        if not setup_decision(connection, failures_are_final=self.failures_are_final).done:
            return None
        self.log.info(
            "Setup tests of %s passed, as listed upstream (setup_state connected): no call\n%s",
            connection.id,
            setup_tests_table(connection.setup_tests or ()),
        )
        return setup_summary(connection)

    def _check(self) -> tuple[Decision, dict[str, Any]]:
        from airflow_spotify_fivetran.decisions import setup_decision
        from airflow_spotify_fivetran.summaries import setup_summary, setup_tests_table

        connection_id = self.resolve_connection_id()
        connection = self._saw(self.hook.get_connection_details(connection_id))
        decision = setup_decision(connection, failures_are_final=self.failures_are_final)
        if decision.verdict is Verdict.WAIT and self.retest_on_poke and self._retest_now:
            # Read first, re-test only when needed and due (decisions.retest_due_at_poke): a connected
            # connection costs one GET and no setup-test request (those have a rate limit of their own).
            connection = self.hook.run_setup_tests(connection_id)
            decision = setup_decision(connection, failures_are_final=self.failures_are_final)
        self.log.info(
            "Setup tests of %s:\n%s", connection_id, setup_tests_table(connection.setup_tests or ())
        )
        return decision, setup_summary(connection)

    def _trigger(self, end_time: datetime) -> BaseTrigger:
        from airflow_spotify_fivetran.triggers.fivetran import FivetranSetupTestsTrigger

        return FivetranSetupTestsTrigger(
            connection_id=self.resolve_connection_id(),
            fivetran_conn_id=self.fivetran_conn_id,
            poll_interval=self.poke_interval,
            end_time=end_time.isoformat(),
            retest=self.retest_on_poke,
            failures_are_final=self.failures_are_final,
            hook_params=self.hook_params,
            group_id=self._trigger_group_id,
            wait_started=self._wait_started.isoformat() if self._wait_started else None,
        )

    def _failure(self, message: str, event: dict[str, Any]) -> FivetranError:
        from airflow_spotify_fivetran.triggers.events import failed_tests_of, is_broken

        if is_broken(event):
            return FivetranConnectionBrokenError(f"Connection {self.connection_id}: {message}")
        return FivetranSetupTestsFailedError(
            str(self.connection_id),
            failed_tests_of(event),
            hint="Fix the credentials or the ad account access named above, then re-run this task "
            "(or set retest_on_poke=True to wait for the fix).",
        )

    def _on_done(self, context: Context, result: dict[str, Any]) -> None:
        if "schedule" in result:
            context["ti"].xcom_push(key=SCHEDULE_XCOM_KEY, value=result["schedule"])


class FivetranSyncSensor(_FivetranWaitSensor):
    """Wait until a sync of the connection completes after ``baseline``.

    Takes the setup sensor's ``connection_id`` (or ``group_id`` + ``schema``), ``deferrable``,
    ``poke_interval``, ``mode`` and ``hook_params``.

    :param baseline: only a completion (``succeeded_at`` or ``failed_at``) after this moment counts; an
        ISO-8601 string or datetime (templated: ``FivetranSyncOperator`` returns it). ``None``: the start of
        the DAG run, so a sync completing after the run began counts (stable across reschedules).
    :param fail_on_rescheduled: fail when Fivetran reschedules the sync instead of waiting for it.
    :param timeout: seconds before the wait fails (default 12 hours).
    :return: (XCom) ``{"connection_id", "sync_state", "succeeded_at", "failed_at", "baseline"}``.
    """

    template_fields: Sequence[str] = ("connection_id", "group_id", "schema", "fivetran_conn_id", "baseline")

    def __init__(
        self,
        *,
        baseline: str | datetime | None = None,
        fail_on_rescheduled: bool = False,
        timeout: float = 12 * 60 * 60,
        **kwargs: Any,
    ) -> None:
        super().__init__(timeout=timeout, **kwargs)
        self.baseline = baseline
        self.fail_on_rescheduled = fail_on_rescheduled

    def _prepare(self, context: Context) -> None:
        # "None" is what Jinja renders for a None XCom: the upstream sync operator's baseline of a
        # connection that never synced. Any completion after the DAG run started is then the one.
        if self.baseline is None or (
            isinstance(self.baseline, str) and self.baseline.strip() in ("", "None")
        ):
            dag_run = context.get("dag_run")
            started = getattr(dag_run, "start_date", None) or datetime.now(UTC)
            self.baseline = started.isoformat()
        self._baseline()  # a garbled baseline fails here, before any call

    def _baseline(self) -> datetime | None:
        """The baseline as an aware datetime (a naive one is read as UTC, as Fivetran's times are)."""
        value = self.baseline
        if isinstance(value, str) and value:
            try:
                return parse_utc(value)
            except ValueError:
                raise FivetranInputError(
                    [
                        InputProblem(
                            "baseline", "is not an ISO-8601 time such as 2026-01-01T00:00:00+00:00", value
                        )
                    ],
                    what="sync sensor input",
                ) from None
        return as_utc(value) if isinstance(value, datetime) else None

    def _check(self) -> tuple[Decision, dict[str, Any]]:
        from airflow_spotify_fivetran.decisions import sync_decision
        from airflow_spotify_fivetran.summaries import sync_summary

        baseline = self._baseline()
        connection = self._saw(self.hook.get_connection_details(self.resolve_connection_id()))
        decision = sync_decision(connection, baseline=baseline, fail_on_rescheduled=self.fail_on_rescheduled)
        # The same keys as the trigger's result, so the XCom does not depend on how the task waited.
        return decision, {**sync_summary(connection), "baseline": baseline.isoformat() if baseline else None}

    def _trigger(self, end_time: datetime) -> BaseTrigger:
        from airflow_spotify_fivetran.triggers.fivetran import FivetranSyncTrigger

        baseline = self._baseline()
        return FivetranSyncTrigger(
            connection_id=self.resolve_connection_id(),
            fivetran_conn_id=self.fivetran_conn_id,
            poll_interval=self.poke_interval,
            end_time=end_time.isoformat(),
            baseline=baseline.isoformat() if baseline else None,
            fail_on_rescheduled=self.fail_on_rescheduled,
            hook_params=self.hook_params,
            group_id=self._trigger_group_id,
        )

    def _failure(self, message: str, event: dict[str, Any]) -> FivetranError:
        return FivetranSyncFailedError(f"Connection {self.connection_id}: {message}")

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage:
        """OpenLineage (called by its provider, when installed and enabled, after the sync was seen): the
        Spotify Ads ad accounts' reports as inputs, their destination tables as outputs (``lineage``)."""
        from airflow_spotify_fivetran.lineage import operator_lineage

        return operator_lineage(self)
