"""The ``render`` job: draft a post per account for every screened case, captions and media
rendered for each platform (:func:`publisher.posts.drafting.draft_posts`)."""

from __future__ import annotations

import dataclasses
from typing import Any

from publisher.posts.drafting import draft_posts
from publisher.posts.tracking import sp4n_tracking_url
from publisher.runtime.context import AppContext


def render(ctx: AppContext) -> dict[str, Any]:
    with ctx.sessions() as session, session.begin():
        return dataclasses.asdict(
            draft_posts(
                session,
                ctx.vault,
                ctx.settings.tz,
                instagram_hashtag_cap=ctx.settings.instagram_hashtag_cap,
                store=ctx.media,
                private_store=ctx.private_media,
                tracking_url=lambda c: sp4n_tracking_url(ctx.settings, c.source, c.tracking_number),
                whatsapp=ctx.settings.complaint_whatsapp,
                app_url=ctx.settings.complaint_app_url,
            )
        )
