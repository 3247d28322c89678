"""X's spec. Sources: API v2 ``POST /2/tweets`` (280 weighted characters, twitter-text v3; up to
4 media, photos or one video, not both), media upload (images 5 MB, videos 512 MB, 140 s).

The aspect range (1:3 to 3:1) is not an X limit (the API takes any ratio): it is our framing,
so a reporter's panorama is cropped or padded by us rather than cut by the timeline."""

from __future__ import annotations

from publisher.media.limits import MB, MediaLimits
from publisher.platforms.base import Platform
from publisher.platforms.spec import AdapterInputs, CaptionLimits, CredentialModel, PlatformSpec
from publisher.platforms.x.adapter import DEFAULT_API, MAX_MEDIA, TEXT_LIMIT, X_ERRORS, XPlatform
from publisher.platforms.x.oauth import TokenKeeper


def build(inputs: AdapterInputs) -> Platform:
    creds = inputs.credentials
    return XPlatform(
        inputs.client,
        str(creds["access_token"]),
        str(creds["user_id"]),
        str(creds.get("username") or inputs.handle),
        inputs.api_base,
        read_access=str(creds.get("read_access", "true")).lower() != "false",
        keeper=TokenKeeper(inputs.client, creds, inputs.store),
    )


SPEC = PlatformSpec(
    name="x",
    label="X",
    caption=CaptionLimits(max_length=TEXT_LIMIT, counting="x_weighted"),
    media=MediaLimits(
        max_items=MAX_MEDIA,
        mixed=False,
        max_videos=1,  # "up to 4 photos, or 1 video" (media.media_ids)
        photo_max_bytes=5 * MB,
        video_max_bytes=512 * MB,
        video_max_seconds=140.0,
        min_aspect=1 / 3,
        max_aspect=3.0,
        max_long_side=2048,
    ),
    credentials=CredentialModel(
        required=("access_token", "user_id"),
        optional=(
            "username",
            "api_base",
            "read_access",
            # OAuth 2.0 (PKCE) connection: renewed before expiry, rotated on each refresh.
            "refresh_token",
            "expires_at",
            "client_id",
            "client_secret",
            "token_url",
        ),
        help="Kredensial X belum lengkap (access_token, user_id).",
    ),
    errors=X_ERRORS,
    factory=build,
    api_base=DEFAULT_API,
    fake="publisher.platforms.x.fake:FakeX",
    public_rank=3,
)
