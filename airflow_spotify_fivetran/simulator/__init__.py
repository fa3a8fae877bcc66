"""A local Fivetran ``/v1/connections`` API for the ``spotify_ads`` service: demos and tests without an account.

    from airflow_spotify_fivetran.simulator import SimulatorServer

    with SimulatorServer(clock="manual") as sim:
        print(sim.base_url, sim.airflow_conn_json)
        sim.control.advance_clock(60)

Or from a shell: ``fivetran-simulator --port 8765``. The module never imports Airflow or the provider's models:
its rules are written from the API contract, so that it checks the client rather than sharing its mistakes.
"""

from airflow_spotify_fivetran.simulator.client import SimulatorControl, SimulatorControlError
from airflow_spotify_fivetran.simulator.defaults import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    DEFAULT_GROUP_ID,
    DEMO_ACCOUNTS,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REFRESH_TOKEN,
    OTHER_ACCOUNTS,
    OTHER_CLIENT_ID,
    OTHER_CLIENT_SECRET,
    OTHER_REFRESH_TOKEN,
)
from airflow_spotify_fivetran.simulator.server import SimulatorServer

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_API_SECRET",
    "DEFAULT_GROUP_ID",
    "DEMO_ACCOUNTS",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "DEMO_REFRESH_TOKEN",
    "OTHER_ACCOUNTS",
    "OTHER_CLIENT_ID",
    "OTHER_CLIENT_SECRET",
    "OTHER_REFRESH_TOKEN",
    "SimulatorControl",
    "SimulatorControlError",
    "SimulatorServer",
]
