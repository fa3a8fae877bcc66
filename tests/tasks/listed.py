"""A schema's listed state as the fleet's one read of its group gives it, for task tests (``inventory``)."""

from __future__ import annotations

import json
from typing import Any

from airflow_spotify_fivetran.hooks.fivetran import FivetranHook
from airflow_spotify_fivetran.inventory import listed_state, read_groups
from tests.tasks.sim import Sim


def listed_in_group(sim: Sim, schema: str) -> dict[str, Any]:
    """``schema``'s listed state in the simulator's group, read as the fleet reads it, through JSON as an XCom
    carries it; the read is then cleared from the request log."""
    hook = FivetranHook("fivetran_default")
    try:
        state = listed_state(read_groups(hook, [sim.group_id])[sim.group_id].get(schema))
    finally:
        hook.close()
    sim.control.clear_requests()
    return dict(json.loads(json.dumps(state)))
