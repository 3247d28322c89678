"""Face detector evaluation: ``python -m bench.face_eval`` from the repository root.

The evaluation set is *built* here at run time from the public-domain face fixtures in
``../shared/fixtures/media/`` (licences in ``bench/FACE_EVAL_SOURCES.md``); no image is
committed. Ground truth is known by construction:

* ``real``: the group photo (29 faces, marked by hand), the Curie portrait (2 faces, one in
  profile; XMP regions) and the astronaut (1), at their own size;
* ``crowd``: 12 MP (4032x3024) street scenes, each with 25 faces cut from the group photo at
  2.5-4 % of the long side (100-160 px, 19-31 px in the detector's 768 px copy);
* ``large``: 12 MP scenes with faces at 6-14 % of the long side;
* ``tilted``: faces turned by -25..25 degrees (heads bent over roadwork);
* ``profile``: the Curie portrait's profile face (and its mirror image) at several sizes;
* ``occluded``: faces with the lower 35-45 % covered (mask, scarf) or a bar over the eyes;
* ``empty``: the backgrounds alone, for false boxes.

Every face is pasted with a soft edge onto a textured photo background (landscape photos
from the orientation fixtures, an iPhone street photo), so the texture that makes Haar see
faces where there are none is in every scene. A face counts as found when a detected box holds
its centre; a detected box whose centre is in no face (faces padded by 25 %) is a false box.

Also measured, in fresh single-threaded subprocesses: CPU time and peak memory growth of one
detection on a 12 MP photo (the downscale included), for the SSD and for the Haar cascade.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

MEDIA = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "media"
SCENE_SIZE = (4032, 3024)
BACKGROUNDS = (
    "orientation/Landscape_1.jpg",
    "orientation/Portrait_1.jpg",
    "exif_gps/iphone6_gps_iphone_hdr_NO.jpg",
)
# Face centres in the group photo, marked by hand (tests/test_media_faces.py).
SOLVAY_CENTRES = [
    (219, 345), (310, 376), (378, 400), (483, 395), (600, 402), (693, 380),
    (803, 385), (912, 382), (993, 379), (1063, 341), (1133, 380),
    (78, 462), (189, 479), (325, 467), (456, 467), (612, 457), (731, 462),
    (857, 467), (990, 474), (1115, 483),
    (121, 507), (253, 515), (385, 510), (528, 515), (697, 506), (820, 506),
    (908, 506), (1066, 514), (1164, 529),
]  # fmt: skip
SOLVAY_FACE = 40  # face width in the group photo's pixels (about 36-44 there)
CURIE_CENTRES = [(309, 215), (577, 168)]  # XMP face regions; the second face is in profile
CURIE_FACE = 86
ASTRONAUT_CENTRE, ASTRONAUT_FACE = (224, 113), 92


@dataclass(frozen=True)
class Face:
    x: int
    y: int
    width: int
    height: int

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height / 2


@dataclass
class Scene:
    name: str
    category: str
    image: Image.Image
    faces: list[Face]


def _open(rel: str) -> Image.Image:
    from publisher.media.formats import sniff
    from publisher.media.photo import decode_upright, open_photo

    data = (MEDIA / rel).read_bytes()
    fmt = sniff(data)
    assert fmt is not None
    with open_photo(data, fmt) as opened:
        return decode_upright(opened)


def _crop(image: Image.Image, centre: tuple[int, int], face: int) -> Image.Image:
    """A head-and-shoulders crop 1.6 face widths wide, the face in its middle 62 %."""
    half = round(face * 0.8)
    cx, cy = centre
    return image.crop((cx - half, cy - half, cx + half, cy + half))


def face_crops() -> dict[str, list[Image.Image]]:
    solvay = _open("faces/group_solvay_1927.jpg")
    curie = _open("faces/curies_portrait_xmp_regions.jpg")
    astronaut = _open("faces/astronaut.png")
    frontal = [_crop(solvay, c, SOLVAY_FACE) for c in SOLVAY_CENTRES]
    frontal.append(_crop(curie, CURIE_CENTRES[0], CURIE_FACE))
    frontal.append(_crop(astronaut, ASTRONAUT_CENTRE, ASTRONAUT_FACE))
    profile = [_crop(curie, CURIE_CENTRES[1], CURIE_FACE)]
    profile.append(profile[0].transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    return {"frontal": frontal, "profile": profile}


def _background(index: int) -> Image.Image:
    return _open(BACKGROUNDS[index % len(BACKGROUNDS)]).resize(
        SCENE_SIZE, Image.Resampling.BILINEAR
    )


def _paste(scene: Image.Image, crop: Image.Image, side: int, at: tuple[int, int]) -> Face:
    """Paste ``crop`` scaled to ``side`` px with a feathered edge; returns the face box."""
    tile = crop.resize((side, side), Image.Resampling.LANCZOS)
    mask = Image.new("L", (side, side), 0)
    inset = max(1, side // 12)
    ImageDraw.Draw(mask).ellipse((inset, inset, side - inset, side - inset), fill=255)
    scene.paste(tile, at, mask.filter(ImageFilter.GaussianBlur(inset / 2)))
    face = round(side * 0.62)
    return Face(at[0] + (side - face) // 2, at[1] + (side - face) // 2, face, face)


def _grid(count: int, side: int, rng: np.random.Generator) -> Iterator[tuple[int, int]]:
    """``count`` non-overlapping positions in a jittered grid over the scene."""
    cols = max(1, int(np.ceil(np.sqrt(count * SCENE_SIZE[0] / SCENE_SIZE[1]))))
    rows = int(np.ceil(count / cols))
    cell_w, cell_h = SCENE_SIZE[0] // cols, SCENE_SIZE[1] // rows
    for i in range(count):
        r, c = divmod(i, cols)
        jx = int(rng.integers(0, max(1, cell_w - side)))
        jy = int(rng.integers(0, max(1, cell_h - side)))
        yield c * cell_w + jx, r * cell_h + jy


def _occlude(crop: Image.Image, kind: str, rng: np.random.Generator) -> Image.Image:
    out = crop.copy()
    w, h = out.size
    colour = tuple(int(v) for v in rng.integers(30, 230, 3))
    draw = ImageDraw.Draw(out)
    if kind == "mask":  # a mask or scarf over mouth and nose
        top = round(h * float(rng.uniform(0.55, 0.65)))
        draw.rectangle((0, top, w, h), fill=colour)
    else:  # a hand, a cap's shadow or a bar over the upper face
        top = round(h * 0.25)
        draw.rectangle((0, top, round(w * 0.45), top + round(h * 0.2)), fill=colour)
    return out


def build_set(seed: int = 22) -> list[Scene]:
    rng = np.random.default_rng(seed)
    crops = face_crops()
    frontal, profile = crops["frontal"], crops["profile"]
    scenes: list[Scene] = []

    solvay = _open("faces/group_solvay_1927.jpg")
    scenes.append(
        Scene(
            "solvay",
            "real",
            solvay,
            [
                Face(x - SOLVAY_FACE // 2, y - SOLVAY_FACE // 2, SOLVAY_FACE, SOLVAY_FACE)
                for x, y in SOLVAY_CENTRES
            ],
        )
    )
    scenes.append(
        Scene(
            "curies",
            "real",
            _open("faces/curies_portrait_xmp_regions.jpg"),
            [Face(x - 43, y - 43, 86, 86) for x, y in CURIE_CENTRES],
        )
    )
    scenes.append(
        Scene(
            "astronaut",
            "real",
            _open("faces/astronaut.png"),
            [Face(178, 67, 92, 92)],
        )
    )

    def composite(
        name: str, category: str, n: int, lo: float, hi: float, pick: Callable[[int], Image.Image]
    ) -> None:
        scene = _background(len(scenes))
        side_max = round(SCENE_SIZE[0] * hi / 0.62)
        faces = []
        for i, at in enumerate(_grid(n, side_max, rng)):
            side = round(SCENE_SIZE[0] * float(rng.uniform(lo, hi)) / 0.62)
            faces.append(_paste(scene, pick(i), side, at))
        scenes.append(Scene(name, category, scene, faces))

    for k in range(4):
        composite(f"crowd{k}", "crowd", 25, 0.025, 0.04, lambda i, k=k: frontal[(i * 7 + k) % 31])
    for k in range(2):
        composite(f"large{k}", "large", 10, 0.06, 0.14, lambda i, k=k: frontal[(i * 3 + k) % 31])

    def tilted(i: int) -> Image.Image:
        angle = float(rng.uniform(-25, 25))
        return frontal[(i * 5) % 31].rotate(angle, Image.Resampling.BICUBIC, fillcolor=(128,) * 3)

    composite("tilted0", "tilted", 20, 0.04, 0.08, tilted)
    composite("profile0", "profile", 20, 0.04, 0.1, lambda i: profile[i % 2])

    def occluded(i: int) -> Image.Image:
        return _occlude(frontal[(i * 11) % 31], "mask" if i % 3 else "bar", rng)

    composite("occluded0", "occluded", 30, 0.04, 0.09, occluded)
    for k in range(len(BACKGROUNDS)):
        scenes.append(Scene(f"empty{k}", "empty", _background(k), []))
    return scenes


Detector = Callable[[Image.Image], list[tuple[int, int, int, int]]]


def evaluate(scenes: list[Scene], detect: Detector) -> dict[str, dict[str, int]]:
    """Per category: faces, found, false boxes."""
    table: dict[str, dict[str, int]] = {}
    for scene in scenes:
        row = table.setdefault(scene.category, {"faces": 0, "found": 0, "false": 0})
        boxes = detect(scene.image)
        row["faces"] += len(scene.faces)
        for face in scene.faces:
            cx, cy = face.centre
            if any(x <= cx <= x + w and y <= cy <= y + h for x, y, w, h in boxes):
                row["found"] += 1
        for x, y, w, h in boxes:
            bx, by = x + w / 2, y + h / 2
            pad = 0.25
            if not any(
                f.x - pad * f.width <= bx <= f.x + (1 + pad) * f.width
                and f.y - pad * f.height <= by <= f.y + (1 + pad) * f.height
                for f in scene.faces
            ):
                row["false"] += 1
    return table


def ssd(image: Image.Image) -> list[tuple[int, int, int, int]]:
    from publisher.media.faces import detect_faces

    return [(b.x, b.y, b.width, b.height) for b in detect_faces(image)]


def haar(image: Image.Image) -> list[tuple[int, int, int, int]]:
    from publisher.media.faces import detect_faces_haar

    return [(b.x, b.y, b.width, b.height) for b in detect_faces_haar(image)]


DETECTORS: dict[str, Detector] = {"ssd": ssd, "haar": haar}


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cost_worker(which: str, repeats: int) -> dict[str, float]:
    """In a fresh process: CPU s and peak memory growth of one detection on a 12 MP photo."""
    scene = _background(2)  # a textured 4032x3024 street photo, already decoded
    detect = DETECTORS[which]
    detect(Image.new("RGB", (64, 48)))  # load the model outside the measurement
    before = _peak_mb()
    cpu = time.process_time()
    for _ in range(repeats):
        detect(scene)
    return {
        "cpu_s": (time.process_time() - cpu) / repeats,
        "peak_growth_mb": _peak_mb() - before,
    }


def run_cost(which: str, repeats: int) -> dict[str, float]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENCV_FOR_THREADS_NUM": "1"}
    code = (
        "import json; from bench.face_eval import cost_worker; "
        f"print(json.dumps(cost_worker({which!r}, {repeats})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.face_eval")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    scenes = build_set()
    total = sum(len(s.faces) for s in scenes)
    print(f"evaluation set: {len(scenes)} pictures, {total} faces")
    for name, detect in DETECTORS.items():
        table = evaluate(scenes, detect)
        faces = sum(r["faces"] for r in table.values())
        found = sum(r["found"] for r in table.values())
        false = sum(r["false"] for r in table.values())
        cells = ", ".join(
            f"{cat} {r['found']}/{r['faces']} (+{r['false']} false)" for cat, r in table.items()
        )
        print(f"  {name}: recall {found}/{faces} = {found / faces:.3f}, {false} false boxes")
        print(f"    {cells}")
    repeats = 3 if args.quick else 10
    for name in DETECTORS:
        cost = run_cost(name, repeats)
        print(
            f"  {name} on one 12 MP photo: {cost['cpu_s']:.3f} s CPU,"
            f" peak +{cost['peak_growth_mb']:.0f} MB"
        )
    print(f"load average at end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main(sys.argv[1:])
