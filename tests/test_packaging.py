"""The two distributions built from this repository hold what they promise (issue 12).

The provider's wheel goes onto every production worker: it must carry the provider only, no simulator (an
aiohttp server with an unauthenticated control API) and no console script. The simulator's wheel carries
``fivetran_simulator`` and the ``fivetran-simulator`` script, and none of its modules imports Airflow or the
provider, so that it checks the client rather than sharing its code. Both wheels are built here (about two
seconds with ``uv``'s cache); nothing is installed.
"""

from __future__ import annotations

import ast
import importlib.metadata
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PROVIDER = "airflow_spotify_fivetran"
SIMULATOR = "fivetran_simulator"
FORBIDDEN_IN_SIMULATOR = ("airflow", PROVIDER)


def _uv() -> str:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed in this environment (make venv installs it)")
    return uv


def _build_wheel(source: Path, out_dir: Path) -> zipfile.ZipFile:
    out_dir.mkdir()
    subprocess.run(
        [_uv(), "build", "--wheel", "--quiet", "--out-dir", str(out_dir), str(source)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    (wheel,) = out_dir.glob("*.whl")
    return zipfile.ZipFile(wheel)


@pytest.fixture(scope="module")
def provider_wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[zipfile.ZipFile]:
    with _build_wheel(REPO, tmp_path_factory.mktemp("wheels") / "provider") as wheel:
        yield wheel


@pytest.fixture(scope="module")
def simulator_wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[zipfile.ZipFile]:
    with _build_wheel(REPO / "simulator", tmp_path_factory.mktemp("wheels") / "simulator") as wheel:
        yield wheel


def _distribution(wheel: zipfile.ZipFile) -> importlib.metadata.Distribution:
    (dist_info,) = {n.split("/")[0] for n in wheel.namelist() if n.split("/")[0].endswith(".dist-info")}
    return importlib.metadata.PathDistribution(zipfile.Path(wheel, f"{dist_info}/"))


def _entry_points(wheel: zipfile.ZipFile) -> dict[str, dict[str, str]]:
    groups: dict[str, dict[str, str]] = {}
    for entry_point in _distribution(wheel).entry_points:
        groups.setdefault(entry_point.group, {})[entry_point.name] = entry_point.value
    return groups


def _top_level(wheel: zipfile.ZipFile) -> set[str]:
    return {n.split("/")[0] for n in wheel.namelist() if ".dist-info/" not in n}


def _imported_modules(source: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_the_provider_wheel_holds_the_provider_only(provider_wheel: zipfile.ZipFile) -> None:
    assert _top_level(provider_wheel) == {PROVIDER}
    modules = [n for n in provider_wheel.namelist() if n.endswith(".py")]
    assert f"{PROVIDER}/get_provider_info.py" in modules
    assert not [n for n in modules if "simulator" in n]


def test_the_provider_wheel_installs_no_script(provider_wheel: zipfile.ZipFile) -> None:
    entry_points = _entry_points(provider_wheel)
    assert entry_points["apache_airflow_provider"] == {
        "provider_info": f"{PROVIDER}.get_provider_info:get_provider_info"
    }
    assert "console_scripts" not in entry_points
    assert "gui_scripts" not in entry_points


def test_the_simulator_wheel_holds_the_simulator_and_its_script(simulator_wheel: zipfile.ZipFile) -> None:
    assert _top_level(simulator_wheel) == {SIMULATOR}
    names = simulator_wheel.namelist()
    assert f"{SIMULATOR}/__init__.py" in names
    assert f"{SIMULATOR}/__main__.py" in names
    assert _entry_points(simulator_wheel)["console_scripts"] == {
        "fivetran-simulator": f"{SIMULATOR}.__main__:main"
    }
    main_module = ast.parse(simulator_wheel.read(f"{SIMULATOR}/__main__.py").decode())
    assert "main" in {n.name for n in main_module.body if isinstance(n, ast.FunctionDef)}


def test_the_simulator_depends_on_nothing_of_airflow_or_the_provider(
    simulator_wheel: zipfile.ZipFile,
) -> None:
    requirements = [r.lower() for r in _distribution(simulator_wheel).requires or []]
    assert requirements, "the simulator declares its dependencies (aiohttp, requests)"
    assert not [r for r in requirements if "airflow" in r]

    offenders: dict[str, set[str]] = {}
    for name in simulator_wheel.namelist():
        if name.endswith(".py"):
            imported = _imported_modules(simulator_wheel.read(name).decode())
            bad = {m for m in imported if m.split(".")[0] in FORBIDDEN_IN_SIMULATOR}
            if bad:
                offenders[name] = bad
    assert offenders == {}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import airflow.sdk", {"airflow.sdk"}),
        ("from airflow_spotify_fivetran.hooks import FivetranHook", {"airflow_spotify_fivetran.hooks"}),
        ("def f():\n    import airflow_spotify_fivetran as p\n", {"airflow_spotify_fivetran"}),
        ("from . import store", set()),
    ],
    ids=["import", "from-import", "inside-a-function", "relative"],
)
def test_the_import_scan_sees_every_absolute_import(source: str, expected: set[str]) -> None:
    assert _imported_modules(source) == expected
