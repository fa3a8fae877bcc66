"""Setup tests decided by the fake Spotify side; setup_state; Connect Card; revocation."""

from __future__ import annotations

import re

import pytest
import requests

from builders import auth, create, details, specific_accounts, statuses
from fivetran_simulator import (
    DEMO_CLIENT_ID,
    DEMO_REFRESH_TOKEN,
    OTHER_CLIENT_ID,
    OTHER_CLIENT_SECRET,
    OTHER_REFRESH_TOKEN,
    SimulatorServer,
)
from tests.helpers.simulator import SimulatorHttp

pytestmark = pytest.mark.usefixtures("simulator")

CLIENT, TOKEN, ACCOUNTS = (
    "Validating client credentials",
    "Validating refresh token",
    "Checking ad account access",
)


def test_demo_credentials_pass(simulator_http: SimulatorHttp) -> None:
    data = create(simulator_http, **specific_accounts())
    assert statuses(data) == {CLIENT: "PASSED", TOKEN: "PASSED", ACCOUNTS: "PASSED"}
    assert data["status"]["setup_state"] == "connected"


def test_bad_client_secret(simulator_http: SimulatorHttp) -> None:
    data = create(simulator_http, auth=auth(client_secret="wrong"))
    assert statuses(data) == {CLIENT: "FAILED", TOKEN: "SKIPPED", ACCOUNTS: "SKIPPED"}
    assert data["status"]["setup_state"] == "incomplete"
    failed = data["setup_tests"][0]
    assert "client secret" in failed["message"].lower()
    assert "wrong" not in str(data)  # never echoes the secret it was given


def test_unknown_client_id(simulator_http: SimulatorHttp) -> None:
    data = create(simulator_http, auth=auth(client_id="nobody"))
    assert statuses(data)[CLIENT] == "FAILED"
    assert "nobody" in data["setup_tests"][0]["message"]


def test_refresh_token_of_another_client(simulator_http: SimulatorHttp) -> None:
    data = create(simulator_http, auth=auth(refresh_token=OTHER_REFRESH_TOKEN))
    assert statuses(data) == {CLIENT: "PASSED", TOKEN: "FAILED", ACCOUNTS: "SKIPPED"}
    message = data["setup_tests"][1]["message"]
    assert "different client id" in message
    assert "re-authorize" in message
    assert data["status"]["setup_state"] == "incomplete"


def test_unknown_refresh_token(simulator_http: SimulatorHttp) -> None:
    data = create(simulator_http, auth=auth(refresh_token="expired"))
    assert statuses(data)[TOKEN] == "FAILED"
    assert "Connect Card" in data["setup_tests"][1]["message"]


def test_missing_ad_account_access(simulator_http: SimulatorHttp) -> None:
    data = create(simulator_http, **specific_accounts("demo-ad-account-1", "123", "456"))
    assert statuses(data) == {CLIENT: "PASSED", TOKEN: "PASSED", ACCOUNTS: "FAILED"}
    test = data["setup_tests"][2]
    assert test["message"].startswith("No access to ad accounts 123, 456: grant")
    assert test["details"]["missing_accounts"] == ["123", "456"]
    assert data["status"]["setup_state"] == "incomplete"


def test_all_accounts_needs_at_least_one(simulator_http: SimulatorHttp, simulator: SimulatorServer) -> None:
    simulator.control.set_scenario(
        {"spotify": {"clients": {"c": "s"}, "tokens": {"t": {"client_id": "c", "accounts": []}}}}
    )
    data = create(simulator_http, auth=auth("c", "s", "t"))
    assert statuses(data)[ACCOUNTS] == "FAILED"


def test_other_app_credentials_pass_with_its_accounts(simulator_http: SimulatorHttp) -> None:
    other = auth(OTHER_CLIENT_ID, OTHER_CLIENT_SECRET, OTHER_REFRESH_TOKEN)
    assert create(simulator_http, auth=other)["status"]["setup_state"] == "connected"
    data = create(simulator_http, "second", auth=other, **specific_accounts("demo-ad-account-1"))
    assert statuses(data)[ACCOUNTS] == "FAILED"


def test_no_auth_says_authorization_is_missing(simulator_http: SimulatorHttp) -> None:
    data = create(simulator_http, with_auth=False)
    assert statuses(data) == {CLIENT: "FAILED", TOKEN: "SKIPPED", ACCOUNTS: "SKIPPED"}
    assert "Authorization is missing" in data["setup_tests"][0]["message"]
    assert "authorization is missing" in data["setup_tests"][1]["message"]
    assert data["status"]["setup_state"] == "incomplete"


def test_fixing_the_secret_then_testing_connects(simulator_http: SimulatorHttp) -> None:
    conn_id = create(simulator_http, auth=auth(client_secret="wrong"))["id"]
    simulator_http.patch(f"/v1/connections/{conn_id}", json={"auth": auth()})
    assert details(simulator_http, conn_id)["status"]["setup_state"] == "incomplete"  # not tested yet
    data = simulator_http.post(f"/v1/connections/{conn_id}/test", json={}).json()["data"]
    assert data["status"]["setup_state"] == "connected"


def test_extra_scenario_tests_warning_and_job_failed(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    extra = [{"title": "Checking report availability", "status": "WARNING", "message": "Reports lag 3 hours"}]
    simulator.control.set_scenario({"extra_setup_tests": extra})
    data = create(simulator_http)
    assert statuses(data)["Checking report availability"] == "WARNING"
    assert data["status"]["setup_state"] == "incomplete"  # README: connected only when all pass or skip
    simulator.control.set_scenario({"extra_setup_tests": [{"title": "Job", "status": "SKIPPED"}]})
    assert (
        simulator_http.post(f"/v1/connections/{data['id']}/test", json={}).json()["data"]["status"][
            "setup_state"
        ]
        == "connected"
    )


def test_connect_card_flow_completed_by_control(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    conn_id = create(simulator_http, with_auth=False)["id"]
    card = simulator_http.post(
        f"/v1/connections/{conn_id}/connect-card",
        json={"connect_card_config": {"redirect_uri": "https://x.example/d"}},
    ).json()["data"]["connect_card"]
    assert card["token"]
    view = simulator.control.complete_connect_card(conn_id)
    assert view["status"]["setup_state"] == "connected"
    assert view["_sim"]["auth"] == {
        "client_id": DEMO_CLIENT_ID,
        "client_secret": "******",
        "refresh_token": "******",
    }
    data = details(simulator_http, conn_id)
    assert data["status"]["setup_state"] == "connected"
    assert statuses(data) == {CLIENT: "PASSED", TOKEN: "PASSED", ACCOUNTS: "PASSED"}


def test_connect_card_completed_with_given_credentials(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    conn_id = create(simulator_http, with_auth=False)["id"]
    view = simulator.control.complete_connect_card(
        conn_id, client_id=DEMO_CLIENT_ID, client_secret="nope", refresh_token=DEMO_REFRESH_TOKEN
    )
    assert view["status"]["setup_state"] == "incomplete"
    assert view["_sim"]["credentials_valid"] is False


def test_connect_card_page_authorizes_and_redirects(simulator_http: SimulatorHttp) -> None:
    conn_id = create(simulator_http, with_auth=False)["id"]
    uri = simulator_http.post(
        f"/v1/connections/{conn_id}/connect-card",
        json={"connect_card_config": {"redirect_uri": "https://airflow.example/done?x=1"}},
    ).json()["data"]["connect_card"]["uri"]
    page = requests.get(uri, timeout=5)
    assert page.status_code == 200
    assert conn_id in page.text
    action = re.search(r'action="([^"]+)"', page.text)
    assert action is not None
    answer = requests.post(simulator_http.base_url + action.group(1), allow_redirects=False, timeout=5)
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"https://airflow.example/done?x=1&id={conn_id}"
    assert details(simulator_http, conn_id)["status"]["setup_state"] == "connected"
    assert requests.get(simulator_http.base_url + "/_sim/connect-card/unknown", timeout=5).status_code == 404


def test_revocation_breaks_on_next_test_run(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    conn_id = create(simulator_http)["id"]
    result = simulator.control.revoke(refresh_token=DEMO_REFRESH_TOKEN)
    assert result == {"affected": [conn_id], "broken": []}
    assert details(simulator_http, conn_id)["status"]["setup_state"] == "connected"  # not noticed yet
    data = simulator_http.post(f"/v1/connections/{conn_id}/test", json={}).json()["data"]
    assert data["status"]["setup_state"] == "broken"
    assert statuses(data)[TOKEN] == "FAILED"
    assert "revoked" in data["setup_tests"][1]["message"]
    assert data["status"]["tasks"][0]["code"] == "reconnect"
    # Re-authorizing through the Connect Card with a working token repairs it.
    simulator.control.set_scenario(
        {"spotify": {"clients": {"c": "s"}, "tokens": {"t2": {"client_id": "c", "accounts": ["a"]}}}}
    )
    view = simulator.control.complete_connect_card(
        conn_id, client_id="c", client_secret="s", refresh_token="t2"
    )
    assert view["status"]["setup_state"] == "connected"
    assert view["status"]["tasks"] == []


def test_revocation_of_a_client_immediately(
    simulator_http: SimulatorHttp, simulator: SimulatorServer
) -> None:
    connected = create(simulator_http)["id"]
    untested = create(simulator_http, "b", run_setup_tests=False)["id"]
    result = simulator.control.revoke(client_id=DEMO_CLIENT_ID, immediate=True)
    assert set(result["affected"]) == {connected, untested}
    assert result["broken"] == [connected]
    data = details(simulator_http, connected)
    assert data["status"]["setup_state"] == "broken"
    assert "disabled or its access revoked" in data["setup_tests"][0]["message"]
    assert details(simulator_http, untested)["status"]["setup_state"] == "incomplete"


def test_failed_tests_of_an_incomplete_connection_keep_it_incomplete(simulator_http: SimulatorHttp) -> None:
    conn_id = create(simulator_http, auth=auth(client_secret="x"))["id"]
    data = simulator_http.post(f"/v1/connections/{conn_id}/test", json={}).json()["data"]
    assert data["status"]["setup_state"] == "incomplete"
