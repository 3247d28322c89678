"""Telegram Bot API, posting to a channel where the bot is an administrator.

Error meanings are a data table (:data:`ERRORS`), matched on ``error_code`` and a fragment of
``description``. The Bot API cannot read a channel's history, so an ``unknown`` delivery is
settled by a person, never by re-sending.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from publisher.clock import utcnow
from publisher.errors import (
    NeedsReconnect,
    PermanentError,
    PlatformError,
    RateLimited,
    RetryableError,
    UnknownOutcome,
)
from publisher.platforms.base import PublishRequest, PublishResult, transport_error

DEFAULT_API = "https://api.telegram.org"
CAPTION_LIMIT = 1024

# (error_code, description fragment or "" for any, exception class, Bahasa message for admins)
ERRORS: tuple[tuple[int, str, type[PlatformError], str], ...] = (
    (
        401,
        "",
        NeedsReconnect,
        "Token bot Telegram tidak sah atau dicabut. Buat token baru di "
        "@BotFather lalu sambungkan ulang akun.",
    ),
    (
        403,
        "",
        NeedsReconnect,
        "Bot tidak lagi menjadi admin kanal. Tambahkan kembali bot sebagai "
        "admin dengan izin mengirim pesan.",
    ),
    (
        400,
        "chat not found",
        NeedsReconnect,
        "Kanal Telegram tidak ditemukan. Periksa ID kanal di pengaturan akun.",
    ),
    (
        400,
        "caption is too long",
        PermanentError,
        "Keterangan terlalu panjang untuk Telegram (maks. 1.024 karakter).",
    ),
    (400, "", PermanentError, "Telegram menolak isi kiriman. Periksa keterangan dan media."),
    (413, "", PermanentError, "Berkas media terlalu besar untuk Telegram."),
    (429, "", RateLimited, "Batas kirim Telegram tercapai; dijadwalkan ulang otomatis."),
    # A 5xx may come after the message was stored: never re-send blindly.
    (500, "", UnknownOutcome, "Telegram bermasalah saat menerima kiriman; status perlu dicek."),
    (502, "", UnknownOutcome, "Telegram bermasalah saat menerima kiriman; status perlu dicek."),
    (503, "", RetryableError, "Telegram sedang tidak tersedia; akan dicoba lagi."),
    (504, "", UnknownOutcome, "Telegram bermasalah saat menerima kiriman; status perlu dicek."),
)


def classify(status: int, body: dict[str, Any]) -> PlatformError:
    code = int(body.get("error_code") or status)
    description = str(body.get("description") or f"HTTP {status}")
    for err_code, fragment, cls, message in ERRORS:
        if err_code == code and fragment.lower() in description.lower():
            text = f"telegram {code}: {description[:200]}"
            if cls is RateLimited:
                params = body.get("parameters") or {}
                wait = int(params.get("retry_after") or 30)
                return RateLimited(
                    text, retry_at=utcnow() + timedelta(seconds=wait), user_message=message
                )
            return cls(text, user_message=message, code=str(code))
    if code >= 500:
        return UnknownOutcome(f"telegram {code}: {description[:200]}", code=str(code))
    return PermanentError(f"telegram {code}: {description[:200]}", code=str(code))


class TelegramPlatform:
    name = "telegram"
    searchable = False

    def __init__(
        self, client: httpx.Client, bot_token: str, chat_id: str, api_base: str = DEFAULT_API
    ) -> None:
        self.client = client
        self.bot_token = bot_token
        self.chat_id = chat_id
        self.api_base = api_base.rstrip("/")

    def _call(
        self, method: str, data: dict[str, str], files: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        url = f"{self.api_base}/bot{self.bot_token}/{method}"
        try:
            response = self.client.post(url, data=data, files=files)
        except httpx.HTTPError as exc:
            raise transport_error(exc, "telegram") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if response.status_code == 200 and body.get("ok") is True:
            result = body.get("result")
            if isinstance(result, dict):
                return result
            raise UnknownOutcome("telegram: 200 without a result object")
        raise classify(response.status_code, body)

    def publish(self, request: PublishRequest) -> PublishResult:
        caption = request.caption
        photos = [m for m in request.media if m.kind == "photo"]
        if photos:
            with photos[0].path.open("rb") as fh:
                result = self._call(
                    "sendPhoto",
                    {"chat_id": self.chat_id, "caption": caption},
                    {"photo": (photos[0].path.name, fh, photos[0].mime)},
                )
        else:
            result = self._call("sendMessage", {"chat_id": self.chat_id, "text": caption})
        message_id = str(result.get("message_id", ""))
        if not message_id:
            raise UnknownOutcome("telegram: result without message_id")
        return PublishResult(remote_id=message_id, url=self.message_url(message_id))

    def message_url(self, message_id: str) -> str:
        if self.chat_id.startswith("@"):
            return f"https://t.me/{self.chat_id[1:]}/{message_id}"
        if self.chat_id.startswith("-100"):
            return f"https://t.me/c/{self.chat_id[4:]}/{message_id}"
        return ""

    def find_by_marker(self, marker: str) -> PublishResult | None:
        return None  # the Bot API cannot read channel history: a person settles it
