"""The simulator's world and its rules: connections, their setup tests and syncs, on the simulator clock.

Everything here is synchronous and runs on the server's event loop thread only, so a request's changes are
atomic. Time-driven transitions (a sync that ends, a rescheduled sync that resumes) are not timers: they are
applied lazily by :meth:`SimulatorState.tick` whenever a connection is read or changed, or the clock moves.

Automatic schedules (README, "Corrections and additions"): under ``schedule_type: auto`` a connected, unpaused
connection syncs by itself: a first sync as soon as its setup tests pass (or it is unpaused), then one per slot of
a grid every ``sync_frequency`` minutes counted from that first sync. Daily connections (1440) sync at
``daily_sync_time`` (Fivetran's default start is midnight UTC) plus Fivetran's fixed 0-60 minute offset, which
the simulator derives from the connection id (:func:`schedule_offset_minutes`, shown under ``_sim`` in the
control API). A slot that falls while a sync runs is skipped (Fivetran's "Why syncs may not run as often as
scheduled"); after any sync the next slot is the first one at or after its end. Under ``manual`` only the sync
endpoint syncs. Syncs the clock skipped over with identical outcomes are not replayed one by one: the last one
stands for them all (the answers cannot tell the difference).
"""

from __future__ import annotations

import copy
import hashlib
import logging
import math
import secrets
from collections import deque
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from fivetran_simulator.clock import SimClock, iso
from fivetran_simulator.defaults import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REFRESH_TOKEN,
    REDACTED,
)
from fivetran_simulator.faults import FaultQueue
from fivetran_simulator.ratelimit import RateLimiter
from fivetran_simulator.scenario import Scenario
from fivetran_simulator.spotify import OK_STATUSES
from fivetran_simulator.store import Connection, Store, SyncRun
from fivetran_simulator.validation import DAILY_FREQUENCY, SettingsChange

log = logging.getLogger(__name__)

STATE_VERSION = 1
# A lazily evaluated connection never runs more transitions than this per read (rescheduled loops).
MAX_TRANSITIONS = 1000
# Fivetran's known refusal of an action on a connection whose setup is incomplete (Terraform provider issue 209).
SETUP_STATE_MESSAGE = (
    "We expected the connector's setup state ('status.setup_state') to be 'connected', but it was '{state}'"
)

Listener = Callable[[dict[str, Any]], None]


class ApiError(Exception):
    """An error answer: HTTP status, Fivetran ``code`` and ``message``."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def not_found(conn_id: str) -> ApiError:
    return ApiError(404, "NotFound_Connection", f"Connection with id '{conn_id}' doesn't exist")


def schedule_offset_minutes(conn_id: str) -> int:
    """Fivetran's fixed 0-60 minute offset of a daily sync, derived from the id: stable and reproducible."""
    return int(hashlib.sha256(conn_id.encode()).hexdigest(), 16) % 61


def next_slot(conn: Connection, after: datetime, *, strictly: bool = False) -> datetime:
    """The first slot of ``conn``'s automatic schedule at (or strictly after) ``after``."""
    if conn.sync_frequency == DAILY_FREQUENCY:
        hour = int((conn.daily_sync_time or "00:00")[:2])
        offset = timedelta(minutes=schedule_offset_minutes(conn.id))
        day = datetime.combine(after.date(), time(hour), tzinfo=after.tzinfo) + offset - timedelta(days=1)
        while day < after or (strictly and day == after):
            day += timedelta(days=1)
        return day
    period = timedelta(minutes=conn.sync_frequency)
    origin = conn.schedule_origin or conn.created_at
    steps = max(0, math.ceil((after - origin) / period))
    slot = origin + steps * period
    return slot + period if strictly and slot == after else slot


class RequestLog:
    """Every /v1 exchange, newest last, bounded; listeners see every entry even after it is evicted."""

    def __init__(self, maxlen: int = 10_000) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=maxlen)
        self._seq = 0
        self.listeners: list[Listener] = []

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def record(self, entry: dict[str, Any]) -> None:
        self._entries.append(entry)
        for listener in list(self.listeners):
            try:
                listener(entry)
            except Exception:  # a broken listener must not break the server
                log.exception("request-log listener failed")

    def since(self, seq: int = 0) -> list[dict[str, Any]]:
        return [e for e in self._entries if e["seq"] > seq]

    def clear(self) -> None:
        """Forget the entries; sequence numbers keep growing (a reader's ``since`` stays valid)."""
        self._entries.clear()

    def restart(self) -> None:
        """Forget the entries and number the next exchange 1 (reset)."""
        self._entries.clear()
        self._seq = 0


class SimulatorState:
    """Connections, scenario, clock, faults, rate limits and the request log of one simulator."""

    def __init__(
        self, *, api_key: str, api_secret: str, scenario: Scenario, clock: SimClock, log_size: int = 10_000
    ) -> None:
        self.api_key = api_key
        self.api_secret = api_secret
        self.initial_scenario = scenario.copy()
        self.scenario = scenario.copy()
        self.clock = clock
        self.store = Store(seed=scenario.seed)
        self.faults = FaultQueue()
        self.limiter = RateLimiter(scenario.rate_limits)
        self.log = RequestLog(log_size)
        self.dirty = False
        self.on_change: Callable[[], None] | None = None
        self.on_reset: Callable[[], None] | None = None
        self.generation = 0  # bumped by reset: requests held by a delay fault from before are dropped
        self._arm_scenario_faults()

    # -- bookkeeping --------------------------------------------------------------------------------------

    def changed(self) -> None:
        """Record that persistent state changed (the server saves it when a state file is configured)."""
        self.dirty = True
        if self.on_change is not None:
            self.on_change()

    def _arm_scenario_faults(self) -> None:
        for spec in self.scenario.faults:
            self.faults.add(spec)

    def reset(self) -> None:
        """Back to the start: the initial scenario, no connections, no faults, empty log, clock at start."""
        self.scenario = self.initial_scenario.copy()
        self.store.clear()
        self.clock.reset()
        self.faults.clear()
        self._arm_scenario_faults()
        self.limiter.reset(self.scenario.rate_limits)
        self.log.restart()
        self.generation += 1
        if self.on_reset is not None:
            self.on_reset()
        self.changed()

    def set_scenario(self, data: dict[str, Any]) -> None:
        """Replace the sections present in ``data``; faults listed there are armed in addition."""
        self.scenario = self.scenario.merged(data)
        if "rate_limits" in data:
            self.limiter.reset(self.scenario.rate_limits)
        for spec in data.get("faults") or []:
            self.faults.add(spec)
        self.changed()

    def known_group(self, group_id: str) -> bool:
        return group_id in self.scenario.groups

    def now(self) -> datetime:
        return self.clock.now()

    # -- lookups --------------------------------------------------------------------------------------------

    def get(self, conn_id: str) -> Connection:
        conn = self.store.get(conn_id)
        if conn is None:
            raise not_found(conn_id)
        self.tick(conn)
        return conn

    # -- setup tests ------------------------------------------------------------------------------------------

    def run_setup_tests(self, conn: Connection, at: datetime | None = None) -> None:
        """Run the tests against the Spotify side and move ``setup_state`` accordingly (at ``at``, default now)."""
        tests = self.scenario.spotify.setup_tests(conn.auth, conn.config)
        tests = [*tests, *copy.deepcopy(self.scenario.extra_setup_tests)]
        conn.setup_tests = tests
        failing = [t for t in tests if t["status"] not in OK_STATUSES]
        if not failing:
            if conn.setup_state != "connected":
                self._first_sync_due(conn, at or self.clock.now())  # a first sync after setup
            conn.setup_state = "connected"
            conn.tasks = [t for t in conn.tasks if t.get("code") != "reconnect"]
            return
        if conn.setup_state in ("connected", "broken"):
            conn.setup_state = "broken"
            first = failing[0]
            task = {
                "code": "reconnect",
                "message": "Reconnect",
                "details": f"{first['title']}: {first.get('message') or first['status']}",
            }
            conn.tasks = [*[t for t in conn.tasks if t.get("code") != "reconnect"], task]

    # -- syncs -----------------------------------------------------------------------------------------------

    @staticmethod
    def _first_sync_due(conn: Connection, at: datetime) -> None:
        """The automatic schedule starts over at ``at`` with a sync due right away (after setup, after unpause)."""
        conn.schedule_origin = at
        conn.next_sync_at = at

    @staticmethod
    def _reschedule(conn: Connection, at: datetime) -> None:
        """The schedule settings changed at ``at``: the grid counts from there, the next slot is the first after."""
        conn.schedule_origin = at
        conn.next_sync_at = next_slot(conn, at, strictly=True)

    def _scheduled_start(self, conn: Connection, now: datetime) -> datetime | None:
        """When the automatic schedule starts the next sync, if that is due by ``now``; skips identical syncs."""
        due = conn.next_sync_at
        if (
            due is None
            or due > now
            or conn.schedule_type != "auto"
            or conn.setup_state != "connected"
            or conn.sync is not None
            or conn.rescheduled_for is not None
        ):
            return None
        plan = self.scenario.plan_for(conn.schema)
        if plan.outcomes or plan.outcome == "rescheduled":
            return due  # every sync may differ: run them one by one
        if not self.scenario.spotify.credentials_valid(conn.auth, conn.config):
            return due  # the first one breaks the connection
        length = timedelta(seconds=plan.duration_seconds)
        following = next_slot(conn, due + length, strictly=length == timedelta(0))
        if following + length > now:
            return due
        # Identical syncs, each ending before the next starts: only the last one that ends by now matters.
        step = next_slot(conn, following + length, strictly=length == timedelta(0)) - following
        return following + ((now - length - following) // step) * step

    def _start_sync(self, conn: Connection, kind: str, at: datetime) -> None:
        plan = self.scenario.plan_for(conn.schema)
        seconds = plan.resync_duration_seconds if kind == "resync" else plan.duration_seconds
        conn.sync = SyncRun(kind, at, at + timedelta(seconds=seconds), plan.next_outcome())
        conn.rescheduled_for = None
        if kind == "resync":
            conn.is_historical_sync = True
            conn.pending_resync = False

    def _finish_sync(self, conn: Connection) -> None:
        run = conn.sync
        assert run is not None
        conn.sync = None
        at = run.ends_at
        if not self.scenario.spotify.credentials_valid(conn.auth, conn.config):
            # The credentials stopped working (revoked): the sync fails and the connection breaks.
            conn.failed_at = at
            conn.update_state = "delayed"
            self.run_setup_tests(conn, at)
            return
        if run.outcome == "success":
            conn.succeeded_at = at
            conn.is_historical_sync = False
            conn.update_state = "on_schedule"
            if conn.setup_state == "broken":  # the credentials work again: a good sync repairs the connection
                self.run_setup_tests(conn, at)
        elif run.outcome == "failure":
            conn.failed_at = at
            conn.update_state = "delayed"
        else:
            delay = self.scenario.plan_for(conn.schema).rescheduled_delay_seconds
            conn.rescheduled_for = at + timedelta(seconds=delay)
        conn.next_sync_at = next_slot(conn, at, strictly=at == run.started_at)

    def tick(self, conn: Connection) -> None:
        """Apply every transition due at the current simulator time."""
        now = self.clock.now()
        moved = False
        for _ in range(MAX_TRANSITIONS):
            if conn.paused:
                break
            if conn.sync is not None and now >= conn.sync.ends_at:
                self._finish_sync(conn)
            elif (
                conn.sync is None
                and conn.rescheduled_for is not None
                and now >= conn.rescheduled_for
                and conn.schedule_type == "auto"
            ):
                self._start_sync(conn, "sync", conn.rescheduled_for)
            elif (start := self._scheduled_start(conn, now)) is not None:
                self._start_sync(conn, "sync", start)
            else:
                break
            moved = True
        if moved:
            self.changed()

    def tick_all(self) -> None:
        for conn in list(self.store.connections.values()):
            self.tick(conn)

    @staticmethod
    def _require_setup(conn: Connection) -> None:
        """Sync and re-sync of a connection whose setup is incomplete: Fivetran's refusal (Terraform issue 209).

        A broken connection may still be asked to sync (its sync fails): the evidence covers only ``incomplete``.
        """
        if conn.setup_state == "incomplete":
            raise ApiError(400, "InvalidInput", SETUP_STATE_MESSAGE.format(state=conn.setup_state))

    def trigger_sync(self, conn: Connection, force: bool) -> str:
        """POST .../sync. A paused connection accepts the call but does not sync (as Fivetran)."""
        self._require_setup(conn)
        if conn.paused:
            return f"Sync has been successfully triggered for connection with id '{conn.id}'"
        if conn.sync is None or force:
            self._start_sync(conn, "sync", self.clock.now())
        return f"Sync has been successfully triggered for connection with id '{conn.id}'"

    def trigger_resync(self, conn: Connection) -> str:
        """POST .../resync: 409 while a sync runs; deferred until unpause when paused."""
        self._require_setup(conn)
        if conn.sync is not None:
            raise ApiError(
                409,
                "Conflict",
                f"A sync of connection '{conn.id}' is in progress; the re-sync cannot be scheduled until it ends. "
                "Retry after the sync completes",
            )
        if conn.paused:
            conn.pending_resync = True
            conn.is_historical_sync = True
            return f"Re-sync has been scheduled for connection with id '{conn.id}'; it runs when the connection is unpaused"
        self._start_sync(conn, "resync", self.clock.now())
        return f"Re-sync has been successfully triggered for connection with id '{conn.id}'"

    # -- create / modify / delete -----------------------------------------------------------------------------

    def _apply_fields(self, conn: Connection, change: SettingsChange) -> None:
        fields = dict(change.fields)
        paused = fields.pop("paused", None)
        historical = fields.pop("is_historical_sync", None)
        if (
            "sync_frequency" in fields
            and fields["sync_frequency"] != DAILY_FREQUENCY
            and not change.daily_sync_time_sent
        ):
            conn.daily_sync_time = None  # an explicit daily time does not survive leaving the daily frequency
        schedule = {"sync_frequency", "daily_sync_time", "schedule_type"}
        rescheduled = any(getattr(conn, key) != fields[key] for key in schedule & fields.keys())
        for key, value in fields.items():
            setattr(conn, key, value)
        if rescheduled:
            self._reschedule(conn, self.clock.now())
        if change.config is not None:
            conn.config = change.config
        if change.auth is not None:
            conn.auth = change.auth
        if paused is True and not conn.paused:
            conn.paused = True
            conn.sync = None  # pausing cancels a running sync
        elif paused is False and conn.paused:
            conn.paused = False
            self._first_sync_due(conn, self.clock.now())  # a first sync after unpause
            if conn.pending_resync and conn.setup_state != "incomplete":
                self._start_sync(conn, "resync", self.clock.now())
        if historical is True:
            if conn.setup_state != "incomplete" and not conn.paused:
                self._start_sync(conn, "resync", self.clock.now())
            else:
                conn.pending_resync = True
                conn.is_historical_sync = True

    def create(self, group_id: str, change: SettingsChange, origin: str) -> Connection:
        if not self.known_group(group_id):
            raise ApiError(404, "NotFound", f"Group with id '{group_id}' doesn't exist")
        assert change.config is not None
        schema = change.config["schema"]
        existing = self.store.find(group_id, schema)
        if existing is not None:
            raise ApiError(
                409,
                "Conflict",
                f"A connection with schema '{schema}' already exists in group '{group_id}' (id '{existing.id}'). "
                f"Find it with GET /v1/connections?group_id={group_id}&schema={schema}",
            )
        conn = Connection(
            id=self.store.new_id(),
            seq=self.store.take_seq(),
            group_id=group_id,
            created_at=self.clock.now(),
            config=change.config,
        )
        card_config = change.fields.pop("connect_card_config", None)
        self._apply_fields(conn, change)
        self.store.add(conn)
        if card_config is not None:
            self.create_connect_card(conn, card_config, origin)
        # Fivetran maintainers (Terraform provider issue 339): tests run only when run_setup_tests: true is sent.
        if change.run_setup_tests is True:
            self.run_setup_tests(conn)
        self.tick(conn)
        self.changed()
        return conn

    def modify(self, conn: Connection, change: SettingsChange) -> Connection:
        self._apply_fields(conn, change)
        if change.run_setup_tests is True:
            self.run_setup_tests(conn)
        self.tick(conn)
        self.changed()
        return conn

    def delete(self, conn_id: str) -> None:
        if self.store.remove(conn_id) is None:
            raise not_found(conn_id)
        self.changed()

    # -- schema config -----------------------------------------------------------------------------------------

    @staticmethod
    def schema_config(conn: Connection) -> dict[str, Any]:
        """The answer of POST .../schemas/reload (``StandardConfigResponse``), minimal and documented as such.

        The spec gives the shape only. The simulator keeps no schema config: one schema named as the connection's
        (an application connector writes a single schema) holding one enabled table per named report of
        ``config.report_list`` ("each report corresponds to a table", seed page), with no column the user ever
        set (the spec: the answer "contains columns whose state has ever been set by the user"). ``exclude_mode``
        changes nothing here, because nothing was ever excluded.
        """
        tables = {
            report["table"]: {
                "name_in_destination": report["table"],
                "enabled": True,
                "columns": {},
                "enabled_patch_settings": {"allowed": True},
                "supports_columns_config": False,
                "supports_history_mode": False,
            }
            for report in conn.config.get("report_list") or []
            if report.get("table")
        }
        return {
            "enable_new_by_default": True,
            "schema_change_handling": "ALLOW_ALL",
            "schemas": {conn.schema: {"name_in_destination": conn.schema, "enabled": True, "tables": tables}},
        }

    # -- connect card ------------------------------------------------------------------------------------------

    def create_connect_card(
        self, conn: Connection, card_config: dict[str, Any], origin: str
    ) -> dict[str, Any]:
        token = "sim." + secrets.token_urlsafe(24)
        # Fivetran's shape (spec example, README): .../connect-card/setup?redirect_uri=...&auth=<token>&hide_setup_guide=true
        query = {"redirect_uri": card_config["redirect_uri"], "auth": token}
        if "hide_setup_guide" in card_config:
            query["hide_setup_guide"] = str(card_config["hide_setup_guide"]).lower()
        conn.connect_card = {"token": token, "uri": f"{origin}/connect-card/setup?{urlencode(query)}"}
        conn.connect_card_config = dict(card_config)
        self.store.card_tokens[token] = conn.id
        self.changed()
        return conn.connect_card

    def complete_connect_card(self, conn: Connection, auth: dict[str, Any] | None = None) -> Connection:
        """What a user does in the Connect Card: authorize (demo credentials unless given) and save & test."""
        conn.auth = copy.deepcopy(auth) if auth is not None else demo_auth()
        self.run_setup_tests(conn)
        self.changed()
        return conn

    # -- revocation --------------------------------------------------------------------------------------------

    def revoke(self, *, refresh_token: str | None, client_id: str | None, immediate: bool) -> list[str]:
        """Revoke a token or an application. With ``immediate`` the connections using it re-run their setup
        tests now (connected ones become broken); otherwise they break on their next test run or sync."""
        self.scenario.spotify.revoke(refresh_token=refresh_token, client_id=client_id)
        affected = [
            conn
            for conn in self.store.connections.values()
            if self.scenario.spotify.uses_revoked(conn.auth, refresh_token=refresh_token, client_id=client_id)
        ]
        if immediate:
            for conn in affected:
                self.tick(conn)
                self.run_setup_tests(conn)
        self.changed()
        return [c.id for c in affected]

    # -- views for the control API -------------------------------------------------------------------------------

    def full_view(self, conn: Connection) -> dict[str, Any]:
        """The API view plus what only the simulator knows (auth redacted, internal sync state)."""
        data = conn.render()
        auth = conn.auth or {}
        access = auth.get("client_access") or {}
        data["_sim"] = {
            "seq": conn.seq,
            "auth": None
            if not conn.auth
            else {
                "client_id": access.get("client_id"),
                "client_secret": REDACTED if access.get("client_secret") else None,
                "refresh_token": REDACTED if auth.get("refresh_token") else None,
            },
            "credentials_valid": self.scenario.spotify.credentials_valid(conn.auth, conn.config),
            "sync": conn.sync.to_dict() if conn.sync else None,
            "pending_resync": conn.pending_resync,
            "explicit_daily_sync_time": conn.daily_sync_time,
            "next_sync_at": iso(conn.next_sync_at) if conn.next_sync_at else None,
            "schedule_offset_minutes": schedule_offset_minutes(conn.id),
        }
        return data

    # -- persistence ----------------------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "saved_at": iso(self.clock.now()),
            "clock": self.clock.to_dict(),
            "scenario": self.scenario.to_dict(),
            "next_seq": self.store.next_seq,
            "connections": [c.to_state() for c in self.store.connections.values()],
        }

    def load_state(self, data: dict[str, Any]) -> None:
        """Restore what :meth:`to_state` saved; raises ``ValueError`` for an unknown format."""
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported state file version {data.get('version')!r}")
        self.clock.load(data.get("clock") or {})
        scenario = dict(data.get("scenario") or {})
        # Armed faults are not state: they were consumed, or reset re-arms the initial scenario's.
        scenario.pop("faults", None)
        self.scenario = Scenario().merged(scenario)
        self.limiter.reset(self.scenario.rate_limits)
        self.store.clear()
        for raw in sorted(data.get("connections") or [], key=lambda c: c["seq"]):
            self.store.add(Connection.from_state(raw))
        self.store.next_seq = max(self.store.next_seq, int(data.get("next_seq", 1)))


def demo_auth() -> dict[str, Any]:
    return {
        "refresh_token": DEMO_REFRESH_TOKEN,
        "client_access": {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET},
    }
