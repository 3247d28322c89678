"""No raw enum on a page (issue 21): every stored state, screening decision, privacy mode and
platform reaches people as its label. Pages of every role are rendered over HTTP with posts and
deliveries in every state, and their visible text is scanned for the stored words. Audit event
names and their details are identifiers shown as ``<code>`` (searchable) and template sources
are ``<pre>``: both are left out of the scan."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import select, update

from publisher.db import models
from publisher.db.models import Delivery, Post
from publisher.runtime.context import AppContext
from tests.factories import feed_record
from tests.flow import add_account, feed_and_draft
from tests.web_support import client, make_user, sign_in, waiting_case

# Stored words that are not Indonesian words a sentence could use ("pic" and "admin" are).
RAW = sorted(
    {
        *models.ACCOUNT_STATUSES,
        *models.CASE_STATUSES,
        *models.SCREENING_DECISIONS,
        *models.REVIEW_STATES,
        *models.DELIVERY_STATES,
        *models.NOTIFICATION_STATES,
        "normal",
        "folder",
        "telegram",
    }
    - {"ok"}
)
PAGES = {
    "reviewer": ["/review", "/review?state=approved", "/review/calendar", "/deliveries"],
    "admin": ["/admin", "/admin/overrides", "/admin/templates", "/audit", "/dashboard"],
    "pic": ["/pic", "/pic/submissions"],
    "pimpinan": ["/dashboard", "/dashboard/digest"],
}


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style|code|pre)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return unescape(re.sub(r"<[^>]+>", " ", html))


def seeded(ctx: AppContext) -> list[Post]:
    add_account(ctx, "folder", "dpupr")
    add_account(ctx, "telegram", "@dpupr_tegal", {"bot_token": "1:x", "chat_id": "@dpupr_tegal"})
    posts = feed_and_draft(ctx, *[feed_record(i) for i in range(1, 5)])
    waiting_case(ctx, 9)
    states = ["approved", "rejected", "blocked", "withdrawn", "pending_review"]
    with ctx.sessions() as session, session.begin():
        for post, state in zip(posts, states, strict=False):
            session.execute(update(Post).where(Post.id == post.id).values(review_state=state))
        for i, state in enumerate(models.DELIVERY_STATES):
            post = posts[i % len(posts)]
            session.add(
                Delivery(post_id=post.id, account_id=post.account_id, state=state, marker=f"m{i}")
            )
    return posts


def test_no_page_of_any_role_shows_a_stored_state_word(ctx: AppContext) -> None:
    posts = seeded(ctx)
    found: dict[str, list[str]] = {}
    for role, paths in PAGES.items():
        make_user(ctx, role, role, "dpupr" if role == "pic" else None)
        web = client(ctx)
        sign_in(web, role)
        extra = [f"/review/cases/{p.case_id}" for p in posts] if role == "reviewer" else []
        for path in paths + extra:
            page = web.get(path)
            assert page.status_code == 200, path
            text = visible_text(page.text)
            raw = [w for w in RAW if re.search(rf"(?<![\w.@/-]){re.escape(w)}(?![\w.@/-])", text)]
            if raw:
                found[path] = raw
    assert found == {}
    with ctx.sessions() as session:
        assert session.scalar(select(Delivery.id)) is not None
