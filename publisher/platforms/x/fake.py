"""A fake X API v2: posts (``/2/tweets``), the v2 chunked media upload and a user's posts.

Shapes follow the official OpenAPI document (``../shared/fixtures/x-openapi/openapi.json``;
``tests/test_platform_x.py`` validates every recorded exchange against it). Errors are RFC 7807
problems (``{"title", "detail", "type", "status"}``); 429 carries ``x-rate-limit-limit``,
``x-rate-limit-remaining`` and ``x-rate-limit-reset`` (epoch seconds); posting a text the user
already posted is refused with 403 "duplicate content", as X does.

Every exchange is recorded in :attr:`FakeX.exchanges` (operation, request JSON, status,
response JSON) and every accepted post in :attr:`FakeX.posts`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp

from publisher.fakes.faults import Fault, FaultPlan, drop_connection, droppable

COMMON = frozenset({"server_error", "rate_limit", "expired_token"})
PUBLISH_FAULTS = COMMON | {"server_error_after", "drop_after_accept", "duplicate"}
IMAGE_LIMIT = 5 * 1024 * 1024


def weighted_length(text: str) -> int:
    # Independent of the adapter's counter on purpose: BMP Latin/punctuation weigh 1, the rest 2.
    return sum(
        0 if ord(c) in (0xFE0F, 0x200D) else 1 if ord(c) <= 4351 or 8192 <= ord(c) <= 8247 else 2
        for c in text
    )


@dataclass
class XPost:
    id: str
    author_id: str
    text: str
    media_ids: list[str]
    created: float
    deleted: bool = False


@dataclass
class Upload:
    id: str
    owner: str
    media_type: str
    category: str
    total_bytes: int
    received: dict[int, int] = field(default_factory=dict)
    state: str = "initialized"  # initialized / pending / succeeded / failed
    polls_left: int = 0
    appends: int = 0  # segments received, counting repeats (a resumed upload repeats none)
    next_check: float = 0.0  # the earliest time check_after_secs allowed the next STATUS
    early_polls: int = 0  # STATUS calls made before check_after_secs had passed


@dataclass
class Grant:
    """An authorization code waiting to be exchanged."""

    client_id: str
    redirect_uri: str
    challenge: str
    method: str
    user: str
    scope: str
    issued: float


@dataclass
class FakeX:
    tokens: dict[str, str] = field(default_factory=dict)  # bearer token -> user id
    users: dict[str, str] = field(default_factory=dict)  # user id -> username
    faults: FaultPlan = field(default_factory=FaultPlan)
    video_polls: int = 1
    # X media upload guide (docs.x.com, "Chunked media upload", APPEND): "A successful response
    # returns HTTP 2xx code and an empty response body". The OpenAPI document
    # (../shared/fixtures/x-openapi/openapi.json, appendMediaUpload 200) shows ``data.expires_at``
    # instead; ``empty_append`` picks the guide's answer (204, no body), False the document's.
    empty_append: bool = True
    # processing_info.check_after_secs: "the number of seconds to wait before polling STATUS"
    check_after_secs: int = 1
    # X API access levels: the Free tier is write-only (create/delete posts, media upload,
    # ``/2/users/me``); reading a user's posts answers 403 "Client Forbidden" with reason
    # ``client-not-enrolled`` (problem type https://api.x.com/2/problems/client-forbidden).
    read_access: bool = True
    # OAuth 2.0 (X "OAuth 2.0 Authorization Code Flow with PKCE"): ``POST /2/oauth2/token``
    # answers ``expires_in`` 7200 and, with offline.access, a refresh token; a refresh answers
    # a new refresh token and the used one stops working (rotation). Tokens the fake issues
    # expire after ``token_lifetime_s`` (401 afterwards); preset ``tokens`` never do.
    clients: dict[str, str] = field(default_factory=dict)  # client id -> secret ("" public)
    token_lifetime_s: float = 7200.0
    expiry: dict[str, float] = field(default_factory=dict)  # issued access token -> deadline
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # live refresh token -> user
    refreshes: int = 0
    # The authorize step (X "OAuth 2.0 Authorization Code Flow with PKCE", step 1-3):
    # ``GET /i/oauth2/authorize`` shows the consent page of the signed-in X user
    # (``consenting_user``, else the first of ``users``); allowing redirects to the app's
    # registered callback with ``code`` and ``state``, cancelling with ``error=access_denied``.
    # The callback must be the one registered for the client (``callbacks``), both at
    # authorize and at the token step; the code is single-use, lives ``code_lifetime_s``
    # ("This code is valid for 30 seconds") and needs the ``code_verifier`` whose S256
    # (or plain) transform is the ``code_challenge`` given at authorize (RFC 7636 4.6).
    callbacks: dict[str, str] = field(default_factory=dict)  # client id -> callback URL
    consenting_user: str = ""
    code_lifetime_s: float = 30.0
    codes: dict[str, Grant] = field(default_factory=dict)
    authorizations: int = 0  # codes exchanged for tokens
    _secrets: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    posts: list[XPost] = field(default_factory=list)
    uploads: dict[str, Upload] = field(default_factory=dict)
    exchanges: list[tuple[str, Any, int, Any]] = field(default_factory=list)
    requests: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1_860_000_000_000))
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def fail_next(self, fault: Fault) -> None:
        self.faults.fail_next(fault)

    def live_posts(self, user_id: str | None = None) -> list[XPost]:
        return [p for p in self.posts if not p.deleted and user_id in (None, p.author_id)]

    def issue(self, user_id: str) -> dict[str, Any]:
        """A token answer for ``user_id``, as the token endpoint gives it."""
        with self._lock:
            n = next(self._secrets)
            access, refresh = f"x-access-{n}-{user_id}", f"x-refresh-{n}-{user_id}"
            self.tokens[access] = user_id
            self.expiry[access] = time.time() + self.token_lifetime_s
            self.refresh_tokens[refresh] = user_id
        return {
            "token_type": "bearer",
            "expires_in": int(self.token_lifetime_s),
            "access_token": access,
            "refresh_token": refresh,
            "scope": "tweet.read tweet.write users.read media.write offline.access",
        }

    def _id(self) -> str:
        with self._lock:
            return str(next(self._ids))

    def _record(self, op: str, request_json: Any, response: Response) -> Response:
        import json

        body = (
            json.loads(bytes(response.body))
            if response.body and response.status_code != 204
            else None
        )
        with self._lock:
            self.exchanges.append((op, request_json, response.status_code, body))
        return response

    def app(self) -> ASGIApp:
        api = FastAPI(title="fake X API v2")

        @api.get("/i/oauth2/authorize")
        async def authorize_page(request: Request) -> Response:
            return self._authorize(dict(request.query_params), consent=None)

        @api.post("/i/oauth2/authorize")
        async def authorize_consent(request: Request) -> Response:
            form = {k: str(v) for k, v in (await request.form()).items()}
            return self._authorize(form, consent=form.get("decision") == "allow")

        @api.post("/2/oauth2/token")
        async def token(request: Request) -> JSONResponse:
            form = {k: str(v) for k, v in (await request.form()).items()}
            return self._token(request, form)

        @api.post("/2/tweets")
        async def create(request: Request) -> Response:
            body = await _json(request)
            return await self._guard("createPosts", request, body, self._create)

        @api.delete("/2/tweets/{post_id}")
        async def delete(post_id: str, request: Request) -> Response:
            return await self._guard("deletePosts", request, None, self._delete, post_id)

        @api.get("/2/users/me")
        async def me(request: Request) -> Response:
            return await self._guard("getUsersMe", request, None, self._me)

        @api.get("/2/users/{user_id}/tweets")
        async def timeline(user_id: str, request: Request) -> Response:
            return await self._guard("getUsersPosts", request, None, self._timeline, user_id)

        @api.post("/2/media/upload/initialize")
        async def initialize(request: Request) -> Response:
            body = await _json(request)
            return await self._guard("initializeMediaUpload", request, body, self._initialize)

        @api.post("/2/media/upload/{media_id}/append")
        async def append(media_id: str, request: Request) -> Response:
            form = await request.form()
            data: dict[str, Any] = dict(form)
            return await self._guard(
                "appendMediaUpload", request, None, self._append, media_id, data
            )

        @api.post("/2/media/upload/{media_id}/finalize")
        async def finalize(media_id: str, request: Request) -> Response:
            return await self._guard("finalizeMediaUpload", request, None, self._finalize, media_id)

        @api.get("/2/media/upload")
        async def status(request: Request) -> Response:
            return await self._guard("getMediaUploadStatus", request, None, self._status)

        return droppable(api)

    def _token(self, request: Request, form: dict[str, str]) -> JSONResponse:
        with self._lock:
            self.requests += 1
        client_id = form.get("client_id", "")
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            if self.clients.get(client_id) != secret:
                return _oauth_error(401, "unauthorized_client", "Missing valid authorization.")
        elif client_id not in self.clients or self.clients[client_id]:
            return _oauth_error(401, "unauthorized_client", "Missing valid authorization.")
        if form.get("grant_type") == "authorization_code":
            return self._exchange_code(client_id, form)
        if form.get("grant_type") != "refresh_token":
            return _oauth_error(400, "unsupported_grant_type", "Grant type is not supported.")
        with self._lock:
            user = self.refresh_tokens.pop(form.get("refresh_token", ""), None)
            if user is None:
                return _oauth_error(
                    400, "invalid_request", "Value passed for the token was invalid."
                )
            self.refreshes += 1
        return JSONResponse(self.issue(user))

    def _authorize(self, params: dict[str, str], consent: bool | None) -> Response:
        client_id = params.get("client_id", "")
        redirect_uri = params.get("redirect_uri", "")
        # RFC 6749 4.1.2.1: with an unknown client or a callback not registered, the user is
        # told so and never redirected (X shows "Something went wrong").
        if client_id not in self.clients or self.callbacks.get(client_id) != redirect_uri:
            return _html_page(
                "Something went wrong",
                "<p>You weren't able to give access to the App. Go back and try logging in "
                "again.</p>",
                status=400,
            )
        state = params.get("state", "")

        def back(**fields: str) -> Response:
            query = urlencode({**fields, "state": state})
            return RedirectResponse(f"{redirect_uri}?{query}", status_code=302)

        problem = ""
        if params.get("response_type") != "code":
            problem = "unsupported_response_type"
        elif not state or not params.get("code_challenge"):
            problem = "invalid_request"  # X requires state and a PKCE challenge
        elif params.get("code_challenge_method", "plain") not in ("S256", "plain"):
            problem = "invalid_request"
        if problem:
            return back(error=problem)
        if consent is None:
            return self._consent_page(params)
        if not consent:
            return back(error="access_denied")
        user = self.consenting_user or next(iter(self.users), "")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self.codes[code] = Grant(
                client_id,
                redirect_uri,
                params["code_challenge"],
                params.get("code_challenge_method", "plain"),
                user,
                params.get("scope", ""),
                time.time(),
            )
        return back(code=code)

    def _consent_page(self, params: dict[str, str]) -> Response:
        keep = (
            "response_type",
            "client_id",
            "redirect_uri",
            "scope",
            "state",
            "code_challenge",
            "code_challenge_method",
        )
        hidden = "".join(
            f'<input type="hidden" name="{k}" value="{html.escape(params.get(k, ""))}">'
            for k in keep
        )
        user = self.consenting_user or next(iter(self.users), "")
        scopes = html.escape(params.get("scope", ""))
        body = (
            f"<p>Signed in as @{html.escape(self.users.get(user, user))}.</p>"
            f"<p>The app wants: {scopes}</p>"
            f'<form method="post" action="/i/oauth2/authorize">{hidden}'
            '<button type="submit" name="decision" value="allow">Authorize app</button> '
            '<button type="submit" name="decision" value="deny">Cancel</button></form>'
        )
        return _html_page("Authorize app", body)

    def _exchange_code(self, client_id: str, form: dict[str, str]) -> JSONResponse:
        with self._lock:
            grant = self.codes.pop(form.get("code", ""), None)  # single-use
        invalid = _oauth_error(
            400, "invalid_request", "Value passed for the authorization code was invalid."
        )
        if grant is None or time.time() - grant.issued > self.code_lifetime_s:
            return invalid
        if grant.client_id != client_id or grant.redirect_uri != form.get("redirect_uri"):
            return invalid
        verifier = form.get("code_verifier", "")
        transformed = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
            if grant.method == "S256"
            else verifier
        )
        if not verifier or transformed != grant.challenge:
            return _oauth_error(
                400, "invalid_request", "Value passed for code_verifier was invalid."
            )
        with self._lock:
            self.authorizations += 1
        return JSONResponse(self.issue(grant.user))

    async def _guard(
        self, op: str, request: Request, body: Any, handler: Any, *args: Any
    ) -> Response:
        with self._lock:
            self.requests += 1
        header = request.headers.get("authorization", "")
        bearer = header[7:].strip() if header.lower().startswith("bearer ") else ""
        user = self.tokens.get(bearer)
        if bearer in self.expiry and time.time() >= self.expiry[bearer]:
            user = None  # expired: X answers 401 Unauthorized
        if user is None:
            return self._record(op, body, _problem(401, "Unauthorized", "Unauthorized"))
        allowed = PUBLISH_FAULTS if op == "createPosts" else COMMON
        fault = self.faults.next("publish" if op == "createPosts" else op, allowed)
        if fault is not None:
            early = _early(fault)
            if early is not None:
                return self._record(op, body, early)
        response: Response = await handler(user, request, body, fault, *args)
        if fault is not None and response.status_code in (200, 201):
            if fault.kind == "drop_after_accept":
                drop_connection(request)
            elif fault.kind == "server_error_after":
                response = _problem(503, "Service Unavailable", "Service Unavailable")
        return self._record(op, body, response)

    async def _create(
        self, user: str, request: Request, body: Any, fault: Fault | None
    ) -> JSONResponse:
        if not isinstance(body, dict) or not isinstance(body.get("text", ""), str):
            return _invalid("text", "The `text` field must be a string")
        text = str(body.get("text", ""))
        media = body.get("media") or {}
        media_ids = list(media.get("media_ids") or []) if isinstance(media, dict) else []
        if not text and not media_ids:
            return _invalid("text", "One or more parameters to your request was invalid.")
        if weighted_length(text) > 280:
            return _problem(400, "Invalid Request", "Your Tweet text is too long.")
        for media_id in media_ids:
            upload = self.uploads.get(str(media_id))
            if upload is None or upload.owner != user or upload.state != "succeeded":
                return _invalid("media.media_ids", f"Media id {media_id} is invalid")
        if (fault is not None and fault.kind == "duplicate") or any(
            p.text == text for p in self.live_posts(user)
        ):
            return _problem(
                403, "Forbidden", "You are not allowed to create a Tweet with duplicate content."
            )
        post = XPost(self._id(), user, text, [str(m) for m in media_ids], time.time())
        with self._lock:
            self.posts.append(post)
        return JSONResponse(
            {"data": {"id": post.id, "text": text, "edit_history_post_ids": [post.id]}},
            status_code=201,
        )

    async def _delete(
        self, user: str, request: Request, body: Any, fault: Fault | None, post_id: str
    ) -> JSONResponse:
        for post in self.live_posts(user):
            if post.id == post_id:
                post.deleted = True
                return JSONResponse({"data": {"deleted": True}})
        return _problem(404, "Not Found Error", f"Could not find tweet with id: [{post_id}].")

    async def _me(
        self, user: str, request: Request, body: Any, fault: Fault | None
    ) -> JSONResponse:
        username = self.users.get(user, "user")
        return JSONResponse({"data": {"id": user, "name": username, "username": username}})

    async def _timeline(
        self, user: str, request: Request, body: Any, fault: Fault | None, user_id: str
    ) -> JSONResponse:
        limit = max(5, min(100, int(request.query_params.get("max_results", "10"))))
        start = int(request.query_params.get("pagination_token") or 0)
        if not self.read_access:
            return _client_forbidden()
        everything = sorted(self.live_posts(user_id), key=lambda p: p.created, reverse=True)
        posts = everything[start : start + limit]
        data = [{"id": p.id, "text": p.text, "edit_history_tweet_ids": [p.id]} for p in posts]
        meta: dict[str, Any] = {"result_count": len(data)}
        if data:
            meta["newest_id"], meta["oldest_id"] = data[0]["id"], data[-1]["id"]
        if start + limit < len(everything):
            meta["next_token"] = str(start + limit)
        return JSONResponse({"data": data, "meta": meta} if data else {"meta": meta})

    async def _initialize(
        self, user: str, request: Request, body: Any, fault: Fault | None
    ) -> JSONResponse:
        if not isinstance(body, dict):
            return _invalid("body", "A JSON body is required")
        media_type = str(body.get("media_type", ""))
        category = str(body.get("media_category", ""))
        total = body.get("total_bytes")
        if not media_type.startswith(("image/", "video/")) or not isinstance(total, int):
            return _invalid("media_type", "media_type and total_bytes are required")
        if media_type.startswith("image/") and total > IMAGE_LIMIT:
            return _invalid("total_bytes", "File size exceeds 5242880 bytes.")
        media_id = self._id()
        self.uploads[media_id] = Upload(media_id, user, media_type, category, total)
        return JSONResponse(
            {"data": {"id": media_id, "media_key": f"3_{media_id}", "expires_after_secs": 86400}}
        )

    async def _append(
        self,
        user: str,
        request: Request,
        body: Any,
        fault: Fault | None,
        media_id: str,
        form: dict[str, Any],
    ) -> Response:
        upload = self.uploads.get(media_id)
        if upload is None or upload.owner != user:
            return _invalid("id", f"Media id {media_id} is invalid")
        chunk = form.get("media")
        if chunk is None or not hasattr(chunk, "read"):
            return _invalid("media", "The media field is required")
        data = await chunk.read()
        index = int(str(form.get("segment_index", "0")))
        upload.received[index] = len(data)
        upload.appends += 1
        if self.empty_append:
            return Response(status_code=204)
        return JSONResponse({"data": {"expires_at": int(time.time()) + 86400}})

    async def _finalize(
        self, user: str, request: Request, body: Any, fault: Fault | None, media_id: str
    ) -> JSONResponse:
        upload = self.uploads.get(media_id)
        if upload is None or upload.owner != user:
            return _invalid("id", f"Media id {media_id} is invalid")
        if sum(upload.received.values()) != upload.total_bytes:
            return _invalid("id", "Segments do not add up to total_bytes")
        data: dict[str, Any] = {
            "id": media_id,
            "media_key": f"3_{media_id}",
            "size": upload.total_bytes,
            "expires_after_secs": 86400,
        }
        if upload.media_type.startswith("video/") and self.video_polls > 0:
            upload.state, upload.polls_left = "pending", self.video_polls
            upload.next_check = time.monotonic() + self.check_after_secs
            data["processing_info"] = {
                "state": "pending",
                "check_after_secs": self.check_after_secs,
            }
        else:
            upload.state = "succeeded"
        return JSONResponse({"data": data})

    async def _status(
        self, user: str, request: Request, body: Any, fault: Fault | None
    ) -> JSONResponse:
        upload = self.uploads.get(request.query_params.get("media_id", ""))
        if upload is None or upload.owner != user:
            return _invalid("media_id", "Media id is invalid")
        if upload.state == "pending":
            if time.monotonic() < upload.next_check:
                upload.early_polls += 1  # X does not speed up for it; it only costs quota
            else:
                upload.polls_left -= 1
            if upload.polls_left <= 0:
                upload.state = "succeeded"
        info: dict[str, Any] = {"state": upload.state}
        if upload.state == "pending":
            upload.next_check = time.monotonic() + self.check_after_secs
            info["check_after_secs"] = self.check_after_secs
            info["progress_percent"] = 50
        return JSONResponse(
            {"data": {"id": upload.id, "media_key": f"3_{upload.id}", "processing_info": info}}
        )


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return None


def _problem(status: int, title: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {"title": title, "detail": detail, "type": "about:blank", "status": status},
        status_code=status,
        media_type="application/problem+json",
    )


def _html_page(title: str, body: str, *, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} / X</title>'
        f"</head><body><main><h1>{title}</h1>{body}</main></body></html>",
        status_code=status,
    )


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def _client_forbidden() -> JSONResponse:
    return JSONResponse(
        {
            "title": "Client Forbidden",
            "detail": "When authenticating requests to the Twitter API v2 endpoints, you must "
            "use keys and tokens from a Twitter developer App that is attached to a Project.",
            "reason": "client-not-enrolled",
            "registration_url": "https://developer.x.com/en/portal/dashboard",
            "type": "https://api.x.com/2/problems/client-forbidden",
        },
        status_code=403,
        media_type="application/problem+json",
    )


def _invalid(parameter: str, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "errors": [{"parameters": {parameter: []}, "message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.x.com/2/problems/invalid-request",
        },
        status_code=400,
    )


def _early(fault: Fault) -> JSONResponse | None:
    if fault.kind == "status":
        return _problem(fault.status, "Error", fault.description)
    if fault.kind == "server_error":
        return _problem(503, "Service Unavailable", "Service Unavailable")
    if fault.kind == "expired_token":
        return _problem(401, "Unauthorized", "Unauthorized")
    if fault.kind == "rate_limit":
        response = _problem(429, "Too Many Requests", "Too Many Requests")
        response.headers["x-rate-limit-limit"] = "100"
        response.headers["x-rate-limit-remaining"] = "0"
        response.headers["x-rate-limit-reset"] = str(int(time.time()) + fault.retry_after)
        return response
    return None
