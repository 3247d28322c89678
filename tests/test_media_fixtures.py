"""Every file in ../shared/fixtures/media/ is handled: hostile ones rejected with a reason,
the rest accepted, upright and metadata-free (see SOURCES.md there for what each file is)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from publisher.core.errors import MediaRejected
from publisher.media import mp4box, sanitize
from publisher.media.photo import jpeg_metadata_segments
from publisher.media.video import count_frames, probe_video

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
MEDIA = SHARED / "fixtures" / "media"

# malformed/ holds hostile, broken, *mislabelled* and polyglot files. Broken ones are rejected,
# including those that decode but are damaged (an EXIF block that does not parse, a HEIF cut off
# before its second image). Four are whole, valid photos that SOURCES.md says to handle by
# content: two named for another format, one with no extension, and a Pixel motion photo (the
# same kind of file as the Samsung one in orientation/, which must be accepted). They are
# accepted and cleaned, and carry a reason that says what was noticed.
MALFORMED_ACCEPTED = {
    "wrongext_heic_named.jpg": ((1440, 1440), "the name says .jpg but the content is HEIF"),
    "wrongext_jpeg_named.png": ((240, 180), "the name says .png but the content is JPEG"),
    "noext_jpeg_airport_grey": ((640, 480), "the name has no extension"),
    "polyglot_jpeg_plus_mp4_pixel4xl_ori6.jpg": (
        (3024, 4032),
        "appended after the image: vendor data holding an MP4 video",
    ),
}
MALFORMED_REJECTED = {
    "bomb_65536x65536.png": "decompression bomb",
    "bomb_280mp_giant-image.jpg": "decompression bomb",
    "pillow_decompression_bomb.gif": "content is not",
    "pillow_decompression_bomb_extents.gif": "content is not",
    "pillow_png_ztxt_dos.png": "not a readable photo",
    "pillow_truncated_jpeg.jpg": "not a readable photo",
    "pillow_truncated_image.png": "not a readable photo",
    "pillow_broken.png": "not a readable photo",
    "pillow_empty_gps_ifd.jpg": "minimum side",
    "pillow_multiple_exif.jpg": "minimum side",
    "pillow_invalid-exif.jpg": "EXIF block is damaged (1118 bytes, no tag parses)",
    "pillow_exif_gps_typeerror.jpg": "EXIF block is damaged (the GPS IFD pointer is not an offset)",
    "pillow_oom.tif": "content is not",
    "sharp_truncated.jpg": "not a readable photo",
    "sharp_corrupt-header.jpg": "not a readable photo",
    "skimage_truncated.jpg": "not a readable photo",
    "heif_truncated.heic": "file is cut off: the data of HEIF item(s) 2 lies past the end",
    "heif_corrupted.heic": "not a readable photo",
    "heif_empty.heic": "content is not",
    "libheif_fuzz_github_15.heic": "content is not",
    "libheif_fuzz_clap-overflow-divide-zero.heic": "file is cut off",
    "libheif_fuzz_crash-20ca2625.heic": "not a readable photo",
    "mp4_malformed_free_box.mp4": "not a readable video",
    "polyglot_jpg_mp3_jpgmp3.mp3": "minimum side",
}
# Upright (display) sizes of the videos; rotated clips are remuxed with their display matrix
# or transcoded with the rotation applied, either way these are what a viewer sees.
VIDEO_DISPLAY = {
    "iphone_h264_rot90_gps_iphone_rotated.mov": (320, 568),
    "iphone14pro_hevc10_dolbyvision_rot90_gps.mov": (720, 1280),
    "android_hevc_rot90_gps_metadata_track.mp4": (1080, 1920),
    "android_h264_4k60_portrait_rot90.mp4": (1080, 1920),
    "pixel7_h264_rot180_videoonly.mp4": (1920, 1080),
    "android_slow_motion_240fps.mp4": (1280, 720),
    "h264_rotate_and_reflect.mp4": (720, 1080),
    "av1_tiny.mp4": (64, 64),
}


def _files(folder: str) -> list[Path]:
    root = MEDIA / folder
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_file())


def _require(folder: str) -> None:
    if not (MEDIA / folder).is_dir():
        pytest.skip(f"shared media fixtures not found at {MEDIA / folder}")


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def _assert_clean_photo(data: bytes) -> Image.Image:
    assert jpeg_metadata_segments(data) == []
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert image.getexif() == {}
    assert not {"exif", "xmp", "comment", "icc_profile", "XML:com.adobe.xmp"} & set(image.info)
    return image


def test_the_expectation_table_covers_every_malformed_file() -> None:
    _require("malformed")
    names = {p.name for p in _files("malformed")}
    assert names == set(MALFORMED_ACCEPTED) | set(MALFORMED_REJECTED)


@pytest.mark.timeout(20)
@pytest.mark.parametrize("path", _files("malformed"), ids=_ids(_files("malformed")))
def test_each_malformed_file_is_rejected_with_a_reason_or_cleaned_by_content(path: Path) -> None:
    data = path.read_bytes()
    if path.name in MALFORMED_REJECTED:
        with pytest.raises(MediaRejected) as caught:
            sanitize(data, blur_faces=False, name=path.name)
        assert MALFORMED_REJECTED[path.name] in caught.value.reason
        assert caught.value.user_message
    else:
        result = sanitize(data, blur_faces=False, name=path.name)
        image = _assert_clean_photo(result.data)
        size, note = MALFORMED_ACCEPTED[path.name]
        assert image.size == size
        assert any(note in n for n in result.notes), result.notes


def test_bombs_are_rejected_before_any_pixel_is_decoded() -> None:
    _require("malformed")
    import time

    for name in ("bomb_65536x65536.png", "bomb_280mp_giant-image.jpg"):
        started = time.perf_counter()
        with pytest.raises(MediaRejected):
            sanitize((MEDIA / "malformed" / name).read_bytes())
        assert time.perf_counter() - started < 0.5


PHOTO_FOLDERS = [p for folder in ("exif_gps", "heic", "faces") for p in _files(folder)]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("path", PHOTO_FOLDERS, ids=_ids(PHOTO_FOLDERS))
def test_each_phone_and_camera_photo_is_accepted_without_any_metadata(path: Path) -> None:
    result = sanitize(path.read_bytes(), blur_faces=False)
    image = _assert_clean_photo(result.data)
    assert (result.kind, result.mime, result.suffix) == ("photo", "image/jpeg", ".jpg")
    assert image.size == (result.width, result.height)
    assert b"Exif\x00\x00" not in result.data and b"http://ns.adobe.com/xap" not in result.data


def _expected_orientation_size(name: str) -> tuple[int, int]:
    if name.startswith("Landscape"):
        return (1800, 1200)
    if name.startswith("Portrait"):
        return (1200, 1800)
    return (3000, 4000)  # the Samsung S20 Ultra motion photo, stored 4000x3000 with Orientation=6


@pytest.mark.timeout(30)
@pytest.mark.parametrize("path", _files("orientation"), ids=_ids(_files("orientation")))
def test_each_orientation_sample_comes_out_upright_at_its_expected_size(path: Path) -> None:
    result = sanitize(path.read_bytes(), blur_faces=False)
    _assert_clean_photo(result.data)
    assert (result.width, result.height) == _expected_orientation_size(path.name)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("family", ["Landscape", "Portrait"])
def test_all_eight_orientations_give_the_same_upright_picture(family: str) -> None:
    _require("orientation")
    reference = None
    for value in range(0, 9):
        result = sanitize(
            (MEDIA / "orientation" / f"{family}_{value}.jpg").read_bytes(), blur_faces=False
        )
        small = Image.open(io.BytesIO(result.data)).convert("L").resize((48, 48))
        if reference is None:
            reference = small
            continue
        difference = ImageStat.Stat(ImageChops.difference(reference, small)).mean[0]
        assert difference < 12, (
            f"{family}_{value} is not upright (mean difference {difference:.1f})"
        )


VIDEOS = _files("video")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("path", VIDEOS, ids=_ids(VIDEOS))
def test_each_phone_video_is_accepted_upright_with_all_frames_and_no_metadata(path: Path) -> None:
    data = path.read_bytes()
    result = sanitize(data, blur_faces=False)
    assert (result.kind, result.mime, result.suffix) == ("video", "video/mp4", ".mp4")
    assert (result.width, result.height) == VIDEO_DISPLAY[path.name]
    assert mp4box.metadata_boxes(result.data) == []
    assert mp4box.is_faststart(result.data)
    assert not mp4box.has_edit_list(result.data)
    assert count_frames(result.data) == count_frames(data)  # flush packets were decoded
    probe = probe_video(result.data)
    assert not probe.mirrored
    for needle in (b"\xa9xyz", b"location", b"com.apple", b"com.android", b"iPhone"):
        assert needle not in result.data
