"""The review queue and a case's review page: ordering, keyset paging, what is shown, and the
actions (approve for chosen accounts, edit back to review, reject, block release)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from publisher.core.clock import utcnow
from publisher.db.models import AuditLog, Delivery, Post, Screening
from publisher.review.routes import Cursor, QueueFilter, highlight, queue_page, queue_page_by_offset
from publisher.runtime.context import AppContext
from publisher.web.auth import Viewer
from tests.factories import feed_record
from tests.flow import add_account, feed_and_draft
from tests.web_support import client, make_user, sign_in

NOTE = "Disaring manual: kasus umum, tidak rawan konflik."


def drafted(ctx: AppContext, n: int = 1) -> list[Post]:
    add_account(ctx, "folder", "dpupr")
    add_account(ctx, "telegram", "@dpupr_tegal", {"bot_token": "1:x", "chat_id": "@dpupr_tegal"})
    return feed_and_draft(ctx, *[feed_record(i) for i in range(1, n + 1)])


def reviewer_viewer(user_id: int) -> Viewer:
    return Viewer(user_id, "rev", "", "reviewer", None, "s", "t")


def test_the_queue_is_sorted_by_risk_then_age_and_pages_by_keyset(any_ctx: AppContext) -> None:
    ctx = any_ctx
    posts = drafted(ctx, 6)
    rid = make_user(ctx, "rev", "reviewer")
    now = utcnow()
    with ctx.sessions() as session, session.begin():
        for i, post in enumerate(posts):
            session.execute(
                update(Post)
                .where(Post.id == post.id)
                .values(
                    risk_score=[0.9, 0.1, 0.5][i % 3],
                    created_at=now - timedelta(hours=i),
                    review_state="pending_review",
                )
            )
    viewer = reviewer_viewer(rid)
    with ctx.readonly_sessions() as session:
        everything = queue_page_by_offset(session, viewer, QueueFilter(), 0, 100)
        first, cursor = queue_page(session, viewer, QueueFilter(), None, 5)
        assert cursor is not None
        rest, end = queue_page(session, viewer, QueueFilter(), Cursor.decode(cursor.encode()), 5)
    keys = [(-r.risk, r.created_at, r.post_id) for r in everything]
    assert keys == sorted(keys) and len(everything) == 12
    assert [r.post_id for r in first + rest] == [r.post_id for r in everything][:10]
    assert end is not None


def test_the_queue_filters_by_platform_and_agency(ctx: AppContext) -> None:
    drafted(ctx, 2)
    make_user(ctx, "rev", "reviewer")
    web = client(ctx)
    sign_in(web, "rev")
    page = web.get("/review?platform=telegram")
    assert page.status_code == 200
    assert "@dpupr_tegal" in page.text and "folder dpupr" not in page.text
    assert "LPR-2025-00001" not in web.get("/review?agency=dinsos").text
    assert web.get("/review?after=not-a-cursor").status_code == 400


def test_the_case_page_shows_the_caption_reasons_and_personal_data_findings(
    ctx: AppContext,
) -> None:
    (post, _) = drafted(ctx)
    make_user(ctx, "rev", "reviewer")
    with ctx.sessions() as session, session.begin():
        screening = session.get(Screening, post.screening_id)
        assert screening is not None
        screening.reasons = ["kata pemicu: sengketa"]
        # Offsets in the PIC's note ("Lubang jalan sudah ditambal..."), where drafting finds them.
        screening.pii_findings = [{"kind": "phone", "start": 0, "end": 6}]
    web = client(ctx)
    sign_in(web, "rev")
    page = web.get(f"/review/cases/{post.case_id}")
    assert page.status_code == 200
    assert "kata pemicu: sengketa" in page.text
    assert '<mark class="pii" title="nomor telepon">Lubang</mark>' in page.text
    assert "Masih ada temuan data pribadi" in page.text  # pre-flight
    assert "Tanpa foto" in page.text
    assert "#LaporBupatiTegal" in page.text and "LPR-2025-00001" in page.text


def test_a_reviewer_approves_for_the_chosen_accounts_only(ctx: AppContext) -> None:
    folder_post, telegram_post = drafted(ctx)
    make_user(ctx, "rev", "reviewer")
    web = client(ctx)
    token = sign_in(web, "rev")
    response = web.post(
        f"/review/cases/{folder_post.case_id}/approve",
        data={
            "csrf_token": token,
            "post_ids": [str(folder_post.id)],
            "manual_screening_note": NOTE,
            "override_reason": NOTE,
        },
    )
    assert response.status_code == 303, response.text
    with ctx.sessions() as session:
        states = {pid: state for pid, state in session.execute(select(Post.id, Post.review_state))}
        deliveries = list(session.scalars(select(Delivery)))
    assert states[telegram_post.id] in ("pending_review", "blocked")
    assert states[folder_post.id] == "approved"
    assert [d.post_id for d in deliveries] == [folder_post.id]
    assert "Kiriman disetujui" in web.get(response.headers["location"]).text


def test_an_edit_sends_an_approved_post_back_to_review_and_cancels_its_unsent_delivery(
    ctx: AppContext,
) -> None:
    folder_post, _ = drafted(ctx)
    make_user(ctx, "rev", "reviewer")
    web = client(ctx)
    token = sign_in(web, "rev")
    headers = {"X-CSRF-Token": token}
    approved = web.post(
        f"/api/v1/posts/{folder_post.id}/approve",
        json={"manual_screening_note": NOTE, "override_reason": NOTE},
        headers=headers,
    )
    assert approved.status_code == 200 and approved.json()["review_state"] == "approved"
    caption = approved.json()["caption"] + "\nDiperbarui."
    edited = web.post(
        f"/api/v1/posts/{folder_post.id}/edit", json={"caption": caption}, headers=headers
    )
    assert edited.status_code == 200
    body = edited.json()
    assert body["review_state"] == "pending_review" and body["caption"].endswith("Diperbarui.")
    assert [d["state"] for d in body["deliveries"]] == ["cancelled"]
    lost_tag = web.post(
        f"/api/v1/posts/{folder_post.id}/edit", json={"caption": "tanpa tagar"}, headers=headers
    )
    assert lost_tag.status_code == 409 and "#LaporBupatiTegal" in lost_tag.json()["detail"]
    again = web.post(
        f"/api/v1/posts/{folder_post.id}/approve",
        json={"manual_screening_note": NOTE, "override_reason": NOTE},
        headers=headers,
    )
    assert [d["state"] for d in again.json()["deliveries"]] == ["pending"]


def test_a_rejection_needs_a_reason_and_is_audited(ctx: AppContext) -> None:
    folder_post, telegram_post = drafted(ctx)
    make_user(ctx, "rev", "reviewer")
    web = client(ctx)
    token = sign_in(web, "rev")
    url = f"/review/cases/{folder_post.case_id}/reject"
    ids = [str(folder_post.id), str(telegram_post.id)]
    assert web.post(url, data={"csrf_token": token, "post_ids": ids}).status_code == 409
    ok = web.post(url, data={"csrf_token": token, "post_ids": ids, "reason": "Foto buram."})
    assert ok.status_code == 303
    with ctx.sessions() as session:
        assert set(session.scalars(select(Post.review_state))) == {"rejected"}
        assert (
            len(list(session.scalars(select(AuditLog).where(AuditLog.action == "post.rejected"))))
            == 2
        )


def test_a_blocked_post_is_released_only_by_another_reviewer_with_a_written_reason(
    ctx: AppContext,
) -> None:
    folder_post, _ = drafted(ctx)
    submitter = make_user(ctx, "rev1", "reviewer")
    make_user(ctx, "rev2", "reviewer")
    with ctx.sessions() as session, session.begin():
        session.execute(
            update(Post)
            .where(Post.id == folder_post.id)
            .values(review_state="blocked", submitted_by_id=submitter)
        )
    own, other = client(ctx), client(ctx)
    own_token, other_token = sign_in(own, "rev1"), sign_in(other, "rev2")
    body = {"override_reason": "Sudah dicek: bukan sengketa, aman.", "manual_screening_note": NOTE}
    url = f"/api/v1/posts/{folder_post.id}/approve"
    refused = own.post(url, json=body, headers={"X-CSRF-Token": own_token})
    assert refused.status_code == 409 and "reviewer lain" in refused.json()["detail"]
    no_reason = other.post(
        url, json={"manual_screening_note": NOTE}, headers={"X-CSRF-Token": other_token}
    )
    assert no_reason.status_code == 409
    released = other.post(url, json=body, headers={"X-CSRF-Token": other_token})
    assert released.status_code == 200 and released.json()["review_state"] == "approved"


def test_highlight_marks_findings_and_ignores_ones_outside_the_text() -> None:
    pieces = highlight(
        "Hubungi 0812 di RT 3",
        [
            {"kind": "phone", "start": 8, "end": 12},
            {"kind": "rt_rw", "start": 16, "end": 20},
            {"kind": "bad", "start": 30, "end": 40},
            {"kind": "overlap", "start": 9, "end": 11},
            "rubbish",
        ],
    )
    assert pieces == [
        ("Hubungi ", ""),
        ("0812", "phone"),
        (" di ", ""),
        ("RT 3", "rt_rw"),
    ]
