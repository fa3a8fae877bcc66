"""``fivetran-simulator`` / ``python -m fivetran_simulator``: serve until SIGTERM or SIGINT.

At start it prints, one per line and flushed, the Airflow connection, the default group, the demo Spotify
credentials (which pass the setup tests) and last ``listening: http://HOST:PORT``.
"""

from __future__ import annotations

import argparse
import sys

from fivetran_simulator.clock import CLOCK_MODES
from fivetran_simulator.defaults import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    DEMO_ACCOUNTS,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REFRESH_TOKEN,
)
from fivetran_simulator.scenario import ScenarioError
from fivetran_simulator.server import SimulatorServer


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fivetran-simulator",
        description="A local Fivetran /v1/connections API for the spotify_ads service.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free one (default: 0)")
    parser.add_argument(
        "--scenario", help="JSON scenario file (groups, Spotify side, sync outcomes, rate limits, faults)"
    )
    parser.add_argument("--state", help="JSON file to load at start and save after every change")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="API key clients must send")
    parser.add_argument("--api-secret", default=DEFAULT_API_SECRET, help="API secret clients must send")
    parser.add_argument("--clock", choices=CLOCK_MODES, default="real", help="real (wall time) or manual")
    return parser


def _announce(server: SimulatorServer) -> None:
    lines = [
        f"AIRFLOW_CONN_FIVETRAN_DEFAULT={server.airflow_conn_json}",
        f"group_id: {server.group_id}",
        f"client_id: {DEMO_CLIENT_ID}",
        f"client_secret: {DEMO_CLIENT_SECRET}",
        f"refresh_token: {DEMO_REFRESH_TOKEN}",
        f"accounts: {','.join(DEMO_ACCOUNTS)}",
        f"listening: {server.base_url}",
    ]
    print("\n".join(lines), flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        server = SimulatorServer(
            host=args.host,
            port=args.port,
            api_key=args.api_key,
            api_secret=args.api_secret,
            scenario=args.scenario,
            state_file=args.state,
            clock=args.clock,
        )
    except (ScenarioError, ValueError, OSError) as exc:
        print(f"fivetran-simulator: {exc}", file=sys.stderr)
        return 2
    server.serve_forever(on_ready=_announce)
    return 0


if __name__ == "__main__":
    sys.exit(main())
