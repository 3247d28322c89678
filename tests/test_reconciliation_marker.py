"""The reconciliation marker is the public report number the caption already shows
("No. laporan: LPR-..."), with a one-letter suffix for a later post of the same case on the
same account: no separate "Ref." line (the ruling in issue 19)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from publisher.db.models import Case, Post, User
from publisher.fakes.faults import Fault
from publisher.outbox import deliveries as outbox
from publisher.outbox import routes as delivery_actions
from publisher.platforms.base import case_marker, has_marker, marker_index, with_marker
from publisher.platforms.folder.adapter import folder_name
from publisher.review import actions as review
from publisher.runtime.context import AppContext
from publisher.web.auth import Viewer
from tests.publishing_env import (
    PAGE,
    Fakes,
    add_platform_account,
    approved_posts,
    only_delivery,
    running_fakes,
)


@pytest.fixture
def fakes() -> Iterator[Fakes]:
    with running_fakes() as running:
        yield running


def test_a_marker_is_found_only_as_a_whole_number() -> None:
    caption = (
        "🔎 No. laporan: LPR-2025-00012\n🔗 https://lapor.go.id/LPR-2025-00001\n#LaporBupatiTegal"
    )
    assert has_marker(caption, "LPR-2025-00012")
    assert not has_marker(caption, "LPR-2025-0001")  # a prefix of another number
    assert not has_marker(caption, "LPR-2025-00001")  # only inside a link
    assert not has_marker(caption, "LPR-2025-00012-b")  # the second post's marker


def test_a_later_post_of_the_case_shows_the_suffixed_number_in_place_of_the_number() -> None:
    caption = "🔎 No. laporan: LPR-2025-00012\n\n#LaporBupatiTegal"
    assert with_marker(caption, "LPR-2025-00012") == caption
    assert with_marker(caption, case_marker("LPR-2025-00012", 2)) == (
        "🔎 No. laporan: LPR-2025-00012-b\n\n#LaporBupatiTegal"
    )
    assert marker_index("LPR-2025-00012-b", "LPR-2025-00012") == 2
    assert marker_index("LPR-2025-00012", "LPR-2025-00012") == 1
    assert case_marker("LPR-2025-00012", 3) == "LPR-2025-00012-c"


def test_a_caption_without_the_number_gets_a_report_number_line_never_a_ref_line() -> None:
    assert with_marker("Jalan diperbaiki. #LaporBupatiTegal", "LPR-7") == (
        "Jalan diperbaiki. #LaporBupatiTegal\n\nNo. laporan: LPR-7"
    )
    # Deliveries approved before the ruling keep their old marker, so they can still be found.
    assert with_marker("x", "LBT-1-abcdef") == "x\n\nRef. LBT-1-abcdef"


def test_a_report_number_from_a_source_becomes_a_safe_folder_name() -> None:
    assert folder_name("LPR-2025-00001") == "LPR-2025-00001"
    unsafe = folder_name("../123/LPR/2025")
    assert "/" not in unsafe and not unsafe.startswith(".")
    assert folder_name("123/LPR") != folder_name("123_LPR")


def test_the_facebook_post_carries_the_report_number_once_and_no_ref_line(
    ctx: AppContext, fakes: Fakes
) -> None:
    add_platform_account(ctx, "facebook", fakes)
    approved_posts(ctx, 1)
    outbox.publish_due(ctx)
    (post,) = fakes.meta.live_posts(PAGE)
    delivery = only_delivery(ctx)
    with ctx.sessions() as session:
        case = session.scalars(select(Case)).one()
        caption = session.scalars(select(Post.caption)).one()
    assert delivery.marker == case.tracking_number
    assert post.message == caption  # sent as the reviewer approved it
    assert "Ref." not in post.message
    assert post.message.count(case.tracking_number) == 1


def test_a_second_post_of_the_case_on_the_account_gets_a_suffix_and_is_reconciled_by_it(
    ctx: AppContext, fakes: Fakes
) -> None:
    """The first post was taken down by hand (still on the Page as far as we know); the case is
    approved again and its answer is lost: the reconciler must find the second post, not the
    first, by the suffixed number (Graph API ``GET /{page}/feed`` returns both messages)."""
    add_platform_account(ctx, "facebook", fakes)
    approved_posts(ctx, 1)
    outbox.publish_due(ctx)
    first = only_delivery(ctx)
    viewer = Viewer(1, "rev", "", "admin", None, "s", "t")
    with ctx.sessions() as session, session.begin():
        delivery_actions.takedown(session, viewer, first.id, "salah foto, diunggah ulang")
    with ctx.sessions() as session, session.begin():
        reviewer = session.scalar(select(User).where(User.username == "rev"))
        assert reviewer is not None
        post = session.scalars(select(Post)).one()
        review.edit(session, post.id, reviewer, caption=post.caption)
        review.approve(session, post.id, reviewer)
    second = only_delivery(ctx)
    assert second.marker == f"{first.marker}-b"

    fakes.meta.fail_next(Fault("drop_after_accept", op="fb_publish"))
    outbox.publish_due(ctx)
    assert only_delivery(ctx).state == "unknown"
    assert outbox.reconcile(ctx).found_published == 1
    older, newer = fakes.meta.live_posts(PAGE)
    assert f"No. laporan: {second.marker}\n" in newer.message
    assert only_delivery(ctx).remote_id == newer.id != older.id
