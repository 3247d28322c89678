"""A fake Open311 GeoReport v2 endpoint (https://wiki.open311.org/GeoReport_v2/).

``GET /services.json`` and ``GET /requests.json?status=&start_date=&end_date=`` as the spec
describes: dates filter on ``requested_datetime``, a window may not span more than 90 days
(400 with the spec's ``[{"code", "description"}]`` error list), at most 1,000 requests per
answer (the rest is cut off, as real servers do), optional ``api_key`` (403). ``wrapper``
picks the bare array of the spec or FixMyStreet's ``{"service_requests": [...]}``;
``raw_requests`` serves bytes verbatim (the spec's own not-quite-JSON examples).
``GET /media/{name}`` serves files.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response

from publisher.fakes.server import serve_files

MAX_WINDOW = timedelta(days=90)
MAX_RESULTS = 1000


@dataclass
class FakeOpen311:
    requests: list[Any] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    api_key: str | None = None
    wrapper: str = "bare"  # "bare" | "fixmystreet"
    raw_requests: bytes | None = None
    max_results: int = MAX_RESULTS
    calls: list[dict[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, *requests: Any) -> None:
        with self._lock:
            self.requests.extend(requests)

    def app(self) -> FastAPI:
        api = FastAPI(title="fake Open311 GeoReport v2")

        def check_key(api_key: str | None) -> JSONResponse | None:
            if self.api_key is not None and api_key != self.api_key:
                return _error(403, "Invalid api_key received -- can't proceed.")
            return None

        @api.get("/services.json")
        def services(api_key: str | None = None) -> Response:
            return check_key(api_key) or JSONResponse(self.services)

        @api.get("/requests.json")
        def requests(
            status: str = "",
            start_date: str = "",
            end_date: str = "",
            api_key: str | None = None,
        ) -> Response:
            with self._lock:
                self.calls.append({"status": status, "start": start_date, "end": end_date})
            denied = check_key(api_key)
            if denied is not None:
                return denied
            if self.raw_requests is not None:
                return Response(self.raw_requests, media_type="application/json")
            try:
                start = _parse(start_date) if start_date else None
                end = _parse(end_date) if end_date else None
            except ValueError:
                return _error(400, "start_date/end_date must use w3 format")
            if start and end and end - start > MAX_WINDOW:
                return _error(400, "date range may not span more than 90 days")
            wanted = {s for s in status.split(",") if s}
            with self._lock:
                rows = [r for r in self.requests if _matches(r, wanted, start, end)]
            rows = rows[: self.max_results]
            body: Any = {"service_requests": rows} if self.wrapper == "fixmystreet" else rows
            return JSONResponse(body)

        serve_files(api, "/media", self.media)

        return api


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _matches(row: Any, wanted: set[str], start: datetime | None, end: datetime | None) -> bool:
    if not isinstance(row, dict):
        return not wanted  # broken rows only show up in unfiltered lists
    if wanted and row.get("status") not in wanted:
        return False
    try:
        requested = _parse(str(row.get("requested_datetime")))
    except ValueError:
        return True  # a broken row is served whatever the window, so tests see it
    return (start is None or requested >= start) and (end is None or requested < end)


def _error(code: int, description: str) -> JSONResponse:
    return JSONResponse([{"code": code, "description": description}], status_code=code)
