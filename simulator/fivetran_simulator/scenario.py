"""Scenarios: what the simulated world looks like (groups, the Spotify side, how syncs end, rate limits, faults).

A scenario file is JSON; every section is optional::

    {
      "groups": ["demo_warehouse", "second_warehouse"],      # known destination groups (the default is always known)
      "spotify": {
        "clients": {"demo-client-id": "demo-client-secret"},  # Ad Studio apps: client id -> client secret
        "tokens": {"demo-refresh-token": {"client_id": "demo-client-id",
                                          "accounts": ["demo-ad-account-1"]}},
        "revoked_tokens": [], "revoked_clients": []
      },
      "sync": {
        "duration_seconds": 30,                # simulator-clock seconds from trigger to completion
        "resync_duration_seconds": 60,
        "outcome": "success",                  # success | failure | rescheduled (default for every sync)
        "outcomes": ["failure", "success"],    # consumed one per sync start before `outcome` applies
        "rescheduled_delay_seconds": 600,      # rescheduled_for = end of the attempt + this
        "by_schema": {"my_schema": {"outcome": "failure"}}   # per connection schema; unset fields inherit
      },
      "rate_limits": {"all_per_hour": 500},    # absent/null: off; {}: Fivetran's limits; see ratelimit.py
                                               # (creates_per_minute, reported by users: only when set)
      "faults": [{"route": "POST /v1/connections", "kind": "error", "status": 503}],
      "extra_setup_tests": [{"title": "Checking report availability", "status": "WARNING", "message": "..."}],
      "seed": 42                               # makes connection ids reproducible
    }

``spotify`` defaults to the demo side (see :mod:`.spotify`); a given ``spotify`` section replaces it whole.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fivetran_simulator.defaults import DEFAULT_GROUP_ID
from fivetran_simulator.faults import Fault, FaultSpecError
from fivetran_simulator.ratelimit import RateLimits
from fivetran_simulator.spotify import TEST_STATUSES, SpotifyConfigError, SpotifySide

OUTCOMES = ("success", "failure", "rescheduled")
SECTIONS = ("groups", "spotify", "sync", "rate_limits", "faults", "extra_setup_tests", "seed")
PLAN_FIELDS = (
    "duration_seconds",
    "resync_duration_seconds",
    "outcome",
    "outcomes",
    "rescheduled_delay_seconds",
)


class ScenarioError(ValueError):
    """A scenario is malformed; the message names the field."""


def _seconds(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ScenarioError(f"{name} must be a number of seconds >= 0")
    return float(value)


def _outcome(value: Any, name: str) -> str:
    if value not in OUTCOMES:
        raise ScenarioError(f"{name} must be one of {', '.join(OUTCOMES)}, got {value!r}")
    return str(value)


@dataclass
class SyncPlan:
    """How syncs of a connection end."""

    duration_seconds: float = 30.0
    resync_duration_seconds: float = 60.0
    outcome: str = "success"
    outcomes: list[str] = field(default_factory=list)
    rescheduled_delay_seconds: float = 600.0

    @classmethod
    def from_dict(cls, data: Any, base: SyncPlan | None = None, where: str = "sync") -> SyncPlan:
        if not isinstance(data, dict):
            raise ScenarioError(f"{where} must be an object")
        allowed = set(PLAN_FIELDS) | ({"by_schema"} if base is None else set())
        unknown = set(data) - allowed
        if unknown:
            raise ScenarioError(f"unknown field {where}.{sorted(unknown)[0]}")
        plan = SyncPlan() if base is None else SyncPlan(**{**base.to_dict(), "outcomes": []})
        for key in ("duration_seconds", "resync_duration_seconds", "rescheduled_delay_seconds"):
            if key in data:
                setattr(plan, key, _seconds(data[key], f"{where}.{key}"))
        if "outcome" in data:
            plan.outcome = _outcome(data["outcome"], f"{where}.outcome")
        if "outcomes" in data:
            if not isinstance(data["outcomes"], list):
                raise ScenarioError(f"{where}.outcomes must be a list")
            plan.outcomes = [_outcome(o, f"{where}.outcomes[{i}]") for i, o in enumerate(data["outcomes"])]
        return plan

    def next_outcome(self) -> str:
        return self.outcomes.pop(0) if self.outcomes else self.outcome

    def to_dict(self) -> dict[str, Any]:
        return {
            "duration_seconds": self.duration_seconds,
            "resync_duration_seconds": self.resync_duration_seconds,
            "outcome": self.outcome,
            "outcomes": list(self.outcomes),
            "rescheduled_delay_seconds": self.rescheduled_delay_seconds,
        }


@dataclass
class Scenario:
    """The whole simulated world except the connections themselves."""

    groups: list[str] = field(default_factory=lambda: [DEFAULT_GROUP_ID])
    spotify: SpotifySide = field(default_factory=SpotifySide.default)
    sync: SyncPlan = field(default_factory=SyncPlan)
    sync_by_schema: dict[str, SyncPlan] = field(default_factory=dict)
    rate_limits: RateLimits | None = None
    faults: list[dict[str, Any]] = field(default_factory=list)
    extra_setup_tests: list[dict[str, Any]] = field(default_factory=list)
    seed: int | None = None

    @classmethod
    def load(cls, source: Scenario | dict[str, Any] | str | Path | None) -> Scenario:
        """From nothing (defaults), a dict, or a JSON file path."""
        if source is None:
            return cls()
        if isinstance(source, Scenario):
            return source.copy()
        if isinstance(source, str | Path):
            try:
                data = json.loads(Path(source).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ScenarioError(f"cannot read scenario file {source}: {exc}") from exc
            return cls().merged(data)
        return cls().merged(source)

    def merged(self, data: Any) -> Scenario:
        """A copy where every section present in ``data`` replaces this scenario's section."""
        if not isinstance(data, dict):
            raise ScenarioError("a scenario must be a JSON object")
        unknown = set(data) - set(SECTIONS)
        if unknown:
            raise ScenarioError(
                f"unknown scenario section {sorted(unknown)[0]!r}; allowed: {', '.join(SECTIONS)}"
            )
        result = self.copy()
        if "groups" in data:
            groups = data["groups"]
            if not isinstance(groups, list) or not all(isinstance(g, str) and g for g in groups):
                raise ScenarioError("groups must be a list of group ids")
            result.groups = [DEFAULT_GROUP_ID, *[g for g in dict.fromkeys(groups) if g != DEFAULT_GROUP_ID]]
        if "spotify" in data:
            try:
                result.spotify = SpotifySide.from_dict(data["spotify"])
            except SpotifyConfigError as exc:
                raise ScenarioError(str(exc)) from exc
        if "sync" in data:
            result.sync = SyncPlan.from_dict(data["sync"])
            by_schema = data["sync"].get("by_schema", {})
            if not isinstance(by_schema, dict):
                raise ScenarioError("sync.by_schema must map schema names to sync plans")
            result.sync_by_schema = {
                name: SyncPlan.from_dict(plan, result.sync, f"sync.by_schema.{name}")
                for name, plan in by_schema.items()
            }
        if "rate_limits" in data:
            try:
                result.rate_limits = (
                    None if data["rate_limits"] is None else RateLimits.from_dict(data["rate_limits"])
                )
            except ValueError as exc:
                raise ScenarioError(str(exc)) from exc
        if "faults" in data:
            faults = data["faults"]
            if not isinstance(faults, list):
                raise ScenarioError("faults must be a list of fault specs")
            for i, spec in enumerate(faults):
                try:
                    Fault.from_spec(spec)
                except FaultSpecError as exc:
                    raise ScenarioError(f"faults[{i}]: {exc}") from exc
            result.faults = copy.deepcopy(faults)
        if "extra_setup_tests" in data:
            result.extra_setup_tests = _extra_tests(data["extra_setup_tests"])
        if "seed" in data:
            seed = data["seed"]
            if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
                raise ScenarioError("seed must be an integer or null")
            result.seed = seed
        return result

    def plan_for(self, schema: str) -> SyncPlan:
        return self.sync_by_schema.get(schema, self.sync)

    def copy(self) -> Scenario:
        return copy.deepcopy(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "groups": list(self.groups),
            "spotify": self.spotify.to_dict(),
            "sync": {
                **self.sync.to_dict(),
                "by_schema": {k: v.to_dict() for k, v in self.sync_by_schema.items()},
            },
            "rate_limits": self.rate_limits.to_dict() if self.rate_limits else None,
            "faults": copy.deepcopy(self.faults),
            "extra_setup_tests": copy.deepcopy(self.extra_setup_tests),
            "seed": self.seed,
        }


def _extra_tests(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise ScenarioError("extra_setup_tests must be a list of {title, status, message}")
    tests = []
    for i, test in enumerate(value):
        where = f"extra_setup_tests[{i}]"
        if not isinstance(test, dict) or not isinstance(test.get("title"), str):
            raise ScenarioError(f"{where} needs a string title")
        if test.get("status") not in TEST_STATUSES:
            raise ScenarioError(f"{where}.status must be one of {', '.join(sorted(TEST_STATUSES))}")
        unknown = set(test) - {"title", "status", "message", "details"}
        if unknown:
            raise ScenarioError(f"unknown field {where}.{sorted(unknown)[0]}")
        if test.get("message") is not None and not isinstance(test["message"], str):
            raise ScenarioError(f"{where}.message must be a string")
        if test.get("details") is not None and not isinstance(test["details"], dict):
            raise ScenarioError(f"{where}.details must be an object")
        tests.append(
            {
                "title": test["title"],
                "status": test["status"],
                "message": test.get("message"),
                "details": test.get("details"),
            }
        )
    return tests
