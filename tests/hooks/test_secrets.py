"""No secret leaves the hook in a log line or an error: the API secret, ``refresh_token``, ``client_secret``.

The raw values are searched for (Airflow's masker may also redact them; this checks they are never there to
redact), in everything captured at DEBUG (urllib3 included), on stdout/stderr, and in ``str``/``repr`` and the
formatted traceback of every error raised along the way.
"""

from __future__ import annotations

import copy
import json
import logging
import traceback
from collections.abc import Callable
from typing import Any

import pytest

from airflow_spotify_fivetran.exceptions import (
    FivetranAuthError,
    FivetranBadRequestError,
    FivetranConflictError,
    FivetranError,
    FivetranInputError,
    FivetranNotFoundError,
    FivetranServerError,
    FivetranTransportError,
)
from airflow_spotify_fivetran.hooks import FivetranAsyncHook, FivetranHook
from fivetran_simulator import DEFAULT_GROUP_ID, SimulatorServer
from tests.hooks import SleepRecorder
from tests.payloads import SEED_CLIENT_SECRET, SEED_PATCH, SEED_REFRESH_TOKEN, seed_request

API_SECRET = "api-secret-DISTINCT-0b7c5e"
WRONG_API_SECRET = "api-secret-WRONG-DISTINCT-41aa"
SECRETS = (API_SECRET, WRONG_API_SECRET, SEED_REFRESH_TOKEN, SEED_CLIENT_SECRET)
PATCH = "PATCH /v1/connections/{id}"


@pytest.fixture
def secret_simulator(
    simulator_factory: Callable[..., SimulatorServer], monkeypatch: pytest.MonkeyPatch
) -> SimulatorServer:
    server = simulator_factory(api_secret=API_SECRET)
    monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_DEFAULT", server.airflow_conn_json)
    return server


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)  # restored by caplog after the test
    caplog.set_level(logging.DEBUG, logger="urllib3")
    return caplog


def _seed(schema: str) -> dict[str, Any]:
    body = seed_request()  # SEED_REFRESH_TOKEN and SEED_CLIENT_SECRET in auth
    body["group_id"] = DEFAULT_GROUP_ID
    body["config"]["schema"] = schema
    return body


def _texts_of(error: BaseException) -> list[str]:
    return [str(error), repr(error), "".join(traceback.format_exception(error))]


async def test_no_secret_in_logs_or_errors(
    secret_simulator: SimulatorServer,
    debug_logs: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    control = secret_simulator.control
    hook = FivetranHook(sleep=SleepRecorder())
    errors: list[BaseException] = []

    def expect(kind: type[FivetranError], call: Callable[[], object]) -> None:
        with pytest.raises(kind) as raised:
            call()
        errors.append(raised.value)

    control.add_fault("POST /v1/connections", "error", status=503)  # a retried create logs a warning
    created = hook.create_connection(_seed("ads_secrets"))
    hook.modify_connection(created.id, copy.deepcopy(SEED_PATCH))
    expect(FivetranConflictError, lambda: hook.create_connection(_seed("ads_secrets")))
    expect(
        FivetranNotFoundError, lambda: hook.modify_connection("no_such_connection", copy.deepcopy(SEED_PATCH))
    )
    control.add_fault(PATCH, "error", status=400, code="InvalidInput")
    expect(FivetranBadRequestError, lambda: hook.modify_connection(created.id, copy.deepcopy(SEED_PATCH)))
    control.add_fault(PATCH, "error", status=500, count=None)
    expect(FivetranServerError, lambda: hook.modify_connection(created.id, copy.deepcopy(SEED_PATCH)))
    control.clear_faults()
    control.add_fault(PATCH, "drop", count=None)
    expect(FivetranTransportError, lambda: hook.modify_connection(created.id, copy.deepcopy(SEED_PATCH)))
    control.clear_faults()
    refused = _seed("ads_refused")
    refused["sync_frequency"] = 7  # refused before any call, with the secrets in the same body
    expect(FivetranInputError, lambda: hook.create_connection(refused))
    hook.close()

    conn = json.loads(secret_simulator.airflow_conn_json)
    monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_DEFAULT", json.dumps({**conn, "password": WRONG_API_SECRET}))
    wrong = FivetranHook(sleep=SleepRecorder())
    expect(FivetranAuthError, lambda: wrong.get_connection_details(created.id))
    _, message = wrong.test_connection()
    wrong.close()
    async with FivetranAsyncHook() as async_hook:
        with pytest.raises(FivetranAuthError) as raised:
            await async_hook.get_connection_details(created.id)
        errors.append(raised.value)

    captured = capsys.readouterr()
    logged = [debug_logs.text, captured.out, captured.err, message]
    logged += [f"{r.getMessage()} {r.args!r}" for r in debug_logs.records]
    everything = "\n".join(logged + [text for error in errors for text in _texts_of(error)])
    # The capture is live: the retry warnings and urllib3's DEBUG lines are in it.
    assert "Fivetran call failed" in everything
    assert '"POST /v1/connections HTTP/1.1" 503' in everything
    assert len(errors) == 8
    for secret in SECRETS:
        assert secret not in everything, f"{secret!r} leaked"
    stored = control.connection(created.id)["_sim"]["auth"]
    assert stored["refresh_token"] == "******"  # the secrets were sent: the simulator holds them
