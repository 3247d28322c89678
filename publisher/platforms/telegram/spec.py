"""Telegram's spec. Sources: Bot API ``sendPhoto`` (10 MB, width + height <= 10000, ratio at
most 20, caption 0-1024 characters after entity parsing), ``sendVideo`` (50 MB for bots),
``sendMediaGroup`` (2-10 items, photos and videos mixed)."""

from __future__ import annotations

from publisher.media.limits import MB, MediaLimits
from publisher.platforms.base import Platform
from publisher.platforms.spec import AdapterInputs, CaptionLimits, CredentialModel, PlatformSpec
from publisher.platforms.telegram.adapter import (
    CAPTION_LIMIT,
    DEFAULT_API,
    ERRORS,
    MEDIA_GROUP_MAX,
    TelegramPlatform,
)


def build(inputs: AdapterInputs) -> Platform:
    creds = inputs.credentials
    return TelegramPlatform(
        inputs.client, str(creds["bot_token"]), str(creds["chat_id"]), inputs.api_base
    )


SPEC = PlatformSpec(
    name="telegram",
    label="Telegram",
    caption=CaptionLimits(max_length=CAPTION_LIMIT, counting="telegram"),
    media=MediaLimits(
        max_items=MEDIA_GROUP_MAX,
        photo_max_bytes=10 * MB,
        video_max_bytes=50 * MB,
        video_max_seconds=24 * 3600.0,
        min_aspect=1 / 20,
        max_aspect=20.0,
        max_long_side=2560,
        max_side_sum=10_000,
    ),
    credentials=CredentialModel(
        required=("bot_token", "chat_id"),
        optional=("api_base",),
        help="Kredensial Telegram belum lengkap (bot_token, chat_id).",
    ),
    errors=ERRORS,
    factory=build,
    api_base=DEFAULT_API,
    fake="publisher.platforms.telegram.fake:FakeTelegram",
    public_rank=1,
)
