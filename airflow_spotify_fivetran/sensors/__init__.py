"""Sensors waiting for a Fivetran connection (cheap to import: no hook, no HTTP client)."""

from airflow_spotify_fivetran.sensors.fivetran import FivetranSetupTestsSensor, FivetranSyncSensor

__all__ = ["FivetranSetupTestsSensor", "FivetranSyncSensor"]
