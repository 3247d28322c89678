"""The media store in an S3-compatible bucket against the local disk (issue 23, point 6): puts
of photos, a video put as a multipart upload, and reads back as a local file (cold: streamed
from the bucket into the cache; warm: a cache hit), with the naive read in the same run (the
whole object read into memory, then written out).

The S3-compatible server is moto's, started as a separate process so its CPU is not counted as
ours: the CPU time reported (``time.process_time``) is this process's, the product's side of
each request (signing, hashing, copying). Peak memory is the process's peak resident set size
measured after each step, to show the video is streamed and never held whole.

Run: ``python -m bench.media_store`` (``--quick``: fewer photos, a smaller video).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from publisher.media.s3 import LocalCache, S3Location, S3MediaStore
from publisher.media.store import LocalMediaStore, MediaStore, file_sha256

MIB = 1024 * 1024
BUCKET = "lapor-bench"
MP4 = ".mp4"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(label: str, step: Callable[[], object], n: int = 1) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    step()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"  {label:<44} {wall * 1000 / n:9.1f} ms wall {cpu * 1000 / n:8.1f} ms CPU"
        f" per item (x{n}); peak RSS {_rss_mb():.0f} MB",
        flush=True,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, url
        except OSError:
            time.sleep(0.1)  # waiting for the server to listen
    proc.kill()
    raise SystemExit("moto server did not start")


def run(photos: int, video_mb: int) -> None:
    print(f"load average {os.getloadavg()} on {os.cpu_count()} cores", flush=True)
    proc, url = _start_moto()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            location = S3Location(
                bucket=BUCKET,
                prefix="media/",
                endpoint_url=url,
                access_key_id="bench",
                secret_access_key="bench-secret",
                part_size=8 * MIB,
            )
            s3 = S3MediaStore(location, LocalCache(root / "cache-a", 4096 * MIB))
            s3.client().create_bucket(Bucket=BUCKET)
            reader = S3MediaStore(location, LocalCache(root / "cache-b", 4096 * MIB))
            local = LocalMediaStore(root / "local")
            blobs = [os.urandom(200 * 1024) for _ in range(photos)]
            video = root / "clip.mp4"
            with video.open("wb") as fh:
                for _ in range(video_mb):
                    fh.write(os.urandom(MIB))
            video_sha = file_sha256(video)
            for name, store in (("local", local), ("s3", s3)):
                _bench_store(name, store, blobs, video, photos)
            print(f"reads on another machine (empty cache), video {video_mb} MiB:", flush=True)
            shas = [hashlib.sha256(b).hexdigest() for b in blobs]
            _timed(
                "s3 local_path, cold (streamed into the cache)",
                lambda: [reader.local_path(sha, ".jpg") for sha in shas],
                photos,
            )
            _timed(
                "s3 local_path, warm (cache hit)",
                lambda: [reader.local_path(sha, ".jpg") for sha in shas],
                photos,
            )
            _timed("local local_path", lambda: [local.local_path(s, ".jpg") for s in shas], photos)
            _timed(
                "s3 video local_path, cold (streamed)", lambda: reader.local_path(video_sha, ".mp4")
            )
            _timed(
                "s3 video, naive (whole body in memory, written)",
                lambda: _naive(reader, video_sha, root),
            )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(f"load average after {os.getloadavg()}", flush=True)


def _bench_store(
    name: str, store: MediaStore, blobs: list[bytes], video: Path, photos: int
) -> None:
    print(f"{name} store:", flush=True)
    _timed(
        f"{name} put photo (200 KiB), new", lambda: [store.put(b, ".jpg") for b in blobs], photos
    )
    _timed(
        f"{name} put photo again (idempotent)",
        lambda: [store.put(b, ".jpg") for b in blobs],
        photos,
    )
    _timed(f"{name} put_file video (multipart on s3)", lambda: store.put_file(video, ".mp4"))


def _naive(store: S3MediaStore, sha: str, root: Path) -> None:
    response = store.client().get_object(Bucket=BUCKET, Key=store.key(sha, ".mp4"))
    data = response["Body"].read()  # the whole video in memory
    (root / "naive.mp4").write_bytes(data)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20 photos, a 24 MiB video")
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--video-mb", type=int, default=96)
    args = parser.parse_args(argv)
    if args.quick:
        args.photos, args.video_mb = 20, 24
    run(args.photos, args.video_mb)


if __name__ == "__main__":
    main()
