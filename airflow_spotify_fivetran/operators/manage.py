"""Operators around a connection's life: delete it (teardown), and its Connect Card."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_spotify_fivetran.constants import DEFAULT_CONN_ID
from airflow_spotify_fivetran.links import FivetranConnectCardLink, FivetranConnectionLink, dashboard_url
from airflow_spotify_fivetran.tasks import ConnectionTargetMixin, checked_hook_params

if TYPE_CHECKING:
    from airflow.sdk import Context


class FivetranDeleteConnectionOperator(ConnectionTargetMixin, BaseOperator):
    """Delete a connection (e.g. as a teardown task).

    :param connection_id: the Fivetran connection id (templated); or give ``group_id`` and ``schema``.
    :param group_id: with ``schema``: find the connection by its schema in this group (templated), with one
        filtered list call, for a connection this DAG did not create.
    :param schema: the connection's schema name (templated), with ``group_id``.
    :param missing_ok: succeed when the connection does not exist (default True: a re-run is harmless),
        including when ``group_id`` holds no connection with ``schema``.
    :param hook_params: the hook's settings for this task: ``connect_timeout``, ``read_timeout``,
        ``call_timeout`` (seconds), ``max_attempts``; they win over the connection's extras.
    :return: (XCom) Fivetran's message.
    """

    template_fields: Sequence[str] = ("connection_id", "group_id", "schema", "fivetran_conn_id")

    def __init__(
        self,
        *,
        connection_id: str | None = None,
        group_id: str | None = None,
        schema: str | None = None,
        missing_ok: bool = True,
        fivetran_conn_id: str = DEFAULT_CONN_ID,
        hook_params: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._target(connection_id, group_id, schema)
        self.missing_ok = missing_ok
        self.fivetran_conn_id = fivetran_conn_id
        self.hook_params = checked_hook_params(hook_params)

    def execute(self, context: Context) -> str:
        if self.missing_ok:
            connection_id = self.find_connection_id()
            if connection_id is None:
                message = f"group {self.group_id} holds no connection with schema {self.schema!r}: nothing to delete"
                self.log.info("%s", message)
                return message
        else:
            connection_id = self.resolve_connection_id()
        message = self.hook.delete_connection(connection_id, missing_ok=self.missing_ok)
        self.log.info("Delete %s: %s", connection_id, message)
        return message


class FivetranConnectCardOperator(ConnectionTargetMixin, BaseOperator):
    """Create a Connect Card for a connection made without ``auth``, for a person to authorise it.

    The card's URI is returned (XCom) and shown as the task's "Fivetran Connect Card" link, never logged:
    it embeds a short-lived token granting access to configure the connection's credentials. A
    ``FivetranSetupTestsSensor(wait_for_connect_card=True)`` downstream waits until the person is done.

    :param connection_id: the Fivetran connection id (templated); or give ``group_id`` and ``schema``.
    :param group_id: with ``schema``: find the connection by its schema in this group (templated), with one
        filtered list call, for a connection this DAG did not create.
    :param schema: the connection's schema name (templated), with ``group_id``.
    :param redirect_uri: where the browser goes once the card is finished (http or https URL).
    :param hide_setup_guide: hide Fivetran's setup guide in the card.
    :param hook_params: the hook's settings for this task: ``connect_timeout``, ``read_timeout``,
        ``call_timeout`` (seconds), ``max_attempts``; they win over the connection's extras.
    :return: (XCom) ``{"connection_id", "connect_card_uri"}``.
    """

    template_fields: Sequence[str] = (
        "connection_id",
        "group_id",
        "schema",
        "redirect_uri",
        "fivetran_conn_id",
    )
    operator_extra_links = (FivetranConnectionLink(), FivetranConnectCardLink())

    def __init__(
        self,
        *,
        connection_id: str | None = None,
        group_id: str | None = None,
        schema: str | None = None,
        redirect_uri: str,
        hide_setup_guide: bool | None = None,
        fivetran_conn_id: str = DEFAULT_CONN_ID,
        hook_params: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._target(connection_id, group_id, schema)
        self.redirect_uri = redirect_uri
        self.hide_setup_guide = hide_setup_guide
        self.fivetran_conn_id = fivetran_conn_id
        self.hook_params = checked_hook_params(hook_params)

    def execute(self, context: Context) -> dict[str, Any]:
        connection_id = self.resolve_connection_id()
        FivetranConnectionLink.persist(context, dashboard_url(connection_id))
        card = self.hook.create_connect_card(
            connection_id, redirect_uri=self.redirect_uri, hide_setup_guide=self.hide_setup_guide
        )
        uri = card.connect_card.uri if card.connect_card else None
        if not uri:
            from airflow_spotify_fivetran.exceptions import FivetranResponseError

            raise FivetranResponseError("the connect-card answer holds no connect_card.uri")
        FivetranConnectCardLink.persist(context, uri)
        # The URI embeds a short-lived token that lets whoever holds it set the connection's credentials:
        # it goes to the link and the XCom only, never to the task log.
        self.log.info(
            "Connect Card for %s created: open it from this task's %r link (or the connect_card_uri of "
            "its XCom) to authorise the connection",
            connection_id,
            FivetranConnectCardLink.name,
        )
        return {"connection_id": connection_id, "connect_card_uri": uri}
