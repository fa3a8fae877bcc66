"""The client of ``fault_matrix_theirs.py``: one side's hook, one fault case after another.

Runs under either virtual environment and imports only the side it serves:

* ``--side ours``: ``airflow_spotify_fivetran.hooks.FivetranHook`` (``get_connection_details``,
  ``sync_connection``), built per case with ``max_attempts`` and ``read_timeout``;
* ``--side theirs``: ``fivetran_provider_async.hooks.FivetranHook`` 2.4.0 (``get_connector``,
  ``start_fivetran_sync``), built per case with ``retry_limit``, ``retry_delay`` and ``timeout_seconds`` (which
  their ``_do_api_call`` never passes to ``requests``). Their URLs are
  ``f"{api_protocol}://{api_host}/{endpoint}"`` from two class attributes, set here to the case's simulator,
  the only way to point the hook anywhere else; nothing else of theirs is changed.

Protocol: prints ``READY`` once the hook module is imported, then reads one JSON case per stdin line and
answers each with one ``RESULT {json}`` stdout line. The orchestrator kills this process when a case outlives
its wall-clock guard (a hook without a timeout), and starts another for the next case.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from typing import Any
from urllib.parse import urlsplit


def run_ours(case: dict[str, Any]) -> dict[str, Any]:
    from airflow_spotify_fivetran.hooks import FivetranHook

    hook = FivetranHook(max_attempts=case["attempts"], read_timeout=case["read_timeout"])
    try:
        if case["op"] == "details":
            return {"id": hook.get_connection_details(case["conn_id"]).id}
        return {"message": hook.sync_connection(case["conn_id"])}
    finally:
        hook.close()


def run_theirs(case: dict[str, Any]) -> dict[str, Any]:
    from fivetran_provider_async.hooks import FivetranHook

    url = urlsplit(case["url"])
    FivetranHook.api_protocol = url.scheme
    FivetranHook.api_host = url.netloc
    hook = FivetranHook(
        retry_limit=case["attempts"],
        retry_delay=case["retry_delay"],
        timeout_seconds=case["read_timeout"],  # stored, never used by their requests
    )
    if case["op"] == "details":
        data = hook.get_connector(case["conn_id"])
        return {"id": data.get("id") if isinstance(data, dict) else None}
    return {"last_sync": str(hook.start_fivetran_sync(case["conn_id"]))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", choices=("ours", "theirs"), required=True)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    runner = run_ours if args.side == "ours" else run_theirs
    if args.side == "ours":
        import airflow_spotify_fivetran.hooks  # noqa: F401
    else:
        import fivetran_provider_async.hooks  # noqa: F401
    print("READY", flush=True)
    for line in sys.stdin:
        case = json.loads(line)
        os.environ["AIRFLOW_CONN_FIVETRAN_DEFAULT"] = case["airflow_conn"]
        started = time.monotonic()
        reply: dict[str, Any]
        try:
            reply = {"ok": True, "result": runner(case)}
        except Exception as exc:  # the point: what reaches the user, whatever it is
            reply = {"ok": False, "error_type": type(exc).__name__, "error": str(exc)}
        reply["seconds"] = round(time.monotonic() - started, 2)
        print("RESULT " + json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
