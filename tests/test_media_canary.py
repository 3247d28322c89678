"""A canary name, phone number and GPS position seeded into every metadata slot we know of
never reaches the bytes of any output (sanitised file, platform rendition, collage)."""

from __future__ import annotations

import datetime as dt
import io
import struct
from collections.abc import Callable
from fractions import Fraction

import av
import numpy as np
import pytest
from faker import Faker
from PIL import Image, PngImagePlugin, TiffImagePlugin

from publisher.media import BannerText, before_after_collage, render_for_platform, sanitize
from publisher.platforms.registry import get_spec

fake = Faker("id_ID")
Faker.seed(20261127)
NAME = fake.name()
PHONE = fake.phone_number()
LAT, LON = "-6.987654", "109.123456"
LAT_NUM, LON_NUM = 6987654, 109123456  # GPS rationals are binary: look for the numerators too


def _needles() -> list[bytes]:
    texts = [NAME, PHONE, LAT, LON]
    needles = [t.encode("utf-8") for t in texts]
    needles += [t.encode("utf-16-le") for t in (NAME, PHONE)]
    needles += [t.encode("utf-16-be") for t in (NAME, PHONE)]
    needles += [struct.pack(">I", LAT_NUM), struct.pack("<I", LAT_NUM)]
    needles += [struct.pack(">I", LON_NUM), struct.pack("<I", LON_NUM)]
    return needles


XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"'
    ' xmlns:exif="http://ns.adobe.com/exif/1.0/"'
    f' dc:creator="{NAME}" dc:description="{PHONE}"'
    f' exif:GPSLatitude="{LAT}" exif:GPSLongitude="{LON}"/>'
    "</rdf:RDF></x:xmpmeta>"
).encode()


def _picture(size: tuple[int, int] = (640, 480)) -> Image.Image:
    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(pixels, "RGB")


def _exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010E] = f"{NAME} {PHONE} {LAT},{LON}"  # ImageDescription
    exif[0x013B] = NAME  # Artist
    exif[0x8298] = PHONE  # Copyright
    exif[0x0112] = 1
    gps = exif.get_ifd(0x8825)
    gps[1] = "S"
    gps[2] = (TiffImagePlugin.IFDRational(LAT_NUM, 1_000_000), 0, 0)
    gps[3] = "E"
    gps[4] = (TiffImagePlugin.IFDRational(LON_NUM, 1_000_000), 0, 0)
    return exif


def _jpeg() -> bytes:
    out = io.BytesIO()
    _picture().save(out, "JPEG", exif=_exif(), xmp=XMP, comment=f"{NAME} {PHONE}".encode())
    return out.getvalue()


def _png() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", NAME)
    info.add_text("Comment", PHONE, zip=True)
    info.add_itxt("Description", f"{NAME} {LAT},{LON}")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    out = io.BytesIO()
    _picture().save(out, "PNG", pnginfo=info, exif=_exif())
    return out.getvalue()


def _webp() -> bytes:
    out = io.BytesIO()
    _picture().save(out, "WEBP", exif=_exif(), xmp=XMP)
    return out.getvalue()


def _heif() -> bytes:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    out = io.BytesIO()
    _picture((256, 192)).save(out, "HEIF", exif=_exif().tobytes(), xmp=XMP, quality=60)
    return out.getvalue()


def _mp4(codec: str, pix_fmt: str, *, apple_keys: bool) -> bytes:
    """A QuickTime file (udta ©nam/©cmt/©xyz), or an MP4 with Apple ``mdta`` keys."""
    path = io.BytesIO()
    options = {"movflags": "+use_metadata_tags"} if apple_keys else {}
    with av.open(path, "w", format="mp4" if apple_keys else "mov", options=options) as container:
        tags = {"title": NAME, "comment": PHONE, "artist": NAME}
        if apple_keys:
            tags["com.apple.quicktime.location.ISO6709"] = f"{LAT}+{LON}/"
        else:
            tags["location"] = f"{LAT}+{LON}/"
        container.metadata.update(tags)
        video = container.add_stream(codec, rate=Fraction(25))
        video.width, video.height, video.pix_fmt = 320, 240, pix_fmt
        video.metadata["title"] = NAME
        video.metadata["handler_name"] = PHONE
        audio = container.add_stream("aac", rate=44100)
        audio.metadata["title"] = PHONE
        for index in range(25):
            frame = av.VideoFrame.from_ndarray(np.asarray(_picture((320, 240))), format="rgb24")
            frame.pts = index
            container.mux(video.encode(frame))
        samples = np.zeros((1, 1024), dtype=np.float32)
        for index in range(40):
            chunk = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            chunk.sample_rate, chunk.pts = 44100, index * 1024
            container.mux(audio.encode(chunk))
        container.mux(video.encode(None))
        container.mux(audio.encode(None))
    return path.getvalue()


MAKERS: dict[str, Callable[[], bytes]] = {
    "jpeg-exif-gps-xmp-com": _jpeg,
    "png-text-itxt-ztxt-exif": _png,
    "webp-exif-xmp": _webp,
    "heif-exif-xmp": _heif,
    "mov-remuxed-title-comment-location": lambda: _mp4("libx264", "yuv420p", apple_keys=False),
    "mp4-transcoded-apple-keys-location": lambda: _mp4("mpeg4", "yuv420p", apple_keys=True),
}


def _canaries_in(data: bytes) -> list[bytes]:
    return [needle for needle in _needles() if needle in data]


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_no_seeded_canary_survives_in_any_output(kind: str) -> None:
    seeded = MAKERS[kind]()
    assert _canaries_in(seeded), "the canary was not seeded; the test would prove nothing"
    result = sanitize(seeded)
    if "remuxed" in kind:
        assert result.actions == ("remuxed",)
    if "transcoded" in kind:
        assert result.actions[0].startswith("transcoded:")
    outputs = [result.data] + ([result.unblurred] if result.unblurred else [])
    if result.kind == "photo":
        banner = BannerText("Dinas Pekerjaan Umum dan Penataan Ruang", dt.date(2026, 11, 27))
        outputs += [
            render_for_platform(seeded, get_spec(p).media, banner=banner)
            for p in ("instagram", "x")
        ]
        outputs.append(before_after_collage(seeded, seeded, banner))
    for output in outputs:
        assert _canaries_in(output) == []


# Which seeded slots each input must really carry, so a maker that silently drops one fails.
SLOT_EVIDENCE = {
    "jpeg-exif-gps-xmp-com": [b"Exif\x00\x00", b"http://ns.adobe.com/xap/1.0/", b"\xff\xfe"],
    "png-text-itxt-ztxt-exif": [b"tEXt", b"zTXt", b"iTXt", b"eXIf"],
    "webp-exif-xmp": [b"EXIF", b"XMP "],
    "heif-exif-xmp": [b"Exif", b"application/rdf+xml"],
    "mov-remuxed-title-comment-location": [b"\xa9nam", b"\xa9cmt", b"\xa9xyz", LAT.encode()],
    "mp4-transcoded-apple-keys-location": [
        b"mdta",
        b"com.apple.quicktime.location.ISO6709",
        NAME.encode(),
        LAT.encode(),
    ],
}


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_each_seeded_input_really_carries_its_metadata_slots(kind: str) -> None:
    data = MAKERS[kind]()
    missing = [slot for slot in SLOT_EVIDENCE[kind] if slot not in data]
    assert missing == []
