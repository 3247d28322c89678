"""Text in photos: ``python -m bench.media_text`` from the repository root.

Measures, each in a fresh subprocess (CPU seconds; peak resident growth over the process after
the engine loaded): RapidOCR with its defaults (angle classifier on, onnxruntime's own thread
pool) against ours (no classifier, one thread), reading a generated 12 MP photo of a letter
(4032x3024, five lines of text, a name and a phone number) and a 12 MP photo without text; and
the whole ``blur_text`` step (OCR, personal-data detector, blur) on the letter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPEATS = 3


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _letter(size: tuple[int, int] = (4032, 3024)) -> object:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", size, (236, 233, 224))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=96)
    lines = [
        "PEMERINTAH KABUPATEN TEGAL",
        "Surat Pemberitahuan Perbaikan",
        "Nama: Dimas Siregar",
        "No. HP: 0812-5550-1234",
        "Perihal: perbaikan jalan desa",
    ]
    for index, line in enumerate(lines):
        draw.text((300, 300 + index * 350), line, fill=(25, 25, 30), font=font)
    return image


def _scenery() -> object:
    import numpy as np
    from PIL import Image

    h, w = 3024, 4032
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    base = np.stack([120 + 90 * np.sin(6 * x + 2 * y), 110 + 80 * np.cos(4 * y - 3 * x),
                     100 + 70 * np.sin(9 * x * y + 1)], axis=2)  # fmt: skip
    return Image.fromarray(base.astype(np.uint8), "RGB")


def worker(which: str, picture: str) -> dict[str, float]:
    import numpy as np
    from PIL import Image

    image = _letter() if picture == "letter" else _scenery()
    assert isinstance(image, Image.Image)
    started = time.process_time()
    if which == "defaults":
        from rapidocr import RapidOCR

        engine = RapidOCR(params={"Global.log_level": "error"})

        def run() -> object:
            return engine(np.asarray(image))
    elif which == "ours":
        from publisher.media.text import read_lines

        def run() -> object:
            return read_lines(image)
    else:
        from publisher.media.text import blur_text

        def run() -> object:
            return blur_text(image)

    run()  # loads the models
    load_s = time.process_time() - started
    before = _peak_mb()
    started = time.process_time()
    for _ in range(REPEATS):
        run()
    return {
        "first_call_cpu_s": load_s,
        "cpu_s": (time.process_time() - started) / REPEATS,
        "peak_growth_mb": _peak_mb() - before,
    }


def run_worker(which: str, picture: str) -> dict[str, float]:
    code = (
        "import json; from bench.media_text import worker; "
        f"print(json.dumps(worker({which!r}, {picture!r})))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for picture in ("letter", "scenery"):
        for which in ("defaults", "ours"):
            r = run_worker(which, picture)
            print(
                f"  OCR {which:8s} on a 12 MP {picture}: {r['cpu_s']:.2f} s CPU"
                f" (first call with model load {r['first_call_cpu_s']:.2f} s),"
                f" peak +{r['peak_growth_mb']:.0f} MB"
            )
    r = run_worker("blur", "letter")
    print(f"  blur_text (OCR + detector + blur) on the letter: {r['cpu_s']:.2f} s CPU")
    print(f"load average at end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
