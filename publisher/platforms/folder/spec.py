"""The folder platform's spec: no HTTP, so no error table, credentials, API base or fake."""

from __future__ import annotations

from publisher.media.limits import MB, MediaLimits
from publisher.platforms.base import Platform
from publisher.platforms.folder.adapter import FolderPlatform
from publisher.platforms.spec import AdapterInputs, CaptionLimits, CredentialModel, PlatformSpec


def build(inputs: AdapterInputs) -> Platform:
    return FolderPlatform(inputs.settings.folder_platform_dir, inputs.handle)


# A dry run writes files: no limit worth enforcing beyond Facebook's caption length; the photo
# cap is generous (50 MB) and the long side kept at 4096 px so the files stay viewable.
SPEC = PlatformSpec(
    name="folder",
    label="Folder (uji coba)",
    caption=CaptionLimits(max_length=63_206),
    media=MediaLimits(
        max_items=10,
        photo_max_bytes=50 * MB,
        video_max_bytes=1024 * MB,
        video_max_seconds=24 * 3600.0,
        max_long_side=4096,
    ),
    credentials=CredentialModel(),
    errors=(),
    factory=build,
    public_rank=4,
)
