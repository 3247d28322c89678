"""The PIC's pages: waiting cases, the follow-up form without JavaScript, rejected files,
retries that do not double, and the PIC's view of what became of a submission."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from jobs.pipeline import run_job
from publisher.db.models import AuditLog, FollowUp, Media
from publisher.runtime.context import AppContext
from tests.factories import jpeg
from tests.web_support import client, make_user, sign_in, waiting_case

ACTION = "Lampu PJU yang padam sudah diganti baru oleh tim Dishub pada malam hari."


def gps_jpeg() -> bytes:
    image = Image.new("RGB", (320, 240), (10, 120, 10))
    exif = Image.Exif()
    exif[0x010F] = "KameraRahasia"  # Make
    exif[0x8825] = {1: "S", 2: (6.0, 58.0, 0.0)}  # GPS latitude
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def form(token: str, submission: str = "abc123") -> dict[str, str]:
    return {"csrf_token": token, "action_text": ACTION, "submission_id": submission}


def test_a_pic_sees_its_own_waiting_cases_with_how_long_they_waited(ctx: AppContext) -> None:
    make_user(ctx, "pic1", "pic", "dpupr")
    waiting_case(ctx, 1)
    waiting_case(ctx, 2, agency="dinsos")
    web = client(ctx)
    sign_in(web, "pic1")
    page = web.get("/pic")
    assert page.status_code == 200
    assert "LPR-2025-00001" in page.text and "LPR-2025-00002" not in page.text
    assert "Menunggu <strong>2 hari</strong>" in page.text


def test_a_follow_up_with_two_photos_is_stored_sanitised_without_javascript(
    ctx: AppContext,
) -> None:
    pic_id = make_user(ctx, "pic1", "pic", "dpupr")
    case_id = waiting_case(ctx, 1)
    web = client(ctx)
    token = sign_in(web, "pic1")
    response = web.post(
        f"/pic/cases/{case_id}/follow-up",
        data=form(token),
        files=[
            ("before", ("sebelum.jpg", gps_jpeg(), "image/jpeg")),
            ("after", ("sesudah.png", jpeg(), "application/octet-stream")),
        ],
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/pic/submissions?terkirim=1"
    with ctx.sessions() as session:
        (fu,) = session.scalars(select(FollowUp))
        media = list(session.scalars(select(Media).order_by(Media.position)))
        audit = session.scalar(select(AuditLog).where(AuditLog.action == "follow_up.submitted"))
    assert fu.channel == "web" and fu.pic_user_id == pic_id and fu.action_text == ACTION
    assert [(m.phase, m.supplied_by, m.state) for m in media] == [
        ("before", "pic", "ok"),
        ("after", "pic", "ok"),
    ]
    stored = ctx.media.read(media[0].sha256, ".jpg")
    assert b"KameraRahasia" not in stored and not Image.open(io.BytesIO(stored)).getexif()
    assert audit is not None and audit.details["media"] == 2
    assert "Tindak lanjut terkirim" in web.get("/pic/submissions?terkirim=1").text


def test_a_retried_upload_that_already_arrived_is_stored_once(ctx: AppContext) -> None:
    make_user(ctx, "pic1", "pic", "dpupr")
    case_id = waiting_case(ctx, 1)
    web = client(ctx)
    token = sign_in(web, "pic1")
    for _ in range(2):
        response = web.post(
            f"/pic/cases/{case_id}/follow-up",
            data=form(token, "same-submission"),
            files=[("after", ("a.jpg", jpeg(), "image/jpeg"))],
            headers={"Accept": "application/json"},
        )
        assert response.status_code == 200 and response.json()["ok"] is True
    with ctx.sessions() as session:
        assert len(list(session.scalars(select(FollowUp)))) == 1
        assert len(list(session.scalars(select(Media)))) == 1


NOT_A_PHOTO = (
    "foto.jpg: Format berkas tidak didukung. Kirim foto (JPEG/PNG/WebP/HEIC) atau video (MP4/MOV)."
)


def test_a_file_that_is_not_a_photo_is_refused_with_the_reason(ctx: AppContext) -> None:
    make_user(ctx, "pic1", "pic", "dpupr")
    case_id = waiting_case(ctx, 1)
    web = client(ctx)
    token = sign_in(web, "pic1")
    response = web.post(
        f"/pic/cases/{case_id}/follow-up",
        data=form(token),
        files=[
            ("after", ("foto.jpg", b"%PDF-1.4 not a photo", "image/jpeg")),
            ("after", ("ok.jpg", jpeg(), "image/jpeg")),
        ],
    )
    assert response.status_code == 422
    assert NOT_A_PHOTO in response.text
    assert ACTION in response.text  # what the PIC typed is kept
    with ctx.sessions() as session:
        assert session.scalar(select(FollowUp)) is None
    as_json = web.post(
        f"/pic/cases/{case_id}/follow-up",
        data=form(token),
        files=[("after", ("foto.jpg", b"GIF89a", "image/gif"))],
        headers={"Accept": "application/json"},
    )
    assert as_json.status_code == 422
    assert as_json.json()["errors"] == [NOT_A_PHOTO]


def test_a_follow_up_needs_an_action_and_a_photo(ctx: AppContext) -> None:
    make_user(ctx, "pic1", "pic", "dpupr")
    case_id = waiting_case(ctx, 1)
    web = client(ctx)
    token = sign_in(web, "pic1")
    response = web.post(
        f"/pic/cases/{case_id}/follow-up",
        data={"csrf_token": token, "action_text": "sudah", "submission_id": "x"},
    )
    assert response.status_code == 422
    assert "minimal 20 karakter" in response.text and "minimal satu foto" in response.text


def test_a_pic_cannot_answer_another_agencys_case(ctx: AppContext) -> None:
    make_user(ctx, "pic1", "pic", "dpupr")
    other = waiting_case(ctx, 1, agency="dinsos")
    web = client(ctx)
    token = sign_in(web, "pic1")
    assert web.get(f"/pic/cases/{other}/follow-up").status_code == 404
    response = web.post(
        f"/pic/cases/{other}/follow-up",
        data=form(token),
        files=[("after", ("a.jpg", jpeg(), "image/jpeg"))],
    )
    assert response.status_code == 404


def test_the_pic_sees_a_rejection_and_its_reason(ctx: AppContext) -> None:
    from publisher.db.models import Post, User
    from publisher.review import actions as review
    from tests.flow import add_account

    make_user(ctx, "pic1", "pic", "dpupr")
    make_user(ctx, "rev", "reviewer")
    add_account(ctx, "folder", "dpupr")
    case_id = waiting_case(ctx, 1)
    web = client(ctx)
    token = sign_in(web, "pic1")
    web.post(
        f"/pic/cases/{case_id}/follow-up",
        data=form(token),
        files=[("after", ("a.jpg", jpeg(), "image/jpeg"))],
    )
    run_job(ctx, "screen")
    run_job(ctx, "render")
    with ctx.sessions() as session, session.begin():
        reviewer = session.scalar(select(User).where(User.username == "rev"))
        post = session.scalar(select(Post))
        assert reviewer is not None and post is not None
        assert len(post.media) == 1  # the PIC's photo is in the draft
        review.reject(session, post.id, reviewer, reason="Foto kurang jelas, mohon diulang.")
    page = web.get("/pic/submissions")
    assert "Ditolak" in page.text and "Foto kurang jelas, mohon diulang." in page.text
