"""Review actions. Approving creates the outbox rows in the same transaction, and every action
writes the audit log. The rules:

* no one approves a post for a case they submitted the post or a follow-up to, whatever their
  role now (four eyes);
* a ``blocked`` post (the model judged it conflict-prone) is approved only with a written
  override;
* a post whose case was screened ``manual`` (no usable model) is approved only with a note that
  a person screened it;
* a ``rahasia`` case can never be approved;
* a post whose caption still holds personal data (a finding no reviewer marked a false
  positive) is never approved.

* a reporter's own photo is never published by default; a reviewer may add one to a post awaiting
  review with a written reason (``include_reporter_photo``);
* a photo whose faces were blurred is published unblurred only when a reviewer says why
  (``publish_unblurred``); the unblurred copy comes from the private store.
* a video in which faces were seen is held out of drafting; a reviewer releases it into a post
  with a written reason (``release_held_video``), and it goes out with its faces blurred.

* an edit sends the post back to review (a blocked post stays blocked: editing the caption does
  not change what the case is about), and cancels its outbox row if nothing was sent yet.

The submitter of a post is the PIC whose follow-up it was drafted from (``Post.submitted_by_id``
when set, else the latest follow-up's ``pic_user_id``).
"""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from typing import Any

from PIL import Image
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from publisher.core.clock import utcnow
from publisher.core.crypto import Vault
from publisher.core.errors import ReviewError
from publisher.db import audit
from publisher.db.models import (
    Delivery,
    FollowUp,
    Media,
    Post,
    ReviewExample,
    Screening,
    User,
)
from publisher.intake.sources.whatsapp import notify_pic
from publisher.media import MediaStore, render_for_platform
from publisher.media.video import blur_video_faces
from publisher.outbox import sending
from publisher.outbox.deliveries import QUEUE as DELIVERIES
from publisher.platforms.base import case_marker, marker_index
from publisher.platforms.registry import get_spec
from publisher.posts.captions import HASHTAG
from publisher.posts.fitting import fit, going_out
from publisher.posts.validate import Problem, assert_publishable, validate
from publisher.privacy.guard import (
    case_identities,
    describe,
    finding_key,
    placeholders_in,
    scrub,
    unresolved_findings,
)

REVIEWABLE = ("pending_review", "blocked")
# Shown when approval is refused, and on the review page while findings remain.
PERSONAL_DATA_MESSAGE = (
    "Keterangan masih memuat data pribadi. Samarkan temuan yang disorot, atau tandai "
    "sebagai bukan data pribadi dengan alasan."
)
# Shown when approval is refused, and on the review page, while a "[... disamarkan]" remains.
PLACEHOLDER_MESSAGE = (
    "Keterangan masih memuat penanda data yang disamarkan (misalnya [nama disamarkan]). "
    "Tulis ulang kalimat itu tanpa data pribadi sebelum menyetujui."
)
MIN_REASON = 5
# Issue 20: the PIC sent new material; the render job re-drafts the post before anyone approves.
REDRAFT_MESSAGE = (
    "PIC mengirim material baru untuk kasus ini; draf sedang diperbarui. Muat ulang halaman "
    "sebentar lagi."
)
EDITABLE = ("pending_review", "blocked", "approved")
ALREADY_SENT_MESSAGE = (
    "Kiriman sudah atau sedang dikirim ke platform; tidak dapat diubah. Untuk meralat, tarik "
    "kiriman ini lalu terbitkan kiriman baru."
)


def caption_limit(platform: str) -> int:
    """Characters a caption may have on ``platform`` (X counts weighted characters; this is
    the plain upper bound, pre-flight validation applies the weighting)."""
    return get_spec(platform).caption.max_length


def submitter_id(session: Session, post: Post) -> int | None:
    if post.submitted_by_id is not None:
        return post.submitted_by_id
    return session.scalar(
        select(FollowUp.pic_user_id)
        .where(FollowUp.case_id == post.case_id)
        .order_by(FollowUp.id.desc())
        .limit(1)
    )


def took_part(session: Session, post: Post, user: User) -> bool:
    """Four eyes: whoever submitted the post or any follow-up to its case never approves it,
    whatever their role is now (a PIC promoted to reviewer included)."""
    if post.submitted_by_id == user.id:
        return True
    return (
        session.scalar(
            select(FollowUp.id)
            .where(FollowUp.case_id == post.case_id, FollowUp.pic_user_id == user.id)
            .limit(1)
        )
        is not None
    )


def _note(text: str, post: Post, vault: Vault | None = None) -> str:
    """A reviewer's free text as it may be stored: ``review_note`` and the append-only audit log
    can never be erased, so a reason that names the reporter is scrubbed first (by the case's
    known identities when the vault is at hand, by shape always)."""
    known = case_identities(post.case, vault) if vault is not None else None
    return scrub(text.strip(), known)


def _load(session: Session, post_id: int) -> Post:
    post = session.get(Post, post_id)
    if post is None:
        raise ReviewError(f"post {post_id} does not exist", "Kiriman tidak ditemukan.")
    return post


def _reviewer(user: User) -> None:
    if user.role not in ("reviewer", "admin") or not user.active:
        raise ReviewError(
            f"user {user.username} may not review", "Anda tidak berhak meninjau kiriman."
        )


def approve(
    session: Session,
    post_id: int,
    reviewer: User,
    *,
    override_reason: str = "",
    manual_screening_note: str = "",
    scheduled_for: datetime | None = None,
    vault: Vault | None = None,
) -> Post:
    """Approve ``post_id``. Pass ``vault`` so the personal-data check also knows the names on
    the case; without it only shapes (phones, NIK, honorific names, ...) are checked."""
    _reviewer(reviewer)
    post = _load(session, post_id)
    _awaiting(post)
    if post.redraft_requested_at is not None:
        raise ReviewError(
            f"post {post_id} waits for a re-draft with new material from the PIC",
            REDRAFT_MESSAGE,
        )
    if post.case.privacy_mode == "rahasia":
        raise ReviewError(
            f"post {post_id} belongs to a rahasia case", "Laporan rahasia tidak boleh terbit."
        )
    assert_publishable(post, post.account.platform)  # pre-flight: every platform rule holds
    assert_no_personal_data(post, vault)
    if placeholders_in(post.caption):
        raise ReviewError(
            f"post {post_id}: the caption still holds placeholders of scrubbed personal data",
            PLACEHOLDER_MESSAGE,
        )
    screening = session.get(Screening, post.screening_id) if post.screening_id else None
    if post.review_state == "blocked" and len(override_reason.strip()) < 10:
        raise ReviewError(
            f"post {post_id} is blocked: an override needs a written reason",
            "Kiriman diblokir penyaring; tuliskan alasan melepas blokir (min. 10 karakter).",
            field="override_reason",
        )
    if took_part(session, post, reviewer):
        raise ReviewError(
            f"post {post_id}: the submitter of it or of a follow-up to its case cannot "
            f"approve it (user {reviewer.username})",
            "Kiriman ini harus disetujui reviewer lain: Anda ikut mengirim tindak lanjut "
            "laporannya.",
        )
    if (screening is None or screening.decision == "manual") and len(
        manual_screening_note.strip()
    ) < 10:
        raise ReviewError(
            f"post {post_id} was not screened by the model: a manual screening note is needed",
            "Kasus ini belum disaring model; tuliskan catatan penyaringan manual.",
            field="manual_screening_note",
        )
    if post.review_state == "blocked":
        # A block released by a second reviewer says the model was wrong: a general example.
        record_example(session, post.case_id, "general", "block_release", reviewer)
    now = utcnow()
    # Conditional on the state the checks above read: of two reviewers deciding at once (one
    # on the case page, one in a bulk approval) exactly one wins; the other is told.
    decided = session.execute(
        update(Post)
        .where(Post.id == post.id, Post.review_state == post.review_state)
        .values(
            review_state="approved",
            changes="",  # the reviewer has seen what changed
            reviewer_id=reviewer.id,
            reviewed_at=now,
            scheduled_for=scheduled_for,
            review_note=_note(override_reason or manual_screening_note, post, vault),
        )
        .execution_options(synchronize_session=False)
    )
    if sending.rowcount(decided) != 1:
        raise ReviewError(
            f"post {post_id} was decided by someone else meanwhile",
            "Kiriman ini baru saja diputuskan reviewer lain; muat ulang halaman.",
        )
    session.expire(post)
    exists = session.scalar(
        select(Delivery).where(Delivery.post_id == post.id, Delivery.account_id == post.account_id)
    )
    if exists is not None:
        # Approved, edited (which cancelled the unsent row), approved again: send it after all,
        # but only a row that is still cancelled (never one a worker has sent meanwhile).
        again: dict[str, Any] = {}
        if exists.published_at is not None or exists.remote_id or exists.remote_url:
            # It was live once (taken down by hand): the next post of this case on this
            # account is a second one, so the report number gets its suffix; else the
            # reconciler would find the first.
            tracking = post.case.tracking_number
            again["marker"] = case_marker(tracking, marker_index(exists.marker, tracking) + 1)
        revived = sending.move(
            session,
            DELIVERIES,
            [exists.id],
            ("cancelled",),
            state="pending",
            next_attempt_at=scheduled_for or now,
            **again,
        )
        if not revived:
            raise ReviewError(
                f"post {post_id}: its delivery {exists.id} is not cancelled, not sent again",
                ALREADY_SENT_MESSAGE,
            )
        session.expire(exists)
    else:
        session.add(
            Delivery(
                post_id=post.id,
                account_id=post.account_id,
                state="pending",
                next_attempt_at=scheduled_for or now,
                marker=_first_marker(session, post),
            )
        )
    audit.record(
        session,
        actor=f"user:{reviewer.username}",
        action="post.approved",
        object_type="post",
        object_id=post.id,
        override=bool(override_reason),
        override_reason=_note(override_reason, post, vault),
        manual_screening=bool(manual_screening_note),
    )
    session.flush()
    return post


def _first_marker(session: Session, post: Post) -> str:
    """The marker of a new delivery: the case's report number as its caption shows it, with a
    suffix when the case already went to this account in another post (docs/publishing.md)."""
    earlier = session.scalar(
        select(func.count())
        .select_from(Delivery)
        .join(Post, Post.id == Delivery.post_id)
        .where(Post.case_id == post.case_id, Delivery.account_id == post.account_id)
    )
    return case_marker(post.case.tracking_number, (earlier or 0) + 1)


def assert_no_personal_data(post: Post, vault: Vault | None) -> None:
    known = case_identities(post.case, vault) if vault is not None else None
    found = unresolved_findings(post.caption, known, post.pii_allowed)
    if found:
        raise ReviewError(
            f"post {post.id} still contains personal data: {describe(found)}",
            PERSONAL_DATA_MESSAGE,
        )


def allow_finding(
    session: Session,
    post_id: int,
    reviewer: User,
    *,
    start: int,
    end: int,
    kind: str,
    reason: str,
) -> Post:
    """Mark ``caption[start:end]`` as not personal data (a false positive), with a reason."""
    _reviewer(reviewer)
    post = _load(session, post_id)
    if len(reason.strip()) < 5:
        raise ReviewError(
            "marking a false positive needs a reason", "Tuliskan alasannya.", field="reason"
        )
    if not 0 <= start < end <= len(post.caption):
        raise ReviewError("finding offsets are outside the caption", "Temuan tidak valid.")
    key = finding_key(kind, post.caption[start:end])
    post.pii_allowed = [*post.pii_allowed, {"key": key, "kind": kind, "by": reviewer.id}]
    audit.record(
        session,
        actor=f"user:{reviewer.username}",
        action="post.finding_allowed",
        object_type="post",
        object_id=post.id,
        kind=kind,
        reason=_note(reason, post),
    )
    return post


def reject(
    session: Session,
    post_id: int,
    reviewer: User,
    *,
    reason: str,
    as_conflict: bool = False,
    vault: Vault | None = None,
) -> Post:
    """Reject with a reason the PIC reads. ``as_conflict`` records the case as a conflict-prone
    training example for the classifier."""
    _reviewer(reviewer)
    post = _load(session, post_id)
    _awaiting(post)
    if len(reason.strip()) < 5:
        raise ReviewError(
            "a rejection needs a reason", "Tuliskan alasan penolakan.", field="reason"
        )
    post.review_state = "rejected"
    post.changes = ""
    post.reviewer_id = reviewer.id
    post.reviewed_at = utcnow()
    post.review_note = _note(reason, post, vault)
    if as_conflict:
        record_example(session, post.case_id, "conflict", "reject_conflict", reviewer)
    _tell_pic_rejected(session, post)
    audit.record(
        session,
        actor=f"user:{reviewer.username}",
        action="post.rejected",
        object_type="post",
        object_id=post.id,
        reason=post.review_note,
        as_conflict=as_conflict,
    )
    return post


def _tell_pic_rejected(session: Session, post: Post) -> None:
    """The PIC learns of the rejection and its reason by WhatsApp too (issue 20), once per
    follow-up however many of the case's posts are rejected; the web pages show it anyway."""
    follow_up = post.case.current_follow_up
    if follow_up is None:
        return
    notify_pic(
        session,
        follow_up.pic_user_id,
        post.case,
        "rejected",
        str(follow_up.id),
        why=post.review_note,
    )


def record_example(session: Session, case_id: int, label: str, origin: str, reviewer: User) -> None:
    """Store a reviewer's decision as a labelled example for retraining (once per case and
    kind of decision)."""
    exists = session.scalar(
        select(ReviewExample.id).where(
            ReviewExample.case_id == case_id, ReviewExample.origin == origin
        )
    )
    if exists is None:
        session.add(
            ReviewExample(case_id=case_id, label=label, origin=origin, reviewer_id=reviewer.id)
        )


def edit(session: Session, post_id: int, editor: User, *, caption: str) -> Post:
    """Change a caption. The post goes back to review; an unsent outbox row is cancelled."""
    _reviewer(editor)
    post = _load(session, post_id)
    if post.review_state not in EDITABLE:
        raise ReviewError(
            f"post {post_id} is {post.review_state} and cannot be edited",
            "Kiriman ini tidak dapat diubah lagi.",
        )
    caption = caption.strip()
    limit = caption_limit(post.account.platform)
    if len(caption) > limit:
        raise ReviewError(
            f"caption of post {post_id} is {len(caption)} characters, over {limit}",
            f"Keterangan terlalu panjang untuk {post.account.platform} (maks. {limit} karakter).",
            field="caption",
        )
    if HASHTAG not in caption:
        raise ReviewError(
            f"caption of post {post_id} lost the hashtag",
            f"Keterangan wajib memuat {HASHTAG}.",
            field="caption",
        )
    live = list(
        session.scalars(
            select(Delivery.id).where(Delivery.post_id == post.id, Delivery.state != "cancelled")
        )
    )
    # One conditional update: a worker's claim (or a finished publish) since the rows were
    # read leaves its row untouched, the count falls short and nothing of the edit is kept.
    with session.begin_nested() as savepoint:
        cancelled = sending.move(session, DELIVERIES, live, ("pending",), state="cancelled")
        if cancelled != len(live):
            savepoint.rollback()
            raise ReviewError(
                f"post {post_id} was already sent (or is being sent)",
                ALREADY_SENT_MESSAGE,
            )
    previous = post.review_state
    post.caption = caption
    post.review_state = "blocked" if previous == "blocked" else "pending_review"
    post.reviewer_id, post.reviewed_at, post.scheduled_for = None, None, None
    audit.record(
        session,
        actor=f"user:{editor.username}",
        action="post.edited",
        object_type="post",
        object_id=post.id,
        previous_state=previous,
        cancelled_deliveries=cancelled,
    )
    session.flush()
    return post


MEDIA_CHANGES = ("up", "down", "remove")


def arrange_media(
    session: Session, post_id: int, editor: User, *, change: str, index: int, version: int
) -> tuple[Post, list[Problem]]:
    """Move one media item of a post up or down, or remove it; returns the post and its
    pre-flight problems, run again on the new media.

    The platform's rules choose again what goes out (:func:`publisher.posts.fitting.fit`: a
    video moved first on Facebook goes out instead of the photos). One conditional UPDATE on
    the version the reviewer saw (``media_version``) while the post awaits review: a change
    made meanwhile in another tab, or an approval, leaves the row untouched and is refused."""
    _reviewer(editor)
    post = _load(session, post_id)
    if post.review_state not in REVIEWABLE:
        raise ReviewError(
            f"post {post_id} is {post.review_state}: its media cannot change",
            "Media hanya dapat diubah selama kiriman menunggu tinjauan.",
        )
    media = [m for m in post.media if isinstance(m, dict)]
    if change not in MEDIA_CHANGES or not 0 <= index < len(media):
        raise ReviewError(
            f"post {post_id}: no media change {change!r} at {index}",
            "Media tidak ditemukan; muat ulang halaman.",
        )
    order = list(range(len(media)))
    if change == "remove":
        order.pop(index)
    else:
        other = index - 1 if change == "up" else index + 1
        if 0 <= other < len(order):
            order[index], order[other] = order[other], order[index]
    arranged = fit([media[i] for i in order], get_spec(post.account.platform).media)
    moved = session.execute(
        update(Post)
        .where(
            Post.id == post.id,
            Post.media_version == version,
            Post.review_state.in_(REVIEWABLE),
        )
        .values(media=arranged, media_version=Post.media_version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if sending.rowcount(moved) != 1:
        raise ReviewError(
            f"post {post_id}: media changed meanwhile (version {version} is stale)",
            "Media kiriman ini baru saja diubah atau disetujui orang lain; muat ulang halaman.",
        )
    session.refresh(post)
    audit.record(
        session,
        actor=f"user:{editor.username}",
        action="post.media_arranged",
        object_type="post",
        object_id=post.id,
        change=change,
        index=index,
        items=len(arranged),
        left_out=len(arranged) - len(going_out(arranged)),
        version=post.media_version,
    )
    return post, validate(post, post.account.platform)


def queue(session: Session, states: tuple[str, ...] = REVIEWABLE, limit: int = 200) -> list[Post]:
    """Highest risk first, then oldest."""
    return list(
        session.scalars(
            select(Post)
            .where(Post.review_state.in_(states))
            .order_by(Post.risk_score.desc(), Post.created_at, Post.id)
            .limit(limit)
        )
    )


def _awaiting(post: Post) -> None:
    if post.review_state not in REVIEWABLE:
        raise ReviewError(
            f"post {post.id} is {post.review_state}, not awaiting review",
            "Kiriman ini tidak sedang menunggu tinjauan.",
        )


def _reason(reason: str, what: str) -> None:
    if len(reason.strip()) < MIN_REASON:
        raise ReviewError(
            f"{what} needs a written reason",
            f"Tuliskan alasannya (min. {MIN_REASON} karakter).",
            field="reason",
        )


def _case_photo(session: Session, post: Post, media_id: int) -> Media:
    """An accepted photo of the post's own case (a form cannot reach another case's media)."""
    media = session.get(Media, media_id)
    follow_up = session.get(FollowUp, media.follow_up_id) if media is not None else None
    if (
        media is None
        or follow_up is None
        or follow_up.case_id != post.case_id
        or media.kind != "photo"
        or media.state != "ok"
        or not media.sha256
    ):
        raise ReviewError(
            f"media {media_id} is not an accepted photo of post {post.id}'s case",
            "Foto tidak ditemukan pada laporan ini.",
        )
    return media


def _rendition(
    store: MediaStore, data: bytes, platform: str, media: Media, **extra: Any
) -> dict[str, Any]:
    fitted = render_for_platform(data, get_spec(platform).media)
    with Image.open(io.BytesIO(fitted)) as image:
        width, height = image.size
    return {
        "sha256": store.put(fitted, ".jpg"),
        "kind": "photo",
        "mime": "image/jpeg",
        "phase": media.phase or "",
        "suffix": ".jpg",
        "size_bytes": len(fitted),
        "width": width,
        "height": height,
        # Which upload this rendition was made from, so a later action can find it again.
        "source_media_id": media.id,
        **extra,
    }


def include_reporter_photo(
    session: Session,
    store: MediaStore,
    post_id: int,
    media_id: int,
    reviewer: User,
    reason: str,
) -> Post:
    """Add the reporter's own photo ``media_id`` to a post awaiting review, fitted to the post's
    platform and written to the public ``store``. Drafting never uses reporter photos; a
    reviewer decides it, with a reason that goes to the audit log."""
    _reviewer(reviewer)
    post = _load(session, post_id)
    _awaiting(post)
    _reason(reason, "including a reporter's photo")
    media = _case_photo(session, post, media_id)
    if media.supplied_by != "reporter":
        raise ReviewError(
            f"media {media_id} was not supplied by the reporter",
            "Foto ini bukan foto pelapor.",
        )
    if any(entry.get("source_media_id") == media.id for entry in post.media):
        raise ReviewError(
            f"media {media_id} is already in post {post_id}", "Foto ini sudah ada di kiriman."
        )
    entry = _rendition(
        store,
        store.read(media.sha256, ".jpg"),
        post.account.platform,
        media,
        supplied_by="reporter",
    )
    post.media = [*post.media, entry]
    audit.record(
        session,
        actor=f"user:{reviewer.username}",
        action="post.reporter_photo_included",
        object_type="post",
        object_id=post.id,
        media_id=media.id,
        reason=_note(reason, post),
    )
    session.flush()
    return post


def _rendition_index(store: MediaStore, post: Post, media: Media) -> int | None:
    """Where ``media``'s photo sits in ``post.media``: by the source recorded on the entry, else
    as the unrendered original, else as drafting's rendition of it (rendering is deterministic,
    so the same photo gives the same content address)."""
    for index, entry in enumerate(post.media):
        if entry.get("source_media_id") == media.id or entry.get("sha256") == media.sha256:
            return index
    if not store.exists(media.sha256, ".jpg"):
        return None
    limits = get_spec(post.account.platform).media
    drafted = render_for_platform(store.read(media.sha256, ".jpg"), limits)
    digest = hashlib.sha256(drafted).hexdigest()
    for index, entry in enumerate(post.media):
        if entry.get("sha256") == digest:
            return index
    return None


def publish_unblurred(
    session: Session,
    private_store: MediaStore,
    media_store: MediaStore,
    post_id: int,
    media_id: int,
    reviewer: User,
    reason: str,
) -> Post:
    """Replace the blurred rendition of photo ``media_id`` in a post awaiting review with one
    made from the unblurred copy in the private store. Only a reviewer, only with a reason."""
    _reviewer(reviewer)
    post = _load(session, post_id)
    _awaiting(post)
    _reason(reason, "publishing a photo unblurred")
    media = _case_photo(session, post, media_id)
    if not media.face_boxes or not media.unblurred_sha256:
        raise ReviewError(
            f"media {media_id} has no blurred faces", "Foto ini tidak memuat wajah yang disamarkan."
        )
    if not private_store.exists(media.unblurred_sha256, ".jpg"):
        raise ReviewError(
            f"the unblurred copy of media {media_id} is missing from the private store",
            "Salinan foto tanpa samaran tidak tersedia.",
        )
    index = _rendition_index(media_store, post, media)
    if index is None:
        raise ReviewError(
            f"media {media_id} is not among post {post_id}'s photos",
            "Foto ini tidak ada di kiriman; sertakan dulu fotonya.",
        )
    if post.media[index].get("unblurred"):
        raise ReviewError(
            f"media {media_id} is already unblurred in post {post_id}",
            "Wajah pada foto ini sudah ditampilkan.",
        )
    entry = _rendition(
        media_store,
        private_store.read(media.unblurred_sha256, ".jpg"),
        post.account.platform,
        media,
        unblurred=True,
    )
    if "supplied_by" in post.media[index]:
        entry["supplied_by"] = post.media[index]["supplied_by"]
    media_list = list(post.media)
    media_list[index] = entry
    post.media = media_list
    audit.record(
        session,
        actor=f"user:{reviewer.username}",
        action="post.photo_unblurred",
        object_type="post",
        object_id=post.id,
        media_id=media.id,
        faces=len(media.face_boxes),
        reason=_note(reason, post),
    )
    session.flush()
    return post


def release_held_video(
    session: Session,
    store: MediaStore,
    post_id: int,
    media_id: int,
    reviewer: User,
    reason: str,
) -> Post:
    """Add video ``media_id``, held because faces were seen in it, to a post awaiting review.

    It goes out blurred: a video sanitised since faces are blurred in videos is stored blurred
    already and is checked again (keyframes sampled for faces); one stored before that, or one
    in which the sampler still sees a face, is blurred now and the blurred copy replaces the
    stored one. Only a reviewer, only with a reason; audited. The release is a conditional
    update, so two reviewers releasing the same video at once add it once."""
    _reviewer(reviewer)
    post = _load(session, post_id)
    _awaiting(post)
    _reason(reason, "releasing a held video")
    media = session.get(Media, media_id)
    follow_up = session.get(FollowUp, media.follow_up_id) if media is not None else None
    if (
        media is None
        or follow_up is None
        or follow_up.case_id != post.case_id
        or media.kind != "video"
        or media.state != "ok"
        or media.supplied_by != "pic"
        or not media.sha256
        or not store.exists(media.sha256, ".mp4")
    ):
        raise ReviewError(
            f"media {media_id} is not an accepted PIC video of post {post.id}'s case",
            "Video tidak ditemukan pada laporan ini.",
        )
    if not media.held_for_review:
        raise ReviewError(
            f"media {media_id} is not held", "Video ini tidak sedang ditahan untuk ditinjau."
        )
    blurred, reblurred = blur_video_faces(store.read(media.sha256, ".mp4"))
    sha = store.put(blurred, ".mp4") if reblurred else media.sha256
    released = session.execute(
        update(Media)
        .where(Media.id == media.id, Media.held_for_review.is_(True))
        .values(held_for_review=False, sha256=sha, size_bytes=len(blurred))
        .execution_options(synchronize_session="fetch")
    )
    if released.rowcount != 1:  # type: ignore[attr-defined]
        raise ReviewError(
            f"media {media_id} was released meanwhile",
            "Video ini sudah dilepas oleh peninjau lain.",
        )
    post.media = [
        *post.media,
        {
            "sha256": sha,
            "kind": "video",
            "mime": "video/mp4",
            "phase": media.phase or "",
            "suffix": ".mp4",
            "size_bytes": len(blurred),
            "width": media.width,
            "height": media.height,
            "duration_s": media.duration_s,
            "source_media_id": media.id,
            "faces_blurred": True,
        },
    ]
    audit.record(
        session,
        actor=f"user:{reviewer.username}",
        action="post.video_released",
        object_type="post",
        object_id=post.id,
        media_id=media.id,
        blurred_now=reblurred,
        reason=_note(reason, post),
    )
    session.flush()
    return post
