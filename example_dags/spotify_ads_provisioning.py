"""Provision one Fivetran Spotify Ads connection: create it, wait for its setup tests, schedule it, unpause.

Re-running the DAG changes nothing: the create task finds the connection by group and schema and adopts
it; the wait sees it connected; the schedule task sees the schedule already right and sends nothing.

Set-up:
- Airflow connection ``fivetran_default`` (type ``fivetran``): login = Fivetran API key, password = API
  secret. For the embedded simulator, ``fivetran-simulator`` prints it.
- Airflow connection ``spotify_ads_credentials``: login = Spotify Ad Studio client id, password = client
  secret, extra ``{"refresh_token": "..."}``. Secrets live there, never in this file.
- Params (trigger form or ``--conf``): the Fivetran group (destination), the schema, the ad accounts and
  the daily sync hour.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import DAG, Param, task

from airflow_spotify_fivetran.operators import FivetranCreateConnectionOperator, FivetranSetScheduleOperator
from airflow_spotify_fivetran.sensors import FivetranSetupTestsSensor

#: The embedded simulator's group and demo ad accounts (``fivetran_simulator.defaults``; a test checks they
#: match), so the first click on "Trigger" works against ``fivetran-simulator``.
DEMO_GROUP_ID = "demo_warehouse"
DEMO_ACCOUNTS = ("demo-ad-account-1", "demo-ad-account-2")
#: Daily (minutes): the schedule task sets it, and the first task checks the daily hour with it.
SYNC_FREQUENCY = 1440
#: Fivetran's daily sync runs on a whole hour: the trigger form offers the 24 of them.
WHOLE_HOURS = [f"{hour:02d}:00" for hour in range(24)]
SCHEMA_PATTERN = "^[a-z_][a-z0-9_]{0,62}$"
SCHEMA_RULE = (
    "Destination schema the connection writes to, fixed once created: lowercase letters, digits and "
    "underscores, not starting with a digit, at most 63 characters. A re-run finds the connection by it."
)
TIME_ZONE_PATTERN = "^(UTC|[A-Z][A-Za-z_]+(/[A-Za-z0-9_+-]+){1,2})$"
TIME_ZONE_RULE = (
    "IANA time zone of daily_sync_time, such as UTC or Europe/Berlin. A zone whose offset is not a whole "
    "number of hours (Asia/Kolkata) is refused by the first task: Fivetran stores a whole UTC hour."
)

#: The seed request's shape; values come from params, secrets from the Airflow connection.
CONNECTION = {
    "group_id": "{{ params.group_id }}",
    "service": "spotify_ads",
    "paused": True,  # created paused: no sync before it is tested and scheduled
    "run_setup_tests": True,
    "sync_frequency": SYNC_FREQUENCY,
    "config": {
        "schema": "{{ params.schema }}",
        "sync_mode": "SPECIFIC_ACCOUNTS",
        "accounts": "{{ params.accounts }}",
        "timeframe_months": "TWELVE",
        "report_list": [
            {
                "table": "campaign_daily",
                "dimension": "CAMPAIGN",
                "granularity": "DAY",
                "fields": ["IMPRESSIONS", "CLICKS", "SPEND", "REACH"],
            },
            {
                "table": "ad_hourly",
                "dimension": "AD",
                "granularity": "HOUR",
                "fields": ["IMPRESSIONS", "STREAMS", "LISTENERS"],
            },
        ],
    },
}


with DAG(
    dag_id="spotify_ads_provisioning",
    description="Create, test, schedule and unpause a Fivetran Spotify Ads connection",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    # Every step is safe to repeat (the create adopts what an earlier try created), so a lost worker costs
    # a retry, not a half-provisioned connection.
    default_args={
        "retries": int(os.environ.get("SPOTIFY_ADS_RETRIES", "2")),
        "retry_delay": timedelta(seconds=float(os.environ.get("SPOTIFY_ADS_RETRY_DELAY", "60"))),
    },
    render_template_as_native_obj=True,  # lists and numbers from params stay lists and numbers
    tags=["fivetran", "spotify_ads", "example"],
    params={
        "group_id": Param(
            DEMO_GROUP_ID,
            type="string",
            minLength=1,
            description="Fivetran group (destination) id; the default is the embedded simulator's group",
        ),
        "schema": Param(
            "spotify_ads",
            type="string",
            pattern=SCHEMA_PATTERN,
            description=SCHEMA_RULE,
        ),
        "accounts": Param(
            list(DEMO_ACCOUNTS),
            type="array",
            minItems=1,
            items={"type": "string", "minLength": 1},
            description=(
                "Spotify ad account ids to sync, at least one (the connection syncs only these); the "
                "defaults are the embedded simulator's demo accounts"
            ),
        ),
        "daily_sync_time": Param(
            "06:00",
            type="string",
            enum=WHOLE_HOURS,
            description="Hour of the daily sync, local to time_zone: Fivetran syncs daily on whole hours",
        ),
        "time_zone": Param("UTC", type="string", pattern=TIME_ZONE_PATTERN, description=TIME_ZONE_RULE),
        "spotify_conn_id": Param(
            "spotify_ads_credentials",
            type="string",
            minLength=1,
            description=(
                "Airflow connection holding the Spotify client id (login), client secret (password) and "
                "refresh_token (extra)"
            ),
        ),
    },
) as dag:

    @task(task_id="check_inputs", retries=0)  # a wrong input does not fix itself
    def check_inputs(connection: dict[str, Any], daily_sync_time: str, time_zone: str) -> None:
        """Every input checked by the package's models before anything is created; a bad one fails here,
        naming its field."""
        from airflow_spotify_fivetran.models import NewSpotifyAdsConnection, to_fivetran_daily_sync_time

        utc_hour = to_fivetran_daily_sync_time(daily_sync_time, time_zone)
        daily = {"sync_frequency": SYNC_FREQUENCY, "daily_sync_time": utc_hour}
        NewSpotifyAdsConnection.from_api_dict({**connection, **daily})

    checked = check_inputs(CONNECTION, "{{ params.daily_sync_time }}", "{{ params.time_zone }}")

    create = FivetranCreateConnectionOperator(
        task_id="create_connection",
        connection=CONNECTION,
        spotify_conn_id="{{ params.spotify_conn_id }}",
        # `paused` is only how the connection starts; the last task owns it from then on.
        ignore_drift_in=["paused"],
        on_drift="update",
    )

    wait = FivetranSetupTestsSensor(
        task_id="wait_for_setup_tests",
        connection_id=create.output,
        retest_on_poke=True,  # ad account access granted after creation still counts
        deferrable=True,
        # Seconds between checks; the demo shortens it through the environment.
        poke_interval=float(os.environ.get("SPOTIFY_ADS_POKE_INTERVAL", "30")),
        timeout=60 * 60,
    )

    schedule = FivetranSetScheduleOperator(
        task_id="schedule_and_unpause",
        connection_id=create.output,
        sync_frequency=SYNC_FREQUENCY,
        daily_sync_time="{{ params.daily_sync_time }}",
        time_zone="{{ params.time_zone }}",
        paused=False,
        current_schedule=wait.output["schedule"],  # as the wait just read it: saves a call
    )

    checked >> create >> wait >> schedule
