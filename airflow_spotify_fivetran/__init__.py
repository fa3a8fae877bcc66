"""Apache Airflow provider for Fivetran's Spotify Ads connector."""

__version__ = "0.1.0"
