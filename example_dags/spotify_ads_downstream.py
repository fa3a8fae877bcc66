"""A downstream job that runs when the Spotify Ads data has landed: scheduled on the asset that a
successful ``spotify_ads_sync`` run updates (data-aware scheduling), not on a clock.

It reads the facts the sync put on the asset event (``connection_id``, ``succeeded_at``) from
``triggering_asset_events``; a real job would build its reports from the synced tables here.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import DAG, Asset, task

#: The asset ``spotify_ads_sync`` declares as its sync task's outlet: the same name and URI. (Scheduling on
#: ``Asset.ref(name=...)`` also starts this DAG, but Airflow 3.3 then links no event to the run, so the
#: task would not see the sync's facts.)
SPOTIFY_ADS_LANDED = Asset(name="spotify_ads_demo_warehouse", uri="fivetran://demo_warehouse/spotify_ads")

with DAG(
    dag_id="spotify_ads_downstream",
    description="Runs when a Spotify Ads sync has landed (scheduled on the spotify_ads asset)",
    schedule=[SPOTIFY_ADS_LANDED],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["fivetran", "spotify_ads", "assets", "example"],
) as dag:

    @task
    def report_landed_sync(triggering_asset_events: Any = None) -> list[dict[str, Any]]:
        """Each sync that triggered this run: its connection and when it succeeded."""
        landed = [
            {
                "connection_id": event.extra.get("connection_id"),
                "succeeded_at": event.extra.get("succeeded_at"),
            }
            for events in (triggering_asset_events or {}).values()
            for event in events
        ]
        print(f"Spotify Ads data landed: {landed}")
        return landed

    report_landed_sync()
