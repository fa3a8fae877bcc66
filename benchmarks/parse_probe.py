"""Row 1's probe: what importing a provider's task (or hook) modules adds to a DAG parse.

One fresh process per measurement. It first imports what every DAG file already pays for
(``import airflow.sdk`` and ``from airflow.sdk import DAG``), then times the import of the target modules
with ``time.perf_counter`` and prints one JSON line: milliseconds, and whether ``aiohttp`` / ``requests`` got
loaded by it (what a DAG parse should not pay for).
"""

from __future__ import annotations

import importlib
import json
import sys
import time

TARGETS: dict[str, tuple[str, ...]] = {
    "ours-tasks": ("airflow_spotify_fivetran.operators", "airflow_spotify_fivetran.sensors"),
    "ours-hooks": ("airflow_spotify_fivetran.hooks",),
    "theirs-tasks": ("fivetran_provider_async.operators", "fivetran_provider_async.sensors"),
    "theirs-hooks": ("fivetran_provider_async.hooks",),
}


def main() -> None:
    target = sys.argv[1]
    from airflow.sdk import DAG  # noqa: F401  (what every DAG file imports)

    before = set(sys.modules)
    started = time.perf_counter()
    for name in TARGETS[target]:
        importlib.import_module(name)
    elapsed = time.perf_counter() - started
    loaded = set(sys.modules) - before
    print(
        json.dumps(
            {
                "target": target,
                "ms": elapsed * 1000,
                "modules": len(loaded),
                "aiohttp": "aiohttp" in loaded,
                "requests": "requests" in loaded,
            }
        )
    )


if __name__ == "__main__":
    main()
