"""Face detection recall on the shared face fixtures, and what blurring does and keeps."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from publisher.core.errors import MediaRejected
from publisher.media import FaceBox, blur_faces, sanitize
from publisher.media.faces import detect_faces
from publisher.media.formats import sniff
from publisher.media.photo import decode_upright, jpeg_metadata_segments, open_photo

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FACES = SHARED / "fixtures" / "media" / "faces"

# Ground truth: face centres in upright pixels. The Curie boxes come from the files' own XMP
# face regions (MP:RegionInfo); the group and the astronaut were marked by hand.
GROUND_TRUTH: dict[str, list[tuple[int, int]]] = {
    "group_solvay_1927.jpg": [
        # back row, left to right
        (219, 345), (310, 376), (378, 400), (483, 395), (600, 402), (693, 380),
        (803, 385), (912, 382), (993, 379), (1063, 341), (1133, 380),
        # middle row
        (78, 462), (189, 479), (325, 467), (456, 467), (612, 457), (731, 462),
        (857, 467), (990, 474), (1115, 483),
        # front row
        (121, 507), (253, 515), (385, 510), (528, 515), (697, 506), (820, 506),
        (908, 506), (1066, 514), (1164, 529),
    ],
    "curies_portrait_xmp_regions.jpg": [(309, 215), (577, 168)],
    "curies_portrait_orientation6.jpg": [(309, 215), (577, 168)],
    "astronaut.png": [(224, 113)],
}  # fmt: skip
MIN_RECALL = 0.9


def _upright(name: str) -> Image.Image:
    data = (FACES / name).read_bytes()
    fmt = sniff(data)
    assert fmt is not None
    with open_photo(data, fmt) as opened:
        return decode_upright(opened)


def _hits(boxes: list[FaceBox], centres: list[tuple[int, int]]) -> int:
    return sum(
        any(b.x <= x <= b.x + b.width and b.y <= y <= b.y + b.height for b in boxes)
        for x, y in centres
    )


@pytest.fixture(scope="module")
def detections() -> dict[str, list[FaceBox]]:
    if not FACES.is_dir():
        pytest.skip(f"shared face fixtures not found at {FACES}")
    return {name: detect_faces(_upright(name)) for name in GROUND_TRUTH}


def test_recall_on_the_face_fixtures_is_at_least_ninety_percent(
    detections: dict[str, list[FaceBox]],
) -> None:
    found = sum(_hits(detections[n], centres) for n, centres in GROUND_TRUTH.items())
    total = sum(len(c) for c in GROUND_TRUTH.values())
    assert found / total >= MIN_RECALL, f"recall {found}/{total}"


def test_every_face_of_the_group_photo_is_found_without_extra_boxes(
    detections: dict[str, list[FaceBox]],
) -> None:
    boxes = detections["group_solvay_1927.jpg"]
    assert _hits(boxes, GROUND_TRUTH["group_solvay_1927.jpg"]) == 29
    assert len(boxes) <= 31


def test_the_sideways_stored_portrait_is_searched_after_it_is_turned_upright(
    detections: dict[str, list[FaceBox]],
) -> None:
    upright = detections["curies_portrait_xmp_regions.jpg"]
    sideways = detections["curies_portrait_orientation6.jpg"]
    assert _hits(sideways, GROUND_TRUTH["curies_portrait_orientation6.jpg"]) >= 1
    assert _hits(upright, GROUND_TRUTH["curies_portrait_xmp_regions.jpg"]) >= 1


def test_blurring_destroys_the_face_and_leaves_the_rest_of_the_picture_alone() -> None:
    if not FACES.is_dir():
        pytest.skip(f"shared face fixtures not found at {FACES}")
    data = (FACES / "astronaut.png").read_bytes()
    result = blur_faces(data)
    assert len(result.boxes) == 1
    assert jpeg_metadata_segments(result.data) == []
    original = np.asarray(_upright("astronaut.png"), dtype=np.int16)
    blurred = np.asarray(Image.open(io.BytesIO(result.data)).convert("RGB"), dtype=np.int16)
    box = result.boxes[0]
    inside = (slice(box.y, box.y + box.height), slice(box.x, box.x + box.width))
    # A mosaic wipes out the detail: local variation inside the box collapses.
    detail_before = np.abs(np.diff(original[inside], axis=1)).mean()
    detail_after = np.abs(np.diff(blurred[inside], axis=1)).mean()
    assert detail_after < detail_before / 3
    outside = np.ones(original.shape[:2], dtype=bool)
    outside[inside] = False
    assert np.abs(original - blurred)[outside].mean() < 4  # JPEG noise only


def test_sanitize_blurs_by_default_and_keeps_the_unblurred_original_with_the_boxes() -> None:
    if not FACES.is_dir():
        pytest.skip(f"shared face fixtures not found at {FACES}")
    data = (FACES / "astronaut.png").read_bytes()
    result = sanitize(data)
    assert len(result.face_boxes) == 1
    assert result.unblurred is not None and result.unblurred != result.data
    assert jpeg_metadata_segments(result.unblurred) == []
    plain = sanitize(data, blur_faces=False)
    assert plain.face_boxes == () and plain.unblurred is None


def test_a_photo_without_faces_is_returned_untouched_by_blur() -> None:
    image = Image.new("RGB", (320, 240), (90, 140, 200))
    out = io.BytesIO()
    image.save(out, "PNG")
    result = blur_faces(out.getvalue())
    assert result.boxes == ()


def test_blur_faces_rejects_a_file_that_is_not_a_photo() -> None:
    with pytest.raises(MediaRejected):
        blur_faces(b"not a photo at all")


@pytest.mark.slow
def test_the_detector_finds_at_least_95_percent_of_the_222_faces_of_the_evaluation_set() -> None:
    """The set is built by ``bench/face_eval.py`` from the public-domain face fixtures
    (sources and licences in bench/FACE_EVAL_SOURCES.md): real, crowd, tilted, profile and
    half-covered faces composited onto 12 MP street photos, plus empty scenes."""
    if not FACES.is_dir():
        pytest.skip(f"shared face fixtures not found at {FACES}")
    from bench.face_eval import build_set, evaluate, ssd

    scenes = build_set()
    table = evaluate(scenes, ssd)
    faces = sum(row["faces"] for row in table.values())
    found = sum(row["found"] for row in table.values())
    false = sum(row["false"] for row in table.values())
    assert faces >= 200
    assert found / faces >= 0.95, table
    assert false <= len(scenes), table  # at most one blurred patch of background a picture
    assert table["real"]["found"] == table["real"]["faces"]


def test_detection_never_upscales_a_small_photo_and_finds_the_face_in_it() -> None:
    if not FACES.is_dir():
        pytest.skip(f"shared face fixtures not found at {FACES}")
    from publisher.media.faces import _downscaled_rgb

    small = _upright("astronaut.png")
    pixels, scale = _downscaled_rgb(small, 768)
    assert scale == 1.0 and pixels.shape[:2] == (512, 512)
    assert _hits(detect_faces(small), GROUND_TRUTH["astronaut.png"]) == 1
