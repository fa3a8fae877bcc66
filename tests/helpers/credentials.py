"""Spotify credentials as the DAGs read them (an Airflow connection) and as the simulator knows them, and the
canary secrets: distinctive values, new each session, that must never show up in what Airflow keeps.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fivetran_simulator import DEMO_ACCOUNTS, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN


@dataclass(frozen=True)
class SpotifyCredentials:
    client_id: str
    client_secret: str
    refresh_token: str

    def airflow_conn(self) -> str:
        """The Airflow connection (JSON) the DAGs read: login, password, extra ``refresh_token``."""
        return json.dumps(
            {
                "conn_type": "generic",
                "login": self.client_id,
                "password": self.client_secret,
                "extra": {"refresh_token": self.refresh_token},
            }
        )

    def spotify_side(self, accounts: Sequence[str]) -> dict[str, Any]:
        """A simulator ``spotify`` scenario section where these credentials can read ``accounts`` only."""
        return {
            "clients": {self.client_id: self.client_secret},
            "tokens": {self.refresh_token: {"client_id": self.client_id, "accounts": list(accounts)}},
        }


DEMO = SpotifyCredentials(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN)
ALL_DEMO_ACCOUNTS: tuple[str, ...] = tuple(DEMO_ACCOUNTS)

# Distinctive secrets (new each session) that must never show up in what Airflow keeps.
_RUN = uuid.uuid4().hex[:10]
CANARY_FIVETRAN_API_SECRET = f"SECRET-CANARY-fivetran-api-secret-{_RUN}"
CANARY = SpotifyCredentials(
    client_id=f"canary-client-id-{_RUN}",  # not a secret: Fivetran echoes it
    client_secret=f"SECRET-CANARY-spotify-client-secret-{_RUN}",
    refresh_token=f"SECRET-CANARY-spotify-refresh-token-{_RUN}",
)
CANARY_SECRETS = (CANARY_FIVETRAN_API_SECRET, CANARY.client_secret, CANARY.refresh_token)
CANARY_ACCOUNTS = ("canary-ad-account-1", "canary-ad-account-2")


def leaked_secrets(text: str | bytes) -> list[str]:
    """The canary secrets found in ``text``."""
    data = text.encode() if isinstance(text, str) else text
    return [secret for secret in CANARY_SECRETS if secret.encode() in data]
