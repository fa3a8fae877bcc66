"""What every task of this provider shares, operators and sensors alike: a lazily built hook (with the task's
``hook_params``), the connection a task drives (by id, or by group and schema), the deferrable default, the
wait in the worker, the deferral's end, and the resume after a trigger (its event read, the link shown).

The hook module (``requests``, ``aiohttp``, ``tenacity``...) is imported on first use of ``hook`` inside
``execute``/``poke``, so a DAG file that imports our operators pays none of it at parse time.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, NoReturn

from airflow.sdk import conf

from airflow_spotify_fivetran.call_settings import SETTING_KINDS, expected, positive_number
from airflow_spotify_fivetran.decisions import Verdict, next_pause, rate_limited
from airflow_spotify_fivetran.exceptions import (
    FivetranError,
    FivetranInputError,
    FivetranRateLimitError,
    FivetranWaitTimeoutError,
    InputProblem,
)
from airflow_spotify_fivetran.spend import API_CALLS_XCOM_KEY, ApiSpend

if TYPE_CHECKING:
    from airflow.triggers.base import BaseTrigger

    from airflow_spotify_fivetran.decisions import Decision
    from airflow_spotify_fivetran.hooks.fivetran import FivetranHook


def default_deferrable() -> bool:
    """Airflow's ``[operators] default_deferrable`` (false unless the deployment says otherwise)."""
    return conf.getboolean("operators", "default_deferrable", fallback=False)


def checked_hook_params(hook_params: Mapping[str, Any] | None) -> dict[str, Any]:
    """``hook_params`` as a plain dict, refused (``FivetranInputError`` naming each bad key) unless every key
    is one of ``call_settings.SETTING_KINDS`` and every value a JSON number greater than 0 (a whole one for
    ``max_attempts``). Checked when a task or trigger is built: a DAG file with a typo fails to parse, naming
    it, and a trigger carries only JSON. ``None`` values are dropped (the connection's extra or the default
    applies)."""
    if hook_params is None:
        return {}
    if not isinstance(hook_params, Mapping):
        raise FivetranInputError(
            [InputProblem("hook_params", f"must be a dict, got {type(hook_params).__name__}")],
            what="hook_params",
        )
    problems: list[InputProblem] = []
    checked: dict[str, Any] = {}
    for key, value in hook_params.items():
        kind = SETTING_KINDS.get(key)
        if kind is None:
            known = ", ".join(SETTING_KINDS)
            problems.append(InputProblem(f"hook_params.{key}", f"is not a hook setting (known: {known})"))
            continue
        if value is None:
            continue
        # JSON numbers only (not "10"): the params travel into the trigger's serialized record as they are.
        number = positive_number(value, kind) if isinstance(value, int | float) else None
        if number is None:
            problems.append(InputProblem(f"hook_params.{key}", f"must be {expected(kind)}, got {value!r}"))
            continue
        checked[key] = number
    if problems:
        raise FivetranInputError(problems, what="hook_params")
    return checked


class FivetranHookMixin:
    """Gives a task ``self.hook``, a ``FivetranHook`` built once per task run, and reports what the task spent.

    The hook gets the task's ``hook_params`` (``checked_hook_params``), which win over the Airflow
    connection's extras. Comes before ``BaseOperator`` in a task's bases.

    Every ``execute`` and ``execute_complete`` of a subclass is wrapped (``__init_subclass__``) so that, however
    it ends (a result, an error, a deferral, a reschedule), the task logs the Fivetran API calls it made in it
    (``spend.ApiSpend``: its hook's requests, those its trigger made while it was deferred, and those before it
    deferred), pushes them to XCom under ``spend.API_CALLS_XCOM_KEY``, and closes the hook's HTTP session. What
    was spent before a deferral travels in the deferral's kwargs; the trigger's own count in its event.
    """

    fivetran_conn_id: str
    hook_params: dict[str, Any]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in ("execute", "execute_complete"):
            method = cls.__dict__.get(name)
            if callable(method):
                setattr(cls, name, _reports_spend(method))

    @cached_property
    def hook(self) -> FivetranHook:
        from airflow_spotify_fivetran.hooks.fivetran import FivetranHook

        return FivetranHook(self.fivetran_conn_id, **getattr(self, "hook_params", {}))

    def defer(
        self,
        *,
        trigger: BaseTrigger,
        method_name: str,
        kwargs: dict[str, Any] | None = None,
        timeout: timedelta | int | float | None = None,
    ) -> NoReturn:
        """``BaseOperator.defer``, carrying what this try spent so far to the method that resumes it."""
        spent = self._spent().to_json()
        super().defer(  # type: ignore[misc]
            trigger=trigger,
            method_name=method_name,
            kwargs={**(kwargs or {}), SPENT_BEFORE: spent},
            timeout=timeout,
        )
        raise AssertionError("unreachable: defer raises TaskDeferred")  # pragma: no cover

    def _spent(self) -> ApiSpend:
        """This try's spend so far: carried over (before a deferral, by the trigger) plus the hook's."""
        spent = ApiSpend().add(self.__dict__.get("_carried_spend") or ApiSpend())
        # Only a hook this run built (``self.hook`` would build one); one a test or subclass put there may
        # count nothing.
        hook_spend = getattr(self.__dict__.get("hook"), "spend", None)
        if isinstance(hook_spend, ApiSpend):
            spent.add(hook_spend)
        return spent

    def _end_of_run(self, context: Any, outcome: str) -> None:
        """Log and push what the run spent, then close the hook (and drop it: a later use builds anew)."""
        spent = self._spent()
        log = getattr(self, "log", None)
        if log is not None:
            log.info("Spent %s%s", spent, outcome)
        ti = context.get("ti") if isinstance(context, Mapping) else None
        if ti is not None:
            try:
                ti.xcom_push(key=API_CALLS_XCOM_KEY, value=spent.to_json())
            except Exception as exc:  # a report: never the reason a task fails, nor hides why it did
                if log is not None:
                    log.warning("Could not push the API call count to XCom: %s", exc)
        close = getattr(self.__dict__.pop("hook", None), "close", None)
        if callable(close):
            close()


#: The deferral kwarg carrying what a try spent before it deferred (read back, and removed, on resume).
SPENT_BEFORE = "fivetran_api_calls_before"


def _reports_spend(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` (an ``execute`` or ``execute_complete``), reporting the spend when it ends (see
    ``FivetranHookMixin``). A subclass's method calling its base's is reported once, by the outermost."""

    @functools.wraps(method)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self.__dict__.get("_reporting_spend"):
            return method(self, *args, **kwargs)
        carried = ApiSpend.from_json(kwargs.pop(SPENT_BEFORE, None))
        event = kwargs.get("event")
        if isinstance(event, Mapping):
            carried.add(ApiSpend.from_json(event.get(API_CALLS_XCOM_KEY)))
        self.__dict__["_carried_spend"] = carried
        self.__dict__["_reporting_spend"] = True
        context = kwargs.get("context", args[0] if args else None)
        outcome = ""
        try:
            return method(self, *args, **kwargs)
        except BaseException as exc:
            outcome = _outcome(exc)
            raise
        finally:
            self.__dict__["_reporting_spend"] = False
            self._end_of_run(context, outcome)

    return run


def _outcome(exc: BaseException) -> str:
    """How a run that raised ``exc`` ended, as its spend's log line goes on."""
    from airflow.sdk.exceptions import AirflowRescheduleException, TaskDeferred

    if isinstance(exc, TaskDeferred):
        return " before deferring"
    if isinstance(exc, AirflowRescheduleException):
        return " before rescheduling"
    return " and failed"


def target_problems(connection_id: Any, group_id: Any, schema: Any) -> list[InputProblem]:
    """Why a task cannot tell which connection it drives: it takes ``connection_id``, or ``group_id`` and
    ``schema`` together (a connection this DAG did not create), never both ways at once."""
    by_id, by_schema = connection_id is not None, group_id is not None or schema is not None
    if by_id and by_schema:
        given = ", ".join(n for n, v in (("group_id", group_id), ("schema", schema)) if v is not None)
        return [
            InputProblem(
                "connection_id", f"give connection_id, or group_id and schema, not both ({given} given too)"
            )
        ]
    if not by_id and not by_schema:
        return [
            InputProblem("connection_id", "give connection_id, or group_id and schema to find the connection")
        ]
    if by_schema and group_id is None:
        return [
            InputProblem("group_id", f"is needed with schema {schema!r}: the group (destination) holding it")
        ]
    if by_schema and schema is None:
        return [InputProblem("schema", f"is needed with group_id {group_id!r}: the connection's schema name")]
    return []


class ConnectionTargetMixin(FivetranHookMixin):
    """A task driving one connection, named by ``connection_id`` or found by ``group_id`` + ``schema``.

    ``_target`` (in ``__init__``) checks that exactly one way is given; ``resolve_connection_id`` (in
    ``execute``, after templating) returns the id, finding it with one filtered list call
    (``FivetranHook.find_connection``) the first time, and keeping it on the task for the rest of the run.
    """

    connection_id: str | None
    group_id: str | None
    schema: str | None

    def _target(self, connection_id: str | None, group_id: str | None, schema: str | None) -> None:
        problems = target_problems(connection_id, group_id, schema)
        if problems:
            task_id = getattr(self, "task_id", "?")
            raise FivetranInputError(problems, what=f"connection of task {task_id!r}")
        self.connection_id, self.group_id, self.schema = connection_id, group_id, schema

    def find_connection_id(self) -> str | None:
        """The connection's id: ``connection_id`` as given, or the one found by group and schema (``None``
        when that group holds no connection with that schema)."""
        if self.connection_id is not None:
            return str(self.connection_id)
        group_id, schema = str(self.group_id), str(self.schema)
        found = self.hook.find_connection(group_id, schema)
        if found is None:
            return None
        self.log.info("Connection with schema %r in group %s: %s", schema, group_id, found.id)  # type: ignore[attr-defined]
        self.connection_id = found.id
        return found.id

    def resolve_connection_id(self) -> str:
        """``find_connection_id``, or ``FivetranInputError`` naming the group and schema that matched none."""
        found = self.find_connection_id()
        if found is None:
            raise FivetranInputError(
                [
                    InputProblem(
                        "schema",
                        f"group {self.group_id!r} holds no connection with schema {self.schema!r} (check both, "
                        "or create the connection first)",
                        self.schema,
                    )
                ],
                what=f"connection of task {getattr(self, 'task_id', '?')!r}",
            )
        return found


def deferral_end(context: Any, *, timeout: float, execution_timeout: timedelta | None) -> datetime:
    """When a deferred wait ends: ``timeout`` seconds from now, or the end of the task's
    ``execution_timeout`` (counted from the try's start, as Airflow counts it) if that comes first."""
    now = datetime.now(UTC)
    end = now + timedelta(seconds=timeout)
    if execution_timeout is not None:
        started = getattr(context.get("ti"), "start_date", None)
        started = started if isinstance(started, datetime) and started.tzinfo else now
        end = min(end, started + execution_timeout)
    return end


def look(check: Callable[[], tuple[Decision, dict[str, Any]]]) -> tuple[Decision, dict[str, Any]]:
    """One look of a wait, in the worker: ``check()``, or "keep waiting" when Fivetran's rate limit
    refused it (``decisions.rate_limited``), as the triggers decide too."""
    try:
        return check()
    except FivetranRateLimitError as exc:
        return rate_limited(exc.retry_after, str(exc)), {}


def wait_in_worker(
    check: Callable[[], tuple[Decision, dict[str, Any]]],
    *,
    poll_interval: float,
    timeout: float,
    log: Any,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[Decision, dict[str, Any]]:
    """Poll ``check`` until its decision is not "wait" (for operators that wait without deferring).

    ``sleep`` and ``clock`` (seconds, monotonic) are the wall clock's unless a test drives time itself.
    """
    deadline = clock() + timeout
    while True:
        decision, result = look(check)
        if decision.verdict is not Verdict.WAIT:
            return decision, result
        log.info("%s", decision.reason)
        pause = next_pause(decision, poll_interval)
        if clock() + pause > deadline:
            raise FivetranWaitTimeoutError(
                f"gave up waiting for {what} after {timeout:g} s: {decision.reason}"
            )
        sleep(pause)


def resume(
    context: Any,
    event: Any,
    *,
    connection_id: str | None,
    on_failure: Callable[[str, dict[str, Any]], Exception],
    log: Any,
) -> dict[str, Any]:
    """What a deferred task does with its trigger's event: validate it, show the connection's link, then
    return the task's result or raise.

    The link is pushed again here because ``execute_complete`` runs on a new operator instance: the one
    that pushed it before deferring is gone, and Airflow pushes ``get_link()`` of this one when the task
    ends (see ``links``).

    :param connection_id: the connection the task waited for; ``None`` when it was found by group and schema
        and is not known here: the event's then (an event naming no connection is refused).
    :param on_failure: builds the exception of a ``failed`` event from its message and payload.
    :return: ``{"connection_id", **result}`` of a ``success`` event.
    """
    from airflow_spotify_fivetran.links import FivetranConnectionLink, dashboard_url
    from airflow_spotify_fivetran.triggers.events import ERROR, SUCCESS, TIMEOUT, read_event

    payload = read_event(event, expected_connection_id=connection_id)
    if connection_id is None:
        connection_id = payload.get("connection_id")
        if not isinstance(connection_id, str) or not connection_id:
            raise FivetranError("the trigger's event names no connection")
    FivetranConnectionLink.persist(context, dashboard_url(connection_id))
    status, message = payload["status"], payload.get("message")
    if status == SUCCESS:
        log.info("%s", message)
        return {"connection_id": connection_id, **(payload.get("result") or {})}
    if status == TIMEOUT:
        raise FivetranWaitTimeoutError(message or "the wait timed out")
    if status == ERROR:
        raise FivetranError(f"waiting for connection {connection_id} failed: {message}")
    raise on_failure(str(message), payload)
