"""Names every layer of the provider shares. Imports nothing: any module (even ``get_provider_info``, read
while Airflow discovers providers) may import it."""

from __future__ import annotations

from typing import Final

DEFAULT_CONN_ID: Final = "fivetran_default"
"""The Airflow connection to Fivetran that hooks and tasks use unless told otherwise."""

CONN_TYPE: Final = "fivetran"
"""The Airflow connection type of that connection."""

DEFAULT_HOST: Final = "https://api.fivetran.com"
"""Fivetran's public REST API, used when the Airflow connection names no host."""

SERVICE: Final = "spotify_ads"
"""The Fivetran connector type (``service``) this provider creates."""
