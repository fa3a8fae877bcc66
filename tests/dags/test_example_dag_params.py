"""The example DAGs' trigger forms: defaults that work against the embedded simulator on the first click,
every param explained, and a schema that refuses what the package's models refuse."""

from __future__ import annotations

import importlib.util
from types import ModuleType
from typing import Any

import jsonschema
import pytest

from airflow_spotify_fivetran.exceptions import FivetranInputError
from airflow_spotify_fivetran.models import to_fivetran_daily_sync_time
from fivetran_simulator import defaults
from tests.helpers.processes import DAGS_FOLDER

FORM_DAGS = ("spotify_ads_provisioning", "spotify_ads_connect_card", "spotify_ads_fleet")


def _load(dag_id: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{dag_id}", DAGS_FOLDER / f"{dag_id}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MODULES = {dag_id: _load(dag_id) for dag_id in FORM_DAGS}


def _schema(dag_id: str, param: str) -> dict[str, Any]:
    return dict(MODULES[dag_id].dag.params.get_param(param).schema)


def _form_accepts(dag_id: str, param: str, value: Any) -> bool:
    return jsonschema.Draft7Validator(_schema(dag_id, param)).is_valid(value)


@pytest.mark.parametrize("dag_id", FORM_DAGS)
def test_every_param_has_a_description(dag_id: str) -> None:
    params = MODULES[dag_id].dag.params
    assert {name: bool((params.get_param(name).description or "").strip()) for name in params} == {
        name: True for name in params
    }


@pytest.mark.parametrize("dag_id", ["spotify_ads_provisioning", "spotify_ads_connect_card"])
def test_defaults_are_the_simulators(dag_id: str) -> None:
    params = MODULES[dag_id].dag.params
    assert params["group_id"] == defaults.DEFAULT_GROUP_ID
    if "accounts" in params:
        assert params["accounts"] == list(defaults.DEMO_ACCOUNTS)


@pytest.mark.parametrize("dag_id", ["spotify_ads_provisioning", "spotify_ads_connect_card"])
def test_daily_sync_time_offers_exactly_the_hours_the_models_accept(dag_id: str) -> None:
    offered = _schema(dag_id, "daily_sync_time")["enum"]
    quarter_hours = [f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 15, 30, 45)]

    def accepted(value: str) -> bool:
        try:
            to_fivetran_daily_sync_time(value, None)
        except FivetranInputError:
            return False
        return True

    assert offered == [value for value in quarter_hours if accepted(value)]
    assert len(offered) == 24


@pytest.mark.parametrize("dag_id", ["spotify_ads_provisioning", "spotify_ads_connect_card"])
@pytest.mark.parametrize(
    ("schema", "ok"),
    [
        ("spotify_ads", True),
        ("_ads2", True),
        ("a" * 63, True),
        ("a" * 64, False),
        ("Spotify", False),
        ("2ads", False),
        ("spotify ads", False),
        ("", False),
    ],
)
def test_the_schema_rule_in_words_is_the_one_the_form_applies(dag_id: str, schema: str, ok: bool) -> None:
    description = MODULES[dag_id].dag.params.get_param("schema").description
    assert "lowercase letters, digits and underscores, not starting with a digit, at most 63" in description
    assert _form_accepts(dag_id, "schema", schema) is ok


@pytest.mark.parametrize("dag_id", ["spotify_ads_provisioning", "spotify_ads_connect_card"])
@pytest.mark.parametrize(
    ("zone", "ok"),
    [
        ("UTC", True),
        ("Europe/Berlin", True),
        ("America/Argentina/Buenos_Aires", True),
        ("Etc/GMT+5", True),
        ("europe/berlin", False),
        ("+02:00", False),
        ("Berlin", False),
    ],
)
def test_the_form_refuses_what_is_not_a_zone_name(dag_id: str, zone: str, ok: bool) -> None:
    assert _form_accepts(dag_id, "time_zone", zone) is ok


def test_accounts_cannot_be_empty_under_specific_accounts() -> None:
    module = MODULES["spotify_ads_provisioning"]
    assert module.CONNECTION["config"]["sync_mode"] == "SPECIFIC_ACCOUNTS"
    assert not _form_accepts("spotify_ads_provisioning", "accounts", [])
    assert not _form_accepts("spotify_ads_provisioning", "accounts", [""])
    assert _form_accepts("spotify_ads_provisioning", "accounts", ["act-1"])
