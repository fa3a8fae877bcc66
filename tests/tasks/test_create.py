"""FivetranCreateConnectionOperator against the simulator: create, adopt, drift, plan, input, credentials."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from airflow.sdk import DAG, Context

from airflow_spotify_fivetran.exceptions import FivetranConflictError, FivetranDriftError, FivetranInputError
from airflow_spotify_fivetran.inventory import listed_connection
from airflow_spotify_fivetran.links import FivetranConnectionLink, dashboard_url
from airflow_spotify_fivetran.operators import FivetranCreateConnectionOperator
from fivetran_simulator import (
    DEMO_ACCOUNTS,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REFRESH_TOKEN,
    OTHER_CLIENT_ID,
    OTHER_CLIENT_SECRET,
    OTHER_REFRESH_TOKEN,
)
from tests.helpers.task_calls import RecordingTI, task_context
from tests.payloads import connection_request, full_request
from tests.tasks.dag_runs import DagOutcome
from tests.tasks.listed import listed_in_group
from tests.tasks.sim import Sim

LIST = ("GET", "/v1/connections")
CREATE = ("POST", "/v1/connections")
LINK_KEY = FivetranConnectionLink().xcom_key


def create_op(connection: Any, **kwargs: Any) -> FivetranCreateConnectionOperator:
    return FivetranCreateConnectionOperator(task_id="create", connection=connection, **kwargs)


def created(op: FivetranCreateConnectionOperator, context: Context) -> str:
    """Run the task; it must return a connection id."""
    conn_id = op.execute(context)
    assert isinstance(conn_id, str)
    return conn_id


def patches(sim: Sim) -> list[dict[str, Any]]:
    return [e["request_body"] for e in sim.requests() if e["method"] == "PATCH"]


# -- create, then adopt -----------------------------------------------------------------------------------


def test_fresh_create_looks_up_then_creates_once(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str
) -> None:
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        create_op(full_request())

    outcome = run_dag(dag)

    assert outcome.task_states == {"create": "success"}
    assert sim.calls() == [LIST, CREATE]
    lookup = sim.requests()[0]["query"]
    assert (lookup["group_id"], lookup["schema"]) == (sim.group_id, "spotify_full")
    [connection] = sim.control.connections()
    assert outcome.xcom("create") == connection["id"]
    assert outcome.xcom("create", key=LINK_KEY) == dashboard_url(connection["id"])
    assert connection["status"]["setup_state"] == "connected"
    assert connection["config"]["timeframe_months"] == "TWELVE"


def test_rerun_adopts_the_existing_connection_with_one_list_call(
    sim: Sim, context: Context, ti: RecordingTI
) -> None:
    first = created(create_op(full_request()), context)
    sim.control.clear_requests()

    # Same request, reports and accounts in another order: nothing to change.
    again = full_request()
    again["config"]["report_list"].reverse()
    again["config"]["report_list"][0]["fields"].reverse()
    again["config"]["accounts"].reverse()
    second = create_op(again).execute(context)

    assert second == first
    assert sim.calls() == [LIST]  # no second create, no PATCH
    assert len(sim.control.connections()) == 1
    assert ti.xcoms[LINK_KEY] == dashboard_url(first)


# -- drift ------------------------------------------------------------------------------------------------


def drifted() -> dict[str, Any]:
    """The full request with two mutable changes, sync frequency (daily time dropped) and accounts, and
    ``paused``, which is the initial state only (not compared unless ``compare_paused``)."""
    body = full_request()
    body["paused"] = True
    body["sync_frequency"] = 360
    del body["daily_sync_time"]
    body["config"]["accounts"] = [DEMO_ACCOUNTS[0]]
    return body


@pytest.fixture
def existing(sim: Sim, context: Context) -> str:
    conn_id = created(create_op(full_request()), context)
    sim.control.clear_requests()
    return str(conn_id)


def test_drift_update_sends_one_patch_with_only_the_drifted_fields(
    sim: Sim, existing: str, context: Context
) -> None:
    assert create_op(drifted(), on_drift="update").execute(context) == existing

    assert sim.calls() == [LIST, ("PATCH", f"/v1/connections/{existing}")]
    assert patches(sim) == [{"sync_frequency": 360, "config": {"accounts": [DEMO_ACCOUNTS[0]]}}]
    now = sim.details(existing)
    assert (now["paused"], now["sync_frequency"], now["config"]["accounts"]) == (
        False,
        360,
        [DEMO_ACCOUNTS[0]],
    )


def test_drift_fail_lists_the_fields_and_changes_nothing(sim: Sim, existing: str, context: Context) -> None:
    with pytest.raises(FivetranDriftError) as raised:
        create_op(drifted(), on_drift="fail").execute(context)

    message = str(raised.value)
    for name in ("sync_frequency", "config.accounts"):
        assert name in message
    assert "paused" not in message
    assert "config.report_list" not in message
    assert sim.calls() == [LIST]


def test_drift_ignore_sends_no_patch(sim: Sim, existing: str, context: Context) -> None:
    assert create_op(drifted(), on_drift="ignore").execute(context) == existing
    assert sim.calls() == [LIST]
    assert sim.details(existing)["paused"] is False


def test_a_rerun_does_not_pause_again_a_connection_unpaused_since(sim: Sim, context: Context) -> None:
    """``paused`` in the create body is the initial state: a later task unpauses the connection."""
    body = full_request()
    body["paused"] = True
    conn_id = created(create_op(body), context)
    sim.api("PATCH", f"/v1/connections/{conn_id}", {"paused": False})  # the schedule task, say
    sim.control.clear_requests()

    assert create_op(body).execute(context) == conn_id

    assert sim.calls() == [LIST]
    assert sim.details(conn_id)["paused"] is False


def test_compare_paused_keeps_the_connection_paused_as_requested(sim: Sim, context: Context) -> None:
    body = full_request()
    body["paused"] = True
    conn_id = created(create_op(body), context)
    sim.api("PATCH", f"/v1/connections/{conn_id}", {"paused": False})
    sim.control.clear_requests()

    create_op(body, compare_paused=True).execute(context)

    assert patches(sim) == [{"paused": True}]
    assert sim.details(conn_id)["paused"] is True


def test_only_drifted_report_list_is_sent_whole(sim: Sim, existing: str, context: Context) -> None:
    body = full_request()
    body["config"]["report_list"][1]["fields"] = ["STREAMS"]
    create_op(body).execute(context)
    assert patches(sim) == [{"config": {"report_list": body["config"]["report_list"]}}]


def test_data_delay_threshold_drift_is_patched_with_its_sensitivity(
    sim: Sim, existing: str, context: Context
) -> None:
    # Fivetran takes a threshold only with data_delay_sensitivity CUSTOM in the same request.
    body = full_request()
    body["data_delay_threshold"] = 240
    create_op(body).execute(context)
    assert patches(sim) == [{"data_delay_sensitivity": "CUSTOM", "data_delay_threshold": 240}]
    assert sim.details(existing)["data_delay_threshold"] == 240


def test_daily_sync_time_drift_is_patched_with_sync_frequency(
    sim: Sim, existing: str, context: Context
) -> None:
    body = full_request()
    body["daily_sync_time"] = "05:00"
    create_op(body).execute(context)
    assert patches(sim) == [{"sync_frequency": 1440, "daily_sync_time": "05:00"}]


@pytest.mark.parametrize("on_drift", ["update", "fail", "ignore"])
def test_immutable_drift_is_refused_saying_why(
    sim: Sim, existing: str, context: Context, on_drift: Any
) -> None:
    body = full_request()
    body["config"]["timeframe_months"] = "SIX"
    with pytest.raises(FivetranDriftError) as raised:
        create_op(body, on_drift=on_drift).execute(context)

    message = str(raised.value)
    assert "config.timeframe_months cannot change" in message
    assert "historical sync window is fixed when a connection is created" in message
    assert sim.calls() == [LIST]


def test_ignore_drift_in_skips_the_named_fields(sim: Sim, existing: str, context: Context) -> None:
    body = drifted()
    body["config"]["timeframe_months"] = "SIX"
    op = create_op(body, ignore_drift_in=["paused", "config.timeframe_months", "config.accounts"])
    op.execute(context)
    assert patches(sim) == [{"sync_frequency": 360}]


# -- plan only ----------------------------------------------------------------------------------------------


def test_plan_only_without_a_connection_creates_nothing(
    sim: Sim, context: Context, capsys: pytest.CaptureFixture[str]
) -> None:
    assert create_op(full_request(), plan_only=True).execute(context) is None

    assert sim.calls() == [LIST]
    assert sim.control.connections() == []
    assert "Plan: create spotify_ads connection 'spotify_full'" in capsys.readouterr().out


def test_plan_only_with_drift_patches_nothing(
    sim: Sim, existing: str, context: Context, capsys: pytest.CaptureFixture[str]
) -> None:
    assert create_op(drifted(), plan_only=True).execute(context) == existing

    assert sim.calls() == [LIST]
    out = capsys.readouterr().out
    assert "would PATCH ['config', 'sync_frequency']" in out
    assert sim.details(existing)["paused"] is False


# -- input refused before any call -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            lambda b: b["config"]["report_list"][0]["fields"].append("CLICKZ"),
            "config.report_list[0].fields[3]",
        ),
        (lambda b: b.update(sync_frequency=7), "sync_frequency"),
        (lambda b: b["config"].update(sync_mode="SOME_ACCOUNTS"), "config.sync_mode"),
    ],
    ids=["report-field", "frequency", "sync-mode"],
)
def test_bad_input_is_refused_before_any_call_naming_the_field(
    sim: Sim, context: Context, change: Callable[[dict[str, Any]], Any], field: str
) -> None:
    body = full_request()
    change(body)
    with pytest.raises(FivetranInputError) as raised:
        create_op(body).execute(context)
    assert field in raised.value.paths
    assert sim.calls() == []


@pytest.mark.parametrize(
    "connection",
    [
        [full_request()],  # dict() of it: "dictionary update sequence element #0 has length 9"
        [{"group_id": "g", "config": {"schema": "s"}}],  # dict() of it: {"group_id": "config"}
        [("group_id", "g"), ("service", "spotify_ads")],  # dict() of it: a body missing its config
        json.dumps(full_request()),  # a template rendered to a string, not a dict
        None,
    ],
    ids=["list-of-body", "list-of-two-key-dict", "list-of-pairs", "json-string", "none"],
)
def test_a_connection_that_is_not_a_mapping_is_refused_naming_it(
    sim: Sim, context: Context, connection: Any
) -> None:
    with pytest.raises(FivetranInputError) as raised:
        create_op(connection).execute(context)
    assert raised.value.paths == ["connection"]
    assert "must be a dict" in str(raised.value)
    assert type(connection).__name__ in str(raised.value)
    assert DEMO_CLIENT_SECRET not in str(raised.value)  # the value itself is never shown
    assert sim.calls() == []


def test_bad_input_fails_the_task_in_a_dag_run_without_any_call(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str
) -> None:
    body = full_request()
    body["config"]["sync_mode"] = "SOME_ACCOUNTS"
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        create_op(body)

    outcome = run_dag(dag)

    error = outcome.error("create")
    assert isinstance(error, FivetranInputError)
    assert "config.sync_mode" in str(error)
    assert sim.calls() == []


def test_templated_connection_is_rendered_from_params(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str
) -> None:
    body = connection_request("{{ params.schema }}", sync_frequency="{{ params.frequency }}")
    with DAG(
        dag_id,
        schedule=None,
        start_date=datetime(2026, 1, 1),
        params={"schema": "from_params", "frequency": "720"},
    ) as dag:
        create_op(body)

    assert run_dag(dag).task_states == {"create": "success"}
    [connection] = sim.control.connections()
    assert (connection["schema"], connection["sync_frequency"]) == ("from_params", 720)


# -- credentials from an Airflow connection ------------------------------------------------------------------


def spotify_conn(
    monkeypatch: pytest.MonkeyPatch, *, login: str, password: str, refresh_token: str | None
) -> None:
    extra = {"refresh_token": refresh_token} if refresh_token else {}
    value = {"conn_type": "generic", "login": login, "password": password, "extra": extra}
    monkeypatch.setenv("AIRFLOW_CONN_SPOTIFY_ADS", json.dumps(value))


def test_spotify_conn_id_builds_auth_from_an_airflow_connection(
    sim: Sim, run_dag: Callable[[DAG], DagOutcome], dag_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spotify_conn(
        monkeypatch, login=DEMO_CLIENT_ID, password=DEMO_CLIENT_SECRET, refresh_token=DEMO_REFRESH_TOKEN
    )
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        create_op(connection_request(auth=False), spotify_conn_id="spotify_ads")

    assert run_dag(dag).task_states == {"create": "success"}
    [connection] = sim.control.connections()
    assert connection["_sim"]["auth"]["client_id"] == DEMO_CLIENT_ID
    assert connection["status"]["setup_state"] == "connected"
    [create] = [e for e in sim.requests() if e["method"] == "POST"]
    assert create["request_body"]["auth"]["client_access"]["client_id"] == DEMO_CLIENT_ID


def test_spotify_conn_id_without_refresh_token_is_refused_before_any_call(
    sim: Sim, context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    spotify_conn(monkeypatch, login=DEMO_CLIENT_ID, password=DEMO_CLIENT_SECRET, refresh_token=None)
    with pytest.raises(ValueError, match="lacks refresh_token"):
        create_op(connection_request(auth=False), spotify_conn_id="spotify_ads").execute(context)
    assert sim.calls() == []


def test_reauthorize_repairs_a_broken_connection(sim: Sim, context: Context) -> None:
    other = {
        "refresh_token": OTHER_REFRESH_TOKEN,
        "client_access": {"client_id": OTHER_CLIENT_ID, "client_secret": OTHER_CLIENT_SECRET},
    }
    conn_id = created(create_op(connection_request(auth=False) | {"auth": other}), context)
    sim.control.revoke(refresh_token=OTHER_REFRESH_TOKEN, immediate=True)
    assert sim.details(conn_id)["status"]["setup_state"] == "broken"
    sim.control.clear_requests()

    create_op(connection_request(), reauthorize=True).execute(context)

    [patch] = patches(sim)
    assert set(patch) == {"auth", "run_setup_tests"}
    assert sim.details(conn_id)["status"]["setup_state"] == "connected"


def test_connection_model_object_is_accepted(sim: Sim, context: Context) -> None:
    from airflow_spotify_fivetran.models import NewSpotifyAdsConnection

    model = NewSpotifyAdsConnection.from_api_dict(copy.deepcopy(full_request()))
    conn_id = created(create_op(model), context)
    assert sim.calls() == [LIST, CREATE]
    assert sim.details(conn_id)["config"]["report_list"] == full_request()["config"]["report_list"]


@pytest.mark.parametrize("names", [["config.acounts"], ["paused", "sync_freq"], ["accounts"]])
def test_a_misspelt_ignore_drift_in_is_refused_when_the_dag_is_parsed(sim: Sim, names: list[str]) -> None:
    with pytest.raises(ValueError, match="ignore_drift_in has unknown field") as raised:
        create_op(full_request(), ignore_drift_in=names)
    assert "config.accounts" in str(raised.value)  # the valid names are listed
    assert sim.calls() == []


def test_a_single_ignore_drift_in_name_is_one_field(sim: Sim, existing: str, context: Context) -> None:
    body = full_request()
    body["paused"] = True
    assert create_op(body, ignore_drift_in="paused").ignore_drift_in == ("paused",)
    create_op(body, ignore_drift_in="paused").execute(context)
    assert patches(sim) == []


def test_invalid_on_drift_is_refused_when_the_dag_is_parsed() -> None:
    with pytest.raises(ValueError, match="on_drift must be one of update, fail, ignore"):
        create_op(full_request(), on_drift="overwrite")


# -- plan only decides as a real run would ------------------------------------------------------------------


def test_plan_only_with_on_drift_fail_logs_the_failure_and_changes_nothing(
    sim: Sim, existing: str, context: Context, capsys: pytest.CaptureFixture[str]
) -> None:
    assert create_op(drifted(), on_drift="fail", plan_only=True).execute(context) == existing

    assert sim.calls() == [LIST]
    out = capsys.readouterr().out
    assert f"Plan only: would fail: Connection {existing} differs from the request (on_drift='fail')" in out
    assert "would PATCH" not in out


def test_plan_only_with_immutable_drift_logs_the_failure_and_changes_nothing(
    sim: Sim, existing: str, context: Context, capsys: pytest.CaptureFixture[str]
) -> None:
    body = full_request()
    body["config"]["timeframe_months"] = "SIX"
    assert create_op(body, plan_only=True).execute(context) == existing

    assert sim.calls() == [LIST]
    out = capsys.readouterr().out
    assert "Plan only: would fail: " in out
    assert "config.timeframe_months cannot change" in out
    assert "would PATCH" not in out


@pytest.mark.parametrize(
    ("reauthorize", "planned"), [(False, "nothing"), (True, "['auth', 'run_setup_tests']")]
)
def test_plan_only_with_on_drift_ignore_plans_only_what_a_real_run_sends(
    sim: Sim,
    existing: str,
    context: Context,
    capsys: pytest.CaptureFixture[str],
    reauthorize: bool,
    planned: str,
) -> None:
    op = create_op(drifted(), on_drift="ignore", reauthorize=reauthorize, plan_only=True)
    assert op.execute(context) == existing

    assert sim.calls() == [LIST]
    out = capsys.readouterr().out
    assert f"Plan only: would leave the drift of connection {existing} as it is (on_drift='ignore')" in out
    assert f"Plan only: would PATCH {planned}" in out
    # ... and a real run sends just that
    create_op(drifted(), on_drift="ignore", reauthorize=reauthorize).execute(context)
    assert [set(body) for body in patches(sim)] == ([{"auth", "run_setup_tests"}] if reauthorize else [])


# -- two runs creating the same connection at once -------------------------------------------------------------


def created_by_another_run_after_the_lookup(
    sim: Sim, monkeypatch: pytest.MonkeyPatch, body: dict[str, Any]
) -> list[str]:
    """Another run creates ``body`` once the task's lookup found nothing, before the task's own create."""
    from airflow_spotify_fivetran.hooks.fivetran import FivetranHook

    other: list[str] = []
    done = threading.Event()

    def other_run_creates() -> None:
        other.append(str(sim.api("POST", "/v1/connections", body)["id"]))
        done.set()

    sim.on_request("GET", "/v1/connections", 1, other_run_creates)
    real_create = FivetranHook.create_connection

    def create_once_the_other_run_did(self: FivetranHook, request: Any) -> Any:
        assert done.wait(10), "the other run never created its connection"
        return real_create(self, request)

    monkeypatch.setattr(FivetranHook, "create_connection", create_once_the_other_run_did)
    return other


def test_a_create_that_conflicts_with_a_concurrent_run_adopts_its_connection(
    sim: Sim, context: Context, ti: RecordingTI, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = created_by_another_run_after_the_lookup(sim, monkeypatch, full_request())

    conn_id = create_op(full_request()).execute(context)

    assert [conn_id] == other
    assert [(e["method"], e["path"], e["status"]) for e in sim.requests()] == [
        (*LIST, 200),
        (*CREATE, 201),  # the other run
        (*CREATE, 409),  # this task: the schema is taken
        (*LIST, 200),  # looked up again, adopted: nothing differs, no PATCH
    ]
    assert len(sim.control.connections()) == 1
    assert ti.xcoms[LINK_KEY] == dashboard_url(conn_id)


def test_a_conflicting_create_adopts_through_the_drift_check(
    sim: Sim, context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    other_body = full_request()
    other_body["sync_frequency"] = 360
    del other_body["daily_sync_time"]
    other = created_by_another_run_after_the_lookup(sim, monkeypatch, other_body)

    assert create_op(full_request(), on_drift="update").execute(context) == other[0]

    assert patches(sim) == [{"sync_frequency": 1440, "daily_sync_time": "03:00"}]
    assert sim.details(other[0])["sync_frequency"] == 1440


def test_a_conflict_without_a_connection_to_adopt_fails(sim: Sim, context: Context) -> None:
    sim.control.add_fault("POST /v1/connections", "error", status=409, message="something else conflicts")
    with pytest.raises(FivetranConflictError, match="something else conflicts"):
        create_op(full_request()).execute(context)
    assert sim.calls() == [LIST, CREATE, LIST]
    assert sim.control.connections() == []


def test_an_incomplete_spotify_connection_is_an_input_error_naming_spotify_conn_id(
    sim: Sim, context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    spotify_conn(monkeypatch, login=DEMO_CLIENT_ID, password="", refresh_token=None)
    with pytest.raises(FivetranInputError) as raised:
        create_op(connection_request(auth=False), spotify_conn_id="spotify_ads").execute(context)

    assert raised.value.paths == ["spotify_conn_id"]
    assert "Airflow connection 'spotify_ads' lacks password, refresh_token" in str(raised.value)
    assert DEMO_CLIENT_ID not in str(raised.value)
    assert sim.calls() == []


# -- deciding from a listed state (the fleet's one read of the group) ------------------------------------


class RetryTI(RecordingTI):
    """A task instance on its second try."""

    try_number = 2


def test_listed_absent_creates_without_a_lookup(sim: Sim, context: Context) -> None:
    conn_id = create_op(full_request(), listed=listed_in_group(sim, "spotify_full")).execute(context)

    assert sim.calls() == [CREATE]
    assert [c["id"] for c in sim.control.connections()] == [conn_id]


def test_listed_unchanged_connection_is_adopted_without_a_call(
    sim: Sim, existing: str, context: Context, ti: RecordingTI
) -> None:
    assert create_op(full_request(), listed=listed_in_group(sim, "spotify_full")).execute(context) == existing

    assert sim.calls() == []
    assert ti.xcoms[LINK_KEY] == dashboard_url(existing)


def test_listed_connection_with_drift_gets_one_patch(sim: Sim, existing: str, context: Context) -> None:
    assert create_op(drifted(), listed=listed_in_group(sim, "spotify_full")).execute(context) == existing

    assert sim.calls() == [("PATCH", f"/v1/connections/{existing}")]
    assert patches(sim) == [{"sync_frequency": 360, "config": {"accounts": [DEMO_ACCOUNTS[0]]}}]


def test_listed_absent_but_created_since_the_read_is_adopted_after_the_conflict(
    sim: Sim, context: Context
) -> None:
    listed = listed_in_group(sim, "spotify_full")
    other = sim.create("spotify_full", config=full_request()["config"])  # another writer, after the read

    assert create_op(full_request(), listed=listed).execute(context) == other

    assert [(e["method"], e["path"], e["status"]) for e in sim.requests()][:2] == [
        (*CREATE, 409),
        (*LIST, 200),
    ]
    assert [c["id"] for c in sim.control.connections()] == [other]


def test_a_retry_looks_up_afresh_instead_of_trusting_listed_absent(sim: Sim) -> None:
    """The first try created the connection, then died before its XCom: the retry must not create again."""
    listed = listed_in_group(sim, "spotify_full")
    ti = RetryTI()
    first = created(create_op(full_request()), task_context(ti))
    sim.control.clear_requests()

    assert create_op(full_request(), listed=listed).execute(task_context(ti)) == first

    assert sim.calls() == [LIST]
    assert len(sim.control.connections()) == 1


def test_a_drift_in_a_field_the_list_did_not_carry_is_read_before_it_is_patched(
    sim: Sim, existing: str, context: Context
) -> None:
    listed = listed_in_group(sim, "spotify_full")
    del listed["connection"]["config"]  # a list answer without config (the evidence is thin either way)

    assert create_op(full_request(), listed=listed).execute(context) == existing

    assert sim.calls() == [("GET", f"/v1/connections/{existing}")]  # read, found unchanged: no PATCH


def test_a_looked_up_connection_without_config_is_read_before_anything_is_patched(
    sim: Sim, existing: str, context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = listed_in_group(sim, "spotify_full")
    del listed["connection"]["config"]  # what the lookup's list answer gave, without config
    op = create_op(full_request())
    monkeypatch.setattr(op.hook, "find_connection", lambda group_id, schema: listed_connection(listed))

    assert op.execute(context) == existing

    assert sim.calls() == [("GET", f"/v1/connections/{existing}")]  # read, found unchanged: no PATCH


def test_a_listed_state_of_another_schema_is_refused_before_any_call(
    sim: Sim, existing: str, context: Context
) -> None:
    listed = listed_in_group(sim, "spotify_full")
    with pytest.raises(FivetranInputError) as raised:
        create_op(full_request("spotify_other"), listed=listed).execute(context)

    assert raised.value.paths == ["listed"]
    assert f"is connection {existing} (schema 'spotify_full'" in str(raised.value)
    assert sim.calls() == []
