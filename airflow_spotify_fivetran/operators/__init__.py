"""Operators of the Fivetran Spotify Ads provider (cheap to import: the hook loads inside ``execute``)."""

from airflow_spotify_fivetran.operators.create import FivetranCreateConnectionOperator
from airflow_spotify_fivetran.operators.manage import (
    FivetranConnectCardOperator,
    FivetranDeleteConnectionOperator,
)
from airflow_spotify_fivetran.operators.resync import FivetranResyncOperator
from airflow_spotify_fivetran.operators.schedule import FivetranSetScheduleOperator
from airflow_spotify_fivetran.operators.setup_tests import FivetranRunSetupTestsOperator
from airflow_spotify_fivetran.operators.sync import FivetranSyncOperator

__all__ = [
    "FivetranConnectCardOperator",
    "FivetranCreateConnectionOperator",
    "FivetranDeleteConnectionOperator",
    "FivetranResyncOperator",
    "FivetranRunSetupTestsOperator",
    "FivetranSetScheduleOperator",
    "FivetranSyncOperator",
]
