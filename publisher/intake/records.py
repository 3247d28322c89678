"""Validate raw case records and store them idempotently; quarantine what cannot be used.

New cases of a batch (ids the batch's one look-up did not find) are inserted together: one
``INSERT .. ON CONFLICT DO NOTHING`` for the cases, one for their follow-ups, one for the media
rows (issue 23). Every other record, and any the bulk insert skipped, is handled in its own
SAVEPOINT, so one bad record (or one that loses a race with another collector) never undoes
the rest of the batch. Upserts key on (source, external id);
a record whose normalised content has not changed is a no-op, and a record older than the one
stored (by the source's ``updated_at``: a replayed push, a slow collector) is ``stale`` and
changes nothing.

Every record is checked twice: by the pydantic model (typed access, readable reasons) and by the
published JSON Schema (docs/case-feed.schema.json), so nothing the schema refuses slips through
pydantic's coercions (e.g. a Unix timestamp where an ISO date is required).

For ``anonim`` and ``rahasia`` cases the reporter's known identities (name, phone, NIK, e-mail,
address) are removed from the complaint and follow-up texts before they are stored: those
modes promise that the reporter appears nowhere but in the encrypted ``cases.reporter``.

Errors: :class:`publisher.core.errors.RecordInvalid` (one record; quarantined, the batch goes on).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jsonschema_rs
from pydantic import ValidationError
from sqlalchemy import Table, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from publisher.core.crypto import Vault
from publisher.core.errors import RecordInvalid
from publisher.db.models import Agency, Base, Case, FollowUp, Media, Quarantine
from publisher.intake.sources.base import CaseRecord, case_record_schema
from publisher.posts.captions import scrub_known
from publisher.reference import load_reference

log = logging.getLogger(__name__)


OUTCOMES = ("new", "updated", "unchanged", "stale", "quarantined")
SCRUBBED_MODES = frozenset({"anonim", "rahasia"})
EMAIL_TAG = "[email disamarkan]"
ADDRESS_TAG = "[alamat disamarkan]"


@dataclass
class IntakeCounts:
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    quarantined: int = 0

    def add(self, other: IntakeCounts) -> None:
        for name in ("fetched", *OUTCOMES):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class RecordOutcome:
    """What happened to one record of a batch (the push endpoint and ``lapor import`` report
    these per record). ``reason`` is set for quarantined records and never holds values."""

    index: int
    external_id: str
    outcome: str
    reason: str = ""


@dataclass
class IntakeReport:
    counts: IntakeCounts = field(default_factory=IntakeCounts)
    records: list[RecordOutcome] = field(default_factory=list)


def describe_validation_error(exc: ValidationError) -> str:
    """Field paths and messages only: pydantic's default text echoes the input values,
    which may be a reporter's phone number."""
    parts = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(p) for p in err["loc"]) or "record"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts[:5]) + (f" (+{len(parts) - 5} more)" if len(parts) > 5 else "")


@cache
def _schema_validator() -> Any:
    return jsonschema_rs.validator_for(case_record_schema(), validate_formats=True)


def schema_errors(raw: object) -> list[str]:
    """The JSON Schema's objections to ``raw``: paths and rule names, never the values."""
    validator = _schema_validator()
    if validator.is_valid(raw):
        return []
    found = []
    for error in validator.iter_errors(raw):
        path = ".".join(str(p) for p in error.instance_path) or "record"
        rule = error.schema_path[-1] if error.schema_path else "schema"
        found.append(f"{path}: violates '{rule}' of the case-feed schema")
    return sorted(found)


# Characters no text column can hold faithfully: PostgreSQL refuses NUL in text outright (a
# 500 whose traceback carried the record), other C0/C1 controls and lone surrogates are
# invisible or unencodable, and U+FFFE/U+FFFF are non-characters. Tab and line breaks are text.
_INVALID_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def invalid_text_paths(raw: object, path: str = "") -> list[str]:
    """Paths of the strings in ``raw`` (keys included) that hold an invalid character; never
    the strings themselves, which may be a reporter's name or phone."""
    here = path or "record"
    if isinstance(raw, str):
        return [here] if _INVALID_CHARACTERS.search(raw) else []
    found: list[str] = []
    if isinstance(raw, dict):
        for key, value in raw.items():
            name = str(key)
            if _INVALID_CHARACTERS.search(name):
                found.append(f"{here}: a field name")
                continue
            found.extend(invalid_text_paths(value, f"{path}.{name}" if path else name))
    elif isinstance(raw, list):
        for index, value in enumerate(raw):
            found.extend(invalid_text_paths(value, f"{here}.{index}"))
    return found


def parse_record(raw: object) -> CaseRecord:
    if not isinstance(raw, dict):
        raise RecordInvalid(f"record is a {type(raw).__name__}, not an object")
    external_id = raw.get("id") if isinstance(raw.get("id"), str) else None
    if external_id is not None and _INVALID_CHARACTERS.search(external_id):
        external_id = None
    bad = invalid_text_paths(raw)
    if bad:
        raise RecordInvalid(
            "; ".join(f"{p}: holds a NUL or another control character" for p in bad[:5]),
            external_id,
        )
    try:
        record = CaseRecord.model_validate(raw)
    except ValidationError as exc:
        raise RecordInvalid(describe_validation_error(exc), external_id) from None
    problems = schema_errors(raw)
    if problems:
        raise RecordInvalid("; ".join(problems[:5]), external_id)
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


def ingest(
    session: Session,
    vault: Vault,
    source: str,
    raws: list[Any],
    *,
    report: list[RecordOutcome] | None = None,
) -> IntakeCounts:
    """Store a batch. The caller commits; every record is its own savepoint.

    Pass ``report`` (a list) to receive one :class:`RecordOutcome` per record, in order."""
    counts = IntakeCounts(fetched=len(raws))
    agencies = {a.code: a for a in session.scalars(select(Agency))}
    places = load_reference().kecamatan_by_name()
    # One query for the batch's known cases: unchanged re-feeds stop here, without a savepoint.
    ids = [
        r["id"]
        for r in raws
        if isinstance(r, dict)
        and isinstance(r.get("id"), str)
        and not _INVALID_CHARACTERS.search(r["id"])
    ]
    query = select(Case.external_id, Case.content_hash).where(
        Case.source == source, Case.external_id.in_(ids)
    )
    known: dict[str, str] = {ext: digest for ext, digest in session.execute(query)}
    outcomes: list[tuple[str, str, str]] = [("", "", "")] * len(raws)  # (id, outcome, reason)
    valid: list[tuple[int, object, CaseRecord, tuple[Agency, str, str]]] = []
    for index, raw in enumerate(raws):
        digest = content_hash(raw)
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(raw_id, str) and known.get(raw_id) == digest:
            outcomes[index] = (raw_id, "unchanged", "")
            continue
        try:
            record = parse_record(raw)
            agency = agencies.get(record.agency)
            if agency is None:
                raise RecordInvalid("agency: unknown agency code", record.id)
        except RecordInvalid as exc:
            quarantine(session, vault, source, raw, exc.reason, exc.external_id)
            outcomes[index] = (exc.external_id or "", "quarantined", exc.reason)
            continue
        valid.append(
            (index, raw, record, (agency, places[record.kecamatan.casefold()].name, digest))
        )

    # Cases the batch query did not find go in with one multi-row INSERT per table (issue 23:
    # one flush per batch instead of three per record). Whatever it could not insert (an id
    # another collector stored meanwhile, a tracking number another case owns, an id twice
    # in the batch) takes the per-record path below, which says why.
    seen: set[str] = set()
    fresh = []
    for item in valid:
        if item[2].id not in known and item[2].id not in seen:
            seen.add(item[2].id)
            fresh.append(item)
    inserted = _insert_new(session, vault, source, [(r, res) for _i, _raw, r, res in fresh])
    for index, _raw, record, _res in fresh:
        if record.id in inserted:
            outcomes[index] = (record.id, "new", "")

    for index, raw, record, resolved in valid:
        if outcomes[index][1]:
            continue
        reason = ""
        outcome = "quarantined"
        for attempt in range(2):
            try:
                with session.begin_nested():
                    outcome = _upsert(
                        session,
                        vault,
                        source,
                        record,
                        resolved,
                        assume_new=attempt == 0 and record.id not in known,
                    )
                break
            except IntegrityError as exc:
                # Another collector inserted the same (source, id) first: now it is an update.
                # A second failure is a real conflict, e.g. a tracking number another case owns.
                if attempt == 1:
                    reason = _integrity_reason(exc)
                    quarantine(session, vault, source, raw, reason, record.id)
        outcomes[index] = (record.id, outcome, reason)

    for index, (external_id, outcome, reason) in enumerate(outcomes):
        setattr(counts, outcome, getattr(counts, outcome) + 1)
        if report is not None:
            report.append(RecordOutcome(index, external_id, outcome, reason))
    return counts


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _insert_new(
    session: Session,
    vault: Vault,
    source: str,
    fresh: list[tuple[CaseRecord, tuple[Agency, str, str]]],
) -> set[str]:
    """Insert new cases, their follow-ups and media rows in bulk (``INSERT .. ON CONFLICT DO
    NOTHING`` on SQLite and PostgreSQL); returns the external ids actually inserted."""
    if not fresh:
        return set()
    rows = []
    for record, (agency, kecamatan, digest) in fresh:
        times = {event.status: event.at for event in record.history}
        reporter = record.reporter.model_dump(exclude_none=True)
        scrub = record.privacy in SCRUBBED_MODES
        rows.append(
            {
                "source": source,
                "external_id": record.id,
                "tracking_number": record.tracking_number,
                "agency_id": agency.id,
                "category": record.category,
                "kecamatan": kecamatan,
                "desa": record.desa,
                "complaint_text": (
                    scrub_reporter(record.complaint, reporter) if scrub else record.complaint
                ),
                "privacy_mode": record.privacy,
                "reporter": vault.encrypt_json(reporter),
                "source_updated_at": record.updated_at,
                "status": record.status,
                "reported_at": times.get("received"),
                "first_response_at": times.get("in_progress"),
                "resolved_at": times.get("resolved", times.get("closed")),
                "content_hash": digest,
            }
        )
    upsert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    conn = session.connection()
    cases, fu_table, media_table = _table(Case), _table(FollowUp), _table(Media)
    with session.begin_nested():
        stored = conn.execute(
            upsert(cases).on_conflict_do_nothing().returning(cases.c.id, cases.c.external_id),
            rows,
        ).all()
        case_ids: dict[str, int] = {row[1]: row[0] for row in stored}
        follow_ups: list[dict[str, Any]] = []
        for record, _res in fresh:
            fu_in = record.follow_up
            if fu_in is None or record.id not in case_ids:
                continue
            scrub_for = (
                record.reporter.model_dump(exclude_none=True)
                if record.privacy in SCRUBBED_MODES
                else None
            )
            follow_ups.append(
                {
                    "case_id": case_ids[record.id],
                    "external_id": fu_in.id,
                    "channel": "feed",
                    "action_text": scrub_reporter(fu_in.text, scrub_for)
                    if scrub_for
                    else fu_in.text,
                    "submitted_at": fu_in.submitted_at,
                }
            )
        if follow_ups:
            returned = conn.execute(
                insert(fu_table).returning(fu_table.c.id, fu_table.c.case_id), follow_ups
            ).all()
            fu_ids: dict[int, int] = {row[1]: row[0] for row in returned}
            media = [
                {
                    "follow_up_id": fu_ids[case_ids[record.id]],
                    "position": position,
                    "source_url": media_in.url,
                    "supplied_by": media_in.taken_by,
                    "phase": media_in.phase,
                    "state": "pending",
                    "sha256": "",
                    "attempts": 0,
                }
                for record, _res in fresh
                if record.follow_up is not None and record.id in case_ids
                for position, media_in in enumerate(record.follow_up.media)
            ]
            if media:
                conn.execute(insert(media_table), media)
    return set(case_ids)


def _integrity_reason(exc: IntegrityError) -> str:
    text = str(exc.orig).casefold()
    if "tracking_number" in text:
        return "tracking_number: already used by another case"
    return "conflicting duplicate record"


def ingest_report(session: Session, vault: Vault, source: str, raws: list[Any]) -> IntakeReport:
    """:func:`ingest` with the per-record outcomes (the caller commits)."""
    result = IntakeReport()
    result.counts = ingest(session, vault, source, raws, report=result.records)
    return result


def scrub_reporter(text: str, reporter: dict[str, Any]) -> str:
    """Remove the reporter's known identities from free text."""
    names = [str(reporter["name"])] if reporter.get("name") else []
    numbers = [str(reporter[k]) for k in ("phone", "nik") if reporter.get(k)]
    text = scrub_known(text, names, numbers)
    email = reporter.get("email")
    if email:
        text = re.sub(re.escape(str(email)), EMAIL_TAG, text, flags=re.IGNORECASE)
    address = reporter.get("address")
    if address and len(str(address)) >= 6:
        text = re.sub(re.escape(str(address)), ADDRESS_TAG, text, flags=re.IGNORECASE)
    return text


def _upsert(
    session: Session,
    vault: Vault,
    source: str,
    record: CaseRecord,
    resolved: tuple[Agency, str, str],
    *,
    assume_new: bool,
) -> str:
    """Insert or update one case. ``assume_new`` skips the look-up for an id the batch query
    did not find; if another collector inserted it since, the unique key says so and the
    caller retries with the look-up."""
    agency, kecamatan, digest = resolved
    case = None
    if not assume_new:
        case = session.scalar(
            select(Case).where(Case.source == source, Case.external_id == record.id)
        )
    if case is not None and case.content_hash == digest:
        return "unchanged"
    if (
        case is not None
        and case.source_updated_at is not None
        and record.updated_at < case.source_updated_at
    ):
        return "stale"
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
    reporter = record.reporter.model_dump(exclude_none=True)
    scrub = record.privacy in SCRUBBED_MODES
    case.complaint_text = scrub_reporter(record.complaint, reporter) if scrub else record.complaint
    case.privacy_mode = record.privacy
    case.reporter = vault.encrypt_json(reporter)
    case.source_updated_at = record.updated_at
    case.status = record.status
    case.reported_at = times.get("received", case.reported_at)
    case.first_response_at = times.get("in_progress", case.first_response_at)
    case.resolved_at = times.get("resolved", times.get("closed", case.resolved_at))
    case.content_hash = digest
    session.flush()
    if record.follow_up is not None:
        _upsert_follow_up(session, case, record, reporter if scrub else None, outcome == "new")
    return outcome


def _upsert_follow_up(
    session: Session,
    case: Case,
    record: CaseRecord,
    scrub_for: dict[str, Any] | None,
    case_is_new: bool,
) -> None:
    fu_in = record.follow_up
    assert fu_in is not None
    follow_up = None
    if not case_is_new:
        follow_up = session.scalar(
            select(FollowUp).where(FollowUp.case_id == case.id, FollowUp.external_id == fu_in.id)
        )
    if follow_up is None:
        follow_up = FollowUp(case_id=case.id, external_id=fu_in.id, channel="feed")
        session.add(follow_up)
    follow_up.action_text = scrub_reporter(fu_in.text, scrub_for) if scrub_for else fu_in.text
    follow_up.submitted_at = fu_in.submitted_at
    session.flush()
    known = (
        {}
        if case_is_new
        else {
            m.position: m
            for m in session.scalars(select(Media).where(Media.follow_up_id == follow_up.id))
        }
    )
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
