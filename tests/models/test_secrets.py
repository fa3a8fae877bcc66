"""Secrets (refresh_token, client_secret) never leave a model except through to_wire()."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from airflow_spotify_fivetran.models import Connection, ConnectionUpdate, NewSpotifyAdsConnection
from tests.payloads import SEED_PATCH, SEED_REQUEST, SEED_SECRETS, connection_answer

log = logging.getLogger("tests.secrets")


def renderings(model: Any, caplog: pytest.LogCaptureFixture) -> dict[str, str]:
    """Every ordinary way a model ends up as text."""
    with caplog.at_level(logging.DEBUG, logger="tests.secrets"):
        log.info("model %s", model)
        log.info("model %r", model)
        log.warning("dump %s", model.model_dump())
    return {
        "repr": repr(model),
        "str": str(model),
        "f-string": f"{model} {model!r}",
        "model_dump": repr(model.model_dump()),
        "model_dump by alias": repr(model.model_dump(by_alias=True)),
        "model_dump json mode": json.dumps(model.model_dump(mode="json")),
        "model_dump_json": model.model_dump_json(),
        "model_dump with a guessed context": model.model_dump_json(
            context={"airflow_spotify_fivetran.reveal_secrets": True, "reveal_secrets": True}
        ),
        "log": caplog.text,
    }


@pytest.mark.parametrize(
    ("model_cls", "body"),
    [(NewSpotifyAdsConnection, SEED_REQUEST), (ConnectionUpdate, SEED_PATCH)],
    ids=["create", "patch"],
)
def test_secrets_hidden_everywhere_but_the_wire(
    model_cls: type[NewSpotifyAdsConnection] | type[ConnectionUpdate],
    body: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    model = model_cls.from_api_dict(body)
    for name, text in renderings(model, caplog).items():
        for secret in SEED_SECRETS:
            assert secret not in text, f"secret shown by {name}"
    # the renderings did render the model (a check that cannot pass on empty text)
    assert "refresh_token" in caplog.text
    assert model.auth is not None
    for name, text in renderings(model.auth, caplog).items():
        assert not any(secret in text for secret in SEED_SECRETS), f"secret shown by auth {name}"

    wire = model.to_wire()
    assert wire["auth"]["refresh_token"] == SEED_SECRETS[0]
    assert wire["auth"]["client_access"]["client_secret"] == SEED_SECRETS[1]
    assert json.dumps(wire).count("SEED-") == 2


def test_python_dump_keeps_secrets_as_secretstr() -> None:
    """model_dump() holds SecretStr objects (masked when printed), so a dump re-validates to the same model."""
    model = NewSpotifyAdsConnection.from_api_dict(SEED_REQUEST)
    again = NewSpotifyAdsConnection.model_validate(model.model_dump(by_alias=True))
    assert again.to_wire() == SEED_REQUEST


def test_echoed_secrets_in_an_answer_stay_hidden(caplog: pytest.LogCaptureFixture) -> None:
    data = connection_answer()
    data["config"]["refresh_token"] = SEED_SECRETS[0]  # even if Fivetran echoed a real one
    data["config"]["client_access"] = {"client_id": "cid", "client_secret": SEED_SECRETS[1]}
    connection = Connection.from_api(data)
    for name, text in renderings(connection, caplog).items():
        assert not any(secret in text for secret in SEED_SECRETS), f"secret shown by {name}"
    assert connection.config is not None
    assert connection.config.refresh_token is not None
    assert connection.config.refresh_token.get_secret_value() == SEED_SECRETS[0]


def test_pydantic_error_of_direct_construction_shows_no_secret() -> None:
    """Building a model directly raises pydantic's ValidationError: its text must not hold input values."""
    from pydantic import ValidationError

    bad_auth = {
        "refresh_token": SEED_SECRETS[0],
        "client_access": {"client_id": "", "client_secret": SEED_SECRETS[1]},
    }
    with pytest.raises(ValidationError) as info:
        NewSpotifyAdsConnection.model_validate({"group_id": "", "config": {"schema": "s"}, "auth": bad_auth})
    text = str(info.value)
    assert "auth.client_access.client_id" in text
    assert not any(secret in text for secret in SEED_SECRETS)
