"""Captions from Jinja2 templates in ``templates/posts/``.

The template context is built by :func:`caption_context` from public case fields only: the
reporter's fields are never decrypted here, so no template can print them. The follow-up text,
written by a PIC, is scrubbed of the case's known identities before it enters the context.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from babel.dates import format_date
from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from publisher.clock import utcnow
from publisher.db.models import Agency, Case, FollowUp
from publisher.paths import templates_dir
from publisher.reference import load_reference

HASHTAG = "#LaporBupatiTegal"
NAME_TAG = "[nama disamarkan]"
PHONE_TAG = "[nomor disamarkan]"


@dataclass(frozen=True)
class CaptionContext:
    agency: str
    category: str
    place: str
    date: str
    action: str
    tracking_number: str
    hashtags: str


@cache
def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=FileSystemLoader(str(templates_dir() / "posts")),
        autoescape=False,  # plain-text captions; HTML previews use their own environment
        undefined=StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=False,
    )


def indonesian_date(moment: datetime, tz: ZoneInfo) -> str:
    return format_date(moment.astimezone(tz), format="full", locale="id")


# Academic titles and honorifics that Faker and real records put inside names: not identifying.
_NOT_NAME_PARTS = frozenset(
    [
        "bapak",
        "ibu",
        "pak",
        "bu",
        "mas",
        "mbak",
        "sdr",
        "sdri",
        "dra",
        "drs",
        "ir",
        "hj",
        "haji",
        "amd",
        "kom",
        "kes",
        "sos",
        "ked",
    ]
)


def scrub_known(text: str, names: list[str], numbers: list[str]) -> str:
    """Remove the case's known identities from free text (first line of defence)."""
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        parts = [
            p for p in re.findall(r"[^\W\d_]{3,}", name) if p.casefold() not in _NOT_NAME_PARTS
        ]
        for token in [name, *sorted(parts, key=len, reverse=True)]:
            text = re.sub(rf"(?<!\w){re.escape(token)}(?!\w)", NAME_TAG, text, flags=re.IGNORECASE)
    for number in numbers:
        digits = re.sub(r"\D", "", number)
        if len(digits) < 6:
            continue
        local = digits[2:] if digits.startswith("62") else digits.lstrip("0")
        # Match the number however it is spaced or prefixed (+62 / 62 / 0).
        pattern = r"(?:\+?62[\s.-]*|0)?" + r"[\s.-]?".join(local)
        text = re.sub(rf"(?<!\d){pattern}(?!\d)", PHONE_TAG, text)
    return text


def caption_context(
    case: Case,
    agency: Agency,
    follow_up: FollowUp,
    tz: ZoneInfo,
    *,
    known_names: list[str],
    known_numbers: list[str],
) -> CaptionContext:
    ref = load_reference()
    place = (
        f"Desa {case.desa}, Kecamatan {case.kecamatan}"
        if case.desa
        else (f"Kecamatan {case.kecamatan}")
    )
    when = case.resolved_at or follow_up.submitted_at or utcnow()
    return CaptionContext(
        agency=agency.name,
        category=ref.category_label(case.category).lower(),
        place=place,
        date=indonesian_date(when, tz),
        action=scrub_known(follow_up.action_text.strip(), known_names, known_numbers),
        tracking_number=case.tracking_number,
        hashtags=HASHTAG,
    )


def render_caption(platform: str, context: CaptionContext) -> str:
    template = _environment().get_template(f"{platform}.txt.j2")
    return template.render(**asdict(context)).strip()
