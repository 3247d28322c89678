"""The kentongan's spec: every piece a platform needs, registered by the test at run time."""

from __future__ import annotations

from pathlib import Path

from publisher.media.limits import MB, MediaLimits
from publisher.platforms.base import Platform
from publisher.platforms.spec import AdapterInputs, CaptionLimits, CredentialModel, PlatformSpec
from tests.throwaway_platform.adapter import MAX_ITEMS, MAX_LENGTH, KentonganPlatform


def build(inputs: AdapterInputs) -> Platform:
    return KentonganPlatform(Path(str(inputs.credentials["outbox_dir"])))


SPEC = PlatformSpec(
    name="kentongan",
    label="Kentongan (uji)",
    caption=CaptionLimits(max_length=MAX_LENGTH),
    # Small renditions, so the test can see that drafting used this spec's limits.
    media=MediaLimits(
        max_items=MAX_ITEMS,
        photo_max_bytes=1 * MB,
        video_max_bytes=10 * MB,
        video_max_seconds=60.0,
        max_long_side=640,
    ),
    credentials=CredentialModel(
        required=("outbox_dir",),
        help="Kredensial kentongan belum lengkap (outbox_dir).",
    ),
    errors=(),
    factory=build,
    templates="folder",  # its posts read like the dry-run folder's
)
