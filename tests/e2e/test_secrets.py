"""No secret leaves the Airflow connections: not into task output, XComs, rendered templates or the database.

The provisioning DAG runs with ``airflow dags test`` (deferral included) with distinctive secret values: the
Fivetran API secret, the Spotify client secret and the refresh token. Fivetran (the simulator) must accept
them, so they were really used; then none may appear in what Airflow prints or keeps. ``airflow dags test``
prints task logs instead of writing log files: the log files of a real scheduler and triggerer are
scanned in ``test_scheduler.py``, whose runs use the same canary secrets.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fivetran_simulator import DEFAULT_API_KEY, SimulatorControl, SimulatorServer
from tests.e2e.homes import AirflowHome, make_home
from tests.e2e.request_log import RequestWatcher, connection_by_schema, retested_twice
from tests.helpers.credentials import CANARY, CANARY_ACCOUNTS, CANARY_FIVETRAN_API_SECRET, leaked_secrets
from tests.helpers.simulator import start_simulator

pytestmark = pytest.mark.e2e

SCHEMA = "spotify_ads_canary"


@pytest.fixture(scope="module")
def canary_run(
    migrated_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[AirflowHome, SimulatorServer, str]]:
    """The provisioning DAG, run once to success with the canary secrets: the home, the simulator, the output."""
    sim = start_simulator(
        clock="real",
        api_key=DEFAULT_API_KEY,
        api_secret=CANARY_FIVETRAN_API_SECRET,
        scenario={"spotify": CANARY.spotify_side(CANARY_ACCOUNTS[:1])},
    )
    try:
        home = make_home(
            tmp_path_factory.mktemp("canary-home"), migrated_db, sim, {"spotify_ads_credentials": CANARY}
        )

        def grant(control: SimulatorControl) -> None:
            control.set_scenario({"spotify": CANARY.spotify_side(CANARY_ACCOUNTS)})

        conf = {"group_id": sim.group_id, "schema": SCHEMA, "accounts": list(CANARY_ACCOUNTS)}
        with RequestWatcher(sim, retested_twice, grant):
            run = home.dags_test("spotify_ads_provisioning", conf)
        assert run.returncode == 0, run.output[-5000:]
        yield home, sim, run.output
    finally:
        sim.stop()


def test_the_canary_secrets_were_really_used(canary_run: tuple[AirflowHome, SimulatorServer, str]) -> None:
    _, sim, output = canary_run
    conn = connection_by_schema(sim, SCHEMA)
    assert conn["status"]["setup_state"] == "connected"  # Spotify accepted the canary secret and token
    assert conn["_sim"]["auth"]["client_id"] == CANARY.client_id
    assert "Pausing task as DEFERRED" in output  # the trigger's path ran too


def test_no_secret_in_the_task_output(canary_run: tuple[AirflowHome, SimulatorServer, str]) -> None:
    _, sim, output = canary_run
    conn_id = connection_by_schema(sim, SCHEMA)["id"]
    assert f"Created connection {conn_id}" in output  # the task logs are in this output
    assert leaked_secrets(output) == []


def test_no_secret_in_xcoms(canary_run: tuple[AirflowHome, SimulatorServer, str]) -> None:
    home, sim, _ = canary_run
    rows = home.query("SELECT task_id, key, value FROM xcom")
    assert ("create_connection", "return_value", f'"{connection_by_schema(sim, SCHEMA)["id"]}"') in rows
    assert [row for row in rows if leaked_secrets(str(row[2]))] == []


def test_no_secret_in_rendered_templates(canary_run: tuple[AirflowHome, SimulatorServer, str]) -> None:
    home, _, _ = canary_run
    rows = dict(home.query("SELECT task_id, rendered_fields FROM rendered_task_instance_fields"))
    assert SCHEMA in rows["create_connection"]  # the rendered create request is there...
    assert "spotify_ads_credentials" in rows["create_connection"]  # ...naming the connection, not its values
    assert {task: leaked_secrets(str(f)) for task, f in rows.items() if leaked_secrets(str(f))} == {}


def test_no_secret_anywhere_in_the_airflow_database(
    canary_run: tuple[AirflowHome, SimulatorServer, str],
) -> None:
    # Trigger kwargs, next_kwargs of deferred tasks, the audit log, run conf...: every byte of the database.
    home, _, _ = canary_run
    raw = b"".join(p.read_bytes() for p in sorted(home.path.glob("airflow.db*")) if p.is_file())
    assert SCHEMA.encode() in raw
    assert leaked_secrets(raw) == []


def test_the_scan_sees_a_leak() -> None:
    assert leaked_secrets(f"auth: {{'refresh_token': '***', 'client_secret': '{CANARY.client_secret}'}}") == [
        CANARY.client_secret
    ]
    assert leaked_secrets("auth: {'refresh_token': '***', 'client_secret': '***'}") == []
