"""Instagram's spec. Sources: Graph API content publishing (JPEG only, 4:5 to 1.91:1, 320-1440 px
wide, 8 MB; carousels of up to 10 items, photos and videos mixed; REELS video MP4/MOV, 300 MB,
15 minutes; caption 2,200 characters, 20 @-mentions, hashtags capped by settings)."""

from __future__ import annotations

from publisher.media.limits import MB, MP4, MediaLimits
from publisher.platforms.base import Platform
from publisher.platforms.instagram.adapter import (
    CAPTION_LIMIT,
    CAROUSEL_MAX,
    INSTAGRAM_ERRORS,
    InstagramPlatform,
)
from publisher.platforms.meta.graph import DEFAULT_GRAPH
from publisher.platforms.meta.tokens import PageTokenKeeper
from publisher.platforms.spec import AdapterInputs, CaptionLimits, CredentialModel, PlatformSpec


def build(inputs: AdapterInputs) -> Platform:
    creds = inputs.credentials
    return InstagramPlatform(
        inputs.client,
        str(creds["ig_user_id"]),
        str(creds["access_token"]),
        inputs.api_base,
        poll_interval_s=float(creds.get("poll_interval_s", 2.0)),
        app_secret=str(creds.get("app_secret") or ""),
        keeper=PageTokenKeeper(inputs.client, creds, inputs.store, inputs.api_base),
    )


SPEC = PlatformSpec(
    name="instagram",
    label="Instagram",
    caption=CaptionLimits(
        max_length=CAPTION_LIMIT, hashtag_cap=5, mention_cap=20, hashtag_cap_from_settings=True
    ),
    media=MediaLimits(
        min_items=1,
        max_items=CAROUSEL_MAX,
        photo_mimes=frozenset({"image/jpeg"}),
        video_mimes=MP4 | {"video/quicktime"},
        photo_max_bytes=8 * MB,
        video_max_bytes=300 * MB,
        video_max_seconds=15 * 60.0,
        min_aspect=4 / 5,
        max_aspect=1.91,
        # A single video goes out as REELS, whose specification takes 0.01:1 to 10:1 and
        # recommends 9:16, the shape of a phone held upright.
        video_aspect=(0.01, 10.0),
        target_width=1080,
        min_width=320,
        max_width=1440,
    ),
    credentials=CredentialModel(
        required=("ig_user_id", "access_token"),
        optional=(
            "api_base",
            "poll_interval_s",
            "app_secret",
            # Facebook Login connection: the Page whose token publishes, its expiry and the
            # long-lived user token it is asked for again with (meta/tokens.py).
            "page_id",
            "expires_at",
            "expires_in",
            "user_token",
            "user_token_expires_at",
        ),
        help="Kredensial Instagram belum lengkap (ig_user_id, access_token).",
    ),
    errors=INSTAGRAM_ERRORS,
    factory=build,
    api_base=DEFAULT_GRAPH,
    fake="publisher.platforms.meta.fake:FakeMetaGraph",
    public_rank=2,
    media_first=True,
)
