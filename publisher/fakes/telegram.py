"""A fake Telegram Bot API (https://core.telegram.org/bots/api) for channel posting.

It answers like the real one: ``{"ok": true, "result": Message}`` or
``{"ok": false, "error_code": N, "description": "..."}`` with the same HTTP status, 429 with
``parameters.retry_after``, a 1,024-character caption limit and a 10 MB photo limit. Every
request it accepted is kept in :attr:`FakeTelegram.sent` so tests assert on the wire.
Faults are queued with :meth:`FakeTelegram.fail_next`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

CAPTION_LIMIT = 1024
PHOTO_LIMIT = 10 * 1024 * 1024


@dataclass
class SentMessage:
    message_id: int
    chat_id: str
    method: str
    caption: str
    photo_bytes: int = 0
    photo_sha256: str = ""


@dataclass
class Fault:
    kind: str  # "status" (error_code + description), "rate_limit", "drop_after_accept"
    status: int = 500
    description: str = "Internal Server Error"
    retry_after: int = 0


@dataclass
class FakeTelegram:
    tokens: set[str] = field(default_factory=set)
    channels: set[str] = field(default_factory=set)
    sent: list[SentMessage] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def app(self) -> FastAPI:
        api = FastAPI(title="fake Telegram Bot API")

        @api.post("/bot{token}/{method}")
        async def call(token: str, method: str, request: Request) -> JSONResponse:
            form = await request.form()
            data: dict[str, Any] = dict(form)
            return await self._handle(token, method, data)

        @api.get("/bot{token}/getMe")
        async def get_me(token: str) -> JSONResponse:
            if token not in self.tokens:
                return _error(401, "Unauthorized")
            return _ok({"id": 1, "is_bot": True, "first_name": "Lapor", "username": "lapor_bot"})

        return api

    async def _handle(self, token: str, method: str, data: dict[str, Any]) -> JSONResponse:
        with self._lock:
            self.requests += 1
            fault = self.faults.pop(0) if self.faults else None
        if token not in self.tokens:
            return _error(401, "Unauthorized")
        if fault is not None and fault.kind == "status":
            return _error(fault.status, fault.description)
        if fault is not None and fault.kind == "rate_limit":
            return JSONResponse(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {fault.retry_after}",
                    "parameters": {"retry_after": fault.retry_after},
                },
                status_code=429,
            )
        chat_id = str(data.get("chat_id", ""))
        if chat_id not in self.channels:
            return _error(400, "Bad Request: chat not found")
        caption = str(data.get("caption" if method != "sendMessage" else "text", ""))
        if method == "sendMessage" and not caption:
            return _error(400, "Bad Request: message text is empty")
        if method != "sendMessage" and len(caption) > CAPTION_LIMIT:
            return _error(400, "Bad Request: message caption is too long")
        photo_size, photo_hash = 0, ""
        if method == "sendPhoto":
            upload = data.get("photo")
            if upload is None or not hasattr(upload, "read"):
                return _error(400, "Bad Request: there is no photo in the request")
            blob = await upload.read()
            if len(blob) > PHOTO_LIMIT:
                return _error(400, "Bad Request: file is too big")
            import hashlib

            photo_size, photo_hash = len(blob), hashlib.sha256(blob).hexdigest()
        elif method != "sendMessage":
            return _error(404, "Not Found: method not found")
        with self._lock:
            message = SentMessage(
                message_id=len(self.sent) + 1,
                chat_id=chat_id,
                method=method,
                caption=caption,
                photo_bytes=photo_size,
                photo_sha256=photo_hash,
            )
            self.sent.append(message)
        if fault is not None and fault.kind == "drop_after_accept":
            # The message is stored; the client never hears back.
            raise ConnectionAbortedError("fault: drop after accept")
        result: dict[str, Any] = {
            "message_id": message.message_id,
            "date": 0,
            "chat": {"id": -1001, "type": "channel", "username": chat_id.lstrip("@")},
        }
        if method == "sendPhoto":
            result["caption"] = caption
            result["photo"] = [{"file_id": photo_hash[:20], "file_size": photo_size}]
        else:
            result["text"] = caption
        return _ok(result)


def _ok(result: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def _error(code: int, description: str) -> JSONResponse:
    return JSONResponse(
        {"ok": False, "error_code": code, "description": description}, status_code=code
    )
