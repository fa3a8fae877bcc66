"""A local Fivetran ``/v1/connections`` API for the ``spotify_ads`` service: demos and tests without an account.

    from fivetran_simulator import SimulatorServer

    with SimulatorServer(clock="manual") as sim:
        print(sim.base_url, sim.airflow_conn_json)
        sim.control.advance_clock(60)

Or from a shell: ``fivetran-simulator --port 8765``. The package imports nothing of Airflow or of the provider
(``airflow_spotify_fivetran``): its rules are written from the API contract, so that it checks the client rather
than sharing its mistakes.
"""

from fivetran_simulator.client import SimulatorControl, SimulatorControlError
from fivetran_simulator.defaults import (
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
from fivetran_simulator.server import SimulatorServer

__version__ = "0.1.0"

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
