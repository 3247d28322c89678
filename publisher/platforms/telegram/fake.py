"""A fake Telegram Bot API (https://core.telegram.org/bots/api) for channel posting.

It answers like the real one: ``{"ok": true, "result": Message}`` or
``{"ok": false, "error_code": N, "description": "..."}`` with the same HTTP status, 429 with
``parameters.retry_after``, a 1,024-character caption limit and a 10 MB photo limit. Methods:
``sendMessage``, ``sendPhoto``, ``sendVideo``, ``sendMediaGroup`` (2-10 items, ``attach://``),
``deleteMessage``, ``getMe``, ``getChat`` (method list checked against the Bot API contract in
``../shared/fixtures/telegram/api.json`` by a test). Every message it accepted is kept in
:attr:`FakeTelegram.sent` so tests assert on the wire. Faults: :class:`FaultPlan` (queued with
:meth:`FakeTelegram.fail_next`, or random); ``drop_after_accept`` really cuts the connection.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.types import ASGIApp

from publisher.fakes.faults import Fault, FaultPlan, drop_connection, droppable

__all__ = ["FakeTelegram", "Fault", "SentMessage"]

CAPTION_LIMIT = 1024
PHOTO_LIMIT = 10 * 1024 * 1024
SEND_METHODS = ("sendMessage", "sendPhoto", "sendVideo", "sendMediaGroup")
COMMON = frozenset({"server_error", "rate_limit", "expired_token"})
SEND_FAULTS = COMMON | {"server_error_after", "drop_after_accept"}
# deleteMessage: "A message can only be deleted if it was sent less than 48 hours ago."
# (../shared/fixtures/telegram/api.json, methods.deleteMessage.description)
DELETE_WINDOW_S = 48 * 3600
_URL = re.compile(r"https?://[^\s<]+")


@dataclass
class SentMessage:
    message_id: int
    chat_id: str
    method: str
    caption: str
    photo_bytes: int = 0
    photo_sha256: str = ""
    items: int = 1
    # sendMediaGroup "returns an array of Messages that were sent": one message id per item
    # (api.json, methods.sendMediaGroup), and each is deleted on its own.
    message_ids: list[int] = field(default_factory=list)
    deleted_ids: set[int] = field(default_factory=set)
    sent_at: float = field(default_factory=time.time)

    @property
    def deleted(self) -> bool:
        return set(self.message_ids or [self.message_id]) <= self.deleted_ids

    def age(self, seconds: float) -> None:
        """Pretend the message was sent ``seconds`` earlier (for the 48-hour delete limit)."""
        self.sent_at -= seconds


@dataclass
class FakeTelegram:
    tokens: set[str] = field(default_factory=set)
    channels: set[str] = field(default_factory=set)
    sent: list[SentMessage] = field(default_factory=list)
    faults: FaultPlan = field(default_factory=FaultPlan)
    requests: int = 0
    _next_id: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, fault: Fault) -> None:
        self.faults.fail_next(fault)

    def live(self) -> list[SentMessage]:
        return [m for m in self.sent if not m.deleted]

    def chat_page(self, chat_id: str) -> str:
        items = []
        for message in self.sent:
            if message.chat_id != chat_id or message.deleted:
                continue
            text = _URL.sub(
                lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', html.escape(message.caption)
            )
            items.append(f'<li id="pesan-{message.message_id}"><pre>{text}</pre></li>')
        title = html.escape(chat_id)
        return (
            f'<!doctype html><html lang="id"><head><meta charset="utf-8"><title>{title}</title>'
            f"</head><body><main><h1>Obrolan {title}</h1><ol>{''.join(items)}</ol></main>"
            "</body></html>"
        )

    def app(self) -> ASGIApp:
        api = FastAPI(title="fake Telegram Bot API")

        @api.post("/bot{token}/{method}")
        async def call(token: str, method: str, request: Request) -> JSONResponse:
            form = await request.form()
            data: dict[str, Any] = dict(form)
            response = await self._handle(token, method, data)
            if response is None:
                drop_connection(request)
                return _ok(True)
            return response

        @api.get("/_fake/chats/{chat_id}", response_class=HTMLResponse)
        async def inspect_chat(chat_id: str) -> HTMLResponse:
            """Not part of the Bot API: what a member of ``chat_id`` sees, newest last, for
            people and browser tests (the demo's admins' chat). Links are clickable."""
            return HTMLResponse(self.chat_page(chat_id))

        @api.get("/bot{token}/getMe")
        async def get_me(token: str) -> JSONResponse:
            if token not in self.tokens:
                return _error(401, "Unauthorized")
            return _ok({"id": 1, "is_bot": True, "first_name": "Lapor", "username": "lapor_bot"})

        return droppable(api)

    async def _handle(self, token: str, method: str, data: dict[str, Any]) -> JSONResponse | None:
        """The answer, or None for "the message is stored; cut the connection"."""
        with self._lock:
            self.requests += 1
        if token not in self.tokens:
            return _error(401, "Unauthorized")
        sending = method in SEND_METHODS
        fault = self.faults.next(
            "publish" if sending else method, SEND_FAULTS if sending else COMMON
        )
        if fault is not None:
            early = _early(fault)
            if early is not None:
                return early
        if method == "getMe":
            return _ok({"id": 1, "is_bot": True, "first_name": "Lapor", "username": "lapor_bot"})
        chat_id = str(data.get("chat_id", ""))
        if chat_id not in self.channels:
            return _error(400, "Bad Request: chat not found")
        if method == "getChat":
            return _ok({"id": -1001, "type": "channel", "title": chat_id, "username": chat_id[1:]})
        if method == "deleteMessage":
            return self._delete(chat_id, str(data.get("message_id", "")))
        if not sending:
            return _error(404, "Not Found: method not found")
        outcome = await self._send(method, chat_id, data)
        if isinstance(outcome, JSONResponse):
            return outcome
        if fault is not None and fault.kind == "drop_after_accept":
            return None  # stored; the client never hears back
        if fault is not None and fault.kind == "server_error_after":
            return _error(502, "Bad Gateway")
        return _ok(outcome)

    def _delete(self, chat_id: str, message_id: str) -> JSONResponse:
        with self._lock:
            for message in self.live():
                ids = message.message_ids or [message.message_id]
                if message.chat_id != chat_id or not message_id.isdigit():
                    continue
                number = int(message_id)
                if number not in ids or number in message.deleted_ids:
                    continue
                if time.time() - message.sent_at >= DELETE_WINDOW_S:
                    return _error(400, "Bad Request: message can't be deleted")
                message.deleted_ids.add(number)
                return _ok(True)
        return _error(400, "Bad Request: message to delete not found")

    async def _send(self, method: str, chat_id: str, data: dict[str, Any]) -> Any:
        caption = str(data.get("text" if method == "sendMessage" else "caption", ""))
        if method == "sendMessage" and not caption:
            return _error(400, "Bad Request: message text is empty")
        blobs: list[bytes] = []
        if method == "sendMediaGroup":
            try:
                media = json.loads(str(data.get("media", "")))
            except ValueError:
                return _error(400, "Bad Request: can't parse media JSON object")
            if not isinstance(media, list) or not 2 <= len(media) <= 10:
                return _error(400, "Bad Request: wrong number of media in the album")
            caption = str(media[0].get("caption", "")) if isinstance(media[0], dict) else ""
            for item in media:
                ref = str(item.get("media", "")) if isinstance(item, dict) else ""
                upload = data.get(ref.removeprefix("attach://"))
                if not ref.startswith("attach://") or upload is None:
                    return _error(400, "Bad Request: wrong file identifier/HTTP URL specified")
                blobs.append(await upload.read())
        elif method in ("sendPhoto", "sendVideo"):
            field_name = "photo" if method == "sendPhoto" else "video"
            upload = data.get(field_name)
            if upload is None or not hasattr(upload, "read"):
                return _error(400, f"Bad Request: there is no {field_name} in the request")
            blobs.append(await upload.read())
        if method != "sendMessage" and len(caption) > CAPTION_LIMIT:
            return _error(400, "Bad Request: message caption is too long")
        if any(len(b) > PHOTO_LIMIT for b in blobs):
            return _error(400, "Bad Request: file is too big")
        first = blobs[0] if blobs else b""
        with self._lock:
            first_id = self._next_id
            count = len(blobs) if method == "sendMediaGroup" else 1
            self._next_id += count
            message = SentMessage(
                message_id=first_id,
                message_ids=list(range(first_id, first_id + count)),
                chat_id=chat_id,
                method=method,
                caption=caption,
                photo_bytes=len(first),
                photo_sha256=hashlib.sha256(first).hexdigest() if first else "",
                items=max(1, len(blobs)),
            )
            self.sent.append(message)
        result: dict[str, Any] = {
            "message_id": message.message_id,
            "date": 0,
            "chat": {"id": -1001, "type": "channel", "username": chat_id.lstrip("@")},
        }
        if method == "sendMessage":
            result["text"] = caption
        else:
            result["caption"] = caption
        if method == "sendPhoto":
            result["photo"] = [{"file_id": message.photo_sha256[:20], "file_size": len(first)}]
        if method == "sendMediaGroup":
            # Only the first message of an album carries the caption.
            return [
                dict(result, message_id=number)
                if index == 0
                else {k: v for k, v in dict(result, message_id=number).items() if k != "caption"}
                for index, number in enumerate(message.message_ids)
            ]
        return result


def _early(fault: Fault) -> JSONResponse | None:
    if fault.kind == "status":
        return _error(fault.status, fault.description)
    if fault.kind == "server_error":
        return _error(500, "Internal Server Error")
    if fault.kind == "expired_token":
        return _error(401, "Unauthorized")
    if fault.kind == "rate_limit":
        return JSONResponse(
            {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {fault.retry_after}",
                "parameters": {"retry_after": fault.retry_after},
            },
            status_code=429,
        )
    return None


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def _error(code: int, description: str) -> JSONResponse:
    return JSONResponse(
        {"ok": False, "error_code": code, "description": description}, status_code=code
    )
