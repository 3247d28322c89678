"""The one list of platforms, and the adapter for an account.

:data:`BUILT_IN` names every platform that ships; :func:`register` adds one (tests, plug-ins).
Every part reads platform facts through :func:`get_spec` / :func:`specs`; :func:`build_platform`
checks an account's credentials against its spec's model and calls the spec's factory.

Errors: :class:`UnknownPlatform` (a :class:`publisher.core.errors.NeedsReconnect`, so an account
whose platform is gone is paused rather than retried); :func:`build_platform` raises
``NeedsReconnect`` when credentials lack a required key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import update
from sqlalchemy.orm import Session

from publisher.core.crypto import Vault
from publisher.core.errors import NeedsReconnect
from publisher.core.settings import Settings
from publisher.db.models import SocialAccount
from publisher.platforms.base import Platform
from publisher.platforms.facebook.spec import SPEC as FACEBOOK
from publisher.platforms.folder.spec import SPEC as FOLDER
from publisher.platforms.instagram.spec import SPEC as INSTAGRAM
from publisher.platforms.spec import AdapterInputs, PlatformSpec
from publisher.platforms.telegram.spec import SPEC as TELEGRAM
from publisher.platforms.x.spec import SPEC as X

if TYPE_CHECKING:
    from publisher.runtime.context import AppContext

BUILT_IN: tuple[PlatformSpec, ...] = (FOLDER, TELEGRAM, FACEBOOK, INSTAGRAM, X)

_specs: dict[str, PlatformSpec] = {spec.name: spec for spec in BUILT_IN}


class UnknownPlatform(NeedsReconnect):
    user_message = "Platform akun ini tidak dikenal aplikasi. Hubungi admin."


def register(spec: PlatformSpec) -> None:
    """Add ``spec`` (or replace the one of that name); it comes after the built-in ones."""
    _specs[spec.name] = spec


def unregister(name: str) -> None:
    """Remove a platform added by :func:`register`; the built-in ones stay."""
    if all(spec.name != name for spec in BUILT_IN):
        _specs.pop(name, None)


def specs() -> tuple[PlatformSpec, ...]:
    return tuple(_specs.values())


def names() -> tuple[str, ...]:
    return tuple(_specs)


def get_spec(name: str) -> PlatformSpec:
    try:
        return _specs[name]
    except KeyError:
        raise UnknownPlatform(f"unknown platform {name!r}; known: {', '.join(_specs)}") from None


class AccountCredentials:
    """An account's encrypted credentials in the database, replaced by a conditional update
    (on the ciphertext last read), so two workers renewing at once cannot both win."""

    def __init__(
        self, sessions: Callable[[], Session], vault: Vault, account_id: int, cipher: bytes
    ) -> None:
        self.sessions = sessions
        self.vault = vault
        self.account_id = account_id
        self.cipher = cipher

    def load(self) -> Mapping[str, Any]:
        with self.sessions() as session:
            account = session.get(SocialAccount, self.account_id)
            if account is None or not account.credentials:
                return {}
            self.cipher = bytes(account.credentials)
            creds = self.vault.decrypt_json(self.cipher)
        return creds if isinstance(creds, dict) else {}

    def replace(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
        cipher = self.vault.encrypt_json(dict(new))
        with self.sessions() as session, session.begin():
            result = session.execute(
                update(SocialAccount)
                .where(
                    SocialAccount.id == self.account_id,
                    SocialAccount.credentials == self.cipher,
                )
                .values(credentials=cipher)
                .execution_options(synchronize_session=False)
            )
            changed = bool(result.rowcount == 1)  # type: ignore[attr-defined]
        if changed:
            self.cipher = cipher
        return changed


def build_platform(
    account: SocialAccount,
    vault: Vault,
    client: httpx.Client,
    settings: Settings,
    *,
    sessions: Callable[[], Session] | None = None,
) -> Platform:
    """The adapter for ``account``; with ``sessions`` it may save renewed credentials."""
    spec = get_spec(account.platform)
    creds = vault.decrypt_json(account.credentials) if account.credentials else {}
    if not isinstance(creds, dict):
        creds = {}
    missing = [key for key in spec.credentials.required if not creds.get(key)]
    if missing:
        raise NeedsReconnect(
            f"{account.platform} account {account.id} lacks credential(s) {', '.join(missing)}",
            user_message=spec.credentials.help or None,
        )
    api_base = str(creds.get("api_base") or spec.api_base)
    store = (
        AccountCredentials(sessions, vault, account.id, bytes(account.credentials))
        if sessions is not None and account.credentials
        else None
    )
    return spec.factory(AdapterInputs(account.handle, creds, client, settings, api_base, store))


def platform_for(ctx: AppContext, account: SocialAccount) -> Platform:
    """The adapter every process uses (worker, reconciler, doctor, admin pages): with the
    context's sessions, so a token renewed on the way (X rotation, a Meta Page token) is saved
    before it is used. An adapter without them could not renew at all."""
    return build_platform(account, ctx.vault, ctx.http, ctx.settings, sessions=ctx.sessions)
