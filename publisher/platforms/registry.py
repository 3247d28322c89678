"""Build the adapter for an account from its decrypted credentials.

:data:`CREDENTIALS` lists, per platform, the keys its credentials JSON needs (and the optional
ones); ``api_base`` overrides the platform's URL (the fakes, a proxy).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from publisher.core.crypto import Vault
from publisher.core.errors import NeedsReconnect
from publisher.core.settings import Settings
from publisher.db.models import SocialAccount
from publisher.platforms.base import Platform
from publisher.platforms.facebook.adapter import FacebookPagePlatform
from publisher.platforms.folder.adapter import FolderPlatform
from publisher.platforms.instagram.adapter import InstagramPlatform
from publisher.platforms.meta.graph import DEFAULT_GRAPH
from publisher.platforms.telegram.adapter import DEFAULT_API as TELEGRAM_API
from publisher.platforms.telegram.adapter import TelegramPlatform
from publisher.platforms.x.adapter import DEFAULT_API as X_API
from publisher.platforms.x.adapter import XPlatform

Factory = Callable[[SocialAccount, dict[str, Any], httpx.Client, Settings], Platform]

# platform -> (required keys, optional keys)
CREDENTIALS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "folder": ((), ()),
    "telegram": (("bot_token", "chat_id"), ("api_base",)),
    "facebook": (("page_id", "access_token"), ("api_base",)),
    "instagram": (("ig_user_id", "access_token"), ("api_base", "poll_interval_s")),
    "x": (("access_token", "user_id"), ("username", "api_base")),
}

CREDENTIAL_HELP = {
    "telegram": "Kredensial Telegram belum lengkap (bot_token, chat_id).",
    "facebook": "Kredensial Facebook belum lengkap (page_id, access_token Halaman).",
    "instagram": "Kredensial Instagram belum lengkap (ig_user_id, access_token).",
    "x": "Kredensial X belum lengkap (access_token, user_id).",
}


def _folder(
    account: SocialAccount, creds: dict[str, Any], _c: httpx.Client, s: Settings
) -> Platform:
    return FolderPlatform(s.folder_platform_dir, account.handle)


def _telegram(
    account: SocialAccount, creds: dict[str, Any], c: httpx.Client, _s: Settings
) -> Platform:
    return TelegramPlatform(
        c,
        str(creds["bot_token"]),
        str(creds["chat_id"]),
        str(creds.get("api_base") or TELEGRAM_API),
    )


def _facebook(
    account: SocialAccount, creds: dict[str, Any], c: httpx.Client, _s: Settings
) -> Platform:
    return FacebookPagePlatform(
        c,
        str(creds["page_id"]),
        str(creds["access_token"]),
        str(creds.get("api_base") or DEFAULT_GRAPH),
    )


def _instagram(
    account: SocialAccount, creds: dict[str, Any], c: httpx.Client, _s: Settings
) -> Platform:
    return InstagramPlatform(
        c,
        str(creds["ig_user_id"]),
        str(creds["access_token"]),
        str(creds.get("api_base") or DEFAULT_GRAPH),
        poll_interval_s=float(creds.get("poll_interval_s", 2.0)),
    )


def _x(account: SocialAccount, creds: dict[str, Any], c: httpx.Client, _s: Settings) -> Platform:
    return XPlatform(
        c,
        str(creds["access_token"]),
        str(creds["user_id"]),
        str(creds.get("username") or account.handle),
        str(creds.get("api_base") or X_API),
    )


FACTORIES: dict[str, Factory] = {
    "folder": _folder,
    "telegram": _telegram,
    "facebook": _facebook,
    "instagram": _instagram,
    "x": _x,
}


def build_platform(
    account: SocialAccount, vault: Vault, client: httpx.Client, settings: Settings
) -> Platform:
    factory = FACTORIES.get(account.platform)
    if factory is None:
        raise NeedsReconnect(f"no adapter for platform {account.platform}")
    creds = vault.decrypt_json(account.credentials) if account.credentials else {}
    if not isinstance(creds, dict):
        creds = {}
    required, _optional = CREDENTIALS.get(account.platform, ((), ()))
    missing = [key for key in required if not creds.get(key)]
    if missing:
        raise NeedsReconnect(
            f"{account.platform} account {account.id} lacks credential(s) {', '.join(missing)}",
            user_message=CREDENTIAL_HELP.get(account.platform),
        )
    return factory(account, creds, client, settings)
