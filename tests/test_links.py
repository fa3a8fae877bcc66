"""The dashboard link is built before the hook checks the id: it must stay on the connection's own page."""

from __future__ import annotations

from airflow_spotify_fivetran.links import dashboard_url


def test_an_id_with_slashes_or_dots_stays_one_path_segment() -> None:
    assert dashboard_url("../../settings") == (
        "https://fivetran.com/dashboard/connections/..%2F..%2Fsettings/status"
    )
    assert dashboard_url("sheltered_mockingbird").endswith("/connections/sheltered_mockingbird/status")
