"""The seed request and ``run_setup_tests`` over real HTTP: what the create operator sends, what the simulator does.

* Fivetran's maintainers say a create runs its setup tests only when ``run_setup_tests: true`` is sent
  (contract README, "Corrections and additions"; Terraform provider issue 339). A raw create without it stays
  ``incomplete`` with no tests; the create operator always sends it, so its connection runs them.
* The request on the seed page, with the simulator's group and demo credentials in place of the placeholders,
  is sent by the create operator unchanged and accepted (every enum variant is checked at model level in
  ``tests/models/test_seed_page.py``; two variants go through the operator here).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from airflow.sdk import Context

from airflow_spotify_fivetran.operators import FivetranCreateConnectionOperator
from tests.models.test_seed_page import VARIANTS
from tests.payloads import connection_request, demo_auth
from tests.tasks.sim import Sim

CREATE = ("POST", "/v1/connections")


def create_bodies(sim: Sim) -> list[dict[str, Any]]:
    return [e["request_body"] for e in sim.requests() if (e["method"], e["path"]) == CREATE]


def test_a_raw_create_without_run_setup_tests_runs_no_tests(sim: Sim) -> None:
    """The simulator follows Fivetran's maintainers: absent means no tests run (needs the simulator's side)."""
    body = connection_request("spotify_raw")
    assert "run_setup_tests" not in body
    created = sim.api("POST", "/v1/connections", body)
    assert created["status"]["setup_state"] == "incomplete"
    assert not created.get("setup_tests")
    assert sim.details(created["id"])["status"]["setup_state"] == "incomplete"


def test_the_create_operator_always_asks_for_the_setup_tests(sim: Sim, context: Context) -> None:
    body = connection_request("spotify_op")
    op = FivetranCreateConnectionOperator(task_id="create", connection=body)
    conn_id = op.execute(context)
    [sent] = create_bodies(sim)
    assert sent["run_setup_tests"] is True
    details = sim.details(str(conn_id))
    assert details["status"]["setup_state"] == "connected"
    assert details["setup_tests"], "the setup tests ran"


def test_run_setup_tests_false_is_sent_as_false(sim: Sim, context: Context) -> None:
    body = connection_request("spotify_no_tests", run_setup_tests=False)
    FivetranCreateConnectionOperator(task_id="create", connection=body).execute(context)
    [sent] = create_bodies(sim)
    assert sent["run_setup_tests"] is False


@pytest.mark.parametrize("variant", ["sync_mode=ALL_ACCOUNTS", "sync_mode=SPECIFIC_ACCOUNTS"])
def test_the_seed_request_is_sent_unchanged_and_accepted(sim: Sim, context: Context, variant: str) -> None:
    body = copy.deepcopy(dict(VARIANTS)[variant])
    body["group_id"] = sim.group_id  # the placeholder "group_id" names no group of the simulator
    body["auth"] = demo_auth()  # so the setup tests can authorise

    conn_id = FivetranCreateConnectionOperator(task_id="create", connection=body).execute(context)

    [sent] = create_bodies(sim)
    assert {k: v for k, v in sent.items() if k != "auth"} == {k: v for k, v in body.items() if k != "auth"}
    assert sent["auth"].keys() == body["auth"].keys()
    details = sim.details(str(conn_id))
    assert details["config"]["schema"] == body["config"]["schema"]
    assert details["config"]["sync_mode"] == body["config"]["sync_mode"]
    assert details["data_delay_sensitivity"] == "NORMAL"
