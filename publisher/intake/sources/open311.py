"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2/): closed service requests.

``GET {base}/services.json`` names the service codes; ``GET {base}/requests.json?status=closed
&start_date=&end_date=`` lists requests whose *requested_datetime* falls in the window. The spec
caps a window at 90 days and a response at 1,000 requests, so we walk 90-day windows and split
any window that comes back full. Because the filter is on the request date, not the closing
date, each run re-walks the last ``lookback_days`` (default 90) to catch old requests closed
since; unchanged records are no-ops in intake, so this costs one request per window.

Mapping to the case feed (docs/case-feed.md):

======================  ===========================================================
Open311                  case record
======================  ===========================================================
service_request_id       ``id`` (a bare number is accepted: the spec examples use them)
service_code / name      ``category`` via ``category_map``, else a slug of the name
agency_responsible       ``agency`` via ``agency_map``, else ``default_agency``
address                  ``kecamatan`` / ``desa``: the Tegal names it contains
description              ``complaint`` (falls back to the service name)
status                   closed -> ``closed``, open -> ``in_progress``
requested / updated      ``history`` received / closed, ``updated_at``
status_notes             the follow-up text
media_url                a follow-up photo ``taken_by: reporter``, ``phase: before``
======================  ===========================================================

Known quirks we tolerate (see ../shared/fixtures/open311/SOURCES.md): numbers with leading
zeros (``"service_code":006``, not valid JSON: repaired to strings), ids and codes as bare
numbers, trailing spaces in ``media_url``, and both a bare array and FixMyStreet's
``{"service_requests": [...]}`` wrapper.

Errors: :class:`SourceError` (HTTP, an Open311 ``[{code, description}]`` error, a body that is
not a list of requests); a single request that cannot be mapped becomes a :class:`Reject`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from publisher.core.clock import utcnow
from publisher.core.errors import RecordInvalid, SourceError, UnsafeJson
from publisher.core.settings import SourceConfig
from publisher.intake import untrusted
from publisher.intake.sources.base import Batch, Reject
from publisher.reference import load_reference

WINDOW = timedelta(days=90)
MAX_RESULTS = 1000
# A GeoReport request is flat (attributes one level down); anything deeper is quarantined.
RECORD_DEPTH = 16
MIN_WINDOW = timedelta(minutes=1)
STATUS = {"closed": "closed", "open": "in_progress"}
# A bare number with leading zeros in value position: `: 006,` -> `: "006",`.
_LEADING_ZERO = re.compile(r"(?<=[:\[,])(\s*)(-?0\d+)(?=\s*[,}\]])")


def decode_body(text: str) -> Any:
    """JSON, tolerating the spec examples' leading-zero numbers (kept as strings)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise SourceError("Open311 answer nests too deeply") from None
    except ValueError:
        repaired = _LEADING_ZERO.sub(r'\1"\2"', text)
        try:
            return json.loads(repaired)
        except (ValueError, RecursionError):
            raise SourceError("Open311 answer is not valid JSON") from None


def requests_of(body: Any) -> list[Any]:
    """The request list of a bare array or FixMyStreet's ``{"service_requests": [...]}``."""
    if isinstance(body, dict) and isinstance(body.get("service_requests"), list):
        return list(body["service_requests"])
    if isinstance(body, list):
        return body
    raise SourceError("Open311 answer is neither a list nor {service_requests: [...]}")


def w3(moment: datetime) -> str:
    """The spec's "w3 format" in UTC, e.g. 2010-01-01T00:00:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise RecordInvalid(f"{key}: expected a string, got {type(value).__name__}")
    return value.strip()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:80]


def _aware(raw: dict[str, Any], key: str, external_id: str) -> str:
    value = _text(raw, key)
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise RecordInvalid(f"{key}: not an ISO-8601 date-time", external_id) from None
    if moment.tzinfo is None:
        raise RecordInvalid(f"{key}: has no UTC offset", external_id)
    return moment.isoformat()


def locate(text: str) -> tuple[str, str]:
    """The Tegal kecamatan (and desa) named in a free-text address, or ('', '')."""
    folded = f" {re.sub(r'[^a-z0-9]+', ' ', text.casefold())} "
    for place in load_reference().kecamatan:
        for desa in place.desa:
            if f" {desa.casefold()} " in folded and f" {place.name.casefold()} " in folded:
                return place.name, desa
    for place in load_reference().kecamatan:
        if f" {place.name.casefold()} " in folded:
            return place.name, ""
    return "", ""


def to_case_record(raw: object, cfg: SourceConfig, services: dict[str, str]) -> dict[str, Any]:
    """Translate one GeoReport request into a case-feed record (raises RecordInvalid)."""
    if not isinstance(raw, dict):
        raise RecordInvalid(f"request is a {type(raw).__name__}, not an object")
    ext = _text(raw, "service_request_id")
    if not ext:
        raise RecordInvalid("service_request_id: missing")
    status = _text(raw, "status")
    if status not in STATUS:
        raise RecordInvalid("status: must be open or closed", ext)
    requested = _aware(raw, "requested_datetime", ext)
    if not requested:
        raise RecordInvalid("requested_datetime: missing", ext)
    updated = _aware(raw, "updated_datetime", ext) or requested
    code = _text(raw, "service_code")
    name = _text(raw, "service_name") or services.get(code, "")
    agency_name = _text(raw, "agency_responsible")
    agency = cfg.agency_map.get(agency_name) or cfg.default_agency
    if not agency:
        raise RecordInvalid("agency_responsible: no agency mapped for it", ext)
    kecamatan, desa = locate(_text(raw, "address"))
    if not kecamatan:
        raise RecordInvalid("address: names no kecamatan of Kabupaten Tegal", ext)
    complaint = _text(raw, "description") or name
    if not complaint:
        raise RecordInvalid("description: missing, and no service name to stand for it", ext)
    history = [{"status": "received", "at": requested}]
    if status == "closed":
        history.append({"status": "closed", "at": updated})
    record: dict[str, Any] = {
        "id": ext,
        "tracking_number": f"{cfg.tracking_prefix or cfg.name.upper() + '-'}{ext}",
        "agency": agency,
        "category": cfg.category_map.get(code) or _slug(name) or "lainnya",
        "kecamatan": kecamatan,
        "desa": desa,
        "complaint": complaint,
        "privacy": "normal",
        "status": STATUS[status],
        "history": history,
        "updated_at": updated,
    }
    notes = _text(raw, "status_notes")
    if notes:
        media_url = _text(raw, "media_url")
        media = [{"url": media_url, "taken_by": "reporter", "phase": "before"}] if media_url else []
        record["follow_up"] = {
            "id": f"{ext}-status",
            "text": notes,
            "submitted_at": updated,
            "media": media,
        }
    return record


class Open311Source:
    def __init__(
        self,
        cfg: SourceConfig,
        client: httpx.Client,
        *,
        now: Callable[[], datetime] = utcnow,
        max_results: int = MAX_RESULTS,
    ) -> None:
        self.name = cfg.name
        self.cfg = cfg
        self.base_url = cfg.url.rstrip("/")
        self.client = client
        self.now = now
        self.max_results = max_results  # the server's cap; the spec's default is 1,000

    def fetch(self, cursor: str) -> Iterator[Batch]:
        now = self.now().replace(microsecond=0)
        if cursor:
            start = datetime.fromisoformat(cursor) - timedelta(days=self.cfg.lookback_days)
        else:
            start = now - timedelta(days=self.cfg.history_days)
        services = self.services()
        while start < now:
            end = min(start + WINDOW, now)
            yield from self._window(start, end, services)
            start = end

    def services(self) -> dict[str, str]:
        body = self._get("services.json", {})
        if not isinstance(body, list):
            raise SourceError(f"{self.name}: services.json is not a list")
        names: dict[str, str] = {}
        for service in body:
            if isinstance(service, dict):
                code = service.get("service_code")
                name = service.get("service_name")
                if isinstance(code, (str, int)) and isinstance(name, str):
                    names[str(code)] = name
        return names

    def _window(self, start: datetime, end: datetime, services: dict[str, str]) -> Iterator[Batch]:
        params = {"status": "closed", "start_date": w3(start), "end_date": w3(end)}
        found = requests_of(self._get("requests.json", params))
        if len(found) >= self.max_results and end - start > MIN_WINDOW:
            # A full page may have been cut at the cap: halve the window until it is not.
            middle = start + (end - start) / 2
            yield from self._window(start, middle, services)
            yield from self._window(middle, end, services)
            return
        records: list[Any] = []
        rejects: list[Reject] = []
        for raw in found:
            try:
                untrusted.check(raw, max_depth=RECORD_DEPTH, allow_nul=False)
            except UnsafeJson as exc:
                # Quarantined as a copy the database takes; deeper levels are cut off.
                rejects.append(Reject(untrusted.scrub(_cut(raw)), str(exc)))
                continue
            try:
                records.append(to_case_record(raw, self.cfg, services))
            except RecordInvalid as exc:
                rejects.append(Reject(raw, exc.reason, exc.external_id))
        yield Batch(records=records, cursor=end.isoformat(), rejects=rejects)

    def _get(self, path: str, params: dict[str, str]) -> Any:
        query = dict(params)
        if self.cfg.jurisdiction_id:
            query["jurisdiction_id"] = self.cfg.jurisdiction_id
        if self.cfg.api_key:
            query["api_key"] = self.cfg.api_key
        try:
            response = self.client.get(f"{self.base_url}/{path}", params=query)
        except httpx.HTTPError as exc:
            raise SourceError(f"{self.name}: {type(exc).__name__} reading {path}") from None
        if response.status_code != 200:
            try:
                detail = _error_text(decode_body(response.text))
            except SourceError:
                detail = ""
            raise SourceError(f"{self.name}: {path} answered HTTP {response.status_code}{detail}")
        return decode_body(response.text)


def _cut(value: Any, depth: int = RECORD_DEPTH) -> Any:
    """``value`` with everything below ``depth`` levels replaced by a marker (no recursion
    deeper than ``depth``, whatever the input)."""
    if not isinstance(value, dict | list):
        return value
    if depth <= 1:
        return "<cut>"
    if isinstance(value, list):
        return [_cut(child, depth - 1) for child in value]
    return {key: _cut(child, depth - 1) for key, child in value.items()}


def _error_text(body: Any) -> str:
    """Open311 errors are ``[{"code": 403, "description": "..."}]``."""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        description = body[0].get("description")
        if isinstance(description, str):
            return f": {description[:200]}"
    return ""
