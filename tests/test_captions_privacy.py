"""Property: a reporter's name or phone number placed in any case field never reaches a caption
or a preview, on any platform, for any kind of post."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publisher.db.models import Agency, Case, FollowUp
from publisher.posts.captions import CaptionRenderer, caption_context
from publisher.posts.preview import build_card, render_card_html
from publisher.posts.rules import KINDS
from tests.factories import person

TZ = ZoneInfo("Asia/Jakarta")
FIELDS = ("category", "kecamatan", "desa", "action_text", "tracking_number")
PHONE_STYLES = (
    lambda p: p,
    lambda p: f"+62 {p[1:4]}-{p[4:8]}-{p[8:]}",
    lambda p: f"62{p[1:]}",
    lambda p: f"{p[:4]} {p[4:8]} {p[8:]}",
    lambda p: f"({p[:4]}) {p[4:]}",
)
HONORIFICS = {"bapak", "ibu", "pak", "bu", "mas", "mbak", "sdr", "sdri", "dra", "drs", "ir"}


def _case(values: dict[str, str]) -> tuple[Case, Agency, FollowUp]:
    case = Case(
        source="app",
        external_id="T-1",
        tracking_number=values.get("tracking_number", "LPR-2025-00077"),
        category=values.get("category", "jalan"),
        kecamatan=values.get("kecamatan", "Slawi"),
        desa=values.get("desa", "Procot"),
        resolved_at=datetime(2025, 11, 27, 3, 0, tzinfo=UTC),
    )
    follow_up = FollowUp(
        external_id="F-1",
        action_text=values.get("action_text", "Lubang jalan sudah ditambal."),
        submitted_at=datetime(2025, 11, 27, 3, 0, tzinfo=UTC),
    )
    return case, Agency(code="dpupr", name="Dinas Pekerjaan Umum", kind="dinas"), follow_up


def _outputs(values: dict[str, str], names: list[str], numbers: list[str], kind: str) -> str:
    case, agency, follow_up = _case(values)
    renderer = CaptionRenderer()
    context = caption_context(
        case, agency, follow_up, TZ, known_names=names, known_numbers=numbers, kind=kind
    )
    texts = []
    for platform in ("facebook", "instagram", "x", "telegram"):
        caption = renderer.render(platform, context)
        card = build_card(caption, [], platform, account_name=agency.name, handle="@dpupr")
        texts += [caption, html.unescape(render_card_html(card))]
    return "\n".join(texts)


def _words(text: str) -> set[str]:
    return {w.casefold() for w in re.findall(r"[^\W\d_]+", text)}


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    field=st.sampled_from(FIELDS),
    style=st.sampled_from(range(len(PHONE_STYLES))),
    kind=st.sampled_from(KINDS),
    filler=st.sampled_from(["Dicek bersama {x}.", "{x}", "Pelapor: {x}, terima kasih", "({x})"]),
)
def test_reporter_name_or_phone_in_any_case_field_never_reaches_a_caption_or_preview(
    seed: int, field: str, style: int, kind: str, filler: str
) -> None:
    reporter = person(seed)
    phone = PHONE_STYLES[style](reporter["phone"])
    planted = filler.format(x=f"{reporter['name']} {phone}")
    baseline = _outputs({field: ""}, [reporter["name"]], [reporter["phone"]], kind)
    output = _outputs({field: planted}, [reporter["name"]], [reporter["phone"]], kind)

    assert reporter["name"] not in output
    new_words = _words(output) - _words(baseline)
    for part in re.findall(r"[^\W\d_]{3,}", reporter["name"]):
        if part.casefold() not in HONORIFICS:
            assert part.casefold() not in new_words
    local = reporter["phone"][1:]
    for run in re.findall(r"[\d()+\s.-]{6,}", output):
        assert local not in re.sub(r"\D", "", run)
