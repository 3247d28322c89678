"""A video sent with the PIC's web form goes through the same face check as one that came by
WhatsApp or a case feed: faces blurred, the clip held for a reviewer, its private unblurred
copy kept apart (issue 22)."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from publisher.db.models import Media
from publisher.runtime.context import AppContext
from tests.test_media_video import _face_clip, _frames
from tests.test_web_pic import form
from tests.web_support import client, make_user, sign_in, waiting_case


@pytest.mark.slow
def test_a_video_with_a_face_sent_with_the_web_form_is_stored_blurred_and_held(
    ctx: AppContext,
) -> None:
    make_user(ctx, "pic1", "pic", "dpupr")
    case_id = waiting_case(ctx, 1)
    web = client(ctx)
    token = sign_in(web, "pic1")
    clip, corners = _face_clip(frames=30)
    response = web.post(
        f"/pic/cases/{case_id}/follow-up",
        data=form(token),
        files=[("after", ("perbaikan.mp4", clip, "video/mp4"))],
    )
    assert response.status_code == 303, response.text
    with ctx.sessions() as session:
        (media,) = session.scalars(select(Media))
    assert media.kind == "video" and media.held_for_review
    stored = ctx.media.read(media.sha256, ".mp4")
    x, y = corners[15]
    face = (slice(y + 30, y + 120), slice(x + 30, x + 120))
    assert np.abs(_frames(clip)[15][face] - _frames(stored)[15][face]).mean() > 12
