"""Issue 20: a rejected follow-up goes back to the PIC with the reason and can be sent again
(replacing the old one in review, history kept), and the PIC's pages tell the truth about
what became of a case: sent, in review, rejected (reason), not published, published."""

from __future__ import annotations

from sqlalchemy import select

from jobs.pipeline import run_job
from publisher.db.models import AuditLog, Case, Delivery, FollowUp, Post, User
from publisher.review import actions as review
from publisher.runtime.context import AppContext
from tests.factories import jpeg, person
from tests.flow import add_account
from tests.web_support import client, make_user, sign_in, waiting_case

ACTION = "Lampu PJU yang padam sudah diganti baru oleh tim Dishub pada malam hari."
AGAIN = "Foto ulang siang hari: lampu PJU baru sudah menyala dan tiangnya dicat ulang."
REASON = "Foto kurang jelas, mohon kirim ulang foto siang hari."


def send(web, token: str, case_id: int, text: str, submission: str, colour: tuple[int, int, int]):  # type: ignore[no-untyped-def]
    return web.post(
        f"/pic/cases/{case_id}/follow-up",
        data={"csrf_token": token, "action_text": text, "submission_id": submission},
        files=[("after", ("a.jpg", jpeg(colour=colour), "image/jpeg"))],
    )


def reject_all(ctx: AppContext, reason: str = REASON) -> None:
    with ctx.sessions() as session, session.begin():
        reviewer = session.scalar(select(User).where(User.username == "rev"))
        assert reviewer is not None
        for post in session.scalars(select(Post)):
            review.reject(session, post.id, reviewer, reason=reason, vault=ctx.vault)


def test_a_rejected_follow_up_is_shown_with_its_reason_and_can_be_sent_again(
    ctx: AppContext,
) -> None:
    make_user(ctx, "pic1", "pic", "dpupr")
    make_user(ctx, "rev", "reviewer")
    add_account(ctx, "folder", "dpupr")
    case_id = waiting_case(ctx, 1)
    web = client(ctx)
    token = sign_in(web, "pic1")
    assert send(web, token, case_id, ACTION, "first", (200, 10, 10)).status_code == 303
    run_job(ctx, "screen")
    run_job(ctx, "render")
    # While it is in review the form answers 409 with where to look, not "try again".
    busy = web.get(f"/pic/cases/{case_id}/follow-up")
    assert busy.status_code == 409 and "Kiriman saya" in busy.text
    with ctx.sessions() as session:
        first_media = session.scalars(select(Post.media)).one()
    reject_all(ctx)

    cases = web.get("/pic").text
    assert "LPR-2025-00001" in cases and "Ditolak" in cases and REASON in cases
    assert f"/pic/cases/{case_id}/follow-up" in cases  # the case stays, with a way to resend
    assert "Ditolak" in web.get("/pic/submissions").text
    form = web.get(f"/pic/cases/{case_id}/follow-up")
    assert form.status_code == 200 and REASON in form.text

    assert send(web, token, case_id, AGAIN, "second", (10, 10, 200)).status_code == 303
    with ctx.sessions() as session:
        old, new = session.scalars(select(FollowUp).order_by(FollowUp.id)).all()
        assert old.replaced_by_id == new.id and new.replaced_by_id is None
        (post,) = session.scalars(select(Post))
        assert post.redraft_requested_at is not None
        assert "menggantikan yang ditolak" in post.changes
        resubmitted = session.scalar(
            select(AuditLog).where(AuditLog.action == "follow_up.resubmitted")
        )
        assert resubmitted is not None and resubmitted.details["replaced"] == 1
    pages = web.get("/pic/submissions").text
    assert "Digantikan kiriman baru" in pages and "Sedang ditinjau" in pages

    run_job(ctx, "render")
    with ctx.sessions() as session:
        (post,) = session.scalars(select(Post))
        assert post.review_state == "pending_review" and post.redraft_requested_at is None
        assert "siang hari" in post.caption and "diganti baru" not in post.caption
        assert len(post.media) == 1
        assert post.media != first_media  # rendered from the new photo
        assert session.scalar(select(AuditLog).where(AuditLog.action == "post.redrafted"))
    # The reviewer sees the new follow-up and what changed.
    reviewer_web = client(ctx)
    sign_in(reviewer_web, "rev")
    page = reviewer_web.get(f"/review/cases/{case_id}")
    assert page.status_code == 200 and "siang hari" in page.text


def test_a_post_waiting_for_its_re_draft_cannot_be_approved(ctx: AppContext) -> None:
    make_user(ctx, "pic1", "pic", "dpupr")
    make_user(ctx, "rev", "reviewer")
    add_account(ctx, "folder", "dpupr")
    case_id = waiting_case(ctx, 1)
    web = client(ctx)
    token = sign_in(web, "pic1")
    send(web, token, case_id, ACTION, "first", (200, 10, 10))
    run_job(ctx, "screen")
    run_job(ctx, "render")
    reject_all(ctx)
    send(web, token, case_id, AGAIN, "second", (10, 10, 200))
    with ctx.sessions() as session, session.begin():
        reviewer = session.scalar(select(User).where(User.username == "rev"))
        post = session.scalar(select(Post))
        assert reviewer is not None and post is not None
        try:
            review.approve(session, post.id, reviewer, manual_screening_note="x" * 12)
        except review.ReviewError as exc:
            assert "draf sedang diperbarui" in exc.user_message
        else:
            raise AssertionError("a post waiting for its re-draft was approved")


def test_the_case_list_shows_category_place_and_a_scrubbed_summary(ctx: AppContext) -> None:
    make_user(ctx, "pic1", "pic", "dpupr")
    reporter = person(7)
    complaint = (
        f"Lampu jalan mati sejak seminggu, tolong hubungi saya di {reporter['phone']} "
        f"atas nama {reporter['name']}."
    )
    waiting_case(ctx, 1, reporter=reporter, complaint=complaint)
    web = client(ctx)
    sign_in(web, "pic1")
    page = web.get("/pic").text
    assert "jalan" in page and "Kec. Slawi" in page and "Lampu jalan mati sejak seminggu" in page
    assert reporter["phone"] not in page and reporter["name"] not in page


def test_the_after_field_offers_camera_and_gallery(ctx: AppContext) -> None:
    make_user(ctx, "pic1", "pic", "dpupr")
    case_id = waiting_case(ctx, 1)
    web = client(ctx)
    sign_in(web, "pic1")
    page = web.get(f"/pic/cases/{case_id}/follow-up").text
    assert 'id="after"' in page and "capture" not in page


def test_a_rahasia_case_reads_not_published_without_a_word_on_screening(
    ctx: AppContext,
) -> None:
    make_user(ctx, "pic1", "pic", "dpupr")
    add_account(ctx, "folder", "dpupr")
    case_id = waiting_case(ctx, 1, privacy="rahasia")
    web = client(ctx)
    token = sign_in(web, "pic1")
    send(web, token, case_id, ACTION, "first", (200, 10, 10))
    run_job(ctx, "screen")
    run_job(ctx, "render")
    page = web.get("/pic/submissions").text
    assert "Tidak dipublikasikan" in page
    for word in ("rahasia", "disaring", "konflik", "blokir", "diblokir"):
        assert word not in page.lower().replace("rahasiakan", "")


def test_a_published_case_reads_published_with_its_link(ctx: AppContext) -> None:
    make_user(ctx, "pic1", "pic", "dpupr")
    add_account(ctx, "folder", "dpupr")
    case_id = waiting_case(ctx, 1)
    web = client(ctx)
    token = sign_in(web, "pic1")
    send(web, token, case_id, ACTION, "first", (200, 10, 10))
    assert "Terkirim" in web.get("/pic/submissions").text
    run_job(ctx, "screen")
    run_job(ctx, "render")
    assert "Sedang ditinjau" in web.get("/pic/submissions").text
    with ctx.sessions() as session, session.begin():
        post = session.scalar(select(Post))
        assert post is not None
        post.review_state = "approved"
        session.add(
            Delivery(
                post_id=post.id,
                account_id=post.account_id,
                state="published",
                remote_url="https://example.test/p/1",
            )
        )
        assert session.get(Case, case_id) is not None
    page = web.get("/pic/submissions").text
    assert "Dipublikasikan" in page and "https://example.test/p/1" in page
