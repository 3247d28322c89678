"""The delivery view: each account's state, the link to the live post, errors with what to do
about them, and the actions: retry a failed delivery, settle an ``unknown`` one after checking
the platform, cancel one not sent yet, and take down a published one.

Take-down: the platform adapters have no delete call yet, so a take-down of a published post is
recorded (audit ``delivery.takedown_requested``) and the page tells the person to remove it on
the platform through the link; the delivery is marked ``cancelled`` with that note.
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from publisher.core.clock import utcnow
from publisher.core.errors import LaporError
from publisher.db import audit
from publisher.db.models import DELIVERY_STATES, Case, Delivery, SocialAccount
from publisher.outbox import deliveries as outbox
from publisher.outbox import sending
from publisher.platforms.registry import get_spec
from publisher.runtime.context import AppContext
from publisher.web.auth import BadInput, Conflict, Viewer
from publisher.web.deps import Ctx, Pages, ReviewerOrAdmin, ReviewerOrAdminWrite
from publisher.web.forms import NO_FORM, FormState, is_refusal, refusal
from publisher.web.scope import get_scoped, scoped_deliveries
from publisher.web.templating import PageRenderer

# What a person should do about each error class (``Delivery.last_error_class``).
ADVICE = {
    "retry": "Gangguan sementara di platform; sistem mencoba lagi otomatis.",
    "rate_limited": "Batas kiriman platform tercapai; dijadwalkan ulang otomatis.",
    "needs_reconnect": "Token akun kedaluwarsa. Admin perlu menyambungkan ulang akun, lalu ulangi.",
    "invalid": "Platform menolak isi atau media. Ubah kiriman lalu ulangi.",
    "unknown": (
        "Belum pasti terbit. Periksa akun lewat platform, lalu tandai terbit atau kirim ulang."
    ),
}
RETRYABLE_STATES = ("failed",)
CANCELLABLE_STATES = ("pending", "failed")


def retry(session: Session, viewer: Viewer, delivery_id: int) -> Delivery:
    delivery = get_scoped(session, scoped_deliveries(viewer), Delivery, delivery_id)
    if delivery.state not in RETRYABLE_STATES:
        raise Conflict(
            f"delivery {delivery_id} is {delivery.state}", "Hanya kiriman gagal yang dapat diulang."
        )
    # Conditional: a second click or another person's retry in between moves nothing twice.
    if not sending.move(
        session,
        outbox.QUEUE,
        [delivery.id],
        RETRYABLE_STATES,
        state="pending",
        next_attempt_at=utcnow(),
    ):
        raise Conflict(
            f"delivery {delivery_id} changed meanwhile", "Hanya kiriman gagal yang dapat diulang."
        )
    session.refresh(delivery)
    audit.record(
        session,
        actor=viewer.actor,
        action="delivery.retried",
        object_type="delivery",
        object_id=delivery.id,
    )
    return delivery


def takedown(session: Session, viewer: Viewer, delivery_id: int, reason: str) -> Delivery:
    delivery = get_scoped(session, scoped_deliveries(viewer), Delivery, delivery_id)
    if len(reason.strip()) < 5:
        raise BadInput("a take-down needs a reason", "Tuliskan alasan penurunan kiriman.")
    if delivery.state in ("sending", "unknown"):
        raise Conflict(
            f"delivery {delivery_id} is {delivery.state}",
            "Kiriman sedang diproses; tunggu sampai statusnya pasti.",
        )
    if delivery.state == "cancelled":
        raise Conflict(f"delivery {delivery_id} is cancelled", "Kiriman sudah dibatalkan.")
    was_live = delivery.state == "published"
    note = (
        f"Diturunkan: {reason.strip()}. Hapus juga di platform lewat tautan."
        if was_live
        else f"Dibatalkan: {reason.strip()}"
    )
    # Conditional on the state just read: a worker's claim in between wins, nothing is hidden.
    if not sending.move(
        session, outbox.QUEUE, [delivery.id], (delivery.state,), state="cancelled", last_error=note
    ):
        raise Conflict(
            f"delivery {delivery_id} changed meanwhile",
            "Kiriman sedang diproses; tunggu sampai statusnya pasti.",
        )
    session.refresh(delivery)
    audit.record(
        session,
        actor=viewer.actor,
        action="delivery.takedown_requested" if was_live else "delivery.cancelled",
        object_type="delivery",
        object_id=delivery.id,
        reason=reason.strip(),
        remote_url=delivery.remote_url,
    )
    return delivery


def settle(session: Session, viewer: Viewer, delivery_id: int, published_url: str) -> Delivery:
    get_scoped(session, scoped_deliveries(viewer), Delivery, delivery_id)
    if published_url and not published_url.startswith("https://"):
        raise BadInput("published url must be https", "Tautan kiriman harus diawali https://.")
    try:
        return outbox.settle_manually(
            session, delivery_id, viewer.actor, published_url=published_url or None
        )
    except LaporError as exc:  # the outbox refuses: the delivery is not awaiting a decision
        raise Conflict(str(exc), "Kiriman ini tidak sedang menunggu keputusan.") from None


def listing(
    session: Session, viewer: Viewer, state: str = "", limit: int = 200
) -> list[tuple[Delivery, SocialAccount, Case]]:
    if state and state not in DELIVERY_STATES:
        raise BadInput(f"unknown delivery state {state!r}", "Filter status tidak dikenal.")
    query = (
        scoped_deliveries(viewer)
        .add_columns(SocialAccount, Case)
        .join(SocialAccount, SocialAccount.id == Delivery.account_id)
        .order_by(Delivery.id.desc())
        .limit(limit)
    )
    if state:
        query = query.where(Delivery.state == state)
    return [
        (cast(Delivery, d), cast(SocialAccount, a), cast(Case, c))
        for d, a, c in session.execute(query)
    ]


router = APIRouter(include_in_schema=False)


@router.get("/deliveries")
def page(
    ctx: Ctx, pages: Pages, request: Request, user: ReviewerOrAdmin, state: str = ""
) -> Response:
    return deliveries_page(ctx, pages, request, user, state)


def deliveries_page(
    ctx: AppContext,
    pages: PageRenderer,
    request: Request,
    user: Viewer,
    state: str = "",
    form: FormState = NO_FORM,
) -> Response:
    """The list; with ``form``, a refused takedown or settlement shown at its delivery."""
    with ctx.readonly_sessions() as session:
        rows = listing(session, user, state)
    return pages.render(
        request,
        "deliveries/list.html",
        form.status,
        rows=rows,
        state=state,
        states=DELIVERY_STATES,
        advice=ADVICE,
        account_label=lambda a: f"{get_spec(a.platform).label} · {a.display_name or a.handle}",
        flash=request.query_params.get("pesan", "") and "Perubahan disimpan.",
        form=form,
    )


def done() -> Response:
    return RedirectResponse("/deliveries?pesan=ok", status_code=303)


@router.post("/deliveries/{delivery_id}/retry")
def retry_view(ctx: Ctx, delivery_id: int, user: ReviewerOrAdminWrite) -> Response:
    with ctx.sessions() as session, session.begin():
        retry(session, user, delivery_id)
    return done()


@router.post("/deliveries/{delivery_id}/takedown")
def takedown_view(
    ctx: Ctx,
    pages: Pages,
    request: Request,
    delivery_id: int,
    user: ReviewerOrAdminWrite,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        return _takedown(ctx, delivery_id, user, reason)
    except LaporError as exc:
        if not is_refusal(exc):
            raise
        state = refusal(exc, f"takedown-{delivery_id}", {"reason": reason}, default_field="reason")
        return deliveries_page(ctx, pages, request, user, form=state)


def _takedown(ctx: AppContext, delivery_id: int, user: Viewer, reason: str) -> Response:
    with ctx.readonly_sessions() as session:
        live = get_scoped(session, scoped_deliveries(user), Delivery, delivery_id)
        remote_id = live.remote_id if live.state == "published" else None
    if remote_id is not None and len(reason.strip()) >= 5:
        # Ask the platform to delete it first; only if it cannot is a person sent to do it.
        line = outbox.takedown_delivery(ctx, delivery_id, remote_id, user.actor)
        if line.after == "taken_down":
            return done()
    with ctx.sessions() as session, session.begin():
        takedown(session, user, delivery_id, reason)
    return done()


@router.post("/deliveries/{delivery_id}/settle")
def settle_view(
    ctx: Ctx,
    pages: Pages,
    request: Request,
    delivery_id: int,
    user: ReviewerOrAdminWrite,
    published_url: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        with ctx.sessions() as session, session.begin():
            settle(session, user, delivery_id, published_url.strip())
    except LaporError as exc:
        if not is_refusal(exc):
            raise
        typed = {"published_url": published_url}
        state = refusal(exc, f"settle-{delivery_id}", typed, default_field="published_url")
        return deliveries_page(ctx, pages, request, user, form=state)
    return done()
