"""The review page's personal-data tools: findings in each caption highlighted and marked false
positives with a reason, the reporter's own photos added only by a reviewer's reasoned choice,
and blurred faces shown only with a reason (the unblurred copy comes from the private store)."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from publisher.db.models import AuditLog, FollowUp, Media, Post
from publisher.media import BannerText, render_for_platform
from publisher.platforms.registry import get_spec
from publisher.posts.drafting import publishable_media, renditions
from publisher.review.actions import PERSONAL_DATA_MESSAGE
from publisher.runtime.context import AppContext
from tests.factories import feed_record, jpeg, person
from tests.flow import add_account, feed_and_draft
from tests.web_support import client, make_user, sign_in

NOTE = "Disaring manual: kasus umum, tidak rawan konflik."
REASON = "Nomor ini milik kantor desa, bukan pelapor."


def drafted(ctx: AppContext, **record: Any) -> tuple[Post, Post]:
    add_account(ctx, "folder", "dpupr")
    add_account(ctx, "telegram", "@dpupr_tegal", {"bot_token": "1:x", "chat_id": "@dpupr_tegal"})
    folder_post, telegram_post = feed_and_draft(ctx, feed_record(1, **record))
    return folder_post, telegram_post


def reviewer(ctx: AppContext, name: str = "rev") -> tuple[TestClient, str]:
    make_user(ctx, name, "reviewer")
    web = client(ctx)
    return web, sign_in(web, name)


def set_caption(ctx: AppContext, post_id: int, extra: str) -> str:
    with ctx.sessions() as session, session.begin():
        post = session.get(Post, post_id)
        assert post is not None
        post.caption = f"{post.caption}\n{extra}"
        return post.caption


def add_photo(ctx: AppContext, **columns: Any) -> int:
    sha = ctx.media.put(jpeg(colour=(120, 60, 30)), ".jpg")
    with ctx.sessions() as session, session.begin():
        follow_up = session.scalar(select(FollowUp))
        assert follow_up is not None
        media = Media(
            follow_up_id=follow_up.id,
            sha256=sha,
            state="ok",
            kind="photo",
            mime="image/jpeg",
            position=len(follow_up.media) + 1,
            **columns,
        )
        session.add(media)
        session.flush()
        return media.id


def audit_rows(ctx: AppContext, action: str) -> list[AuditLog]:
    with ctx.sessions() as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.action == action)))


def load(ctx: AppContext, post_id: int) -> Post:
    with ctx.sessions() as session:
        post = session.get(Post, post_id)
        assert post is not None
        session.expunge(post)
        return post


def test_a_phone_number_in_a_caption_is_highlighted_and_blocks_approval_until_marked(
    ctx: AppContext,
) -> None:
    folder_post, _ = drafted(ctx)
    phone = "0812-3456-7890"
    caption = set_caption(ctx, folder_post.id, f"Info lanjut hubungi {phone}")
    web, token = reviewer(ctx)
    page = web.get(f"/review/cases/{folder_post.case_id}")
    assert page.status_code == 200
    assert PERSONAL_DATA_MESSAGE in page.text
    assert f'<mark class="pii" title="nomor telepon">{phone}</mark>' in page.text
    assert "Bukan data pribadi" in page.text
    approve = {
        "csrf_token": token,
        "post_ids": [str(folder_post.id)],
        "manual_screening_note": NOTE,
    }
    refused = web.post(f"/review/cases/{folder_post.case_id}/approve", data=approve)
    assert refused.status_code == 409 and PERSONAL_DATA_MESSAGE in refused.text
    start = caption.index(phone)
    form = {"csrf_token": token, "start": start, "end": start + len(phone), "kind": "phone"}
    url = f"/review/posts/{folder_post.id}/findings/allow"
    short = web.post(url, data={**form, "reason": "ok"})
    assert short.status_code == 409 and "Tuliskan alasannya" in short.text
    allowed = web.post(url, data={**form, "reason": REASON})
    assert allowed.status_code == 303
    page = web.get(allowed.headers["location"])
    assert "Temuan ditandai bukan data pribadi" in page.text
    assert f'<mark class="pii" title="nomor telepon">{phone}</mark>' not in page.text
    approved = web.post(f"/review/cases/{folder_post.case_id}/approve", data=approve)
    assert approved.status_code == 303
    (row,) = audit_rows(ctx, "post.finding_allowed")
    assert row.details["kind"] == "phone" and phone not in str(row.details)


def test_the_reporters_name_from_the_case_record_is_found_through_the_api(
    ctx: AppContext,
) -> None:
    reporter = person(7)
    folder_post, _ = drafted(ctx, reporter=reporter)
    caption = set_caption(ctx, folder_post.id, f"Terima kasih {reporter['name']}.")
    web, token = reviewer(ctx)
    found = web.get(f"/api/v1/posts/{folder_post.id}/findings")
    assert found.status_code == 200
    names = [f for f in found.json() if f["kind"] == "name"]
    assert names and caption[names[0]["start"] : names[0]["end"]] in reporter["name"]
    assert reporter["name"] not in found.text
    headers = {"X-CSRF-Token": token}
    for f in found.json():
        body = {**f, "reason": "Nama tokoh publik, sudah disetujui."}
        response = web.post(
            f"/api/v1/posts/{folder_post.id}/findings/allow", json=body, headers=headers
        )
        assert response.status_code == 200, response.text
    assert web.get(f"/api/v1/posts/{folder_post.id}/findings").json() == []
    outside = {"start": 0, "end": 10_000, "kind": "name", "reason": REASON}
    bad = web.post(f"/api/v1/posts/{folder_post.id}/findings/allow", json=outside, headers=headers)
    assert bad.status_code == 409 and bad.json()["detail"] == "Temuan tidak valid."


def test_a_reviewer_adds_the_reporters_photo_only_with_a_reason_while_the_post_awaits_review(
    ctx: AppContext,
) -> None:
    folder_post, telegram_post = drafted(ctx)
    own_photo = add_photo(ctx, supplied_by="reporter")
    pic_photo = add_photo(ctx, supplied_by="pic")
    web, token = reviewer(ctx)
    page = web.get(f"/review/cases/{folder_post.case_id}")
    assert "Foto dari pelapor (1;" in page.text and "Sertakan foto ini" in page.text
    url = f"/review/posts/{telegram_post.id}/reporter-photos"
    no_reason = web.post(url, data={"csrf_token": token, "media_id": own_photo})
    assert no_reason.status_code == 409
    form = {"csrf_token": token, "media_id": own_photo, "reason": "Foto pelapor paling jelas."}
    assert web.post(url, data=form).status_code == 303
    post = load(ctx, telegram_post.id)
    (entry,) = [e for e in post.media if e.get("source_media_id") == own_photo]
    assert entry["supplied_by"] == "reporter" and ctx.media.exists(entry["sha256"], ".jpg")
    assert load(ctx, folder_post.id).media == folder_post.media  # the other account is untouched
    again = web.post(url, data=form)
    assert again.status_code == 409 and "sudah ada" in again.text
    not_reporters = web.post(url, data={**form, "media_id": pic_photo})
    assert not_reporters.status_code == 409 and "bukan foto pelapor" in not_reporters.text
    (row,) = audit_rows(ctx, "post.reporter_photo_included")
    assert row.details == {"media_id": own_photo, "reason": "Foto pelapor paling jelas."}
    with ctx.sessions() as session, session.begin():
        session.execute(
            update(Post).where(Post.id == folder_post.id).values(review_state="rejected")
        )
    late = web.post(
        f"/api/v1/posts/{folder_post.id}/reporter-photos",
        json={"media_id": own_photo, "reason": "Foto pelapor paling jelas."},
        headers={"X-CSRF-Token": token},
    )
    assert late.status_code == 409 and "tidak sedang menunggu tinjauan" in late.json()["detail"]


def blurred_photo(ctx: AppContext, post: Post, platform: str) -> tuple[int, bytes]:
    """A PIC photo with one blurred face, drafted into ``post`` as drafting would render it."""
    unblurred = jpeg(colour=(200, 170, 150))
    media_id = add_photo(
        ctx,
        supplied_by="pic",
        face_boxes=[{"x": 10, "y": 10, "w": 40, "h": 40}],
        unblurred_sha256=ctx.private_media.put(unblurred, ".jpg"),
    )
    with ctx.sessions() as session, session.begin():
        media = session.get(Media, media_id)
        stored = session.get(Post, post.id)
        assert media is not None and stored is not None
        stored.media = renditions(
            ctx.media, publishable_media([media]), platform, BannerText("DPUPR", date(2025, 1, 1))
        )
    return media_id, unblurred


def test_blurred_faces_are_shown_only_when_a_reviewer_gives_a_reason(ctx: AppContext) -> None:
    _, telegram_post = drafted(ctx)
    media_id, unblurred = blurred_photo(ctx, telegram_post, "telegram")
    before = load(ctx, telegram_post.id).media
    web, token = reviewer(ctx)
    page = web.get(f"/review/cases/{telegram_post.case_id}")
    assert "1 wajah disamarkan" in page.text and "Tampilkan wajah" in page.text
    url = f"/review/posts/{telegram_post.id}/unblur"
    refused = web.post(url, data={"csrf_token": token, "media_id": media_id, "reason": ""})
    assert refused.status_code == 409
    assert load(ctx, telegram_post.id).media == before
    reason = "Petugas dinas, bersedia tampil."
    done = web.post(url, data={"csrf_token": token, "media_id": media_id, "reason": reason})
    assert done.status_code == 303
    after = load(ctx, telegram_post.id).media
    expected = hashlib.sha256(
        render_for_platform(unblurred, get_spec("telegram").media)
    ).hexdigest()
    assert len(after) == len(before) and after[0]["sha256"] == expected
    assert after[0]["unblurred"] is True and ctx.media.exists(expected, ".jpg")
    assert "ditampilkan tanpa samaran" in web.get(done.headers["location"]).text
    again = web.post(url, data={"csrf_token": token, "media_id": media_id, "reason": reason})
    assert again.status_code == 409
    (row,) = audit_rows(ctx, "post.photo_unblurred")
    assert row.details == {"media_id": media_id, "faces": 1, "reason": reason}


def test_only_reviewers_may_show_blurred_faces_and_only_of_photos_in_the_post(
    ctx: AppContext,
) -> None:
    folder_post, telegram_post = drafted(ctx)
    media_id, _ = blurred_photo(ctx, telegram_post, "telegram")
    make_user(ctx, "pic1", "pic", "dpupr")
    pic = client(ctx)
    pic_token = sign_in(pic, "pic1")
    body = {"media_id": media_id, "reason": "Petugas dinas, bersedia tampil."}
    url = f"/api/v1/posts/{telegram_post.id}/unblur"
    assert pic.post(url, json=body, headers={"X-CSRF-Token": pic_token}).status_code == 403
    web, token = reviewer(ctx)
    # The folder post was drafted without this photo: there is nothing to unblur in it.
    missing = web.post(
        f"/api/v1/posts/{folder_post.id}/unblur", json=body, headers={"X-CSRF-Token": token}
    )
    assert missing.status_code == 409 and "tidak ada di kiriman" in missing.json()["detail"]
    ok = web.post(url, json=body, headers={"X-CSRF-Token": token})
    assert ok.status_code == 200 and ok.json()["media"][0]["unblurred"] is True


def test_the_findings_in_the_pics_note_are_highlighted_on_exactly_the_words_they_were_found_in(
    ctx: AppContext,
) -> None:
    import re
    from html import unescape

    from publisher.db.models import Screening

    reporter = person(7)
    first_name = reporter["name"].split()[-1]
    note = (
        f"Lampu jalan sudah diganti. Dikonfirmasi oleh Pak {first_name} "
        f"(HP {reporter['phone']}) di RT 03/RW 02."
    )
    folder_post, _ = drafted(ctx, reporter=reporter, action=note)
    with ctx.sessions() as session:
        screening = session.scalar(select(Screening))
        assert screening is not None
        found = [note[f["start"] : f["end"]] for f in screening.pii_findings]
    assert reporter["phone"] in found and any("03" in f for f in found)
    web, _ = reviewer(ctx)
    page = web.get(f"/review/cases/{folder_post.case_id}")
    block = re.search(r'<div class="card-preview">(.*?)</div>', page.text, re.S)
    assert block is not None
    marked = [unescape(m) for m in re.findall(r'<mark class="pii"[^>]*>(.*?)</mark>', block[1])]
    assert marked == found
