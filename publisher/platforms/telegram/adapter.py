"""Telegram Bot API, posting to a channel where the bot is an administrator.

Error meanings are a data table (:data:`ERRORS`, the shared
:class:`publisher.platforms.errors.ErrorRule` rows), matched on ``error_code`` and a fragment of
``description``; ``parameters.retry_after`` gives a rate limit's wait. The Bot API cannot
read a channel's history, so an ``unknown`` delivery is settled by a person, never by
re-sending.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextlib import ExitStack
from datetime import timedelta
from typing import Any

import httpx

from publisher.core.clock import utcnow
from publisher.core.errors import PermanentError, PlatformError, UnknownOutcome
from publisher.platforms.base import MediaFile, PublishRequest, PublishResult, transport_error
from publisher.platforms.errors import ApiFailure, ErrorRule
from publisher.platforms.errors import classify as classify_failure

DEFAULT_API = "https://api.telegram.org"
CAPTION_LIMIT = 1024  # characters after entity parsing (UTF-16 code units)
MEDIA_GROUP_MAX = 10

ERRORS: tuple[ErrorRule, ...] = (
    ErrorRule(
        "needs_reconnect",
        "Token bot Telegram tidak sah atau dicabut. Buat token baru di @BotFather lalu "
        "sambungkan ulang akun.",
        status=401,
    ),
    ErrorRule(
        "permission",
        "Bot tidak lagi menjadi admin kanal. Tambahkan kembali bot sebagai admin dengan izin "
        "mengirim pesan, lalu lanjutkan akun.",
        status=403,
    ),
    ErrorRule(
        "needs_reconnect",
        "Kanal Telegram tidak ditemukan. Periksa ID kanal di pengaturan akun.",
        status=400,
        fragment="chat not found",
    ),
    ErrorRule(
        "invalid",
        "Keterangan terlalu panjang untuk Telegram (maks. 1.024 karakter).",
        status=400,
        fragment="caption is too long",
    ),
    ErrorRule("invalid", "Telegram menolak isi kiriman. Periksa keterangan dan media.", status=400),
    ErrorRule("invalid", "Berkas media terlalu besar untuk Telegram.", status=413),
    ErrorRule(
        "rate_limited", "Batas kirim Telegram tercapai; dijadwalkan ulang otomatis.", status=429
    ),
    # A 5xx may come after the message was stored: "server" is unknown for a send.
    ErrorRule(
        "server", "Telegram bermasalah saat menerima kiriman; status perlu dicek.", status=500
    ),
    ErrorRule(
        "server", "Telegram bermasalah saat menerima kiriman; status perlu dicek.", status=502
    ),
    ErrorRule("retry", "Telegram sedang tidak tersedia; akan dicoba lagi.", status=503),
    ErrorRule(
        "server", "Telegram bermasalah saat menerima kiriman; status perlu dicek.", status=504
    ),
)


def classify(status: int, body: dict[str, Any], *, effectful: bool = True) -> PlatformError:
    code = int(body.get("error_code") or status)
    description = str(body.get("description") or f"HTTP {status}")
    params = body.get("parameters") or {}
    wait = params.get("retry_after") if isinstance(params, dict) else None
    retry_at = utcnow() + timedelta(seconds=int(wait)) if isinstance(wait, int) else None
    failure = ApiFailure("telegram", code, text=description, retry_at=retry_at)
    return classify_failure(ERRORS, failure, effectful=effectful)


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
        self,
        method: str,
        data: dict[str, str],
        files: dict[str, Any] | None = None,
        *,
        effectful: bool = True,
    ) -> Any:
        url = f"{self.api_base}/bot{self.bot_token}/{method}"
        try:
            response = self.client.post(url, data=data, files=files)
        except httpx.HTTPError as exc:
            raise transport_error(exc, "telegram", effectful=effectful) from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if response.status_code == 200 and body.get("ok") is True:
            result = body.get("result")
            if isinstance(result, dict | list | bool):
                return result
            raise UnknownOutcome("telegram: 200 without a result object")
        raise classify(response.status_code, body, effectful=effectful)

    def publish(self, request: PublishRequest) -> PublishResult:
        caption = request.caption
        photos = [m for m in request.media if m.kind == "photo"]
        videos = [m for m in request.media if m.kind == "video"]
        visual = (photos + videos)[:MEDIA_GROUP_MAX]
        request.checkpoint(dict(request.state))  # every send below is the visible step
        if len(visual) > 1:
            result = self._media_group(visual, caption)
        elif visual:
            item = visual[0]
            method, field = (
                ("sendVideo", "video") if item.kind == "video" else ("sendPhoto", "photo")
            )
            with item.path.open("rb") as fh:
                result = self._call(
                    method,
                    {"chat_id": self.chat_id, "caption": caption},
                    {field: (item.path.name, fh, item.mime)},
                )
        else:
            result = self._call("sendMessage", {"chat_id": self.chat_id, "text": caption})
        # An album is one message per item; all their ids are kept so takedown removes each.
        messages = result if isinstance(result, list) else [result]
        ids = [str(m.get("message_id", "")) for m in messages if isinstance(m, dict)]
        if not ids or not all(ids):
            raise UnknownOutcome("telegram: result without message_id")
        return PublishResult(remote_id=",".join(ids), url=self.message_url(ids[0]))

    def _media_group(self, items: list[MediaFile], caption: str) -> Any:
        media: list[dict[str, str]] = []
        files: dict[str, Any] = {}
        with ExitStack() as stack:
            for index, item in enumerate(items):
                name = f"file{index}"
                kind = "video" if item.kind == "video" else "photo"
                entry = {"type": kind, "media": f"attach://{name}"}
                if index == 0:
                    entry["caption"] = caption  # the album's caption rides on its first item
                media.append(entry)
                files[name] = (item.path.name, stack.enter_context(item.path.open("rb")), item.mime)
            return self._call(
                "sendMediaGroup", {"chat_id": self.chat_id, "media": json.dumps(media)}, files
            )

    def message_url(self, message_id: str) -> str:
        if self.chat_id.startswith("@"):
            return f"https://t.me/{self.chat_id[1:]}/{message_id}"
        if self.chat_id.startswith("-100"):
            return f"https://t.me/c/{self.chat_id[4:]}/{message_id}"
        return ""

    def find_by_marker(
        self, marker: str, state: Mapping[str, str] | None = None
    ) -> PublishResult | None:
        return None  # the Bot API cannot read channel history: a person settles it

    def takedown(self, remote_id: str) -> bool:
        """Delete every message of the post (each album item is its own message).

        Bots may delete only messages younger than 48 hours (Bot API, deleteMessage); past
        that the refusal names the links so a person can remove them in the Telegram app.
        """
        ids = [part for part in remote_id.split(",") if part]
        for message_id in ids:
            try:
                self._call(
                    "deleteMessage",
                    {"chat_id": self.chat_id, "message_id": message_id},
                    effectful=False,
                )
            except PlatformError as exc:
                if "message to delete not found" in str(exc):
                    continue  # deleted by an earlier attempt or by hand
                if "can't be deleted" in str(exc):
                    links = " ".join(self.message_url(i) for i in ids) or remote_id
                    raise PermanentError(
                        "telegram: older than 48 hours, the bot can no longer delete it; "
                        f"remove by hand: {links}",
                        user_message="Bot hanya dapat menghapus pesan yang berumur kurang dari "
                        f"48 jam. Hapus manual di aplikasi Telegram: {links}",
                    ) from None
                raise
        return bool(ids)

    def check(self) -> str:
        me = self._call("getMe", {}, effectful=False)
        chat = self._call("getChat", {"chat_id": self.chat_id}, effectful=False)
        title = chat.get("title") or chat.get("username") or self.chat_id
        return f"Telegram bot @{me.get('username', '')} in {title}"
