"""Each example DAG run for real with ``airflow dags test`` against the simulator; Fivetran's state checked.

``airflow dags test`` runs every task, and every deferral's trigger, in one process against a real
(throwaway, SQLite) Airflow database: the DAG file as a user ships it, its operators, the hook and the
triggers, with nothing mocked. Each test reads what the simulator ends up holding, not only the exit code.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml  # type: ignore[import-untyped, unused-ignore]

from airflow_spotify_fivetran.fleet import load_fleet_spec, plan_fleet
from airflow_spotify_fivetran.models.schedule import to_fivetran_daily_sync_time
from fivetran_simulator import (
    OTHER_CLIENT_ID,
    OTHER_CLIENT_SECRET,
    OTHER_REFRESH_TOKEN,
    SimulatorControl,
    SimulatorServer,
)
from tests.e2e.homes import AirflowHome
from tests.e2e.request_log import (
    RequestWatcher,
    changes,
    connection_by_schema,
    created_ids,
    requests_to,
    retested_twice,
)
from tests.helpers.credentials import ALL_DEMO_ACCOUNTS, DEMO, SpotifyCredentials
from tests.helpers.processes import DAGS_FOLDER

pytestmark = pytest.mark.e2e

OTHER = SpotifyCredentials(OTHER_CLIENT_ID, OTHER_CLIENT_SECRET, OTHER_REFRESH_TOKEN)
SimulatorFactory = Callable[..., SimulatorServer]
HomeFactory = Callable[..., AirflowHome]


def assert_passed(run: Any) -> None:
    assert run.returncode == 0, f"airflow dags test exited {run.returncode}:\n{run.output[-5000:]}"


def test_provisioning_dag_provisions_then_a_rerun_changes_nothing(
    simulator_factory: SimulatorFactory, airflow_home_factory: HomeFactory
) -> None:
    # Ad account access is held back: the sensor must defer, and the trigger re-test until it is granted.
    sim = simulator_factory(clock="real", scenario={"spotify": DEMO.spotify_side(ALL_DEMO_ACCOUNTS[:1])})
    home = airflow_home_factory(sim)
    conf = {
        "group_id": sim.group_id,
        "schema": "spotify_ads_e2e",
        "accounts": list(ALL_DEMO_ACCOUNTS),
        "daily_sync_time": "05:00",
        "time_zone": "UTC",
    }

    def grant(control: SimulatorControl) -> None:
        control.set_scenario({"spotify": DEMO.spotify_side(ALL_DEMO_ACCOUNTS)})

    with RequestWatcher(sim, retested_twice, grant) as admin:
        first = home.dags_test("spotify_ads_provisioning", conf)
    assert_passed(first)
    assert admin.fired.is_set()
    assert "Pausing task as DEFERRED" in first.output

    conn = connection_by_schema(sim, "spotify_ads_e2e")
    assert conn["status"]["setup_state"] == "connected"
    assert {t["title"]: t["status"] for t in conn["setup_tests"]} == {
        "Validating client credentials": "PASSED",
        "Validating refresh token": "PASSED",
        "Checking ad account access": "PASSED",
    }
    assert conn["config"]["accounts"] == list(ALL_DEMO_ACCOUNTS)
    assert conn["config"]["timeframe_months"] == "TWELVE"
    assert (conn["sync_frequency"], conn["daily_sync_time"], conn["paused"]) == (1440, "05:00", False)
    assert conn["_sim"]["auth"]["client_id"] == DEMO.client_id
    log = sim.control.requests()
    assert created_ids(log) == [conn["id"]]
    assert home.xcom("spotify_ads_provisioning", "create_connection") == conn["id"]

    seen = max(e["seq"] for e in log)
    second = home.dags_test("spotify_ads_provisioning", conf)
    assert_passed(second)
    rerun = sim.control.requests(since=seen)
    assert rerun, "the re-run made no call at all"
    assert changes(rerun) == []  # no POST, PATCH or DELETE: not even a setup-test run
    assert [c["id"] for c in sim.control.connections()] == [conn["id"]]
    assert connection_by_schema(sim, "spotify_ads_e2e")["daily_sync_time"] == "05:00"


def test_connect_card_dag_waits_for_the_person_then_schedules(
    simulator_factory: SimulatorFactory, airflow_home_factory: HomeFactory
) -> None:
    sim = simulator_factory(clock="real")
    home = airflow_home_factory(sim, spotify={})  # no Spotify secrets reach Airflow at all
    card_uris: list[str] = []

    def sensor_waits(log: list[dict[str, Any]]) -> bool:
        cards = requests_to(log, "POST", "/connect-card")
        if not cards:
            return False
        conn_path = cards[0]["path"].removesuffix("/connect-card")
        reads = [e for e in requests_to(log, "GET", conn_path) if e["seq"] > cards[0]["seq"]]
        return len(reads) >= 2  # the sensor's own check, then its trigger's first poll

    def person_finishes_card(control: SimulatorControl) -> None:
        card = requests_to(control.requests(), "POST", "/connect-card")[0]
        card_uris.append(card["response_body"]["data"]["connect_card"]["uri"])
        control.complete_connect_card(card["path"].split("/")[-2])

    conf = {"group_id": sim.group_id, "schema": "spotify_ads_card_e2e", "daily_sync_time": "04:00"}
    with RequestWatcher(sim, sensor_waits, person_finishes_card) as person:
        run = home.dags_test("spotify_ads_connect_card", conf)
    assert_passed(run)
    assert person.fired.is_set()

    conn = connection_by_schema(sim, "spotify_ads_card_e2e")
    assert conn["status"]["setup_state"] == "connected"
    assert conn["_sim"]["auth"]["client_id"] == DEMO.client_id  # authorised in the card, not by Airflow
    assert (conn["sync_frequency"], conn["daily_sync_time"], conn["paused"]) == (1440, "04:00", False)
    create_body = requests_to(sim.control.requests(), "POST", "/v1/connections")[0]["request_body"]
    assert "auth" not in create_body
    # The card the task published is the one Fivetran made, and a person can open it.
    published = home.xcom("spotify_ads_connect_card", "connect_card")
    assert published["connect_card_uri"] == card_uris[0]
    page = requests.get(card_uris[0], timeout=10, allow_redirects=False)
    assert page.status_code == 200
    assert "spotify_ads_card_e2e" in page.text


def expected_fleet() -> dict[str, dict[str, Any]]:
    """What the shipped spec asks for, per schema: accounts, Spotify app, UTC daily hour."""
    entries = plan_fleet(load_fleet_spec(DAGS_FOLDER / "spotify_ads_fleet.yaml"))
    apps = {"spotify_ads_credentials": DEMO.client_id, "spotify_ads_podcasts": OTHER.client_id}
    return {
        e.schema: {
            "accounts": e.connection["config"].get("accounts"),
            "sync_mode": e.connection["config"]["sync_mode"],
            "client_id": apps[e.spotify_conn_id],
            "daily_sync_time": to_fivetran_daily_sync_time(
                e.schedule["daily_sync_time"], e.schedule.get("time_zone")
            ),
        }
        for e in entries
    }


FLEET_CONNS = {"spotify_ads_credentials": DEMO, "spotify_ads_podcasts": OTHER}


def test_fleet_dag_provisions_every_entry_then_a_rerun_changes_nothing(
    simulator_factory: SimulatorFactory, airflow_home_factory: HomeFactory
) -> None:
    sim = simulator_factory(clock="real")
    home = airflow_home_factory(sim, spotify=FLEET_CONNS)
    expected = expected_fleet()

    first = home.dags_test("spotify_ads_fleet")
    assert_passed(first)

    held = {c["schema"]: c for c in sim.control.connections()}
    assert sorted(held) == sorted(expected)
    for schema, want in expected.items():
        conn = held[schema]
        assert conn["status"]["setup_state"] == "connected", schema
        assert conn["config"]["sync_mode"] == want["sync_mode"], schema
        assert conn["config"].get("accounts") == want["accounts"], schema
        assert conn["_sim"]["auth"]["client_id"] == want["client_id"], schema
        assert (conn["sync_frequency"], conn["daily_sync_time"], conn["paused"]) == (
            1440,
            want["daily_sync_time"],
            False,
        ), schema
    log = sim.control.requests()
    assert sorted(created_ids(log)) == sorted(c["id"] for c in held.values())
    # Mapped instances are labelled with the entry's name in the UI, the same on each task of an entry.
    names = [e.name for e in plan_fleet(load_fleet_spec(DAGS_FOLDER / "spotify_ads_fleet.yaml"))]
    for task in ("create_connection", "wait_for_setup_tests", "schedule_and_unpause"):
        labels = home.query(
            "SELECT rendered_map_index FROM task_instance WHERE task_id = ? ORDER BY map_index",
            (f"provision.{task}",),
        )
        assert [label for (label,) in labels] == names, task

    # The run's report adds up what each task counted: exactly the requests Fivetran saw.
    assert home.xcom("spotify_ads_fleet", "report_api_calls") == {"calls": len(log), "retries": 0}

    seen = max(e["seq"] for e in log)
    second = home.dags_test("spotify_ads_fleet")
    assert_passed(second)
    # The unchanged re-run reads each group once and decides every entry from that read: list calls only,
    # ceil(N/1000) per group of N entries; no lookup, no read of a connection, no write.
    per_group = Counter(
        e.group_id for e in plan_fleet(load_fleet_spec(DAGS_FOLDER / "spotify_ads_fleet.yaml"))
    )
    rerun = sim.control.requests(since=seen)
    calls = [(e["method"], e["path"], e["query"].get("group_id"), e["query"].get("limit")) for e in rerun]
    assert sorted(calls) == sorted(
        ("GET", "/v1/connections", group, "1000")
        for group, n in per_group.items()
        for _ in range(math.ceil(n / 1000))
    )
    assert len(calls) == 1  # the shipped spec: 4 entries in one group
    assert sorted(c["id"] for c in sim.control.connections()) == sorted(c["id"] for c in held.values())
    assert home.xcom("spotify_ads_fleet", "report_api_calls") == {"calls": len(calls), "retries": 0}
    assert f"This run of the fleet spent {len(calls)} Fivetran API call (0 retries) in all" in second.output


def test_fleet_dag_entry_that_fails_at_fivetran_stops_only_itself(
    simulator_factory: SimulatorFactory, airflow_home_factory: HomeFactory, tmp_path: Path
) -> None:
    # Valid to the spec's rules, refused by Fivetran (the group does not exist): only known at create time.
    sim = simulator_factory(clock="real")
    home = airflow_home_factory(sim, spotify=FLEET_CONNS)
    spec = yaml.safe_load((DAGS_FOLDER / "spotify_ads_fleet.yaml").read_text())
    spec["connections"][1]["group_id"] = "no_such_group"  # audiobooks
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(spec))

    run = home.dags_test("spotify_ads_fleet", {"spec_path": str(path)})

    assert run.returncode != 0  # the run reports the failed entry...
    states = home.task_states("spotify_ads_fleet")
    assert states[("provision.create_connection", 1)] == "failed"
    assert states[("provision.schedule_and_unpause", 1)] == "upstream_failed"
    for index in (0, 2, 3):
        assert states[("provision.schedule_and_unpause", index)] == "success", index
    # ...and every other entry is provisioned with its own settings (no entry took another's place).
    expected = expected_fleet()
    held = {c["schema"]: c for c in sim.control.connections()}
    assert sorted(held) == sorted(set(expected) - {"spotify_ads_audiobooks"})
    for schema, conn in held.items():
        assert conn["config"].get("accounts") == expected[schema]["accounts"], schema
        assert (conn["daily_sync_time"], conn["paused"]) == (expected[schema]["daily_sync_time"], False), (
            schema
        )


def test_fleet_dag_with_a_bad_entry_fails_validation_and_creates_nothing(
    simulator_factory: SimulatorFactory, airflow_home_factory: HomeFactory, tmp_path: Path
) -> None:
    sim = simulator_factory(clock="real")
    home = airflow_home_factory(sim, spotify=FLEET_CONNS)
    spec = yaml.safe_load((DAGS_FOLDER / "spotify_ads_fleet.yaml").read_text())
    spec["connections"][3]["config"]["accounts"] = []  # podcasts: SPECIFIC_ACCOUNTS with no account
    spec["connections"][1]["spotify_conn_id"] = "spotify_ads_nobody"  # an Airflow connection that is missing
    bad_spec = tmp_path / "fleet.yaml"
    bad_spec.write_text(yaml.safe_dump(spec))

    run = home.dags_test("spotify_ads_fleet", {"spec_path": str(bad_spec)})

    assert run.returncode != 0
    assert "connections[3] (podcasts): config.accounts: is required" in run.output
    assert (
        "connections[1] (audiobooks): spotify_conn_id: Airflow connection 'spotify_ads_nobody'" in run.output
    )
    states = home.task_states("spotify_ads_fleet")
    assert states[("validate_spec", -1)] == "failed"
    assert states.pop(("report_api_calls", -1)) == "success"  # the run's report runs whatever happened
    assert not [key for key, state in states.items() if key[0] != "validate_spec" and state == "success"]
    assert home.xcom("spotify_ads_fleet", "report_api_calls") == {"calls": 0, "retries": 0}
    assert sim.control.requests() == []  # not one call to Fivetran
    assert sim.control.connections() == []
