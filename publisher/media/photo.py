"""Safe photo decoding and pixel-only re-encoding.

The steps, in the order that keeps memory low and hostile files harmless:

1. :func:`open_photo` opens the bytes with the single Pillow plugin the sniffed format allows,
   turns Pillow's decompression-bomb *warning* into an error, and checks our own pixel cap
   from the header, before a single pixel is decoded.
2. :func:`decode_upright` optionally asks the JPEG decoder for a reduced-size decode
   (``Image.draft``, DCT scaling by 1/2, 1/4 or 1/8) *before* anything else touches the pixels,
   then applies the EXIF orientation itself (all 8 values; anything else counts as 1) and
   converts to sRGB from the embedded ICC profile.
3. :func:`clean_copy` copies only the pixels into a brand-new image, so nothing in ``info``
   (JPEG comment, XMP, ICC, EXIF) can reach the encoder, and :func:`encode_jpeg` writes it.

:func:`jpeg_metadata_segments` lists every marker segment of a JPEG that could carry
metadata; the sanitiser refuses to return output that has any (a guard against a future
encoder that starts copying something over).
"""

from __future__ import annotations

import functools
import io
import struct
import threading
import warnings

from PIL import Image, ImageCms

from publisher.core.errors import MediaRejected
from publisher.media.formats import MediaFormat

MAX_PIXELS = 50_000_000
MIN_SIDE = 16
OUTPUT_QUALITY = 88

_PILLOW_FORMATS: dict[MediaFormat, str] = {
    MediaFormat.JPEG: "JPEG",
    MediaFormat.PNG: "PNG",
    MediaFormat.WEBP: "WEBP",
    MediaFormat.HEIF: "HEIF",
}

_T = Image.Transpose
# EXIF orientation -> the transposes that make the stored pixels upright (CIPA DC-008, 4.6.4).
ORIENTATION_TRANSPOSES: dict[int, tuple[Image.Transpose, ...]] = {
    1: (),
    2: (_T.FLIP_LEFT_RIGHT,),
    3: (_T.ROTATE_180,),
    4: (_T.FLIP_TOP_BOTTOM,),
    5: (_T.TRANSPOSE,),
    6: (_T.ROTATE_270,),
    7: (_T.TRANSVERSE,),
    8: (_T.ROTATE_90,),
}
SWAPS_AXES = frozenset({5, 6, 7, 8})
EXIF_ORIENTATION_TAG = 0x0112

_heif_lock = threading.Lock()


@functools.cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def register_heif() -> None:
    """Teach Pillow to open HEIC/HEIF, once, without thumbnails, depth or auxiliary images.

    Done on first use rather than at import so importing the package stays free of side
    effects; the extra images are skipped because we only ever publish the primary one.
    """
    with _heif_lock:
        if "HEIF" in Image.registered_extensions().values():
            return
        from pillow_heif import register_heif_opener

        register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)


def open_photo(data: bytes, fmt: MediaFormat) -> Image.Image:
    """Open (not decode) the primary image, rejecting bombs and oversized images from the header."""
    if fmt is MediaFormat.HEIF:
        register_heif()
    pillow_format = _PILLOW_FORMATS[fmt]
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[pillow_format])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise MediaRejected(
                f"decompression bomb ({type(exc).__name__})", "Resolusi foto terlalu besar."
            ) from None
    check_dimensions(image.width, image.height)
    return image


def check_dimensions(width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise MediaRejected(
            f"{width}x{height} is over the {MAX_PIXELS} pixel cap", "Resolusi foto terlalu besar."
        )
    if min(width, height) < MIN_SIDE:
        # A photo this small cannot show a follow-up; such files are tracking pixels or
        # polyglots (a valid JPEG header in front of another format).
        raise MediaRejected(
            f"{width}x{height} is under the {MIN_SIDE} pixel minimum side",
            "Foto terlalu kecil.",
        )


def exif_orientation(image: Image.Image) -> int:
    """The EXIF orientation, 1 when absent, unreadable or not one of the 8 defined values.

    HEIF carries its rotation in ``irot``/``imir`` boxes which libheif already applied, so its
    EXIF orientation is ignored (applying it again would turn the picture twice).
    """
    if image.format == "HEIF":
        return 1
    try:
        value = image.getexif().get(EXIF_ORIENTATION_TAG, 1)
    except Exception:  # a corrupt EXIF block must not make the photo unreadable
        return 1
    return value if isinstance(value, int) and value in ORIENTATION_TRANSPOSES else 1


def upright_size(width: int, height: int, orientation: int) -> tuple[int, int]:
    return (height, width) if orientation in SWAPS_AXES else (width, height)


def request_draft(image: Image.Image, min_stored_size: tuple[int, int]) -> None:
    """Ask a JPEG decoder for the smallest DCT scale that still covers ``min_stored_size``.

    ``min_stored_size`` is in the stored (not yet oriented) axes. Must run before anything
    reads the pixels; ``exif_transpose`` or ``load`` first would decode at full size.
    """
    if image.format != "JPEG":
        return
    if image.mode not in ("RGB", "L", "CMYK"):
        return
    image.draft(image.mode, min_stored_size)


def decode_upright(
    image: Image.Image,
    *,
    min_size: tuple[int, int] | None = None,
) -> Image.Image:
    """Decode, orient and convert to sRGB RGB. ``min_size`` is in upright axes."""
    orientation = exif_orientation(image)
    if min_size is not None:
        stored = upright_size(min_size[0], min_size[1], orientation)
        request_draft(image, stored)
    icc = image.info.get("icc_profile")
    image.load()
    rgb = to_srgb(image, icc if isinstance(icc, bytes) else None)
    for transpose in ORIENTATION_TRANSPOSES[orientation]:
        rgb = rgb.transpose(transpose)
    return rgb


def to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Flatten transparency onto white and map the embedded colour profile to sRGB."""
    if image.mode in ("RGBA", "LA", "PA", "P", "La", "RGBa"):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    elif image.mode.startswith("I") or image.mode == "F":
        # 16-bit or float greyscale: scale to 8 bits instead of clipping everything to white.
        image = image.point(lambda v: v / 256).convert("L")
    if icc and image.mode in ("RGB", "L", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if source.profile.xcolor_space.strip() == image.mode.replace("L", "GRAY").strip():
                converted = ImageCms.profileToProfile(
                    image, source, _srgb_profile(), outputMode="RGB"
                )
                if converted is not None:
                    return converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a broken or mismatched profile: fall back to the device values
    return image if image.mode == "RGB" else image.convert("RGB")


def clean_copy(image: Image.Image) -> Image.Image:
    """A new RGB image holding only the pixels: no ``info``, no EXIF, no ICC, no comment."""
    clean = Image.new("RGB", image.size)
    clean.paste(image if image.mode == "RGB" else image.convert("RGB"))
    return clean


def encode_jpeg(image: Image.Image, *, quality: int = OUTPUT_QUALITY) -> bytes:
    out = io.BytesIO()
    # Only explicit arguments: Pillow would otherwise copy a comment or XMP from image.info.
    image.save(out, format="JPEG", quality=quality, subsampling="4:2:0", comment=b"", xmp=b"")
    data = out.getvalue()
    leftovers = jpeg_metadata_segments(data)
    if leftovers:
        raise RuntimeError(f"encoder wrote metadata segments {leftovers}")
    return data


def fit_within(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    w, h = size
    scale = min(1.0, max_side / max(w, h))
    return max(1, round(w * scale)), max(1, round(h * scale))


# JPEG markers that carry only image data or coding tables; everything else (APPn, COM) may
# hold metadata. APP0 is allowed when it is a plain JFIF header without a thumbnail.
_SAFE_MARKERS = frozenset([0xC0, 0xC1, 0xC2, 0xC4, 0xDB, 0xDD, 0xDA, *range(0xD0, 0xD8)])


def jpeg_metadata_segments(data: bytes) -> list[str]:
    """Names of the metadata-capable segments in a JPEG, up to the first scan."""
    found: list[str] = []
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            found.append(f"garbage@{pos}")
            break
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if marker == 0xE0:
            body = data[pos + 4 : pos + 2 + length]
            # JFIF APP0: 14 bytes, thumbnail dimensions zero.
            if not (body[:5] == b"JFIF\x00" and length == 16 and body[12:14] == b"\x00\x00"):
                found.append("APP0")
        elif marker not in _SAFE_MARKERS:
            found.append(_marker_name(marker))
        if marker == 0xDA:
            break
        pos += 2 + length
    if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        found.append("trailing-data")
    return found


def _marker_name(marker: int) -> str:
    if 0xE0 <= marker <= 0xEF:
        return f"APP{marker - 0xE0}"
    if marker == 0xFE:
        return "COM"
    return f"0x{marker:02X}"
