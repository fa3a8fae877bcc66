"""Every example DAG parses cleanly under Airflow 3, cheaply, and without touching Fivetran or its spec.

The parse runs in a fresh interpreter (a subprocess), as Airflow's DAG processor does, so that modules this
test process already imported cannot hide what a DAG file imports, and warnings are seen the first time they
are raised. A running simulator stands in for Fivetran: any call at parse time would land in its request log.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fivetran_simulator import SimulatorServer
from tests.helpers.processes import DAGS_FOLDER, airflow_env
from tests.limits import HANG_GUARD

EXAMPLE_DAG_FILES = sorted(DAGS_FOLDER.glob("*.py"))
EXPECTED_DAG_IDS = {
    "spotify_ads_connect_card",
    "spotify_ads_downstream",
    "spotify_ads_fleet",
    "spotify_ads_provisioning",
    "spotify_ads_sync",
}

# Runs in the subprocess: fills a DagBag from the example folder with every warning recorded, every file
# opened noted (audit hook), and reports what the parse imported, as JSON on the last line of stdout.
PARSE_PROBE = r"""
import json, sys, warnings
from airflow.dag_processing.dagbag import DagBag
from airflow.serialization.serialized_objects import DagSerialization

folder = sys.argv[1]
before = set(sys.modules)
opened = []
parsing = [False]
MODULE_FILES = (".py", ".pyc", ".so", "/")  # imports: the modules a DAG file imports are checked elsewhere

def audit(event, args):
    # Only files opened while a DAG file's own code runs (the DagBag itself opens every file of the folder
    # to look for zip archives).
    if parsing[0] and event == "open" and isinstance(args[0], str) and not args[0].endswith(MODULE_FILES):
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename.startswith(folder):
                opened.append(args[0])
                return
            frame = frame.f_back

sys.addaudithook(audit)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    parsing[0] = True
    bag = DagBag(dag_folder=folder)
    parsing[0] = False
    serialized = {}
    for dag_id, dag in bag.dags.items():
        data = DagSerialization.to_dict(dag)
        serialized[dag_id] = sorted(DagSerialization.from_dict(data).task_dict)
print(json.dumps({
    "dag_ids": sorted(bag.dag_ids),
    "import_errors": {str(k): str(v) for k, v in bag.import_errors.items()},
    "warnings": [
        {"category": w.category.__name__,
         "deprecation": issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning, FutureWarning)),
         "filename": w.filename, "lineno": w.lineno, "message": str(w.message)}
        for w in caught
    ],
    "new_modules": sorted(set(sys.modules) - before),
    "opened": opened,
    "tasks": serialized,
}))
"""


def _airflow_env(home: Path, **extra: str) -> dict[str, str]:
    return {
        **airflow_env(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        **extra,
    }


@pytest.fixture(scope="module")
def parse_sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(clock="manual") as sim:
        yield sim


@pytest.fixture(scope="module")
def parse_report(parse_sim: SimulatorServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Parse the example folder once in a fresh interpreter, Fivetran pointing at the simulator."""
    home = tmp_path_factory.mktemp("parse-home")
    env = _airflow_env(
        home,
        AIRFLOW_CONN_FIVETRAN_DEFAULT=parse_sim.airflow_conn_json,
        AIRFLOW_CONN_SPOTIFY_ADS_CREDENTIALS=json.dumps(
            {"conn_type": "generic", "login": "id", "password": "secret", "extra": {"refresh_token": "t"}}
        ),
    )
    result = subprocess.run(
        [sys.executable, "-c", PARSE_PROBE, str(DAGS_FOLDER)],
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_every_example_dag_parses_without_import_errors(parse_report: dict[str, Any]) -> None:
    assert parse_report["import_errors"] == {}
    assert set(parse_report["dag_ids"]) == EXPECTED_DAG_IDS


def test_every_example_dag_survives_serialization(parse_report: dict[str, Any]) -> None:
    # What the DAG processor stores and the scheduler reads back: the mapped task group and .map() included.
    assert parse_report["tasks"]["spotify_ads_fleet"] == [
        "provision.create_connection",
        "provision.schedule_and_unpause",
        "provision.wait_for_setup_tests",
        "report_api_calls",
        "validate_spec",
    ]
    assert parse_report["tasks"]["spotify_ads_provisioning"] == [
        "check_inputs",
        "create_connection",
        "schedule_and_unpause",
        "wait_for_setup_tests",
    ]


def test_parsing_raises_no_warning(parse_report: dict[str, Any]) -> None:
    # Any warning at parse time is paid on every parse; deprecations break on the next Airflow major.
    assert parse_report["warnings"] == []


def test_parsing_makes_no_api_call(parse_report: dict[str, Any], parse_sim: SimulatorServer) -> None:
    assert parse_report["dag_ids"], "nothing was parsed"
    assert parse_sim.control.requests() == []


def test_parsing_reads_no_file(parse_report: dict[str, Any]) -> None:
    # The fleet spec is read by the fleet DAG's first task, never while the DAG file is parsed.
    assert parse_report["opened"] == []


@pytest.mark.parametrize(
    "module",
    [
        "airflow_spotify_fivetran.hooks",
        "airflow_spotify_fivetran.hooks.fivetran",
        "airflow_spotify_fivetran.hooks.fivetran_async",
        "airflow_spotify_fivetran.models",
        "airflow_spotify_fivetran.fleet",
        "aiohttp",
        "requests",
    ],
)
def test_parsing_does_not_import_heavy_modules(parse_report: dict[str, Any], module: str) -> None:
    # The DAG processor parses every file every 30 s: the hook (requests, aiohttp, tenacity), the models
    # and the spec loader are only needed when a task runs.
    assert any(m.startswith("airflow_spotify_fivetran.operators") for m in parse_report["new_modules"])
    assert module not in parse_report["new_modules"]


@pytest.mark.parametrize("dag_file", EXAMPLE_DAG_FILES, ids=lambda p: p.name)
def test_example_dag_imports_with_deprecation_warnings_as_errors(dag_file: Path, tmp_path: Path) -> None:
    # Imported directly (not through DagBag, which would turn the error into an import error entry).
    code = (
        "import importlib.util, sys\n"
        "spec = importlib.util.spec_from_file_location('example_dag', sys.argv[1])\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "print(module.dag.dag_id)\n"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-W",
            "error::DeprecationWarning",
            "-W",
            "error::PendingDeprecationWarning",
            "-W",
            "error::FutureWarning",
            "-c",
            code,
            str(dag_file),
        ],
        env=_airflow_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] in EXPECTED_DAG_IDS
