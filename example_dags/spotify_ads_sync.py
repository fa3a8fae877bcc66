"""Sync a Spotify Ads connection and, once the data has landed, tell Airflow: the task's outlet is an asset.

The connection is named by its Fivetran group and schema (one filtered list call), so this DAG can drive a
connection the provisioning DAG created. The sync waits for completion (deferred: no worker slot while
Fivetran syncs), so the asset event is emitted only when the sync succeeded; it carries the sync's facts
(``connection_id``, ``succeeded_at``) in its ``extra``. ``spotify_ads_downstream`` is scheduled on it.

With the OpenLineage provider installed and configured, the sync task also reports lineage: the ad
accounts' reports as inputs, the destination tables as outputs.
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import DAG, Asset, Param

from airflow_spotify_fivetran.operators import FivetranSyncOperator

#: What this DAG produces: the Spotify Ads tables of schema ``spotify_ads`` in group ``demo_warehouse``.
#: A DAG scheduled on it (``spotify_ads_downstream``) declares the same ``Asset``: name and URI.
SPOTIFY_ADS_ASSET = Asset(name="spotify_ads_demo_warehouse", uri="fivetran://demo_warehouse/spotify_ads")

with DAG(
    dag_id="spotify_ads_sync",
    description="Sync a Spotify Ads connection; a successful sync updates the spotify_ads asset",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["fivetran", "spotify_ads", "sync", "example"],
    params={
        "group_id": Param("demo_warehouse", type="string", description="Fivetran group (destination) id"),
        "schema": Param(
            "spotify_ads",
            type="string",
            description="The connection's schema: the destination schema the Spotify Ads tables land in",
        ),
    },
) as dag:
    FivetranSyncOperator(
        task_id="sync",
        group_id="{{ params.group_id }}",
        schema="{{ params.schema }}",
        wait_for_completion=True,
        deferrable=True,
        poll_interval=float(os.environ.get("SPOTIFY_ADS_POKE_INTERVAL", "60")),
        outlets=[SPOTIFY_ADS_ASSET],
    )
