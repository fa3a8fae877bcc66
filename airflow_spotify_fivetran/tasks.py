"""What every task of this provider shares, operators and sensors alike: a lazily built hook, the deferrable
default, the wait in the worker, and the resume after a trigger (its event read, the connection's link shown).

The hook module (``requests``, ``aiohttp``, ``tenacity``...) is imported on first use of ``hook`` inside
``execute``/``poke``, so a DAG file that imports our operators pays none of it at parse time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import conf

from airflow_spotify_fivetran.decisions import Verdict, next_pause, rate_limited
from airflow_spotify_fivetran.exceptions import (
    FivetranError,
    FivetranRateLimitError,
    FivetranWaitTimeoutError,
)

if TYPE_CHECKING:
    from airflow_spotify_fivetran.decisions import Decision
    from airflow_spotify_fivetran.hooks.fivetran import FivetranHook


def default_deferrable() -> bool:
    """Airflow's ``[operators] default_deferrable`` (false unless the deployment says otherwise)."""
    return conf.getboolean("operators", "default_deferrable", fallback=False)


class FivetranHookMixin:
    """Gives a task ``self.hook``, a ``FivetranHook`` built once per task run, closed once the task is done.

    Comes before ``BaseOperator`` in a task's bases: its ``post_execute`` closes the hook's HTTP session
    (if the run built one), then calls the next ``post_execute`` along the MRO.
    """

    fivetran_conn_id: str

    @cached_property
    def hook(self) -> FivetranHook:
        from airflow_spotify_fivetran.hooks.fivetran import FivetranHook

        return FivetranHook(self.fivetran_conn_id)

    def post_execute(self, context: Any, result: Any = None) -> None:
        # Only a hook this run built (cached_property stores it in the instance dict): reading
        # ``self.hook`` here would build one just to close it. Dropped too, so a later use builds anew.
        hook = self.__dict__.pop("hook", None)
        if hook is not None:
            hook.close()
        super().post_execute(context, result)  # type: ignore[misc]


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
    connection_id: str,
    on_failure: Callable[[str, dict[str, Any]], Exception],
    log: Any,
) -> dict[str, Any]:
    """What a deferred task does with its trigger's event: validate it, show the connection's link, then
    return the task's result or raise.

    The link is pushed again here because ``execute_complete`` runs on a new operator instance: the one
    that pushed it before deferring is gone, and Airflow pushes ``get_link()`` of this one when the task
    ends (see ``links``).

    :param on_failure: builds the exception of a ``failed`` event from its message and payload.
    :return: ``{"connection_id", **result}`` of a ``success`` event.
    """
    from airflow_spotify_fivetran.links import FivetranConnectionLink, dashboard_url
    from airflow_spotify_fivetran.triggers.events import ERROR, SUCCESS, TIMEOUT, read_event

    payload = read_event(event, expected_connection_id=connection_id)
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
