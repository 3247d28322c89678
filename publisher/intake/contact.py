"""Reporter contact on request (issue 20; the regent's procedure: the PIC may ask the admin for
the reporter's identity or phone, clarifies with the reporter first, checks in the field, and
never reveals the reporter to the person complained about).

* A PIC asks, for one case of their agency, with a reason (scrubbed of the case's identities
  before it is stored: the audit log can never be erased).
* An admin grants or refuses. A ``rahasia`` case is granted only with the admin's written
  reason. A grant lasts ``LAPOR_CONTACT_GRANT_DAYS``.
* Only that PIC, only for that case, only until expiry, sees the phone (and the name, if the
  reporter gave one and did not ask to stay anonymous) on one page sent with ``no-store``;
  every view is audited (ids only). The contact is read from ``cases.reporter`` at that moment
  and copied nowhere: not into this table, a log line, a post, a preview or any other page.
* The PIC records what came of it (confirmed / not reachable / withdrawn); the dashboard counts
  the outcomes (:func:`outcome_counts`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from publisher.core.clock import utcnow
from publisher.core.crypto import Vault
from publisher.db import audit
from publisher.db.models import CONTACT_OUTCOMES, Case, ContactRequest, User
from publisher.privacy.guard import case_identities, scrub
from publisher.web.auth import BadInput, Conflict, NotFound, Viewer
from publisher.web.deps import AdminOnly, AdminOnlyWrite, Ctx, Pages, PicUser, PicUserWrite
from publisher.web.scope import get_scoped, scoped_cases

MIN_REASON = 10
OUTCOME_LABELS = {
    "confirmed": "Sudah dikonfirmasi dengan pelapor",
    "not_reachable": "Pelapor tidak dapat dihubungi",
    "withdrawn": "Pelapor mencabut laporan",
}


def _case(session: Session, viewer: Viewer, case_id: int) -> Case:
    return get_scoped(session, scoped_cases(viewer), Case, case_id)


def latest(session: Session, case_id: int, pic_user_id: int) -> ContactRequest | None:
    return session.scalar(
        select(ContactRequest)
        .where(ContactRequest.case_id == case_id, ContactRequest.pic_user_id == pic_user_id)
        .order_by(ContactRequest.id.desc())
        .limit(1)
    )


def active_grant(request: ContactRequest | None, now: datetime) -> bool:
    return (
        request is not None
        and request.state == "granted"
        and request.expires_at is not None
        and request.expires_at > now
    )


def ask(
    session: Session, vault: Vault, viewer: Viewer, case_id: int, reason: str
) -> ContactRequest:
    case = _case(session, viewer, case_id)
    if len(reason.strip()) < MIN_REASON:
        raise BadInput(
            "a contact request needs a reason",
            f"Tuliskan alasan meminta kontak pelapor (minimal {MIN_REASON} karakter).",
        )
    current = latest(session, case.id, viewer.user_id)
    if current is not None and (current.state == "requested" or active_grant(current, utcnow())):
        raise Conflict(
            f"case {case.id} already has an open contact request of user {viewer.user_id}",
            "Permintaan kontak untuk kasus ini sudah ada.",
        )
    request = ContactRequest(
        case_id=case.id,
        pic_user_id=viewer.user_id,
        reason=scrub(reason.strip(), case_identities(case, vault))[:1000],
    )
    session.add(request)
    session.flush()
    audit.record(
        session,
        actor=viewer.actor,
        action="contact.requested",
        object_type="contact_request",
        object_id=request.id,
        case_id=case.id,
    )
    return request


def decide(
    session: Session,
    vault: Vault,
    admin: Viewer,
    request_id: int,
    *,
    grant: bool,
    note: str,
    grant_days: int,
) -> ContactRequest:
    """Grant or refuse, by a conditional update (two admins deciding at once: one wins)."""
    request = session.get(ContactRequest, request_id)
    if request is None:
        raise NotFound(f"contact request {request_id} not found")
    case = session.get(Case, request.case_id)
    assert case is not None
    # The audit log is append-only: a note naming the reporter is scrubbed before it is kept.
    note = scrub(note.strip(), case_identities(case, vault))
    if grant and case.privacy_mode == "rahasia" and len(note) < MIN_REASON:
        raise BadInput(
            f"case {case.id} is rahasia: a grant needs the admin's reason",
            "Laporan rahasia: tuliskan alasan membuka kontak pelapor (minimal 10 karakter).",
        )
    now = utcnow()
    values: dict[str, Any] = {
        "state": "granted" if grant else "refused",
        "decided_by_id": admin.user_id,
        "decided_at": now,
        "decision_note": note[:1000],
        "expires_at": now + timedelta(days=grant_days) if grant else None,
    }
    moved = session.execute(
        update(ContactRequest)
        .where(ContactRequest.id == request.id, ContactRequest.state == "requested")
        .values(values)
        .execution_options(synchronize_session=False)
    )
    if not getattr(moved, "rowcount", 0):
        raise Conflict(
            f"contact request {request.id} was already decided", "Permintaan ini sudah diputuskan."
        )
    session.expire(request)
    audit.record(
        session,
        actor=admin.actor,
        action="contact.granted" if grant else "contact.refused",
        object_type="contact_request",
        object_id=request.id,
        case_id=case.id,
        pic_user_id=request.pic_user_id,
        rahasia=case.privacy_mode == "rahasia",
        note=note[:1000],
    )
    return request


def reveal(
    session: Session, vault: Vault, viewer: Viewer, case: Case, request: ContactRequest | None
) -> dict[str, str] | None:
    """The reporter's phone (and name) for the granted PIC, audited; None otherwise."""
    if not active_grant(request, utcnow()) or case.reporter is None:
        return None
    assert request is not None and request.pic_user_id == viewer.user_id
    reporter = vault.decrypt_json(case.reporter)
    if not isinstance(reporter, dict):
        return None
    shown = {"phone": str(reporter.get("phone") or reporter.get("whatsapp") or "")}
    if reporter.get("name") and case.privacy_mode != "anonim":
        shown["name"] = str(reporter["name"])
    audit.record(
        session,
        actor=viewer.actor,
        action="contact.viewed",
        object_type="contact_request",
        object_id=request.id,
        case_id=case.id,
    )
    return shown


def record_outcome(session: Session, viewer: Viewer, case_id: int, outcome: str) -> ContactRequest:
    case = _case(session, viewer, case_id)
    if outcome not in CONTACT_OUTCOMES:
        raise BadInput(f"unknown outcome {outcome[:20]!r}", "Pilih hasil klarifikasi.")
    request = latest(session, case.id, viewer.user_id)
    if request is None or request.state != "granted":
        raise NotFound(f"no granted contact request for case {case.id}")
    request.outcome, request.outcome_at = outcome, utcnow()
    audit.record(
        session,
        actor=viewer.actor,
        action="contact.outcome",
        object_type="contact_request",
        object_id=request.id,
        case_id=case.id,
        outcome=outcome,
    )
    return request


def outcome_counts(session: Session) -> dict[str, int]:
    """Clarification outcomes, for the dashboard (with requests still waiting or unreported)."""
    counts = {key: 0 for key in (*CONTACT_OUTCOMES, "requested", "no_outcome")}
    for state, outcome, n in session.execute(
        select(ContactRequest.state, ContactRequest.outcome, func.count()).group_by(
            ContactRequest.state, ContactRequest.outcome
        )
    ).all():
        if outcome:
            counts[outcome] += n
        elif state == "requested":
            counts["requested"] += n
        elif state == "granted":
            counts["no_outcome"] += n
    return counts


# --- pages ---------------------------------------------------------------------------------------

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@router.get("/pic/cases/{case_id}/contact")
def contact_page(ctx: Ctx, pages: Pages, request: Request, case_id: int, user: PicUser) -> Response:
    with ctx.sessions() as session, session.begin():
        case = _case(session, user, case_id)
        asked = latest(session, case.id, user.user_id)
        shown = reveal(session, ctx.vault, user, case, asked)
        response = pages.render(
            request,
            "pic/contact.html",
            case=case,
            asked=asked,
            shown=shown,
            expired=asked is not None and asked.state == "granted" and shown is None,
            outcomes=OUTCOME_LABELS,
            min_reason=MIN_REASON,
        )
    response.headers.update(NO_STORE)
    return response


@router.post("/pic/cases/{case_id}/contact-request")
def contact_request(
    ctx: Ctx,
    case_id: int,
    user: PicUserWrite,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    with ctx.sessions() as session, session.begin():
        ask(session, ctx.vault, user, case_id, reason)
    return RedirectResponse(f"/pic/cases/{case_id}/contact", status_code=303)


@router.post("/pic/cases/{case_id}/contact/outcome")
def contact_outcome(
    ctx: Ctx,
    case_id: int,
    user: PicUserWrite,
    outcome: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    with ctx.sessions() as session, session.begin():
        record_outcome(session, user, case_id, outcome)
    return RedirectResponse(f"/pic/cases/{case_id}/contact", status_code=303)


@router.get("/admin/contact-requests")
def contact_requests_page(ctx: Ctx, pages: Pages, request: Request, user: AdminOnly) -> Response:
    with ctx.readonly_sessions() as session:
        rows = session.execute(
            select(ContactRequest, Case, User)
            .join(Case, Case.id == ContactRequest.case_id)
            .join(User, User.id == ContactRequest.pic_user_id)
            .order_by(ContactRequest.id.desc())
            .limit(200)
        ).all()
        counts = outcome_counts(session)
    return pages.render(
        request,
        "admin/contact_requests.html",
        rows=rows,
        counts=counts,
        outcomes=OUTCOME_LABELS,
        grant_days=ctx.settings.contact_grant_days,
    )


@router.post("/admin/contact-requests/{request_id}/decide")
def contact_decide(
    ctx: Ctx,
    request_id: int,
    user: AdminOnlyWrite,
    decision: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    if decision not in ("grant", "refuse"):
        raise BadInput(f"unknown decision {decision[:10]!r}", "Pilih beri atau tolak.")
    with ctx.sessions() as session, session.begin():
        decide(
            session,
            ctx.vault,
            user,
            request_id,
            grant=decision == "grant",
            note=note,
            grant_days=ctx.settings.contact_grant_days,
        )
    return RedirectResponse("/admin/contact-requests", status_code=303)
