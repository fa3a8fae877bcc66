"""Hooks to Fivetran's REST API: ``FivetranHook`` (sync) and ``FivetranAsyncHook`` (for triggers).

Importing this package imports ``apache-airflow-providers-http`` (``requests``, ``aiohttp``, ``tenacity``):
operators, sensors and triggers import it inside ``execute``/``poke``/``run`` only, never at DAG parse time.
"""

from airflow_spotify_fivetran.hooks.fivetran import FivetranHook
from airflow_spotify_fivetran.hooks.fivetran_async import FivetranAsyncHook

__all__ = ["FivetranAsyncHook", "FivetranHook"]
