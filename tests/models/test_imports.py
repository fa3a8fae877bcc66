"""The models stay cheap to import: no Airflow."""

from __future__ import annotations

import subprocess
import sys


def test_models_import_without_airflow() -> None:
    code = (
        "import sys, airflow_spotify_fivetran.models; "
        "loaded = sorted(m for m in sys.modules if m == 'airflow' or m.startswith('airflow.')); "
        "print(loaded); sys.exit(1 if loaded else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
