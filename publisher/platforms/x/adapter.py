"""X (Twitter) API v2: ``POST /2/tweets`` with media uploaded through the v2 chunked upload
(``/2/media/upload/initialize``, ``/{id}/append``, ``/{id}/finalize``, ``GET /2/media/upload``
for processing status).

Uploads are invisible until attached, so only ``POST /2/tweets`` can leave an ``unknown``
outcome. The marker is appended to the text when it fits X's weighted 280 characters;
otherwise the SHA-256 of the exact text is checkpointed before the call. Either way the
reconciler finds the post among the account's recent posts (``GET /2/users/{id}/tweets``).
Rate limits are 429 with ``x-rate-limit-reset`` (epoch seconds).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from publisher.core.clock import utcnow
from publisher.core.errors import PermanentError, RetryableError, UnknownOutcome
from publisher.platforms.base import MediaFile, PublishRequest, PublishResult, transport_error
from publisher.platforms.errors import ApiFailure, ErrorRule, classify
from publisher.platforms.x.twitter_text import weighted_length

DEFAULT_API = "https://api.x.com"
TEXT_LIMIT = 280
CHUNK = 4 * 1024 * 1024
MAX_MEDIA = 4
RECENT_POSTS = 100
SEARCH_PAGES = 5

# twitter-text v3: these code point ranges weigh 1, everything else 2 (emoji, CJK, ...).
_RECONNECT = (
    "Token X kedaluwarsa atau dicabut. Admin perlu mengotorisasi ulang aplikasi di akun X "
    "lalu menyambungkan ulang; akun dijeda sampai itu dilakukan."
)

X_ERRORS: tuple[ErrorRule, ...] = (
    ErrorRule("needs_reconnect", _RECONNECT, status=401),
    ErrorRule(
        "duplicate",
        "X menolak karena teks yang sama sudah pernah diposting (duplikat).",
        status=403,
        fragment="duplicate",
    ),
    ErrorRule(
        "duplicate",
        "X menolak karena teks yang sama sudah pernah diposting (duplikat).",
        code=187,
    ),
    ErrorRule(
        "policy",
        "X membatasi akun ini (ditangguhkan atau dikunci). Periksa status akun di X.",
        status=403,
        fragment="suspended",
    ),
    ErrorRule(
        "permission",
        "Aplikasi tidak punya izin menulis di akun X (butuh tweet.write dan media.write). "
        "Otorisasi ulang dengan izin itu lalu lanjutkan akun.",
        status=403,
    ),
    ErrorRule("rate_limited", "Batas kiriman X tercapai; dijadwalkan ulang otomatis.", status=429),
    ErrorRule(
        "invalid",
        "Teks terlalu panjang untuk X (maks. 280 karakter berbobot).",
        status=400,
        fragment="too long",
    ),
    ErrorRule("invalid", "Berkas media terlalu besar untuk X.", status=413),
    ErrorRule("invalid", "X menolak isi kiriman. Periksa teks dan media.", status=400),
)


def post_text(caption: str, marker: str) -> tuple[str, bool]:
    """The text to post and whether it carries the marker."""
    candidate = f"{caption}\n\nRef. {marker}" if marker and marker not in caption else caption
    if weighted_length(candidate) <= TEXT_LIMIT:
        return candidate, marker in candidate
    return caption, False


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class XPlatform:
    name = "x"
    searchable = True

    def __init__(
        self,
        client: httpx.Client,
        token: str,
        user_id: str,
        username: str,
        api_base: str = DEFAULT_API,
        *,
        poll_interval_s: float = 1.0,
        max_polls: int = 20,
    ) -> None:
        self.client = client
        self.token = token
        self.user_id = user_id
        self.username = username.lstrip("@")
        self.api_base = api_base.rstrip("/")
        self.poll_interval_s = poll_interval_s
        self.max_polls = max_polls

    def _call(
        self,
        method: str,
        path: str,
        *,
        effectful: bool,
        json_body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        files: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        try:
            response = self.client.request(
                method,
                f"{self.api_base}{path}",
                json=json_body,
                params=params,
                data=data,
                files=files,
                headers={"Authorization": f"Bearer {self.token}"},
            )
        except httpx.HTTPError as exc:
            raise transport_error(exc, "x", effectful=effectful) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else {}
        if 200 <= response.status_code < 300 and ("data" in body or "meta" in body):
            return body
        errors = body.get("errors")
        first = errors[0] if isinstance(errors, list) and errors else {}
        first = first if isinstance(first, dict) else {}
        text = str(
            body.get("detail")
            or first.get("message")
            or body.get("title")
            or response.reason_phrase
        )
        code = first.get("code")
        reset = response.headers.get("x-rate-limit-reset")
        retry_at = datetime.fromtimestamp(int(reset), tz=UTC) if reset and reset.isdigit() else None
        if response.status_code == 429 and retry_at is None:
            retry_at = utcnow() + timedelta(minutes=15)
        failure = ApiFailure(
            platform="x",
            status=response.status_code,
            code=int(code) if isinstance(code, int) else None,
            text=text,
            retry_at=retry_at,
        )
        raise classify(X_ERRORS, failure, effectful=effectful)

    # --- media upload (invisible until attached: safe to repeat) ------------------------------

    def _upload(self, item: MediaFile) -> str:
        data = item.path.read_bytes()
        category = "tweet_video" if item.kind == "video" else "tweet_image"
        init = self._call(
            "POST",
            "/2/media/upload/initialize",
            effectful=False,
            json_body={
                "media_type": item.mime,
                "media_category": category,
                "total_bytes": len(data),
            },
        )
        media_id = str(init["data"]["id"])
        for index, start in enumerate(range(0, len(data), CHUNK)):
            self._call(
                "POST",
                f"/2/media/upload/{media_id}/append",
                effectful=False,
                data={"segment_index": str(index)},
                files={"media": (item.path.name, data[start : start + CHUNK], item.mime)},
            )
        final = self._call("POST", f"/2/media/upload/{media_id}/finalize", effectful=False)
        info = final["data"].get("processing_info")
        for _ in range(self.max_polls):
            state = str(info.get("state")) if isinstance(info, dict) else "succeeded"
            if state == "succeeded":
                return media_id
            if state == "failed":
                raise PermanentError(
                    f"x: media {media_id} processing failed",
                    user_message="X gagal memproses media (format atau durasi). Ganti medianya.",
                )
            wait = info.get("check_after_secs", self.poll_interval_s) if info else 0
            time.sleep(min(float(wait), self.poll_interval_s))
            status = self._call(
                "GET",
                "/2/media/upload",
                effectful=False,
                params={"media_id": media_id, "command": "STATUS"},
            )
            info = status["data"].get("processing_info")
        raise RetryableError(f"x: media {media_id} still processing")

    def publish(self, request: PublishRequest) -> PublishResult:
        text, marked = post_text(request.caption, request.marker)
        if weighted_length(text) > TEXT_LIMIT:
            raise PermanentError(
                "x: caption over 280 weighted characters",
                user_message="Teks terlalu panjang untuk X (maks. 280 karakter berbobot).",
            )
        videos = [m for m in request.media if m.kind == "video"]
        chosen = videos[:1] if videos else [m for m in request.media if m.kind == "photo"]
        media_ids = [self._upload(item) for item in chosen[:MAX_MEDIA]]
        # Without a marker in the text, the exact text is what the reconciler looks for; either
        # way the lease is checked before the post goes visible.
        request.checkpoint({"text_sha256": _sha(text)} if not marked else dict(request.state))
        payload: dict[str, Any] = {"text": text}
        if media_ids:
            payload["media"] = {"media_ids": media_ids}
        body = self._call("POST", "/2/tweets", effectful=True, json_body=payload)
        post_id = str(body["data"].get("id") or "")
        if not post_id:
            raise UnknownOutcome("x: created without an id")
        return PublishResult(remote_id=post_id, url=self.post_url(post_id))

    def post_url(self, post_id: str) -> str:
        return f"https://x.com/{self.username or 'i'}/status/{post_id}"

    def find_by_marker(
        self, marker: str, state: Mapping[str, str] | None = None
    ) -> PublishResult | None:
        text_sha = (state or {}).get("text_sha256", "")
        params = {"max_results": str(RECENT_POSTS), "tweet.fields": "text,created_at"}
        for _ in range(SEARCH_PAGES):
            body = self._call(
                "GET", f"/2/users/{self.user_id}/tweets", effectful=False, params=params
            )
            for post in body.get("data") or []:
                if not isinstance(post, dict):
                    continue
                text = str(post.get("text", ""))
                if marker in text or (text_sha and _sha(text) == text_sha):
                    post_id = str(post["id"])
                    return PublishResult(remote_id=post_id, url=self.post_url(post_id))
            meta = body.get("meta")
            token = str(meta.get("next_token") or "") if isinstance(meta, dict) else ""
            if not token:
                break
            params = {**params, "pagination_token": token}
        return None

    def takedown(self, remote_id: str) -> bool:
        body = self._call("DELETE", f"/2/tweets/{remote_id}", effectful=False)
        return bool(body["data"].get("deleted", False))

    def check(self) -> str:
        body = self._call("GET", "/2/users/me", effectful=False)
        return f"X @{body['data'].get('username', '')} ({body['data'].get('id', '')})"
