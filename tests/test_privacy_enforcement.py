"""Personal data in a caption blocks approval and publishing; a reviewer can clear a false
positive with a reason; log lines are scrubbed."""

from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import select

from publisher.core.errors import ReviewError
from publisher.db.models import Delivery, Post, Screening
from publisher.outbox import deliveries as outbox
from publisher.privacy.logs import configure
from publisher.review import actions as review
from publisher.runtime.context import AppContext
from tests.factories import feed_record, person
from tests.flow import add_account, add_user, feed_and_draft


def test_the_reviewer_sees_what_the_pics_note_carried_as_kinds_and_offsets(
    ctx: AppContext,
) -> None:
    add_account(ctx, "folder", "dpupr")
    note = "Sudah dicek ke rumah Bu Sri RT 03/RW 05, hp 0812-3456-7890. Jalan sudah ditambal."
    (post,) = feed_and_draft(ctx, feed_record(1, action=note))
    with ctx.sessions() as session:
        screening = session.scalar(select(Screening))
        assert screening is not None
    kinds = {f["kind"] for f in screening.pii_findings}
    assert {"name", "rt_rw", "phone"} <= kinds
    assert all(set(f) == {"kind", "start", "end"} for f in screening.pii_findings)
    assert "Sri" not in post.caption and "0812" not in post.caption


def test_a_caption_edited_to_hold_a_phone_number_cannot_be_approved(ctx: AppContext) -> None:
    add_account(ctx, "folder", "dpupr")
    (post,) = feed_and_draft(ctx, feed_record(2))
    reviewer = add_user(ctx, "rev")
    with ctx.sessions() as session, session.begin():
        row = session.get(Post, post.id)
        assert row is not None
        row.caption += "\nInfo lanjut hubungi 0813 2222 9999"
    with pytest.raises(ReviewError, match="personal data"), ctx.sessions() as session:
        review.approve(session, post.id, reviewer, vault=ctx.vault)


def test_a_known_reporter_name_without_honorific_is_caught_with_the_vault(
    ctx: AppContext,
) -> None:
    add_account(ctx, "folder", "dpupr")
    reporter = person(31)
    (post,) = feed_and_draft(ctx, feed_record(3, reporter=reporter))
    last = reporter["name"].replace(",", " ").split()[-2 if "," in reporter["name"] else -1]
    reviewer = add_user(ctx, "rev")
    with ctx.sessions() as session, session.begin():
        row = session.get(Post, post.id)
        assert row is not None
        row.caption += f"\nTerima kasih {last}"
    with pytest.raises(ReviewError, match="personal data"), ctx.sessions() as session:
        review.approve(session, post.id, reviewer, vault=ctx.vault)


def test_a_false_positive_cleared_with_a_reason_no_longer_blocks(ctx: AppContext) -> None:
    add_account(ctx, "folder", "dpupr")
    (post,) = feed_and_draft(ctx, feed_record(4))
    reviewer = add_user(ctx, "rev")
    extra = "\nPengaduan layanan: 0813 2222 9999"
    with ctx.sessions() as session, session.begin():
        row = session.get(Post, post.id)
        assert row is not None
        row.caption += extra
        start = row.caption.index("0813")
        end = start + len("0813 2222 9999")
    with pytest.raises(ReviewError, match="reason"), ctx.sessions() as session:
        review.allow_finding(
            session, post.id, reviewer, start=start, end=end, kind="phone", reason=""
        )
    with ctx.sessions() as session, session.begin():
        review.allow_finding(
            session,
            post.id,
            reviewer,
            start=start,
            end=end,
            kind="phone",
            reason="Nomor layanan resmi dinas.",
        )
    with ctx.sessions() as session, session.begin():
        review.approve(session, post.id, reviewer, vault=ctx.vault)


def test_a_caption_changed_after_approval_to_hold_personal_data_is_never_sent(
    ctx: AppContext,
) -> None:
    add_account(ctx, "folder", "dpupr")
    (post,) = feed_and_draft(ctx, feed_record(5))
    reviewer = add_user(ctx, "rev")
    with ctx.sessions() as session, session.begin():
        review.approve(session, post.id, reviewer, vault=ctx.vault)
    with ctx.sessions() as session, session.begin():
        row = session.get(Post, post.id)
        assert row is not None
        row.caption += "\nNIK pelapor 3328014108900002"
    outbox.publish_due(ctx)
    with ctx.sessions() as session:
        delivery = session.scalar(select(Delivery))
        assert delivery is not None
    assert delivery.state == "failed" and "data pribadi" in delivery.last_error
    assert not list((ctx.settings.folder_platform_dir).rglob("caption.txt"))


def test_log_lines_are_scrubbed_of_personal_data() -> None:
    stream = io.StringIO()
    handler = configure("INFO", stream=stream)
    try:
        logging.getLogger("publisher.test").warning(
            "could not reach Bu Sri Wahyuni at %s", "0812-3456-7890"
        )
    finally:
        logging.getLogger().removeHandler(handler)
    line = stream.getvalue()
    assert "0812" not in line and "Wahyuni" not in line and "disamarkan" in line
