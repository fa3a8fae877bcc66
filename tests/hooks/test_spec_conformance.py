"""Every request the hooks send conforms to Fivetran's OpenAPI (the normalized copy vendored in tests/contract).

The conftest checks the requests of every hook test after it ran; this module makes the check explicit for a
run through every endpoint, with the seed body (every field of the contract) and the Connect Card path.
"""

from __future__ import annotations

import copy

import pytest

from airflow_spotify_fivetran.hooks import FivetranAsyncHook, FivetranHook
from fivetran_simulator import DEFAULT_GROUP_ID, SimulatorServer
from tests import spec
from tests.hooks import spec_problems
from tests.payloads import SEED_PATCH, demo_request

pytestmark = pytest.mark.spec


@pytest.fixture(autouse=True)
def _contract() -> None:
    spec.require_spec()


async def test_every_request_of_every_method_conforms(hook: FivetranHook, simulator: SimulatorServer) -> None:
    full = hook.create_connection(demo_request("ads_spec"))  # every field of the create body
    without_auth = demo_request("ads_spec_card", run_setup_tests=False)
    del without_auth["auth"]
    card_connection = hook.create_connection(without_auth)
    hook.get_connection_details(full.id)
    list(hook.list_connections(group_id=DEFAULT_GROUP_ID, page_size=1))
    hook.find_connection(DEFAULT_GROUP_ID, "ads_spec")
    patch = copy.deepcopy(SEED_PATCH)
    patch["auth"] = demo_request("x")["auth"]
    hook.modify_connection(full.id, patch)
    hook.run_setup_tests(full.id)
    hook.run_setup_tests(full.id, trust_certificates=True, trust_fingerprints=True)
    hook.sync_connection(full.id)
    hook.sync_connection(full.id, force=True)
    hook.create_connect_card(
        card_connection.id,
        redirect_uri="https://airflow.example.com/done",
        hide_setup_guide=False,
        all_fields=True,
    )
    simulator.control.advance_clock(3600)
    hook.resync_connection(full.id)
    hook.test_connection()
    hook.delete_connection(card_connection.id)
    async with FivetranAsyncHook() as async_hook:
        await async_hook.get_connection_details(full.id)
        await async_hook.run_setup_tests(full.id)

    log = simulator.control.requests()
    operations = {(e["method"], e["path_template"]) for e in log}
    assert len(operations) == 9  # create, list, details, modify, delete, test, sync, resync, connect-card
    assert all(e["status"] is not None and e["status"] < 400 for e in log)
    problems = [p for entry in log for p in spec_problems(entry)]
    assert problems == []


def test_the_check_does_catch_a_request_outside_the_contract() -> None:
    bad = {
        "method": "PATCH",
        "path": "/v1/connections/abc",
        "query": {"verbose": "1"},
        "request_body": {"sync_frequency": 7},
    }

    problems = spec_problems(bad)

    assert any("'verbose' is not in the API" in p for p in problems)
    assert any("sync_frequency" in p for p in problems)
    assert spec_problems({**bad, "path": "/v1/connectors/abc", "request_body": None})
