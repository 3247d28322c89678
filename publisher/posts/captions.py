"""Captions from Jinja2 templates in ``templates/posts/<platform>/<kind>.txt.j2``.

The template context (:class:`CaptionContext`) is built by :func:`caption_context` from public
case fields only: the reporter's fields are never decrypted here, so no template can print them.
Every string that comes from the case passes through :func:`public_text` (the one place where
the personal-data filter runs) before it enters the context; places are mapped to their
official spelling from the reference data and never go finer than the desa.

:class:`CaptionRenderer` compiles each template once (sandboxed Jinja2, no autoescaping: the
output is plain text) and makes every caption fit its platform (``publisher.posts.rules``):
optional hashtags go first when the hashtag cap is reached, then the action summary is
shortened at a word boundary with an ellipsis. The hashtag, the agency and the tracking number
are never dropped. An agency's own template (``publisher.posts.overrides``) is used when given.

Errors: :class:`TemplateRejected` (a :class:`publisher.core.errors.LaporError`) when a template
cannot be compiled or rendered (used by the override check; the built-in templates are tested
to always render).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from jinja2 import FileSystemLoader, StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from publisher.core.clock import utcnow
from publisher.core.errors import LaporError
from publisher.core.paths import templates_dir
from publisher.db.models import Agency, Case, FollowUp
from publisher.platforms.registry import get_spec
from publisher.platforms.spec import PlatformSpec
from publisher.platforms.x.twitter_text import may_contain_url
from publisher.posts.rules import KINDS, caption_length, hashtags, rules_for
from publisher.privacy.guard import default_detector, finding_key, scrub
from publisher.privacy.model import Finding, KnownIdentities
from publisher.privacy.redaction import redact
from publisher.reference import load_reference

HASHTAG = "#LaporBupatiTegal"
# Optional tags, dropped from the end when a platform's hashtag cap is reached.
OPTIONAL_HASHTAGS = ("#KabupatenTegal", "#PelayananPublik")
NAME_TAG = "[nama disamarkan]"
PHONE_TAG = "[nomor disamarkan]"
ELLIPSIS = "…"
# Stands for the action while a caption is fitted (private-use characters never typed by a PIC).
_PLACEHOLDER = "\ue000tindak-lanjut\ue001"
REGION = "Kabupaten Tegal"

# Indonesia's three time zones, as people write them after a time.
_ZONE_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


class TemplateRejected(LaporError):
    """A caption template cannot be compiled, rendered or fitted; ``user_message`` is Bahasa."""

    def __init__(self, message: str, user_message: str) -> None:
        super().__init__(message)
        self.user_message = user_message


@dataclass(frozen=True)
class CaptionContext:
    """Everything a caption template may print. Public fields only, by construction."""

    agency: str
    category: str
    place: str
    kecamatan: str
    desa: str
    date: str
    time: str
    action: str
    tracking_number: str
    kind: str = "photo"
    hashtags: tuple[str, ...] = (HASHTAG, *OPTIONAL_HASHTAGS)
    # SP4N-LAPOR!'s public tracking page of the case ("" if none; publisher.posts.tracking).
    tracking_url: str = ""
    # Where to complain, from settings (LAPOR_COMPLAINT_WHATSAPP, LAPOR_COMPLAINT_APP_URL): the
    # point of publishing is that people know where to go. Official, so never scrubbed.
    whatsapp: str = ""
    app_url: str = ""

    def but(self, **changes: Any) -> CaptionContext:
        """A copy with ``changes`` (``dataclasses.replace`` re-runs field handling: 5x slower)."""
        values = dict(vars(self))
        values.update(changes)
        return CaptionContext(**values)

    def variables(self) -> dict[str, Any]:
        # vars() rather than asdict(): asdict deep-copies and costs a third of a render.
        return dict(vars(self))


# --- Indonesian formatting ----------------------------------------------------------------


def indonesian_date(moment: datetime, tz: ZoneInfo) -> str:
    """``Kamis, 27 November 2025`` in ``tz``."""
    return format_date(moment.astimezone(tz), format="full", locale="id")


def indonesian_time(moment: datetime, tz: ZoneInfo) -> str:
    """``14.30 WIB`` in ``tz``."""
    local = moment.astimezone(tz)
    zone = _ZONE_ABBREVIATIONS.get(str(tz), str(tz))
    return f"{format_time(local, 'HH.mm', locale='id')} {zone}"


def official_place(kecamatan: str, desa: str) -> tuple[str, str, str]:
    """(place line, kecamatan, desa) in official spelling; unknown names are left out.

    A name not in the reference data could be anything (a hamlet, a street, a person), so it is
    never printed: an unknown desa falls back to the kecamatan, an unknown kecamatan to the
    regency.
    """
    place = load_reference().kecamatan_by_name().get(kecamatan.strip().casefold())
    if place is None:
        return REGION, "", ""
    by_name = {d.casefold(): d for d in place.desa}
    official_desa = by_name.get(desa.strip().casefold(), "")
    if official_desa:
        return f"Desa {official_desa}, Kecamatan {place.name}", place.name, official_desa
    return f"Kecamatan {place.name}", place.name, ""


def plain_category(key: str) -> str:
    """A category key as plain words (``pju`` -> ``penerangan jalan umum``)."""
    categories = load_reference().categories
    label = categories.get(key.strip().casefold()) or categories.get("lainnya", "Lainnya")
    return label.lower()


# --- personal data ------------------------------------------------------------------------

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


def scrub_known(text: str, names: Sequence[str], numbers: Sequence[str]) -> str:
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
        # Match the number however it is spaced, bracketed or prefixed (+62 / 62 / 0).
        pattern = r"(?:\+?\(?62\)?[\s.()-]*|\(?0)?" + r"[\s.()-]{0,2}".join(local)
        text = re.sub(rf"(?<!\d){pattern}(?!\d)", PHONE_TAG, text)
    return text


def public_text(text: str, known: KnownIdentities, official: Sequence[str] = ()) -> str:
    """The single call site of the personal-data filter for caption text: every string that
    reaches a caption goes through here. The exact-value scrub runs first (it knows the odd
    spacings of the case's own numbers), then the detector removes every other finding.
    What the detector finds inside an ``official`` string (the complaint hotline, the app link,
    printed as they are) is where to complain, not a person's data, and is left alone."""
    first = scrub_known(text, known.names, (*known.phones, *known.niks))
    if not any(official):
        return scrub(first, known)
    spans = _spans_of(first, official)
    findings = [f for f in default_detector().detect(first, known) if not _inside(f, spans)]
    return redact(first, findings).text


def _spans_of(text: str, values: Sequence[str]) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for v in values if v for m in re.finditer(re.escape(v), text)]


def _inside(finding: Finding, spans: list[tuple[int, int]]) -> bool:
    return any(start <= finding.start and finding.end <= end for start, end in spans)


# --- context ------------------------------------------------------------------------------


def media_kind(media: Sequence[dict[str, Any]]) -> str:
    """``before_after`` when photos are marked before and after, ``video`` when a video leads,
    ``photo`` otherwise (also with no media at all)."""
    phases = {m.get("phase") for m in media if m.get("kind") == "photo"}
    if {"before", "after"} <= phases:
        return "before_after"
    if media and media[0].get("kind") == "video":
        return "video"
    return "photo"


def caption_context(
    case: Case,
    agency: Agency,
    follow_up: FollowUp,
    tz: ZoneInfo,
    *,
    known: KnownIdentities | None = None,
    known_names: Sequence[str] = (),
    known_numbers: Sequence[str] = (),
    kind: str = "photo",
    tracking_url: str = "",
    whatsapp: str = "",
    app_url: str = "",
) -> CaptionContext:
    if known is None:
        known = KnownIdentities(names=tuple(known_names), phones=tuple(known_numbers))
    place, kecamatan, desa = official_place(case.kecamatan, case.desa)
    when = case.resolved_at or follow_up.submitted_at or utcnow()
    return CaptionContext(
        agency=agency.name,
        category=public_text(plain_category(case.category), known),
        place=public_text(place, known),
        kecamatan=public_text(kecamatan, known),
        desa=public_text(desa, known),
        date=indonesian_date(when, tz),
        time=indonesian_time(when, tz),
        # Scrubbed before the line breaks are folded: a WhatsApp signature is recognised by
        # standing on its own last line (issue #16; the hard-form property test found it).
        action=" ".join(public_text(follow_up.action_text, known).split()),
        tracking_number=public_text(case.tracking_number, known),
        kind=kind if kind in KINDS else "photo",
        tracking_url=public_text(tracking_url, known) if tracking_url else "",
        whatsapp=whatsapp.strip(),
        app_url=app_url.strip(),
    )


def official_contact_allowances(caption: str, context: CaptionContext) -> list[dict[str, Any]]:
    """The detector's findings inside the caption's official hotline or app link, as the
    false-positive marks the approval and publish checks honour (kind and hash, as a reviewer's
    mark; ``by`` says they come from settings). The regency's WhatsApp number is a phone number
    by shape, and without this every caption carrying it would be refused."""
    spans = _spans_of(caption, (context.whatsapp, context.app_url))
    if not spans:
        return []
    marks: dict[str, dict[str, Any]] = {}
    for f in default_detector().detect(caption, None):
        if _inside(f, spans):
            key = finding_key(f.kind, f.text)
            marks[key] = {"key": key, "kind": f.kind, "by": "settings:complaint"}
    return list(marks.values())


# --- rendering ----------------------------------------------------------------------------


@cache
def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=FileSystemLoader(str(templates_dir() / "posts")),
        autoescape=False,  # plain-text captions; HTML previews use their own environment
        undefined=StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=False,
        # Templates are read once per process; without this every `extends` stats the file.
        auto_reload=False,
    )


def template_name(platform: str, kind: str) -> str:
    return f"{get_spec(platform).templates or platform}/{kind}.txt.j2"


def shorten_at_word(text: str, max_chars: int) -> str:
    """The longest prefix of ``text`` up to ``max_chars`` ending at a word boundary, plus an
    ellipsis; the ellipsis alone when not even one word fits."""
    if len(text) <= max_chars:
        return text
    cut = text.rfind(" ", 0, max_chars + 1)
    head = text[:cut] if cut > 0 else ""
    return head.rstrip(" ,.;:-–—") + ELLIPSIS


_WHITESPACE_RUNS = re.compile(r"\n{3,}")


class CaptionRenderer:
    """Compiles templates once and renders captions that fit their platform."""

    def __init__(self, *, instagram_hashtag_cap: int | None = None) -> None:
        self.instagram_hashtag_cap = instagram_hashtag_cap
        self._compiled: dict[str, Template] = {}

    def rules(self, platform: str) -> PlatformSpec:
        return rules_for(platform, instagram_hashtag_cap=self.instagram_hashtag_cap)

    def template(self, platform: str, kind: str, override: str | None = None) -> Template:
        key = override if override is not None else template_name(platform, kind)
        found = self._compiled.get(key)
        if found is None:
            found = (
                compile_template(override)
                if override is not None
                else (_environment().get_template(key))
            )
            if len(self._compiled) > 512:  # overrides are few; a bound keeps edits from piling up
                self._compiled.clear()
            self._compiled[key] = found
        return found

    def render_raw(
        self, platform: str, context: CaptionContext, *, override: str | None = None
    ) -> str:
        """The template's output as is (no fitting)."""
        template = self.template(platform, context.kind, override)
        try:
            text = template.render(context.variables())
        except TemplateError as exc:
            raise TemplateRejected(
                f"template for {platform}/{context.kind} failed to render: {exc}",
                f"Templat gagal dirender: {exc}",
            ) from None
        return _WHITESPACE_RUNS.sub("\n\n", text).strip()

    def render(self, platform: str, context: CaptionContext, *, override: str | None = None) -> str:
        """A caption that fits ``platform``: optional hashtags dropped for the cap, then the
        action shortened at a word boundary. Returns the shortest form when nothing fits
        (pre-flight validation then reports it)."""
        rules = self.rules(platform)
        context = self._within_hashtag_cap(context, rules)
        if override is None and "\n" not in context.action and context.action.strip():
            fitted = self._fit_by_substitution(platform, context, rules)
            if fitted is not None:
                return fitted
        if caption_length(context.action, rules) <= rules.caption.max_length:
            # Only worth a full render when the action alone could still fit.
            text = self.render_raw(platform, context, override=override)
            if caption_length(text, rules) <= rules.caption.max_length:
                return text
        return self._shorten(platform, context, rules, override)

    def _fit_by_substitution(
        self, platform: str, context: CaptionContext, rules: PlatformSpec
    ) -> str | None:
        """One render per caption: the built-in templates print the action once, unchanged, so
        rendering with a placeholder and substituting candidate actions into that text is the
        same as rendering each candidate. None when the placeholder does not come out intact
        exactly once (then the caller renders each candidate)."""
        base = self.render_raw(platform, context.but(action=_PLACEHOLDER))
        if base.count(_PLACEHOLDER) != 1:
            return None
        action, limit = context.action, rules.caption.max_length
        full = base.replace(_PLACEHOLDER, action)
        if caption_length(full, rules) <= limit:
            return full
        bare_length = caption_length(base.replace(_PLACEHOLDER, ELLIPSIS), rules)
        if bare_length > limit:
            return None  # optional hashtags must go too: the general path handles it
        cut = self._longest_prefix(action, limit - bare_length, rules)
        while True:
            shortened = shorten_at_word(action, cut)
            text = base.replace(_PLACEHOLDER, shortened)
            if caption_length(text, rules) <= limit or cut == 0:
                return text
            cut = max(action.rfind(" ", 0, len(shortened) - len(ELLIPSIS)), 0)

    @staticmethod
    def _longest_prefix(action: str, room: int, rules: PlatformSpec) -> int:
        """The largest cut for :func:`shorten_at_word` whose words alone measure <= ``room``."""
        high = len(action) - 1
        if rules.caption.counting == "x_weighted" and not may_contain_url(action):
            high = min(high, room)  # every code point then weighs at least 1
        low, high = 0, max(high, 0)
        while low < high:
            middle = (low + high + 1) // 2
            head = shorten_at_word(action, middle)[: -len(ELLIPSIS)]
            if caption_length(head, rules) <= room:
                low = middle
            else:
                high = middle - 1
        return low

    def _within_hashtag_cap(self, context: CaptionContext, rules: PlatformSpec) -> CaptionContext:
        if rules.caption.hashtag_cap is None:
            return context
        in_action = len(hashtags(context.action))
        room = max(rules.caption.hashtag_cap - in_action, 1)
        action = context.action
        if in_action + 1 > rules.caption.hashtag_cap:
            # The PIC's own tags give way to ours: keep the word, drop the '#'.
            for tag in set(hashtags(action)):
                action = re.sub(rf"(?<![\w&]){re.escape(tag)}(?!\w)", tag[1:], action)
            room = rules.caption.hashtag_cap
        tags = context.hashtags[:room]
        if tags == context.hashtags and action == context.action:
            return context
        return context.but(hashtags=tags, action=action)

    def _shorten(
        self,
        platform: str,
        context: CaptionContext,
        rules: PlatformSpec,
        override: str | None,
    ) -> str:
        """Cut the action so the caption fits: measure the caption around an empty action once,
        find the longest word-boundary prefix that fits the room left (cheap: the prefix alone
        is measured), render that, and step back a word while the whole still does not fit
        (lengths are not always additive: an emoji or URL at the seam)."""
        limit = rules.caption.max_length
        for candidate in (context, context.but(hashtags=context.hashtags[:1])):
            base = self.render_raw(platform, candidate.but(action=ELLIPSIS), override=override)
            base_length = caption_length(base, rules)
            if base_length > limit:
                continue
            action = candidate.action
            low = self._longest_prefix(action, limit - base_length, rules)
            cut = low
            while True:
                shortened = shorten_at_word(action, cut)
                text = self.render_raw(platform, candidate.but(action=shortened), override=override)
                if caption_length(text, rules) <= limit or cut == 0:
                    return text
                cut = max(action.rfind(" ", 0, len(shortened) - len(ELLIPSIS)), 0)
        shortest = context.but(hashtags=context.hashtags[:1], action=ELLIPSIS)
        return self.render_raw(platform, shortest, override=override)


def compile_template(source: str) -> Template:
    """Compile a template's source in the sandbox, or refuse it with a reason."""
    try:
        return _environment().from_string(source)
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = f" (baris {line})" if line else ""
        raise TemplateRejected(
            f"template does not compile: {exc}", f"Templat tidak valid{where}: {exc}"
        ) from None


@cache
def default_renderer(instagram_hashtag_cap: int | None = None) -> CaptionRenderer:
    return CaptionRenderer(instagram_hashtag_cap=instagram_hashtag_cap)


def render_caption(
    platform: str,
    context: CaptionContext,
    *,
    override: str | None = None,
    instagram_hashtag_cap: int | None = None,
) -> str:
    """A caption for ``platform`` that fits its limits (see :class:`CaptionRenderer`)."""
    return default_renderer(instagram_hashtag_cap).render(platform, context, override=override)
