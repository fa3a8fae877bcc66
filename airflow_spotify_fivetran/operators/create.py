"""``FivetranCreateConnectionOperator``: create the ``spotify_ads`` connection, or adopt the existing one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_spotify_fivetran.adoption import ON_DRIFT_CHOICES, Adoption, OnDrift, plan_adoption
from airflow_spotify_fivetran.constants import DEFAULT_CONN_ID
from airflow_spotify_fivetran.drift import COMPARED_FIELDS
from airflow_spotify_fivetran.exceptions import (
    FivetranConflictError,
    FivetranDriftError,
    FivetranInputError,
    InputProblem,
)
from airflow_spotify_fivetran.links import FivetranConnectionLink, dashboard_url
from airflow_spotify_fivetran.tasks import FivetranHookMixin, checked_hook_params

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_spotify_fivetran.models import Connection, NewSpotifyAdsConnection


class FivetranCreateConnectionOperator(FivetranHookMixin, BaseOperator):
    """Create a Fivetran ``spotify_ads`` connection; a re-run finds and adopts the one it made.

    The group is first searched for a connection with the same schema (one list call). If there is none,
    the connection is created (Fivetran runs its setup tests in that call). If there is one, it is adopted,
    and the settings the task asks for are compared with those it has (``adoption.plan_adoption`` decides):

    - differences Fivetran cannot apply (``config.schema``, ``config.timeframe_months``) fail the task with
      the reason;
    - other differences (schedule, reports, accounts, sync mode, ...) are handled per ``on_drift``:
      ``update`` sends one PATCH with only those fields, ``fail`` fails the task listing them, ``ignore``
      logs them.

    ``paused`` is the connection's initial state, not compared on an adopted connection: a re-run must not
    pause again a connection a later task (or a person) unpaused. To keep a connection's pause as the request
    says, pass ``compare_paused=True``.

    A create answered ``409 Conflict`` (another run created the connection since the lookup) adopts the
    connection that now exists the same way.

    With ``listed`` (the connection's state as an upstream list call of the group read it: the fleet DAG
    reads each group once) there is no lookup: "absent" creates at once (a ``409`` still adopts), a listed
    connection is adopted as listed, and with no drift the task makes no call at all. A drift in a field the
    list answer did not carry is checked with one read of the connection first. A retry ignores ``listed``
    and looks up afresh: its first try may have created the connection.

    With ``plan_only`` the task logs what a real run would do (create, PATCH, or fail) and changes nothing.

    :param connection: the create request: a ``NewSpotifyAdsConnection`` or the API-shaped dict of
        Fivetran's create body (templated: values may come from params, Variables or XCom). Validated before
        any call; a bad value fails the task naming the field.
    :param spotify_conn_id: optional Airflow connection holding the Spotify credentials, so they never
        appear in a DAG file: login = client id, password = client secret, extra ``refresh_token``.
    :param on_drift: ``update`` (default), ``fail`` or ``ignore``.
    :param ignore_drift_in: wire fields (``config.accounts``, ``sync_frequency``...) used when creating but
        never compared on an adopted connection: e.g. ``config.accounts`` when accounts are managed elsewhere.
    :param compare_paused: compare ``paused`` too (default False: ``paused`` sets the initial state only).
    :param reauthorize: on an adopted connection, also send ``auth`` (to repair a ``broken`` connection).
    :param plan_only: log the plan (create, the drift table and the PATCH, or the error a real run would
        raise, as "would fail: ...") and change nothing.
    :param listed: the listed state of the request's schema in its group (``inventory.listed_state``:
        ``{"connection": {...}}`` or ``{"connection": None}`` for absent), templated; ``None`` (default):
        look it up. Read through ``fivetran_conn_id``'s account, or it says nothing of this one.
    :param fivetran_conn_id: the Airflow connection to Fivetran.
    :param hook_params: the hook's settings for this task: ``connect_timeout``, ``read_timeout``,
        ``call_timeout`` (seconds), ``max_attempts``; they win over the connection's extras.
    :return: (XCom) the Fivetran connection id; ``None`` in plan-only mode when nothing exists yet.
    """

    template_fields: Sequence[str] = ("connection", "spotify_conn_id", "fivetran_conn_id", "listed")
    operator_extra_links = (FivetranConnectionLink(),)
    ui_color = "#c9e4ff"

    def __init__(
        self,
        *,
        connection: NewSpotifyAdsConnection | Mapping[str, Any],
        spotify_conn_id: str | None = None,
        on_drift: OnDrift = "update",
        ignore_drift_in: Sequence[str] = (),
        compare_paused: bool = False,
        reauthorize: bool = False,
        plan_only: bool = False,
        listed: Mapping[str, Any] | None = None,
        fivetran_conn_id: str = DEFAULT_CONN_ID,
        hook_params: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if on_drift not in ON_DRIFT_CHOICES:
            raise ValueError(f"on_drift must be one of {', '.join(ON_DRIFT_CHOICES)}; got {on_drift!r}")
        self.connection = connection
        self.spotify_conn_id = spotify_conn_id
        self.on_drift = on_drift
        self.ignore_drift_in = _drift_fields(ignore_drift_in)
        self.compare_paused = compare_paused
        self.reauthorize = reauthorize
        self.plan_only = plan_only
        self.listed = listed
        self.fivetran_conn_id = fivetran_conn_id
        self.hook_params = checked_hook_params(hook_params)

    def build_request(self) -> NewSpotifyAdsConnection:
        """The validated create request (no call to Fivetran); raises ``FivetranInputError``."""
        from airflow_spotify_fivetran.models import NewSpotifyAdsConnection

        if isinstance(self.connection, NewSpotifyAdsConnection) and not self.spotify_conn_id:
            return self.connection
        if isinstance(self.connection, NewSpotifyAdsConnection):
            body = self.connection.to_wire()
        elif isinstance(self.connection, Mapping):
            body = dict(self.connection)
        else:
            raise _not_a_mapping(self.connection)
        if self.spotify_conn_id:
            from airflow_spotify_fivetran.hooks.credentials import spotify_auth_from_connection

            body["auth"] = spotify_auth_from_connection(self.spotify_conn_id)
        return NewSpotifyAdsConnection.from_api_dict(body)

    def execute(self, context: Context) -> str | None:
        from airflow_spotify_fivetran.hooks.secrets import mask_request_secrets
        from airflow_spotify_fivetran.summaries import setup_tests_table

        request = self.build_request()
        desired = request.to_wire()
        mask_request_secrets(desired)
        group_id, schema = desired["group_id"], desired["config"]["schema"]

        known, existing = self._listed(context, group_id, schema)
        if not known:
            existing = self.hook.find_connection(group_id, schema)
        if existing is None:
            if self.plan_only:
                self.log.info(
                    "Plan: create spotify_ads connection %r in group %s (plan only: not done)",
                    schema,
                    group_id,
                )
                return None
            try:
                created = self.hook.create_connection(request)
            except FivetranConflictError:
                # Another run (a concurrent task, a second DAG run) created it since the lookup: adopt
                # that one, as a re-run would. No connection under the schema: some other conflict.
                existing = self.hook.find_connection(group_id, schema)
                if existing is None:
                    raise
                self.log.warning(
                    "Connection %r was created concurrently (409 Conflict on create): adopting %s",
                    schema,
                    existing.id,
                )
            else:
                FivetranConnectionLink.persist(context, dashboard_url(created.id))
                self.log.info(
                    "Created connection %s (schema %r, group %s); setup_state %s\n%s",
                    created.id,
                    schema,
                    group_id,
                    created.status.setup_state,
                    setup_tests_table(created.setup_tests or ()),
                )
                return created.id

        FivetranConnectionLink.persist(context, dashboard_url(existing.id))
        adoption = self._adoption(existing, desired)
        if unsaid := _unsaid(existing, adoption):
            self.log.info(
                "The list answer did not carry %s of connection %s: reading the connection",
                ", ".join(unsaid),
                existing.id,
            )
            existing = self.hook.get_connection_details(existing.id)
            adoption = self._adoption(existing, desired)
        self.log.info(
            "Connection %s already exists with schema %r in group %s: adopting it. Drift:\n%s",
            existing.id,
            existing.schema_,
            existing.group_id,
            adoption.drift.table(),
        )
        if self.plan_only:
            for level, message in adoption.plan_log():
                self.log.log(level, "%s", message)
        else:
            self._adopt(adoption)
        return existing.id

    def _listed(self, context: Context, group_id: str, schema: str) -> tuple[bool, Connection | None]:
        """``(True, the connection or None for absent)`` when ``listed`` answers for this try; ``(False,
        None)`` when the task must look it up (no ``listed``, or a retry)."""
        from airflow_spotify_fivetran.inventory import listed_connection

        if self.listed is None:
            return False, None
        connection = listed_connection(self.listed)  # a malformed value fails, on a retry too
        if connection is not None and (connection.group_id, connection.schema_) != (group_id, schema):
            raise FivetranInputError(
                [
                    InputProblem(
                        "listed",
                        f"is connection {connection.id} (schema {connection.schema_!r} in group "
                        f"{connection.group_id}), not the requested schema {schema!r} in group {group_id}",
                    )
                ],
                what="create request",
            )
        try_number = getattr(context.get("ti"), "try_number", 1)
        if isinstance(try_number, int) and try_number > 1:
            self.log.info(
                "Try %d: looking the connection up afresh (an earlier try may have created it)", try_number
            )
            return False, None
        self.log.info(
            "Connection with schema %r in group %s as listed upstream: %s",
            schema,
            group_id,
            connection.id if connection is not None else "absent",
        )
        return True, connection

    def _adoption(self, existing: Connection, desired: dict[str, Any]) -> Adoption:
        """What adopting ``existing`` means for this task (decided, not done)."""
        return plan_adoption(
            existing.id,
            desired,
            existing.model_dump(mode="json", by_alias=True),
            on_drift=self.on_drift,
            ignore=self.ignore_drift_in,
            compare_paused=self.compare_paused,
            reauthorize=self.reauthorize,
        )

    def _adopt(self, adoption: Adoption) -> None:
        """Carry the plan out: fail, or send its PATCH (if any)."""
        from airflow_spotify_fivetran.summaries import setup_tests_table

        if adoption.failure is not None:
            raise FivetranDriftError(adoption.failure)
        for warning in adoption.warnings():
            self.log.warning("%s", warning)
        if not adoption.patch:
            return
        updated = self.hook.modify_connection(adoption.connection_id, dict(adoption.patch))
        self.log.info("Updated connection %s: %s", adoption.connection_id, ", ".join(sorted(adoption.patch)))
        if "auth" in adoption.patch:
            self.log.info("Setup tests:\n%s", setup_tests_table(updated.setup_tests or ()))


def _unsaid(existing: Connection, adoption: Adoption) -> list[str]:
    """The drifted fields ``existing`` does not hold: every connection adopted here came from a list answer
    (the listed state, the lookup, the lookup after a 409), and one that did not carry a field (the evidence
    on what list items hold is thin) must not read as drift there and be PATCHed."""
    from airflow_spotify_fivetran.inventory import listed_state, unlisted

    return unlisted(listed_state(existing), [item.field for item in adoption.drift.items])


def _not_a_mapping(value: object) -> FivetranInputError:
    """``connection`` is not a body: ``dict()`` of a list would fail obscurely, or worse turn
    ``[{"group_id": ..., "config": ...}]`` into ``{"group_id": "config"}``. Only the type is named (the
    value may hold credentials)."""
    hint = (
        ": a template rendered to a string; pass the dict itself, or render natively "
        "(DAG(render_template_as_native_obj=True))"
        if isinstance(value, str)
        else ""
    )
    return FivetranInputError(
        [
            InputProblem(
                "connection",
                "must be a dict (Fivetran's create body, any mapping) or a NewSpotifyAdsConnection, got "
                f"{type(value).__name__}{hint}",
            )
        ],
        what="create request",
    )


def _drift_fields(names: Sequence[str]) -> tuple[str, ...]:
    """``ignore_drift_in`` checked at DAG parse time: a misspelt name would silently compare the field."""
    fields = (names,) if isinstance(names, str) else tuple(names)
    unknown = [name for name in fields if name not in COMPARED_FIELDS]
    if unknown:
        raise ValueError(
            f"ignore_drift_in has unknown field(s) {', '.join(map(repr, unknown))}; "
            f"choose from {', '.join(COMPARED_FIELDS)}"
        )
    return fields
