"""From a stored case to an approved post: screening, the caption, and the review rules."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from publisher.core.errors import ReviewError
from publisher.db.models import AuditLog, Delivery, Post, Screening
from publisher.review import actions as review
from publisher.runtime.context import AppContext
from tests.factories import feed_record, person
from tests.flow import add_account, add_user, feed_and_draft


def test_the_caption_names_the_agency_the_kecamatan_and_the_hashtag(ctx: AppContext) -> None:
    add_account(ctx, "folder", "dpupr")
    (post,) = feed_and_draft(ctx, feed_record(1, kecamatan="Adiwerna", desa="Ujungrusi"))
    assert "#LaporBupatiTegal" in post.caption
    assert "Dinas Pekerjaan Umum dan Penataan Ruang" in post.caption
    assert "Kecamatan Adiwerna" in post.caption and "Desa Ujungrusi" in post.caption
    assert "LPR-2025-00001" in post.caption


def test_the_caption_carries_none_of_the_reporters_fields_even_when_the_pic_wrote_them(
    ctx: AppContext,
) -> None:
    add_account(ctx, "folder", "dpupr")
    reporter = person(77)
    first = next(w for w in reporter["name"].replace(",", " ").split() if len(w) >= 3)
    phone = reporter["phone"]
    spaced = f"{phone[:4]}-{phone[4:8]} {phone[8:]}"
    action = (
        f"Sudah dicek bersama pelapor {reporter['name']} (hp {spaced}), terima kasih "
        f"Bu {first}. Jalan sudah ditambal. NIK {reporter['nik']}."
    )
    (post,) = feed_and_draft(ctx, feed_record(2, reporter=reporter, action=action))
    for value in (reporter["name"], first, phone, spaced, reporter["nik"], reporter["address"]):
        assert value not in post.caption
    assert "[nama disamarkan]" in post.caption


def test_a_rahasia_case_never_becomes_a_post(ctx: AppContext) -> None:
    add_account(ctx, "folder", "dpupr")
    posts = feed_and_draft(ctx, feed_record(3, privacy="rahasia"))
    assert posts == []
    with ctx.sessions() as session:
        screening = session.scalar(select(Screening))
        assert screening is not None and screening.decision == "block"


def test_approving_a_post_puts_one_delivery_in_the_outbox_and_audits_it(
    ctx: AppContext,
) -> None:
    add_account(ctx, "folder", "dpupr")
    (post,) = feed_and_draft(ctx, feed_record(4))
    reviewer = add_user(ctx, "rina")
    with ctx.sessions() as session, session.begin():
        review.approve(session, post.id, reviewer)
    with ctx.sessions() as session:
        deliveries = session.scalars(select(Delivery)).all()
        assert [(d.post_id, d.state) for d in deliveries] == [(post.id, "pending")]
        actions = session.scalars(select(AuditLog.action)).all()
        assert "post.approved" in actions


def test_a_blocked_post_needs_a_written_override_by_a_reviewer_who_did_not_submit_it(
    ctx: AppContext,
) -> None:
    add_account(ctx, "folder", "dpupr")
    conflict = "Sengketa tanah warisan dengan tetangga, dia mengancam akan membakar rumah."
    mediation = "Sudah dilakukan mediasi antara kedua pihak di balai desa."
    (post,) = feed_and_draft(ctx, feed_record(5, complaint=conflict, action=mediation))
    assert post.review_state == "blocked"
    submitter, other = add_user(ctx, "budi"), add_user(ctx, "sari")
    with ctx.sessions() as session, session.begin():
        session.get(Post, post.id).submitted_by_id = submitter.id  # type: ignore[union-attr]
    with pytest.raises(ReviewError, match="written reason"), ctx.sessions() as session:
        review.approve(session, post.id, other)
    with pytest.raises(ReviewError, match="submitter"), ctx.sessions() as session:
        review.approve(session, post.id, submitter, override_reason="Sudah dicek, aman terbit.")
    with ctx.sessions() as session, session.begin():
        review.approve(session, post.id, other, override_reason="Sudah dicek, aman terbit.")
    with ctx.sessions() as session:
        assert session.get(Post, post.id).review_state == "approved"  # type: ignore[union-attr]


def test_a_pic_cannot_approve_and_a_rejection_needs_a_reason(ctx: AppContext) -> None:
    add_account(ctx, "folder", "dpupr")
    (post,) = feed_and_draft(ctx, feed_record(6))
    pic, reviewer = add_user(ctx, "pic1", role="pic"), add_user(ctx, "rev1")
    with pytest.raises(ReviewError), ctx.sessions() as session:
        review.approve(session, post.id, pic)
    with pytest.raises(ReviewError), ctx.sessions() as session:
        review.reject(session, post.id, reviewer, reason="")
    with ctx.sessions() as session, session.begin():
        review.reject(session, post.id, reviewer, reason="Foto kurang jelas.")
    with pytest.raises(ReviewError), ctx.sessions() as session:
        review.approve(session, post.id, reviewer)


def test_with_no_usable_model_a_post_needs_a_manual_screening_note(ctx: AppContext) -> None:
    from classifiers import ModelNotFound
    from publisher.screening.screen import screen_pending

    add_account(ctx, "folder", "dpupr")
    from publisher.intake.records import ingest

    with ctx.sessions() as session, session.begin():
        ingest(session, ctx.vault, "app", [feed_record(7)])

    def broken_model() -> object:
        raise ModelNotFound("gone")

    with ctx.sessions() as session, session.begin():
        counts = screen_pending(session, broken_model)  # type: ignore[arg-type]
    assert counts.manual == 1
    from jobs.pipeline import run_job

    run_job(ctx, "render")
    reviewer = add_user(ctx, "rev2")
    with ctx.sessions() as session:
        post = session.scalar(select(Post))
        assert post is not None
        with pytest.raises(ReviewError, match="manual screening"):
            review.approve(session, post.id, reviewer)
    with ctx.sessions() as session, session.begin():
        review.approve(session, post.id, reviewer, manual_screening_note="Dibaca manual: aman.")
