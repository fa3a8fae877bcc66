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

import pendulum
from airflow.sdk import DAG, Param

from airflow_spotify_fivetran.operators import FivetranCreateConnectionOperator, FivetranSetScheduleOperator
from airflow_spotify_fivetran.sensors import FivetranSetupTestsSensor

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
        "group_id": Param("group_demo", type="string", description="Fivetran group (destination) id"),
        "schema": Param("spotify_ads", type="string", pattern="^[a-z_][a-z0-9_]*$"),
        "accounts": Param(["act-demo-1", "act-demo-2"], type="array", description="Spotify ad account ids"),
        "daily_sync_time": Param("06:00", type="string", description="Daily sync hour, HH:00"),
        "time_zone": Param("UTC", type="string", description="IANA time zone of daily_sync_time"),
        "spotify_conn_id": Param("spotify_ads_credentials", type="string"),
    },
) as dag:
    create = FivetranCreateConnectionOperator(
        task_id="create_connection",
        # The seed request's shape; values come from params, secrets from the Airflow connection.
        connection={
            "group_id": "{{ params.group_id }}",
            "service": "spotify_ads",
            "paused": True,  # created paused: no sync before it is tested and scheduled
            "run_setup_tests": True,
            "sync_frequency": 1440,
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
        },
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
        sync_frequency=1440,
        daily_sync_time="{{ params.daily_sync_time }}",
        time_zone="{{ params.time_zone }}",
        paused=False,
        current_schedule=wait.output["schedule"],  # as the wait just read it: saves a call
    )

    create >> wait >> schedule
