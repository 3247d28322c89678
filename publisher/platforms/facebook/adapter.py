"""Facebook Page publishing over the Graph API.

Photos are uploaded unpublished (``POST /{page}/photos`` with ``published=false``), then one
post is made with ``POST /{page}/feed`` and ``attached_media``; a video goes out with
``POST /{page}/videos`` on Meta's video host (``graph-video``). Only the feed (or video) call
makes anything visible, so only its lost answer is ``unknown``: an unpublished photo uploaded
twice is invisible and expires.
The caption carries the delivery's marker: the report number it shows ("No. laporan: LPR-..."),
suffixed for a later post of the same case; the reconciler finds the post by that marker among
the Page's recent posts (``GET /{page}/feed``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from publisher.core.errors import UnknownOutcome
from publisher.platforms.base import PublishRequest, PublishResult, has_marker, with_marker
from publisher.platforms.meta.graph import DEFAULT_GRAPH, GraphClient, next_cursor, video_host
from publisher.platforms.meta.tokens import PageTokenKeeper

RECENT_POSTS = 100
SEARCH_PAGES = 5  # how far back an unknown delivery is looked for (5 x 100 posts)


class FacebookPagePlatform:
    name = "facebook"
    searchable = True

    def __init__(
        self,
        client: httpx.Client,
        page_id: str,
        token: str,
        api_base: str = DEFAULT_GRAPH,
        *,
        video_api_base: str = "",
        app_secret: str = "",
        keeper: PageTokenKeeper | None = None,
    ) -> None:
        self.page_id = page_id
        self.graph = GraphClient(
            client, token, api_base, "facebook", app_secret=app_secret, keeper=keeper
        )
        self.video_api_base = video_api_base or video_host(api_base)

    @staticmethod
    def post_url(post_id: str) -> str:
        return f"https://www.facebook.com/{post_id}"

    def publish(self, request: PublishRequest) -> PublishResult:
        message = with_marker(request.caption, request.marker)
        video = next((m for m in request.media if m.kind == "video"), None)
        if video is not None:
            request.checkpoint(dict(request.state))  # the lease still holds: go visible
            with video.path.open("rb") as fh:
                body = self.graph.call(
                    "POST",
                    f"{self.page_id}/videos",
                    effectful=True,
                    data={"description": message, "published": "true"},
                    files={"source": (video.path.name, fh, video.mime)},
                    api_base=self.video_api_base,
                )
            return self._result(body)
        photo_ids: list[str] = []
        for photo in (m for m in request.media if m.kind == "photo"):
            with photo.path.open("rb") as fh:
                body = self.graph.call(
                    "POST",
                    f"{self.page_id}/photos",
                    effectful=False,
                    data={"published": "false", "temporary": "true"},
                    files={"source": (photo.path.name, fh, photo.mime)},
                )
            photo_ids.append(str(body.get("id", "")))
        data = {"message": message}
        for index, photo_id in enumerate(photo_ids):
            data[f"attached_media[{index}]"] = json.dumps({"media_fbid": photo_id})
        # The uploads may have been slow: the lease is checked before anything goes visible.
        request.checkpoint(dict(request.state))
        body = self.graph.call("POST", f"{self.page_id}/feed", effectful=True, data=data)
        return self._result(body)

    def _result(self, body: Mapping[str, Any]) -> PublishResult:
        post_id = str(body.get("post_id") or body.get("id") or "")
        if not post_id:
            raise UnknownOutcome("facebook: success without an id")
        return PublishResult(remote_id=post_id, url=self.post_url(post_id))

    def find_by_marker(
        self, marker: str, state: Mapping[str, str] | None = None
    ) -> PublishResult | None:
        params = {"fields": "id,message,permalink_url", "limit": str(RECENT_POSTS)}
        for _ in range(SEARCH_PAGES):
            body = self.graph.call("GET", f"{self.page_id}/feed", effectful=False, params=params)
            for post in body.get("data") or []:
                if isinstance(post, dict) and has_marker(str(post.get("message", "")), marker):
                    post_id = str(post["id"])
                    url = str(post.get("permalink_url") or self.post_url(post_id))
                    return PublishResult(remote_id=post_id, url=url)
            after = next_cursor(body)
            if not after:
                break
            params = {**params, "after": after}
        return None

    def takedown(self, remote_id: str) -> bool:
        body = self.graph.call("DELETE", remote_id, effectful=False)
        return bool(body.get("success", False))

    def check(self) -> str:
        body = self.graph.call("GET", self.page_id, effectful=False, params={"fields": "id,name"})
        warning = self.graph.expiry_warning()
        page = f"Facebook Page {body.get('name', '')} ({body.get('id', self.page_id)})"
        return f"{page} — {warning}" if warning else page
