"""Running a DAG in-process with ``dag.test()`` (tasks in-process, a deferred task's trigger inline) against
the metadata database of ``tests/tasks`` (the ``airflow_db`` fixture), and what the run left behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow.sdk import DAG

MISSING: Any = object()
"""What :meth:`DagOutcome.xcom` returns for an XCom that was never pushed."""


@dataclass
class DagOutcome:
    """What ``dag.test()`` left behind."""

    dag_id: str
    run_id: str
    state: str
    task_states: dict[str, str]
    errors: dict[str, BaseException] = field(default_factory=dict)

    def xcom(self, task_id: str, key: str = "return_value") -> Any:
        from airflow.models.xcom import XComModel
        from airflow.utils.session import create_session

        with create_session() as session:
            query = XComModel.get_many(run_id=self.run_id, dag_ids=self.dag_id, task_ids=task_id, key=key)
            row = session.scalars(query).first()
            return MISSING if row is None else XComModel.deserialize_value(row)

    def rendered_fields(self, task_id: str) -> dict[str, Any]:
        """The rendered template fields Airflow stored for the task (what the UI shows)."""
        from airflow.models.renderedtifields import RenderedTaskInstanceFields as RTIF
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            fields = session.scalar(
                select(RTIF.rendered_fields).where(
                    RTIF.dag_id == self.dag_id, RTIF.task_id == task_id, RTIF.run_id == self.run_id
                )
            )
        assert fields is not None, f"no rendered fields stored for {task_id}"
        return dict(fields)

    def error(self, task_id: str) -> BaseException:
        assert self.task_states.get(task_id) == "failed", self.task_states
        return self.errors[task_id]


def register_dag(dag: DAG) -> None:
    """Write ``dag`` to the metadata database as the DAG processor would (dag.test() needs it there)."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.collection import update_dag_parsing_results_in_db
    from airflow.serialization.serialized_objects import LazyDeserializedDAG
    from airflow.utils.session import create_session

    with create_session() as session:
        DagBundlesManager().sync_bundles_to_db(session=session)
        session.commit()
        update_dag_parsing_results_in_db(
            "dags-folder", None, [LazyDeserializedDAG.from_dag(dag)], {}, None, set(), session=session
        )


def run_in_process(dag: DAG) -> DagOutcome:
    """Run every task of ``dag`` with ``dag.test()``; the exception of each failed task is kept."""
    errors: dict[str, BaseException] = {}

    def record(context: Any) -> None:
        errors[context["ti"].task_id] = context["exception"]

    for task in dag.tasks:
        task.on_failure_callback = [record]
    register_dag(dag)
    dag_run = dag.test()
    states = {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}
    return DagOutcome(dag.dag_id, dag_run.run_id, str(dag_run.state), states, errors)
