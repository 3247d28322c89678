"""A fake Meta Graph API: Facebook Pages and Instagram content publishing.

Built from the Graph node specs (``../shared/fixtures/meta-graph/specs``: ``Page``,
``PagePost``, ``IGUser``, ``ShadowIGMediaBuilder``, ``IGMedia``) and Meta's error contract:
``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``, code 190 with HTTP
400 for an expired token, rate limits as codes 4/17/32/613 with ``X-Business-Use-Case-Usage``
(``estimated_time_to_regain_access`` in minutes), code 506 for a duplicate status, 9004 when
Instagram cannot fetch a media URL, 9007 when a container is not ready.

The fake Instagram really fetches ``image_url`` / ``video_url`` over HTTP, as Instagram does.
Everything accepted is kept (:attr:`FakeMetaGraph.posts`, :attr:`FakeMetaGraph.ig_media`) so
tests count on the server's side. Faults: :class:`publisher.fakes.faults.FaultPlan`.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp

from publisher.fakes.faults import Fault, FaultPlan, drop_connection, droppable

COMMON = frozenset({"server_error", "rate_limit", "expired_token"})
PUBLISH_FAULTS = COMMON | {"server_error_after", "drop_after_accept", "duplicate"}
IG_PUBLISH_FAULTS = COMMON | {"server_error_after", "drop_after_accept"}
CONTAINER_FAULTS = COMMON | {"slow_container", "unfetchable_media"}


@dataclass
class PagePost:
    id: str
    page_id: str
    message: str
    photos: list[str]
    kind: str  # feed / video
    created: float
    deleted: bool = False


@dataclass
class Container:
    id: str
    ig_user: str
    caption: str
    media_type: str
    children: list[str]
    polls_left: int
    status_code: str = "IN_PROGRESS"
    polled: int = 0  # status reads (GET /{container}?fields=status_code)
    fetched_sha256: list[str] = field(default_factory=list)


@dataclass
class IgMedia:
    id: str
    ig_user: str
    caption: str
    container_id: str
    created: float
    deleted: bool = False

    @property
    def permalink(self) -> str:
        return f"https://www.instagram.com/p/FAKE{self.id}/"


@dataclass
class LoginGrant:
    """A Facebook Login code waiting to be exchanged."""

    app_id: str
    redirect_uri: str
    user: str
    scope: str
    issued: float


@dataclass
class FakeMetaGraph:
    tokens: set[str] = field(default_factory=set)
    pages: dict[str, str] = field(default_factory=dict)  # page id -> name
    ig_users: dict[str, str] = field(default_factory=dict)  # ig user id -> username
    quota_total: int = 100  # Instagram API-published posts per rolling 24 hours
    video_polls: int = 2  # IN_PROGRESS answers before a video container is FINISHED
    # Carousel items are uploaded containers too (IG User Media, "Carousel posts"): each starts
    # IN_PROGRESS (ShadowIGMediaBuilder.status_code) and is FINISHED only after being polled.
    child_polls: int = 1
    # Securing Graph API Requests: when the app requires it, every call must carry
    # ``appsecret_proof`` = HMAC-SHA256(app secret, access token), hex.
    app_secret: str = ""
    proofs_seen: list[str] = field(default_factory=list)
    # Access tokens expire (Graph API "Access Token Debugger" / ``GET /debug_token``:
    # ``data.expires_at``, 0 for never, ``data.is_valid``); past the deadline every call
    # answers code 190 as Meta does. Tokens not listed never expire (Page tokens from a
    # long-lived user token).
    token_expires_at: dict[str, int] = field(default_factory=dict)
    # Facebook Login (Meta "Manually Build a Login Flow"): the dialog
    # ``/{version}/dialog/oauth`` redirects only to a URI listed in the app's "Valid OAuth
    # Redirect URIs" (``redirect_uris``), with ``code`` and ``state``, or with
    # ``error=access_denied&error_reason=user_denied`` when the person cancels. The code is
    # exchanged at ``/oauth/access_token`` with the app secret and the *identical*
    # ``redirect_uri``; it works once (subcode 36009 "has been used") and not after
    # ``code_lifetime_s`` (36007 "has expired"). The answer is a short-lived user token.
    # Meta "Long-Lived Access Tokens": ``grant_type=fb_exchange_token`` turns a user token into
    # one lasting about 60 days (``expires_in``). Meta "Page access tokens": ``/me/accounts``
    # lists the person's Pages with a Page token each, and ``/{page}?fields=access_token``
    # gives one; with a long-lived user token it has no expiry (``page_token_lifetime_s`` 0),
    # a shorter lifetime lets the demo and tests see a Page token renewed.
    apps: dict[str, str] = field(default_factory=dict)  # app id -> app secret
    redirect_uris: dict[str, str] = field(default_factory=dict)  # app id -> valid redirect URI
    people: dict[str, list[str]] = field(default_factory=dict)  # user id -> Pages they manage
    page_instagram: dict[str, str] = field(default_factory=dict)  # page id -> linked IG user
    consenting_user: str = ""
    code_lifetime_s: float = 600.0
    short_token_lifetime_s: float = 3600.0
    long_token_lifetime_s: float = 60 * 86400.0
    page_token_lifetime_s: float = 0.0
    login_codes: dict[str, LoginGrant] = field(default_factory=dict)
    used_codes: set[str] = field(default_factory=set)
    user_tokens: dict[str, str] = field(default_factory=dict)  # user token -> user id
    exchanges: int = 0  # fb_exchange_token answers
    page_tokens_issued: int = 0
    faults: FaultPlan = field(default_factory=FaultPlan)
    photos: dict[str, dict[str, Any]] = field(default_factory=dict)
    posts: list[PagePost] = field(default_factory=list)
    containers: dict[str, Container] = field(default_factory=dict)
    ig_media: list[IgMedia] = field(default_factory=list)
    requests: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(10_000_001))
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def fail_next(self, fault: Fault) -> None:
        self.faults.fail_next(fault)

    def _id(self) -> str:
        with self._lock:
            return str(next(self._ids))

    def live_posts(self, page_id: str | None = None) -> list[PagePost]:
        return [p for p in self.posts if not p.deleted and page_id in (None, p.page_id)]

    def live_ig_media(self, ig_user: str | None = None) -> list[IgMedia]:
        return [m for m in self.ig_media if not m.deleted and ig_user in (None, m.ig_user)]

    # --- the app ------------------------------------------------------------------------------

    def video_app(self) -> ASGIApp:
        """The video host (graph-video.facebook.com): Page Videos reference, "Publishing":
        video files are uploaded to ``graph-video``, not the Graph host of every other call."""
        api = FastAPI(title="fake Meta Graph video host")

        @api.post("/{version}/{node}/videos")
        async def post_video(version: str, node: str, request: Request) -> JSONResponse:
            return await self._dispatch("POST", node, "videos", request, video_host=True)

        return droppable(api)

    def _issue_user_token(self, user: str, lifetime_s: float) -> dict[str, Any]:
        token = f"EAAU-{secrets.token_urlsafe(12)}"
        with self._lock:
            self.tokens.add(token)
            self.user_tokens[token] = user
            self.token_expires_at[token] = int(time.time() + lifetime_s)
        return {"access_token": token, "token_type": "bearer", "expires_in": int(lifetime_s)}

    def _issue_page_token(self, page: str) -> str:
        token = f"EAAP-{page}-{secrets.token_urlsafe(12)}"
        with self._lock:
            self.tokens.add(token)
            self.page_tokens_issued += 1
            if self.page_token_lifetime_s > 0:
                self.token_expires_at[token] = int(time.time() + self.page_token_lifetime_s)
        return token

    def _dialog(self, params: dict[str, str], consent: bool | None) -> Response:
        app_id = params.get("client_id", "")
        redirect_uri = params.get("redirect_uri", "")
        if app_id not in self.apps:
            return _login_page("Error", "<p>Invalid App ID.</p>", status=400)
        if self.redirect_uris.get(app_id) != redirect_uri:
            return _login_page(
                "URL Blocked",
                "<p>This redirect failed because the redirect URI is not whitelisted in the "
                "app's Client OAuth Settings.</p>",
                status=400,
            )
        state = params.get("state", "")

        def back(**fields: str) -> Response:
            query = urlencode({**fields, "state": state})
            return RedirectResponse(f"{redirect_uri}?{query}", status_code=302)

        if consent is None:
            keep = ("client_id", "redirect_uri", "state", "scope", "response_type")
            hidden = "".join(
                f'<input type="hidden" name="{k}" value="{html.escape(params.get(k, ""))}">'
                for k in keep
            )
            version = html.escape(params.get("_version", "v21.0"))
            body = (
                f"<p>The app asks for: {html.escape(params.get('scope', ''))}</p>"
                f'<form method="post" action="/{version}/dialog/oauth">{hidden}'
                '<button type="submit" name="decision" value="allow">Continue</button> '
                '<button type="submit" name="decision" value="deny">Cancel</button></form>'
            )
            return _login_page("Log in with Facebook", body)
        if not consent:
            return back(
                error="access_denied",
                error_code="200",
                error_description="Permissions error",
                error_reason="user_denied",
            )
        user = self.consenting_user or next(iter(self.people), "")
        code = secrets.token_urlsafe(32)
        with self._lock:
            self.login_codes[code] = LoginGrant(
                app_id, redirect_uri, user, params.get("scope", ""), time.time()
            )
        return back(code=code)

    def _access_token(self, params: dict[str, str]) -> JSONResponse:
        app_id = params.get("client_id", "")
        if app_id not in self.apps:
            return _error(400, 101, "Error validating application. Invalid application ID.")
        if not hmac.compare_digest(self.apps[app_id], params.get("client_secret", "")):
            return _error(400, 1, "Error validating client secret.")
        if params.get("grant_type") == "fb_exchange_token":
            user = self.user_tokens.get(params.get("fb_exchange_token", ""))
            deadline = self.token_expires_at.get(params.get("fb_exchange_token", ""), 0)
            if user is None or 0 < deadline <= time.time():
                return _expired()
            with self._lock:
                self.exchanges += 1
            return JSONResponse(self._issue_user_token(user, self.long_token_lifetime_s))
        code = params.get("code", "")
        with self._lock:
            grant = self.login_codes.pop(code, None)
            used = code in self.used_codes
            self.used_codes.add(code)
        if grant is None:
            message = "This authorization code has been used." if used else "Invalid code."
            return _error(400, 100, message, subcode=36009 if used else None)
        if time.time() - grant.issued > self.code_lifetime_s:
            return _error(400, 100, "This authorization code has expired.", subcode=36007)
        if grant.app_id != app_id or grant.redirect_uri != params.get("redirect_uri"):
            return _error(
                400,
                100,
                "Error validating verification code. Please make sure your redirect_uri is "
                "identical to the one you used in the OAuth dialog request",
                subcode=36008,
            )
        return JSONResponse(self._issue_user_token(grant.user, self.short_token_lifetime_s))

    def login_app(self) -> ASGIApp:
        """Only Facebook Login (the dialog lives on www.facebook.com in production); the
        Graph app of :meth:`app` serves it too, so one fake server runs the whole flow."""
        api = FastAPI(title="fake Facebook Login")
        self._login_routes(api)
        return api

    def _login_routes(self, api: FastAPI) -> None:
        @api.get("/{version}/dialog/oauth")
        async def dialog(version: str, request: Request) -> Response:
            return self._dialog({**request.query_params, "_version": version}, consent=None)

        @api.post("/{version}/dialog/oauth")
        async def consent(version: str, request: Request) -> Response:
            form = {k: str(v) for k, v in (await request.form()).items()}
            return self._dialog(form, consent=form.get("decision") == "allow")

        @api.api_route("/{version}/oauth/access_token", methods=["GET", "POST"])
        async def access_token(version: str, request: Request) -> JSONResponse:
            with self._lock:
                self.requests += 1
            params = dict(request.query_params)
            if request.method == "POST":
                params.update({k: str(v) for k, v in (await request.form()).items()})
            return self._access_token(params)

    def app(self) -> ASGIApp:
        api = FastAPI(title="fake Meta Graph API")
        self._login_routes(api)

        @api.get("/{version}/{node}")
        async def get_node(version: str, node: str, request: Request) -> JSONResponse:
            return await self._dispatch("GET", node, "", request)

        @api.delete("/{version}/{node}")
        async def delete_node(version: str, node: str, request: Request) -> JSONResponse:
            return await self._dispatch("DELETE", node, "", request)

        @api.get("/{version}/{node}/{edge}")
        async def get_edge(version: str, node: str, edge: str, request: Request) -> JSONResponse:
            return await self._dispatch("GET", node, edge, request)

        @api.post("/{version}/{node}/{edge}")
        async def post_edge(version: str, node: str, edge: str, request: Request) -> JSONResponse:
            return await self._dispatch("POST", node, edge, request)

        return droppable(api)

    async def _dispatch(
        self, method: str, node: str, edge: str, request: Request, *, video_host: bool = False
    ) -> JSONResponse:
        with self._lock:
            self.requests += 1
        token = _token(request)
        form: dict[str, Any] = dict(await request.form()) if method == "POST" else {}
        if token not in self.tokens or 0 < self.token_expires_at.get(token, 0) <= time.time():
            return _expired()
        refused = self._proof_refusal(token, request, form)
        if refused is not None:
            return refused
        if method == "POST" and edge == "videos" and not video_host:
            return _error(400, 100, "Video uploads must be sent to graph-video.facebook.com")
        op = _operation(method, node, edge, self)
        allowed = {
            "fb_publish": PUBLISH_FAULTS,
            "ig_publish": IG_PUBLISH_FAULTS,
            "ig_container": CONTAINER_FAULTS,
        }.get(op, COMMON)
        fault = self.faults.next(op, frozenset(allowed))
        early = _early_fault(fault, node)
        if early is not None:
            return early
        handler = {
            ("POST", "photos"): self._photos,
            ("POST", "feed"): self._feed,
            ("POST", "videos"): self._videos,
            ("GET", "feed"): self._get_feed,
            ("POST", "media"): self._container,
            ("POST", "media_publish"): self._media_publish,
            ("GET", "media"): self._get_ig_media,
            ("GET", "content_publishing_limit"): self._limit,
        }.get((method, edge))
        if handler is not None:
            response = await handler(node, form, request, fault)
        elif method == "GET" and node == "me" and edge == "accounts":
            response = self._accounts(token, request)
        elif method == "GET" and node == "debug_token" and not edge:
            response = self._debug_token(request)
        elif method == "GET" and not edge:
            response = self._get(node, request)
        elif method == "DELETE" and not edge:
            response = self._delete(node)
        else:
            response = _error(400, 100, "Unsupported request", subcode=33)
        return _after_fault(fault, request, response)

    def _proof_refusal(
        self, token: str, request: Request, form: dict[str, Any]
    ) -> JSONResponse | None:
        if not self.app_secret:
            return None
        proof = request.query_params.get("appsecret_proof") or str(form.get("appsecret_proof", ""))
        self.proofs_seen.append(proof)
        if not proof:
            return _error(400, 100, "API calls from the server require an appsecret_proof argument")
        expected = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(proof, expected):
            return _error(400, 100, "Invalid appsecret_proof provided in the API argument")
        return None

    # --- Facebook Page ------------------------------------------------------------------------

    async def _photos(
        self, page: str, form: dict[str, Any], request: Request, fault: Fault | None
    ) -> JSONResponse:
        if page not in self.pages:
            return _error(400, 100, "Unsupported post request.", subcode=33)
        upload = form.get("source")
        if upload is None or not hasattr(upload, "read"):
            return _error(400, 324, "Requires upload file")
        blob = await upload.read()
        if not blob:
            return _error(400, 324, "Missing or invalid image file")
        photo_id = self._id()
        published = str(form.get("published", "true")).lower() != "false"
        self.photos[photo_id] = {
            "page": page,
            "sha256": hashlib.sha256(blob).hexdigest(),
            "published": published,
        }
        if published:
            post = self._store_post(page, str(form.get("caption", "")), [photo_id], "feed")
            return JSONResponse({"id": photo_id, "post_id": post.id})
        return JSONResponse({"id": photo_id})

    def _store_post(self, page: str, message: str, photos: list[str], kind: str) -> PagePost:
        post = PagePost(f"{page}_{self._id()}", page, message, photos, kind, time.time())
        with self._lock:
            self.posts.append(post)
        return post

    async def _feed(
        self, page: str, form: dict[str, Any], request: Request, fault: Fault | None
    ) -> JSONResponse:
        if page not in self.pages:
            return _error(400, 100, "Unsupported post request.", subcode=33)
        message = str(form.get("message", ""))
        photos: list[str] = []
        for key, value in sorted(form.items()):
            if key.startswith("attached_media["):
                try:
                    fbid = str(json.loads(str(value))["media_fbid"])
                except (ValueError, KeyError, TypeError):
                    return _error(400, 100, "Invalid parameter attached_media")
                if fbid not in self.photos or self.photos[fbid]["page"] != page:
                    return _error(400, 100, "Invalid parameter attached_media", subcode=2069019)
                photos.append(fbid)
        if not message and not photos:
            return _error(400, 100, "Invalid parameter: message or attached_media is required")
        if fault is not None and fault.kind == "duplicate":
            return _error(400, 506, "Duplicate status message")
        post = self._store_post(page, message, photos, "feed")
        return JSONResponse({"id": post.id})

    async def _videos(
        self, page: str, form: dict[str, Any], request: Request, fault: Fault | None
    ) -> JSONResponse:
        if page not in self.pages:
            return _error(400, 100, "Unsupported post request.", subcode=33)
        upload = form.get("source")
        if upload is None or not hasattr(upload, "read") or not await upload.read():
            return _error(400, 390, "There was a problem uploading your video file.")
        post = self._store_post(page, str(form.get("description", "")), [], "video")
        return JSONResponse({"id": post.id.split("_", 1)[1]})

    async def _get_feed(
        self, page: str, form: dict[str, Any], request: Request, fault: Fault | None
    ) -> JSONResponse:
        everything = sorted(self.live_posts(page), key=lambda p: p.created, reverse=True)
        posts, paging = _page(everything, request)
        data = [
            {
                "id": p.id,
                "message": p.message,
                "permalink_url": f"https://www.facebook.com/{p.id}",
                "created_time": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(p.created)),
            }
            for p in posts
        ]
        return JSONResponse({"data": data, "paging": paging})

    # --- Instagram ----------------------------------------------------------------------------

    async def _limit(
        self, ig_user: str, form: dict[str, Any], request: Request, fault: Fault | None
    ) -> JSONResponse:
        if ig_user not in self.ig_users:
            return _error(400, 100, "Unsupported get request.", subcode=33)
        return JSONResponse(
            {
                "data": [
                    {
                        "quota_usage": self._usage(ig_user),
                        "config": {"quota_total": self.quota_total, "quota_duration": 86400},
                    }
                ]
            }
        )

    def _usage(self, ig_user: str) -> int:
        since = time.time() - 86400
        return sum(1 for m in self.ig_media if m.ig_user == ig_user and m.created >= since)

    async def _container(
        self, ig_user: str, form: dict[str, Any], request: Request, fault: Fault | None
    ) -> JSONResponse:
        if ig_user not in self.ig_users:
            return _error(400, 100, "Unsupported post request.", subcode=33)
        media_type = str(form.get("media_type", "IMAGE")).upper()
        caption = str(form.get("caption", ""))
        if len(caption) > 2200:
            return _error(400, 100, "The caption is too long.", subcode=2207004)
        children: list[str] = []
        fetched: list[str] = []
        if media_type == "CAROUSEL":
            children = [c for c in str(form.get("children", "")).split(",") if c]
            if not 2 <= len(children) <= 10 or any(c not in self.containers for c in children):
                return _error(400, 100, "Invalid children", subcode=2207033)
            if any(self.containers[c].status_code != "FINISHED" for c in children):
                # Error codes table: 9007 / 2207027 "the media is not ready for publishing".
                return _error(400, 9007, "Media ID is not available", subcode=2207027)
            polls = 0
        else:
            url = str(
                form.get("video_url" if media_type in ("VIDEO", "REELS") else "image_url", "")
            )
            if not url:
                return _error(400, 100, "The parameter image_url is required.")
            sha = None
            if fault is None or fault.kind != "unfetchable_media":
                sha = await _fetch(url)
            if sha is None:
                return _error(
                    400,
                    9004,
                    "Only photo or video can be accepted as media type.",
                    subcode=2207052,
                    title="Media download has failed.",
                )
            fetched.append(sha)
            polls = self.video_polls if media_type in ("VIDEO", "REELS") else 0
            if str(form.get("is_carousel_item", "")).lower() == "true":
                polls = max(polls, self.child_polls)
        if fault is not None and fault.kind == "slow_container":
            polls += fault.polls
        container = Container(
            self._id(), ig_user, caption, media_type, children, polls, fetched_sha256=fetched
        )
        if polls == 0:
            container.status_code = "FINISHED"
        with self._lock:
            self.containers[container.id] = container
        return JSONResponse({"id": container.id})

    async def _media_publish(
        self, ig_user: str, form: dict[str, Any], request: Request, fault: Fault | None
    ) -> JSONResponse:
        container = self.containers.get(str(form.get("creation_id", "")))
        if container is None or container.ig_user != ig_user:
            return _error(400, 100, "Invalid parameter creation_id", subcode=2207008)
        if self._usage(ig_user) >= self.quota_total:
            return _error(400, 9, "Application request limit reached", subcode=2207042)
        with self._lock:
            if container.status_code != "FINISHED":
                return _error(
                    400,
                    9007,
                    "Media ID is not available",
                    subcode=2207027,
                )
            container.status_code = "PUBLISHED"
            media = IgMedia(self._id(), ig_user, container.caption, container.id, time.time())
            self.ig_media.append(media)
        return JSONResponse({"id": media.id})

    async def _get_ig_media(
        self, ig_user: str, form: dict[str, Any], request: Request, fault: Fault | None
    ) -> JSONResponse:
        everything = sorted(self.live_ig_media(ig_user), key=lambda m: m.created, reverse=True)
        items, paging = _page(everything, request)
        data = [{"id": m.id, "caption": m.caption, "permalink": m.permalink} for m in items]
        return JSONResponse({"data": data, "paging": paging})

    # --- nodes --------------------------------------------------------------------------------

    def _page_fields(self, page: str, fields: set[str], token: str) -> dict[str, Any]:
        out: dict[str, Any] = {"id": page, "name": self.pages[page]}
        if "instagram_business_account" in fields and page in self.page_instagram:
            out["instagram_business_account"] = {"id": self.page_instagram[page]}
        user = self.user_tokens.get(token)
        if "access_token" in fields and user is not None and page in self.people.get(user, []):
            out["access_token"] = self._issue_page_token(page)  # "Page access tokens"
        return out

    def _accounts(self, token: str, request: Request) -> JSONResponse:
        user = self.user_tokens.get(token)
        if user is None:
            return _error(400, 100, "Tried accessing nonexisting field (accounts)")
        fields = set(request.query_params.get("fields", "id,name,access_token").split(","))
        pages = [p for p in self.people.get(user, []) if p in self.pages]
        data = [
            {**self._page_fields(p, fields | {"access_token"}, token), "tasks": ["CREATE_CONTENT"]}
            for p in pages
        ]
        return JSONResponse({"data": data, "paging": {"cursors": {"before": "0", "after": "0"}}})

    def _get(self, node: str, request: Request) -> JSONResponse:
        if node in self.pages:
            fields = set(request.query_params.get("fields", "").split(","))
            return JSONResponse(self._page_fields(node, fields, _token(request)))
        if node in self.ig_users:
            return JSONResponse({"id": node, "username": self.ig_users[node]})
        container = self.containers.get(node)
        if container is not None:
            with self._lock:
                container.polled += 1
                if container.status_code == "IN_PROGRESS":
                    container.polls_left -= 1
                    if container.polls_left <= 0:
                        container.status_code = "FINISHED"
                    status = "IN_PROGRESS"
                else:
                    status = container.status_code
            return JSONResponse({"id": node, "status_code": status, "status": status})
        for media in self.live_ig_media():
            if media.id == node:
                return JSONResponse(
                    {"id": node, "caption": media.caption, "permalink": media.permalink}
                )
        for post in self.live_posts():
            if post.id == node:
                return JSONResponse({"id": node, "message": post.message})
        return _error(400, 100, f"Object with ID '{node}' does not exist", subcode=33)

    def _debug_token(self, request: Request) -> JSONResponse:
        token = request.query_params.get("input_token", "")
        expires = self.token_expires_at.get(token, 0)
        valid = token in self.tokens and not 0 < expires <= time.time()
        kind = "USER" if token in self.user_tokens else "PAGE"
        return JSONResponse(
            {
                "data": {
                    "app_id": "1234567890",
                    "type": kind,
                    "application": "Lapor Publisher",
                    "expires_at": expires,
                    "is_valid": valid,
                    "scopes": ["pages_manage_posts", "instagram_content_publish"],
                }
            }
        )

    def _delete(self, node: str) -> JSONResponse:
        with self._lock:
            for post in self.live_posts():
                if post.id == node or post.id.endswith(f"_{node}"):
                    post.deleted = True
                    return JSONResponse({"success": True})
            for media in self.live_ig_media():
                if media.id == node:
                    media.deleted = True
                    return JSONResponse({"success": True})
        return _error(400, 100, f"Object with ID '{node}' does not exist", subcode=33)


def _login_page(title: str, body: str, *, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} | Facebook'
        f"</title></head><body><main><h1>{title}</h1>{body}</main></body></html>",
        status_code=status,
    )


def _page(items: list[Any], request: Request) -> tuple[list[Any], dict[str, Any]]:
    """Cursor paging as the Graph API does it (``paging.cursors.after`` + ``paging.next``)."""
    limit = max(1, min(100, int(request.query_params.get("limit", "25"))))
    start = int(request.query_params.get("after") or 0)
    chunk = items[start : start + limit]
    paging: dict[str, Any] = {"cursors": {"before": str(start), "after": str(start + limit)}}
    if start + limit < len(items):
        paging["next"] = str(request.url.include_query_params(after=str(start + limit)))
    return chunk, paging


def _operation(method: str, node: str, edge: str, fake: FakeMetaGraph) -> str:
    if method == "POST" and edge in ("feed", "videos"):
        return "fb_publish"
    if method == "POST" and edge == "media_publish":
        return "ig_publish"
    if method == "POST" and edge == "media":
        return "ig_container"
    if method == "POST" and edge == "photos":
        return "fb_photo"
    return "read"


def _token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.query_params.get("access_token", "")


async def _fetch(url: str) -> str | None:
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.get(url)
    except httpx.HTTPError:
        return None
    if response.status_code != 200 or not response.content:
        return None
    return hashlib.sha256(response.content).hexdigest()


def _error(
    status: int, code: int, message: str, *, subcode: int | None = None, title: str = ""
) -> JSONResponse:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AfakeTrace123",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    if title:
        error["error_user_title"] = title
    return JSONResponse({"error": error}, status_code=status)


def _expired() -> JSONResponse:
    return _error(
        400,
        190,
        "Error validating access token: Session has expired on Friday, 27-Nov-26 10:00:00 PST.",
        subcode=463,
    )


def _early_fault(fault: Fault | None, node: str) -> JSONResponse | None:
    if fault is None:
        return None
    if fault.kind == "status":
        return _error(
            fault.status, fault.code or 1, fault.description, subcode=fault.subcode or None
        )
    if fault.kind == "server_error":
        return _error(500, 2, "An unexpected error has occurred. Please retry your request later.")
    if fault.kind == "expired_token":
        return _expired()
    if fault.kind == "rate_limit":
        minutes = max(0, fault.retry_after // 60)
        usage = {
            node: [
                {
                    "type": "pages",
                    "call_count": 100,
                    "total_cputime": 40,
                    "total_time": 60,
                    "estimated_time_to_regain_access": minutes,
                }
            ]
        }
        response = _error(400, 32, "Page request limit reached")
        response.headers["X-Business-Use-Case-Usage"] = json.dumps(usage)
        return response
    return None


def _after_fault(fault: Fault | None, request: Request, response: JSONResponse) -> JSONResponse:
    if fault is None or response.status_code != 200:
        return response
    if fault.kind == "drop_after_accept":
        drop_connection(request)
    elif fault.kind == "server_error_after":
        return _error(500, 1, "An unknown error occurred")
    return response
