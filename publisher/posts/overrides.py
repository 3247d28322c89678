"""Agency-level caption templates, edited by an admin and checked before they are saved.

An override replaces the built-in ``templates/posts/<platform>/<kind>.txt.j2`` for one agency.
On save (:func:`save_override`) and on preview (:func:`preview_override`) it is compiled in the
sandbox and rendered twice, with the longest realistic data and with the shortest; it is
refused, with the reasons in Bahasa Indonesia, when it does not compile or render, when a
rendering breaks the platform's caption rules even after shortening, or when the hashtag, the
agency or the tracking number is missing from either rendering.

Errors: :class:`OverrideRejected` (a :class:`publisher.core.errors.LaporError`); its
``user_message`` and ``reasons`` are Bahasa Indonesia for the admin page.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.core.clock import utcnow
from publisher.core.errors import LaporError
from publisher.db import audit
from publisher.db.models import Agency, TemplateOverride, User
from publisher.platforms.registry import names as platform_names
from publisher.posts.captions import (
    HASHTAG,
    CaptionContext,
    CaptionRenderer,
    TemplateRejected,
    plain_category,
)
from publisher.posts.rules import KINDS
from publisher.posts.validate import validate
from publisher.reference import load_reference

MAX_SOURCE_CHARS = 5_000

# The longest action summary we expect from a PIC (a long paragraph), and the shortest.
LONG_ACTION = (
    "Tim teknis telah melakukan peninjauan ke lokasi bersama perangkat desa, mengukur "
    "kerusakan, menyiapkan material, lalu melakukan perbaikan menyeluruh selama tiga hari "
    "kerja dengan pengawasan pengawas lapangan; pekerjaan meliputi pembersihan saluran, "
    "penggantian bagian yang rusak, pengecoran ulang, pemasangan rambu sementara, dan "
    "pemeriksaan akhir bersama warga sekitar agar hasilnya tahan lama dan aman digunakan. "
) * 8
SHORT_ACTION = "Sudah diperbaiki."
LONG_TRACKING = "SP4N-LAPOR-2025-11-27-000123456789"
SHORT_TRACKING = "L-1"
LONG_DATE = ("Selasa, 30 September 2025", "23.59 WIB")
# Where to complain at its longest: a template that places it must still fit with it.
LONG_WHATSAPP = "0856-0008-0709"
LONG_APP_URL = "https://play.google.com/store/apps/details?id=id.go.tegalkab.laporbupati"
SHORT_DATE = ("Sabtu, 1 Mei 2025", "08.00 WIB")


class OverrideRejected(LaporError):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__("template override refused: " + "; ".join(reasons))
        self.reasons = reasons
        self.user_message = "Templat ditolak: " + " ".join(reasons)


@dataclass(frozen=True)
class OverridePreview:
    """Both renderings and every reason to refuse (empty when the template is acceptable)."""

    longest: str
    shortest: str
    reasons: list[str] = field(default_factory=list)

    @property
    def acceptable(self) -> bool:
        return not self.reasons


def extremes(agency_name: str, kind: str) -> tuple[CaptionContext, CaptionContext]:
    """The longest and the shortest realistic caption data for ``agency_name``."""
    ref = load_reference()
    longest_place = max(
        ((p.name, d) for p in ref.kecamatan for d in p.desa), key=lambda pd: len(pd[0] + pd[1])
    )
    shortest_kec = min((p.name for p in ref.kecamatan), key=len)
    longest_category = max(ref.categories, key=lambda k: len(ref.categories[k]))
    shortest_category = min(ref.categories, key=lambda k: len(ref.categories[k]))
    long = CaptionContext(
        agency=agency_name,
        category=plain_category(longest_category),
        place=f"Desa {longest_place[1]}, Kecamatan {longest_place[0]}",
        kecamatan=longest_place[0],
        desa=longest_place[1],
        date=LONG_DATE[0],
        time=LONG_DATE[1],
        action=" ".join(LONG_ACTION.split()),
        tracking_number=LONG_TRACKING,
        kind=kind,
        whatsapp=LONG_WHATSAPP,
        app_url=LONG_APP_URL,
    )
    short = replace(
        long,
        category=plain_category(shortest_category),
        place=f"Kecamatan {shortest_kec}",
        kecamatan=shortest_kec,
        desa="",
        date=SHORT_DATE[0],
        time=SHORT_DATE[1],
        action=SHORT_ACTION,
        tracking_number=SHORT_TRACKING,
        whatsapp="",
        app_url="",
    )
    return long, short


@dataclass
class _Caption:
    caption: str
    media: list[object] = field(default_factory=list)


def check_template(
    agency_name: str,
    platform: str,
    kind: str,
    text: str,
    *,
    instagram_hashtag_cap: int | None = None,
) -> OverridePreview:
    """Render ``text`` with the extremes and list every reason to refuse it."""
    if platform not in platform_names():
        return OverridePreview("", "", [f"Platform '{platform}' tidak dikenal."])
    if kind not in KINDS:
        return OverridePreview("", "", [f"Jenis kiriman '{kind}' tidak dikenal."])
    if not text.strip():
        return OverridePreview("", "", ["Templat kosong."])
    if len(text) > MAX_SOURCE_CHARS:
        return OverridePreview(
            "", "", [f"Templat terlalu panjang (maks. {MAX_SOURCE_CHARS} karakter)."]
        )
    # A fresh renderer: a refused template must not linger in the shared compile cache.
    renderer = CaptionRenderer(instagram_hashtag_cap=instagram_hashtag_cap)
    rendered: list[str] = []
    reasons: list[str] = []
    for label, context in zip(
        ("terpanjang", "terpendek"), extremes(agency_name, kind), strict=True
    ):
        try:
            caption = renderer.render(platform, context, override=text)
        except TemplateRejected as exc:
            return OverridePreview("", "", [exc.user_message])
        rendered.append(caption)
        for problem in validate(
            _Caption(caption), platform, instagram_hashtag_cap=instagram_hashtag_cap
        ):
            if problem.code not in ("too_few_media",):
                reasons.append(f"Dengan data {label}: {problem.message}")
        for value, what in (
            (HASHTAG, f"tagar {HASHTAG}"),
            (agency_name, "nama instansi"),
            (context.tracking_number, "nomor laporan"),
        ):
            if value not in caption:
                reasons.append(f"Dengan data {label}: {what} tidak muncul di keterangan.")
    return OverridePreview(rendered[0], rendered[1], list(dict.fromkeys(reasons)))


def _agency(session: Session, agency_id: int) -> Agency:
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise OverrideRejected(["Instansi tidak ditemukan."])
    return agency


def preview_override(
    session: Session,
    agency_id: int,
    platform: str,
    kind: str,
    text: str,
    *,
    instagram_hashtag_cap: int | None = None,
) -> OverridePreview:
    """What ``text`` would produce for the agency, and why it would be refused (nothing saved)."""
    agency = _agency(session, agency_id)
    return check_template(
        agency.name, platform, kind, text, instagram_hashtag_cap=instagram_hashtag_cap
    )


def save_override(
    session: Session,
    agency_id: int,
    platform: str,
    kind: str,
    text: str,
    user: User,
    *,
    instagram_hashtag_cap: int | None = None,
) -> TemplateOverride:
    """Check and store the agency's template (insert or replace), audited. Admins only."""
    if user.role != "admin" or not user.active:
        raise OverrideRejected(["Hanya admin yang boleh mengubah templat."])
    preview = preview_override(
        session, agency_id, platform, kind, text, instagram_hashtag_cap=instagram_hashtag_cap
    )
    if not preview.acceptable:
        raise OverrideRejected(preview.reasons)
    row = _stored(session, agency_id, platform, kind)
    if row is None:
        row = TemplateOverride(agency_id=agency_id, platform=platform, kind=kind, source=text,
                               updated_by=user.username)  # fmt: skip
        session.add(row)
    else:
        row.source = text
        row.updated_by = user.username
        row.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor=f"user:{user.username}",
        action="template.saved",
        object_type="template_override",
        object_id=row.id,
        agency_id=agency_id,
        platform=platform,
        kind=kind,
    )
    return row


def _stored(session: Session, agency_id: int, platform: str, kind: str) -> TemplateOverride | None:
    return session.scalar(
        select(TemplateOverride).where(
            TemplateOverride.agency_id == agency_id,
            TemplateOverride.platform == platform,
            TemplateOverride.kind == kind,
        )
    )


def delete_override(session: Session, agency_id: int, platform: str, kind: str, user: User) -> bool:
    """Go back to the built-in template. Returns whether an override existed."""
    if user.role != "admin" or not user.active:
        raise OverrideRejected(["Hanya admin yang boleh mengubah templat."])
    row = _stored(session, agency_id, platform, kind)
    if row is None:
        return False
    audit.record(
        session,
        actor=f"user:{user.username}",
        action="template.deleted",
        object_type="template_override",
        object_id=row.id,
        agency_id=agency_id,
        platform=platform,
        kind=kind,
    )
    session.delete(row)
    session.flush()
    return True


def overrides_for_agency(session: Session, agency_id: int) -> dict[tuple[str, str], str]:
    """``{(platform, kind): source}`` of the agency's saved templates."""
    rows = session.scalars(select(TemplateOverride).where(TemplateOverride.agency_id == agency_id))
    return {(r.platform, r.kind): r.source for r in rows}
