"""Spotify credentials kept in an Airflow connection, as the ``auth`` object of Fivetran's requests.

The connection (any type; ``generic`` will do) holds the Ad Studio application's client id as its login,
its client secret as its password, and the refresh token in its extra, ``{"refresh_token": ...}``: the
secrets then live in Airflow's secrets backend, never in a DAG file or a fleet spec.
"""

from __future__ import annotations

from typing import Any

from airflow_spotify_fivetran.exceptions import FivetranInputError, InputProblem


def spotify_auth_from_connection(conn_id: str) -> dict[str, Any]:
    """The ``auth`` object of a ``spotify_ads`` request from the Airflow connection ``conn_id``.

    Raises:
        FivetranInputError: (also a ``ValueError``) the connection lacks the client id, the client secret
            or the refresh token; the problem names ``spotify_conn_id`` and what is missing, never a value.
        AirflowNotFoundException: no connection ``conn_id``.
    """
    from airflow.sdk import BaseHook

    conn = BaseHook.get_connection(conn_id)
    refresh_token = conn.extra_dejson.get("refresh_token")
    missing = [
        name
        for name, value in (
            ("login", conn.login),
            ("password", conn.password),
            ("refresh_token", refresh_token),
        )
        if not value
    ]
    if missing:
        raise FivetranInputError(
            [
                InputProblem(
                    "spotify_conn_id",
                    f"Airflow connection {conn_id!r} lacks {', '.join(missing)}: login = Spotify client "
                    'id, password = client secret, extra {"refresh_token": ...}',
                    conn_id,
                )
            ],
            what="Spotify credentials",
        )
    return {
        "refresh_token": refresh_token,
        "client_access": {"client_id": conn.login, "client_secret": conn.password},
    }
