"""Instagram publishing through the Graph API (Instagram accounts linked to a Facebook Page).

The steps, each safe to repeat except the last::

    GET  /{ig-user}/content_publishing_limit   quota left in the rolling 24 hours
    (media URLs checked reachable)             Instagram fetches media by URL, not upload
    POST /{ig-user}/media                      a container (carousel children first; REELS
                                               for a video) -> checkpointed before going on
    GET  /{container}?fields=status_code       polled until FINISHED
    POST /{ig-user}/media_publish              makes the post visible (lost answer: unknown)

The container id is committed (``request.checkpoint``) before ``media_publish``, so the
reconciler can settle an ``unknown`` delivery by the container's own status: ``PUBLISHED``
means it went out (the media is then found by the marker in its caption); anything else means
it did not, and the delivery may safely go back to the queue.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx

from publisher.core.clock import utcnow
from publisher.core.errors import (
    PermanentError,
    PlatformError,
    RateLimited,
    RetryableError,
    UnknownOutcome,
)
from publisher.platforms.base import (
    MediaFile,
    PublishRequest,
    PublishResult,
    has_marker,
    with_marker,
)
from publisher.platforms.errors import ErrorRule
from publisher.platforms.meta.graph import DEFAULT_GRAPH, META_ERRORS, GraphClient, next_cursor
from publisher.platforms.meta.tokens import PageTokenKeeper

CAPTION_LIMIT = 2200
CAROUSEL_MAX = 10
RECENT_MEDIA = 50
SEARCH_PAGES = 10

INSTAGRAM_ERRORS: tuple[ErrorRule, ...] = (
    ErrorRule(
        "retry",
        "Instagram gagal mengambil media dari URL publik kita. Pastikan LAPOR_PUBLIC_BASE_URL "
        "dapat diakses dari internet; akan dicoba lagi.",
        code=9004,
    ),
    ErrorRule(
        "rate_limited",
        "Kuota harian Instagram (kiriman per 24 jam) habis; dijadwalkan ulang otomatis.",
        code=9,
        subcode=2207042,
    ),
    ErrorRule(
        "invalid",
        "Format media tidak didukung Instagram (rasio, ukuran, atau jenis berkas). Ganti medianya.",
        code=36003,
    ),
    ErrorRule(
        "invalid",
        "Instagram menolak media ini (format, rasio, atau ukuran). Ganti medianya.",
        subcode=2207026,
    ),
    *META_ERRORS,
)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class InstagramPlatform:
    name = "instagram"
    searchable = True  # by the container's status, which we checkpoint before publishing

    def __init__(
        self,
        client: httpx.Client,
        ig_user_id: str,
        token: str,
        api_base: str = DEFAULT_GRAPH,
        *,
        poll_interval_s: float = 2.0,
        max_polls: int = 15,
        app_secret: str = "",
        keeper: PageTokenKeeper | None = None,
    ) -> None:
        self.client = client
        self.ig_user_id = ig_user_id
        self.graph = GraphClient(
            client,
            token,
            api_base,
            "instagram",
            INSTAGRAM_ERRORS,
            app_secret=app_secret,
            keeper=keeper,
        )
        self.poll_interval_s = poll_interval_s
        self.max_polls = max_polls

    # --- publishing -------------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        caption = with_marker(request.caption, request.marker)
        if len(caption) > CAPTION_LIMIT:
            caption = request.caption  # no room for the marker: matched by its hash instead
        if len(caption) > CAPTION_LIMIT:
            raise PermanentError(
                f"instagram: caption of {len(caption)} characters",
                user_message="Keterangan terlalu panjang untuk Instagram (maks. 2.200 karakter).",
            )
        media = request.media[:CAROUSEL_MAX]
        if not media:
            raise PermanentError(
                "instagram: a post needs media",
                user_message="Instagram membutuhkan minimal satu foto atau video.",
            )
        container = request.state.get("container_id", "")
        saved = dict(request.state)
        if container:
            try:
                status = self._status(container)
            except PermanentError:
                status = "EXPIRED"  # gone (expired after 24 h): never published, start over
            if status == "PUBLISHED":
                found = self.find_by_marker(request.marker, request.state)
                if found is None:
                    raise UnknownOutcome("instagram: container published, media not found yet")
                return found
            if status in ("ERROR", "EXPIRED"):
                container = ""
        if not container:
            self._check_quota()
            self._check_reachable(media)
            container = self._create_container(media, caption)
            saved = {"container_id": container, "caption_sha256": _sha(caption)}
            request.checkpoint(saved)
        self._wait_finished(container)
        # Processing may have taken long: the lease is checked again before going visible.
        request.checkpoint(saved)
        body = self.graph.call(
            "POST",
            f"{self.ig_user_id}/media_publish",
            effectful=True,
            data={"creation_id": container},
        )
        media_id = str(body.get("id") or "")
        if not media_id:
            raise UnknownOutcome("instagram: media_publish answered without an id")
        return PublishResult(remote_id=media_id, url=self._permalink(media_id))

    def _check_quota(self) -> None:
        body = self.graph.call(
            "GET",
            f"{self.ig_user_id}/content_publishing_limit",
            effectful=False,
            params={"fields": "quota_usage,config"},
        )
        rows = body.get("data") or [{}]
        row = rows[0] if isinstance(rows[0], dict) else {}
        usage = int(row.get("quota_usage") or 0)
        config = row.get("config") or {}
        total = int(config.get("quota_total") or 0) if isinstance(config, dict) else 0
        if total and usage >= total:
            # The window is rolling: an hour later some of the 24-hour-old posts have aged out.
            raise RateLimited(
                f"instagram: publishing quota used {usage}/{total}",
                retry_at=utcnow() + timedelta(hours=1),
                user_message=(
                    f"Kuota harian Instagram habis ({usage}/{total} kiriman per 24 jam); "
                    "dijadwalkan ulang otomatis."
                ),
            )

    def _check_reachable(self, media: tuple[MediaFile, ...]) -> None:
        for item in media:
            if not item.url:
                raise PermanentError(
                    "instagram: media without a public URL",
                    user_message="Media belum punya URL publik; periksa LAPOR_PUBLIC_BASE_URL.",
                )
            try:
                with self.client.stream("GET", item.url) as response:
                    ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            if not ok:
                raise RetryableError(
                    "instagram: our signed media URL is not reachable",
                    user_message=(
                        "URL media publik tidak dapat diakses, jadi Instagram tidak bisa "
                        "mengambilnya. Periksa LAPOR_PUBLIC_BASE_URL; akan dicoba lagi."
                    ),
                )

    def _item_params(self, item: MediaFile) -> dict[str, str]:
        if item.kind == "video":
            return {"media_type": "VIDEO", "video_url": item.url}
        return {"image_url": item.url}

    def _create_container(self, media: tuple[MediaFile, ...], caption: str) -> str:
        # Containers are invisible until published, so their creation is safe to repeat.
        if len(media) == 1:
            item = media[0]
            data = (
                {"media_type": "REELS", "video_url": item.url}
                if item.kind == "video"
                else {"image_url": item.url}
            )
            data["caption"] = caption
        else:
            children = []
            for item in media:
                child = self.graph.call(
                    "POST",
                    f"{self.ig_user_id}/media",
                    effectful=False,
                    data={**self._item_params(item), "is_carousel_item": "true"},
                )
                children.append(str(child["id"]))
            # A carousel is refused (9007) until every child is FINISHED (IG User Media,
            # "Carousel posts", step 1: each item container, then its status_code).
            for child_id in children:
                self._wait_finished(child_id)
            data = {"media_type": "CAROUSEL", "children": ",".join(children), "caption": caption}
        body = self.graph.call("POST", f"{self.ig_user_id}/media", effectful=False, data=data)
        return str(body["id"])

    def _status(self, container: str) -> str:
        body = self.graph.call(
            "GET", container, effectful=False, params={"fields": "status_code,status"}
        )
        return str(body.get("status_code") or "")

    def _wait_finished(self, container: str) -> None:
        for poll in range(self.max_polls):
            status = self._status(container)
            if status == "FINISHED":
                return
            if status == "ERROR":
                raise PermanentError(
                    f"instagram: container {container} processing failed",
                    user_message=(
                        "Instagram gagal memproses media (format, durasi, atau ukuran tidak "
                        "sesuai). Ganti medianya."
                    ),
                )
            if status in ("EXPIRED", "PUBLISHED"):
                raise RetryableError(f"instagram: container {container} is {status}")
            if poll + 1 < self.max_polls:
                time.sleep(self.poll_interval_s)
        # Still processing: nothing is published; the checkpointed container is resumed later.
        raise RetryableError(
            f"instagram: container {container} still processing",
            user_message="Instagram masih memproses media; akan dilanjutkan otomatis.",
        )

    def _permalink(self, media_id: str) -> str:
        try:
            body = self.graph.call("GET", media_id, effectful=False, params={"fields": "permalink"})
        except PlatformError:
            # The post is live: a rate limit (or any failure) on its link never makes it
            # pending again; it is published without a link.
            return ""
        return str(body.get("permalink") or "")

    # --- reconciliation, takedown, check ------------------------------------------------------

    def find_by_marker(
        self, marker: str, state: Mapping[str, str] | None = None
    ) -> PublishResult | None:
        container = (state or {}).get("container_id", "")
        caption_sha = (state or {}).get("caption_sha256", "")
        if container and self._status(container) != "PUBLISHED":
            return None  # the container never went out: provably not published
        params = {"fields": "id,caption,permalink", "limit": str(RECENT_MEDIA)}
        for _ in range(SEARCH_PAGES):
            body = self.graph.call(
                "GET", f"{self.ig_user_id}/media", effectful=False, params=params
            )
            items: list[Any] = body.get("data") or []
            for item in items:
                text = str(item.get("caption", "")) if isinstance(item, dict) else ""
                if text and (
                    has_marker(text, marker) or (caption_sha and _sha(text) == caption_sha)
                ):
                    url = str(item.get("permalink", ""))
                    return PublishResult(remote_id=str(item["id"]), url=url)
            after = next_cursor(body)
            if not after:
                break
            params = {**params, "after": after}
        if container:
            raise UnknownOutcome("instagram: container published but media not listed yet")
        return None

    def takedown(self, remote_id: str) -> bool:
        body = self.graph.call("DELETE", remote_id, effectful=False)
        return bool(body.get("success", False))

    def check(self) -> str:
        body = self.graph.call(
            "GET", self.ig_user_id, effectful=False, params={"fields": "id,username"}
        )
        warning = self.graph.expiry_warning()
        user = f"Instagram @{body.get('username', '')} ({body.get('id', self.ig_user_id)})"
        return f"{user} — {warning}" if warning else user
