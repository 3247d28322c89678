"""Agency-level caption templates: checked on save with the longest and shortest realistic data,
refused with a reason in Bahasa Indonesia, and used by drafting once saved."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from publisher.db.models import Agency, AuditLog, TemplateOverride, User
from publisher.posts.overrides import (
    OverrideRejected,
    delete_override,
    preview_override,
    save_override,
)
from publisher.runtime.context import AppContext
from tests.factories import feed_record
from tests.flow import add_account, add_user, feed_and_draft

GOOD = (
    "Kabar baik dari {{ agency }}: laporan soal {{ category }} di {{ place }} beres. "
    "{{ action }} ({{ date }}, no. {{ tracking_number }}) {{ hashtags[0] }}"
)


def agency_id(ctx: AppContext, code: str = "dpupr") -> int:
    with ctx.sessions() as session:
        found = session.scalar(select(Agency.id).where(Agency.code == code))
        assert found is not None
        return found


def test_an_admin_saves_a_valid_template_and_drafting_uses_it(ctx: AppContext) -> None:
    admin = add_user(ctx, "admin1", role="admin")
    with ctx.sessions() as session, session.begin():
        row = save_override(session, agency_id(ctx), "x", "photo", GOOD, admin)
        assert row.updated_by == "admin1"
    add_account(ctx, "x", "@dpupr_x")
    add_account(ctx, "telegram", "@dpupr_tg")
    x_post, telegram_post = feed_and_draft(ctx, feed_record(21))
    assert x_post.caption.startswith("Kabar baik dari Dinas Pekerjaan Umum")
    assert not telegram_post.caption.startswith("Kabar baik")  # other platforms keep theirs
    with ctx.sessions() as session:
        assert "template.saved" in session.scalars(select(AuditLog.action)).all()


def test_saving_again_replaces_the_template_and_deleting_restores_the_default(
    ctx: AppContext,
) -> None:
    admin = add_user(ctx, "admin2", role="admin")
    agency = agency_id(ctx)
    with ctx.sessions() as session, session.begin():
        save_override(session, agency, "telegram", "video", GOOD, admin)
        save_override(session, agency, "telegram", "video", "Baru! " + GOOD, admin)
    with ctx.sessions() as session:
        rows = session.scalars(select(TemplateOverride)).all()
        assert [r.source[:5] for r in rows] == ["Baru!"]
    with ctx.sessions() as session, session.begin():
        admin_row = session.get(User, admin.id)
        assert admin_row is not None
        assert delete_override(session, agency, "telegram", "video", admin_row) is True
        assert delete_override(session, agency, "telegram", "video", admin_row) is False


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("{{ action }} {{ hashtags[0] }} {% if %}", "Templat tidak valid"),
        ("{{ reporter_name }} {{ agency }}", "Templat gagal dirender"),
        ("{{ action.__class__.__mro__ }} {{ agency }}", "Templat gagal dirender"),
        ("Beres. {{ agency }} {{ tracking_number }}", "tagar #LaporBupatiTegal tidak muncul"),
        ("{{ action }} {{ hashtags[0] }} {{ tracking_number }}", "nama instansi tidak muncul"),
        ("{{ agency }} {{ hashtags[0] }}", "nomor laporan tidak muncul"),
        (
            "{{ agency }} {{ tracking_number }} {{ hashtags[0] }} " + "Terima kasih! " * 30,
            "Keterangan terlalu panjang untuk X",
        ),
        ("   ", "Templat kosong"),
    ],
)
def test_a_template_that_breaks_a_rule_is_refused_with_the_reason_in_bahasa(
    ctx: AppContext, source: str, reason: str
) -> None:
    admin = add_user(ctx, "admin3", role="admin")
    with pytest.raises(OverrideRejected) as caught, ctx.sessions() as session:
        save_override(session, agency_id(ctx), "x", "photo", source, admin)
    assert reason in caught.value.user_message
    with ctx.sessions() as session:
        assert session.scalar(select(TemplateOverride)) is None


def test_preview_shows_both_renderings_without_saving(ctx: AppContext) -> None:
    with ctx.sessions() as session:
        preview = preview_override(session, agency_id(ctx), "instagram", "before_after", GOOD)
        assert preview.acceptable, preview.reasons
        assert "SP4N-LAPOR" in preview.longest and "L-1" in preview.shortest
        assert len(preview.longest) <= 2200
        assert session.scalar(select(TemplateOverride)) is None


def test_only_an_admin_may_change_a_template(ctx: AppContext) -> None:
    reviewer = add_user(ctx, "rev9")
    with pytest.raises(OverrideRejected, match="admin"), ctx.sessions() as session:
        save_override(session, agency_id(ctx), "x", "photo", GOOD, reviewer)


def test_an_unknown_platform_or_kind_is_refused(ctx: AppContext) -> None:
    agency = agency_id(ctx)
    with ctx.sessions() as session:
        assert not preview_override(session, agency, "tiktok", "photo", GOOD).acceptable
        assert not preview_override(session, agency, "x", "reel", GOOD).acceptable
