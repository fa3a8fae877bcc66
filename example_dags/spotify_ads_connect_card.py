"""Provision a Spotify Ads connection that a person authorises in the browser (Fivetran Connect Card).

For teams whose Spotify credentials never reach Airflow: the connection is created without ``auth``, the
Connect Card's URI is published (task XCom and the "Fivetran Connect Card" link of the task), and the
setup sensor waits, deferred, until the person has finished the card and the setup tests pass. Then the
schedule is set and the connection unpaused.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import DAG, Param

from airflow_spotify_fivetran.operators import (
    FivetranConnectCardOperator,
    FivetranCreateConnectionOperator,
    FivetranSetScheduleOperator,
)
from airflow_spotify_fivetran.sensors import FivetranSetupTestsSensor

with DAG(
    dag_id="spotify_ads_connect_card",
    description="Create a Spotify Ads connection and wait for a person to authorise it in the Connect Card",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    # Every step is safe to repeat (the create adopts what an earlier try created), so a lost worker costs
    # a retry, not a half-provisioned connection.
    default_args={
        "retries": int(os.environ.get("SPOTIFY_ADS_RETRIES", "2")),
        "retry_delay": timedelta(seconds=float(os.environ.get("SPOTIFY_ADS_RETRY_DELAY", "60"))),
    },
    render_template_as_native_obj=True,
    tags=["fivetran", "spotify_ads", "connect_card", "example"],
    params={
        "group_id": Param("group_demo", type="string", description="Fivetran group (destination) id"),
        "schema": Param("spotify_ads_card", type="string", pattern="^[a-z_][a-z0-9_]*$"),
        "redirect_uri": Param("https://example.com/fivetran-done", type="string"),
        "daily_sync_time": Param("05:00", type="string"),
        "time_zone": Param("UTC", type="string"),
    },
) as dag:
    create = FivetranCreateConnectionOperator(
        task_id="create_connection",
        connection={
            "group_id": "{{ params.group_id }}",
            "service": "spotify_ads",
            "paused": True,
            "config": {
                "schema": "{{ params.schema }}",
                "sync_mode": "ALL_ACCOUNTS",
                "report_list": [
                    {
                        "table": "campaign_daily",
                        "dimension": "CAMPAIGN",
                        "granularity": "DAY",
                        "fields": ["IMPRESSIONS", "CLICKS", "SPEND"],
                    }
                ],
            },
            # no "auth": the person authorises through the card
        },
        ignore_drift_in=["paused"],
    )

    card = FivetranConnectCardOperator(
        task_id="connect_card",
        connection_id=create.output,
        redirect_uri="{{ params.redirect_uri }}",
        hide_setup_guide=False,
    )

    wait = FivetranSetupTestsSensor(
        task_id="wait_for_authorisation",
        connection_id=create.output,
        wait_for_connect_card=True,
        deferrable=True,
        poke_interval=float(os.environ.get("SPOTIFY_ADS_POKE_INTERVAL", "30")),
        timeout=24 * 60 * 60,  # a person may take a day
    )

    schedule = FivetranSetScheduleOperator(
        task_id="schedule_and_unpause",
        connection_id=create.output,
        sync_frequency=1440,
        daily_sync_time="{{ params.daily_sync_time }}",
        time_zone="{{ params.time_zone }}",
        paused=False,
        current_schedule=wait.output["schedule"],
    )

    create >> card >> wait >> schedule
