"""Validate raw case records and store them idempotently; quarantine what cannot be used.

New and changed cases of a batch are written together (issue 23): one look-up of the batch's
known cases, then one ``INSERT .. ON CONFLICT DO UPDATE`` for the cases, one for their
follow-ups and one for the media rows, on SQLite and PostgreSQL alike; nothing goes through the
ORM's unit of work. What the bulk statements must not take (an id twice in a batch, a tracking
number another case owns, a conflict with another collector) is handled one record at a time,
each in its own SAVEPOINT, so one bad record never undoes the rest of the batch. Upserts key on
(source, external id);
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
from datetime import datetime
from functools import cache
from typing import Any, cast

import jsonschema_rs
from pydantic import ValidationError
from sqlalchemy import Boolean, Table, and_, func, literal, literal_column, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from publisher.core.clock import utcnow
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


def parse_record(raw: object, *, places: dict[str, Any] | None = None) -> CaseRecord:
    """Check one raw record (``places``: the kecamatan by folded name, when the caller has
    them at hand)."""
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
    if places is None:
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


# (agency id, kecamatan as the reference spells it, content hash) of a valid record.
Resolved = tuple[int, str, str]


@dataclass(frozen=True)
class _Known:
    """What the batch's one look-up knows of a stored case."""

    content_hash: str
    source_updated_at: datetime | None


def ingest(
    session: Session,
    vault: Vault,
    source: str,
    raws: list[Any],
    *,
    report: list[RecordOutcome] | None = None,
) -> IntakeCounts:
    """Store a batch. The caller commits.

    New and changed cases of the batch are written with one upsert per table
    (:func:`_write_bulk`); a record the bulk statements must not take (an id twice in the
    batch, a tracking number another case owns) or that loses a race to another collector
    gets its own savepoint (:func:`_upsert`), which says why.

    Pass ``report`` (a list) to receive one :class:`RecordOutcome` per record, in order."""
    counts = IntakeCounts(fetched=len(raws))
    agencies: dict[str, int] = {
        code: agency_id for code, agency_id in session.execute(select(Agency.code, Agency.id))
    }
    places = load_reference().kecamatan_by_name()
    # One query for the batch's known cases: unchanged re-feeds stop here, before parsing.
    ids = [
        r["id"]
        for r in raws
        if isinstance(r, dict)
        and isinstance(r.get("id"), str)
        and not _INVALID_CHARACTERS.search(r["id"])
    ]
    known: dict[str, _Known] = {
        ext: _Known(digest, updated)
        for ext, digest, updated in session.execute(
            select(Case.external_id, Case.content_hash, Case.source_updated_at).where(
                Case.source == source, Case.external_id.in_(ids)
            )
        ).all()
    }
    outcomes: list[tuple[str, str, str]] = [("", "", "")] * len(raws)  # (id, outcome, reason)
    valid: list[tuple[int, object, CaseRecord, Resolved]] = []
    for index, raw in enumerate(raws):
        digest = content_hash(raw)
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        stored = known.get(raw_id) if isinstance(raw_id, str) else None
        if stored is not None and stored.content_hash == digest:
            outcomes[index] = (str(raw_id), "unchanged", "")
            continue
        try:
            record = parse_record(raw, places=places)
            agency_id = agencies.get(record.agency)
            if agency_id is None:
                raise RecordInvalid("agency: unknown agency code", record.id)
        except RecordInvalid as exc:
            quarantine(session, vault, source, raw, exc.reason, exc.external_id)
            outcomes[index] = (exc.external_id or "", "quarantined", exc.reason)
            continue
        valid.append(
            (index, raw, record, (agency_id, places[record.kecamatan.casefold()].name, digest))
        )

    bulk = _bulk_candidates(session, source, valid, known, outcomes)
    written = _write_bulk(session, vault, source, [(r, res) for _i, _raw, r, res in bulk], known)
    for index, _raw, record, _res in bulk:
        if record.id in written:
            outcomes[index] = (record.id, written[record.id], "")

    # Whatever the bulk statements did not take, one record at a time, each in a savepoint.
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
                        assume_new=attempt == 0
                        and record.id not in known
                        and record.id not in written,
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


def _bulk_candidates(
    session: Session,
    source: str,
    valid: list[tuple[int, object, CaseRecord, Resolved]],
    known: dict[str, _Known],
    outcomes: list[tuple[str, str, str]],
) -> list[tuple[int, object, CaseRecord, Resolved]]:
    """The valid records the bulk upsert may take: the first of each id, not older than the
    stored case (those are ``stale`` here), whose tracking number no other case owns (one
    query); the rest is left for the per-record path, which says what is wrong."""
    numbers = {record.tracking_number for _i, _raw, record, _res in valid}
    owners: dict[str, tuple[str, str]] = {
        number: (src, ext)
        for number, src, ext in session.execute(
            select(Case.tracking_number, Case.source, Case.external_id).where(
                Case.tracking_number.in_(numbers)
            )
        ).all()
    }
    seen_ids: set[str] = set()
    seen_numbers: set[str] = set()
    chosen = []
    for item in valid:
        index, _raw, record, _res = item
        if record.id in seen_ids or record.tracking_number in seen_numbers:
            continue
        seen_ids.add(record.id)
        seen_numbers.add(record.tracking_number)
        owner = owners.get(record.tracking_number)
        if owner is not None and owner != (source, record.id):
            continue
        stored = known.get(record.id)
        if (
            stored is not None
            and stored.source_updated_at is not None
            and record.updated_at < stored.source_updated_at
        ):
            outcomes[index] = (record.id, "stale", "")
            continue
        chosen.append(item)
    return chosen


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _case_row(
    record: CaseRecord, resolved: Resolved, source: str, vault: Vault, now: datetime
) -> dict[str, Any]:
    agency_id, kecamatan, digest = resolved
    times = {event.status: event.at for event in record.history}
    reporter = record.reporter.model_dump(exclude_none=True)
    scrub = record.privacy in SCRUBBED_MODES
    return {
        "source": source,
        "external_id": record.id,
        "tracking_number": record.tracking_number,
        "agency_id": agency_id,
        "category": record.category,
        "kecamatan": kecamatan,
        "desa": record.desa,
        "complaint_text": scrub_reporter(record.complaint, reporter) if scrub else record.complaint,
        "privacy_mode": record.privacy,
        "reporter": vault.encrypt_json(reporter),
        "source_updated_at": record.updated_at,
        "status": record.status,
        "reported_at": times.get("received"),
        "first_response_at": times.get("in_progress"),
        "resolved_at": times.get("resolved", times.get("closed")),
        "content_hash": digest,
        "created_at": now,
        "updated_at": now,
    }


def _write_bulk(
    session: Session,
    vault: Vault,
    source: str,
    items: list[tuple[CaseRecord, Resolved]],
    known: dict[str, _Known],
) -> dict[str, str]:
    """Insert or update the cases, their follow-ups and media rows with one ``INSERT .. ON
    CONFLICT DO UPDATE`` per table (SQLite and PostgreSQL), in one savepoint; returns the
    external ids written, each ``new`` or ``updated``. An integrity error (a race with another
    collector) undoes the three statements and returns nothing: the per-record path then takes
    every record.

    The updates do what :func:`_upsert` does to a stored case: a status time the record does
    not give keeps the stored one; a case whose stored version is newer is left alone (the
    stale guard, for a collector that wrote after the batch's look-up); a medium whose URL
    changed is downloaded again, one whose URL is the same keeps its file."""
    if not items:
        return {}
    now = utcnow()
    pg = session.get_bind().dialect.name == "postgresql"
    dialect_insert = pg_insert if pg else sqlite_insert
    conn = session.connection()
    cases, fu_table, media_table = _table(Case), _table(FollowUp), _table(Media)

    case_insert = dialect_insert(cases)
    # Whether a row came in new or updated: on PostgreSQL another collector may have inserted
    # it since the look-up (xmax is 0 for a row this statement inserted); a SQLite write
    # transaction holds the database from its start, so there the look-up is the answer.
    was_inserted = (
        literal_column("xmax = 0", Boolean) if pg else literal(None, Boolean).label("inserted")
    )
    new = case_insert.excluded
    keep_if_absent = ("reported_at", "first_response_at", "resolved_at")
    replaced = [
        "tracking_number",
        "agency_id",
        "category",
        "kecamatan",
        "desa",
        "complaint_text",
        "privacy_mode",
        "reporter",
        "source_updated_at",
        "status",
        "content_hash",
        "updated_at",
    ]
    case_stmt = case_insert.on_conflict_do_update(
        index_elements=[cases.c.source, cases.c.external_id],
        set_={
            **{name: new[name] for name in replaced},
            **{name: func.coalesce(new[name], cases.c[name]) for name in keep_if_absent},
        },
        # Only a changed, not older record overwrites: a case another collector stored after
        # the batch's look-up is left to the per-record path, which says unchanged or stale.
        where=and_(
            cases.c.content_hash != new.content_hash,
            or_(
                cases.c.source_updated_at.is_(None),
                cases.c.source_updated_at <= new.source_updated_at,
            ),
        ),
    ).returning(cases.c.id, cases.c.external_id, was_inserted)

    fu_insert = dialect_insert(fu_table)
    fu_stmt = fu_insert.on_conflict_do_update(
        index_elements=[fu_table.c.case_id, fu_table.c.external_id],
        set_={
            "action_text": fu_insert.excluded.action_text,
            "submitted_at": fu_insert.excluded.submitted_at,
        },
    ).returning(fu_table.c.id, fu_table.c.case_id)

    media_stmt = dialect_insert(media_table)
    fresh = media_stmt.excluded
    same_url = media_table.c.source_url == fresh.source_url
    media_stmt = media_stmt.on_conflict_do_update(
        index_elements=[media_table.c.follow_up_id, media_table.c.position],
        set_={
            "source_url": fresh.source_url,
            "supplied_by": fresh.supplied_by,
            "phase": fresh.phase,
            "state": sql_case((same_url, media_table.c.state), else_=literal("pending")),
            "sha256": sql_case((same_url, media_table.c.sha256), else_=literal("")),
            "attempts": sql_case((same_url, media_table.c.attempts), else_=literal(0)),
        },
        # A re-fed medium that did not change is not rewritten.
        where=or_(
            ~same_url,
            media_table.c.supplied_by != fresh.supplied_by,
            media_table.c.phase != fresh.phase,
        ),
    )

    try:
        with session.begin_nested():
            rows = [_case_row(record, res, source, vault, now) for record, res in items]
            returned = cast(list[tuple[int, str, bool | None]], conn.execute(case_stmt, rows).all())
            case_ids: dict[str, int] = {ext: case_id for case_id, ext, _new in returned}
            written = {
                ext: "new" if (ext not in known if inserted is None else inserted) else "updated"
                for _id, ext, inserted in returned
            }
            del rows
            follow_ups: list[dict[str, Any]] = []
            for record, _res in items:
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
                        "action_text": (
                            scrub_reporter(fu_in.text, scrub_for) if scrub_for else fu_in.text
                        ),
                        "submitted_at": fu_in.submitted_at,
                    }
                )
            if follow_ups:
                fu_ids: dict[int, int] = {
                    case_id: fu_id
                    for fu_id, case_id in cast(
                        list[tuple[int, int]], conn.execute(fu_stmt, follow_ups).all()
                    )
                }
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
                        "created_at": now,
                    }
                    for record, _res in items
                    if record.follow_up is not None and record.id in case_ids
                    for position, media_in in enumerate(record.follow_up.media)
                ]
                if media:
                    conn.execute(media_stmt, media)
    except IntegrityError:
        log.info("intake from %s: a bulk upsert met a conflict; storing one by one", source)
        return {}
    return written


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
    resolved: Resolved,
    *,
    assume_new: bool,
) -> str:
    """Insert or update one case. ``assume_new`` skips the look-up for an id the batch query
    did not find; if another collector inserted it since, the unique key says so and the
    caller retries with the look-up."""
    agency_id, kecamatan, digest = resolved
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
    case.agency_id = agency_id
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
