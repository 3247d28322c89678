"""Media benchmark: run ``python -m bench.media`` from the repository root.

Measures in one run, on inputs generated here (nothing is downloaded or committed):

* 12 MP phone JPEG (stored 4032x3024 with EXIF Orientation=6) -> Instagram 1080x1350:
  the naive Pillow path (open, ``exif_transpose``, ``ImageOps.fit``, save) against ours
  (``render_for_platform``: ``draft`` before orientation). Each path runs in its own
  single-threaded subprocess so photos/s is per core and the peak memory is per worker
  (peak RSS growth over the warmed-up process).
* a before/after collage with banner;
* sanitising the same photo (with and without face detection);
* a compliant 1080p H.264/AAC clip (moov at the end, as phones write it): remuxed vs
  transcoded, as multiples of real time.

Pass ``--quick`` for fewer repetitions.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np

PHOTO_REPEATS = 12
CLIP_SECONDS = 6
CLIP_FPS = 30
# The face evaluation background the no-face street clip pans across.
STREET_BACKGROUND = 1  # no face seen in it by either sampler
STREET_SECONDS = 6


def make_phone_jpeg() -> bytes:
    """A 12 MP JPEG with smooth scenery-like content and a little sensor noise (about 3 MB)."""
    from PIL import Image

    h, w = 3024, 4032
    rng = np.random.default_rng(12)
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    base = np.stack(
        [
            120 + 90 * np.sin(6 * x + 2 * y),
            110 + 80 * np.cos(4 * y - 3 * x),
            100 + 70 * np.sin(9 * x * y + 1),
        ],
        axis=2,
    )
    noisy = base + rng.normal(0, 6, (h, w, 3)).astype(np.float32)
    image = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "BenchPhone"
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


def naive_instagram(data: bytes) -> bytes:
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as image:
        upright = ImageOps.exif_transpose(image).convert("RGB")
        fitted = ImageOps.fit(upright, (1080, 1350), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        fitted.save(out, "JPEG", quality=88)
        return out.getvalue()


def ours_instagram(data: bytes) -> bytes:
    from publisher.media import render_for_platform
    from publisher.platforms.registry import get_spec

    return render_for_platform(data, get_spec("instagram").media)


def _rss_mb() -> float:
    """Peak resident memory of this process in MB.

    Read from /proc (VmHWM) rather than ``getrusage``: ``ru_maxrss`` survives ``execve``, so a
    worker started by a big parent would inherit the parent's peak.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def photo_worker(path: str, which: str, repeats: int) -> dict[str, float]:
    """Runs inside a fresh subprocess: warm up once, then time ``repeats`` conversions."""
    data = Path(path).read_bytes()
    fn = naive_instagram if which == "naive" else ours_instagram
    fn(make_small_jpeg())  # import and warm the code path on a tiny image
    before = _rss_mb()
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(repeats):
        out = fn(data)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    from PIL import Image

    size = Image.open(io.BytesIO(out)).size
    return {
        "photos_per_s": repeats / elapsed,
        "photos_per_cpu_s": repeats / cpu,
        "ms_per_photo": 1000 * elapsed / repeats,
        "peak_growth_mb": _rss_mb() - before,
        "width": size[0],
        "height": size[1],
    }


def make_small_jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (1, 2, 3)).save(out, "JPEG")
    return out.getvalue()


def run_photo_worker(path: Path, which: str, repeats: int) -> dict[str, float]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENCV_FOR_THREADS_NUM": "1"}
    code = (
        "import json,sys; from bench.media import photo_worker; "
        f"print(json.dumps(photo_worker({str(path)!r}, {which!r}, {repeats})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def make_clip(seconds: int) -> bytes:
    """Compliant 1080p30 H.264 yuv420p + AAC stereo with moov at the end (no faststart)."""
    import av

    buffer = io.BytesIO()
    rng = np.random.default_rng(5)
    base = rng.integers(0, 255, (1080 // 8, 1920 // 8, 3), dtype=np.uint8)
    with av.open(buffer, "w", format="mp4") as container:
        video = container.add_stream(
            "libx264",
            rate=Fraction(CLIP_FPS),
            # A keyframe a second, as phones write them (the face sampler reads keyframes).
            options={"preset": "ultrafast", "crf": "23", "g": str(CLIP_FPS)},
        )
        video.width, video.height, video.pix_fmt = 1920, 1080, "yuv420p"
        audio = container.add_stream("aac", rate=48000)
        audio.layout = "stereo"
        for index in range(seconds * CLIP_FPS):
            moved = np.roll(base, index, axis=1).repeat(8, axis=0).repeat(8, axis=1)
            frame = av.VideoFrame.from_ndarray(moved, format="rgb24")
            frame.pts = index
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        tone = np.sin(np.arange(1024) / 10).astype(np.float32)[None, :].repeat(2, axis=0)
        for index in range(seconds * 48000 // 1024):
            chunk = av.AudioFrame.from_ndarray(tone, format="fltp", layout="stereo")
            chunk.sample_rate, chunk.pts = 48000, index * 1024
            container.mux(audio.encode(chunk))
        container.mux(audio.encode(None))
    return buffer.getvalue()


def make_street_clip(seconds: int, *, fps: int = CLIP_FPS) -> bytes:
    """A compliant 1080p H.264/AAC clip of a slow pan across a real street photo (one of the
    face evaluation backgrounds, no face in it), a keyframe a second: what the face sampler
    meets on a roadwork clip. Needs the shared fixtures; nothing is downloaded."""
    import av
    from PIL import Image

    from bench.face_eval import _background

    street = _background(STREET_BACKGROUND).resize((2880, 2160), Image.Resampling.BILINEAR)
    pixels = np.asarray(street)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        video = container.add_stream(
            "libx264",
            rate=Fraction(fps),
            options={"preset": "veryfast", "crf": "20", "g": str(fps)},
        )
        video.width, video.height, video.pix_fmt = 1920, 1080, "yuv420p"
        frames = seconds * fps
        for index in range(frames):
            x = round(index * (2880 - 1920) / max(1, frames - 1))
            y = 540 + round(200 * index / max(1, frames - 1))
            window = np.ascontiguousarray(pixels[y : y + 1080, x : x + 1920])
            frame = av.VideoFrame.from_ndarray(window, format="rgb24")
            frame.pts = index
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
    return buffer.getvalue()


def old_sample_faces(clip: bytes) -> int:
    """The sampler before this round, for the comparison: every keyframe decoded (threads on),
    one every 2 s (at most 30) scaled to 512 px and run through the detector at 0.15."""
    from publisher.media.faces import detect_faces
    from publisher.media.video import iter_keyframes, probe_video

    probe = probe_video(clip)
    return sum(1 for _, image in iter_keyframes(clip, probe) if detect_faces(image, max_side=512))


def _cpu_wall(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Mean CPU and wall seconds of ``fn`` after one warm-up call."""
    fn()
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(repeats):
        fn()
    return (time.process_time() - cpu_started) / repeats, (time.perf_counter() - started) / repeats


def _clip_row(label: str, clip: bytes, seconds: int, repeats: int) -> str:
    from publisher.media import sanitize
    from publisher.media.video import probe_video, remux, sample_faces

    probe = probe_video(clip)
    remux_cpu, remux_wall = _cpu_wall(lambda: remux(clip, probe), repeats)
    old_cpu, old_wall = _cpu_wall(lambda: old_sample_faces(clip), repeats)
    new_cpu, _ = _cpu_wall(lambda: list(sample_faces(clip, probe)), repeats)
    whole_cpu, whole_wall = _cpu_wall(lambda: sanitize(clip), repeats)
    actions = list(sanitize(clip).actions)

    def rt(cpu: float, wall: float) -> str:
        return f"{seconds / cpu:.0f}x CPU, {seconds / wall:.0f}x wall ({cpu * 1000:.0f} ms CPU)"

    return (
        f"| {label} | {rt(remux_cpu, remux_wall)}"
        f" | {rt(old_cpu + remux_cpu, old_wall + remux_wall)}"
        f" | {rt(whole_cpu, whole_wall)}; sampler alone {new_cpu * 1000:.0f} ms CPU; {actions} |"
    )


def no_face_clip_path(seconds_list: list[int], repeats: int) -> None:
    """The intake path of a compliant clip without faces (sample for faces, then remux), old
    sampler against the new one, as multiples of real time by CPU and by wall."""
    print(f"no-face clip path, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores:")
    print("| clip | remux alone | old sampler + remux | new sampler + remux (sanitize) |")
    print("| --- | ---: | ---: | ---: |")
    # The street pan only at 6 s: over 30 s the pan reaches a patch both samplers take for a
    # face (a false alarm: the clip is then transcoded with the tracker, minutes under load).
    rows: list[tuple[str, Callable[[int], bytes], int]] = [
        ("street pan", make_street_clip, STREET_SECONDS)
    ]
    rows += [("noise pan", make_clip, seconds) for seconds in seconds_list]
    for label, maker, seconds in rows:
        print(_clip_row(f"{label} {seconds} s", maker(seconds), seconds, repeats))
    print(f"load average after: {os.getloadavg()[0]:.1f}")


def sampler_recall(seed: int = 7) -> None:
    """Does the keyframe sampler see a face in a 1080p frame? The face evaluation set's 33 head
    crops (31 frontal, 2 profile) pasted one per frame on its street backgrounds (cut to
    1920x1080) at a face height of 1/20, 1/10 and 1/5 of the frame, plus 18 frames with no face;
    old sampler (512 px through PIL) against the one shipped (FACE_SCREEN_SIDE px by swscale),
    both at the photo confidence 0.15."""
    from PIL import Image

    from bench import face_eval
    from publisher.media.faces import detect_faces
    from publisher.media.video import FACE_SCREEN_SIDE

    crops = face_eval.face_crops()
    heads = crops["frontal"] + crops["profile"]
    rng = np.random.default_rng(seed)
    streets = [
        face_eval._background(i).resize((1920, 1440), Image.Resampling.BILINEAR)
        for i in range(len(face_eval.BACKGROUNDS))
    ]
    frames: list[tuple[float, Image.Image, tuple[float, float]]] = []
    for share in (0.05, 0.1, 0.2):
        for i, head in enumerate(heads):
            top = int(rng.integers(0, 360))
            scene = streets[i % len(streets)].crop((0, top, 1920, top + 1080))
            side = round(1080 * share / 0.62)  # the face is 62 % of the crop
            at = (int(rng.integers(0, 1920 - side)), int(rng.integers(0, 1080 - side)))
            frames.append((share, scene, face_eval._paste(scene, head, side, at).centre))
    empties = [
        street.crop((0, top, 1920, top + 1080)).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        if flip
        else street.crop((0, top, 1920, top + 1080))
        for street in streets
        for top in (0, 180, 360)
        for flip in (False, True)
    ]

    def shrink(image: Image.Image, side: int) -> Image.Image:
        f = min(1.0, side / max(image.size))
        size = (round(image.width * f), round(image.height * f))
        return image.resize(size, Image.Resampling.BILINEAR)

    def old(image: Image.Image) -> list[tuple[float, float, float, float]]:
        small = shrink(image, 512)
        f = image.width / small.width
        return [
            (b.x * f, b.y * f, b.width * f, b.height * f) for b in detect_faces(small, max_side=512)
        ]

    def new(image: Image.Image) -> list[tuple[float, float, float, float]]:
        # As sample_faces: scaled to FACE_SCREEN_SIDE, photo confidence.
        small = shrink(image, FACE_SCREEN_SIDE)
        f = image.width / small.width
        return [
            (b.x * f, b.y * f, b.width * f, b.height * f)
            for b in detect_faces(small, max_side=FACE_SCREEN_SIDE)
        ]

    print("sampler recall on 1080p frames (a frame counts when a box covers the face centre):")
    print(
        "| sampler | face 1/20 of height | 1/10 | 1/5 | frames without a face flagged"
        " | CPU per frame |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, detect in (("old: 512 px, 0.15", old), (f"new: {FACE_SCREEN_SIDE} px, 0.15", new)):
        found: dict[float, int] = {}
        cpu_started = time.process_time()
        for share, image, (cx, cy) in frames:
            hit = any(x <= cx <= x + w and y <= cy <= y + h for x, y, w, h in detect(image))
            found[share] = found.get(share, 0) + hit
        flagged = sum(1 for image in empties if detect(image))
        cpu = (time.process_time() - cpu_started) / (len(frames) + len(empties))
        per = len(heads)
        print(
            f"| {label} | {found.get(0.05, 0)}/{per} | {found.get(0.1, 0)}/{per}"
            f" | {found.get(0.2, 0)}/{per} | {flagged}/{len(empties)} | {cpu * 1000:.0f} ms"
            " (PIL scaling included) |"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.media")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--video", action="store_true", help="only the no-face clip path and the sampler recall"
    )
    args = parser.parse_args(argv)
    repeats = 4 if args.quick else PHOTO_REPEATS
    seconds = 3 if args.quick else CLIP_SECONDS
    if args.video:
        no_face_clip_path([6] if args.quick else [6, 30], 1 if args.quick else 3)
        sampler_recall()
        return

    import tempfile

    from publisher.media import BannerText, before_after_collage, sanitize
    from publisher.media.video import probe_video, remux, transcode

    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    photo = make_phone_jpeg()
    print(f"input: 12 MP JPEG 4032x3024, Orientation=6, {len(photo) / 1e6:.1f} MB")
    with tempfile.NamedTemporaryFile(suffix=".jpg") as tmp:
        tmp.write(photo)
        tmp.flush()
        naive = run_photo_worker(Path(tmp.name), "naive", repeats)
        ours = run_photo_worker(Path(tmp.name), "ours", repeats)
    for label, r in (("naive Pillow", naive), ("ours (draft)", ours)):
        print(
            f"  {label:13s} -> {int(r['width'])}x{int(r['height'])}:"
            f" {r['photos_per_s']:.1f} photos/s wall ({r['ms_per_photo']:.0f} ms),"
            f" {r['photos_per_cpu_s']:.1f} photos per CPU-second,"
            f" peak +{r['peak_growth_mb']:.0f} MB"
        )
    print(
        f"  speed-up {ours['photos_per_s'] / naive['photos_per_s']:.1f}x wall,"
        f" {ours['photos_per_cpu_s'] / naive['photos_per_cpu_s']:.1f}x CPU"
    )

    banner = BannerText("Dinas Pekerjaan Umum dan Penataan Ruang", "27 November 2026")
    before_after_collage(photo, photo, banner)
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(repeats):
        before_after_collage(photo, photo, banner)
    wall = 1000 * (time.perf_counter() - started) / repeats
    cpu = 1000 * (time.process_time() - cpu_started) / repeats
    print(
        f"before/after collage with banner (two 12 MP inputs): {wall:.0f} ms wall, {cpu:.0f} ms CPU"
    )

    for blur in (False, True):
        started, cpu_started = time.perf_counter(), time.process_time()
        sanitize(photo, blur_faces=blur)
        label = "with face detection" if blur else "without faces"
        wall = 1000 * (time.perf_counter() - started)
        cpu = 1000 * (time.process_time() - cpu_started)
        print(f"sanitize 12 MP JPEG ({label}): {wall:.0f} ms wall, {cpu:.0f} ms CPU")

    clip = make_clip(seconds)
    probe = probe_video(clip)
    print(
        f"input: {seconds} s 1080p30 H.264 + AAC clip, {len(clip) / 1e6:.1f} MB,"
        f" remux blockers: {probe.remux_blockers() or 'none'}"
    )
    started = time.perf_counter()
    _, remux_frames = remux(clip, probe)
    remux_s = time.perf_counter() - started
    started = time.perf_counter()
    _, transcode_frames = transcode(clip, probe)
    transcode_s = time.perf_counter() - started
    # What intake runs: sample the keyframes for faces (none here), then remux.
    started, cpu_started = time.perf_counter(), time.process_time()
    whole = sanitize(clip)
    sanitize_s = time.perf_counter() - started
    sanitize_cpu = time.process_time() - cpu_started
    # The way before issue 22: every sampled keyframe scaled *up* to the display size and
    # run through the Haar cascade.
    from PIL import Image

    from publisher.media.faces import detect_faces_haar
    from publisher.media.video import iter_keyframes

    started = time.perf_counter()
    for _, keyframe in iter_keyframes(clip, probe, max_side=1024):
        detect_faces_haar(keyframe.resize(probe.display_size, Image.Resampling.BILINEAR))
    _, _ = remux(clip, probe)
    old_way_s = time.perf_counter() - started
    print(f"load average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"  remux:     {remux_s * 1000:.0f} ms = {seconds / remux_s:.0f}x real time"
        f" ({remux_frames} frames)"
    )
    print(
        f"  transcode: {transcode_s * 1000:.0f} ms = {seconds / transcode_s:.2f}x real time"
        f" ({transcode_frames} frames)"
    )
    print(
        f"  sanitize (keyframes sampled for faces + remux): {sanitize_s * 1000:.0f} ms"
        f" = {seconds / sanitize_s:.0f}x real time ({sanitize_cpu * 1000:.0f} ms CPU),"
        f" actions {list(whole.actions)}"
    )
    print(
        f"  the old way (keyframes upscaled to 1080p, Haar, then remux): {old_way_s * 1000:.0f} ms"
        f" = {seconds / old_way_s:.1f}x real time"
    )

    no_face_clip_path([6] if args.quick else [6, 30], 1 if args.quick else 3)
    sampler_recall()


if __name__ == "__main__":
    main(sys.argv[1:])
