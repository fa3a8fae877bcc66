"""The contract travels with the checkout: every file is here, parses, and the refresh script reproduces it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.contract import CONTRACT_DIR, OPENAPI_NORMALIZED, SEED_PAGE, SERVICE_CONFIG, contract_file

REFRESHED = (
    "openapi-connections.json",
    "openapi-connections.normalized.json",
    "spotify_ads-service-config.json",
    "seed-spotify-ads-api-configuration.txt",
)


def test_every_contract_file_is_in_the_checkout_and_parses() -> None:
    for name in REFRESHED:
        assert (CONTRACT_DIR / name).is_file(), name
    spec = json.loads(OPENAPI_NORMALIZED.read_text(encoding="utf-8"))
    assert "spotify_ads_NewConnectorRequestV1" in spec["components"]["schemas"]
    assert json.loads(SERVICE_CONFIG.read_text(encoding="utf-8"))
    assert '"service": "spotify_ads"' in SEED_PAGE.read_text(encoding="utf-8")


def test_a_missing_contract_file_fails_instead_of_skipping(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"refresh\.sh"):
        contract_file(tmp_path / "openapi-connections.normalized.json")


def test_refresh_copies_every_file_from_the_source_folder(tmp_path: Path) -> None:
    source, target = tmp_path / "fivetran-api", tmp_path / "contract"
    source.mkdir()
    target.mkdir()
    for name in REFRESHED:
        (source / name).write_text(f"new {name}\n", encoding="utf-8")
    script = target / "refresh.sh"
    script.write_bytes((CONTRACT_DIR / "refresh.sh").read_bytes())
    subprocess.run(["bash", str(script), str(source)], check=True, capture_output=True)
    for name in REFRESHED:
        assert (target / name).read_text(encoding="utf-8") == f"new {name}\n"
