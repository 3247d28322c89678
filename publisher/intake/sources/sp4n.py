"""SP4N-LAPOR! adapter, over a configurable field mapping.

SP4N-LAPOR!'s integration API is documented only to registered agencies, so this adapter
assumes as little as possible: a paged JSON list of reports changed since a time, and each
report's fields found at *configurable dotted paths* (``SourceConfig.field_map``, merged over
:data:`DEFAULT_FIELDS`). Statuses map through ``status_map`` (over :data:`DEFAULT_STATUSES`:
verifikasi / disposisi / tindak lanjut / selesai), topics through ``category_map``, agency codes
through ``agency_map``.

Wire shape assumed (and served by :mod:`publisher.fakes.sp4n`)::

    GET {base}/laporan?updated_since=ISO&page=N&per_page=M     (Authorization: Bearer TOKEN)
    200 {"data": [report, ...], "meta": {"page": N, "last_page": L}}

Privacy: ``rahasia`` (the report is not public at all) becomes privacy ``rahasia``, which is
never published; ``anonim`` (the reporter is hidden) becomes ``anonim``, whose reporter fields
are stored encrypted and scrubbed from every stored text. Flags may arrive as booleans, 0/1
or ya/tidak.

Errors: :class:`SourceError` for the API; a report that cannot be mapped is a :class:`Reject`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx

from publisher.core.errors import RecordInvalid, SourceError
from publisher.core.settings import SourceConfig
from publisher.intake.sources.base import Batch, Reject, get_json_object

PER_PAGE = 200
MAX_PAGES_PER_RUN = 500

DEFAULT_FIELDS: dict[str, str] = {
    "id": "id",
    "tracking_number": "tracking_id",
    "topic": "topik",
    "status": "status",
    "rahasia": "rahasia",
    "anonim": "anonim",
    "agency": "instansi.kode",
    "kecamatan": "lokasi.kecamatan",
    "desa": "lokasi.desa",
    "title": "judul",
    "complaint": "isi",
    "reporter.name": "pelapor.nama",
    "reporter.phone": "pelapor.telepon",
    "reporter.nik": "pelapor.nik",
    "reporter.email": "pelapor.email",
    "reporter.address": "pelapor.alamat",
    "received_at": "tanggal.dibuat",
    "first_response_at": "tanggal.disposisi",
    "resolved_at": "tanggal.selesai",
    "follow_up.id": "tindak_lanjut.id",
    "follow_up.text": "tindak_lanjut.isi",
    "follow_up.at": "tindak_lanjut.tanggal",
    "follow_up.media": "tindak_lanjut.lampiran",
    "media.url": "url",
    "media.by": "oleh",
    "updated_at": "diperbarui",
}

DEFAULT_STATUSES: dict[str, str] = {
    "verifikasi": "received",
    "disposisi": "in_progress",
    "tindak lanjut": "in_progress",
    "tindak_lanjut": "in_progress",
    "selesai": "resolved",
    "ditutup": "closed",
}

TRUE_WORDS = frozenset({"1", "true", "ya", "y", "yes"})
FALSE_WORDS = frozenset({"0", "false", "tidak", "t", "n", "no", ""})
TAKEN_BY = {"instansi": "pic", "opd": "pic", "pic": "pic", "pelapor": "reporter"}


def pick(raw: dict[str, Any], path: str) -> Any:
    """The value at a dotted path, or None when any step is missing."""
    value: Any = raw
    for step in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


def flag(value: object, name: str, ext: str) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    word = str(value).strip().casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise RecordInvalid(f"{name}: not a yes/no flag", ext)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:80]


class Sp4nMapping:
    def __init__(self, cfg: SourceConfig) -> None:
        self.cfg = cfg
        self.fields = {**DEFAULT_FIELDS, **cfg.field_map}
        self.statuses = {**DEFAULT_STATUSES, **{k.casefold(): v for k, v in cfg.status_map.items()}}

    def get(self, raw: dict[str, Any], name: str) -> Any:
        return pick(raw, self.fields[name])

    def text(self, raw: dict[str, Any], name: str, ext: str = "") -> str:
        value = self.get(raw, name)
        if value is None:
            return ""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            raise RecordInvalid(f"{self.fields[name]}: expected text", ext or None)
        return value.strip()

    def to_case_record(self, raw: object) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise RecordInvalid(f"report is a {type(raw).__name__}, not an object")
        ext = self.text(raw, "id")
        if not ext:
            raise RecordInvalid(f"{self.fields['id']}: missing")
        their_status = self.text(raw, "status", ext).casefold()
        status = self.statuses.get(their_status)
        if status is None:
            raise RecordInvalid(f"{self.fields['status']}: unknown SP4N status", ext)
        rahasia = flag(self.get(raw, "rahasia"), self.fields["rahasia"], ext)
        anonim = flag(self.get(raw, "anonim"), self.fields["anonim"], ext)
        topic = self.text(raw, "topic", ext)
        agency_value = self.text(raw, "agency", ext)
        agency = self.cfg.agency_map.get(agency_value) or agency_value or self.cfg.default_agency
        title, body = self.text(raw, "title", ext), self.text(raw, "complaint", ext)
        history = [
            {"status": ours, "at": at}
            for ours, key in (
                ("received", "received_at"),
                ("in_progress", "first_response_at"),
                ("resolved", "resolved_at"),
            )
            if (at := self.text(raw, key, ext))
        ]
        reporter = {
            part: value
            for part in ("name", "phone", "nik", "email", "address")
            if (value := self.text(raw, f"reporter.{part}", ext))
        }
        record: dict[str, Any] = {
            "id": ext,
            "tracking_number": self.text(raw, "tracking_number", ext),
            "agency": agency or "",
            "category": self.cfg.category_map.get(topic) or _slug(topic) or "lainnya",
            "kecamatan": self.text(raw, "kecamatan", ext),
            "desa": self.text(raw, "desa", ext),
            "complaint": f"{title}. {body}" if title and body else title or body,
            "privacy": "rahasia" if rahasia else "anonim" if anonim else "normal",
            "reporter": reporter,
            "status": status,
            "history": history,
            "updated_at": self.text(raw, "updated_at", ext),
        }
        follow_text = self.text(raw, "follow_up.text", ext)
        if follow_text:
            record["follow_up"] = {
                "id": self.text(raw, "follow_up.id", ext) or f"{ext}-tl",
                "text": follow_text,
                "submitted_at": self.text(raw, "follow_up.at", ext) or record["updated_at"],
                "media": self._media(raw, ext),
            }
        return record

    def _media(self, raw: dict[str, Any], ext: str) -> list[dict[str, str]]:
        items = self.get(raw, "follow_up.media") or []
        if not isinstance(items, list):
            raise RecordInvalid(f"{self.fields['follow_up.media']}: expected a list", ext)
        media = []
        for item in items:
            url = pick(item, self.fields["media.url"]) if isinstance(item, dict) else item
            if not isinstance(url, str):
                raise RecordInvalid(f"{self.fields['follow_up.media']}: item without a url", ext)
            by = pick(item, self.fields["media.by"]) if isinstance(item, dict) else None
            # Unknown or missing authorship is treated as the reporter's: not publishable.
            taken_by = TAKEN_BY.get(str(by).casefold(), "reporter") if by else "reporter"
            media.append({"url": url.strip(), "taken_by": taken_by, "phase": ""})
        return media


def _utc(stamp: str) -> str:
    """A comparable cursor: the time in UTC ISO form ('' when unreadable: never the newest)."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return ""
    if moment.tzinfo is None:
        return ""
    return moment.astimezone(UTC).isoformat()


class Sp4nSource:
    def __init__(self, cfg: SourceConfig, client: httpx.Client) -> None:
        self.name = cfg.name
        self.base_url = cfg.url.rstrip("/")
        self.client = client
        self.token = cfg.token
        self.mapping = Sp4nMapping(cfg)

    def fetch(self, cursor: str) -> Iterator[Batch]:
        newest = cursor
        for page in range(1, MAX_PAGES_PER_RUN + 1):
            params: dict[str, str | int] = {"page": page, "per_page": PER_PAGE}
            if cursor:
                params["updated_since"] = cursor
            body = self._get(params)
            reports = body.get("data")
            meta = body.get("meta")
            if not isinstance(reports, list) or not isinstance(meta, dict):
                raise SourceError(f"{self.name}: page has no 'data' list and 'meta' object")
            records: list[Any] = []
            rejects: list[Reject] = []
            for raw in reports:
                try:
                    record = self.mapping.to_case_record(raw)
                except RecordInvalid as exc:
                    rejects.append(Reject(raw, exc.reason, exc.external_id))
                    continue
                records.append(record)
                stamp = _utc(record["updated_at"])
                if stamp > newest:
                    newest = stamp
            yield Batch(records=records, cursor=newest, rejects=rejects)
            last = meta.get("last_page")
            if not isinstance(last, int) or page >= last:
                return
        raise SourceError(f"{self.name}: more than {MAX_PAGES_PER_RUN} pages in one run")

    def _get(self, params: dict[str, str | int]) -> dict[str, Any]:
        return get_json_object(
            self.client,
            f"{self.base_url}/laporan",
            params=params,
            token=self.token,
            source=self.name,
            what="SP4N-LAPOR!",
        )
