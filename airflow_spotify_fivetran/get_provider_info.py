"""Provider metadata read by Airflow's ProvidersManager (entry point ``apache_airflow_provider``).

This module imports nothing from Airflow or from the rest of the package: Airflow calls it while it
discovers providers, before it is itself fully imported.
"""

from __future__ import annotations

from typing import Any

from airflow_spotify_fivetran import __version__

_PKG = "airflow_spotify_fivetran"
_INTEGRATION = "Fivetran Spotify Ads"


def get_provider_info() -> dict[str, Any]:
    """Return the provider's metadata; validated against Airflow's ``provider_info.schema.json``.

    The documentation link of Airflow's Providers page is not set here: the schema has no key for it, and
    Airflow's provider discovery sets ``documentation-url`` itself, from the installed distribution's
    ``Project-URL: Documentation`` (``[project.urls]`` in pyproject.toml), overwriting whatever this
    returns. Without that URL the page falls back to ``airflow.apache.org/docs/<package>/<version>/``,
    which exists only for Apache's own providers. pyproject.toml says which page it links to, and why.
    """
    return {
        "package-name": "airflow-spotify-fivetran",
        "name": "Fivetran Spotify Ads",
        "description": (
            "Provision Fivetran Spotify Ads connections from Airflow: create them idempotently, "
            "wait for their setup tests, set their schedule, sync them."
        ),
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": _INTEGRATION,
                "external-doc-url": "https://fivetran.com/docs/connectors/applications/spotify-ads",
                "tags": ["service"],
            }
        ],
        "operators": [{"integration-name": _INTEGRATION, "python-modules": [f"{_PKG}.operators"]}],
        "sensors": [{"integration-name": _INTEGRATION, "python-modules": [f"{_PKG}.sensors"]}],
        "hooks": [{"integration-name": _INTEGRATION, "python-modules": [f"{_PKG}.hooks"]}],
        "triggers": [{"integration-name": _INTEGRATION, "python-modules": [f"{_PKG}.triggers"]}],
        "extra-links": [
            f"{_PKG}.links.FivetranConnectionLink",
            f"{_PKG}.links.FivetranConnectCardLink",
        ],
        "connection-types": [
            {
                "connection-type": "fivetran",
                "hook-class-name": f"{_PKG}.hooks.FivetranHook",
                "hook-name": "Fivetran",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port"],
                    "relabeling": {"login": "API key", "password": "API secret", "host": "API URL"},
                    "placeholders": {
                        "login": "Fivetran API key",
                        "password": "Fivetran API secret",
                        "host": "https://api.fivetran.com",
                        "extra": '{"connect_timeout": 10, "read_timeout": 60, "max_attempts": 5}',
                    },
                },
                "conn-fields": {
                    "connect_timeout": {
                        "label": "Connect timeout (seconds)",
                        "description": "Seconds to open a TCP connection to the API URL; more than 0.",
                        "schema": {"type": ["number", "null"], "default": 10, "exclusiveMinimum": 0},
                    },
                    "read_timeout": {
                        "label": "Read timeout (seconds)",
                        "description": "Seconds to wait for each piece of Fivetran's answer; more than 0.",
                        "schema": {"type": ["number", "null"], "default": 60, "exclusiveMinimum": 0},
                    },
                    "call_timeout": {
                        "label": "Call timeout (seconds)",
                        "description": (
                            "Seconds one attempt may take as a whole (connect, send, read all of the answer); "
                            "more than 0. Empty: the connect and read timeouts added up."
                        ),
                        "schema": {"type": ["number", "null"], "exclusiveMinimum": 0},
                    },
                    "max_attempts": {
                        "label": "Attempts per call (retries on 429, 5xx, network errors)",
                        "description": "Attempts per call, the first included; 1 means no retry.",
                        "schema": {"type": ["integer", "null"], "default": 5, "minimum": 1},
                    },
                },
            }
        ],
    }
