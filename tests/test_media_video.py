"""Video sanitising on clips generated here: remux when conformant (faststart, no edit list,
rotation kept as the only transform), transcode otherwise (rotation applied), no lost frames."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from publisher.core.errors import MediaRejected
from publisher.media import VideoLimits, mp4box, sanitize
from publisher.media.video import count_frames, iter_keyframes, probe_video

ROT90_CLOCKWISE = (0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)
MIRROR = (-0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def _clip(
    *, codec: str = "libx264", size: tuple[int, int] = (320, 240), frames: int = 30,
    rate: int = 30, audio: bool = True, matrix: tuple[int, ...] | None = None,
) -> bytes:  # fmt: skip
    """A clip whose frames have a red top-left quadrant; moov at the end (no faststart)."""
    w, h = size
    picture = np.zeros((h, w, 3), dtype=np.uint8)
    picture[:, :] = (0, 0, 200)
    picture[: h // 2, : w // 2] = (230, 0, 0)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        video = container.add_stream(codec, rate=Fraction(rate))
        video.width, video.height, video.pix_fmt = w, h, "yuv420p"
        sound = container.add_stream("aac", rate=48000) if audio else None
        for index in range(frames):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = index
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if sound is not None:
            silence = np.zeros((1, 1024), dtype=np.float32)
            for index in range(frames * 48000 // rate // 1024):
                chunk = av.AudioFrame.from_ndarray(silence, format="fltp", layout="mono")
                chunk.sample_rate, chunk.pts = 48000, index * 1024
                container.mux(sound.encode(chunk))
            container.mux(sound.encode(None))
    data = buffer.getvalue()
    return mp4box.write_video_matrix(data, matrix) if matrix else data


def _first_frame(mp4: bytes) -> np.ndarray:
    with av.open(io.BytesIO(mp4)) as container:
        frame = next(container.decode(container.streams.video[0]))
        return frame.to_ndarray(format="rgb24")


def test_a_conformant_clip_is_remuxed_faststart_without_edit_lists_and_keeps_every_frame() -> None:
    source = _clip()
    assert not mp4box.is_faststart(source)
    result = sanitize(source)
    assert result.actions == ("remuxed",)
    assert mp4box.is_faststart(result.data) and not mp4box.has_edit_list(result.data)
    assert count_frames(result.data) == count_frames(source) == 30
    assert mp4box.metadata_boxes(result.data) == []


def test_a_rotated_conformant_clip_keeps_its_rotation_as_the_only_transform() -> None:
    result = sanitize(_clip(matrix=ROT90_CLOCKWISE))
    assert result.actions == ("remuxed",)
    assert (result.width, result.height) == (240, 320)
    assert probe_video(result.data).rotation == 90
    # The viewer turns it: the keyframe sampler (which applies the matrix) sees red top-right.
    _, upright = next(iter_keyframes(result.data))
    pixels = np.asarray(upright)
    assert pixels[5, -5, 0] > 180 and pixels[5, 5, 0] < 80


def test_a_non_h264_clip_is_transcoded_with_every_frame_including_the_last() -> None:
    source = _clip(codec="mpeg4", frames=47)
    result = sanitize(source)
    assert result.actions[0].startswith("transcoded:codec:mpeg4")
    assert count_frames(result.data) == 47  # the decoder's flush packets were decoded
    with av.open(io.BytesIO(result.data)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.streams.audio[0].codec_context.name == "aac"


def test_a_mirrored_clip_is_transcoded_with_the_transform_applied_to_the_pixels() -> None:
    result = sanitize(_clip(matrix=MIRROR, audio=False))
    assert result.actions == ("transcoded:mirrored",)
    assert probe_video(result.data).matrix is None
    pixels = _first_frame(result.data)
    assert pixels[5, -5, 0] > 180 and pixels[5, 5, 0] < 80  # red moved from left to right


def test_a_rotated_clip_that_must_be_transcoded_is_turned_upright() -> None:
    result = sanitize(_clip(codec="mpeg4", matrix=ROT90_CLOCKWISE, audio=False))
    assert (result.width, result.height) == (240, 320)
    assert probe_video(result.data).matrix is None
    pixels = _first_frame(result.data)
    assert pixels.shape[:2] == (320, 240)
    assert pixels[5, -5, 0] > 180 and pixels[5, 5, 0] < 80


def test_an_oversized_clip_is_scaled_into_1080p() -> None:
    result = sanitize(_clip(size=(2560, 1440), frames=3, audio=False))
    assert result.actions[0].startswith("transcoded:size")
    assert (result.width, result.height) == (1920, 1080)


def test_clips_over_the_caps_are_rejected_before_decoding() -> None:
    source = _clip(frames=60)
    with pytest.raises(MediaRejected, match="duration"):
        sanitize(source, video_limits=VideoLimits(max_duration_s=1.0))
    with pytest.raises(MediaRejected, match="pixel cap"):
        sanitize(source, video_limits=VideoLimits(max_coded_pixels=320 * 200))
    with pytest.raises(MediaRejected, match="fps"):
        sanitize(source, video_limits=VideoLimits(max_fps=24))


def test_a_truncated_clip_is_rejected_not_crashed() -> None:
    source = _clip()
    with pytest.raises(MediaRejected):
        sanitize(source[: len(source) // 3])


FACES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "media" / "faces"
FACE_CLIP_SIZE = (640, 360)
FACE_SIDE = 150


def _face_clip(frames: int = 60) -> tuple[bytes, list[tuple[int, int]]]:
    """A compliant phone-like clip (H.264 4:2:0, AAC) of the astronaut's head moving slowly
    across a gradient; returns the clip and the face's top-left corner in each frame."""
    from PIL import Image

    if not FACES.is_dir():
        pytest.skip(f"shared face fixtures not found at {FACES}")
    head = Image.open(FACES / "astronaut.png").convert("RGB").crop((150, 40, 300, 190))
    w, h = FACE_CLIP_SIZE
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :, None]
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    background = (60 + 120 * x + 50 * y + np.zeros((1, 1, 3), np.float32)).astype(np.uint8)
    corners = []
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        video = container.add_stream("libx264", rate=Fraction(30), options={"crf": "18"})
        video.width, video.height, video.pix_fmt = w, h, "yuv420p"
        for index in range(frames):
            picture = Image.fromarray(background.copy())
            corner = (120 + 3 * index, 100 + index // 2)
            picture.paste(head, corner)
            corners.append(corner)
            frame = av.VideoFrame.from_ndarray(np.asarray(picture), format="rgb24")
            frame.pts = index
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
    return buffer.getvalue(), corners


def _frames(mp4: bytes) -> list[np.ndarray]:
    with av.open(io.BytesIO(mp4)) as container:
        return [f.to_ndarray(format="rgb24").astype(np.int16) for f in container.decode(video=0)]


@pytest.mark.slow
def test_a_phone_clip_with_a_face_is_published_with_the_face_blurred_in_every_frame() -> None:
    source, corners = _face_clip()
    assert probe_video(source).remux_blockers() == []  # it would have been remuxed
    result = sanitize(source)
    assert result.actions[0] == "transcoded:faces" and "faces_blurred" in result.actions
    assert result.held_for_review and result.video_faces
    assert mp4box.metadata_boxes(result.data) == [] and mp4box.is_faststart(result.data)
    before, after = _frames(source), _frames(result.data)
    assert len(after) == len(before) == len(corners)
    for index, ((x, y), original, blurred) in enumerate(zip(corners, before, after, strict=True)):
        # The face itself (eyes, nose, mouth) sits in the middle of the pasted head.
        face = (slice(y + 30, y + 120), slice(x + 30, x + 120))
        changed = np.abs(original[face] - blurred[face]).mean()
        assert changed > 12, f"frame {index}: face barely changed ({changed:.1f})"
        # Everything away from the head (its box padded for tracking) is untouched.
        outside = np.ones(original.shape[:2], dtype=bool)
        outside[max(0, y - 60) : y + FACE_SIDE + 60, max(0, x - 60) : x + FACE_SIDE + 60] = False
        noise = np.abs(original - blurred)[outside].mean()
        assert noise < 3, f"frame {index}: background changed ({noise:.1f})"


def _small_face_clip(
    size: tuple[int, int], face_share: float, seconds: int, appears_at_s: int = 0
) -> bytes:
    """A phone-sized clip (a keyframe a second, as phones write them) with the astronaut's
    head still in one corner from ``appears_at_s`` on, the face ``face_share`` of the frame
    high; before that the same view without it."""
    from PIL import Image

    if not FACES.is_dir():
        pytest.skip(f"shared face fixtures not found at {FACES}")
    w, h = size
    side = round(h * face_share / 0.62)  # the face is about 62 % of this head crop
    head = Image.open(FACES / "astronaut.png").convert("RGB").crop((150, 40, 300, 190))
    head = head.resize((side, side), Image.Resampling.LANCZOS)
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :, None]
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    picture = Image.fromarray((60 + 120 * x + 50 * y + np.zeros((1, 1, 3))).astype(np.uint8))
    empty = np.asarray(picture).copy()
    picture.paste(head, (w - side - w // 8, h // 5))
    pixels = np.asarray(picture)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        video = container.add_stream(
            "libx264", rate=Fraction(30), options={"preset": "ultrafast", "g": "30"}
        )
        video.width, video.height, video.pix_fmt = w, h, "yuv420p"
        for index in range(seconds * 30):
            shown = pixels if index >= appears_at_s * 30 else empty
            frame = av.VideoFrame.from_ndarray(shown, format="rgb24")
            frame.pts = index
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
    return buffer.getvalue()


def test_a_face_a_tenth_of_a_1080p_frame_high_is_found_by_the_keyframe_sampler() -> None:
    from publisher.media.video import sample_faces

    clip = _small_face_clip((1920, 1080), 0.1, 3)
    hits = list(sample_faces(clip))
    assert hits, "the sampler missed a face 108 px high in a 1080p clip"
    side = round(108 / 0.62)
    x, y = 1920 - side - 1920 // 8, 1080 // 5
    cx, cy = x + side / 2, y + side / 2
    assert any(b.x <= cx <= b.x + b.width and b.y <= cy <= b.y + b.height for b in hits[0].boxes)


@pytest.mark.slow
def test_a_small_face_in_a_720p_clip_is_blurred_and_the_clip_held() -> None:
    clip = _small_face_clip((1280, 720), 0.1, 2)
    result = sanitize(clip)
    assert "faces_blurred" in result.actions and result.held_for_review
    side = round(72 / 0.62)
    x, y = 1280 - side - 1280 // 8, 720 // 5
    face = (slice(y + side // 4, y + 3 * side // 4), slice(x + side // 4, x + 3 * side // 4))
    for index, (original, blurred) in enumerate(
        zip(_frames(clip), _frames(result.data), strict=True)
    ):
        changed = np.abs(original[face] - blurred[face]).mean()
        assert changed > 8, f"frame {index}: face barely changed ({changed:.1f})"


def test_keyframes_are_sampled_every_two_seconds_then_every_four_over_the_whole_clip() -> None:
    from publisher.media.video import FACE_SAMPLE_MAX, sample_interval

    assert sample_interval(0.0, 30.0) == 2.0 and sample_interval(9.9, 30.0) == 2.0
    assert sample_interval(10.0, 30.0) == 4.0
    # A five-minute clip is spread over its whole length, not its first minute.
    assert sample_interval(0.0, 300.0) * FACE_SAMPLE_MAX == 300.0


def test_a_clip_without_faces_is_still_remuxed_after_sampling() -> None:
    clip = _clip()
    result = sanitize(clip)
    assert result.actions == ("remuxed",) and not result.held_for_review


def test_a_face_that_walks_into_a_still_view_is_not_missed_by_the_same_view_shortcut() -> None:
    from publisher.media.video import sample_faces

    clip = _small_face_clip((1280, 720), 0.1, 5, appears_at_s=3)
    hits = list(sample_faces(clip))
    assert hits and hits[0].time_s >= 3.0, hits
