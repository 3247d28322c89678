"""Forms that keep input (issue 21): a refused form comes back on the same page with its
message next to the field (``aria-describedby`` ties them) and what was typed kept, never a
"Tidak dapat dilanjutkan" dead end; secrets (passwords, credentials) are never sent back."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import select, update

from publisher.db.models import AuditLog, Post
from publisher.runtime.context import AppContext
from tests.factories import feed_record
from tests.flow import add_account, feed_and_draft
from tests.web_support import PASSWORD, client, login_csrf, make_user, sign_in, waiting_case

NOTE = "Disaring manual: kasus umum, tidak rawan konflik."
DEAD_END = "Kembali ke beranda"


def drafted(ctx: AppContext) -> list[Post]:
    add_account(ctx, "folder", "dpupr")
    add_account(ctx, "telegram", "@dpupr_tegal", {"bot_token": "1:x", "chat_id": "@dpupr_tegal"})
    return feed_and_draft(ctx, feed_record(1))


def field_message(html: str, field_id: str) -> str:
    """The message tied to the field with id ``field_id`` by its aria-describedby."""
    tag = re.search(rf'<(?:input|textarea|select|fieldset)[^>]*\bid="{field_id}"[^>]*>', html)
    if tag is None:  # a fieldset carries no id: look the field up by name
        tag = re.search(rf'<(?:input|textarea|select)[^>]*\bname="{field_id}"[^>]*>', html)
    assert tag is not None, field_id
    described = re.search(r'aria-describedby="([^"]+)"', tag.group(0))
    assert described is not None and 'aria-invalid="true"' in tag.group(0), tag.group(0)
    ids = described.group(1).split()
    messages = [re.search(rf'id="{i}"[^>]*>([^<]*)<', html) for i in ids]
    return " ".join(unescape(m.group(1)) for m in messages if m)


def textarea(html: str, field_id: str) -> str:
    found = re.search(rf'<textarea[^>]*\bid="{field_id}"[^>]*>(.*?)</textarea>', html, re.S)
    assert found is not None, field_id
    return unescape(found.group(1))


def value(html: str, field_id: str) -> str:
    tag = re.search(rf'<input[^>]*\bid="{field_id}"[^>]*>', html)
    assert tag is not None, field_id
    found = re.search(r'value="([^"]*)"', tag.group(0))
    return unescape(found.group(1)) if found else ""


def test_bad_credentials_keep_the_username_and_say_so_next_to_the_password(
    ctx: AppContext,
) -> None:
    make_user(ctx, "rina", "reviewer")
    web = client(ctx)
    token = login_csrf(web)
    wrong = "salah-sekali-123"
    page = web.post("/login", data={"username": "rina", "password": wrong, "csrf_token": token})
    assert page.status_code == 401 and DEAD_END not in page.text
    assert value(page.text, "username") == "rina"
    assert "salah" in field_message(page.text, "password").lower()
    assert wrong not in page.text  # a password is never sent back
    empty = web.post(
        "/login", data={"username": "", "password": PASSWORD, "csrf_token": login_csrf(web)}
    )
    assert empty.status_code == 400 and "Isi nama pengguna" in field_message(empty.text, "username")


def test_a_blocked_post_without_a_reason_to_release_it_keeps_the_notes_on_the_page(
    ctx: AppContext,
) -> None:
    folder_post, telegram_post = drafted(ctx)
    make_user(ctx, "rev", "reviewer")
    with ctx.sessions() as session, session.begin():
        session.execute(update(Post).values(review_state="blocked"))
    web = client(ctx)
    token = sign_in(web, "rev")
    url = f"/review/cases/{folder_post.case_id}/approve"
    form = {
        "csrf_token": token,
        "post_ids": [str(telegram_post.id)],
        "manual_screening_note": NOTE,
        "override_reason": "pendek",
    }
    page = web.post(url, data=form)
    assert page.status_code == 409 and DEAD_END not in page.text
    message = field_message(page.text, "override_reason")
    assert "alasan melepas blokir" in message and "override" not in message
    assert "Alasan melepas blokir" in page.text
    assert textarea(page.text, "override_reason") == "pendek"
    # Only the account chosen stays chosen.
    boxes = re.findall(r'<input type="checkbox" name="post_ids" value="(\d+)" ([a-z]*)>', page.text)
    assert dict(boxes) == {str(folder_post.id): "", str(telegram_post.id): "checked"}
    with ctx.sessions() as session:
        assert set(session.scalars(select(Post.review_state))) == {"blocked"}


def test_a_schedule_in_the_past_is_shown_at_the_schedule_field(ctx: AppContext) -> None:
    folder_post, _ = drafted(ctx)
    make_user(ctx, "rev", "reviewer")
    web = client(ctx)
    token = sign_in(web, "rev")
    form = {"csrf_token": token, "scheduled_for": "2001-01-01T09:00", "manual_screening_note": NOTE}
    page = web.post(f"/review/cases/{folder_post.case_id}/approve", data=form)
    assert page.status_code == 400
    assert "sudah lewat" in field_message(page.text, "scheduled_for")
    assert value(page.text, "scheduled_for") == "2001-01-01T09:00"


def test_a_caption_without_the_hashtag_keeps_the_rewritten_text(ctx: AppContext) -> None:
    folder_post, _ = drafted(ctx)
    make_user(ctx, "rev", "reviewer")
    web = client(ctx)
    token = sign_in(web, "rev")
    rewritten = "Jalan sudah diperbaiki & rapi <b>sekali</b>."
    page = web.post(
        f"/review/posts/{folder_post.id}/edit", data={"csrf_token": token, "caption": rewritten}
    )
    assert page.status_code == 409 and DEAD_END not in page.text
    assert "#LaporBupatiTegal" in field_message(page.text, f"caption-{folder_post.id}")
    assert textarea(page.text, f"caption-{folder_post.id}") == rewritten
    assert "<b>sekali</b>" not in page.text  # kept as text, escaped
    assert f'<details id="edit-{folder_post.id}" open>' in page.text


def test_a_rejection_without_a_reason_is_said_next_to_the_reason(ctx: AppContext) -> None:
    folder_post, _ = drafted(ctx)
    make_user(ctx, "rev", "reviewer")
    web = client(ctx)
    token = sign_in(web, "rev")
    page = web.post(
        f"/review/cases/{folder_post.case_id}/reject",
        data={"csrf_token": token, "post_ids": [str(folder_post.id)], "as_conflict": "true"},
    )
    assert page.status_code == 409
    assert "alasan penolakan" in field_message(page.text, "reason")
    assert re.search(r'name="as_conflict" value="true" checked', page.text)


def test_a_pic_without_an_agency_is_said_next_to_the_agency_and_the_form_is_kept(
    ctx: AppContext,
) -> None:
    make_user(ctx, "admin", "admin")
    web = client(ctx)
    token = sign_in(web, "admin")
    secret = "rahasia-sekali-123"
    form = {
        "csrf_token": token,
        "username": "pic_baru",
        "full_name": "Petugas Baru",
        "role": "pic",
        "agency": "",
        "password": secret,
    }
    page = web.post("/admin/users", data=form)
    assert page.status_code == 400 and DEAD_END not in page.text
    assert "PIC wajib memiliki instansi" in field_message(page.text, "u-agency")
    assert value(page.text, "u-name") == "pic_baru" and value(page.text, "u-full") == "Petugas Baru"
    assert '<option value="pic" selected>' in page.text
    assert secret not in page.text
    with ctx.sessions() as session:
        assert session.scalar(select(AuditLog.id).where(AuditLog.action == "user.created")) is None


def test_an_account_with_bad_credentials_keeps_the_handle_but_never_the_credentials(
    ctx: AppContext,
) -> None:
    make_user(ctx, "admin", "admin")
    web = client(ctx)
    token = sign_in(web, "admin")
    form = {
        "csrf_token": token,
        "agency": "dpupr",
        "platform": "telegram",
        "handle": "@dpupr_baru",
        "credentials": '{"bot_token": "123:rahasia"',
    }
    page = web.post("/admin/accounts", data=form)
    assert page.status_code == 400
    assert "JSON" in field_message(page.text, "a-creds")
    assert value(page.text, "a-handle") == "@dpupr_baru"
    assert '<option value="telegram" selected>' in page.text
    assert "123:rahasia" not in page.text


def test_a_short_follow_up_keeps_the_pics_text_with_the_message_under_it(ctx: AppContext) -> None:
    case_id = waiting_case(ctx, 7)
    make_user(ctx, "pic1", "pic", "dpupr")
    web = client(ctx)
    token = sign_in(web, "pic1")
    page = web.post(
        f"/pic/cases/{case_id}/follow-up", data={"csrf_token": token, "action_text": "Sudah."}
    )
    assert page.status_code == 422
    assert "minimal" in field_message(page.text, "action_text")
    assert "Lampirkan" in field_message(page.text, "after")
    assert textarea(page.text, "action_text") == "Sudah."


def test_a_takedown_without_a_reason_keeps_the_list_and_says_so_at_the_delivery(
    ctx: AppContext,
) -> None:
    folder_post, _ = drafted(ctx)
    make_user(ctx, "rev", "reviewer")
    web = client(ctx)
    token = sign_in(web, "rev")
    approved = web.post(
        f"/review/cases/{folder_post.case_id}/approve",
        data={
            "csrf_token": token,
            "post_ids": [str(folder_post.id)],
            "manual_screening_note": NOTE,
        },
    )
    assert approved.status_code == 303
    listing = web.get("/deliveries").text
    delivery = re.search(r'id="delivery-(\d+)"', listing)
    assert delivery is not None
    page = web.post(
        f"/deliveries/{delivery.group(1)}/takedown", data={"csrf_token": token, "reason": "x"}
    )
    assert page.status_code == 400
    assert "alasan" in field_message(page.text, f"td-{delivery.group(1)}").lower()
    assert value(page.text, f"td-{delivery.group(1)}") == "x"


def test_a_period_that_ends_before_it_starts_is_said_at_the_dates_which_are_kept(
    ctx: AppContext,
) -> None:
    make_user(ctx, "boss", "pimpinan")
    web = client(ctx)
    sign_in(web, "boss")
    page = web.get("/dashboard?start=2026-05-01&end=2026-01-01")
    assert page.status_code == 400
    assert 'value="2026-05-01"' in page.text and 'value="2026-01-01"' in page.text
    assert 'aria-describedby="err-period"' in page.text
    assert "Tanggal awal harus sebelum tanggal akhir" in page.text


def test_an_unknown_queue_filter_shows_the_open_queue_with_the_message_at_the_status(
    ctx: AppContext,
) -> None:
    drafted(ctx)
    make_user(ctx, "rev", "reviewer")
    web = client(ctx)
    sign_in(web, "rev")
    page = web.get("/review?state=taken_downn")
    assert page.status_code == 400 and DEAD_END not in page.text
    assert "Filter status tidak dikenal" in field_message(page.text, "f-state")
    assert "LPR-2025-00001" in page.text  # the open queue meanwhile
