"""The connection form's extra fields refuse what the hook would refuse when the connection is used, and
explain themselves: a value the form saves is a value the hook accepts."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from airflow_spotify_fivetran.exceptions import FivetranInputError
from airflow_spotify_fivetran.get_provider_info import get_provider_info
from airflow_spotify_fivetran.hooks.api import CallSettings

FIELDS: dict[str, Any] = get_provider_info()["connection-types"][0]["conn-fields"]


def _form_accepts(field: str, value: Any) -> bool:
    return jsonschema.Draft7Validator(FIELDS[field]["schema"]).is_valid(value)


def _hook_accepts(field: str, value: Any) -> bool:
    try:
        CallSettings.resolve({field: value})
    except FivetranInputError:
        return False
    return True


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_every_field_has_help_text(field: str) -> None:
    assert FIELDS[field]["description"].strip()


VALUES = [-5, 0, 0.5, 1, 3, 120]
CASES = [
    (field, value)
    for field in sorted(FIELDS)
    for value in VALUES
    if not (FIELDS[field]["schema"]["type"][0] == "integer" and isinstance(value, float))
]


@pytest.mark.parametrize(("field", "value"), CASES)
def test_the_form_and_the_hook_agree(field: str, value: Any) -> None:
    # -5 and 0 used to be saved by the form and only refused when a task used the connection.
    assert _form_accepts(field, value) == _hook_accepts(field, value)


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_an_empty_field_means_the_default(field: str) -> None:
    assert _form_accepts(field, None)
    assert _hook_accepts(field, None)
    default = FIELDS[field]["schema"].get("default")
    if default is not None:
        assert getattr(CallSettings(), field) == default
