"""The fake Spotify side: which Ad Studio applications, refresh tokens and ad accounts exist.

The setup tests of a connection are decided here, from its ``auth`` and ``config`` only:

1. ``Validating client credentials``: the client id is a known application, not revoked, and the secret matches.
2. ``Validating refresh token``: the token exists, is not revoked and was issued to that client id.
3. ``Checking ad account access``: the token can read every account of ``config.accounts``
   (``SPECIFIC_ACCOUNTS``) or at least one account (``ALL_ACCOUNTS``).

A test that cannot run because an earlier one failed is ``SKIPPED``. Every failure says what to do.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from fivetran_simulator.defaults import (
    DEMO_ACCOUNTS,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REFRESH_TOKEN,
    OTHER_ACCOUNTS,
    OTHER_CLIENT_ID,
    OTHER_CLIENT_SECRET,
    OTHER_REFRESH_TOKEN,
)

TITLE_CLIENT = "Validating client credentials"
TITLE_TOKEN = "Validating refresh token"
TITLE_ACCOUNTS = "Checking ad account access"
SETUP_TEST_TITLES = (TITLE_CLIENT, TITLE_TOKEN, TITLE_ACCOUNTS)

PASSED = "PASSED"
FAILED = "FAILED"
SKIPPED = "SKIPPED"
# Statuses that let a connection become `connected` (README: "every test passes or is skipped").
OK_STATUSES = frozenset({PASSED, SKIPPED})
TEST_STATUSES = frozenset({"PASSED", "SKIPPED", "WARNING", "FAILED", "JOB_FAILED"})


class SpotifyConfigError(ValueError):
    """A scenario's ``spotify`` section is malformed."""


@dataclass
class TokenGrant:
    """What a refresh token is: the application it was issued to and the ad accounts its user can read."""

    client_id: str
    accounts: list[str] = field(default_factory=list)


def _test(title: str, status: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"title": title, "status": status, "message": message, "details": details}


@dataclass
class SpotifySide:
    """Applications (client id -> secret), refresh tokens, and revocations."""

    clients: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, TokenGrant] = field(default_factory=dict)
    revoked_tokens: set[str] = field(default_factory=set)
    revoked_clients: set[str] = field(default_factory=set)

    @classmethod
    def default(cls) -> SpotifySide:
        """The demo side: the demo application and token (two accounts) and a second, unrelated one."""
        return cls(
            clients={DEMO_CLIENT_ID: DEMO_CLIENT_SECRET, OTHER_CLIENT_ID: OTHER_CLIENT_SECRET},
            tokens={
                DEMO_REFRESH_TOKEN: TokenGrant(DEMO_CLIENT_ID, list(DEMO_ACCOUNTS)),
                OTHER_REFRESH_TOKEN: TokenGrant(OTHER_CLIENT_ID, list(OTHER_ACCOUNTS)),
            },
        )

    @classmethod
    def from_dict(cls, data: Any) -> SpotifySide:
        """Build from the scenario format; raises :class:`SpotifyConfigError` naming the bad field."""
        if not isinstance(data, dict):
            raise SpotifyConfigError("spotify must be an object")
        unknown = set(data) - {"clients", "tokens", "revoked_tokens", "revoked_clients"}
        if unknown:
            raise SpotifyConfigError(f"unknown field spotify.{sorted(unknown)[0]}")
        clients = data.get("clients", {})
        if not isinstance(clients, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in clients.items()
        ):
            raise SpotifyConfigError("spotify.clients must map client ids to client secrets (strings)")
        tokens: dict[str, TokenGrant] = {}
        raw_tokens = data.get("tokens", {})
        if not isinstance(raw_tokens, dict):
            raise SpotifyConfigError("spotify.tokens must map refresh tokens to {client_id, accounts}")
        for token, grant in raw_tokens.items():
            if not isinstance(grant, dict) or not isinstance(grant.get("client_id"), str):
                raise SpotifyConfigError(f"spotify.tokens.{token} needs a string client_id")
            accounts = grant.get("accounts", [])
            if not isinstance(accounts, list) or not all(isinstance(a, str) for a in accounts):
                raise SpotifyConfigError(f"spotify.tokens.{token}.accounts must be a list of strings")
            tokens[token] = TokenGrant(grant["client_id"], list(accounts))
        revoked: dict[str, set[str]] = {}
        for key in ("revoked_tokens", "revoked_clients"):
            values = data.get(key, [])
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise SpotifyConfigError(f"spotify.{key} must be a list of strings")
            revoked[key] = set(values)
        return cls(dict(clients), tokens, revoked["revoked_tokens"], revoked["revoked_clients"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "clients": dict(self.clients),
            "tokens": {
                t: {"client_id": g.client_id, "accounts": list(g.accounts)} for t, g in self.tokens.items()
            },
            "revoked_tokens": sorted(self.revoked_tokens),
            "revoked_clients": sorted(self.revoked_clients),
        }

    def copy(self) -> SpotifySide:
        return copy.deepcopy(self)

    # -- revocation ---------------------------------------------------------------------------------------

    def revoke(self, *, refresh_token: str | None = None, client_id: str | None = None) -> None:
        """Revoke a refresh token (the user removed the app's access) or a whole application."""
        if refresh_token is not None:
            self.revoked_tokens.add(refresh_token)
        if client_id is not None:
            self.revoked_clients.add(client_id)

    def uses_revoked(
        self, auth: dict[str, Any] | None, *, refresh_token: str | None, client_id: str | None
    ) -> bool:
        """Whether ``auth`` holds the given token or client id."""
        if not auth:
            return False
        access = auth.get("client_access") or {}
        return (refresh_token is not None and auth.get("refresh_token") == refresh_token) or (
            client_id is not None and access.get("client_id") == client_id
        )

    # -- setup tests --------------------------------------------------------------------------------------

    def setup_tests(self, auth: dict[str, Any] | None, config: dict[str, Any]) -> list[dict[str, Any]]:
        """Run the three setup tests against this side; see the module docstring."""
        access = (auth or {}).get("client_access") or {}
        client_id = access.get("client_id")
        client_secret = access.get("client_secret")
        refresh_token = (auth or {}).get("refresh_token")

        if not auth:
            missing = (
                "Authorization is missing: no Spotify Ad Studio credentials are set. Complete the Connect Card "
                "(POST /v1/connections/{id}/connect-card) or PATCH auth with client_access.client_id, "
                "client_access.client_secret and refresh_token."
            )
            skipped = "Skipped: authorization is missing."
            return [
                _test(TITLE_CLIENT, FAILED, missing),
                _test(TITLE_TOKEN, SKIPPED, skipped),
                _test(TITLE_ACCOUNTS, SKIPPED, skipped),
            ]

        client = self._client_test(client_id, client_secret)
        if client["status"] != PASSED:
            skipped = "Skipped: the client credentials must be valid first."
            return [client, _test(TITLE_TOKEN, SKIPPED, skipped), _test(TITLE_ACCOUNTS, SKIPPED, skipped)]
        token, grant = self._token_test(str(client_id), refresh_token)
        if grant is None:
            return [
                client,
                token,
                _test(TITLE_ACCOUNTS, SKIPPED, "Skipped: the refresh token must be valid first."),
            ]
        return [client, token, self._accounts_test(grant, config)]

    def credentials_valid(self, auth: dict[str, Any] | None, config: dict[str, Any]) -> bool:
        return all(t["status"] in OK_STATUSES for t in self.setup_tests(auth, config))

    def _client_test(self, client_id: Any, client_secret: Any) -> dict[str, Any]:
        if not client_id or not client_secret:
            return _test(
                TITLE_CLIENT,
                FAILED,
                "Client credentials are missing: set auth.client_access.client_id and "
                "auth.client_access.client_secret of your Spotify Ad Studio app, or complete the Connect Card.",
            )
        if client_id not in self.clients:
            return _test(
                TITLE_CLIENT,
                FAILED,
                f"Unknown client id '{client_id}': no Spotify Ad Studio application has this client id. Copy the "
                "Client ID of your app from the Spotify developer dashboard.",
                {"client_id": client_id},
            )
        if client_id in self.revoked_clients:
            return _test(
                TITLE_CLIENT,
                FAILED,
                f"The Spotify application '{client_id}' has been disabled or its access revoked. Re-enable it in "
                "the Spotify developer dashboard, or re-authorize the connection with another application.",
                {"client_id": client_id},
            )
        if self.clients[client_id] != client_secret:
            return _test(
                TITLE_CLIENT,
                FAILED,
                f"Invalid client secret for client id '{client_id}': copy the current Client Secret of the app "
                "from the Spotify developer dashboard (rotating the secret invalidates the old one).",
                {"client_id": client_id},
            )
        return _test(TITLE_CLIENT, PASSED, "Client credentials accepted by Spotify.")

    def _token_test(self, client_id: str, refresh_token: Any) -> tuple[dict[str, Any], TokenGrant | None]:
        if not refresh_token:
            message = (
                "No refresh token is set: re-authorize the connection through the Connect Card, or PATCH "
                "auth.refresh_token."
            )
            return _test(TITLE_TOKEN, FAILED, message), None
        grant = self.tokens.get(refresh_token)
        if grant is None:
            message = (
                "Refresh token is invalid or expired: re-authorize the connection through the Connect Card to "
                "obtain a new refresh token."
            )
            return _test(TITLE_TOKEN, FAILED, message), None
        if refresh_token in self.revoked_tokens:
            message = (
                "Refresh token was revoked (the Spotify user removed the app's access): re-authorize the "
                "connection through the Connect Card."
            )
            return _test(TITLE_TOKEN, FAILED, message), None
        if grant.client_id != client_id:
            message = (
                f"Refresh token was issued to a different client id; re-authorize with client id '{client_id}', "
                "or set the client id and secret of the app that issued the token."
            )
            return _test(TITLE_TOKEN, FAILED, message, {"client_id": client_id}), None
        return _test(TITLE_TOKEN, PASSED, "Refresh token is valid."), grant

    def _accounts_test(self, grant: TokenGrant, config: dict[str, Any]) -> dict[str, Any]:
        readable = list(grant.accounts)
        if config.get("sync_mode") == "SPECIFIC_ACCOUNTS":
            wanted = list(config.get("accounts") or [])
            missing = [a for a in wanted if a not in readable]
            if missing:
                return _test(
                    TITLE_ACCOUNTS,
                    FAILED,
                    f"No access to ad accounts {', '.join(missing)}: grant the Spotify Ad Studio user who authorized "
                    "this connection access to these ad accounts, or remove them from config.accounts.",
                    {"missing_accounts": missing, "accessible_accounts": readable},
                )
            return _test(TITLE_ACCOUNTS, PASSED, f"Access to ad accounts {', '.join(wanted)} confirmed.")
        if not readable:
            return _test(
                TITLE_ACCOUNTS,
                FAILED,
                "The Spotify user who authorized this connection cannot read any ad account: grant the user access "
                "to an ad account in Spotify Ad Studio, or re-authorize with another user.",
                {"accessible_accounts": []},
            )
        return _test(TITLE_ACCOUNTS, PASSED, f"Access to {len(readable)} ad account(s) confirmed.")
