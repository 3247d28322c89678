"""X OAuth 2.0 user tokens: kept fresh, rotated, stored atomically.

X's OAuth 2.0 Authorization Code with PKCE gives an access token that lasts about two hours
(``expires_in``: 7200) and, with the ``offline.access`` scope, a refresh token. Each refresh
answers a *new* refresh token and invalidates the old one (rotation), so the new pair must be
stored before the new access token is used: a pair lost after a refresh cannot be recovered
without the person logging in again.

The request bodies and PKCE come from Authlib's OAuth 2.0 core (RFC 6749 / RFC 7636); the
calls go through the shared ``httpx`` client (Authlib's own httpx integration is deprecated).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_token_request

from publisher.core.errors import NeedsReconnect, RetryableError
from publisher.platforms.renewal import RenewingToken

DEFAULT_TOKEN_URL = "https://api.x.com/2/oauth2/token"
DEFAULT_AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
SCOPES = "tweet.read tweet.write users.read media.write offline.access"

_REFRESH_FAILED = (
    "Token X tidak dapat diperbarui (sesi login dicabut atau kedaluwarsa). Admin perlu "
    "menyambungkan ulang akun X lewat tombol Sambungkan; akun dijeda sampai itu dilakukan."
)


def token_request(
    client: httpx.Client,
    token_url: str,
    client_id: str,
    client_secret: str,
    grant_type: str,
    **fields: str,
) -> dict[str, Any]:
    """POST one grant to X's token endpoint; a confidential client authenticates with HTTP
    Basic, a public one sends its ``client_id`` in the body (X OAuth 2.0 guide)."""
    auth: httpx.Auth | httpx.BasicAuth | None = (
        httpx.BasicAuth(client_id, client_secret) if client_secret else None
    )
    extra = {} if client_secret else {"client_id": client_id}
    body = prepare_token_request(grant_type, **fields, **extra)
    try:
        response = client.post(
            token_url,
            content=body,
            auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    except httpx.HTTPError as exc:
        raise RetryableError(f"x: token endpoint unreachable ({type(exc).__name__})") from None
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    payload = payload if isinstance(payload, dict) else {}
    if response.status_code >= 500:
        raise RetryableError(f"x: token endpoint answered {response.status_code}")
    if response.status_code != 200 or not payload.get("access_token"):
        # ``error`` / ``error_description`` say why (RFC 6749 section 5.2); never the tokens.
        reason = str(payload.get("error") or response.status_code)
        raise NeedsReconnect(f"x: {grant_type} refused ({reason})", user_message=_REFRESH_FAILED)
    return payload


def pair_from(payload: Mapping[str, Any], now: float) -> dict[str, str]:
    """The credential fields of a token answer (``expires_in`` turned into a deadline)."""
    pair = {
        "access_token": str(payload["access_token"]),
        "refresh_token": str(payload.get("refresh_token") or ""),
    }
    expires_in = payload.get("expires_in")
    if isinstance(expires_in, int | float):
        pair["expires_at"] = str(int(now + float(expires_in)))
        pair["expires_in"] = str(int(expires_in))
    return pair


class TokenKeeper(RenewingToken):
    """The account's current access token, refreshed before expiry and once after a 401.

    Without a ``store`` nothing is refreshed: a rotated pair that cannot be saved would leave
    the account with a dead refresh token.
    """

    renewal_needs = ("refresh_token", "client_id")

    def refresh(self) -> None:
        """Exchange the refresh token for a new pair and store it before using it."""
        assert self.store is not None
        used = str(self.credentials.get("refresh_token", ""))
        try:
            payload = token_request(
                self.client,
                str(self.credentials.get("token_url") or DEFAULT_TOKEN_URL),
                str(self.credentials.get("client_id", "")),
                str(self.credentials.get("client_secret", "")),
                "refresh_token",
                refresh_token=used,
            )
        except NeedsReconnect:
            # Another worker may have rotated the pair a moment ago: take theirs if so.
            current = dict(self.store.load())
            if current.get("refresh_token") and current.get("refresh_token") != used:
                self.credentials = current
                return
            raise
        fresh = {**self.credentials, **pair_from(payload, self.clock())}
        if not fresh.get("refresh_token"):
            fresh["refresh_token"] = used  # no rotation in this answer: the old one stays valid
        self.adopt(fresh)
