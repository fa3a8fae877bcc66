"""Extra links on our tasks: the connection's page in Fivetran's dashboard, and its Connect Card.

Airflow 3 reads an operator link's URL from the XCom named ``link.xcom_key``; tasks push it there with
``persist`` as soon as they know the connection id, before any wait.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

DASHBOARD_URL = "https://fivetran.com/dashboard/connections/{connection_id}/status"


def dashboard_url(connection_id: str) -> str:
    """The connection's status page in Fivetran's dashboard."""
    return DASHBOARD_URL.format(connection_id=connection_id)


class _XComLink(BaseOperatorLink):
    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        from airflow.sdk.bases.xcom import BaseXCom

        value = BaseXCom.get_value(ti_key=ti_key, key=self.xcom_key)  # type: ignore[arg-type]
        return value if isinstance(value, str) else ""

    @classmethod
    def persist(cls, context: Any, url: str) -> None:
        """Store the link's URL for this task instance."""
        context["ti"].xcom_push(key=cls().xcom_key, value=url)


class FivetranConnectionLink(_XComLink):
    """The connection's page in Fivetran's dashboard."""

    name = "Fivetran connection"


class FivetranConnectCardLink(_XComLink):
    """The Connect Card where a person authorises the connection."""

    name = "Fivetran Connect Card"
