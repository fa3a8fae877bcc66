"""Provision a Spotify Ads connection that a person authorises in the browser (Fivetran Connect Card).

For teams whose Spotify credentials never reach Airflow: the connection is created without ``auth``, the
Connect Card's URI is published (task XCom, and the "Fivetran Connect Card" link of the card task and of
the waiting sensor), and the setup sensor waits, deferred, until the person has finished the card and the
setup tests pass. Then the schedule is set and the connection unpaused.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import DAG, Param, task

from airflow_spotify_fivetran.operators import (
    FivetranConnectCardOperator,
    FivetranCreateConnectionOperator,
    FivetranSetScheduleOperator,
)
from airflow_spotify_fivetran.sensors import FivetranSetupTestsSensor

#: The embedded simulator's group (``fivetran_simulator.defaults``; a test checks it matches), so the first
#: click on "Trigger" works against ``fivetran-simulator``.
DEMO_GROUP_ID = "demo_warehouse"
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

#: The create request; no "auth": the person authorises through the card.
CONNECTION = {
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
}


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
        "group_id": Param(
            DEMO_GROUP_ID,
            type="string",
            minLength=1,
            description="Fivetran group (destination) id; the default is the embedded simulator's group",
        ),
        "schema": Param("spotify_ads_card", type="string", pattern=SCHEMA_PATTERN, description=SCHEMA_RULE),
        "redirect_uri": Param(
            "https://example.com/fivetran-done",
            type="string",
            pattern="^https?://",
            description="Where the Connect Card sends the person once they have authorised",
        ),
        "daily_sync_time": Param(
            "05:00",
            type="string",
            enum=WHOLE_HOURS,
            description="Hour of the daily sync, local to time_zone: Fivetran syncs daily on whole hours",
        ),
        "time_zone": Param("UTC", type="string", pattern=TIME_ZONE_PATTERN, description=TIME_ZONE_RULE),
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
        # The card's link on the task people watch while it waits for them.
        connect_card_uri="{{ ti.xcom_pull(task_ids='connect_card')['connect_card_uri'] }}",
        deferrable=True,
        poke_interval=float(os.environ.get("SPOTIFY_ADS_POKE_INTERVAL", "30")),
        timeout=24 * 60 * 60,  # a person may take a day
    )

    schedule = FivetranSetScheduleOperator(
        task_id="schedule_and_unpause",
        connection_id=create.output,
        sync_frequency=SYNC_FREQUENCY,
        daily_sync_time="{{ params.daily_sync_time }}",
        time_zone="{{ params.time_zone }}",
        paused=False,
        current_schedule=wait.output["schedule"],
    )

    checked >> create >> card >> wait >> schedule
