"""Facebook Page's spec. Sources: Graph API Page posts (63,206 characters), Page photos (JPEG,
PNG, WebP; under 4 MB for uploads), Page videos (1 GB, 240 minutes); photos and a video do not
share one post (``attached_media`` takes photos only), and ``POST /{page}/videos`` publishes one
video per post."""

from __future__ import annotations

from publisher.media.limits import MB, MediaLimits
from publisher.platforms.base import Platform
from publisher.platforms.facebook.adapter import FacebookPagePlatform
from publisher.platforms.meta.graph import DEFAULT_GRAPH, META_ERRORS
from publisher.platforms.meta.tokens import PageTokenKeeper
from publisher.platforms.spec import AdapterInputs, CaptionLimits, CredentialModel, PlatformSpec


def build(inputs: AdapterInputs) -> Platform:
    creds = inputs.credentials
    return FacebookPagePlatform(
        inputs.client,
        str(creds["page_id"]),
        str(creds["access_token"]),
        inputs.api_base,
        video_api_base=str(creds.get("video_api_base") or ""),
        app_secret=str(creds.get("app_secret") or ""),
        keeper=PageTokenKeeper(inputs.client, creds, inputs.store, inputs.api_base),
    )


SPEC = PlatformSpec(
    name="facebook",
    label="Facebook",
    caption=CaptionLimits(max_length=63_206),
    media=MediaLimits(
        max_items=10,
        mixed=False,
        max_videos=1,
        photo_max_bytes=4 * MB - 1,  # "under 4 MB"
        video_max_bytes=1024 * MB,
        video_max_seconds=240 * 60.0,
        max_long_side=2048,
    ),
    credentials=CredentialModel(
        required=("page_id", "access_token"),
        optional=(
            "api_base",
            "video_api_base",
            "app_secret",
            # Facebook Login connection: the Page token's expiry and the long-lived user
            # token it is asked for again with (publisher/platforms/meta/tokens.py).
            "expires_at",
            "expires_in",
            "user_token",
            "user_token_expires_at",
        ),
        help="Kredensial Facebook belum lengkap (page_id, access_token Halaman).",
    ),
    errors=META_ERRORS,
    factory=build,
    api_base=DEFAULT_GRAPH,
    fake="publisher.platforms.meta.fake:FakeMetaGraph",
    public_rank=0,
)
