"""Issue 20: resumable uploads (tus 1.0.0, https://tus.io/protocols/resumable-upload: creation
with Upload-Length and base64 Upload-Metadata, HEAD for the offset, PATCH from that offset)
and the plain form that keeps good files when one is refused."""

from __future__ import annotations

import base64
import logging
import os
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from jobs.pipeline import run_job
from publisher.db.models import FollowUp, Media
from publisher.intake import uploads
from publisher.runtime.context import AppContext
from tests.factories import jpeg
from tests.web_support import client, make_user, sign_in, waiting_case

ACTION = "Saluran air yang tersumbat sudah dibersihkan oleh petugas kebersihan."
TUS = {"Tus-Resumable": "1.0.0"}


def metadata(**fields: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in fields.items())


def create(web: TestClient, token: str, case_id: int, data: bytes, **extra: str) -> str:
    fields = {"filename": "sesudah.jpg", "filetype": "image/jpeg", "case_id": str(case_id)}
    fields["phase"] = "after"
    fields.update(extra)
    response = web.post(
        uploads.PREFIX,
        headers={
            **TUS,
            "X-CSRF-Token": token,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": metadata(**fields),
        },
    )
    assert response.status_code == 201, response.text
    return response.headers["location"].rstrip("/").rsplit("/", 1)[-1]


def patch(web: TestClient, token: str, upload_id: str, offset: int, chunk: bytes) -> int:
    response = web.patch(
        f"{uploads.PREFIX}/{upload_id}",
        headers={
            **TUS,
            "X-CSRF-Token": token,
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
        },
        content=chunk,
    )
    assert response.status_code == 204, response.text
    return int(response.headers["upload-offset"])


def offset(web: TestClient, upload_id: str) -> int:
    response = web.head(f"{uploads.PREFIX}/{upload_id}", headers=TUS)
    assert response.status_code == 200
    return int(response.headers["upload-offset"])


def test_a_follow_up_sent_by_resumable_upload_resumes_from_the_last_byte(
    ctx: AppContext,
) -> None:
    make_user(ctx, "pic1", "pic", "dpupr")
    case_id = waiting_case(ctx, 1)
    web = client(ctx)
    token = sign_in(web, "pic1")
    photo = jpeg(1200, 900, (30, 140, 60))
    upload_id = create(web, token, case_id, photo)
    half = len(photo) // 2
    assert patch(web, token, upload_id, 0, photo[:half]) == half
    # A new sign-in (a new session) continues where the server stopped.
    web = client(ctx)
    token = sign_in(web, "pic1")
    assert offset(web, upload_id) == half
    assert patch(web, token, upload_id, half, photo[half:]) == len(photo)
    form = web.get(f"/pic/cases/{case_id}/follow-up").text
    assert upload_id in form and "sudah diterima" in form  # offered again after a reload

    response = web.post(
        f"/pic/cases/{case_id}/follow-up",
        data={
            "csrf_token": token,
            "action_text": ACTION,
            "submission_id": "tus1",
            "upload_ids": [upload_id],
        },
    )
    assert response.status_code == 303
    with ctx.sessions() as session:
        (media,) = session.scalars(select(Media))
        assert (media.phase, media.state) == ("after", "ok")
        assert session.scalar(select(FollowUp.action_text)) == ACTION
    assert uploads.uploads_of(ctx, 1) == []  # sanitised into the store, the raw bytes gone


def test_another_pic_cannot_reach_an_upload_and_writes_need_the_csrf_header(
    ctx: AppContext,
) -> None:
    make_user(ctx, "pic1", "pic", "dpupr")
    make_user(ctx, "pic2", "pic", "dpupr")
    case_id = waiting_case(ctx, 1)
    web = client(ctx)
    token = sign_in(web, "pic1")
    upload_id = create(web, token, case_id, jpeg())
    other = client(ctx)
    other_token = sign_in(other, "pic2")
    assert other.head(f"{uploads.PREFIX}/{upload_id}", headers=TUS).status_code == 404
    response = other.post(
        f"/pic/cases/{case_id}/follow-up",
        data={"csrf_token": other_token, "action_text": ACTION, "upload_ids": [upload_id]},
    )
    assert response.status_code == 422 and "tidak ditemukan" in response.text
    no_csrf = web.patch(
        f"{uploads.PREFIX}/{upload_id}",
        headers={**TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
        content=b"x",
    )
    assert no_csrf.status_code == 403
    anonymous = client(ctx)
    assert anonymous.head(f"{uploads.PREFIX}/{upload_id}", headers=TUS).status_code == 401
    expired = anonymous.post(uploads.PREFIX, headers={**TUS, "Upload-Length": "1"})
    # What the page's script shows (an expired session): the server's own Indonesian words.
    assert expired.status_code == 401 and expired.json()["detail"]


def test_a_file_too_large_or_of_the_wrong_type_is_refused_by_name(ctx: AppContext) -> None:
    make_user(ctx, "pic1", "pic", "dpupr")
    case_id = waiting_case(ctx, 1)
    web = client(ctx)
    token = sign_in(web, "pic1")
    base = {**TUS, "X-CSRF-Token": token}
    big = web.post(
        uploads.PREFIX,
        headers={
            **base,
            "Upload-Length": str(10**9),
            "Upload-Metadata": metadata(
                filename="besar.jpg", filetype="image/jpeg", case_id=str(case_id), phase="after"
            ),
        },
    )
    assert big.status_code == 413 and "besar.jpg: berkas terlalu besar" in big.json()["detail"]
    wrong = web.post(
        uploads.PREFIX,
        headers={
            **base,
            "Upload-Length": "10",
            "Upload-Metadata": metadata(
                filename="surat.pdf",
                filetype="application/pdf",
                case_id=str(case_id),
                phase="after",
            ),
        },
    )
    assert wrong.status_code == 415 and "surat.pdf" in wrong.json()["detail"]


def test_the_per_user_quota_bounds_what_uploads_hold(ctx: AppContext) -> None:
    make_user(ctx, "pic1", "pic", "dpupr")
    case_id = waiting_case(ctx, 1)
    ctx.settings = ctx.settings.model_copy(update={"upload_quota_bytes": 50_000})
    web = client(ctx)
    token = sign_in(web, "pic1")
    create(web, token, case_id, b"x" * 40_000)
    refused = web.post(
        uploads.PREFIX,
        headers={
            **TUS,
            "X-CSRF-Token": token,
            "Upload-Length": "20000",
            "Upload-Metadata": metadata(
                filename="b.jpg", filetype="image/jpeg", case_id=str(case_id), phase="after"
            ),
        },
    )
    assert refused.status_code == 413 and "ruang unggahan Anda penuh" in refused.json()["detail"]


def test_without_javascript_one_bad_file_keeps_the_good_ones(ctx: AppContext) -> None:
    make_user(ctx, "pic1", "pic", "dpupr")
    case_id = waiting_case(ctx, 1)
    web = client(ctx)
    token = sign_in(web, "pic1")
    refused = web.post(
        f"/pic/cases/{case_id}/follow-up",
        data={"csrf_token": token, "action_text": ACTION, "submission_id": "plain"},
        files=[
            ("after", ("rusak.jpg", b"%PDF-1.4 bukan foto", "image/jpeg")),
            ("after", ("bagus.jpg", jpeg(), "image/jpeg")),
        ],
    )
    assert refused.status_code == 422 and "rusak.jpg" in refused.text
    assert "bagus.jpg: sudah diterima" in refused.text
    kept = [s.id for s in uploads.uploads_of(ctx, 1)]
    assert len(kept) == 1 and kept[0] in refused.text
    # Sent again with nothing new chosen: the kept file goes with it.
    sent = web.post(
        f"/pic/cases/{case_id}/follow-up",
        data={
            "csrf_token": token,
            "action_text": ACTION,
            "submission_id": "plain",
            "upload_ids": kept,
        },
    )
    assert sent.status_code == 303
    with ctx.sessions() as session:
        assert len(list(session.scalars(select(Media)))) == 1


def test_uploads_never_sent_are_removed_by_the_uploads_job(ctx: AppContext) -> None:
    make_user(ctx, "pic1", "pic", "dpupr")
    case_id = waiting_case(ctx, 1)
    old = uploads.keep(ctx, 1, case_id, "after", "lama.jpg", jpeg(), "image/jpeg")
    fresh = uploads.keep(ctx, 1, case_id, "after", "baru.jpg", jpeg(), "image/jpeg")
    long_ago = time.time() - (ctx.settings.upload_max_age_hours + 1) * 3600
    for path in (old.path, Path(f"{old.path}.info")):
        os.utime(path, (long_ago, long_ago))
    counts = run_job(ctx, "uploads")
    assert counts["uploads_removed"] == 1
    assert [s.id for s in uploads.uploads_of(ctx, 1)] == [fresh.id]


def test_an_uploads_file_name_reaches_no_log_line(
    ctx: AppContext, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    make_user(ctx, "pic1", "pic", "dpupr")
    case_id = waiting_case(ctx, 1)
    web = client(ctx)
    token = sign_in(web, "pic1")
    upload_id = create(web, token, case_id, jpeg(), filename="KTP_Sutrisno_Wibowo.jpg")
    offset(web, upload_id)
    assert "Sutrisno" not in caplog.text
