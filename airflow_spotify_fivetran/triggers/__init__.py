"""Triggers that wait for a Fivetran connection in the triggerer, without holding a worker slot."""

from airflow_spotify_fivetran.triggers.fivetran import FivetranSetupTestsTrigger, FivetranSyncTrigger

__all__ = ["FivetranSetupTestsTrigger", "FivetranSyncTrigger"]
