"""What one list call of a group says about each of its schemas, handed to the tasks that would look it up.

The fleet DAG's first task lists each group once (:func:`read_groups`: all pages, ``limit`` 1000) and hands
every entry its *listed state*: the connection with the entry's schema as the list answer showed it, or
"absent". The create task then decides from it without a lookup of its own, the setup wait ends at once when
it says ``connected``, and the schedule task compares with the schedule it holds: an unchanged re-run of N
connections in one group costs ``ceil(N/1000)`` list calls and writes nothing.

The listed state is JSON (an XCom value), made by :func:`listed_state` and read back by
:func:`listed_connection`; its one shape::

    {"connection": {...the connection as the list answer gave it...}}   # present
    {"connection": None}                                                # absent

It holds only what the answer held (fields the answer did not carry stay absent, so a task can tell "not
said" from ``null``: :func:`unlisted`) and no secret: Fivetran echoes secrets as ``"******"``, and the answer
models hold them as ``SecretStr``, which dumps a mask even of a real value. The Connect Card's token (it opens
the card) and the free-form ``source_sync_details`` and setup-test ``details`` are left out
(:data:`NOT_CARRIED`).

A listed state is a snapshot: another writer may create the schema between the read and the create (the
create's ``409 Conflict`` then adopts it, as before), and a task's retry looks again instead of trusting it
(its first try may have written).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from airflow_spotify_fivetran.exceptions import (
    FivetranInputError,
    FivetranNotFoundError,
    FivetranResponseError,
    InputProblem,
)

if TYPE_CHECKING:
    from airflow_spotify_fivetran.hooks.fivetran import FivetranHook
    from airflow_spotify_fivetran.models import Connection

log = logging.getLogger(__name__)

#: The listed state's one key: the connection's JSON, or ``None`` for "absent".
LISTED_KEY = "connection"
#: ``limit`` of each list page: Fivetran's largest.
PAGE_SIZE = 1000
#: What a listed state leaves out of a connection (a pydantic ``exclude``): the Connect Card (its token
#: opens the card), and free-form details no task reads.
NOT_CARRIED: dict[str, Any] = {
    "connect_card": True,
    "source_sync_details": True,
    "setup_tests": {"__all__": {"details"}},
}


def read_groups(hook: FivetranHook, group_ids: Iterable[str]) -> dict[str, dict[str, Connection]]:
    """Each distinct group's connections by schema, listing each group once (every page, ``limit`` 1000).

    A group Fivetran does not know (``404``) is left out of the answer, with a warning: its entries get no
    listed state and find out on their own (their create fails naming the group), as without this read.
    """
    groups: dict[str, dict[str, Connection]] = {}
    for group_id in dict.fromkeys(group_ids):
        try:
            connections = list(hook.list_connections(group_id=group_id, page_size=PAGE_SIZE))
        except FivetranNotFoundError:
            log.warning(
                "Group %s is not known to Fivetran: its entries look their connection up themselves", group_id
            )
            continue
        groups[group_id] = {c.schema_: c for c in connections if c.group_id == group_id}
    return groups


def listed_state(connection: Connection | None) -> dict[str, Any]:
    """The listed state (JSON) of ``connection`` as a list answer gave it, or of "absent" (``None``)."""
    if connection is None:
        return {LISTED_KEY: None}
    return {
        LISTED_KEY: connection.model_dump(mode="json", by_alias=True, exclude_unset=True, exclude=NOT_CARRIED)
    }


def _malformed(message: str) -> FivetranInputError:
    return FivetranInputError([InputProblem("listed", message)], what="listed state")


def listed_json(listed: Any) -> Mapping[str, Any] | None:
    """The connection's JSON a listed state holds, or ``None`` for "absent".

    Raises:
        FivetranInputError: ``listed`` is not shaped like :func:`listed_state`'s answer.
    """
    if not isinstance(listed, Mapping) or LISTED_KEY not in listed:
        hint = (
            ": a template rendered to a string; pass the value itself, or render natively"
            if isinstance(listed, str)
            else ""
        )
        raise _malformed(
            f"must be {{{LISTED_KEY!r}: <a connection> or None}}, got {type(listed).__name__}{hint}"
        )
    value = listed[LISTED_KEY]
    if value is not None and not isinstance(value, Mapping):
        raise _malformed(f"{LISTED_KEY} must be a connection (an object) or None, got {type(value).__name__}")
    return value


def listed_connection(listed: Any) -> Connection | None:
    """The connection a listed state holds, or ``None`` for "absent" (pure: no call).

    Raises:
        FivetranInputError: ``listed`` is malformed, or its connection lacks a field every connection has
            (its message names the field, never a value).
    """
    from airflow_spotify_fivetran.models import Connection

    value = listed_json(listed)
    if value is None:
        return None
    try:
        return Connection.from_api(value)
    except FivetranResponseError as exc:
        raise _malformed(f"{LISTED_KEY} is not a usable connection: {exc}") from None


def unlisted(listed: Any, paths: Iterable[str]) -> list[str]:
    """The wire paths (``config.accounts``) among ``paths`` that the listed connection's JSON does not hold:
    what the list answer did not say, as opposed to said ``null``. Every path when the state is "absent"."""
    value = listed_json(listed)
    missing = []
    for path in paths:
        node: Any = value
        for part in path.split("."):
            if not isinstance(node, Mapping) or part not in node:
                missing.append(path)
                break
            node = node[part]
    return missing
