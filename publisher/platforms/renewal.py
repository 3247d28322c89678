"""What the platforms' token keepers share: a token with a known expiry, renewed a little
before it lapses, and the renewed credentials stored by a conditional replace before use.

Each platform says which credential fields renewal needs and how to ask for a new token
(``PageTokenKeeper`` for Meta, ``TokenKeeper`` for X); the bookkeeping lives here once, so a
race between two workers is settled the same way everywhere: whoever stores first wins and the
other adopts the stored credentials (``CredentialStore.replace`` is a compare-and-swap).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import httpx

from publisher.platforms.spec import CredentialStore

# Renew this long before expiry, so a post never starts with a token about to lapse.
LEEWAY_S = 300.0


class RenewingToken:
    """A stored access token and, when a ``store`` and the fields in ``renewal_needs`` are
    there, its renewal. Without a store nothing is renewed: renewed credentials that cannot
    be saved could leave the account with a dead refresh token."""

    renewal_needs: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        client: httpx.Client,
        credentials: Mapping[str, Any],
        store: CredentialStore | None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.credentials = dict(credentials)
        self.store = store
        self.clock = clock
        self.renewals = 0

    @property
    def access_token(self) -> str:
        return str(self.credentials.get("access_token", ""))

    @property
    def can_refresh(self) -> bool:
        return self.store is not None and all(self.credentials.get(f) for f in self.renewal_needs)

    def expires_at(self) -> float | None:
        """When the token lapses (epoch seconds); ``None``: unknown or never."""
        raw = str(self.credentials.get("expires_at") or "")
        return float(raw) if raw.replace(".", "", 1).isdigit() and float(raw) > 0 else None

    def leeway(self) -> float:
        """How long before expiry to renew: five minutes, less for short-lived tokens."""
        raw = str(self.credentials.get("expires_in") or "")
        lifetime = float(raw) if raw.isdigit() else None
        return min(LEEWAY_S, lifetime / 10) if lifetime else LEEWAY_S

    def token(self) -> str:
        """The token to send now, renewed first when it is about to lapse."""
        deadline = self.expires_at()
        if self.can_refresh and deadline is not None and deadline - self.clock() < self.leeway():
            self.refresh()
        return self.access_token

    def refresh(self) -> None:
        raise NotImplementedError

    def adopt(self, fresh: dict[str, Any]) -> None:
        """Store ``fresh`` in place of the credentials it was renewed from, then use it; when
        another worker stored first, use theirs (ours was renewed from stale credentials)."""
        assert self.store is not None
        if not self.store.replace(self.credentials, fresh):
            self.credentials = dict(self.store.load())
            return
        self.credentials = fresh
        self.renewals += 1
