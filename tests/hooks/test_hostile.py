"""Hostile servers and odd input (issue 11): secrets quoted back, huge or non-UTF-8 error texts, dot-segment
ids, hosts written as Fivetran's docs write them, configuration mistakes, answers trickled forever,
``Retry-After`` dates, and lost answers that must be known rather than guessed."""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import logging
from collections.abc import Callable
from typing import Any

import pytest

from airflow_spotify_fivetran.exceptions import (
    FivetranBadRequestError,
    FivetranConfigurationError,
    FivetranConflictError,
    FivetranInputError,
    FivetranServerError,
    FivetranTransportError,
)
from airflow_spotify_fivetran.hooks import FivetranAsyncHook, FivetranHook
from airflow_spotify_fivetran.hooks.api import parse_retry_after
from airflow_spotify_fivetran.hooks.retry import MAX_RETRY_AFTER, backoff_delay
from fivetran_simulator import DEFAULT_GROUP_ID, SimulatorServer
from tests.hooks import SleepRecorder, calls
from tests.hooks.raw_server import RawAnswer, RawRequest, connection_data, raw_server
from tests.payloads import SEED_CLIENT_SECRET, SEED_REFRESH_TOKEN, demo_request, seed_request

DETAILS = "GET /v1/connections/{id}"
LIST = "GET /v1/connections"
CREATE = "POST /v1/connections"
RESYNC = "POST /v1/connections/{id}/resync"
API_SECRET = "api-secret-HOSTILE-5e1d"


def _echo(status: int) -> Callable[[RawRequest], RawAnswer]:
    """An error answer whose message quotes the request: its body and its decoded Authorization header."""

    def answer(request: RawRequest) -> RawAnswer:
        basic = request.headers.get("authorization", "").removeprefix("Basic ")
        credentials = base64.b64decode(basic).decode() if basic else ""
        message = f"Invalid request {request.body.decode()} sent with {credentials}"
        return RawAnswer.json(status, {"code": "InvalidInput", "message": message})

    return answer


def _seed(schema: str = "ads_hostile") -> dict[str, Any]:
    body = seed_request()
    body["group_id"] = DEFAULT_GROUP_ID
    body["config"]["schema"] = schema
    return body


# -- 1. secrets quoted back by the server -------------------------------------------------------------------------


def test_secrets_quoted_back_by_the_server_are_scrubbed(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.WARNING)
    with raw_server(_echo(503), _echo(400)) as server:
        monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_DEFAULT", server.airflow_conn_json(password=API_SECRET))
        hook = FivetranHook(sleep=SleepRecorder(), max_attempts=2)
        with pytest.raises(FivetranBadRequestError) as raised:
            hook.create_connection(_seed())
        hook.close()
        assert SEED_REFRESH_TOKEN.encode() in server.requests[0].body  # the server did quote them

    captured = capsys.readouterr()
    texts = [str(raised.value), repr(raised.value), caplog.text, captured.out, captured.err]
    everything = "\n".join(texts)
    assert "Invalid request" in str(raised.value)
    assert "Fivetran call failed" in everything  # the retry warning is in the capture
    for secret in (API_SECRET, SEED_REFRESH_TOKEN, SEED_CLIENT_SECRET):
        assert secret not in everything, f"{secret!r} leaked"
    assert "***" in str(raised.value)


async def test_async_hook_scrubs_the_api_secret_quoted_back(monkeypatch: pytest.MonkeyPatch) -> None:
    with raw_server(_echo(400)) as server:
        monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_DEFAULT", server.airflow_conn_json(password=API_SECRET))
        async with FivetranAsyncHook(max_attempts=1) as hook:
            with pytest.raises(FivetranBadRequestError) as raised:
                await hook.get_connection_details("conn_1")

    assert "sent with key:***" in str(raised.value)
    assert API_SECRET not in str(raised.value)


async def test_a_hook_sharing_a_pooled_session_scrubs_the_api_secret_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with raw_server(_echo(400)) as server:
        monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_DEFAULT", server.airflow_conn_json(password=API_SECRET))
        async with FivetranAsyncHook(max_attempts=1), FivetranAsyncHook(max_attempts=1) as second:
            with pytest.raises(FivetranBadRequestError) as raised:  # second read no Airflow connection
                await second.get_connection_details("conn_1")

    assert "sent with key:***" in str(raised.value)
    assert API_SECRET not in str(raised.value)


# -- 2. bounded error texts ---------------------------------------------------------------------------------------


def test_a_huge_error_message_is_cut_and_says_so(hook: FivetranHook, simulator: SimulatorServer) -> None:
    simulator.control.add_fault(DETAILS, "error", status=400, code="InvalidInput", message="x" * 1_000_000)

    with pytest.raises(FivetranBadRequestError) as raised:
        hook.get_connection_details("conn_1")

    text = str(raised.value)
    assert len(text) < 5_000
    assert "[cut: 1,000,000 characters in all]" in text
    assert text.startswith("GET /v1/connections/conn_1 -> 400 InvalidInput: xxx")


async def test_async_hook_cuts_a_huge_non_json_error_page(
    simulator: SimulatorServer, simulator_airflow_conn: str
) -> None:
    simulator.control.add_fault(DETAILS, "text", status=400, body="<p>" + "y" * 500_000 + "</p>")

    async with FivetranAsyncHook(max_attempts=1) as hook:
        with pytest.raises(FivetranBadRequestError) as raised:
            await hook.get_connection_details("conn_1")

    assert len(str(raised.value)) < 5_000
    assert "characters in all]" in str(raised.value)


# -- 3. ids that are dot segments --------------------------------------------------------------------------------


@pytest.mark.parametrize("bad_id", [".", "..", "", "  "])
def test_dot_segment_and_empty_ids_are_refused_before_any_call(
    hook: FivetranHook, simulator: SimulatorServer, bad_id: str
) -> None:
    for call in (
        lambda: hook.delete_connection(bad_id, missing_ok=True),
        lambda: hook.get_connection_details(bad_id),
        lambda: hook.resync_connection(bad_id),
        lambda: hook.sync_connection(bad_id),
    ):
        with pytest.raises(FivetranInputError) as raised:
            call()
        assert raised.value.paths == ["connection_id"]
    assert simulator.control.requests() == []


async def test_async_hook_refuses_dot_segment_ids(
    simulator: SimulatorServer, simulator_airflow_conn: str
) -> None:
    async with FivetranAsyncHook() as hook:
        with pytest.raises(FivetranInputError, match="connection_id"):
            await hook.get_connection_details("..")
    assert simulator.control.requests() == []


def test_ids_with_dots_that_are_no_dot_segment_are_sent_as_one_segment(
    hook: FivetranHook, simulator: SimulatorServer
) -> None:
    for odd_id in ("...", "a..b", ".a"):
        assert "does not exist" in hook.delete_connection(odd_id, missing_ok=True)
    assert [e["path"] for e in simulator.control.requests()] == [
        "/v1/connections/...",
        "/v1/connections/a..b",
        "/v1/connections/.a",
    ]


# -- 4. a host written as Fivetran's docs write it ----------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["/v1", "/v1/"])
def test_a_host_ending_in_v1_is_accepted(
    make_hook: Callable[..., FivetranHook], simulator: SimulatorServer, suffix: str
) -> None:
    created = make_hook().create_connection(demo_request("ads_v1_host"))
    hook = make_hook(host=simulator.base_url + suffix)

    assert hook.get_connection_details(created.id).id == created.id
    assert simulator.control.requests()[-1]["path"] == f"/v1/connections/{created.id}"


async def test_async_hook_accepts_a_host_ending_in_v1(
    make_hook: Callable[..., FivetranHook], simulator: SimulatorServer
) -> None:
    created = make_hook().create_connection(demo_request("ads_v1_host_async"))
    make_hook(host=simulator.base_url + "/v1/")  # sets the Airflow connection

    async with FivetranAsyncHook() as hook:
        assert (await hook.get_connection_details(created.id)).id == created.id


# -- 5. configuration errors fail at once -------------------------------------------------------------------------

BAD_CONFIG = {
    "ftp-scheme": ({"host": "ftp://127.0.0.1:21"}, "host"),
    "bad-port": ({"host": "http://127.0.0.1:port"}, "host"),
    "space-in-host": ({"host": "https://api.five tran.com"}, "host"),
    "en-dash-in-secret": ({"password": "abc\u2013def"}, "password"),
    "en-dash-in-key": ({"login": "key\u2013one"}, "login"),
}


@pytest.mark.parametrize(("change", "field"), BAD_CONFIG.values(), ids=BAD_CONFIG.keys())
def test_configuration_errors_are_typed_and_not_retried(
    simulator: SimulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    recorder: SleepRecorder,
    change: dict[str, str],
    field: str,
) -> None:
    import json

    conn = {**json.loads(simulator.airflow_conn_json), **change}
    monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_DEFAULT", json.dumps(conn))
    hook = FivetranHook(sleep=recorder)

    with pytest.raises(FivetranConfigurationError) as raised:
        hook.get_connection_details("conn_1")

    assert raised.value.paths == [field]
    assert "'fivetran_default'" in str(raised.value)
    if field == "password":
        assert "abc" not in str(raised.value)  # the secret itself is never shown
    assert recorder.delays == []
    assert simulator.control.requests() == []


@pytest.mark.parametrize(("change", "field"), BAD_CONFIG.values(), ids=BAD_CONFIG.keys())
async def test_async_configuration_errors_are_typed_and_not_retried(
    simulator: SimulatorServer, monkeypatch: pytest.MonkeyPatch, change: dict[str, str], field: str
) -> None:
    import json

    conn = {**json.loads(simulator.airflow_conn_json), **change}
    monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_DEFAULT", json.dumps(conn))

    with pytest.raises(FivetranConfigurationError) as raised:
        async with FivetranAsyncHook() as hook:
            await hook.get_connection_details("conn_1")

    assert raised.value.paths == [field]
    assert simulator.control.requests() == []


# -- 6. every attempt has a deadline ------------------------------------------------------------------------------

TRICKLE = RawAnswer(200, b'{"code": "Success", "data": {}}' + b" " * 200, trickle=0.2)


def test_a_trickled_answer_ends_at_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    with raw_server(TRICKLE) as server:  # 231 bytes at 0.2 s each: 46 s
        monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_DEFAULT", server.airflow_conn_json(call_timeout=1))
        hook = FivetranHook(read_timeout=1, max_attempts=1)
        assert hook.settings.call_deadline == 1.0
        with pytest.raises(FivetranTransportError) as raised:
            hook.get_connection_details("conn_1")
        hook.close()

    assert "deadline of 1 s" in str(raised.value)
    assert str(raised.value).startswith("GET /v1/connections/conn_1: ")


async def test_async_trickled_answer_ends_at_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    with raw_server(TRICKLE) as server:
        monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_DEFAULT", server.airflow_conn_json())
        async with FivetranAsyncHook(connect_timeout=0.5, read_timeout=1, max_attempts=1) as hook:
            assert hook.settings.call_deadline == 1.5  # connect + read when no call_timeout is set
            with pytest.raises(FivetranTransportError) as raised:
                await hook.get_connection_details("conn_1")

    assert "deadline of 1.5 s" in str(raised.value)


# -- 7. a body that is not UTF-8 ----------------------------------------------------------------------------------

LATIN1_503 = RawAnswer(503, "<h1>Service indisponible, réessayez</h1>".encode("latin-1"))


async def test_async_hook_reads_a_latin1_error_page_as_a_retryable_503(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    details = RawAnswer.json(200, {"code": "Success", "data": connection_data()})
    with raw_server(LATIN1_503, details) as server:
        monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_DEFAULT", server.airflow_conn_json())
        async with FivetranAsyncHook(max_attempts=1) as hook:
            with pytest.raises(FivetranServerError) as raised:
                await hook.get_connection_details("conn_1")
            assert (await hook.get_connection_details("conn_1")).id == "conn_1"

    assert str(raised.value).startswith("GET /v1/connections/conn_1 -> 503 error: non-JSON answer:")
    assert "Service indisponible" in str(raised.value)


def test_sync_hook_reads_a_latin1_error_page_as_a_retryable_503(monkeypatch: pytest.MonkeyPatch) -> None:
    details = RawAnswer.json(200, {"code": "Success", "data": connection_data()})
    with raw_server(LATIN1_503, details) as server:
        monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_DEFAULT", server.airflow_conn_json())
        recorder = SleepRecorder()
        hook = FivetranHook(sleep=recorder)
        assert hook.get_connection_details("conn_1").id == "conn_1"
        hook.close()
    assert len(recorder.delays) == 1


# -- 8. Retry-After as an HTTP date --------------------------------------------------------------------------------


def test_retry_after_as_an_http_date() -> None:
    now = dt.datetime(2025, 6, 1, 12, 0, 0, tzinfo=dt.UTC)
    in_30_s = email.utils.format_datetime(now + dt.timedelta(seconds=30), usegmt=True)
    past = email.utils.format_datetime(now - dt.timedelta(hours=1), usegmt=True)

    assert parse_retry_after(in_30_s, now=now) == 30.0
    assert parse_retry_after(past, now=now) == 0.0
    assert parse_retry_after("7", now=now) == 7.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after("Sun, 99 Foo 2025 12:00:00 GMT", now=now) is None


def test_a_retry_after_date_is_honoured_and_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    past = email.utils.format_datetime(dt.datetime(2020, 1, 1, tzinfo=dt.UTC), usegmt=True)
    soon = email.utils.format_datetime(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=90), usegmt=True)
    details = RawAnswer.json(200, {"code": "Success", "data": connection_data()})
    limited = {"code": "TooManyRequests", "message": "slow down"}
    answers = [
        RawAnswer.json(429, limited, **{"Retry-After": past}),
        RawAnswer.json(429, limited, **{"Retry-After": soon}),
        details,
    ]
    with raw_server(*answers) as server:
        monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_DEFAULT", server.airflow_conn_json())
        recorder = SleepRecorder()
        hook = FivetranHook(sleep=recorder)
        assert hook.get_connection_details("conn_1").id == "conn_1"
        hook.close()

    assert recorder.delays[0] == 0.0  # a date in the past: at once
    assert 80 <= recorder.delays[1] <= 90  # the date, not the exponential back-off
    assert backoff_delay(1, _rate_limited(3600.0)) == MAX_RETRY_AFTER


def _rate_limited(retry_after: float) -> Any:
    from airflow_spotify_fivetran.exceptions import FivetranRateLimitError

    return FivetranRateLimitError(status=429, code=None, message="", retry_after=retry_after)


# -- 9. a resync reported as done must be known --------------------------------------------------------------------


def test_a_lost_resync_during_an_ordinary_sync_is_not_reported_done(
    hook: FivetranHook, simulator: SimulatorServer
) -> None:
    created = hook.create_connection(demo_request("ads_resync_lost")).id
    hook.sync_connection(created)
    simulator.control.advance_clock(3600)  # the first (historical) sync ends
    hook.sync_connection(created)  # an ordinary sync runs
    simulator.control.clear_requests()
    simulator.control.add_fault(RESYNC, "drop")  # lost, and never applied: the retry meets the ordinary sync

    with pytest.raises(FivetranConflictError) as raised:
        hook.resync_connection(created)

    assert "retry after it ends" in str(raised.value)
    run = simulator.control.connection(created)["_sim"]["sync"]
    assert run["kind"] == "sync"  # no resync ever ran


# -- 10. no nested retries ----------------------------------------------------------------------------------------


def test_a_lost_create_with_a_failing_lookup_sends_at_most_max_attempts_of_each(
    hook: FivetranHook, simulator: SimulatorServer, recorder: SleepRecorder
) -> None:
    simulator.control.add_fault(CREATE, "error", status=502)  # lost (a 5xx may hide a create)
    simulator.control.add_fault(LIST, "error", status=503, count=None)

    with pytest.raises(FivetranServerError) as raised:
        hook.create_connection(demo_request("ads_nested"))

    log = simulator.control.requests()
    lookups = calls(log, "GET", "/v1/connections")
    assert len(calls(log, "POST", "/v1/connections")) == 1
    assert 1 <= len(lookups) <= 5
    assert raised.value.method == "GET"
    assert raised.value.attempts == len(lookups)  # the count in the message is the truth
    assert f"(after {len(lookups)} attempts)" in str(raised.value)
    assert len(recorder.delays) <= 4  # one wait between two of the five attempts


def test_table_level_resync_scope_is_refused_before_any_call(
    hook: FivetranHook, simulator: SimulatorServer
) -> None:
    with pytest.raises(FivetranInputError) as raised:
        hook.resync_connection("conn_1", scope={"ads": ["campaigns"]})

    assert raised.value.paths == ["scope"]
    assert "spotify_ads" in str(raised.value)
    assert simulator.control.requests() == []


def test_one_lookup_answers_after_a_lost_create(
    hook: FivetranHook, simulator: SimulatorServer, recorder: SleepRecorder
) -> None:
    simulator.control.add_fault(CREATE, "error", status=502, apply=True)  # created, answer lost

    created = hook.create_connection(demo_request("ads_lost_once"))

    log = simulator.control.requests()
    assert created.id == simulator.control.connections()[0]["id"]
    assert [(e["method"], e["path"]) for e in log] == [
        ("POST", "/v1/connections"),
        ("GET", "/v1/connections"),
    ]
    assert len(recorder.delays) == 1
    assert calls(log, "GET", "/v1/connections")[0]["query"]["schema"] == "ads_lost_once"
