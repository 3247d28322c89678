"""Issue 20: reporter contact on request. Only the PIC whose request an admin granted sees the
reporter's phone (and name), only for that case, only until expiry, every view audited; a
``rahasia`` case only with the admin's written reason; the phone reaches no post, preview, log
line, other page or table. Reporters are generated (Faker id_ID)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from publisher.core.clock import utcnow
from publisher.db.models import AuditLog, ContactRequest, Post
from publisher.runtime.context import AppContext
from tests.factories import feed_record, person
from tests.flow import add_account, feed_and_draft
from tests.intake_support import plaintext_everywhere
from tests.web_support import client, make_user, sign_in, waiting_case

REASON = "Lokasi lubang di laporan kurang jelas, perlu konfirmasi titiknya."


def ask(web: TestClient, token: str, case_id: int) -> None:
    response = web.post(
        f"/pic/cases/{case_id}/contact-request", data={"csrf_token": token, "reason": REASON}
    )
    assert response.status_code == 303


def decide(web: TestClient, token: str, decision: str, note: str = "") -> int:
    with_id = web.get("/admin/contact-requests").text
    assert "/decide" in with_id
    request_id = with_id.split("/admin/contact-requests/")[1].split("/")[0]
    return web.post(
        f"/admin/contact-requests/{request_id}/decide",
        data={"csrf_token": token, "decision": decision, "note": note},
    ).status_code


def test_only_the_granted_pic_sees_the_contact_for_that_case_until_expiry(
    ctx: AppContext,
) -> None:
    reporter = person(11)
    make_user(ctx, "pic1", "pic", "dpupr")
    make_user(ctx, "pic2", "pic", "dpupr")
    make_user(ctx, "boss", "admin")
    case_id = waiting_case(ctx, 1, reporter=reporter)
    other_case = waiting_case(ctx, 2)
    pic = client(ctx)
    token = sign_in(pic, "pic1")
    ask(pic, token, case_id)
    waiting = pic.get(f"/pic/cases/{case_id}/contact")
    assert "menunggu keputusan admin" in waiting.text and reporter["phone"] not in waiting.text
    admin = client(ctx)
    admin_token = sign_in(admin, "boss")
    assert decide(admin, admin_token, "grant") == 303
    assert reporter["phone"] not in admin.get("/admin/contact-requests").text

    for _ in range(2):
        page = pic.get(f"/pic/cases/{case_id}/contact")
        assert reporter["phone"] in page.text and reporter["name"] in page.text
        assert page.headers["cache-control"] == "no-store"
    with ctx.sessions() as session:
        views = session.scalars(select(AuditLog).where(AuditLog.action == "contact.viewed"))
        assert len(list(views)) == 2
    # Not for another case, not for another PIC of the same agency.
    assert reporter["phone"] not in pic.get(f"/pic/cases/{other_case}/contact").text
    colleague = client(ctx)
    sign_in(colleague, "pic2")
    assert reporter["phone"] not in colleague.get(f"/pic/cases/{case_id}/contact").text
    # The outcome is recorded and counted.
    assert (
        pic.post(
            f"/pic/cases/{case_id}/contact/outcome",
            data={"csrf_token": token, "outcome": "confirmed"},
        ).status_code
        == 303
    )
    assert (
        "Sudah dikonfirmasi dengan pelapor: <strong>1</strong>"
        in admin.get("/admin/contact-requests").text
    )
    # Expired: gone.
    with ctx.sessions() as session, session.begin():
        session.execute(update(ContactRequest).values(expires_at=utcnow() - timedelta(minutes=1)))
    after = pic.get(f"/pic/cases/{case_id}/contact")
    assert reporter["phone"] not in after.text and "sudah berakhir" in after.text


def test_a_rahasia_case_is_granted_only_with_the_admins_written_reason(ctx: AppContext) -> None:
    reporter = person(12)
    make_user(ctx, "pic1", "pic", "dpupr")
    make_user(ctx, "boss", "admin")
    case_id = waiting_case(ctx, 1, reporter=reporter, privacy="rahasia")
    pic = client(ctx)
    ask(pic, sign_in(pic, "pic1"), case_id)
    admin = client(ctx)
    admin_token = sign_in(admin, "boss")
    assert decide(admin, admin_token, "grant") == 400
    assert reporter["phone"] not in pic.get(f"/pic/cases/{case_id}/contact").text
    assert decide(admin, admin_token, "grant", "Bupati meminta klarifikasi langsung.") == 303
    assert reporter["phone"] in pic.get(f"/pic/cases/{case_id}/contact").text


def test_the_contact_reaches_no_post_log_line_public_page_or_table(
    ctx: AppContext, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    reporter = person(13)
    make_user(ctx, "pic1", "pic", "dpupr")
    make_user(ctx, "boss", "admin")
    make_user(ctx, "rev", "reviewer")
    add_account(ctx, "folder", "dpupr")
    (post,) = feed_and_draft(ctx, feed_record(1, reporter=reporter))
    pic = client(ctx)
    token = sign_in(pic, "pic1")
    ask(pic, token, post.case_id)
    admin = client(ctx)
    assert decide(admin, sign_in(admin, "boss"), "grant") == 303
    assert reporter["phone"] in pic.get(f"/pic/cases/{post.case_id}/contact").text
    pic.post(
        f"/pic/cases/{post.case_id}/contact/outcome",
        data={"csrf_token": token, "outcome": "not_reachable"},
    )

    phone, name = reporter["phone"], reporter["name"]
    assert phone not in caplog.text and name not in caplog.text
    assert phone not in plaintext_everywhere(ctx)  # audit log and contact_requests included
    with ctx.sessions() as session:
        (drafted,) = session.scalars(select(Post))
        assert phone not in drafted.caption
    reviewer = client(ctx)
    sign_in(reviewer, "rev")
    for page in (
        reviewer.get(f"/review/cases/{post.case_id}"),
        admin.get("/admin/contact-requests"),
        pic.get("/pic"),
        pic.get("/pic/submissions"),
        client(ctx).get("/publik"),
    ):
        assert phone not in page.text, page.url


def test_the_dashboard_counts_clarification_outcomes(ctx: AppContext) -> None:
    make_user(ctx, "pic1", "pic", "dpupr")
    make_user(ctx, "boss", "admin")
    case_id = waiting_case(ctx, 1)
    pic = client(ctx)
    token = sign_in(pic, "pic1")
    ask(pic, token, case_id)
    admin = client(ctx)
    decide(admin, sign_in(admin, "boss"), "grant")
    pic.post(
        f"/pic/cases/{case_id}/contact/outcome", data={"csrf_token": token, "outcome": "withdrawn"}
    )
    page = admin.get("/dashboard").text
    assert 'data-testid="clarifications"' in page
    assert "laporan dicabut: <strong>1</strong>" in page
