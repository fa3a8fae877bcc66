"""``FivetranHook``: the one place that talks to Fivetran's ``/v1/connections`` API (synchronous path).

A subclass of the http provider's ``HttpHook`` (its connection form, ``test_connection`` and the ``fivetran``
connection type), using only public names of it: the Airflow connection is read with ``get_connection`` and
``connection_config.read_connection``, and ``get_conn`` builds our own ``requests.Session`` from it. What the
http provider does not offer publicly is ours, in the open: the ``https://`` default and the rest of the
base-URL rule, a deadline per attempt, the retry policy, secret scrubbing, and a refusal, with the reason,
of each of its extras we cannot honour. On top of that, this hook

- resolves the Airflow connection and builds the session once per hook, and reuses it for every call;
- sends ``Accept: application/json;version=2`` and a User-Agent naming this package on every call;
- defaults a host without a scheme to ``https://`` (HttpHook would send the API secret over ``http``);
- puts a connect and a read timeout on every call, and a deadline on each attempt as a whole (a server
  trickling its answer a byte at a time cannot hold a worker);
- never follows a redirect (it would re-send the credentials and a create elsewhere);
- retries 429 (honouring ``Retry-After``), 500, 502, 503, 504, network errors and unreadable answers with
  bounded, jittered exponential back-off (``hooks.retry``), and never other 4xx;
- never creates a connection twice: a create whose answer was lost is looked up before it is tried again;
- takes a DELETE retried into 404 after a lost answer for the success it was, and a resync retried into
  409 only when a read shows the re-sync running;
- turns every error answer into a typed exception carrying Fivetran's own code and message, with every
  secret of the call scrubbed from it and server text cut to a few KB;
- registers the API secret, ``refresh_token`` and ``client_secret`` with Airflow's secrets masker;
- refuses, before any call and without retries, an Airflow connection it cannot use (scheme, URL, a key
  or secret HTTP Basic cannot carry, an extra it cannot honour) and ids that are no path segment (``..``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator, Mapping, Set
from typing import Any, NoReturn

import requests
import tenacity
import urllib3
from airflow.providers.http.hooks.http import HttpHook

from airflow_spotify_fivetran.constants import CONN_TYPE, DEFAULT_CONN_ID
from airflow_spotify_fivetran.exceptions import (
    FivetranApiError,
    FivetranError,
    FivetranInputError,
    FivetranNotFoundError,
    FivetranResponseError,
    InputProblem,
)
from airflow_spotify_fivetran.hooks.api import (
    CONNECTIONS_PATH,
    CallSettings,
    applied_earlier,
    connection_path,
    decode_body,
    envelope_data,
    no_answer,
    path_segment,
    read_answer,
)
from airflow_spotify_fivetran.hooks.connection_config import ConnectionConfig, read_connection
from airflow_spotify_fivetran.hooks.retry import AttemptMemory, backoff_delay, lost_answer, retrying_kwargs
from airflow_spotify_fivetran.hooks.secrets import mask_request_secrets, mask_value, secret_values
from airflow_spotify_fivetran.models import (
    ConnectCardAnswer,
    ConnectCardConfig,
    Connection,
    ConnectionPage,
    ConnectionUpdate,
    NewSpotifyAdsConnection,
)
from airflow_spotify_fivetran.spend import ApiSpend


class _DeadlinePassed(Exception):
    """The attempt's deadline passed before its whole answer was read."""


def refuse_resync_scope(scope: Mapping[str, Any]) -> NoReturn:
    """Refuse a table-level re-sync (``FivetranInputError``): Fivetran offers ``scope`` only to connectors that
    support it (databases) and answers 400 for an application connector such as ``spotify_ads`` (contract
    README, "Corrections and additions"). ``FivetranResyncOperator`` refuses it with this when it is built."""
    raise FivetranInputError(
        [
            InputProblem(
                "scope",
                "a table-level re-sync is only for connectors that support it (databases); Fivetran "
                "answers 400 for an application connector such as spotify_ads. Leave scope out to "
                "re-sync all of the connection's data",
                dict(scope),
            )
        ],
        what="resync request",
    )


class FivetranHook(HttpHook):
    """Call Fivetran's connection endpoints with typed models in and out.

    :param fivetran_conn_id: Airflow connection of type ``fivetran``: login = API key, password = API secret,
        host = API URL (default ``https://api.fivetran.com``; ``https://`` when it names no scheme; a trailing
        ``/v1`` as in Fivetran's docs is fine). Extras ``connect_timeout``, ``read_timeout``,
        ``call_timeout`` (seconds) and ``max_attempts`` set the defaults below; of the http provider's
        extras, ``proxies``/``proxy``, ``verify``/``verify_ssl``, ``cert``, ``trust_env`` and ``timeout``
        apply, and the others are refused when they ask for what the hook does not do
        (``connection_config.EXTRAS``). Any other extra is sent as an HTTP header.
    :param connect_timeout: seconds to open a TCP connection (default 10).
    :param read_timeout: seconds to wait for each piece of an answer (default 60).
    :param call_timeout: seconds one attempt may take as a whole: connect, send, and read the whole answer
        (default: connect + read timeouts). Past it the attempt fails (and is retried like a timeout).
        ``hook.settings.call_deadline`` is the value in force.
    :param max_attempts: attempts per call, the first included (default 5); a call that needs several kinds
        of request (a create and its lost-answer lookup) sends at most this many of each.
    :param sleep: how to wait between attempts; tests may pass a recorder. Defaults to ``time.sleep``.
    :param clock: seconds of a monotonic clock, for the deadline of an attempt. Defaults to
        ``time.monotonic``.
    """

    conn_name_attr = "fivetran_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = CONN_TYPE
    hook_name = "Fivetran"

    def __init__(
        self,
        fivetran_conn_id: str = DEFAULT_CONN_ID,
        *,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        max_attempts: int | None = None,
        call_timeout: float | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(method="GET", http_conn_id=fivetran_conn_id)
        self.fivetran_conn_id = fivetran_conn_id
        self._overrides: dict[str, Any] = {
            "connect_timeout": connect_timeout,
            "read_timeout": read_timeout,
            "max_attempts": max_attempts,
            "call_timeout": call_timeout,
        }
        self._connection_config: ConnectionConfig | None = None
        self._session: requests.Session | None = None
        self._sleep = sleep or time.sleep
        self._clock = clock or time.monotonic
        #: Requests this hook sent (answered, refused or lost) and how many were retries.
        self.spend = ApiSpend()

    # -- session: built once per hook ------------------------------------------------------------------

    def get_conn(
        self, headers: dict[Any, Any] | None = None, extra_options: dict[str, Any] | None = None
    ) -> requests.Session:
        """The hook's ``requests.Session``, built (and the Airflow connection read) on first use only.

        :param headers: more headers for every call of the session.
        :param extra_options: extras that win over the Airflow connection's own, read the same way.
        """
        if self._session is None:
            config = self._read_connection(extra_options)
            session = requests.Session()
            session.headers.update(config.headers)
            session.headers.update(headers or {})
            if config.login:
                # Basic auth as requests does it; set on the session, so that no ~/.netrc entry replaces it
                session.auth = (config.login, config.password or "")
            session.proxies = dict(config.proxies)
            session.verify = config.verify
            session.cert = config.cert
            session.trust_env = config.trust_env
            if self.keep_alive_adapter is not None:  # HttpHook's TCP keep-alive (tcp_keep_alive=True)
                session.mount("https://", self.keep_alive_adapter)
                session.mount("http://", self.keep_alive_adapter)
            self.base_url = config.base_url
            self._session = session
        return self._session

    def _read_connection(self, extra_options: Mapping[str, Any] | None = None) -> ConnectionConfig:
        if self._connection_config is None:
            connection = self.get_connection(self.fivetran_conn_id)
            mask_value(connection.password)  # before anything can fail with it in hand
            config = read_connection(
                connection, conn_id=self.fivetran_conn_id, extra_options=extra_options, **self._overrides
            )
            for secret in config.secrets:
                mask_value(secret)
            self._connection_config = config
        return self._connection_config

    @property
    def settings(self) -> CallSettings:
        """Timeouts and retry budget in force (the Airflow connection is read on first access)."""
        return self._read_connection().settings

    def close(self) -> None:
        """Close the HTTP session (its pooled TCP connections); a later call reads the Airflow connection
        again."""
        if self._session is not None:
            self._session.close()
            self._session = None
        self._connection_config = None

    # -- one call, with retries ---------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        attempt: int = 1,
    ) -> tuple[int, str, Mapping[str, str]]:
        session = self.get_conn()
        settings = self.settings
        deadline = self._clock() + settings.call_deadline
        try:
            response = session.request(
                method,
                self.base_url + path,  # path starts with /v1; base_url ends with no /
                json=json,
                params=params,
                timeout=(settings.connect_timeout, min(settings.read_timeout, settings.call_deadline)),
                allow_redirects=False,
                stream=True,  # the body is read below, piece by piece, against the deadline
                # Given per request, as HttpHook.run does: else requests lets REQUESTS_CA_BUNDLE and
                # HTTP(S)_PROXY of the environment override the connection's verify and proxies extras.
                proxies=session.proxies,
                verify=session.verify,
                cert=session.cert,
            )
            with response:
                body = self._read_body(response, deadline, settings.read_timeout)
        except _DeadlinePassed:
            raise no_answer(settings, method=method, path=path, attempt=attempt, deadline=True) from None
        except (requests.Timeout, TimeoutError):
            raise no_answer(settings, method=method, path=path, attempt=attempt) from None
        except (requests.RequestException, OSError, urllib3.exceptions.HTTPError) as exc:
            raise no_answer(settings, method=method, path=path, attempt=attempt, cause=exc) from None
        return response.status_code, decode_body(body, response.encoding), response.headers

    def _read_body(self, response: requests.Response, deadline: float, read_timeout: float) -> bytes:
        """The whole body, or ``_DeadlinePassed``: requests has no total timeout, only one per socket read,
        which a server sending a byte every second never trips. So each read takes what one ``recv`` gives,
        with the socket's timeout shortened to what is left of the attempt's deadline."""
        raw = response.raw
        sock = getattr(getattr(raw, "connection", None), "sock", None)
        chunks: list[bytes] = []
        while True:
            left = deadline - self._clock()
            if left <= 0:
                raise _DeadlinePassed
            if sock is not None:
                sock.settimeout(min(read_timeout, left))
            try:
                chunk = raw.read1(65536, decode_content=True)
            except (TimeoutError, urllib3.exceptions.TimeoutError):
                if deadline - self._clock() <= 0:
                    raise _DeadlinePassed from None
                raise
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)

    def _attempt(
        self,
        method: str,
        path: str,
        attempt: int,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        self.spend.count(attempt)
        status, body, headers = self._send(method, path, json=json, params=params, attempt=attempt)
        return read_answer(
            status=status,
            body=body,
            headers=headers,
            method=method,
            path=path,
            conn_id=self.fivetran_conn_id,
            attempt=attempt,
            secrets=self._secrets(json),
        )

    def _secrets(self, body: Any) -> Set[str]:
        """Every secret value one call knows: the connection's (API secret, proxy password) and those of
        its request body."""
        return self._read_connection().secrets | secret_values(body)

    def _retrying(self) -> tenacity.Retrying:
        return tenacity.Retrying(
            **retrying_kwargs(self.settings.max_attempts, sleep=self._sleep, before_sleep=self._log_retry)
        )

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else backoff_delay(state.attempt_number, exc)
        self.log.warning(
            "Fivetran call failed (attempt %d of %d): %s; retrying in %.1f s",
            state.attempt_number,
            self.settings.max_attempts,
            exc,
            wait,
        )

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        applied_statuses: Collection[int] = (),
        confirm: Callable[[FivetranApiError], bool] | None = None,
    ) -> dict[str, Any]:
        """Send one API call with the retry policy; return the answer's envelope (``code``, ``data``...).

        :param applied_statuses: error statuses that, answering a retry after an attempt whose answer was
            lost, mean that attempt did the work (404 for a DELETE): the call then succeeds, with a warning.
        :param confirm: when such a status may also have another cause (409: any sync is running), a check
            that the lost attempt did the work; the error is raised when it says no.
        """
        memory = AttemptMemory(applied_statuses)
        for attempt in self._retrying():
            with attempt:
                number = attempt.retry_state.attempt_number
                try:
                    return self._attempt(method, path, number, json=json, params=params)
                except FivetranError as exc:
                    if memory.applied_earlier(exc) and (confirm is None or confirm(exc)):
                        envelope = applied_earlier(exc)
                        self.log.warning("%s", envelope["message"])
                        return envelope
                    memory.record(exc)
                    raise
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def _data(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        return envelope_data(self.call(method, path, **kwargs), method=method, path=path, status=200)

    def _connection(self, method: str, path: str, **kwargs: Any) -> Connection:
        # method and path name the call in the error when the answer is not a usable connection
        return Connection.from_api(self._data(method, path, **kwargs), method=method, path=path)

    # -- endpoints ------------------------------------------------------------------------------------------

    def create_connection(self, request: NewSpotifyAdsConnection | Mapping[str, Any]) -> Connection:
        """``POST /v1/connections``: create a connection; runs its setup tests unless told not to.

        A lost answer (timeout, dropped connection, 5xx, garbled body) may hide a connection that was
        created: before trying again, and after the last attempt, the connection is looked up by group and
        schema and returned if it exists. So a retried create never makes a second connection. Lookups and
        POSTs share the call's attempts: at most ``max_attempts`` of each, and the error names the count of
        the request that failed last.
        """
        model = (
            request
            if isinstance(request, NewSpotifyAdsConnection)
            else NewSpotifyAdsConnection.from_api_dict(request)
        )
        body = model.to_wire()
        mask_request_secrets(body)
        group_id, schema = body["group_id"], body["config"]["schema"]
        path = CONNECTIONS_PATH
        maybe_created = False
        sent = {"POST": 0, "GET": 0}

        def lookup() -> Connection | None:
            sent["GET"] += 1
            return self._find_once(group_id, schema, attempt=sent["GET"])

        try:
            for attempt in self._retrying():
                with attempt:
                    if maybe_created and (existing := lookup()):
                        self.log.warning("The lost create did happen: adopting connection %s", existing.id)
                        return existing
                    sent["POST"] += 1
                    try:
                        envelope = self._attempt("POST", path, sent["POST"], json=body)
                        # Parsed inside the try: a 2xx whose data we cannot read is a lost answer too
                        # (the connection exists), so the next attempt must look it up, not POST again.
                        return Connection.from_api(
                            envelope_data(envelope, method="POST", path=path, status=201),
                            method="POST",
                            path=path,
                        )
                    except FivetranError as exc:
                        maybe_created = maybe_created or lost_answer(exc)
                        raise
        except FivetranError as exc:
            if getattr(exc, "method", "") == "POST" and maybe_created:  # the last POST's answer was lost
                try:
                    existing = lookup()
                except FivetranError as lookup_error:
                    exc.add_note(f"Looking the connection up failed too: {lookup_error}")
                    existing = None
                if existing:
                    self.log.warning("The lost create did happen: adopting connection %s", existing.id)
                    return existing
            if maybe_created:
                exc.add_note(
                    f"The answer to a create was lost: connection {schema!r} may exist in group {group_id!r}; "
                    "look before creating it again."
                )
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _find_once(self, group_id: str, schema: str, *, attempt: int) -> Connection | None:
        """``find_connection`` with one request and no retry of its own: the caller's loop retries it."""
        path = CONNECTIONS_PATH
        params = {"limit": 10, "group_id": group_id, "schema": schema}
        envelope = self._attempt("GET", path, attempt, params=params)
        data = envelope_data(envelope, method="GET", path=path, status=200)
        for connection in ConnectionPage.from_api(data, method="GET", path=path).items:
            if connection.schema_ == schema and connection.group_id == group_id:
                return connection
        return None

    def get_connection_details(self, connection_id: str) -> Connection:
        """``GET /v1/connections/{id}``; raises ``FivetranNotFoundError`` for an unknown id."""
        return self._connection("GET", connection_path(connection_id))

    def get_destination(self, group_id: str) -> dict[str, Any]:
        """``GET /v1/destinations/{id}``: the group's destination (``service``, ``region``, ``config``...), as
        Fivetran answers it. A group's destination id is the group id (they map 1:1). Its ``config`` may hold
        masked credentials: read the fields you need, never log it whole.
        """
        path = f"/v1/destinations/{path_segment(group_id, 'group_id')}"
        return self._data("GET", path)

    def list_connections(
        self, *, group_id: str | None = None, schema: str | None = None, page_size: int = 100
    ) -> Iterator[Connection]:
        """``GET /v1/connections``, following ``next_cursor`` page after page (a lazy generator).

        :param group_id: only connections of this group.
        :param schema: only the connection whose schema is exactly this name.
        :param page_size: ``limit`` of each page, 1 to 1000.
        """
        if not 1 <= page_size <= 1000:
            raise ValueError(f"page_size must be between 1 and 1000, got {page_size}")
        params: dict[str, Any] = {"limit": page_size}
        if group_id:
            params["group_id"] = group_id
        if schema:
            params["schema"] = schema
        path = CONNECTIONS_PATH
        seen: set[str] = set()
        while True:
            page = ConnectionPage.from_api(self._data("GET", path, params=params), method="GET", path=path)
            yield from page.items
            cursor = page.next_cursor
            if cursor is None:  # absent, null or "": the last page
                return
            if cursor in seen:
                raise FivetranResponseError(f"pagination loops on cursor {cursor!r}", method="GET", path=path)
            seen.add(cursor)
            params["cursor"] = cursor

    def find_connection(self, group_id: str, schema: str) -> Connection | None:
        """The connection of ``group_id`` whose schema is ``schema``, or ``None``: one filtered list call."""
        for connection in self.list_connections(group_id=group_id, schema=schema, page_size=10):
            if connection.schema_ == schema and connection.group_id == group_id:
                return connection
        return None

    def modify_connection(
        self, connection_id: str, update: ConnectionUpdate | Mapping[str, Any]
    ) -> Connection:
        """``PATCH /v1/connections/{id}`` with only the fields of ``update``."""
        model = update if isinstance(update, ConnectionUpdate) else ConnectionUpdate.from_api_dict(update)
        body = model.to_wire()
        mask_request_secrets(body)
        return self._connection("PATCH", connection_path(connection_id), json=body)

    def run_setup_tests(
        self,
        connection_id: str,
        *,
        trust_certificates: bool | None = None,
        trust_fingerprints: bool | None = None,
    ) -> Connection:
        """``POST /v1/connections/{id}/test``: run the setup tests now; the answer holds ``setup_tests``.

        Failed tests are not an error here: read ``setup_tests`` and ``status.setup_state`` of the answer.
        """
        body: dict[str, bool] = {}
        if trust_certificates is not None:
            body["trust_certificates"] = trust_certificates
        if trust_fingerprints is not None:
            body["trust_fingerprints"] = trust_fingerprints
        return self._connection("POST", connection_path(connection_id, "test"), json=body)

    def sync_connection(self, connection_id: str, *, force: bool = False) -> str:
        """``POST /v1/connections/{id}/sync``: start a sync; returns Fivetran's message."""
        envelope = self.call("POST", connection_path(connection_id, "sync"), json={"force": force})
        return str(envelope.get("message") or "")

    def resync_connection(self, connection_id: str, *, scope: Mapping[str, list[str]] | None = None) -> str:
        """``POST /v1/connections/{id}/resync``: re-sync all of the connection's data.

        :param scope: a table-level re-sync ({schema: [tables]}) is refused before any call: Fivetran offers
            it only to connectors that support it (databases) and answers 400 for an application connector
            such as ``spotify_ads`` (contract README, "Corrections and additions").

        The connection is read first. A 409 (a sync is running) answering a retry after an attempt whose
        answer was lost is a success only if a read then shows a historical sync (a re-sync) running that
        was not running before: 409 means *any* sync runs, and an ordinary one does not re-sync anything.
        Otherwise the 409 is raised: retry after that sync ends.
        """
        if scope:
            refuse_resync_scope(scope)
        path = connection_path(connection_id, "resync")
        before = self.get_connection_details(connection_id)

        def resync_running(exc: FivetranApiError) -> bool:
            # One read, not retried: when it fails, we do not know, and the 409 is raised.
            try:
                now = self._connection_once(connection_id)
            except FivetranError as read_error:
                exc.add_note(f"Could not read the connection to see whether the re-sync runs: {read_error}")
                return False
            return _historical_sync_running(now) and not _historical_sync_running(before)

        envelope = self.call("POST", path, json={}, applied_statuses={409}, confirm=resync_running)
        return str(envelope.get("message") or "")

    def _connection_once(self, connection_id: str) -> Connection:
        path = connection_path(connection_id)
        envelope = self._attempt("GET", path, 1)
        data = envelope_data(envelope, method="GET", path=path, status=200)
        return Connection.from_api(data, method="GET", path=path)

    def delete_connection(self, connection_id: str, *, missing_ok: bool = False) -> str:
        """``DELETE /v1/connections/{id}``; with ``missing_ok`` an unknown id is not an error.

        A retry answered 404 after an attempt whose answer was lost is a success: the lost attempt deleted it.
        """
        try:
            envelope = self.call("DELETE", connection_path(connection_id), applied_statuses={404})
        except FivetranNotFoundError:
            if missing_ok:
                return f"connection {connection_id} does not exist"
            raise
        return str(envelope.get("message") or "")

    def create_connect_card(
        self,
        connection_id: str,
        *,
        redirect_uri: str,
        hide_setup_guide: bool | None = None,
        all_fields: bool | None = None,
    ) -> ConnectCardAnswer:
        """``POST /v1/connections/{id}/connect-card``: a Connect Card URI for a person to authorise in."""
        given = {"redirect_uri": redirect_uri, "hide_setup_guide": hide_setup_guide, "all_fields": all_fields}
        # Validated before the call: an ftp:// or relative redirect is refused naming the field.
        config = ConnectCardConfig.from_api_dict({k: v for k, v in given.items() if v is not None}).to_wire()
        path = connection_path(connection_id, "connect-card")
        # from_api, not model_validate: a garbled answer is a FivetranResponseError, not a pydantic error
        return ConnectCardAnswer.from_api(
            self._data("POST", path, json={"connect_card_config": config}), method="POST", path=path
        )

    def test_connection(self) -> tuple[bool, str]:
        """Airflow's "Test" button (and ``airflow connections test``): one list call with the stored key
        and secret. Each message names the API URL called and what to check; none names the connection id,
        which for the Test button is a temporary one the person never typed."""
        try:
            host = self._read_connection().base_url
        except FivetranInputError as exc:
            # The problems name the field; the connection id they quote is the Test button's temporary one.
            conn = f"Airflow connection {self.fivetran_conn_id!r}"
            problems = "; ".join(str(p).replace(conn, "this connection") for p in exc.problems)
            return False, f"The connection's fields cannot be used: {problems}"
        try:
            self._data("GET", CONNECTIONS_PATH, params={"limit": 1})
        except FivetranApiError as exc:
            if exc.status in (401, 403):
                return False, (
                    f"{host} answered {exc.status}: check that the API key (login) and API secret "
                    "(password) are a pair from the same Fivetran account, with access to connections"
                )
            return False, (
                f"{host} answered {exc.status} {exc.code or 'error'}: check that the API URL (host) is "
                f"Fivetran's API (https://api.fivetran.com unless a proxy stands in). {exc.api_message or ''}"
            ).rstrip()
        except FivetranResponseError as exc:
            return False, (
                f"{host} did not answer like Fivetran's API ({exc}): check that the API URL (host) is "
                "Fivetran's API"
            )
        except FivetranError as exc:  # no usable answer: refused, dropped or timed out
            return False, (
                f"No answer from {host} ({exc}): check the API URL (host), the network and any proxy, and "
                "the connect and read timeouts"
            )
        return True, "Fivetran accepted the API key and secret"


def _historical_sync_running(connection: Connection) -> bool:
    """Whether a historical sync (a re-sync, or a connection's first sync) is running."""
    return connection.status.is_historical_sync is True and connection.status.sync_state == "syncing"
