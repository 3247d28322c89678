"""A fake WhatsApp Cloud API (Graph API) and Meta's side of the webhook, for tests and demos.

Graph side, as Meta documents it (https://developers.facebook.com/docs/whatsapp/cloud-api):

* ``GET /{version}/{media-id}`` (bearer token) -> ``{"messaging_product": "whatsapp", "url",
  "mime_type", "sha256", "file_size", "id"}``; an unknown id is a 400 Graph error (code 100);
* ``GET {url}`` (the same bearer token) -> the bytes; without the token, 401;
* ``POST /{version}/{phone-number-id}/messages`` -> ``{"messaging_product": "whatsapp",
  "contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid..."}]}``; kept in :attr:`sent`.

Meta side: :func:`text_message` / :func:`media_message` build webhook notifications in the
documented ``whatsapp_business_account`` shape and :func:`meta_signature` signs them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse, Response

VERSION = "v21.0"


@dataclass
class SentText:
    phone_number_id: str
    to: str
    body: str


@dataclass
class FakeWhatsApp:
    token: str = "wa-access-token"
    phone_number_id: str = "1055500001"
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    sent: list[SentText] = field(default_factory=list)
    base_url: str = ""  # set once the server runs, to build download URLs
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_media(self, data: bytes, mime: str = "image/jpeg") -> str:
        media_id = str(uuid.uuid4().int)[:16]
        self.media[media_id] = (data, mime)
        return media_id

    def app(self) -> FastAPI:
        api = FastAPI(title="fake WhatsApp Cloud API")

        def authorised(header: str) -> bool:
            return header == f"Bearer {self.token}"

        @api.get(f"/{VERSION}/{{media_id}}")
        def media_info(media_id: str, authorization: str = Header(default="")) -> JSONResponse:
            if not authorised(authorization):
                return _graph_error(401, 190, "Invalid OAuth access token.")
            if media_id not in self.media:
                return _graph_error(400, 100, "Unsupported get request.")
            data, mime = self.media[media_id]
            return JSONResponse(
                {
                    "messaging_product": "whatsapp",
                    "url": f"{self.base_url}/whatsapp_business/attachments/?mid={media_id}",
                    "mime_type": mime,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "file_size": len(data),
                    "id": media_id,
                }
            )

        @api.get("/whatsapp_business/attachments/")
        def download(mid: str, authorization: str = Header(default="")) -> Response:
            if not authorised(authorization):
                return Response(status_code=401)
            if mid not in self.media:
                return Response(status_code=404)
            data, mime = self.media[mid]
            return Response(data, media_type=mime)

        @api.post(f"/{VERSION}/{{phone_number_id}}/messages")
        async def messages(
            phone_number_id: str, request: Request, authorization: str = Header(default="")
        ) -> JSONResponse:
            if not authorised(authorization):
                return _graph_error(401, 190, "Invalid OAuth access token.")
            if phone_number_id != self.phone_number_id:
                return _graph_error(400, 100, "Invalid parameter")
            body = await request.json()
            text = body.get("text", {}).get("body") if isinstance(body, dict) else None
            if body.get("messaging_product") != "whatsapp" or not isinstance(text, str):
                return _graph_error(400, 100, "Invalid parameter")
            to = str(body.get("to", ""))
            with self._lock:
                self.sent.append(SentText(phone_number_id, to, text))
            return JSONResponse(
                {
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": to, "wa_id": to}],
                    "messages": [{"id": f"wamid.{uuid.uuid4().hex}"}],
                }
            )

        return api


def _graph_error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "error": {
                "message": message,
                "type": "OAuthException",
                "code": code,
                "fbtrace_id": uuid.uuid4().hex[:12],
            }
        },
        status_code=status,
    )


def notification(message: dict[str, Any], *, phone_number_id: str = "1055500001") -> bytes:
    """One inbound message wrapped as Meta posts it to the webhook."""
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "6281100000000",
                                "phone_number_id": phone_number_id,
                            },
                            "contacts": [{"profile": {"name": "PIC"}, "wa_id": message["from"]}],
                            "messages": [message],
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }
    return json.dumps(payload).encode()


def text_message(sender: str, body: str) -> dict[str, Any]:
    return {
        "from": sender,
        "id": f"wamid.{uuid.uuid4().hex}",
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": body},
    }


def media_message(
    sender: str, media_id: str, caption: str = "", kind: str = "image", mime: str = "image/jpeg"
) -> dict[str, Any]:
    body: dict[str, Any] = {"mime_type": mime, "sha256": "", "id": media_id}
    if caption:
        body["caption"] = caption
    return {
        "from": sender,
        "id": f"wamid.{uuid.uuid4().hex}",
        "timestamp": str(int(time.time())),
        "type": kind,
        kind: body,
    }


def meta_signature(app_secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
