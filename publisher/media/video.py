"""Probe, remux or transcode MP4/MOV uploads with PyAV, keeping no metadata.

* :func:`probe_video` reads the container with the single demuxer the sniffed format allows
  and enforces the caps (duration, resolution, frame rate) from the headers.
* A clip that already fits every platform (H.264 4:2:0 at most 1920x1080 and 60 fps, AAC or
  no audio, not mirrored) is *remuxed*: the compressed packets are copied into a fresh MP4 with
  ``movflags=+faststart`` (``moov`` first, as Instagram requires), ``use_editlist=0`` and
  ``fflags=+bitexact``; no container or stream tag is copied. Phone clips carry their rotation
  as a display matrix; it is written back as the only transform in the video track header.
* Anything else is *transcoded* (libx264 veryfast CRF 23, AAC 128 kb/s), with the rotation and
  any mirroring applied to the pixels so the output needs no transform at all.

Two PyAV pitfalls handled here: the final empty packets that ``demux`` yields are decoder flush
packets and must be decoded (skipping them drops the last frames), and PyAV never rotates
frames itself.

Faces: keyframes of the upload are sampled (at most one every 2 s, at most 30; decoded with
``skip_frame=NONKEY`` and scaled *down* to 512 px, never up) and run through the photo
detector. A clip where none shows a face takes the remux path as before. A clip with a
face is transcoded with every face blurred in every frame: the detector runs on every
``track_every``-th frame (about five times a second) while transcoding, the frames in between
are held back and get boxes interpolated between the two detections (a box seen at only one of
them is kept for the whole gap, so a face that appears or leaves is covered early and late
rather than missed), then each box is padded and mosaic-blurred like a photo's. Such a clip is
still ``held_for_review`` until a reviewer releases it with a reason
(:func:`publisher.review.actions.release_held_video`).
"""

from __future__ import annotations

import io
import math
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from PIL import Image

from publisher.core.errors import MediaRejected
from publisher.media import mp4box
from publisher.media.faces import (
    FaceBox,
    blur_array,
    detect_faces,
    detect_faces_array,
    pad_box,
)
from publisher.media.model import SanitizedMedia, VideoFaceHit


@dataclass(frozen=True)
class VideoLimits:
    """Caps checked from the headers before any frame is decoded."""

    max_duration_s: float = 300.0
    max_coded_pixels: int = 4096 * 2304
    max_fps: float = 240.0


DEFAULT_VIDEO_LIMITS = VideoLimits()
# Remux only what every target platform plays as is.
REMUX_VIDEO_CODECS = frozenset({"h264"})
REMUX_PIX_FMTS = frozenset({"yuv420p", "yuvj420p"})
REMUX_AUDIO_CODECS = frozenset({"aac"})
OUTPUT_LONG_SIDE = 1920
OUTPUT_SHORT_SIDE = 1080
OUTPUT_MAX_FPS = 60.0
# Phones report 60.06 fps for "60"; only real high-frame-rate clips are thinned.
FPS_SLACK = 1.0
X264_OPTIONS = {"preset": "veryfast", "crf": "23"}
AUDIO_BIT_RATE = 128_000
MUXER_OPTIONS = {"movflags": "+faststart", "use_editlist": "0", "fflags": "+bitexact"}
# Keyframe sampling decides between the remux path and the blurring transcode, so it runs on
# every clip and must stay cheap (issue 22: a compliant clip without faces at >= 50x real time
# by CPU). A keyframe is sampled every 2 s for the first 10 s, then every 4 s, and never more
# than 30 (spread over the whole clip). Only the sampled keyframes' packets are decoded
# (single-threaded), each scaled by swscale straight to 512 px and run through the detector
# at the photo confidence. 384 px would be cheaper (about 37 ms against 65 ms a sample), but
# on 1080p frames it found none of the faces a twentieth of the frame high where 512 px finds
# about a quarter (docs/performance.md): a face published unblurred
# costs more than a slower remux, so the larger input stays. A sample that looks
# like the last one detected on (every cell of a 32x18 thumbnail within SAME_SCENE_DIFF
# levels: a phone held still on a still scene) is not run through the detector again.
FACE_SAMPLE_EVERY_S = 2.0
FACE_SAMPLE_DENSE_S = 10.0
FACE_SAMPLE_LATER_EVERY_S = 4.0
FACE_SAMPLE_MAX = 30
FACE_SAMPLE_SIDE = 512  # iter_keyframes' default (tests, likeness of upright keyframes)
FACE_SCREEN_SIDE = 512
SAME_SCENE_THUMB = (32, 18)
SAME_SCENE_DIFF = 6  # grey levels, in every cell of the thumbnail
FACE_DETECT_SIDE = 768
# While blurring, detect about this often; the frames in between get interpolated boxes. At
# most TRACK_MAX_GAP frames are held back (each is a full RGB frame: 6 MB at 1080p).
TRACK_EVERY_S = 0.2
TRACK_MAX_GAP = 6
# Tracked boxes are padded more than a photo's: the face moves between two detections.
TRACK_PADDING = 0.35
DEMUXER = "mov"


@dataclass(frozen=True)
class VideoProbe:
    duration_s: float
    width: int  # coded (stored) size
    height: int
    codec: str
    pix_fmt: str
    fps: float
    matrix: tuple[int, ...] | None  # tkhd display matrix, None when identity or absent
    audio_codec: str | None
    audio_channels: int

    @property
    def rotation(self) -> int:
        """Clockwise degrees to turn the stored picture to display it (0, 90, 180, 270)."""
        if self.matrix is None:
            return 0
        a, b, *_ = self.matrix
        angle = math.degrees(math.atan2(b, a))  # QuickTime matrix: x' = a*x + c*y
        return round(angle / 90) % 4 * 90

    @property
    def mirrored(self) -> bool:
        if self.matrix is None:
            return False
        a, b, _, c, d, *_ = self.matrix
        return a * d - b * c < 0

    @property
    def display_size(self) -> tuple[int, int]:
        if self.rotation in (90, 270):
            return self.height, self.width
        return self.width, self.height

    def remux_blockers(self) -> list[str]:
        """Why this clip must be transcoded; empty when a remux is enough."""
        reasons: list[str] = []
        if self.codec not in REMUX_VIDEO_CODECS:
            reasons.append(f"codec:{self.codec}")
        if self.pix_fmt not in REMUX_PIX_FMTS:
            reasons.append(f"pix_fmt:{self.pix_fmt}")
        if (
            max(self.width, self.height) > OUTPUT_LONG_SIDE
            or min(self.width, self.height) > OUTPUT_SHORT_SIDE
        ):
            reasons.append(f"size:{self.width}x{self.height}")
        if self.fps > OUTPUT_MAX_FPS + FPS_SLACK:
            reasons.append(f"fps:{self.fps:.0f}")
        if self.audio_codec is not None and (
            self.audio_codec not in REMUX_AUDIO_CODECS or self.audio_channels > 2
        ):
            reasons.append(f"audio:{self.audio_codec}")
        if self.mirrored:
            reasons.append("mirrored")
        return reasons


def _open(data: bytes) -> Any:
    import av

    return av.open(io.BytesIO(data), mode="r", format=DEMUXER)


def probe_video(data: bytes, limits: VideoLimits = DEFAULT_VIDEO_LIMITS) -> VideoProbe:
    """Read the headers and enforce the caps; raises :class:`MediaRejected`."""
    with _open(data) as container:
        if not container.streams.video:
            raise MediaRejected("no video stream", "Video tidak berisi gambar.")
        video = container.streams.video[0]
        ctx = video.codec_context
        duration = _duration_s(container, video)
        width, height = int(ctx.width or 0), int(ctx.height or 0)
        rate = video.average_rate or video.guessed_rate or video.base_rate
        fps = float(rate) if rate else 0.0
        audio = container.streams.audio[0] if container.streams.audio else None
        probe = VideoProbe(
            duration_s=duration,
            width=width,
            height=height,
            codec=str(ctx.name),
            pix_fmt=str(ctx.format.name if ctx.format is not None else ""),
            fps=fps,
            matrix=_upload_matrix(data),
            audio_codec=str(audio.codec_context.name) if audio is not None else None,
            audio_channels=int(audio.codec_context.channels or 0) if audio is not None else 0,
        )
    _check_caps(probe, limits)
    return probe


def _duration_s(container: Any, video: Any) -> float:
    if container.duration:
        return float(container.duration) / 1_000_000
    if video.duration and video.time_base:
        return float(video.duration * video.time_base)
    return 0.0


def _upload_matrix(data: bytes) -> tuple[int, ...] | None:
    matrix = mp4box.read_video_matrix(data)
    if matrix is None or matrix[:2] + matrix[3:5] == (0x10000, 0, 0, 0x10000):
        return None
    return matrix


def _check_caps(p: VideoProbe, limits: VideoLimits) -> None:
    if p.width <= 0 or p.height <= 0:
        raise MediaRejected("video has no picture size", "Video tidak dapat dibaca.")
    if p.width * p.height > limits.max_coded_pixels:
        raise MediaRejected(
            f"{p.width}x{p.height} is over the {limits.max_coded_pixels} pixel cap",
            "Resolusi video terlalu besar (maksimal 4K).",
        )
    if not 0 < p.duration_s <= limits.max_duration_s:
        raise MediaRejected(
            f"duration {p.duration_s:.1f} s is outside (0, {limits.max_duration_s:.0f}] s",
            f"Durasi video maksimal {limits.max_duration_s:.0f} detik.",
        )
    if p.fps > limits.max_fps:
        raise MediaRejected(
            f"{p.fps:.0f} fps is over {limits.max_fps:.0f}", "Frame rate video terlalu tinggi."
        )
    if p.matrix is not None:
        a, b, _, c, d, *_ = p.matrix
        if not ((a == 0 and d == 0) or (b == 0 and c == 0)):
            raise MediaRejected(
                "display matrix is not a multiple of 90 degrees", "Orientasi video tidak didukung."
            )


def sanitize_video(
    data: bytes, *, blur_faces: bool = True, limits: VideoLimits = DEFAULT_VIDEO_LIMITS
) -> SanitizedMedia:
    """Probe, look for faces, then remux, transcode, or transcode with faces blurred."""
    probe = probe_video(data, limits)
    blockers = probe.remux_blockers()
    hits = tuple(sample_faces(data, probe)) if blur_faces else ()
    if hits:
        out, frames = transcode(data, probe, blur=True)
        actions: tuple[str, ...] = (
            "transcoded:" + ",".join([*blockers, "faces"]),
            f"faces_in_frames:{len(hits)}",
            "faces_blurred",
        )
    elif blockers:
        out, frames = transcode(data, probe)
        actions = ("transcoded:" + ",".join(blockers),)
    else:
        out, frames = remux(data, probe)
        actions = ("remuxed",)
    if frames == 0:
        raise MediaRejected("no decodable video frame", "Video tidak dapat dibaca.")
    width, height = output_display_size(out)
    if hits and (width, height) != probe.display_size:
        hits = tuple(_scale_hit(h, probe.display_size, (width, height)) for h in hits)
    return SanitizedMedia(
        kind="video",
        mime="video/mp4",
        suffix=".mp4",
        data=out,
        width=width,
        height=height,
        duration_s=round(probe.duration_s, 3),
        held_for_review=bool(hits),
        video_faces=hits,
        source_format="mp4",
        actions=actions,
    )


def blur_video_faces(data: bytes) -> tuple[bytes, bool]:
    """A stored (already sanitised) MP4 with every face blurred, and whether it had to be
    re-encoded for that: a clip in whose keyframes the detector sees no face comes back as is."""
    probe = probe_video(data)
    if next(sample_faces(data, probe), None) is None:
        return data, False
    out, frames = transcode(data, probe, blur=True)
    if frames == 0:
        raise MediaRejected("no decodable video frame", "Video tidak dapat dibaca.")
    return out, True


def _scale_hit(hit: VideoFaceHit, src: tuple[int, int], dst: tuple[int, int]) -> VideoFaceHit:
    sx, sy = dst[0] / src[0], dst[1] / src[1]
    boxes = tuple(
        FaceBox(round(b.x * sx), round(b.y * sy), round(b.width * sx), round(b.height * sy))
        for b in hit.boxes
    )
    return VideoFaceHit(time_s=hit.time_s, boxes=boxes)


def _tmp_mp4() -> str:
    fd, path = tempfile.mkstemp(suffix=".mp4", prefix="lapor-media-")
    os.close(fd)
    return path


def _read_and_remove(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    finally:
        os.unlink(path)


def remux(data: bytes, probe: VideoProbe) -> tuple[bytes, int]:
    """Copy the video and first audio stream's packets into a fresh faststart MP4."""
    import av

    path = _tmp_mp4()
    frames = 0
    try:
        with (
            _open(data) as src,
            av.open(path, mode="w", format="mp4", options=MUXER_OPTIONS) as dst,
        ):
            streams = [src.streams.video[0]]
            if probe.audio_codec is not None:
                streams.append(src.streams.audio[0])
            mapping = {s.index: dst.add_stream_from_template(s) for s in streams}
            for out_stream in mapping.values():
                out_stream.metadata.clear()
            for packet in src.demux(streams):
                if packet.dts is None:  # the flush packet: nothing to copy in a remux
                    continue
                if packet.stream.type == "video":
                    frames += 1
                packet.stream = mapping[packet.stream.index]
                dst.mux(packet)
    except BaseException:
        os.unlink(path)
        raise
    out = _read_and_remove(path)
    # Rotation is kept as the only transform: PyAV cannot set it, so it is written afterwards.
    out = mp4box.write_video_matrix(out, probe.matrix or mp4box.IDENTITY_MATRIX)
    _assert_clean(out)
    return out, frames


def _output_size(probe: VideoProbe) -> tuple[int, int]:
    """Even output size in display orientation, within 1920x1080 (either way round)."""
    w, h = probe.display_size
    long_cap, short_cap = OUTPUT_LONG_SIDE, OUTPUT_SHORT_SIDE
    cap_w, cap_h = (long_cap, short_cap) if w >= h else (short_cap, long_cap)
    scale = min(1.0, cap_w / w, cap_h / h)
    return max(2, int(w * scale) // 2 * 2), max(2, int(h * scale) // 2 * 2)


def _orient(pixels: np.ndarray[Any, Any], probe: VideoProbe) -> np.ndarray[Any, Any]:
    """Apply the display matrix to an RGB array (rows = y)."""
    if probe.matrix is None:
        return pixels
    a, b, _, c, d, *_ = probe.matrix
    # Map: display (x', y') = (a*x + c*y, b*x + d*y) up to translation.
    if b == 0 and c == 0:
        if a < 0:
            pixels = pixels[:, ::-1]
        if d < 0:
            pixels = pixels[::-1, :]
        return pixels
    transposed = pixels.transpose(1, 0, 2)  # now x' = y, y' = x
    if c < 0:
        transposed = transposed[:, ::-1]
    if b < 0:
        transposed = transposed[::-1, :]
    return transposed


def _prepare_frame(frame: Any, probe: VideoProbe, size: tuple[int, int]) -> Any:
    """Scale (and turn, when the clip has a display matrix) one decoded frame for the encoder."""
    import av

    if probe.matrix is None:
        # No transform: one swscale pass straight to the encoder's format.
        return frame.reformat(width=size[0], height=size[1], format="yuv420p")
    rgb = frame.reformat(width=size[0], height=size[1], format="rgb24").to_ndarray()
    return av.VideoFrame.from_ndarray(np.ascontiguousarray(_orient(rgb, probe)), format="rgb24")


class _FaceTracker:
    """Blur faces in a stream of upright RGB frames: detect every ``every`` frames, hold the
    frames in between back and give them boxes interpolated between the two detections."""

    def __init__(self, every: int, size: tuple[int, int]) -> None:
        self.every, self.size = every, size
        self.index = 0
        self.previous: list[FaceBox] = []
        self.pending: list[tuple[np.ndarray[Any, Any], int]] = []

    def push(self, rgb: np.ndarray[Any, Any], pts: int) -> list[tuple[np.ndarray[Any, Any], int]]:
        """Frames ready for the encoder (blurred, in order) after this one."""
        detect_now = self.index % self.every == 0
        self.index += 1
        if not detect_now:
            self.pending.append((rgb, pts))
            return []
        current = detect_faces(Image.fromarray(rgb), max_side=FACE_DETECT_SIDE)
        ready = self._release(current)
        self.previous = current
        blur_array(rgb, [pad_box(b, self.size, TRACK_PADDING) for b in current])
        ready.append((rgb, pts))
        return ready

    def flush(self) -> list[tuple[np.ndarray[Any, Any], int]]:
        return self._release(self.previous)

    def _release(self, current: list[FaceBox]) -> list[tuple[np.ndarray[Any, Any], int]]:
        gap = len(self.pending) + 1
        ready = []
        for step, (rgb, pts) in enumerate(self.pending, start=1):
            boxes = interpolate_boxes(self.previous, current, step / gap)
            blur_array(rgb, [pad_box(b, self.size, TRACK_PADDING) for b in boxes])
            ready.append((rgb, pts))
        self.pending = []
        return ready


def interpolate_boxes(before: list[FaceBox], after: list[FaceBox], t: float) -> list[FaceBox]:
    """Boxes at fraction ``t`` between two detections. A pair is the same face when the later
    box's centre is within one box size of the earlier one's; unpaired boxes are kept whole."""
    out: list[FaceBox] = []
    unpaired = list(after)
    for a in before:
        ax, ay = a.x + a.width / 2, a.y + a.height / 2
        near = [
            b
            for b in unpaired
            if abs(b.x + b.width / 2 - ax) <= max(a.width, b.width)
            and abs(b.y + b.height / 2 - ay) <= max(a.height, b.height)
        ]
        if not near:
            out.append(a)
            continue
        b = min(near, key=lambda c: abs(c.x - a.x) + abs(c.y - a.y))
        unpaired.remove(b)
        out.append(
            FaceBox(
                round(a.x + (b.x - a.x) * t),
                round(a.y + (b.y - a.y) * t),
                round(a.width + (b.width - a.width) * t),
                round(a.height + (b.height - a.height) * t),
            )
        )
    return out + unpaired


def transcode(data: bytes, probe: VideoProbe, *, blur: bool = False) -> tuple[bytes, int]:
    """Decode every frame (flush packets included), orient, scale and encode H.264/AAC; with
    ``blur``, every face is blurred in every frame (:class:`_FaceTracker`)."""
    import av

    out_w, out_h = _output_size(probe)
    # Scale in stored orientation first (cheaper), then turn.
    swapped = probe.rotation in (90, 270) or (probe.matrix is not None and probe.matrix[0] == 0)
    scaled_w, scaled_h = (out_h, out_w) if swapped else (out_w, out_h)
    rate = (
        Fraction(min(probe.fps, OUTPUT_MAX_FPS)).limit_denominator(1001)
        if probe.fps
        else Fraction(30)
    )
    path = _tmp_mp4()
    frames = 0
    try:
        with (
            _open(data) as src,
            av.open(path, mode="w", format="mp4", options=MUXER_OPTIONS) as dst,
        ):
            in_video = src.streams.video[0]
            in_audio = src.streams.audio[0] if probe.audio_codec is not None else None
            in_video.thread_type = "AUTO"
            out_video = dst.add_stream("libx264", rate=rate, options=dict(X264_OPTIONS))
            out_video.width, out_video.height = out_w, out_h
            out_video.pix_fmt = "yuv420p"
            out_video.time_base = in_video.time_base
            out_video.codec_context.time_base = in_video.time_base
            out_audio = resampler = None
            if in_audio is not None:
                sample_rate = int(in_audio.codec_context.sample_rate or 48000)
                layout = "mono" if probe.audio_channels == 1 else "stereo"
                out_audio = dst.add_stream("aac", rate=sample_rate)
                out_audio.layout = layout
                out_audio.bit_rate = AUDIO_BIT_RATE
                resampler = av.AudioResampler(format="fltp", layout=layout, rate=sample_rate)
            streams = [s for s in (in_video, in_audio) if s is not None]
            last_pts = -1
            min_step = 1
            if probe.fps > OUTPUT_MAX_FPS + FPS_SLACK and in_video.time_base:
                # Keep at most 60 frames a second (with 10 % slack for jittery timestamps).
                min_step = max(1, int(0.9 / (OUTPUT_MAX_FPS * in_video.time_base)))
            tracker = (
                _FaceTracker(
                    max(1, min(TRACK_MAX_GAP, round(float(rate) * TRACK_EVERY_S))),
                    (out_w, out_h),
                )
                if blur
                else None
            )

            def encode(picture: Any, pts: int) -> None:
                picture.pts, picture.time_base = pts, in_video.time_base
                dst.mux(out_video.encode(picture))

            for packet in src.demux(streams):
                # Flush packets (dts None) are decoded too: they drain the decoder's last frames.
                for frame in packet.decode():
                    if packet.stream.type == "video":
                        pts = frame.pts if frame.pts is not None else last_pts + min_step
                        if pts < last_pts + min_step:  # drop frames above 60 fps / out of order
                            continue
                        last_pts = pts
                        frames += 1
                        if tracker is None:
                            encode(_prepare_frame(frame, probe, (scaled_w, scaled_h)), pts)
                            continue
                        rgb = frame.reformat(width=scaled_w, height=scaled_h, format="rgb24")
                        upright_rgb = np.ascontiguousarray(_orient(rgb.to_ndarray(), probe))
                        for ready, ready_pts in tracker.push(upright_rgb, pts):
                            encode(av.VideoFrame.from_ndarray(ready, format="rgb24"), ready_pts)
                    elif out_audio is not None and resampler is not None:
                        frame.pts = None
                        for chunk in resampler.resample(frame):
                            dst.mux(out_audio.encode(chunk))
            if tracker is not None:
                for ready, ready_pts in tracker.flush():
                    encode(av.VideoFrame.from_ndarray(ready, format="rgb24"), ready_pts)
            dst.mux(out_video.encode(None))
            if out_audio is not None and resampler is not None:
                for chunk in resampler.resample(None):
                    dst.mux(out_audio.encode(chunk))
                dst.mux(out_audio.encode(None))
    except BaseException:
        os.unlink(path)
        raise
    out = _read_and_remove(path)
    _assert_clean(out)
    return out, frames


def _assert_clean(out: bytes) -> None:
    problems = mp4box.metadata_boxes(out)
    if not mp4box.is_faststart(out):
        problems.append("moov-after-mdat")
    if mp4box.has_edit_list(out):
        problems.append("edit-list")
    if problems:
        raise RuntimeError(f"remuxed output is not clean: {problems}")


def output_display_size(mp4: bytes) -> tuple[int, int]:
    with _open(mp4) as container:
        ctx = container.streams.video[0].codec_context
        w, h = int(ctx.width), int(ctx.height)
    matrix = mp4box.read_video_matrix(mp4)
    if matrix is not None and matrix[0] == 0:
        return h, w
    return w, h


def iter_keyframes(
    mp4: bytes, probe: VideoProbe | None = None, *, max_side: int = FACE_SAMPLE_SIDE
) -> Iterator[tuple[float, Image.Image]]:
    """Upright keyframes (as the viewer sees them), at most one per ``FACE_SAMPLE_EVERY_S``,
    scaled down to at most ``max_side`` pixels long (never up: detection needs no more)."""
    probe = probe or probe_video(mp4)
    with _open(mp4) as container:
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = "NONKEY"
        next_time = 0.0
        taken = 0
        for frame in container.decode(stream):
            t = float(frame.time or 0.0)
            if t + 1e-6 < next_time:
                continue
            scale = min(1.0, max_side / max(frame.width, frame.height))
            w, h = max(2, round(frame.width * scale)), max(2, round(frame.height * scale))
            rgb = frame.reformat(width=w, height=h, format="rgb24").to_ndarray()
            yield t, Image.fromarray(np.ascontiguousarray(_orient(rgb, probe)))
            taken += 1
            next_time = t + FACE_SAMPLE_EVERY_S
            if taken >= FACE_SAMPLE_MAX:
                return


def sample_interval(t: float, duration_s: float) -> float:
    """Seconds from a sample taken at ``t`` to the next one (see FACE_SAMPLE_EVERY_S)."""
    base = FACE_SAMPLE_EVERY_S if t < FACE_SAMPLE_DENSE_S else FACE_SAMPLE_LATER_EVERY_S
    return max(base, duration_s / FACE_SAMPLE_MAX)


def _sampled_keyframes(mp4: bytes, probe: VideoProbe) -> Iterator[tuple[float, Any]]:
    """The sampled keyframes as decoded frames, decoding only their own packets."""
    with _open(mp4) as container:
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = "NONKEY"
        stream.codec_context.thread_count = 1  # a few frames: threads only add CPU
        next_time, taken = 0.0, 0
        for packet in container.demux(stream):
            if packet.dts is not None:  # not the flush packet, which drains the decoder
                if not packet.is_keyframe or packet.pts is None or packet.time_base is None:
                    continue
                t = float(packet.pts * packet.time_base)
                if t + 1e-6 < next_time or taken >= FACE_SAMPLE_MAX:
                    continue
                next_time = t + sample_interval(t, probe.duration_s)
                taken += 1
            for frame in packet.decode():
                yield float(frame.time or 0.0), frame


def _frame_rgb(frame: Any, probe: VideoProbe, max_side: int) -> np.ndarray[Any, Any]:
    """An upright RGB array of ``frame`` at most ``max_side`` long, scaled by swscale."""
    scale = min(1.0, max_side / max(frame.width, frame.height))
    w, h = max(2, round(frame.width * scale)), max(2, round(frame.height * scale))
    rgb = frame.reformat(width=w, height=h, format="rgb24").to_ndarray()
    return np.ascontiguousarray(_orient(rgb, probe))


def sample_faces(mp4: bytes, probe: VideoProbe | None = None) -> Iterator[VideoFaceHit]:
    """Faces in the sampled keyframes, as padded boxes in the clip's upright display pixels."""
    import cv2

    probe = probe or probe_video(mp4)
    display = probe.display_size
    previous: tuple[np.ndarray[Any, Any], list[FaceBox]] | None = None
    for t, frame in _sampled_keyframes(mp4, probe):
        small = _frame_rgb(frame, probe, FACE_SCREEN_SIDE)
        thumb = cv2.resize(small, SAME_SCENE_THUMB, interpolation=cv2.INTER_AREA).astype(np.int16)
        # Compared with the last sample that was run through the detector (not the last
        # sample: a slow drift must not carry an old answer on), cell by cell: a face walking
        # into a still view changes a few cells by tens of levels and the mean hardly at all.
        if previous is not None and int(np.abs(thumb - previous[0]).max()) <= SAME_SCENE_DIFF:
            found = previous[1]  # the same view as before: the same answer
        else:
            found = detect_faces_array(small)
            previous = (thumb, found)
        if found:
            size = (small.shape[1], small.shape[0])
            hit = _scale_hit(VideoFaceHit(time_s=round(t, 3), boxes=tuple(found)), size, display)
            yield VideoFaceHit(
                time_s=hit.time_s, boxes=tuple(pad_box(b, display) for b in hit.boxes)
            )


def count_frames(mp4: bytes) -> int:
    """Decoded video frames, flush included (used by tests and the benchmark)."""
    with _open(mp4) as container:
        return sum(1 for _ in container.decode(container.streams.video[0]))
