"""Where to complain in captions (issue 21, point 8): the hotline and the app link from
settings reach every default template within its platform's limits, overrides may place them,
and the hotline, a phone number by shape, passes the approval check while a person's number
still does not."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from publisher.core.errors import ReviewError
from publisher.db.models import Post
from publisher.posts.captions import CaptionRenderer, official_contact_allowances
from publisher.posts.overrides import LONG_APP_URL, LONG_WHATSAPP, check_template, extremes
from publisher.posts.rules import KINDS, caption_length
from publisher.review import actions as review
from publisher.runtime.context import AppContext
from tests.factories import feed_record
from tests.flow import add_account, add_user, feed_and_draft

PLATFORMS = ("facebook", "instagram", "x", "telegram", "folder")
LONGEST_AGENCY = "Dinas Kependudukan dan Pencatatan Sipil"
NOTE = "Disaring manual: kasus umum, tidak rawan konflik."


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_default_templates_print_where_to_complain_and_still_fit(
    platform: str, kind: str
) -> None:
    renderer = CaptionRenderer()
    rules = renderer.rules(platform)
    longest, _ = extremes(LONGEST_AGENCY, kind)
    caption = renderer.render(platform, longest)
    assert caption_length(caption, rules) <= rules.caption.max_length
    assert f"WhatsApp {LONG_WHATSAPP}" in caption or f"WA {LONG_WHATSAPP}" in caption
    # A link weighs 23 on X: there the number alone; everywhere else the app too.
    assert (LONG_APP_URL in caption) is (platform != "x")


def test_without_settings_no_empty_complaint_line_is_printed() -> None:
    _, shortest = extremes(LONGEST_AGENCY, "photo")
    for platform in PLATFORMS:
        caption = CaptionRenderer().render(platform, shortest)
        assert "keluhan" not in caption and "Aduan" not in caption


def test_an_agency_override_may_place_the_hotline_and_the_app_link() -> None:
    source = (
        "{{ category }} di {{ place }}: {{ action }}\n{{ agency }} · {{ tracking_number }}\n"
        "Aduan: {{ whatsapp }} / {{ app_url }}\n{{ hashtags[0] }}"
    )
    preview = check_template(LONGEST_AGENCY, "facebook", "photo", source)
    assert preview.acceptable, preview.reasons
    assert LONG_WHATSAPP in preview.longest and LONG_APP_URL in preview.longest


def test_only_the_hotline_itself_is_marked_allowed_not_another_number() -> None:
    longest, _ = extremes(LONGEST_AGENCY, "photo")
    caption = CaptionRenderer().render("facebook", longest)
    marks = official_contact_allowances(caption + "\nHubungi 0812-3456-7890", longest)
    assert [m["kind"] for m in marks] == ["phone"]
    assert marks[0]["by"] == "settings:complaint"


def test_a_drafted_post_carries_the_hotline_and_is_approved_but_a_person_s_number_is_refused(
    ctx: AppContext,
) -> None:
    add_account(ctx, "facebook", "pemkab")
    (post,) = feed_and_draft(ctx, feed_record(21))
    assert f"WhatsApp {ctx.settings.complaint_whatsapp}" in post.caption
    reviewer = add_user(ctx, "rina")
    with ctx.sessions() as session, session.begin():
        row = session.get(Post, post.id)
        assert row is not None
        row.caption = post.caption.replace(
            "#LaporBupatiTegal", "Info 0812-3456-7890 #LaporBupatiTegal"
        )
    with pytest.raises(ReviewError) as refused, ctx.sessions() as session, session.begin():
        review.approve(session, post.id, reviewer, manual_screening_note=NOTE, vault=ctx.vault)
    assert refused.value.user_message.startswith(review.PERSONAL_DATA_MESSAGE)
    with ctx.sessions() as session, session.begin():
        row = session.get(Post, post.id)
        assert row is not None
        row.caption = post.caption
    with ctx.sessions() as session, session.begin():
        review.approve(session, post.id, reviewer, manual_screening_note=NOTE, vault=ctx.vault)
    with ctx.sessions() as session:
        assert session.scalar(select(Post.review_state)) == "approved"


def test_the_published_caption_keeps_the_hotline_on_the_public_pages(ctx: AppContext) -> None:
    """The public pages scrub captions once more: the hotline (a phone number by shape, and a
    bank account number to the detector once phones are allowed) stays as printed."""
    from fastapi.testclient import TestClient

    from publisher.app.factory import create_app
    from publisher.outbox import deliveries as outbox

    add_account(ctx, "folder", "dpupr")
    (post,) = feed_and_draft(ctx, feed_record(22))
    reviewer = add_user(ctx, "rina")
    with ctx.sessions() as session, session.begin():
        review.approve(session, post.id, reviewer, manual_screening_note=NOTE, vault=ctx.vault)
    assert outbox.publish_due(ctx).published == 1
    public = TestClient(create_app(ctx))
    for path in ("/publik/feed.xml", f"/publik/tl/{post.case_id}"):
        page = public.get(path).text
        assert f"WhatsApp {ctx.settings.complaint_whatsapp}" in page, path
        assert "disamarkan" not in page, path
