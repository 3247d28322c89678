"""A platform defined outside the package (tests/throwaway_platform/) and registered at run
time is drafted for, approved and published through the real outbox, with nothing else
edited: the walk-through in docs/adding-a-platform.md stays true."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from jobs.pipeline import run_job
from publisher.core.errors import NeedsReconnect
from publisher.db.models import Delivery, Post, SocialAccount
from publisher.intake.records import ingest
from publisher.outbox import deliveries as outbox
from publisher.platforms.registry import build_platform, get_spec, names, register, unregister
from publisher.platforms.spec import PlatformSpec
from publisher.review import actions as review
from publisher.runtime.context import AppContext
from tests.factories import feed_record, jpeg
from tests.flow import add_account, add_user, with_photo
from tests.test_platform_specs import missing_pieces
from tests.throwaway_platform.spec import SPEC


@pytest.fixture
def kentongan() -> Iterator[None]:
    register(SPEC)
    yield
    unregister(SPEC.name)


@pytest.mark.usefixtures("kentongan")
def test_a_registered_platform_is_drafted_approved_and_published_through_the_outbox(
    ctx: AppContext, tmp_path: Path
) -> None:
    outbox_dir = tmp_path / "kentongan"
    outbox_dir.mkdir()
    add_account(ctx, "kentongan", "dpupr", {"outbox_dir": str(outbox_dir)})
    with ctx.sessions() as session, session.begin():
        ingest(session, ctx.vault, "app", [feed_record(1)])
    with_photo(ctx, jpeg(3000, 2000))
    run_job(ctx, "screen")
    run_job(ctx, "render")
    reviewer = add_user(ctx, "rev")
    with ctx.sessions() as session, session.begin():
        (post,) = review.queue(session, ("pending_review",))
        assert len(post.caption) <= SPEC.caption.max_length
        review.approve(session, post.id, reviewer)

    assert outbox.publish_due(ctx).published == 1

    with ctx.sessions() as session:
        delivery = session.scalars(select(Delivery)).one()
        post = session.scalars(select(Post)).one()
    written = json.loads((outbox_dir / f"{delivery.marker}.json").read_text(encoding="utf-8"))
    assert delivery.state == "published"
    assert "#LaporBupatiTegal" in written["caption"] and delivery.marker in written["caption"]
    (photo,) = written["media"]
    with Image.open(io.BytesIO((outbox_dir / photo).read_bytes())) as image:
        assert max(image.size) <= SPEC.media.max_long_side == 640  # the spec's rendition
    assert post.media[0]["width"] == 640
    assert outbox.publish_due(ctx).claimed == 0  # nothing is sent twice


def test_it_has_every_piece_a_platform_needs(ctx: AppContext) -> None:
    assert missing_pieces(SPEC, ctx.settings) == []


@pytest.mark.usefixtures("kentongan")
def test_its_credential_model_refuses_an_account_without_its_folder(ctx: AppContext) -> None:
    account_id = add_account(ctx, "kentongan", "dpupr", {})
    with ctx.sessions() as session:
        account = session.get(SocialAccount, account_id)
        assert account is not None
        with pytest.raises(NeedsReconnect) as refused:
            build_platform(account, ctx.vault, ctx.http, ctx.settings)
    assert refused.value.user_message == SPEC.credentials.help


def test_unregistering_leaves_the_built_in_platforms_alone() -> None:
    before = names()
    register(SPEC)
    assert names() == (*before, "kentongan") and get_spec("kentongan") is SPEC
    unregister("kentongan")
    unregister("folder")
    assert names() == before


def test_the_walk_through_names_every_field_of_a_spec_and_only_files_that_exist() -> None:
    root = Path(__file__).resolve().parents[1]
    text = (root / "docs" / "adding-a-platform.md").read_text(encoding="utf-8")
    assert [f.name for f in fields(PlatformSpec) if f"| `{f.name}` |" not in text] == []
    named = set(re.findall(r"`((?:publisher|tests|templates|docs)/[\w/.]+)`", text))
    real = {path for path in named if "mastodon" not in path}  # the example's own files aside
    assert real and [path for path in sorted(real) if not (root / path).exists()] == []
    assert "tests/throwaway_platform/" in real
