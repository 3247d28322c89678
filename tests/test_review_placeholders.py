"""Placeholders are never published (issue 16): a caption whose sentence had to be scrubbed
("Pak [nama disamarkan] (HP [nomor telepon disamarkan])") is flagged on the review page, and
approval is refused until the sentence is rewritten."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from publisher.db.models import AuditLog, Delivery, Post
from publisher.outbox import deliveries as outbox
from publisher.privacy.guard import placeholders_in
from publisher.review import actions as review
from publisher.review.actions import PLACEHOLDER_MESSAGE
from publisher.runtime.context import AppContext
from tests.factories import feed_record, person
from tests.flow import add_account, add_user, feed_and_draft
from tests.web_support import client, make_user, sign_in

NOTE = "Disaring manual: kasus umum, tidak rawan konflik."


def test_a_caption_with_a_placeholder_is_flagged_and_cannot_be_approved_until_rewritten(
    ctx: AppContext,
) -> None:
    add_account(ctx, "folder", "dpupr")
    reporter = person(16)
    action = (
        f"Sudah dicek ke rumah Pak {reporter['name']} (hp {reporter['phone']}). "
        "Saluran sudah dibersihkan dan air kembali lancar."
    )
    (post,) = feed_and_draft(ctx, feed_record(1, reporter=reporter, action=action))
    assert placeholders_in(post.caption)
    make_user(ctx, "rev", "reviewer")
    web = client(ctx)
    token = sign_in(web, "rev")
    page = web.get(f"/review/cases/{post.case_id}")
    assert page.status_code == 200 and PLACEHOLDER_MESSAGE in page.text
    form = {"csrf_token": token, "post_ids": [str(post.id)], "manual_screening_note": NOTE}
    refused = web.post(f"/review/cases/{post.case_id}/approve", data=form)
    assert refused.status_code == 409 and PLACEHOLDER_MESSAGE in refused.text
    with ctx.sessions() as session:
        assert session.scalars(select(Delivery)).all() == []
    rewritten = re.sub(r"[^.]*disamarkan\][^.]*\.\s*", "", post.caption)
    editor = add_user(ctx, "editor")
    with ctx.sessions() as session, session.begin():
        review.edit(session, post.id, editor, caption=rewritten)
    assert web.post(f"/review/cases/{post.case_id}/approve", data=form).status_code == 303
    assert outbox.publish_due(ctx).published == 1
    with ctx.sessions() as session:
        (delivery,) = session.scalars(select(Delivery))
        published = session.get(Post, delivery.post_id)
        assert published is not None
    folder = Path(ctx.settings.folder_platform_dir) / "dpupr" / delivery.marker
    sent = (folder / "caption.txt").read_text()
    assert "disamarkan" not in sent and "Saluran sudah dibersihkan" in sent
    for value in (reporter["name"], reporter["phone"]):
        assert value not in sent


def test_every_redaction_tag_counts_as_a_placeholder_whatever_its_case() -> None:
    assert placeholders_in("Hubungi Pak [NAMA DISAMARKAN] di [nomor telepon disamarkan].")
    assert placeholders_in("Pak X (HP [nomor disamarkan]), [email disamarkan].") == [
        "[nomor disamarkan]",
        "[email disamarkan]",
    ]
    assert placeholders_in("Jalan sudah diaspal, nama jalan tidak disamarkan.") == []


def test_a_reviewers_reason_naming_the_reporter_is_scrubbed_before_it_is_stored(
    ctx: AppContext,
) -> None:
    add_account(ctx, "folder", "dpupr")
    reporter = person(21)
    (post,) = feed_and_draft(ctx, feed_record(1, reporter=reporter))
    reviewer = add_user(ctx, "rev")
    reason = f"Ditolak: Pak {reporter['name']} (hp {reporter['phone']}) minta tidak dimuat."
    with ctx.sessions() as session, session.begin():
        review.reject(session, post.id, reviewer, reason=reason, vault=ctx.vault)
    with ctx.sessions() as session:
        stored = session.get(Post, post.id)
        assert stored is not None
        details = [str(a.details) for a in session.scalars(select(AuditLog))]
    for text in (stored.review_note, *details):
        assert reporter["phone"] not in text and reporter["name"] not in text
    assert "minta tidak dimuat" in stored.review_note
