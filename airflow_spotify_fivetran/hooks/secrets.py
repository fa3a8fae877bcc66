"""Secret values: registered with Airflow's secrets masker, and listed per call so that every text built from
an answer (``api.server_text``) can scrub them, whether or not Airflow's masker runs in this process."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_spotify_fivetran.models.secrets import SECRET_KEYS

#: Words that make a key secret besides the request's own secret keys (``models.secrets.SECRET_KEYS``), as
#: Airflow's masker reads key names.
SECRET_WORDS = ("secret", "token", "password", "passwd", "private_key", "api_key", "apikey")


def is_secret_key(key: object) -> bool:
    return isinstance(key, str) and (key in SECRET_KEYS or any(w in key.lower() for w in SECRET_WORDS))


def secret_values(body: Any) -> set[str]:
    """Every non-empty string under a secret key of a request body, at any depth."""
    found: set[str] = set()
    if isinstance(body, Mapping):
        for key, value in body.items():
            if is_secret_key(key) and isinstance(value, str) and value:
                found.add(value)
            else:
                found |= secret_values(value)
    elif isinstance(body, list):
        for item in body:
            found |= secret_values(item)
    return found


def mask_value(value: str | None) -> None:
    """Tell Airflow's masker (task process and supervisor) to redact ``value`` wherever it is logged."""
    if not value:
        return
    from airflow.sdk.log import mask_secret

    mask_secret(value)


async def amask_value(value: str | None) -> None:
    """``mask_value`` for code running in an event loop (a trigger): Airflow's ``amask_secret`` sends to the
    supervisor with ``asend``, where the sync call could deadlock against an ``asend`` already in flight."""
    if not value:
        return
    from airflow.sdk.log import amask_secret

    await amask_secret(value)


def mask_request_secrets(body: Any) -> set[str]:
    """Mask every secret value of a request body (``secret_values``); returns them, for scrubbing."""
    values = secret_values(body)
    for value in values:
        mask_value(value)
    return values
