"""Extra links on our tasks: the connection's page in Fivetran's dashboard, and its Connect Card.

Airflow 3 reads an operator link's URL from the XCom named ``link.xcom_key``; tasks push it there with
``persist`` as soon as they know the connection id, before any wait, and Airflow pushes it again from
``get_link`` when the task finishes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

DASHBOARD_URL = "https://fivetran.com/dashboard/connections/{connection_id}/status"


def dashboard_url(connection_id: str) -> str:
    """The connection's status page in Fivetran's dashboard; the id is one path segment, whatever it holds."""
    return DASHBOARD_URL.format(connection_id=quote(str(connection_id), safe=""))


class _XComLink(BaseOperatorLink):
    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        # Airflow 3 calls this in the worker when the task finishes and stores the result under
        # ``xcom_key``; the URL is on the running operator, so a task that failed before knowing its
        # connection simply has no link (no XCom lookup, no "XCom not found" in its log).
        links: dict[str, str] = getattr(operator, "_fivetran_links", {})
        return links.get(self.name, "")

    @classmethod
    def persist(cls, context: Any, url: str) -> None:
        """Show the link now (XCom), and keep it on the operator for Airflow's own push at the end."""
        link = cls()
        task = context.get("task")
        if task is not None:
            task.__dict__.setdefault("_fivetran_links", {})[link.name] = url
        context["ti"].xcom_push(key=link.xcom_key, value=url)


class FivetranConnectionLink(_XComLink):
    """The connection's page in Fivetran's dashboard."""

    name = "Fivetran connection"


class FivetranConnectCardLink(_XComLink):
    """The Connect Card where a person authorises the connection."""

    name = "Fivetran Connect Card"
