"""Text in photos (issue 22): a name, a phone number or a number plate written in a photo is
found by OCR (RapidOCR, models inside the wheel), checked by the personal-data detector and
blurred before anyone sees the photo; what was blurred is listed with its kind."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pytest
from faker import Faker
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from jobs.pipeline import run_job
from publisher.db.models import Media, Post
from publisher.intake.records import ingest
from publisher.media import sanitize
from publisher.media.text import read_lines
from publisher.runtime.context import AppContext
from tests.factories import feed_record
from tests.flow import add_account, with_photo
from tests.test_web_review_privacy import reviewer

pytestmark = pytest.mark.slow  # OCR: a few seconds a photo on this machine


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


def _letter(name: str, phone: str) -> Image.Image:
    """A follow-up photo of a letter: a heading, the reporter's name and phone, a subject."""
    image = Image.new("RGB", (1600, 1200), (236, 233, 224))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=44)
    lines = [
        "PEMERINTAH KABUPATEN TEGAL",
        "Surat Pemberitahuan Perbaikan",
        f"Nama: {name}",
        f"No. HP: {phone}",
        "Perihal: perbaikan jalan desa",
    ]
    for index, line in enumerate(lines):
        draw.text((120, 120 + index * 150), line, fill=(25, 25, 30), font=font)
    return image


def _street_with_plate(plate: str) -> Image.Image:
    """A street scene: road, sky, a car body with an Indonesian plate (white on black)."""
    w, h = 1600, 1000
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    sky = np.array([150, 190, 230], np.float32) * (1 - y) + np.array([90, 90, 95], np.float32) * y
    image = Image.fromarray(np.broadcast_to(sky, (h, w, 3)).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    draw.rectangle((450, 450, 1150, 800), fill=(160, 30, 35))  # the car's rear
    draw.rectangle((620, 660, 980, 740), fill=(15, 15, 15))  # the plate
    draw.text((645, 672), plate, fill=(240, 240, 240), font=ImageFont.load_default(size=52))
    return image


def _texts(jpeg: bytes) -> str:
    return " ".join(line.text for line in read_lines(Image.open(io.BytesIO(jpeg)).convert("RGB")))


def test_a_photo_of_a_letter_is_published_with_the_name_and_phone_number_blurred() -> None:
    fake = Faker("id_ID")
    fake.seed_instance(22)
    name = f"{fake.first_name()} {fake.last_name()}"
    phone = "0812-" + fake.numerify("####-####")
    source = _letter(name, phone)
    assert name in _texts(_jpeg(source)) and phone in _texts(_jpeg(source))  # OCR reads both
    result = sanitize(_jpeg(source), blur_faces=False, blur_text=True)
    kinds = sorted(r.kind for r in result.text_regions or ())
    assert kinds == ["name", "phone"], result.text_regions
    assert any(a.startswith("text_blurred:2") for a in result.actions)
    published = _texts(result.data)
    assert phone not in published and phone.replace("-", "") not in published.replace("-", "")
    assert name.split()[-1] not in published
    assert "PEMERINTAH KABUPATEN TEGAL" in published  # the rest is still legible
    before = np.asarray(source, dtype=np.int16)
    after = np.asarray(Image.open(io.BytesIO(result.data)).convert("RGB"), dtype=np.int16)
    for region in result.text_regions or ():
        b = region.box
        inside = (slice(b.y, b.y + b.height), slice(b.x, b.x + b.width))
        assert (
            np.abs(np.diff(after[inside], axis=1)).mean()
            < np.abs(np.diff(before[inside], axis=1)).mean() / 2
        )
    heading = (slice(100, 190), slice(100, 900))
    assert np.abs(before[heading] - after[heading]).mean() < 4  # JPEG noise only


def test_a_number_plate_in_a_street_photo_is_blurred() -> None:
    source = _street_with_plate("G 1234 AB")
    assert "1234" in _texts(_jpeg(source))
    result = sanitize(_jpeg(source), blur_faces=False, blur_text=True)
    assert [r.kind for r in result.text_regions or ()] == ["plate"]
    assert "1234" not in _texts(result.data)


def test_a_photo_without_text_has_no_regions_and_text_can_be_left_for_a_later_pass() -> None:
    plain = Image.new("RGB", (800, 600), (90, 140, 200))
    assert sanitize(_jpeg(plain), blur_text=True).text_regions == ()
    assert sanitize(_jpeg(plain)).text_regions is None


def test_a_letter_uploaded_through_the_web_form_is_read_and_blurred_before_it_is_drafted(
    ctx: AppContext,
) -> None:
    """Web uploads skip OCR in the request (text_regions NULL); drafting reads them first."""
    add_account(ctx, "telegram", "@dpupr_tegal", {"bot_token": "1:x", "chat_id": "@dpupr_tegal"})
    with ctx.sessions() as session, session.begin():
        ingest(session, ctx.vault, "app", [feed_record(1)])
    run_job(ctx, "screen")
    fake = Faker("id_ID")
    fake.seed_instance(7)
    name, phone = f"{fake.first_name()} {fake.last_name()}", "0857-" + fake.numerify("####-####")
    original = _jpeg(_letter(name, phone))
    with_photo(ctx, original)
    run_job(ctx, "render")
    with ctx.sessions() as session:
        (post,) = session.scalars(select(Post))
        media = session.scalar(select(Media).where(Media.kind == "photo"))
        assert media is not None and media.sha256 != hashlib.sha256(original).hexdigest()
        assert sorted(r["kind"] for r in media.text_regions or []) == ["name", "phone"]
        rendition = ctx.media.read(post.media[0]["sha256"], ".jpg")
        case_id, media_id = post.case_id, media.id
    published = _texts(rendition)
    assert "Perihal" in published and phone not in published and name not in published
    web, _ = reviewer(ctx)
    page = web.get(f"/review/cases/{case_id}").text
    assert f"Tulisan pada foto {media_id} disamarkan:" in page
