"""Constants of the simulator: default API credentials, the default group and the demo Spotify side.

The demo Spotify credentials are what ``fivetran-simulator`` prints at start-up: a connection created with
them passes every setup test of a fresh simulator.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

DEFAULT_API_KEY: Final = "sim-api-key"
DEFAULT_API_SECRET: Final = "sim-api-secret"
DEFAULT_GROUP_ID: Final = "demo_warehouse"

DEMO_CLIENT_ID: Final = "demo-client-id"
DEMO_CLIENT_SECRET: Final = "demo-client-secret"
DEMO_REFRESH_TOKEN: Final = "demo-refresh-token"
DEMO_ACCOUNTS: Final = ("demo-ad-account-1", "demo-ad-account-2")

# A second Spotify application, so that "refresh token of another client" can be shown with defaults.
OTHER_CLIENT_ID: Final = "other-client-id"
OTHER_CLIENT_SECRET: Final = "other-client-secret"
OTHER_REFRESH_TOKEN: Final = "other-refresh-token"
OTHER_ACCOUNTS: Final = ("other-ad-account-1",)

SERVICE: Final = "spotify_ads"
SERVICE_VERSION: Final = 1
CONNECTED_BY: Final = "simulator_api_user"
REDACTED: Final = "******"

# Where a manual clock starts (and returns to on reset).
MANUAL_CLOCK_START: Final = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)

# Keys whose values are secrets wherever they appear in a request, a config or an auth object.
SECRET_KEYS: Final = frozenset(
    {"client_secret", "refresh_token", "access_token", "password", "secret", "api_secret", "private_key"}
)
