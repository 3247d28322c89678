"""The Meta Graph API client shared by the Facebook Page and Instagram adapters.

Errors arrive as ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``,
often with HTTP 400 even for an expired token (code 190). Rate limits (codes 4, 17, 32, 613,
80001, ...) come with ``X-Business-Use-Case-Usage`` / ``X-App-Usage`` headers whose
``estimated_time_to_regain_access`` (minutes) says when to try again. :data:`META_ERRORS` is
the table both adapters use; Instagram adds its own rows in front.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from publisher.core.clock import utcnow
from publisher.platforms.base import transport_error
from publisher.platforms.errors import ApiFailure, ErrorRule, classify
from publisher.platforms.meta.tokens import PageTokenKeeper, proof

DEFAULT_GRAPH = "https://graph.facebook.com/v21.0"


def video_host(api_base: str) -> str:
    """Meta's video host for an API base: Page Videos are uploaded to ``graph-video``."""
    return api_base.replace("://graph.", "://graph-video.", 1)


_RECONNECT = (
    "Token akses Meta kedaluwarsa atau dicabut (kode 190). Admin perlu login ulang lewat "
    "Facebook Login dan menyambungkan ulang akun; akun dijeda sampai itu dilakukan."
)
_PERMISSION = (
    "Token Meta tidak punya izin memposting (mis. pages_manage_posts / "
    "instagram_content_publish) atau peran di Halaman dicabut. Berikan izin lagi lalu lanjutkan "
    "akun."
)
_RATE = "Batas panggilan API Meta tercapai; pengiriman dijadwalkan ulang otomatis."

META_ERRORS: tuple[ErrorRule, ...] = (
    ErrorRule("needs_reconnect", _RECONNECT, code=190),
    ErrorRule("needs_reconnect", _RECONNECT, code=102),
    ErrorRule("permission", _PERMISSION, code=10),
    ErrorRule("permission", _PERMISSION, code=200),
    ErrorRule("permission", _PERMISSION, code=3),
    ErrorRule("rate_limited", _RATE, code=4),
    ErrorRule("rate_limited", _RATE, code=17),
    ErrorRule("rate_limited", _RATE, code=32),
    ErrorRule("rate_limited", _RATE, code=613),
    ErrorRule("rate_limited", _RATE, code=80001),
    ErrorRule(
        "rate_limited", "Batas kiriman Halaman per hari tercapai; dijadwalkan ulang.", code=341
    ),
    ErrorRule(
        "policy",
        "Meta memblokir sementara Halaman/akun karena pelanggaran kebijakan (kode 368). "
        "Periksa Kualitas Halaman di Meta Business Suite sebelum mengirim ulang.",
        code=368,
    ),
    ErrorRule(
        "duplicate",
        "Facebook menolak karena isi yang sama sudah pernah terbit (kode 506).",
        code=506,
    ),
    ErrorRule(
        "invalid",
        "Meta menolak berkas gambar (rusak atau format tidak didukung). Ganti medianya.",
        code=324,
    ),
    # Codes 1 and 2 are Meta's "unexpected / temporary" errors: server-side, outcome unclear.
    ErrorRule(
        "server", "Layanan Meta sedang bermasalah; sistem akan mengecek atau mencoba lagi.", code=1
    ),
    ErrorRule(
        "server", "Layanan Meta sedang bermasalah; sistem akan mengecek atau mencoba lagi.", code=2
    ),
    ErrorRule(
        "invalid",
        "Meta menolak permintaan ini (parameter tidak sah). Periksa isi kiriman.",
        code=100,
    ),
)


def _regain_minutes(headers: httpx.Headers) -> int | None:
    """The largest ``estimated_time_to_regain_access`` in Meta's usage headers, if any."""
    best: int | None = None
    for name in ("x-business-use-case-usage", "x-app-usage", "x-page-usage", "x-ad-account-usage"):
        raw = headers.get(name)
        if not raw:
            continue
        try:
            payload = json.loads(raw)
        except ValueError:
            continue
        entries: list[Any] = []
        if isinstance(payload, dict):
            for value in payload.values():
                entries.extend(value if isinstance(value, list) else [payload])
        for entry in entries:
            if isinstance(entry, dict):
                minutes = entry.get("estimated_time_to_regain_access")
                if isinstance(minutes, int | float) and minutes > 0:
                    best = max(best or 0, int(minutes))
    return best


def _rewound(files: dict[str, Any] | None) -> bool:
    """Rewind the open files of a request so it can be sent again; False if one cannot be."""
    for value in (files or {}).values():
        handle = value[1] if isinstance(value, tuple) and len(value) > 1 else value
        if not hasattr(handle, "seek"):
            return False
        handle.seek(0)
    return True


def next_cursor(body: dict[str, Any]) -> str:
    """The ``after`` cursor of a Graph list answer when there is a next page, else ""."""
    paging = body.get("paging")
    if not isinstance(paging, dict) or not paging.get("next"):
        return ""
    cursors = paging.get("cursors")
    return str(cursors.get("after") or "") if isinstance(cursors, dict) else ""


class GraphClient:
    def __init__(
        self,
        client: httpx.Client,
        token: str,
        api_base: str,
        platform: str,
        rules: tuple[ErrorRule, ...] = META_ERRORS,
        *,
        app_secret: str = "",
        keeper: PageTokenKeeper | None = None,
    ) -> None:
        self.client = client
        self.api_base = api_base.rstrip("/")
        self.platform = platform
        self.rules = rules
        self.app_secret = app_secret
        self.keeper = keeper or PageTokenKeeper(client, {"access_token": token}, None, api_base)

    @property
    def token(self) -> str:
        """The Page token to send now (renewed first when it is about to expire)."""
        return self.keeper.token()

    def call(
        self,
        method: str,
        path: str,
        *,
        effectful: bool,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        files: dict[str, Any] | None = None,
        api_base: str = "",
        _renewed: bool = False,
    ) -> dict[str, Any]:
        """One Graph call; ``api_base`` overrides the host (the video host for uploads)."""
        url = f"{(api_base or self.api_base).rstrip('/')}/{path.lstrip('/')}"
        token = self.token
        # The token goes in a header, never the URL: URLs end up in logs. The proof is a
        # keyed hash of it, not a credential by itself; Securing Graph API Requests: apps
        # that require it refuse calls without it.
        headers = {"Authorization": f"Bearer {token}"}
        if self.app_secret:
            params = {**(params or {}), "appsecret_proof": proof(self.app_secret, token)}
        try:
            response = self.client.request(
                method, url, params=params, data=data, files=files, headers=headers
            )
        except httpx.HTTPError as exc:
            raise transport_error(exc, self.platform, effectful=effectful) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code == 200 and isinstance(body, dict) and "error" not in body:
            return body
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        code = error.get("code")
        if code == 190 and not _renewed and self.keeper.can_refresh and _rewound(files):
            # Expired early (password change, clock skew, or lapsed in flight): the request
            # did not take effect, so it is made once more with a Page token asked for again.
            self.keeper.refresh()
            return self.call(
                method,
                path,
                effectful=effectful,
                params=params,
                data=data,
                files=files,
                api_base=api_base,
                _renewed=True,
            )
        subcode = error.get("error_subcode")
        minutes = _regain_minutes(response.headers)
        retry_at = utcnow() + timedelta(minutes=minutes) if minutes else None
        failure = ApiFailure(
            platform=self.platform,
            status=response.status_code,
            code=int(code) if isinstance(code, int) else None,
            subcode=int(subcode) if isinstance(subcode, int) else None,
            text=str(error.get("message") or f"HTTP {response.status_code}"),
            retry_at=retry_at,
        )
        raise classify(self.rules, failure, effectful=effectful)

    def expiry_warning(self, *, warn_days: int = 7) -> str:
        """Ask ``debug_token`` when this token expires: a warning (Indonesian) when that is
        within ``warn_days``, "" when it never expires or later; an invalid token raises."""
        token = self.token
        body = self.call("GET", "debug_token", effectful=False, params={"input_token": token})
        data = body.get("data")
        data = data if isinstance(data, dict) else {}
        if data.get("is_valid") is False:
            raise classify(
                self.rules,
                ApiFailure(self.platform, 400, code=190, text="debug_token: is_valid false"),
                effectful=False,
            )
        expires = data.get("expires_at")
        if self.keeper.can_refresh:
            # The Page token is asked for again before it lapses; what ends the connection is
            # the long-lived user token it is asked for with (about 60 days, no server renewal).
            expires = self.keeper.user_token_expires_at()
        if not isinstance(expires, int) or expires <= 0:
            return ""
        left = datetime.fromtimestamp(expires, tz=UTC) - utcnow()
        if left > timedelta(days=warn_days):
            return ""
        day = datetime.fromtimestamp(expires, tz=UTC).strftime("%d-%m-%Y %H:%M UTC")
        return (
            f"Peringatan: token Meta berakhir {day} ({max(0, left.days)} hari lagi). "
            "Sambungkan ulang akun (token Halaman jangka panjang) sebelum itu."
        )
