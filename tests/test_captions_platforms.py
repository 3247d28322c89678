"""Captions per platform and kind: limits, shortening, hashtags, Indonesian formatting, and the
pre-flight rules that keep a post from failing at publish time."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from publisher.core.errors import ReviewError
from publisher.db.models import Post
from publisher.platforms.registry import UnknownPlatform, names
from publisher.posts.captions import (
    ELLIPSIS,
    HASHTAG,
    CaptionRenderer,
    indonesian_date,
    indonesian_time,
    media_kind,
    official_place,
    plain_category,
    shorten_at_word,
)
from publisher.posts.overrides import extremes
from publisher.posts.rules import KINDS, caption_length, hashtags, rules_for
from publisher.posts.validate import validate
from publisher.review import actions as review
from publisher.runtime.context import AppContext
from tests.factories import feed_record
from tests.flow import add_account, add_user, feed_and_draft

PLATFORMS = ("facebook", "instagram", "x", "telegram")
LONGEST_AGENCY = "Dinas Kependudukan dan Pencatatan Sipil"


@dataclass
class Draft:
    caption: str
    media: list[Any] = field(default_factory=list)


def photo(**extra: Any) -> dict[str, Any]:
    return {"sha256": "a" * 64, "kind": "photo", "mime": "image/jpeg", "phase": "", **extra}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_longest_and_shortest_realistic_captions_fit_and_keep_tag_agency_and_number(
    platform: str, kind: str
) -> None:
    renderer = CaptionRenderer()
    rules = renderer.rules(platform)
    longest, shortest = extremes(LONGEST_AGENCY, kind)
    for context in (longest, shortest):
        caption = renderer.render(platform, context)
        assert caption_length(caption, rules) <= rules.caption.max_length
        assert HASHTAG in caption
        assert LONGEST_AGENCY in caption
        assert context.tracking_number in caption
        problems = validate(Draft(caption, [photo()]), platform)
        assert problems == [], problems
    assert ELLIPSIS in renderer.render(platform, longest) or platform == "facebook"
    assert ELLIPSIS not in renderer.render(platform, shortest)


@pytest.mark.parametrize("platform", ("instagram", "x", "telegram"))
def test_shortening_cuts_the_action_at_a_word_boundary_and_keeps_its_start(platform: str) -> None:
    longest, _ = extremes("Dinas Sosial", "photo")
    caption = CaptionRenderer().render(platform, longest)
    start = caption.index(longest.action[:30])
    shown = caption[start : caption.index(ELLIPSIS)]
    assert longest.action.startswith(shown)
    assert longest.action[len(shown)] in " ,;:."  # the cut falls between words
    assert "Tim teknis telah melakukan peninjauan" in caption


def test_shorten_at_word_never_cuts_inside_a_word() -> None:
    assert shorten_at_word("saluran sudah dibersihkan total", 20) == "saluran sudah" + ELLIPSIS
    assert shorten_at_word("pendek", 20) == "pendek"
    assert shorten_at_word("superpanjangsekali", 5) == ELLIPSIS


def test_instagram_drops_optional_hashtags_to_meet_a_configured_cap_but_keeps_ours() -> None:
    _, short = extremes("Dinas Sosial", "photo")
    pic_tags = replace(short, action="Sudah beres #jalanmulus #tegal #mantap")
    for cap in (1, 2, 5, 30):
        caption = CaptionRenderer(instagram_hashtag_cap=cap).render("instagram", pic_tags)
        tags = hashtags(caption)
        assert len(tags) <= cap
        assert HASHTAG in tags
        assert validate(Draft(caption, [photo()]), "instagram", instagram_hashtag_cap=cap) == []


def test_telegram_counts_utf16_units_after_entity_parsing() -> None:
    from publisher.posts.rules import telegram_length

    assert telegram_length("📅 ok") == 5  # the emoji is two UTF-16 units
    assert telegram_length("<b>Tebal</b> &amp; biasa", parse_mode="HTML") == len("Tebal & biasa")


def test_x_counts_the_weighted_length_not_the_characters() -> None:
    text = "✅" * 141 + " " + HASHTAG  # 141 emoji weigh 282 although they are 141 characters
    (problem,) = [p for p in validate(Draft(text), "x") if p.code == "caption_too_long"]
    assert "karakter berbobot" in problem.message
    assert validate(Draft(text), "telegram") == []


def test_dates_and_times_are_indonesian_in_asia_jakarta() -> None:
    moment = datetime(2025, 11, 26, 17, 30, tzinfo=UTC)  # already Thursday in Tegal
    tz = ZoneInfo("Asia/Jakarta")
    assert indonesian_date(moment, tz) == "Kamis, 27 November 2025"
    assert indonesian_time(moment, tz) == "00.30 WIB"


def test_places_take_their_official_spelling_and_unknown_names_are_left_out() -> None:
    assert official_place("  adiwerna ", "UJUNGRUSI") == (
        "Desa Ujungrusi, Kecamatan Adiwerna",
        "Adiwerna",
        "Ujungrusi",
    )
    assert official_place("Slawi", "Gang Mawar RT 03") == ("Kecamatan Slawi", "Slawi", "")
    assert official_place("Atlantis", "Procot")[0] == "Kabupaten Tegal"


def test_categories_are_plain_words_and_unknown_ones_read_lainnya() -> None:
    assert plain_category("pju") == "penerangan jalan umum"
    assert plain_category("rahasia-negara") == "lainnya"


def test_the_kind_follows_the_media_before_and_after_photos_make_a_before_after_post() -> None:
    assert media_kind([]) == "photo"
    assert media_kind([photo(kind="video", mime="video/mp4")]) == "video"
    assert media_kind([photo(phase="before"), photo(phase="after")]) == "before_after"
    assert media_kind([photo(phase="before"), photo()]) == "photo"


def test_preflight_names_every_broken_rule_in_bahasa_indonesia() -> None:
    caption = "Tanpa tagar, " + "kata " * 600
    video = photo(kind="video", mime="video/x-msvideo", duration_s=999.0)
    media = [photo(width=4000, height=1000, size_bytes=20 * 1024 * 1024)] * 9 + [video]
    codes = {p.code: p.message for p in validate(Draft(caption, media), "instagram")}
    assert set(codes) == {
        "caption_too_long",
        "hashtag_missing",
        "media_format",
        "media_too_large",
        "media_aspect_ratio",
        "video_too_long",
    }
    assert codes["caption_too_long"].startswith("Keterangan terlalu panjang untuk Instagram")
    x_codes = {p.code for p in validate(Draft(HASHTAG, media), "x")}
    assert {"too_many_media", "mixed_media"} <= x_codes
    assert {p.code for p in validate(Draft(HASHTAG), "instagram")} == {"too_few_media"}


def test_every_platform_in_the_data_model_has_rules_and_templates() -> None:
    _, short = extremes("Dinas Sosial", "video")
    for platform in names():
        assert CaptionRenderer().render(platform, short)
    with pytest.raises(UnknownPlatform, match="unknown platform"):
        rules_for("myspace")


def test_drafting_renders_each_account_with_its_platforms_template(ctx: AppContext) -> None:
    for platform in ("x", "instagram", "telegram"):
        add_account(ctx, platform, f"@dpupr_{platform}")
    posts = feed_and_draft(ctx, feed_record(11, kecamatan="kedungbanteng", desa="semedo"))
    assert len(posts) == 3
    for post in posts:
        assert "Desa Semedo, Kecamatan Kedungbanteng" in post.caption
        assert HASHTAG in post.caption and "LPR-2025-00011" in post.caption


def test_a_post_that_breaks_a_platform_rule_cannot_be_approved(ctx: AppContext) -> None:
    add_account(ctx, "x", "@dpupr_x")
    (post,) = feed_and_draft(ctx, feed_record(12))
    reviewer = add_user(ctx, "rina")
    with ctx.sessions() as session, session.begin():
        row = session.get(Post, post.id)
        assert row is not None
        row.caption = "Diedit tanpa tagar dan terlalu panjang " + "x" * 300
    with pytest.raises(ReviewError) as caught, ctx.sessions() as session:
        review.approve(session, post.id, reviewer)
    assert "Keterangan terlalu panjang untuk X" in caught.value.user_message
    assert "#LaporBupatiTegal wajib ada" in caught.value.user_message
    with ctx.sessions() as session:
        assert session.scalar(select(Post.review_state)) == "pending_review"
