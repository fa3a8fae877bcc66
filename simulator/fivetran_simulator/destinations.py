"""The simulated groups' destinations, shaped as Fivetran's "Retrieve Destination Details" answers them.

Every group of the scenario has one destination with the group's id (Fivetran maps them 1:1): a PostgreSQL
warehouse named after the group, with its password masked as Fivetran echoes secrets.
"""

from __future__ import annotations

from typing import Any

from fivetran_simulator.defaults import REDACTED

#: Fivetran's service name of a PostgreSQL destination, and where the simulated warehouses "are".
DESTINATION_SERVICE = "postgres_warehouse"
DESTINATION_HOST = "warehouse.simulator.invalid"
DESTINATION_PORT = 5432


def destination(group_id: str) -> dict[str, Any]:
    """The ``data`` of ``GET /v1/destinations/{group_id}`` for a known group."""
    return {
        "id": group_id,
        "group_id": group_id,
        "service": DESTINATION_SERVICE,
        "region": "GCP_US_EAST4",
        "time_zone_offset": "0",
        "setup_status": "connected",
        "daylight_saving_time_enabled": False,
        "networking_method": "Directly",
        "private_link_id": None,
        "hybrid_deployment_agent_id": None,
        "config": {
            "host": DESTINATION_HOST,
            "port": DESTINATION_PORT,
            "database": group_id,
            "auth": "PASSWORD",
            "user": "fivetran",
            "password": REDACTED,
            "connection_type": "Directly",
        },
    }
