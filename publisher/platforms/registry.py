"""Build the adapter for an account from its decrypted credentials."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from publisher.crypto import Vault
from publisher.db.models import SocialAccount
from publisher.errors import NeedsReconnect
from publisher.platforms.base import Platform
from publisher.platforms.folder import FolderPlatform
from publisher.platforms.telegram import DEFAULT_API, TelegramPlatform
from publisher.settings import Settings

Factory = Callable[[SocialAccount, dict[str, Any], httpx.Client, Settings], Platform]


def _folder(
    account: SocialAccount, creds: dict[str, Any], _c: httpx.Client, s: Settings
) -> Platform:
    return FolderPlatform(s.folder_platform_dir, account.handle)


def _telegram(
    account: SocialAccount, creds: dict[str, Any], c: httpx.Client, _s: Settings
) -> Platform:
    try:
        return TelegramPlatform(
            c,
            str(creds["bot_token"]),
            str(creds["chat_id"]),
            str(creds.get("api_base") or DEFAULT_API),
        )
    except KeyError as exc:
        raise NeedsReconnect(
            f"telegram account {account.id} lacks credential {exc.args[0]}",
            user_message="Kredensial Telegram belum lengkap (bot_token, chat_id).",
        ) from None


FACTORIES: dict[str, Factory] = {"folder": _folder, "telegram": _telegram}


def build_platform(
    account: SocialAccount, vault: Vault, client: httpx.Client, settings: Settings
) -> Platform:
    factory = FACTORIES.get(account.platform)
    if factory is None:
        raise NeedsReconnect(f"no adapter for platform {account.platform}")
    creds = vault.decrypt_json(account.credentials) if account.credentials else {}
    if not isinstance(creds, dict):
        creds = {}
    return factory(account, creds, client, settings)
