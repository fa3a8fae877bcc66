"""The Fivetran API contract the tests run against, carried in the checkout (see ``SOURCES.md`` here).

:data:`CONTRACT_DIR` is the one name of this folder. A missing file is a failure, never a skip: a checkout with
nothing beside it runs every test. ``refresh.sh`` copies the files anew from ``../shared/fivetran-api``.
"""

from __future__ import annotations

from pathlib import Path

CONTRACT_DIR = Path(__file__).resolve().parent

OPENAPI_NORMALIZED = CONTRACT_DIR / "openapi-connections.normalized.json"
SERVICE_CONFIG = CONTRACT_DIR / "spotify_ads-service-config.json"
SEED_PAGE = CONTRACT_DIR / "seed-spotify-ads-api-configuration.txt"


def contract_file(path: Path) -> Path:
    """``path``, or fail the calling test (never skip) naming the file and how to restore it."""
    if not path.is_file():
        raise FileNotFoundError(
            f"the vendored Fivetran API contract file {path} is missing; restore it with tests/contract/refresh.sh"
        )
    return path
