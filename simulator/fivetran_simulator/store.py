"""In-memory connections with O(1) lookups by id and by (group, schema), and cursor pagination.

Connections are ordered by a creation sequence number; a list page is "the next ``limit`` connections whose
sequence number is above the cursor's", so cursors stay valid while connections come and go. This module
holds data only: the lifecycle (setup tests, syncs, the clock) is in :mod:`.state`.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import copy
import json
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fivetran_simulator.clock import iso, parse_iso
from fivetran_simulator.defaults import (
    CONNECTED_BY,
    REDACTED,
    SECRET_KEYS,
    SERVICE,
    SERVICE_VERSION,
)

_ADJECTIVES = (
    "amber", "brisk", "calm", "dapper", "eager", "fluent", "gentle", "hardy", "ivory", "jolly", "keen", "lively",
    "mellow", "nimble", "opal", "plucky", "quiet", "rustic", "sunny", "tidy", "upbeat", "vivid", "witty", "zesty",
    "bold", "crisp", "deft", "frosty", "golden", "humble", "lucid", "merry",
)  # fmt: skip
_NOUNS = (
    "anchor", "badger", "canyon", "dolphin", "ember", "falcon", "glacier", "harbor", "island", "jasmine", "kettle",
    "lantern", "meadow", "nectar", "orchid", "pebble", "quartz", "river", "sparrow", "thistle", "umbrella",
    "valley", "willow", "yarrow", "zephyr", "beacon", "cedar", "delta", "fjord", "grove", "heron", "maple",
)  # fmt: skip


def redact(value: Any) -> Any:
    """A copy of ``value`` with the value of every secret key (at any depth) replaced by ``******``."""
    if isinstance(value, dict):
        return {k: (REDACTED if k in SECRET_KEYS and v is not None else redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def encode_cursor(after_seq: int) -> str:
    raw = json.dumps({"v": 1, "after": after_seq}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The sequence number a cursor points after; raises ``ValueError`` when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        after = data["after"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise ValueError("not a cursor issued by this server") from exc
    if data.get("v") != 1 or isinstance(after, bool) or not isinstance(after, int):
        raise ValueError("not a cursor issued by this server")
    return after


@dataclass
class SyncRun:
    """A sync in progress: it ends at ``ends_at`` (simulator clock) with ``outcome``."""

    kind: str  # "sync" | "resync"
    started_at: datetime
    ends_at: datetime
    outcome: str  # "success" | "failure" | "rescheduled"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "started_at": iso(self.started_at),
            "ends_at": iso(self.ends_at),
            "outcome": self.outcome,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SyncRun:
        return cls(data["kind"], parse_iso(data["started_at"]), parse_iso(data["ends_at"]), data["outcome"])


@dataclass
class Connection:
    """One connection, with its secrets (never rendered) and its internal sync state."""

    id: str
    seq: int
    group_id: str
    created_at: datetime
    config: dict[str, Any]
    auth: dict[str, Any] | None = None
    paused: bool = False
    pause_after_trial: bool = False
    sync_frequency: int = 360
    daily_sync_time: str | None = None  # as explicitly set; rendered only with frequency 1440
    schedule_type: str = "auto"
    data_delay_sensitivity: str = "NORMAL"
    data_delay_threshold: int = 0
    networking_method: str = "Directly"
    proxy_agent_id: str | None = None
    private_link_id: str | None = None
    hybrid_deployment_agent_id: str | None = None
    external_secrets_manager_id: str | None = None
    external_secrets_keys_config: dict[str, str] | None = None
    destination_configuration: dict[str, Any] | None = None
    destination_schema_names: str | None = None
    connect_card: dict[str, Any] | None = None
    connect_card_config: dict[str, Any] | None = None
    setup_tests: list[dict[str, Any]] | None = None
    setup_state: str = "incomplete"
    update_state: str = "on_schedule"
    is_historical_sync: bool = True
    schema_status: str | None = None
    succeeded_at: datetime | None = None
    failed_at: datetime | None = None
    rescheduled_for: datetime | None = None
    sync: SyncRun | None = None
    pending_resync: bool = False
    # The automatic schedule (``schedule_type: auto``): when the next sync is due, and the moment the
    # schedule's grid of ``sync_frequency`` slots counts from (see SimulatorState.tick).
    next_sync_at: datetime | None = None
    schedule_origin: datetime | None = None
    tasks: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def schema(self) -> str:
        return str(self.config["schema"])

    @property
    def sync_state(self) -> str:
        if self.paused:
            return "paused"
        if self.sync is not None:
            return "syncing"
        if self.rescheduled_for is not None:
            return "rescheduled"
        return "scheduled"

    def render(self) -> dict[str, Any]:
        """The connection as the API answers it (``spotify_ads_ConnectorResponseV1``): no auth, no secrets."""
        status: dict[str, Any] = {
            "setup_state": self.setup_state,
            "sync_state": self.sync_state,
            "update_state": self.update_state,
            "is_historical_sync": self.is_historical_sync,
            "rescheduled_for": iso(self.rescheduled_for)
            if self.rescheduled_for and not self.paused
            else None,
            "tasks": copy.deepcopy(self.tasks),
            "warnings": copy.deepcopy(self.warnings),
        }
        if self.schema_status is not None:
            status["schema_status"] = self.schema_status
        data: dict[str, Any] = {
            "id": self.id,
            "group_id": self.group_id,
            "service": SERVICE,
            "service_version": SERVICE_VERSION,
            "schema": self.schema,
            "connected_by": CONNECTED_BY,
            "created_at": iso(self.created_at),
            "succeeded_at": iso(self.succeeded_at) if self.succeeded_at else None,
            "failed_at": iso(self.failed_at) if self.failed_at else None,
            "paused": self.paused,
            "pause_after_trial": self.pause_after_trial,
            "sync_frequency": self.sync_frequency,
            "daily_sync_time": self.daily_sync_time if self.sync_frequency == 1440 else None,
            "schedule_type": self.schedule_type,
            "data_delay_sensitivity": self.data_delay_sensitivity,
            "data_delay_threshold": self.data_delay_threshold,
            "networking_method": self.networking_method,
            "proxy_agent_id": self.proxy_agent_id,
            "private_link_id": self.private_link_id,
            "hybrid_deployment_agent_id": self.hybrid_deployment_agent_id,
            "external_secrets_manager_id": self.external_secrets_manager_id,
            # Names of entries in the user's secrets manager, not secrets: echoed as stored.
            "external_secrets_keys_config": copy.deepcopy(self.external_secrets_keys_config),
            "source_sync_details": None,
            "setup_tests": copy.deepcopy(self.setup_tests),
            "destination_schema_names": self.destination_schema_names,
            "status": status,
            "config": redact(copy.deepcopy(self.config)),
        }
        # Every property of the official answer object is present, null when unset, except the non-nullable
        # $refs (destination_configuration, connect_card, connect_card_config): present only when set.
        if self.destination_configuration is not None:
            data["destination_configuration"] = dict(self.destination_configuration)
        if self.connect_card is not None:
            data["connect_card"] = dict(self.connect_card)
        if self.connect_card_config is not None:
            data["connect_card_config"] = dict(self.connect_card_config)
        return data

    # -- persistence ----------------------------------------------------------------------------------------

    _DATES = ("created_at", "succeeded_at", "failed_at", "rescheduled_for", "next_sync_at", "schedule_origin")

    def to_state(self) -> dict[str, Any]:
        """Everything, secrets included (for ``--state``)."""
        data: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if name in self._DATES:
                data[name] = iso(value) if value else None
            elif name == "sync":
                data[name] = value.to_dict() if value else None
            else:
                data[name] = copy.deepcopy(value)
        return data

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> Connection:
        values = dict(data)
        for name in cls._DATES:
            values[name] = parse_iso(values[name]) if values.get(name) else None
        values["sync"] = SyncRun.from_dict(values["sync"]) if values.get("sync") else None
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})


class OrderedIndex:
    """Connection ids in creation order, for pagination."""

    def __init__(self) -> None:
        self._seqs: list[int] = []
        self._ids: dict[int, str] = {}

    def add(self, seq: int, conn_id: str) -> None:
        bisect.insort(self._seqs, seq)
        self._ids[seq] = conn_id

    def remove(self, seq: int) -> None:
        i = bisect.bisect_left(self._seqs, seq)
        if i < len(self._seqs) and self._seqs[i] == seq:
            del self._seqs[i]
            del self._ids[seq]

    def __len__(self) -> int:
        return len(self._seqs)

    def page(self, after: int, limit: int) -> tuple[list[str], bool]:
        """Up to ``limit`` ids with a sequence number above ``after``, and whether more follow."""
        start = bisect.bisect_right(self._seqs, after)
        seqs = self._seqs[start : start + limit]
        return [self._ids[s] for s in seqs], start + limit < len(self._seqs)


class Store:
    """All connections and their indexes."""

    def __init__(self, seed: int | None = None) -> None:
        self.connections: dict[str, Connection] = {}
        self._all = OrderedIndex()
        self._by_group: dict[str, OrderedIndex] = {}
        self._by_schema: dict[str, OrderedIndex] = {}
        self._by_group_schema: dict[tuple[str, str], str] = {}
        self.card_tokens: dict[str, str] = {}  # connect-card token -> connection id
        self.next_seq = 1
        self._rng = random.Random(seed)

    def new_id(self) -> str:
        """A Fivetran-looking id (``adjective_noun``), unique in this store."""
        for _ in range(50):
            candidate = f"{self._rng.choice(_ADJECTIVES)}_{self._rng.choice(_NOUNS)}"
            if candidate not in self.connections:
                return candidate
        while True:
            candidate = (
                f"{self._rng.choice(_ADJECTIVES)}_{self._rng.choice(_NOUNS)}{self._rng.randrange(10_000)}"
            )
            if candidate not in self.connections:
                return candidate

    def take_seq(self) -> int:
        seq = self.next_seq
        self.next_seq += 1
        return seq

    def add(self, conn: Connection) -> None:
        self.connections[conn.id] = conn
        self._all.add(conn.seq, conn.id)
        self._by_group.setdefault(conn.group_id, OrderedIndex()).add(conn.seq, conn.id)
        self._by_schema.setdefault(conn.schema, OrderedIndex()).add(conn.seq, conn.id)
        self._by_group_schema[(conn.group_id, conn.schema)] = conn.id
        if conn.connect_card and conn.connect_card.get("token"):
            self.card_tokens[conn.connect_card["token"]] = conn.id
        self.next_seq = max(self.next_seq, conn.seq + 1)

    def remove(self, conn_id: str) -> Connection | None:
        conn = self.connections.pop(conn_id, None)
        if conn is None:
            return None
        self._all.remove(conn.seq)
        self._by_group[conn.group_id].remove(conn.seq)
        self._by_schema[conn.schema].remove(conn.seq)
        if not self._by_schema[conn.schema]:
            del self._by_schema[conn.schema]
        self._by_group_schema.pop((conn.group_id, conn.schema), None)
        for token in [t for t, cid in self.card_tokens.items() if cid == conn_id]:
            del self.card_tokens[token]
        return conn

    def get(self, conn_id: str) -> Connection | None:
        return self.connections.get(conn_id)

    def find(self, group_id: str, schema: str) -> Connection | None:
        conn_id = self._by_group_schema.get((group_id, schema))
        return self.connections[conn_id] if conn_id else None

    def page(
        self, *, group_id: str | None, schema: str | None, after: int, limit: int
    ) -> tuple[list[Connection], int | None]:
        """A page of connections matching the filters; the second value is the cursor seq for the next page."""
        if group_id is not None and schema is not None:
            found = self.find(group_id, schema)
            items = [found] if found is not None and found.seq > after else []
            return items, None
        if schema is not None:
            index = self._by_schema.get(schema, OrderedIndex())
        elif group_id is not None:
            index = self._by_group.get(group_id, OrderedIndex())
        else:
            index = self._all
        ids, more = index.page(after, limit)
        items = [self.connections[i] for i in ids]
        return items, (items[-1].seq if more and items else None)

    def clear(self) -> None:
        """Forget every connection (the id generator keeps its state, so ids are not reused soon)."""
        self.connections.clear()
        self._all = OrderedIndex()
        self._by_group.clear()
        self._by_schema.clear()
        self._by_group_schema.clear()
        self.card_tokens.clear()
        self.next_seq = 1
