"""X (Twitter) API v2: ``POST /2/tweets`` with media uploaded through the v2 chunked upload
(``/2/media/upload/initialize``, ``/{id}/append``, ``/{id}/finalize``, ``GET /2/media/upload``
for processing status).

Uploads are invisible until attached, so only ``POST /2/tweets`` can leave an ``unknown``
outcome. The marker is the report number the text already shows ("No. LPR-..."), suffixed
for a later post of the same case when that still fits X's weighted 280 characters;
otherwise the SHA-256 of the exact text is checkpointed before the call. Either way the
reconciler finds the post among the account's recent posts (``GET /2/users/{id}/tweets``).
Rate limits are 429 with ``x-rate-limit-reset`` (epoch seconds).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from publisher.core.clock import utcnow
from publisher.core.errors import PermanentError, RetryableError, UnknownOutcome
from publisher.platforms.base import (
    MediaFile,
    PublishRequest,
    PublishResult,
    has_marker,
    transport_error,
    with_marker,
)
from publisher.platforms.errors import ApiFailure, ErrorRule, PermissionDenied, classify
from publisher.platforms.x.oauth import TokenKeeper
from publisher.platforms.x.twitter_text import weighted_length

DEFAULT_API = "https://api.x.com"
TEXT_LIMIT = 280
CHUNK = 4 * 1024 * 1024
MAX_MEDIA = 4
RECENT_POSTS = 100
SEARCH_PAGES = 5
Saver = Callable[[dict[str, str]], None]

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
    """The text to post and whether it carries the marker (the report number the caption
    shows, suffixed for a later post of the case: :func:`with_marker`)."""
    candidate = with_marker(caption, marker)
    if weighted_length(candidate) <= TEXT_LIMIT:
        return candidate, has_marker(candidate, marker)
    return caption, False


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class XPlatform:
    name = "x"
    # False on a write-only access tier (X's Free tier cannot read a user's posts): then an
    # unknown delivery goes to a person instead of waiting for a look-up that never works.
    searchable = True

    def __init__(
        self,
        client: httpx.Client,
        token: str,
        user_id: str,
        username: str,
        api_base: str = DEFAULT_API,
        *,
        chunk_size: int = CHUNK,
        max_wait_s: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        read_access: bool = True,
        keeper: TokenKeeper | None = None,
    ) -> None:
        self.searchable = read_access
        self.client = client
        self.keeper = keeper or TokenKeeper(client, {"access_token": token}, None)
        self.user_id = user_id
        self.username = username.lstrip("@")
        self.api_base = api_base.rstrip("/")
        self.chunk_size = chunk_size
        self.max_wait_s = max_wait_s
        self.sleep = sleep

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
        empty_ok: bool = False,
    ) -> dict[str, Any]:
        """The JSON answer; ``empty_ok`` accepts a 2xx with an empty body (the upload guide
        documents that for APPEND while the OpenAPI document shows ``data``: both are taken)."""
        response = self._send(method, path, json_body, params, data, files, effectful)
        if response.status_code == 401 and self.keeper.can_refresh:
            # The token may have lapsed early or been revoked: renew once, then ask again (a
            # 401 means X did nothing with the request, so repeating it is safe).
            self.keeper.refresh()
            response = self._send(method, path, json_body, params, data, files, effectful)
        try:
            body = response.json()
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else {}
        if 200 <= response.status_code < 300 and ("data" in body or "meta" in body):
            return body
        if 200 <= response.status_code < 300 and empty_ok and not response.content.strip():
            return {}
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

    def _send(
        self,
        method: str,
        path: str,
        json_body: dict[str, Any] | None,
        params: dict[str, str] | None,
        data: dict[str, str] | None,
        files: dict[str, Any] | None,
        effectful: bool,
    ) -> httpx.Response:
        bearer = self.keeper.token()
        try:
            return self.client.request(
                method,
                f"{self.api_base}{path}",
                json=json_body,
                params=params,
                data=data,
                files=files,
                headers={"Authorization": f"Bearer {bearer}"},
            )
        except httpx.HTTPError as exc:
            raise transport_error(exc, "x", effectful=effectful) from None

    # --- media upload (invisible until attached: safe to repeat) ------------------------------
    #
    # Progress is checkpointed per item (``x_media_<n>`` = media id, ``x_acked_<n>`` = segments
    # X acknowledged, ``x_final_<n>`` once finalized), so a retry resumes from the last
    # acknowledged segment or from the processing poll instead of uploading the video again.

    def _upload(self, index: int, item: MediaFile, state: dict[str, str], save: Saver) -> str:
        key = f"x_media_{index}"
        if state.get(key):
            try:
                return self._upload_from(index, item, state, save)
            except PermanentError:
                # Expired or unknown upload session (X keeps them ``expires_after_secs``).
                for prefix in ("x_media_", "x_acked_", "x_final_"):
                    state.pop(f"{prefix}{index}", None)
        return self._upload_from(index, item, state, save)

    def _upload_from(self, index: int, item: MediaFile, state: dict[str, str], save: Saver) -> str:
        data = item.path.read_bytes()
        media_id = state.get(f"x_media_{index}", "")
        if not media_id:
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
            state[f"x_media_{index}"] = media_id
            save(state)
        if not state.get(f"x_final_{index}"):
            acked = int(state.get(f"x_acked_{index}", "0"))
            for segment, start in enumerate(range(0, len(data), self.chunk_size)):
                if segment < acked:
                    continue
                chunk = data[start : start + self.chunk_size]
                self._call(
                    "POST",
                    f"/2/media/upload/{media_id}/append",
                    effectful=False,
                    data={"segment_index": str(segment)},
                    files={"media": (item.path.name, chunk, item.mime)},
                    empty_ok=True,
                )
                state[f"x_acked_{index}"] = str(segment + 1)
                save(state)
            final = self._call("POST", f"/2/media/upload/{media_id}/finalize", effectful=False)
            state[f"x_final_{index}"] = "1"
            save(state)
            info = final["data"].get("processing_info")
        else:
            info = self._status(media_id)
        return self._await_processing(media_id, info)

    def _status(self, media_id: str) -> Any:
        status = self._call(
            "GET",
            "/2/media/upload",
            effectful=False,
            params={"media_id": media_id, "command": "STATUS"},
        )
        return status["data"].get("processing_info")

    def _await_processing(self, media_id: str, info: Any) -> str:
        """Poll exactly as ``processing_info.check_after_secs`` asks (X media upload guide,
        "STATUS"); past ``max_wait_s`` the attempt ends and a later one resumes the poll."""
        waited = 0.0
        while True:
            state = str(info.get("state")) if isinstance(info, dict) else "succeeded"
            if state == "succeeded":
                return media_id
            if state == "failed":
                raise PermanentError(
                    f"x: media {media_id} processing failed",
                    user_message="X gagal memproses media (format atau durasi). Ganti medianya.",
                )
            raw = info.get("check_after_secs") if isinstance(info, dict) else None
            wait = float(raw) if isinstance(raw, int | float) and raw > 0 else 1.0
            if waited + wait > self.max_wait_s:
                raise RetryableError(f"x: media {media_id} still processing after {waited:.0f} s")
            self.sleep(wait)
            waited += wait
            info = self._status(media_id)

    def publish(self, request: PublishRequest) -> PublishResult:
        text, marked = post_text(request.caption, request.marker)
        if weighted_length(text) > TEXT_LIMIT:
            raise PermanentError(
                "x: caption over 280 weighted characters",
                user_message="Teks terlalu panjang untuk X (maks. 280 karakter berbobot).",
            )
        videos = [m for m in request.media if m.kind == "video"]
        chosen = videos[:1] if videos else [m for m in request.media if m.kind == "photo"]
        state = dict(request.state)
        media_ids = [
            self._upload(index, item, state, request.checkpoint)
            for index, item in enumerate(chosen[:MAX_MEDIA])
        ]
        if not marked:
            # Without a marker in the text, the exact text is what the reconciler looks for.
            state["text_sha256"] = _sha(text)
        # Either way the lease is checked before the post goes visible.
        request.checkpoint(state)
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
            try:
                body = self._call(
                    "GET", f"/2/users/{self.user_id}/tweets", effectful=False, params=params
                )
            except PermissionDenied:
                # 403 on a read the token may make: the app's tier has no read access. Nothing
                # can prove absence, so the reconciler hands the delivery to a person.
                self.searchable = False
                return None
            for post in body.get("data") or []:
                if not isinstance(post, dict):
                    continue
                text = str(post.get("text", ""))
                if has_marker(text, marker) or (text_sha and _sha(text) == text_sha):
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
