"""Two plain ASGI middlewares that keep a request from taking the process down.

:class:`BodyLimit` counts the request body while it streams in (``Content-Length`` or chunked)
and refuses it with a 413 once it passes its route's cap, before a route or the multipart parser
holds or spools it: a 600 MB body to an unauthenticated route costs the server one chunk of
memory, not 600 MB. The cap is the first prefix of ``caps`` that the path starts with, else
``default``.

:class:`UnexpectedErrors` turns an error no handler knew into an Indonesian page (JSON under
``/api/``) with a reference id, and logs the error with the same id, so a person can quote it
and an operator can find the traceback. Never Starlette's plain-text "Internal Server Error".
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from publisher.web.auth import PayloadTooLarge
from publisher.web.templating import PageRenderer

log = logging.getLogger(__name__)

UNEXPECTED_MESSAGE = (
    "Terjadi kesalahan yang tidak terduga di server. Silakan coba lagi nanti; bila berulang, "
    "sampaikan kode rujukan ini kepada admin."
)


def _is_api(scope: Scope) -> bool:
    return str(scope.get("path", "")).startswith("/api/")


async def _send_error(
    scope: Scope, send: Send, pages: PageRenderer, status: int, message: str, reference: str = ""
) -> None:
    if _is_api(scope) or str(scope.get("path", "")).startswith("/webhooks/"):
        detail: dict[str, str] = {"detail": message}
        if reference:
            detail["reference"] = reference
        body = json.dumps(detail).encode()
        content_type = b"application/json"
    else:
        # No viewer: the session lookup may be what failed, and an error page needs no menu.
        template = pages.env.get_template("error.html")
        body = template.render(
            viewer=None, csrf_token="", message=message, reference=reference
        ).encode()
        content_type = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    def __init__(
        self,
        app: ASGIApp,
        *,
        pages: PageRenderer,
        default: int,
        caps: Sequence[tuple[str, int]] = (),
        members_only: Sequence[str] = (),
        is_member: Callable[[Scope], Awaitable[bool]] | None = None,
    ) -> None:
        self.app = app
        self.pages = pages
        self.default = default
        self.caps = tuple(caps)
        # Paths whose large cap is for signed-in users only: anyone else gets the default cap,
        # decided before a byte of the body is read, so an anonymous sender cannot make the
        # server spool an upload it will refuse anyway.
        self.members_only = tuple(members_only)
        self.is_member = is_member

    def cap_for(self, path: str) -> int:
        return next((cap for prefix, cap in self.caps if path.startswith(prefix)), self.default)

    async def _cap(self, scope: Scope) -> int:
        path = str(scope.get("path", ""))
        cap = self.cap_for(path)
        gated = cap > self.default and self.is_member and path.startswith(self.members_only)
        if gated and self.is_member is not None and not await self.is_member(scope):
            return self.default
        return cap

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = await self._cap(scope)
        message = PayloadTooLarge.user_message + f" Batasnya {cap // 1024} KB."
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > cap:
            await _send_error(scope, send, self.pages, 413, message)
            return
        received = 0
        refused = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, refused
            if refused:
                raise PayloadTooLarge(f"request body over {cap} bytes")
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > cap:
                    refused = True
                    raise PayloadTooLarge(f"request body over {cap} bytes")
            return msg

        async def guarded_send(msg: Message) -> None:
            nonlocal started
            # Once refused, whatever the route makes of the error (FastAPI turns a failed
            # form parse into a 400) is replaced by the 413.
            if refused:
                return
            started = True
            await send(msg)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except PayloadTooLarge:
            if not refused:
                raise
        if refused and not started:
            await _send_error(scope, send, self.pages, 413, message)


class UnexpectedErrors:
    def __init__(self, app: ASGIApp, *, pages: PageRenderer) -> None:
        self.app = app
        self.pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked_send(msg: Message) -> None:
            nonlocal started
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            await self.app(scope, receive, tracked_send)
        except Exception:
            reference = secrets.token_hex(6)
            # The path without its query: a query string may carry what a person typed.
            log.exception(
                "unexpected error ref=%s on %s %s",
                reference,
                scope.get("method", ""),
                scope.get("path", ""),
            )
            if started:
                raise
            await _send_error(scope, send, self.pages, 500, UNEXPECTED_MESSAGE, reference)
