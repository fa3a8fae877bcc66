"""Running the example DAGs' tasks in-process, as a worker would run them, without a scheduler or a metadata database.

``load_example_dag(name)`` loads ``example_dags/<name>.py`` by path, as Airflow's DAG processor does, so the
benchmarks run the DAG's own tasks with the DAG's own arguments instead of copies of them.

``run_dag_task(task, ti, params)`` runs one of those tasks the way a worker does: a copy of the task locked
for execution (``prepare_for_execution``), its template fields rendered with the run's params and the XComs
of the tasks that ran before (XComArgs, and the arguments a mapped task group hands its tasks, resolve
through ``ti.xcom_pull``), then ``execute``. When the task defers, the trigger runs to its first event in a
fresh event loop (as the triggerer would) and the task resumes through the method it named, with that event.
Only the code paths of the provider run.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import AsyncGenerator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

EXAMPLE_DAGS = Path(__file__).resolve().parents[1] / "example_dags"
RETURN_VALUE = "return_value"

#: XComs of one DAG run: (task id, map index) -> key -> value. Shared by the run's task instances.
XComStore = dict[tuple[str, int], dict[str, Any]]


class RecordingTI:
    """The part of a task instance our tasks and Airflow's template rendering use: XComs and the map index.

    XComs go to ``store``, which the task instances of one DAG run share, so a task pulls what an upstream
    task pushed or returned. Within a mapped task group, an upstream of the same group is the instance with
    the same map index, as in Airflow.
    """

    def __init__(self, task_id: str = "task", store: XComStore | None = None, map_index: int = -1) -> None:
        self.task_id = task_id
        self.map_index = map_index
        self.store: XComStore = store if store is not None else {}

    @property
    def xcoms(self) -> dict[str, Any]:
        """What this task instance pushed, by key."""
        return self.store.setdefault((self.task_id, self.map_index), {})

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value

    def xcom_pull(
        self, task_ids: str, key: str = RETURN_VALUE, default: Any = None, map_indexes: int | None = None
    ) -> Any:
        index = -1 if map_indexes is None else map_indexes
        return self.store.get((task_ids, index), {}).get(key, default)

    def get_relevant_upstream_map_indexes(
        self, upstream: Any, ti_count: int | None, session: Any
    ) -> int | None:
        """The upstream instance this one reads: the same map index inside a mapped group, else unmapped."""
        return self.map_index if self.map_index >= 0 else None


def new_context(ti: RecordingTI | None = None, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    ti = ti if ti is not None else RecordingTI()
    return {
        "ti": ti,
        "task_instance": ti,
        "params": dict(params or {}),
        "dag_run": SimpleNamespace(start_date=datetime.now(UTC)),
    }


def load_example_dag(name: str) -> ModuleType:
    """``example_dags/<name>.py``, loaded by path; its ``dag`` is the DAG. Each call loads it anew."""
    path = EXAMPLE_DAGS / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"example_dag_{name}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_params(dag: Any, conf: Mapping[str, Any]) -> dict[str, Any]:
    """The params a run of ``dag`` triggered with ``conf`` sees, each validated by the DAG's ``Param``."""
    params: dict[str, Any] = dag.params.validate()
    params.update({key: dag.params.get_param(key).resolve(value=value) for key, value in conf.items()})
    return params


async def _first_event(trigger: Any) -> Any:
    events: AsyncGenerator[Any, None] = trigger.run()
    try:
        return await anext(events)
    finally:
        await events.aclose()


def run_task(operator: Any, context: dict[str, Any] | None = None) -> tuple[Any, int]:
    """``(return value, number of deferrals)`` of one task run."""
    from airflow.sdk.exceptions import TaskDeferred

    context = context if context is not None else new_context()
    deferrals = 0
    try:
        return operator.execute(context), deferrals
    except TaskDeferred as deferred:
        deferrals += 1
        event = asyncio.run(_first_event(deferred.trigger))
        resume = getattr(operator, deferred.method_name)
        return resume(context, event=event.payload, **(deferred.kwargs or {})), deferrals


def run_dag_task(task: Any, ti: RecordingTI, params: Mapping[str, Any]) -> tuple[Any, int]:
    """Run one task of a loaded DAG as a worker does; its return value is pushed as its XCom, as Airflow does.

    ``(return value, number of deferrals)``.
    """
    operator = task.prepare_for_execution()
    context = new_context(ti, params)
    context["task"] = operator
    operator.render_template_fields(context)
    result, deferrals = run_task(operator, context)
    ti.xcom_push(RETURN_VALUE, result)
    return result, deferrals
