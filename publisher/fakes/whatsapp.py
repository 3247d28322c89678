"""A fake WhatsApp Cloud API (Graph API) and Meta's side of the webhook, for tests and demos.

Graph side, as Meta documents it (https://developers.facebook.com/docs/whatsapp/cloud-api):

* ``GET /{version}/{media-id}`` (bearer token) -> ``{"messaging_product": "whatsapp", "url",
  "mime_type", "sha256", "file_size", "id"}``; an unknown id is a 400 Graph error (code 100);
* ``GET {url}`` (the same bearer token) -> the bytes; without the token, 401;
* ``POST /{version}/{phone-number-id}/messages`` -> ``{"messaging_product": "whatsapp",
  "contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid..."}]}``; kept in :attr:`sent`.
  ``type: template`` messages (``template: {name, language: {code}, components: [{type: body,
  parameters: [{type: text, text}]}]}``) are checked against :attr:`templates` (the approved
  templates: name and language -> number of body parameters) and kept in
  :attr:`sent_templates`. Errors as Meta documents them: 132001 (template name does not exist
  in the translation, HTTP 404), 132000 (number of parameters does not match, 400), 131026
  (message undeliverable, 400), 100 (invalid parameter, 400). :attr:`faults` injects one
  outcome per template request, in order: a Graph error (e.g. 130429 rate limit hit, 400;
  131000 something went wrong, 500) or ``lost`` (the message is accepted and kept, but the
  answer comes only after ``delay_s``: the client's lost response). :attr:`text_faults` does
  the same for text messages (our answers to PICs).

Meta side: :func:`text_message` / :func:`media_message` build webhook notifications in the
documented ``whatsapp_business_account`` shape and :func:`meta_signature` signs them.
"""

from __future__ import annotations

import asyncio
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
class SentTemplate:
    phone_number_id: str
    to: str
    name: str
    language: str
    parameters: list[str]
    callback_data: str
    message_id: str


@dataclass(frozen=True)
class Fault:
    """One injected outcome: a Graph error (``status``, ``code``, ``message``) or ``lost``."""

    kind: str  # "error" or "lost"
    status: int = 400
    code: int = 0
    message: str = ""
    delay_s: float = 3.0


RATE_LIMIT = Fault("error", 400, 130429, "(#130429) Rate limit hit")
SERVER_ERROR = Fault("error", 500, 131000, "(#131000) Something went wrong")
LOST = Fault("lost")


@dataclass
class FakeWhatsApp:
    token: str = "wa-access-token"
    phone_number_id: str = "1055500001"
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    sent: list[SentText] = field(default_factory=list)
    # Approved templates: (name, language code) -> number of body parameters.
    templates: dict[tuple[str, str], int] = field(default_factory=dict)
    sent_templates: list[SentTemplate] = field(default_factory=list)
    undeliverable: set[str] = field(default_factory=set)
    faults: list[Fault] = field(default_factory=list)
    text_faults: list[Fault] = field(default_factory=list)
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
            if isinstance(body, dict) and body.get("type") == "template":
                return await self._template(phone_number_id, body)
            text = body.get("text", {}).get("body") if isinstance(body, dict) else None
            if body.get("messaging_product") != "whatsapp" or not isinstance(text, str):
                return _graph_error(400, 100, "Invalid parameter")
            to = str(body.get("to", ""))
            with self._lock:
                fault = self.text_faults.pop(0) if self.text_faults else None
            if fault is not None and fault.kind == "error":
                return _graph_error(fault.status, fault.code, fault.message)
            with self._lock:
                self.sent.append(SentText(phone_number_id, to, text))
            if fault is not None and fault.kind == "lost":
                await asyncio.sleep(fault.delay_s)
            return JSONResponse(
                {
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": to, "wa_id": to}],
                    "messages": [{"id": f"wamid.{uuid.uuid4().hex}"}],
                }
            )

        return api

    async def _template(self, phone_number_id: str, body: dict[str, Any]) -> JSONResponse:
        template = body.get("template")
        to = str(body.get("to", ""))
        if (
            body.get("messaging_product") != "whatsapp"
            or not to.isdigit()
            or not isinstance(template, dict)
            or not isinstance(template.get("name"), str)
            or not isinstance(template.get("language"), dict)
        ):
            return _graph_error(400, 100, "(#100) Invalid parameter")
        name, language = template["name"], str(template["language"].get("code", ""))
        parameters: list[str] = []
        for component in template.get("components") or []:
            if isinstance(component, dict) and component.get("type") == "body":
                for parameter in component.get("parameters") or []:
                    if not isinstance(parameter, dict) or parameter.get("type") != "text":
                        return _graph_error(400, 100, "(#100) Invalid parameter")
                    parameters.append(str(parameter.get("text", "")))
        with self._lock:
            fault = self.faults.pop(0) if self.faults else None
        if fault is not None and fault.kind == "error":
            return _graph_error(fault.status, fault.code, fault.message)
        expected = self.templates.get((name, language))
        if expected is None:
            return _graph_error(
                404, 132001, "(#132001) Template name does not exist in the translation"
            )
        if expected != len(parameters):
            return _graph_error(
                400,
                132000,
                "(#132000) Number of parameters does not match the expected number of params",
            )
        if to in self.undeliverable:
            return _graph_error(400, 131026, "(#131026) Message undeliverable")
        message_id = f"wamid.{uuid.uuid4().hex}"
        with self._lock:
            self.sent_templates.append(
                SentTemplate(
                    phone_number_id,
                    to,
                    name,
                    language,
                    parameters,
                    str(body.get("biz_opaque_callback_data", "")),
                    message_id,
                )
            )
        if fault is not None and fault.kind == "lost":
            await asyncio.sleep(fault.delay_s)
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": message_id, "message_status": "accepted"}],
            }
        )


def _graph_error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "error": {
                "message": message,
                "type": "OAuthException",
                "code": code,
                "error_data": {"messaging_product": "whatsapp", "details": message},
                "fbtrace_id": uuid.uuid4().hex[:12],
            }
        },
        status_code=status,
    )


def notification(message: dict[str, Any], *, phone_number_id: str = "1055500001") -> bytes:
    """One inbound message wrapped as Meta posts it to the webhook."""
    return _webhook(
        {
            "contacts": [{"profile": {"name": "PIC"}, "wa_id": message["from"]}],
            "messages": [message],
        },
        phone_number_id,
    )


def _webhook(value: dict[str, Any], phone_number_id: str) -> bytes:
    """``value`` (messages or statuses) in the envelope Meta posts to the webhook."""
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
                            **value,
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


def status_notification(
    message_id: str,
    status: str,
    recipient: str,
    *,
    callback_data: str = "",
    phone_number_id: str = "1055500001",
) -> bytes:
    """A message status (sent / delivered / read / failed) as Meta posts it to the webhook,
    with the ``biz_opaque_callback_data`` the message was sent with."""
    item: dict[str, Any] = {
        "id": message_id,
        "status": status,
        "timestamp": str(int(time.time())),
        "recipient_id": recipient,
    }
    if callback_data:
        item["biz_opaque_callback_data"] = callback_data
    if status == "failed":
        item["errors"] = [{"code": 131026, "title": "Message undeliverable"}]
    return _webhook({"statuses": [item]}, phone_number_id)
