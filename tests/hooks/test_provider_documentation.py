"""Airflow's Providers page links this provider to its documentation, not to a page that does not exist.

The page (and ``GET /api/v2/providers``) shows the ``documentation-url`` that Airflow's provider discovery
takes from the installed distribution's ``Project-URL: Documentation``. When there is none, the UI links to
``https://airflow.apache.org/docs/<package>/<version>/``, which exists only for Apache's own providers.
"""

from __future__ import annotations

from importlib.metadata import distribution
from urllib.parse import urlsplit

from airflow.providers_manager import ProvidersManager

PACKAGE = "airflow-spotify-fivetran"


def _project_urls() -> dict[str, str]:
    entries = distribution(PACKAGE).metadata.get_all("Project-URL") or []
    return {name.strip(): url.strip() for name, url in (entry.split(",", 1) for entry in entries)}


def test_the_providers_page_links_to_the_distributions_documentation_url() -> None:
    url = ProvidersManager().providers[PACKAGE].data.get("documentation-url")

    # None would send the UI to its airflow.apache.org fallback, a page that does not exist for us.
    assert url is not None, "no Project-URL 'Documentation' in the installed metadata (reinstall: make venv)"
    assert url == _project_urls()["Documentation"]
    parts = urlsplit(url)
    assert parts.scheme == "https"
    assert parts.hostname is not None
    assert parts.hostname != "airflow.apache.org"
