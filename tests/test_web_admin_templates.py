"""Agency caption templates in the admin UI: saving a checked template that drafting then uses,
refusing one that breaks a limit (with the reason, nothing stored), previewing without saving,
going back to the built-in template, and keeping everyone but admins (and forged forms) out."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from publisher.db.models import AuditLog, TemplateOverride
from publisher.runtime.context import AppContext
from tests.factories import feed_record
from tests.flow import add_account, feed_and_draft
from tests.web_support import client, make_user, sign_in

FOLDER_PHOTO = "/admin/overrides/dpupr/folder/photo"
GOOD = (
    "Kabar baik dari {{ agency }}: {{ category }} di {{ place }} beres.\n"
    "{{ action }}\nNo. {{ tracking_number }} {{ hashtags[0] }}"
)
# Fixed text alone is longer than X allows, so no shortening of the action can save it.
TOO_LONG = "{{ agency }} No. {{ tracking_number }} {{ hashtags[0] }} " + "panjang " * 50


def admin_client(ctx: AppContext) -> tuple[TestClient, str]:
    make_user(ctx, "admin", "admin")
    web = client(ctx)
    return web, sign_in(web, "admin")


def stored(ctx: AppContext) -> int:
    with ctx.readonly_sessions() as session:
        return session.scalar(select(func.count(TemplateOverride.id))) or 0


def test_an_admin_saves_a_valid_override_and_drafting_uses_it(ctx: AppContext) -> None:
    add_account(ctx, "folder", "dpupr")
    web, token = admin_client(ctx)
    saved = web.post(FOLDER_PHOTO, data={"text": GOOD, "csrf_token": token})
    assert saved.status_code == 303, saved.text
    page = web.get(saved.headers["location"])
    assert "Templat disimpan." in page.text and "templat khusus instansi" in page.text
    listing = web.get("/admin/overrides?agency=dpupr")
    assert listing.status_code == 200 and "khusus instansi" in listing.text
    (post,) = feed_and_draft(ctx, feed_record(1))
    assert post.caption.startswith("Kabar baik dari Dinas")
    assert "LPR-2025-00001" in post.caption and "#LaporBupatiTegal" in post.caption
    with ctx.readonly_sessions() as session:
        assert session.scalar(select(AuditLog).where(AuditLog.action == "template.saved"))


def test_an_over_limit_override_is_refused_with_the_reason_and_not_stored(
    ctx: AppContext,
) -> None:
    web, token = admin_client(ctx)
    refused = web.post(
        "/admin/overrides/dpupr/x/photo", data={"text": TOO_LONG, "csrf_token": token}
    )
    assert refused.status_code == 400
    assert "Templat ditolak" in refused.text and "Dengan data terpanjang" in refused.text
    assert "terlalu panjang untuk X" in refused.text
    assert "panjang panjang panjang" in refused.text  # the admin's text is kept in the form
    assert stored(ctx) == 0


def test_a_template_that_does_not_compile_is_refused_with_the_line(ctx: AppContext) -> None:
    web, token = admin_client(ctx)
    refused = web.post(FOLDER_PHOTO, data={"text": "{% if %}", "csrf_token": token})
    assert refused.status_code == 400 and "Templat tidak valid" in refused.text
    assert stored(ctx) == 0


def test_preview_shows_the_longest_and_shortest_renderings_without_saving(
    ctx: AppContext,
) -> None:
    web, token = admin_client(ctx)
    shown = web.post(FOLDER_PHOTO + "/preview", data={"text": GOOD, "csrf_token": token})
    assert shown.status_code == 200
    assert "Data terpanjang" in shown.text and "Data terpendek" in shown.text
    assert "Sudah diperbaiki." in shown.text and "lolos pemeriksaan" in shown.text
    bad = web.post(
        "/admin/overrides/dpupr/x/photo/preview", data={"text": TOO_LONG, "csrf_token": token}
    )
    assert bad.status_code == 200 and "Dengan data terpanjang" in bad.text
    assert stored(ctx) == 0


def test_the_list_and_the_form_show_the_built_in_template_when_there_is_no_override(
    ctx: AppContext,
) -> None:
    web, _ = admin_client(ctx)
    listing = web.get("/admin/overrides")
    assert listing.status_code == 200 and "bawaan" in listing.text
    form = web.get("/admin/overrides/dpupr/instagram/photo")
    assert "{% extends &#34;_base.txt.j2&#34; %}" in form.text  # the built-in text, escaped
    assert "Kembalikan ke bawaan" not in form.text
    assert web.get("/admin/overrides/dpupr/myspace/photo").status_code == 404
    assert web.get("/admin/overrides/nope/x/photo").status_code == 404


def test_going_back_to_the_built_in_template_removes_the_override(ctx: AppContext) -> None:
    web, token = admin_client(ctx)
    assert web.post(FOLDER_PHOTO, data={"text": GOOD, "csrf_token": token}).status_code == 303
    assert "Kembalikan ke bawaan" in web.get(FOLDER_PHOTO).text
    reset = web.post(FOLDER_PHOTO + "/reset", data={"csrf_token": token})
    assert reset.status_code == 303 and stored(ctx) == 0
    assert "Templat dikembalikan ke bawaan." in web.get(reset.headers["location"]).text


def test_a_reviewer_or_a_pic_gets_403_on_every_template_route(ctx: AppContext) -> None:
    make_user(ctx, "rev", "reviewer")
    make_user(ctx, "pic", "pic", "dpupr")
    for username in ("rev", "pic"):
        web = client(ctx)
        token = sign_in(web, username)
        assert web.get("/admin/overrides").status_code == 403
        assert web.get(FOLDER_PHOTO).status_code == 403
        for suffix in ("", "/preview", "/reset"):
            answer = web.post(FOLDER_PHOTO + suffix, data={"text": GOOD, "csrf_token": token})
            assert answer.status_code == 403, (username, suffix)
    assert stored(ctx) == 0


def test_a_post_without_its_csrf_token_is_refused(ctx: AppContext) -> None:
    web, token = admin_client(ctx)
    assert web.post(FOLDER_PHOTO, data={"text": GOOD}).status_code == 403
    assert web.post(FOLDER_PHOTO, data={"text": GOOD, "csrf_token": "forged"}).status_code == 403
    assert web.post(FOLDER_PHOTO + "/preview", data={"text": GOOD}).status_code == 403
    assert stored(ctx) == 0
    assert web.post(FOLDER_PHOTO, data={"text": GOOD, "csrf_token": token}).status_code == 303
    assert web.post(FOLDER_PHOTO + "/reset", data={}).status_code == 403
    assert stored(ctx) == 1
