"""Agency caption templates in the admin UI (admins only): a per-agency list of every
(platform, kind) showing the agency's own template or the built-in one, and an edit form that
previews a template with the longest and the shortest realistic data, saves it when it passes,
or goes back to the built-in template.

Checking, storing and auditing are :mod:`publisher.posts.overrides`; this module only turns
forms into those calls. A refused save answers 400 with the page, the reasons in Bahasa
Indonesia and the admin's text kept in the textarea.

Errors: :class:`publisher.web.auth.NotFound` for an unknown agency, platform or kind; a refused
template is not an error here but a page (:class:`publisher.posts.overrides.OverrideRejected`
is caught).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.core.paths import templates_dir
from publisher.db.models import Agency, User
from publisher.platforms.registry import names as platform_names
from publisher.posts.captions import template_name
from publisher.posts.overrides import (
    OverridePreview,
    OverrideRejected,
    delete_override,
    overrides_for_agency,
    preview_override,
    save_override,
)
from publisher.posts.rules import KINDS
from publisher.runtime.context import AppContext
from publisher.web.auth import NotFound
from publisher.web.deps import AdminOnly, AdminOnlyWrite, Ctx, Pages
from publisher.web.templating import PageRenderer

# Far above the checker's own limit, so an over-long template gets its reason, not a 422.
FORM_MAX_CHARS = 50_000
KIND_LABELS = {"photo": "foto", "video": "video", "before_after": "sebelum-sesudah"}
_EXTENDS = re.compile(r"""\{%-?\s*extends\s+["']([^"']+)["']""")


@dataclass(frozen=True)
class Slot:
    """One (platform, kind) of an agency: its own template, or None for the built-in one."""

    platform: str
    kind: str
    own: str | None
    default: str

    @property
    def source(self) -> str:
        return self.own if self.own is not None else self.default


def default_source(platform: str, kind: str) -> str:
    """The built-in template's file text (what a new override starts from)."""
    return (templates_dir() / "posts" / template_name(platform, kind)).read_text(encoding="utf-8")


def parent_sources(source: str) -> dict[str, str]:
    """The shared templates ``source`` extends, so the admin sees the blocks it may fill."""
    found: dict[str, str] = {}
    pending = _EXTENDS.findall(source)
    while pending:
        name = pending.pop()
        path = templates_dir() / "posts" / name
        if name in found or not path.is_file() or ".." in name:
            continue
        found[name] = path.read_text(encoding="utf-8")
        pending.extend(_EXTENDS.findall(found[name]))
    return found


def agency_by_code(session: Session, code: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise NotFound(f"unknown agency {code!r}", "Instansi tidak ditemukan.")
    return agency


def check_slot(platform: str, kind: str) -> None:
    if platform not in platform_names() or kind not in KINDS:
        raise NotFound(f"unknown template slot {platform}/{kind}", "Templat tidak ditemukan.")


def slots(session: Session, agency: Agency) -> list[Slot]:
    own = overrides_for_agency(session, agency.id)
    return [
        Slot(platform, kind, own.get((platform, kind)), default_source(platform, kind))
        for platform in platform_names()
        for kind in KINDS
    ]


router = APIRouter(include_in_schema=False)


def edit_page(
    ctx: AppContext,
    pages: PageRenderer,
    request: Request,
    agency: str,
    platform: str,
    kind: str,
    *,
    text: str | None = None,
    preview: OverridePreview | None = None,
    reasons: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    check_slot(platform, kind)
    with ctx.readonly_sessions() as session:
        row = agency_by_code(session, agency)
        own = overrides_for_agency(session, row.id).get((platform, kind))
        agency_name, agency_code = row.name, row.code
    default = default_source(platform, kind)
    shown = text if text is not None else (own if own is not None else default)
    return pages.render(
        request,
        "overrides/edit.html",
        status_code=status_code,
        agency_name=agency_name,
        agency_code=agency_code,
        platform=platform,
        kind=kind,
        kind_label=KIND_LABELS.get(kind, kind),
        text=shown,
        has_own=own is not None,
        default=default,
        parents=parent_sources(shown + "\n" + default),
        preview=preview,
        reasons=reasons if reasons is not None else (preview.reasons if preview else []),
        flash=request.query_params.get("pesan", ""),
    )


@router.get("/admin/overrides")
def overview(
    ctx: Ctx, pages: Pages, request: Request, user: AdminOnly, agency: str = ""
) -> Response:
    with ctx.readonly_sessions() as session:
        agencies = list(session.scalars(select(Agency).order_by(Agency.name)))
        if not agencies:
            chosen, listed = None, []
        else:
            chosen = agency_by_code(session, agency) if agency else agencies[0]
            listed = slots(session, chosen)
    return pages.render(
        request,
        "overrides/index.html",
        agencies=agencies,
        chosen=chosen,
        slots=listed,
        kind_labels=KIND_LABELS,
        flash=request.query_params.get("pesan", ""),
    )


@router.get("/admin/overrides/{agency}/{platform}/{kind}")
def edit(
    ctx: Ctx,
    pages: Pages,
    request: Request,
    agency: str,
    platform: str,
    kind: str,
    user: AdminOnly,
) -> Response:
    return edit_page(ctx, pages, request, agency, platform, kind)


@router.post("/admin/overrides/{agency}/{platform}/{kind}/preview")
def preview(
    ctx: Ctx,
    pages: Pages,
    request: Request,
    agency: str,
    platform: str,
    kind: str,
    user: AdminOnlyWrite,
    text: Annotated[str, Form(max_length=FORM_MAX_CHARS)] = "",
) -> Response:
    check_slot(platform, kind)
    with ctx.readonly_sessions() as session:
        row = agency_by_code(session, agency)
        result = preview_override(
            session,
            row.id,
            platform,
            kind,
            text,
            instagram_hashtag_cap=ctx.settings.instagram_hashtag_cap,
        )
    return edit_page(ctx, pages, request, agency, platform, kind, text=text, preview=result)


@router.post("/admin/overrides/{agency}/{platform}/{kind}")
def save(
    ctx: Ctx,
    pages: Pages,
    request: Request,
    agency: str,
    platform: str,
    kind: str,
    user: AdminOnlyWrite,
    text: Annotated[str, Form(max_length=FORM_MAX_CHARS)] = "",
) -> Response:
    check_slot(platform, kind)
    try:
        with ctx.sessions() as session, session.begin():
            row = agency_by_code(session, agency)
            admin = session.get(User, user.user_id)
            if admin is None:
                raise NotFound(f"user {user.user_id}")
            save_override(
                session,
                row.id,
                platform,
                kind,
                text,
                admin,
                instagram_hashtag_cap=ctx.settings.instagram_hashtag_cap,
            )
    except OverrideRejected as exc:
        return edit_page(
            ctx,
            pages,
            request,
            agency,
            platform,
            kind,
            text=text,
            reasons=exc.reasons,
            status_code=400,
        )
    return back(agency, platform, kind, "Templat disimpan.")


@router.post("/admin/overrides/{agency}/{platform}/{kind}/reset")
def reset(
    ctx: Ctx,
    agency: str,
    platform: str,
    kind: str,
    user: AdminOnlyWrite,
) -> Response:
    check_slot(platform, kind)
    with ctx.sessions() as session, session.begin():
        row = agency_by_code(session, agency)
        admin = session.get(User, user.user_id)
        if admin is None:
            raise NotFound(f"user {user.user_id}")
        existed = delete_override(session, row.id, platform, kind, admin)
    message = "Templat dikembalikan ke bawaan." if existed else "Sudah memakai templat bawaan."
    return back(agency, platform, kind, message)


def back(agency: str, platform: str, kind: str, message: str) -> Response:
    return RedirectResponse(
        f"/admin/overrides/{quote(agency)}/{platform}/{kind}?pesan={quote(message)}",
        status_code=303,
    )
