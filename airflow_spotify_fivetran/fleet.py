"""A fleet of ``spotify_ads`` connections described in one YAML spec: loading and whole-spec validation.

Pure: no Airflow, no HTTP. The ``spotify_ads_fleet`` example DAG calls it in its first task, and a benchmark
or a CI check can call it on its own::

    from airflow_spotify_fivetran.fleet import load_fleet_spec, plan_fleet

    entries = plan_fleet(load_fleet_spec("spotify_ads_fleet.yaml"))

The spec (YAML or an equivalent dict)::

    version: 1                      # optional; only 1 exists
    defaults:                       # optional; merged under every entry
      spotify_conn_id: spotify_ads_credentials
      group_id: demo_warehouse
      config: {sync_mode: SPECIFIC_ACCOUNTS, timeframe_months: TWELVE, report_list: [...]}
      schedule: {sync_frequency: 1440, daily_sync_time: "06:00", time_zone: UTC}
    connections:                    # one entry per connection (an ad account, a team...)
      - name: podcasts              # required, unique: how the entry is named in logs and errors
        spotify_conn_id: spotify_ads_podcasts
        config: {schema: spotify_ads_podcasts, accounts: [other-ad-account-1]}
        schedule: {daily_sync_time: "08:00", time_zone: Europe/Berlin}

Each entry, merged over ``defaults`` (mappings merge key by key, any other value, lists included, replaces the
default), is the create body of ``POST /v1/connections`` (the seed request's shape: ``group_id``, ``config``,
``data_delay_sensitivity``...) plus three keys of ours:

* ``name``: letters, digits, ``_`` and ``-``; unique in the spec.
* ``spotify_conn_id``: the Airflow connection holding that entry's Spotify credentials (login = client id,
  password = client secret, extra ``refresh_token``). Secrets never go in the spec: ``auth``, ``refresh_token``
  and ``client_secret`` are refused wherever they appear.
* ``schedule``: ``sync_frequency``, ``daily_sync_time``, ``time_zone``, ``schedule_type``, ``paused`` (default
  false: provisioning ends unpaused). The schedule task owns these after creation, so the create part refuses
  ``sync_frequency``, ``daily_sync_time``, ``schedule_type`` and ``paused``: every connection is created paused
  and the schedule is applied once its setup tests pass, so a re-run never flips a field back and forth.

:func:`plan_fleet` validates the whole spec before anything is created and raises one
:class:`~airflow_spotify_fivetran.exceptions.FivetranInputError` listing every problem, each naming the entry
and the field: ``connections[3] (podcasts): config.accounts: ...``. A problem in a value that the entry takes
from ``defaults`` is reported once, as ``defaults: ...``. Two entries with the same name, or the same schema in
the same group (Fivetran allows one; the second would silently adopt the first), are refused.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_spotify_fivetran.constants import SERVICE
from airflow_spotify_fivetran.exceptions import FivetranInputError, InputProblem
from airflow_spotify_fivetran.models import (
    DEFAULT_SYNC_FREQUENCY,
    NewSpotifyAdsConnection,
    Schedule,
    daily_sync_time_problem,
    parse_sync_frequency,
    to_fivetran_daily_sync_time,
)
from airflow_spotify_fivetran.models.schedule import SCHEDULE_FIELDS
from airflow_spotify_fivetran.models.secrets import CREDENTIAL_KEYS

SPEC_VERSION = 1
#: Airflow's ``[core] max_map_length`` default: a mapped task expands to at most this many instances.
DEFAULT_MAX_ENTRIES = 1024
#: An entry's ``schedule``: the schedule task's arguments.
SCHEDULE_KEYS = ("sync_frequency", "daily_sync_time", "time_zone", "schedule_type", "paused")
TOP_LEVEL_KEYS = ("version", "defaults", "connections")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True)
class FleetSpec:
    """A fleet spec as read, before validation: the ``defaults`` mapping and the raw entries."""

    defaults: Mapping[str, Any] = field(default_factory=dict)
    connections: tuple[Any, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class FleetEntry:
    """One validated connection of the fleet.

    :ivar index: position in ``connections`` of the spec.
    :ivar name: the entry's name.
    :ivar spotify_conn_id: the Airflow connection with this entry's Spotify credentials.
    :ivar connection: the create body (wire shape, normalised, created paused, no ``auth``).
    :ivar schedule: keyword arguments of ``FivetranSetScheduleOperator`` (``paused`` always set).
    """

    index: int
    name: str
    spotify_conn_id: str
    connection: Mapping[str, Any]
    schedule: Mapping[str, Any]

    @property
    def label(self) -> str:
        """``connections[3] (podcasts)``: how errors and logs name this entry."""
        return entry_label(self.index, self.name)

    @property
    def group_id(self) -> str:
        return str(self.connection["group_id"])

    @property
    def schema(self) -> str:
        return str(self.connection["config"]["schema"])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (an XCom value); holds no secret, since the spec cannot hold one."""
        return {
            "index": self.index,
            "name": self.name,
            "spotify_conn_id": self.spotify_conn_id,
            "connection": copy.deepcopy(dict(self.connection)),
            "schedule": dict(self.schedule),
        }


def entry_label(index: int, name: object) -> str:
    return f"connections[{index}] ({name})" if isinstance(name, str) and name else f"connections[{index}]"


def _problem(where: str, path: str, message: str, value: Any = None) -> InputProblem:
    return InputProblem(f"{where}: {path}" if path else where, message, value)


def _spec_error(problems: list[InputProblem], source: str) -> FivetranInputError:
    return FivetranInputError(problems, what=f"fleet spec {source}" if source else "fleet spec")


# --- reading ---------------------------------------------------------------------------------------------


def load_fleet_spec(path: str | Path) -> FleetSpec:
    """Read a fleet spec from a YAML file (only its shape is checked here; see :func:`plan_fleet`).

    Raises:
        FivetranInputError: the file cannot be read, is not valid YAML, or is not shaped like a spec.
    """
    # PyYAML comes with Airflow; imported here so that importing this module stays cheap.
    import yaml

    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise _spec_error(
            [InputProblem("", f"cannot read the file: {exc.strerror or exc}")], source
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise _spec_error([InputProblem("", f"is not valid YAML{where}: {problem}")], source) from None
    return parse_fleet_spec(data, source=source)


def parse_fleet_spec(data: Any, *, source: str = "") -> FleetSpec:
    """A :class:`FleetSpec` from an already loaded document (a dict shaped like the YAML).

    Raises:
        FivetranInputError: listing every problem of the document's shape.
    """
    if not isinstance(data, Mapping):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise _spec_error(
            [InputProblem("", f"must be a mapping with a 'connections' list, not {kind}")], source
        )
    problems: list[InputProblem] = []
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            problems.append(
                InputProblem(str(key), f"is not a known key; allowed: {', '.join(TOP_LEVEL_KEYS)}")
            )
    version = data.get("version", SPEC_VERSION)
    if version != SPEC_VERSION or isinstance(version, bool):
        problems.append(InputProblem("version", f"must be {SPEC_VERSION}", version))
    defaults = data.get("defaults")
    if defaults is None:
        defaults = {}
    if not isinstance(defaults, Mapping):
        problems.append(
            InputProblem("defaults", f"must be a mapping of default fields, not {type(defaults).__name__}")
        )
        defaults = {}
    connections = data.get("connections")
    if connections is None:
        problems.append(InputProblem("connections", "is required: list one entry per connection"))
    elif not isinstance(connections, list):
        problems.append(
            InputProblem("connections", f"must be a list of entries, not {type(connections).__name__}")
        )
    elif not connections:
        problems.append(InputProblem("connections", "must list at least one connection"))
    if problems:
        raise _spec_error(problems, source)
    assert isinstance(connections, list)
    return FleetSpec(defaults=dict(defaults), connections=tuple(connections), source=source)


# --- validating ------------------------------------------------------------------------------------------


def merge(defaults: Mapping[str, Any], entry: Mapping[str, Any]) -> dict[str, Any]:
    """``entry`` over ``defaults``: mappings merge key by key; anything else (lists too) replaces."""
    merged = copy.deepcopy(dict(defaults))
    for key, value in entry.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _split_path(path: str) -> list[str | int]:
    return [int(index) if index else name for name, index in _PATH_PART.findall(path)]


def _defines(data: Any, parts: Iterable[str | int]) -> bool:
    """Whether ``data`` holds a value at ``parts`` (a list found on the way owns everything under it)."""
    for part in parts:
        if isinstance(data, list):
            return True
        if not isinstance(data, Mapping) or part not in data:
            return False
        data = data[part]
    return True


def _secret_paths(data: Any, prefix: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(data, Mapping):
        for key, value in data.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key in CREDENTIAL_KEYS:
                found.append(path)
            else:
                found += _secret_paths(value, path)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += _secret_paths(value, f"{prefix}[{i}]")
    return found


_SECRET_MESSAGE = (
    "secrets never go in the fleet spec: put the Spotify client id, client secret and refresh token in an "
    "Airflow connection and name it in spotify_conn_id"
)


def _defaults_problems(defaults: Mapping[str, Any]) -> list[InputProblem]:
    problems = [_problem("defaults", path, _SECRET_MESSAGE) for path in _secret_paths(defaults)]
    if "name" in defaults:
        problems.append(_problem("defaults", "name", "must be unique per entry: set it in each entry"))
    return problems


def _frequency(value: Any) -> int | None:
    try:
        return parse_sync_frequency(value)
    except ValueError:
        return None  # reported by the Schedule model


def _schedule(raw: Any, owner: Callable[[str], str]) -> tuple[dict[str, Any] | None, list[InputProblem]]:
    """The schedule task's keyword arguments, or the problems (``owner(path)`` says who set a value)."""
    if not isinstance(raw, Mapping):
        return None, [_problem(owner("schedule"), "schedule", f"must be a mapping, not {type(raw).__name__}")]
    problems = [
        _problem(
            owner(f"schedule.{key}"), f"schedule.{key}", f"is not known; allowed: {', '.join(SCHEDULE_KEYS)}"
        )
        for key in raw
        if key not in SCHEDULE_KEYS
    ]
    values = {key: raw[key] for key in SCHEDULE_KEYS if key in raw and raw[key] is not None}
    values.setdefault("paused", False)
    model_values = {k: v for k, v in values.items() if k != "time_zone"}
    # Connections are created at Fivetran's default frequency: a daily time needs the schedule's own.
    frequency = _frequency(values.get("sync_frequency", DEFAULT_SYNC_FREQUENCY))
    problem = (
        daily_sync_time_problem(values.get("daily_sync_time"), frequency) if frequency is not None else None
    )
    if problem is not None:
        problems.append(
            _problem(
                owner("schedule.daily_sync_time"),
                "schedule.daily_sync_time",
                problem,
                values["daily_sync_time"],
            )
        )
        model_values.pop("daily_sync_time")  # the Schedule model would say it again
    try:
        Schedule.from_api_dict(model_values)
    except FivetranInputError as exc:
        problems += [
            _problem(owner(f"schedule.{p.path}"), f"schedule.{p.path}", p.message, p.value)
            for p in exc.problems
        ]
    if "time_zone" in values and "daily_sync_time" in model_values:
        try:
            to_fivetran_daily_sync_time(values["daily_sync_time"], values["time_zone"])
        except FivetranInputError as exc:
            path = "schedule.time_zone" if "time zone" in str(exc) else "schedule.daily_sync_time"
            problems += [_problem(owner(path), path, p.message, p.value) for p in exc.problems]
    elif "time_zone" in values and not isinstance(values["time_zone"], str):
        problems.append(
            _problem(owner("schedule.time_zone"), "schedule.time_zone", "must be an IANA time zone name")
        )
    return (None if problems else values), problems


def _entry(index: int, raw: Any, defaults: Mapping[str, Any]) -> tuple[FleetEntry | None, list[InputProblem]]:
    if not isinstance(raw, Mapping):
        where = entry_label(index, None)
        return None, [InputProblem(where, f"must be a mapping of fields, not {type(raw).__name__}")]
    name = raw.get("name")
    where = entry_label(index, name)

    def owner(path: str) -> str:
        """Who set the value at ``path``: the entry, or ``defaults`` when only the defaults hold it."""
        parts = _split_path(path)
        return "defaults" if _defines(defaults, parts) and not _defines(raw, parts) else where

    problems: list[InputProblem] = [_problem(where, path, _SECRET_MESSAGE) for path in _secret_paths(raw)]
    if not isinstance(name, str) or not _NAME.match(name):
        problems.append(
            _problem(
                where,
                "name",
                "is required: letters, digits, '_' and '-', starting with a letter or digit, at most 63 "
                "characters",
                name,
            )
        )
    merged = merge(defaults, raw)
    for key in CREDENTIAL_KEYS:
        merged.pop(key, None)  # reported above; dropped so the model does not echo it
    spotify_conn_id = merged.pop("spotify_conn_id", None)
    if not isinstance(spotify_conn_id, str) or not spotify_conn_id.strip():
        problems.append(
            _problem(
                owner("spotify_conn_id"),
                "spotify_conn_id",
                "is required: the Airflow connection holding this entry's Spotify credentials (set it in the "
                "entry or in defaults)",
                spotify_conn_id,
            )
        )
    schedule, schedule_problems = _schedule(merged.pop("schedule", {}), owner)
    problems += schedule_problems
    merged.pop("name", None)
    for key in SCHEDULE_FIELDS:
        if key in merged:
            problems.append(
                _problem(
                    owner(key),
                    key,
                    f"belongs in schedule.{key}: connections are created paused and the schedule task sets "
                    "the schedule once the setup tests pass",
                    merged.pop(key),
                )
            )
    merged.setdefault("service", SERVICE)
    merged["paused"] = True
    try:
        request = NewSpotifyAdsConnection.from_api_dict(merged)
    except FivetranInputError as exc:
        problems += [_problem(owner(p.path), p.path, p.message, p.value) for p in exc.problems]
        request = None
    if problems or request is None or schedule is None:
        return None, problems
    assert isinstance(name, str)
    assert isinstance(spotify_conn_id, str)
    return (
        FleetEntry(
            index=index,
            name=name,
            spotify_conn_id=spotify_conn_id,
            connection=request.to_wire(),
            schedule=schedule,
        ),
        [],
    )


def _dedupe(problems: Iterable[InputProblem]) -> list[InputProblem]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for problem in problems:
        key = (problem.path, problem.message)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique


def plan_fleet(
    spec: FleetSpec,
    *,
    check_connection: Callable[[str], None] | None = None,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> list[FleetEntry]:
    """Validate every entry of ``spec`` and return them, ready to create; nothing is called.

    :param check_connection: called once per distinct ``spotify_conn_id`` of the valid entries; raising
        (any exception, its message must hold no secret) reports that connection as unusable for each entry
        naming it. The DAG passes a check that the Airflow connection exists and holds every credential.
    :param max_entries: the most entries allowed (a mapped task expands to at most ``[core] max_map_length``).
    :raises FivetranInputError: listing every problem of the whole spec, each as
        ``connections[3] (podcasts): config.accounts: <why>`` (or ``defaults: <field>: <why>``).
    """
    problems = _defaults_problems(spec.defaults)
    defaults = {k: v for k, v in spec.defaults.items() if k not in CREDENTIAL_KEYS and k != "name"}
    if len(spec.connections) > max_entries:
        problems.append(
            InputProblem(
                "connections",
                f"lists {len(spec.connections)} entries; at most {max_entries} fit one run (Airflow's "
                "[core] max_map_length): split the spec",
            )
        )
    entries: list[FleetEntry] = []
    for index, raw in enumerate(spec.connections):
        entry, entry_problems = _entry(index, raw, defaults)
        problems += entry_problems
        if entry is not None:
            entries.append(entry)

    names: dict[str, int] = {}
    places: dict[tuple[str, str], int] = {}
    for index, raw in enumerate(spec.connections):
        name = raw.get("name") if isinstance(raw, Mapping) else None
        if isinstance(name, str):
            if name in names:
                problems.append(
                    _problem(
                        entry_label(index, name),
                        "name",
                        f"is also the name of connections[{names[name]}]",
                        name,
                    )
                )
            else:
                names[name] = index
    for entry in entries:
        place = (entry.group_id, entry.schema)
        if place in places:
            problems.append(
                _problem(
                    entry.label,
                    "config.schema",
                    f"{entry.schema!r} in group {entry.group_id!r} is also the schema of "
                    f"connections[{places[place]}]: a schema is unique in a group; give each entry its own",
                    entry.schema,
                )
            )
        else:
            places[place] = entry.index

    if check_connection is not None:
        verdicts: dict[str, str | None] = {}
        for entry in entries:
            conn_id = entry.spotify_conn_id
            if conn_id not in verdicts:
                try:
                    check_connection(conn_id)
                    verdicts[conn_id] = None
                except FivetranInputError as exc:  # its problems only: the entry's label says where
                    verdicts[conn_id] = "; ".join(p.message for p in exc.problems) or str(exc)
                except Exception as exc:
                    verdicts[conn_id] = str(exc) or type(exc).__name__
            if verdicts[conn_id] is not None:
                problems.append(
                    _problem(
                        entry.label,
                        "spotify_conn_id",
                        f"Airflow connection {conn_id!r} is not usable: {verdicts[conn_id]}",
                        conn_id,
                    )
                )
    if problems:
        raise _spec_error(_dedupe(problems), spec.source)
    return entries


def summarize_plan(entries: Iterable[FleetEntry]) -> str:
    """A fixed-width table of the plan for a task log (no secrets: the entries hold none)."""
    rows = [
        (
            e.label,
            e.group_id,
            e.schema,
            str(e.connection["config"].get("sync_mode") or "-"),
            ",".join(e.connection["config"].get("accounts") or []) or "-",
            e.spotify_conn_id,
            " ".join(f"{k}={v}" for k, v in e.schedule.items()),
        )
        for e in entries
    ]
    head = ("entry", "group", "schema", "sync_mode", "accounts", "spotify_conn_id", "schedule")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in [head, *rows]
    )


def log_plan(entries: Iterable[FleetEntry], source: str, logger: logging.Logger | None = None) -> None:
    """Write the plan table to the task log, a line per entry, where people read it (not only in the XCom)."""
    entries = list(entries)
    out = logger or logging.getLogger(__name__)
    out.info("Fleet spec %s: %d connections", source, len(entries))
    for line in summarize_plan(entries).splitlines():
        out.info("%s", line)
