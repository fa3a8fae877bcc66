"""Airflow sees the provider and its ``fivetran`` connection type; importing it at DAG parse time stays cheap.

The CLI runs as a subprocess of this venv with a throwaway ``AIRFLOW_HOME``; the import checks run in fresh
interpreters, since this test process has imported everything already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema

import airflow_spotify_fivetran
from airflow_spotify_fivetran.get_provider_info import get_provider_info

AIRFLOW = Path(sys.executable).with_name("airflow")
HOOK_CLASS = "airflow_spotify_fivetran.hooks.FivetranHook"


def _airflow_cli(tmp_path: Path, *args: str) -> Any:
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path / "airflow_home"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
    }
    env.pop("AIRFLOW_CONN_FIVETRAN_DEFAULT", None)
    result = subprocess.run(
        [str(AIRFLOW), *args, "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_airflow_providers_hooks_lists_the_fivetran_connection_type(tmp_path: Path) -> None:
    hooks = _airflow_cli(tmp_path, "providers", "hooks")

    ours = [h for h in hooks if h["connection_type"] == "fivetran"]
    assert ours == [
        {
            "connection_type": "fivetran",
            "class": HOOK_CLASS,
            "conn_id_attribute_name": "fivetran_conn_id",
            "package_name": "airflow-spotify-fivetran",
            "hook_name": "Fivetran",
        }
    ]


def test_airflow_providers_get_shows_the_provider(tmp_path: Path) -> None:
    (info,) = _airflow_cli(tmp_path, "providers", "get", "airflow-spotify-fivetran", "--full")

    assert info["package-name"] == "airflow-spotify-fivetran"
    assert info["versions"] == [airflow_spotify_fivetran.__version__]
    (connection_type,) = info["connection-types"]
    assert connection_type["connection-type"] == "fivetran"
    assert connection_type["hook-class-name"] == HOOK_CLASS


def test_provider_info_validates_against_airflows_schema() -> None:
    import airflow

    schema_path = Path(airflow.__file__).with_name("provider_info.schema.json")
    info = get_provider_info()

    jsonschema.validate(info, json.loads(schema_path.read_text(encoding="utf-8")))
    assert info["package-name"] == "airflow-spotify-fivetran"
    assert info["versions"] == [airflow_spotify_fivetran.__version__]
    assert [c["connection-type"] for c in info["connection-types"]] == ["fivetran"]
    # What the connection form's extras mean is what the hook reads.
    assert set(info["connection-types"][0]["conn-fields"]) == {
        "connect_timeout",
        "read_timeout",
        "call_timeout",
        "max_attempts",
    }


def _python(tmp_path: Path, code: str) -> Any:
    """Run ``code`` in a fresh interpreter of this venv; it prints one JSON value, returned."""
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path / "airflow_home"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_get_provider_info_does_not_import_airflow(tmp_path: Path) -> None:
    loaded = _python(
        tmp_path,
        "import sys, json, airflow_spotify_fivetran.get_provider_info; print(json.dumps(list(sys.modules)))",
    )

    assert "airflow_spotify_fivetran.get_provider_info" in loaded
    assert [m for m in loaded if m == "airflow" or m.startswith("airflow.")] == []


# What a DAG file must not pay for at parse time. ``import airflow`` itself loads the package
# ``airflow.providers.http`` (its provider discovery imports ``airflow.providers.http.get_provider_info``), so the
# check is on what importing our operators and sensors adds to a process that already imported Airflow's SDK.
HEAVY = ("airflow.providers.http", "aiohttp", "requests", "airflow_spotify_fivetran.hooks")
ADDED_BY_IMPORTS = """
import importlib, json, sys
import airflow.sdk
added = {}
for module in ("airflow_spotify_fivetran.operators", "airflow_spotify_fivetran.sensors"):
    before = set(sys.modules)
    importlib.import_module(module)
    added[module] = sorted(set(sys.modules) - before)
added["anywhere"] = sorted(sys.modules)
print(json.dumps(added))
"""


def test_importing_operators_and_sensors_does_not_import_the_http_stack(tmp_path: Path) -> None:
    added = _python(tmp_path, ADDED_BY_IMPORTS)
    anywhere = set(added.pop("anywhere"))

    for module, new in added.items():
        heavy = [m for m in new if any(m == h or m.startswith(h + ".") for h in HEAVY)]
        assert heavy == [], f"importing {module} imports {heavy}"
    assert "airflow_spotify_fivetran.operators" in added["airflow_spotify_fivetran.operators"]
    assert not {"aiohttp", "requests", "airflow.providers.http.hooks.http"} & anywhere
    assert not {m for m in anywhere if m.startswith("airflow_spotify_fivetran.hooks")}
