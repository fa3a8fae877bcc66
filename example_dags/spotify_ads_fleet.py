"""Provision a fleet of Fivetran Spotify Ads connections, one per ad account or team, from a YAML spec.

The spec (``spotify_ads_fleet.yaml`` next to this file; the ``spec_path`` param names another) lists the
connections: a ``defaults`` block, then one entry per connection that overrides it, in the shape of
Fivetran's create request. Secrets never go in the spec: each entry names an Airflow connection
(``spotify_conn_id``) that holds its Spotify credentials. See ``airflow_spotify_fivetran.fleet`` for the format.

Tasks:

1. ``validate_spec`` reads the spec and validates all of it before any call to Fivetran: every entry's
   create request and schedule, unique names, unique schemas per group, and that each named Airflow
   connection exists with a client id, client secret and refresh token. A bad spec fails this task with
   every problem listed by entry and field (``connections[3] (podcasts): config.accounts: ...``); nothing is
   created and Fivetran is not called. A valid spec is followed by one read of each group the spec names
   (``airflow_spotify_fivetran.inventory``: all its connections, 1,000 a page), and each entry is handed its
   *listed state*: its connection as that read saw it, or "absent".
2. ``provision`` is a task group mapped over the entries (``.expand_kwargs``): one instance per
   connection, each running

   - ``create_connection``: creates the connection paused when it is listed absent, or adopts the listed
     one (so a re-run creates nothing), sending a PATCH only for drift; a connection another writer created
     since the read is adopted too (the create's ``409 Conflict``);
   - ``wait_for_setup_tests`` (deferrable): done at once when the listed state says ``connected``; otherwise
     waits in the triggerer until the setup tests pass, re-running them, so ad account access granted after
     creation still counts;
   - ``schedule_and_unpause``: sets the entry's schedule and unpauses, comparing with the schedule the wait
     saw and sending only what differs.

   Each instance depends only on its own tasks: an entry that fails (a group that does not exist, tests that
   never pass) stops only its own instance; every other entry is still created, tested and scheduled.
3. ``report_api_calls`` (a teardown: it runs whatever the entries' outcomes, and does not change the run's
   state) adds up the Fivetran API calls every task of the
   run made, retries included (each task logs its own and pushes it as the XCom ``api_calls``; a deferred
   wait's include its trigger's), logs the total and returns it.

API calls: what a run costs grows with the number of groups and of changes, not of connections. Reading the
groups costs ``ceil(connections in the group / 1000)`` list calls per group. An entry whose connection exists
as the spec says and is ``connected`` costs nothing more: the create adopts it as listed, the wait ends on the
listed state, and the schedule task finds nothing to change. So an unchanged re-run of N connections in one
group costs ``ceil(N/1000)`` calls (one for up to 1,000) and writes nothing. A new entry costs its create, the
wait's checks and its schedule's PATCH; a drifted one its PATCH; a retried task looks its connection up again.

Rate limits and parallelism: at most ``FLEET_PARALLELISM`` instances of each task that writes (create,
schedule) run at once (``max_active_tis_per_dag``), and ``max_active_runs=1`` keeps two runs from racing to
create the same connection. The wait has no such cap on purpose: Airflow counts a *deferred* task instance as
active, so a cap on the wait would let a few entries whose access never arrives hold every slot while the
healthy entries queue behind them. A deferred wait holds no worker slot and few API calls: the waits of one
group share one list poll per ``poke_interval`` in the triggerer, and their re-tests of the setup tests come
at doubling gaps (up to 10 minutes) within a per-triggerer budget below Fivetran's setup-test limits (250 a
minute, 2,500 an hour); a 429 that still comes is waited out within the wait's timeout. To share one budget
between several DAGs, give the writing tasks an Airflow pool (``pool="fivetran"``) as well.

Retries: every task is retried (``RETRIES`` times, ``RETRY_DELAY`` apart). That is safe because each step
finds what an earlier try did before it writes: a retried create looks the connection up afresh instead of
trusting the listed state (its first try may have created it), and adopts it instead of creating a second one, the wait only reads and re-tests, and the schedule task sends only what
differs. A worker lost mid-task then costs a retry, not a half-provisioned connection.

Nothing happens at parse time: this file reads no spec and calls no API; the hook, the spec loader and the
group reader are imported inside the tasks.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import DAG, Param, task, task_group, teardown

from airflow_spotify_fivetran.operators import FivetranCreateConnectionOperator, FivetranSetScheduleOperator
from airflow_spotify_fivetran.sensors import FivetranSetupTestsSensor

#: The Airflow connection to Fivetran of every task, and of the read of the groups their listed states come from.
FIVETRAN_CONN_ID = "fivetran_default"
#: The spec shipped next to this file; ``spec_path`` may name another (relative paths start here).
SPEC_FILE = "spotify_ads_fleet.yaml"
#: At most this many instances of each writing task (create, schedule) run at once.
FLEET_PARALLELISM = 4
#: Every task is retried: each step is safe to repeat (see the module's docstring).
RETRIES = int(os.environ.get("SPOTIFY_ADS_RETRIES", "2"))
RETRY_DELAY = timedelta(seconds=float(os.environ.get("SPOTIFY_ADS_RETRY_DELAY", "60")))


#: validate_spec's XCom key of the entries' names, in the plan's order: a small list for the labels below,
#: where the plan itself (each entry with its listed state) is kilobytes an entry.
ENTRY_NAMES_XCOM_KEY = "entry_names"
#: How each mapped task instance is labelled in the UI: its entry's name in the spec, the same on all three
#: tasks (instance i of each task is entry i of validate_spec's plan).
ENTRY_NAME = f"{{{{ ti.xcom_pull(task_ids='validate_spec', key='{ENTRY_NAMES_XCOM_KEY}')[ti.map_index] }}}}"

#: The tasks whose Fivetran API calls a run adds up (every map index of the mapped ones).
COUNTED_TASKS = (
    "validate_spec",
    "provision.create_connection",
    "provision.wait_for_setup_tests",
    "provision.schedule_and_unpause",
)

#: The schedule task's arguments an entry may set (see ``airflow_spotify_fivetran.fleet``).
SCHEDULE_KEYS = ("sync_frequency", "daily_sync_time", "time_zone", "schedule_type", "paused")


def provision_kwargs(entry: dict[str, Any]) -> dict[str, Any]:
    """The arguments of one ``provision`` group instance, from one validated entry of the spec."""
    schedule = entry["schedule"]
    return {
        "connection": entry["connection"],
        "spotify_conn_id": entry["spotify_conn_id"],
        "listed": entry.get("listed"),
        **{key: schedule.get(key) for key in SCHEDULE_KEYS},
    }


with DAG(
    dag_id="spotify_ads_fleet",
    description="Create, test, schedule and unpause many Fivetran Spotify Ads connections from a YAML spec",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": RETRIES, "retry_delay": RETRY_DELAY},
    tags=["fivetran", "spotify_ads", "fleet", "example"],
    params={
        "spec_path": Param(
            SPEC_FILE,
            type="string",
            description="Fleet spec (YAML); a relative path is read from this DAG's folder",
        ),
    },
) as dag:

    @task(task_id="validate_spec")
    def validate_spec(params: dict[str, Any] | None = None, ti: Any = None) -> list[dict[str, Any]]:
        """Read and validate the whole spec, then read each of its groups once; return one JSON entry per
        connection with its listed state (no secrets)."""
        from airflow_spotify_fivetran.fleet import load_fleet_spec, log_plan, plan_fleet
        from airflow_spotify_fivetran.hooks.credentials import spotify_auth_from_connection
        from airflow_spotify_fivetran.hooks.fivetran import FivetranHook
        from airflow_spotify_fivetran.inventory import listed_state, read_groups
        from airflow_spotify_fivetran.spend import API_CALLS_XCOM_KEY

        path = Path(str((params or {}).get("spec_path") or SPEC_FILE))
        if not path.is_absolute():
            path = Path(__file__).resolve().parent / path

        def check_connection(conn_id: str) -> None:
            spotify_auth_from_connection(conn_id)  # raises without revealing any value

        entries = plan_fleet(load_fleet_spec(path), check_connection=check_connection)
        log_plan(entries, str(path))
        if ti is not None:
            ti.xcom_push(key=ENTRY_NAMES_XCOM_KEY, value=[entry.name for entry in entries])
        hook = FivetranHook(FIVETRAN_CONN_ID)
        try:
            groups = read_groups(hook, (entry.group_id for entry in entries))
        finally:
            hook.close()
            logging.getLogger(__name__).info("Spent %s", hook.spend)
            if ti is not None:
                ti.xcom_push(key=API_CALLS_XCOM_KEY, value=hook.spend.to_json())
        planned = []
        for entry in entries:
            # A group Fivetran does not know has no listed state: its create finds out, and fails alone.
            group = groups.get(entry.group_id)
            listed = None if group is None else listed_state(group.get(entry.schema))
            planned.append({**entry.to_dict(), "listed": listed})
        existing = sum(1 for e in planned if e["listed"] and e["listed"]["connection"] is not None)
        logging.getLogger(__name__).info(
            "Read %d group(s) once each: %d of %d connections exist, %d to create (or look up)",
            len(groups),
            existing,
            len(planned),
            len(planned) - existing,
        )
        return planned

    @task_group(group_id="provision")
    def provision(
        connection: Any,
        spotify_conn_id: Any,
        listed: Any,
        sync_frequency: Any,
        daily_sync_time: Any,
        time_zone: Any,
        schedule_type: Any,
        paused: Any,
    ) -> None:
        """One connection: create (or adopt), wait for its setup tests, schedule. One instance per entry,
        so an entry that fails stops only its own tasks."""
        create = FivetranCreateConnectionOperator(
            task_id="create_connection",
            connection=connection,
            spotify_conn_id=spotify_conn_id,
            listed=listed,  # as validate_spec read the group: no lookup of its own
            fivetran_conn_id=FIVETRAN_CONN_ID,
            # `paused` is only how a connection starts; the schedule task owns it from then on.
            ignore_drift_in=["paused"],
            on_drift="update",
            max_active_tis_per_dag=FLEET_PARALLELISM,
            map_index_template=ENTRY_NAME,
        )
        connection_id: Any = create.output  # the connection's id, pulled from XCom when a task runs
        wait = FivetranSetupTestsSensor(
            task_id="wait_for_setup_tests",
            connection_id=connection_id,
            listed=listed,  # connected as listed: done without a call
            fivetran_conn_id=FIVETRAN_CONN_ID,
            retest_on_poke=True,  # ad account access granted after creation still counts
            deferrable=True,
            poke_interval=float(os.environ.get("SPOTIFY_ADS_POKE_INTERVAL", "30")),
            timeout=60 * 60,
            # No max_active_tis_per_dag: a deferred wait would hold its slot (see the module's docstring).
            map_index_template=ENTRY_NAME,
        )
        setup: Any = wait.output  # the wait's result, holding the schedule it saw
        FivetranSetScheduleOperator(
            task_id="schedule_and_unpause",
            connection_id=connection_id,
            sync_frequency=sync_frequency,
            daily_sync_time=daily_sync_time,
            time_zone=time_zone,
            schedule_type=schedule_type,
            paused=paused,
            current_schedule=setup["schedule"],  # as the wait saw it: saves a call
            fivetran_conn_id=FIVETRAN_CONN_ID,
            max_active_tis_per_dag=FLEET_PARALLELISM,
            map_index_template=ENTRY_NAME,
        )

    # A teardown: it runs whatever the entries' outcomes, and its own does not decide the run's state.
    @teardown
    @task(task_id="report_api_calls")
    def report_api_calls(ti: Any = None) -> dict[str, int]:
        """The run's Fivetran API calls: every task's count (XCom ``api_calls``), added up and logged."""
        from airflow_spotify_fivetran.spend import API_CALLS_XCOM_KEY, total

        spent = total(ti.xcom_pull(task_ids=list(COUNTED_TASKS), key=API_CALLS_XCOM_KEY) or [])
        logging.getLogger(__name__).info("This run of the fleet spent %s in all", spent)
        return spent.to_json()

    entries = validate_spec()
    provision.expand_kwargs(entries.map(provision_kwargs)) >> report_api_calls()
