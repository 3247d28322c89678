"""Meta Page tokens: their expiry known, renewed from the long-lived user token before it.

Meta "Long-Lived Access Tokens": a short-lived user token (about an hour or two) is exchanged
(``grant_type=fb_exchange_token``) for a long-lived one that lasts about 60 days; it cannot be
renewed by the server, only by the person logging in again. Meta "Page access tokens": a Page
token asked for with a long-lived user token (``GET /me/accounts`` or
``GET /{page-id}?fields=access_token``) has no expiry date; one that does (``debug_token``'s
``expires_at`` > 0) is asked for again with the user token before it lapses. When the user token
itself nears its end, the connection check warns (7 days ahead) and the admin logs in again.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from publisher.core.errors import NeedsReconnect, RetryableError
from publisher.platforms.renewal import RenewingToken
from publisher.platforms.spec import CredentialStore

_RENEW_FAILED = (
    "Token Halaman Meta tidak dapat diperbarui (login Facebook kedaluwarsa atau dicabut). Admin "
    "perlu menyambungkan ulang akun lewat tombol Sambungkan; akun dijeda sampai itu dilakukan."
)


def proof(app_secret: str, token: str) -> str:
    """``appsecret_proof`` (Meta "Securing Graph API Requests"): HMAC-SHA256 of the token."""
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def graph_get(
    client: httpx.Client,
    url: str,
    token: str,
    app_secret: str,
    params: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """One GET to the Graph API with ``token``; an error answer raises ``NeedsReconnect``
    (these calls are made only to connect or to renew), a 5xx or no answer ``RetryableError``."""
    query = dict(params or {})
    if app_secret:
        query["appsecret_proof"] = proof(app_secret, token)
    try:
        response = client.get(url, params=query, headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError as exc:
        raise RetryableError(f"meta: Graph API unreachable ({type(exc).__name__})") from None
    if response.status_code >= 500:
        raise RetryableError(f"meta: Graph API answered {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict) or "error" in body:
        error = body.get("error") if isinstance(body, dict) else None
        code = error.get("code") if isinstance(error, dict) else response.status_code
        raise NeedsReconnect(f"meta: Graph API refused (code {code})", user_message=_RENEW_FAILED)
    return body


def token_expiry(client: httpx.Client, api_base: str, token: str, app_secret: str) -> int:
    """``debug_token``'s ``expires_at`` for ``token`` (0: it never expires)."""
    body = graph_get(
        client, f"{api_base.rstrip('/')}/debug_token", token, app_secret, {"input_token": token}
    )
    data = body.get("data")
    expires = data.get("expires_at") if isinstance(data, dict) else None
    return int(expires) if isinstance(expires, int) and expires > 0 else 0


class PageTokenKeeper(RenewingToken):
    """The Page token an adapter sends, asked for again with the stored long-lived user token
    shortly before it expires (and once after a code 190). Without a ``store``, a user token
    or a known expiry nothing is renewed: the token is used as stored."""

    renewal_needs = ("user_token", "page_id")

    def __init__(
        self,
        client: httpx.Client,
        credentials: Mapping[str, Any],
        store: CredentialStore | None,
        api_base: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(client, credentials, store, clock=clock)
        self.api_base = api_base.rstrip("/")

    def user_token_expires_at(self) -> int:
        raw = str(self.credentials.get("user_token_expires_at") or "")
        return int(float(raw)) if raw.replace(".", "", 1).isdigit() else 0

    def refresh(self) -> None:
        """Ask for the Page token again with the user token; store it before using it."""
        assert self.store is not None
        user_token = str(self.credentials.get("user_token", ""))
        secret = str(self.credentials.get("app_secret") or "")
        page_id = str(self.credentials.get("page_id", ""))
        body = graph_get(
            self.client,
            f"{self.api_base}/{page_id}",
            user_token,
            secret,
            {"fields": "access_token"},
        )
        page_token = str(body.get("access_token") or "")
        if not page_token:
            raise NeedsReconnect(
                "meta: no Page token in the answer (role on the Page removed?)",
                user_message=_RENEW_FAILED,
            )
        now = self.clock()
        expires = token_expiry(self.client, self.api_base, page_token, secret)
        fresh = {**self.credentials, "access_token": page_token, "expires_at": str(expires)}
        if expires:
            fresh["expires_in"] = str(max(1, int(expires - now)))
        self.adopt(fresh)
