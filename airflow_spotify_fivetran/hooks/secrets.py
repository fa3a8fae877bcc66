"""Register secret values with Airflow's secrets masker, so no log line or rendered template shows them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Keys of a request body whose values are secrets (Spotify credentials of a ``spotify_ads`` connection).
SECRET_KEYS = frozenset({"refresh_token", "client_secret"})


def mask_value(value: str | None) -> None:
    """Tell Airflow's masker (task process and supervisor) to redact ``value`` wherever it is logged."""
    if not value:
        return
    from airflow.sdk.log import mask_secret

    mask_secret(value)


def mask_request_secrets(body: Any) -> None:
    """Mask every value under a secret key of a request body, at any depth."""
    if isinstance(body, Mapping):
        for key, value in body.items():
            if key in SECRET_KEYS and isinstance(value, str):
                mask_value(value)
            else:
                mask_request_secrets(value)
    elif isinstance(body, list):
        for item in body:
            mask_request_secrets(item)
