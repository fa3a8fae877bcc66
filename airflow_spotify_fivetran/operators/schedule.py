"""``FivetranSetScheduleOperator``: set when a connection syncs, sending only what changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_spotify_fivetran.constants import DEFAULT_CONN_ID
from airflow_spotify_fivetran.exceptions import FivetranInputError, InputProblem
from airflow_spotify_fivetran.links import FivetranConnectionLink, dashboard_url
from airflow_spotify_fivetran.tasks import ConnectionTargetMixin, checked_hook_params

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_spotify_fivetran.models import Schedule


def desired_schedule(
    *,
    sync_frequency: int | str | None,
    daily_sync_time: str | dt.time | None,
    time_zone: str | None,
    schedule_type: str | None,
    paused: bool | None,
) -> Schedule:
    """Validate the schedule a task asks for, before any call; raises ``FivetranInputError`` naming the field.

    ``daily_sync_time`` is converted from ``time_zone`` to the UTC hour Fivetran stores. Whether Fivetran
    keeps it depends on the connection's frequency (the rule is
    :func:`~airflow_spotify_fivetran.models.daily_sync_time_problem`): ``schedule_changes`` decides once the
    connection is known. Only a task asking for a daily hour beside another frequency is refused here, by
    the ``Schedule`` model, as it contradicts itself.
    """
    from airflow_spotify_fivetran.models import Schedule
    from airflow_spotify_fivetran.models.schedule import SCHEDULE_FIELDS, to_fivetran_daily_sync_time

    values = {
        "sync_frequency": sync_frequency,
        "daily_sync_time": (
            to_fivetran_daily_sync_time(daily_sync_time, time_zone) if daily_sync_time is not None else None
        ),
        "schedule_type": schedule_type,
        "paused": paused,
    }
    given = {key: value for key, value in values.items() if value is not None}
    if not given:
        raise FivetranInputError(
            [InputProblem("", "give at least one of " + ", ".join(SCHEDULE_FIELDS))], what="schedule"
        )
    return Schedule.from_api_dict(given)


class FivetranSetScheduleOperator(ConnectionTargetMixin, BaseOperator):
    """Set a connection's schedule: ``sync_frequency``, ``daily_sync_time``, ``schedule_type``, ``paused``.

    Only what differs from the connection's current schedule is sent, in one PATCH; when nothing differs
    no change is sent at all. The schedule is validated before any call. A ``daily_sync_time`` alone is
    enough for a connection that already syncs daily (every 1440 minutes); for one that does not, give
    ``sync_frequency=1440`` too, or the task fails before the PATCH (Fivetran would accept the hour and drop
    it; the rule is ``models.daily_sync_time_problem``).

    :param connection_id: the Fivetran connection id (templated); or give ``group_id`` and ``schema``.
    :param group_id: with ``schema``: find the connection by its schema in this group (templated), with one
        filtered list call, for a connection this DAG did not create.
    :param schema: the connection's schema name (templated), with ``group_id``.
    :param sync_frequency: minutes between syncs: 1, 5, 15, 30, 60, 120, 180, 360, 480, 720 or 1440.
    :param daily_sync_time: the daily sync hour: ``"14:00"`` or ``datetime.time(14)``; Fivetran stores UTC.
    :param time_zone: IANA zone of ``daily_sync_time`` (e.g. ``"Europe/Berlin"``), converted to the UTC hour
        (refused where the zone's offset is not a whole hour).
    :param schedule_type: ``auto`` or ``manual``.
    :param paused: pause (True) or unpause (False) the connection.
    :param current_schedule: the schedule as an upstream task just read it (the setup sensor pushes it
        under the XCom key ``schedule``); saves the read of the connection. ``None``: read it now.
    :param hook_params: the hook's settings for this task: ``connect_timeout``, ``read_timeout``,
        ``call_timeout`` (seconds), ``max_attempts``; they win over the connection's extras.
    :return: (XCom) the resulting schedule ``{"sync_frequency", "daily_sync_time", "schedule_type", "paused"}``.
    """

    template_fields: Sequence[str] = (
        "connection_id",
        "group_id",
        "schema",
        "sync_frequency",
        "daily_sync_time",
        "time_zone",
        "schedule_type",
        "paused",
        "current_schedule",
        "fivetran_conn_id",
    )
    operator_extra_links = (FivetranConnectionLink(),)

    def __init__(
        self,
        *,
        connection_id: str | None = None,
        group_id: str | None = None,
        schema: str | None = None,
        sync_frequency: int | str | None = None,
        daily_sync_time: str | dt.time | None = None,
        time_zone: str | None = None,
        schedule_type: str | None = None,
        paused: bool | None = None,
        current_schedule: Mapping[str, Any] | None = None,
        fivetran_conn_id: str = DEFAULT_CONN_ID,
        hook_params: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._target(connection_id, group_id, schema)
        self.sync_frequency = sync_frequency
        self.daily_sync_time = daily_sync_time
        self.time_zone = time_zone
        self.schedule_type = schedule_type
        self.paused = paused
        self.current_schedule = current_schedule
        self.fivetran_conn_id = fivetran_conn_id
        self.hook_params = checked_hook_params(hook_params)

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_spotify_fivetran.models import Schedule, schedule_changes
        from airflow_spotify_fivetran.models.schedule import SCHEDULE_FIELDS
        from airflow_spotify_fivetran.summaries import schedule_summary

        desired = desired_schedule(
            sync_frequency=self.sync_frequency,
            daily_sync_time=self.daily_sync_time,
            time_zone=self.time_zone,
            schedule_type=self.schedule_type,
            paused=self.paused,
        )
        connection_id = self.resolve_connection_id()
        FivetranConnectionLink.persist(context, dashboard_url(connection_id))
        if isinstance(self.current_schedule, Mapping) and self.current_schedule:
            current: dict[str, Any] = {key: self.current_schedule.get(key) for key in SCHEDULE_FIELDS}
            self.log.info("Current schedule (as read upstream): %s", current)
        else:
            current = schedule_summary(self.hook.get_connection_details(connection_id))
        patch = schedule_changes(desired, Schedule.model_construct(**current))
        if not patch:
            self.log.info("Schedule of %s is already as asked: nothing to change", connection_id)
            return current
        updated = self.hook.modify_connection(connection_id, patch)
        result = schedule_summary(updated)
        self.log.info("Schedule of %s set (%s): now %s", connection_id, ", ".join(sorted(patch)), result)
        return result
