"""Validate raw case records and store them idempotently; quarantine what cannot be used.

Each record is handled in its own SAVEPOINT, so one bad record (or one that loses a race with
another collector) never undoes the rest of the batch. Upserts key on (source, external id);
a record whose normalised content has not changed is a no-op.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from publisher.crypto import Vault
from publisher.db.models import Agency, Case, FollowUp, Media, Quarantine
from publisher.errors import RecordInvalid
from publisher.reference import load_reference
from publisher.sources.base import CaseRecord

log = logging.getLogger(__name__)


@dataclass
class IntakeCounts:
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0

    def add(self, other: IntakeCounts) -> None:
        for name in ("fetched", "new", "updated", "unchanged", "quarantined"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def describe_validation_error(exc: ValidationError) -> str:
    """Field paths and messages only: pydantic's default text echoes the input values,
    which may be a reporter's phone number."""
    parts = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(p) for p in err["loc"]) or "record"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts[:5]) + (f" (+{len(parts) - 5} more)" if len(parts) > 5 else "")


def parse_record(raw: object) -> CaseRecord:
    if not isinstance(raw, dict):
        raise RecordInvalid(f"record is a {type(raw).__name__}, not an object")
    external_id = raw.get("id") if isinstance(raw.get("id"), str) else None
    try:
        record = CaseRecord.model_validate(raw)
    except ValidationError as exc:
        raise RecordInvalid(describe_validation_error(exc), external_id) from None
    places = load_reference().kecamatan_by_name()
    if record.kecamatan.casefold() not in places:
        raise RecordInvalid("kecamatan: not a kecamatan of Kabupaten Tegal", record.id)
    return record


def content_hash(raw: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()


def quarantine(
    session: Session, vault: Vault, source: str, raw: object, reason: str, external_id: str | None
) -> None:
    try:
        payload = vault.encrypt(json.dumps(raw, ensure_ascii=False, default=str))
    except (TypeError, ValueError):
        payload = vault.encrypt(repr(raw))
    session.add(
        Quarantine(source=source, external_id=external_id or "", reason=reason, payload=payload)
    )
    log.warning(
        "quarantined a record from %s (external id %s): %s", source, external_id or "?", reason
    )


def ingest(session: Session, vault: Vault, source: str, raws: list[Any]) -> IntakeCounts:
    """Store a batch. The caller commits; every record is its own savepoint."""
    counts = IntakeCounts(fetched=len(raws))
    agencies = {a.code: a for a in session.scalars(select(Agency))}
    places = load_reference().kecamatan_by_name()
    for raw in raws:
        try:
            record = parse_record(raw)
            agency = agencies.get(record.agency)
            if agency is None:
                raise RecordInvalid("agency: unknown agency code", record.id)
        except RecordInvalid as exc:
            quarantine(session, vault, source, raw, exc.reason, exc.external_id)
            counts.quarantined += 1
            continue
        digest = content_hash(raw)
        kecamatan = places[record.kecamatan.casefold()].name
        for attempt in range(2):
            try:
                with session.begin_nested():
                    outcome = _upsert(session, vault, source, record, agency, kecamatan, digest)
                break
            except IntegrityError:
                # Another collector inserted the same (source, id) first: now it is an update.
                if attempt == 1:
                    quarantine(
                        session, vault, source, raw, "conflicting duplicate record", record.id
                    )
                    outcome = "quarantined"
        setattr(counts, outcome, getattr(counts, outcome) + 1)
    return counts


def _upsert(
    session: Session,
    vault: Vault,
    source: str,
    record: CaseRecord,
    agency: Agency,
    kecamatan: str,
    digest: str,
) -> str:
    case = session.scalar(select(Case).where(Case.source == source, Case.external_id == record.id))
    if case is not None and case.content_hash == digest:
        return "unchanged"
    outcome = "updated" if case is not None else "new"
    if case is None:
        case = Case(source=source, external_id=record.id)
        session.add(case)
    times = {event.status: event.at for event in record.history}
    case.tracking_number = record.tracking_number
    case.agency_id = agency.id
    case.category = record.category
    case.kecamatan = kecamatan
    case.desa = record.desa
    case.complaint_text = record.complaint
    case.privacy_mode = record.privacy
    case.reporter = vault.encrypt_json(record.reporter.model_dump(exclude_none=True))
    case.status = record.status
    case.reported_at = times.get("received", case.reported_at)
    case.first_response_at = times.get("in_progress", case.first_response_at)
    case.resolved_at = times.get("resolved", times.get("closed", case.resolved_at))
    case.content_hash = digest
    session.flush()
    if record.follow_up is not None:
        _upsert_follow_up(session, case, record)
    return outcome


def _upsert_follow_up(session: Session, case: Case, record: CaseRecord) -> None:
    fu_in = record.follow_up
    assert fu_in is not None
    follow_up = session.scalar(
        select(FollowUp).where(FollowUp.case_id == case.id, FollowUp.external_id == fu_in.id)
    )
    if follow_up is None:
        follow_up = FollowUp(case_id=case.id, external_id=fu_in.id, channel="feed")
        session.add(follow_up)
    follow_up.action_text = fu_in.text
    follow_up.submitted_at = fu_in.submitted_at
    session.flush()
    known = {
        m.position: m
        for m in session.scalars(select(Media).where(Media.follow_up_id == follow_up.id))
    }
    for position, media_in in enumerate(fu_in.media):
        media = known.get(position)
        if media is not None and media.source_url == media_in.url:
            media.supplied_by, media.phase = media_in.taken_by, media_in.phase
            continue
        if media is None:
            media = Media(follow_up_id=follow_up.id, position=position)
            session.add(media)
        media.source_url = media_in.url
        media.supplied_by = media_in.taken_by
        media.phase = media_in.phase
        media.state, media.sha256, media.attempts = "pending", "", 0
