"""Which keys of a ``spotify_ads`` request hold secrets: the one list the provider reads them from.

The models mask these values in every message, the hooks register them with Airflow's secrets masker and
scrub them from texts built from answers, and a fleet spec refuses them. Imports only the standard library.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

SECRET_KEYS: frozenset[str] = frozenset({"refresh_token", "client_secret"})
"""Keys whose values are secrets wherever they appear: ``auth.refresh_token`` and
``auth.client_access.client_secret`` (Fivetran echoes them under ``config``, as ``"******"``)."""

CREDENTIALS_KEY: Final = "auth"
"""The object of a request that holds the connection's credentials: every value under it is treated as a
secret, except :data:`PUBLIC_CREDENTIAL`."""

PUBLIC_CREDENTIAL: tuple[str, ...] = (CREDENTIALS_KEY, "client_access", "client_id")
"""The one value under ``auth`` that is not a secret: the Ad Studio application's id."""

CREDENTIAL_KEYS: frozenset[str] = SECRET_KEYS | {CREDENTIALS_KEY}
"""Keys whose value is a secret or holds secrets: what must never be written where secrets do not belong
(a fleet spec, a DAG file)."""


def is_secret_key(key: object) -> bool:
    """Whether the value of ``key`` is a secret wherever it appears."""
    return key in SECRET_KEYS


def is_secret_path(keys: Iterable[str]) -> bool:
    """Whether a value at the path ``keys`` (``("auth", "client_access", "client_secret")``) may be a secret:
    anything under ``auth`` but its ``client_id``, and the value of any secret key."""
    path = tuple(keys)
    if path and path[0] == CREDENTIALS_KEY:
        return path != PUBLIC_CREDENTIAL
    return any(is_secret_key(key) for key in path)
