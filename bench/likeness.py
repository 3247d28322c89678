"""Recognising a reporter's photo after a crop (issue #16): pHash alone (the naive way, as
before) against pHash then ORB keypoints (``publisher.media.likeness``), in the same run.

Run: ``python -m bench.likeness``. 40 generated textured scenes (tests/test_privacy_media_likeness
.py ``textured``); for each, crops of 100 %, 80 % and 60 % of the area at a random place,
resized (aspect kept) and re-encoded; recall per crop size, false matches among unrelated
scenes (every pair), CPU per comparison.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path

from publisher.media.likeness import HAMMING_LIMIT, Likeness, fingerprints, looks_like
from tests.test_privacy_media_likeness import cropped, textured


def _prints(folder: Path, name: str, data: bytes) -> tuple[Likeness, ...]:
    path = folder / f"{name}.jpg"
    path.write_bytes(data)
    return fingerprints(path)


def main(argv: list[str] | None = None, scenes: int = 40) -> None:
    rng = random.Random(16)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        originals = [_prints(folder, f"o{s}", textured(s)) for s in range(scenes)]
        crops = {
            area: [
                _prints(folder, f"c{s}-{area}", cropped(textured(s), area, rng))
                for s in range(scenes)
            ]
            for area in (1.0, 0.8, 0.6)
        }
    print(f"load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} (1 and 5 min)")
    for area, found in crops.items():
        naive = sum(
            c[0].phash - o[0].phash <= HAMMING_LIMIT for c, o in zip(found, originals, strict=True)
        )
        both = sum(looks_like(c, o) for c, o in zip(found, originals, strict=True))
        print(
            f"  crop {area:.0%} of the area: pHash alone {naive}/{scenes}, "
            f"pHash + keypoints {both}/{scenes}"
        )
    pairs = [(a, b) for a in range(scenes) for b in range(scenes) if a != b]
    t0 = time.process_time()
    naive_false = sum(
        crops[0.6][a][0].phash - originals[b][0].phash <= HAMMING_LIMIT for a, b in pairs
    )
    t1 = time.process_time()
    false = sum(looks_like(crops[0.6][a], originals[b]) for a, b in pairs)
    t2 = time.process_time()
    print(
        f"  unrelated pairs ({len(pairs)}): false matches pHash alone {naive_false}, "
        f"pHash + keypoints {false}"
    )
    print(
        f"  CPU per comparison: pHash {1e6 * (t1 - t0) / len(pairs):.0f} us, "
        f"pHash + keypoints {1e3 * (t2 - t1) / len(pairs):.1f} ms"
    )


if __name__ == "__main__":
    main()
